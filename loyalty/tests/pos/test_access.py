"""A cashier books at the till and reaches nothing else: not the back office, not the REST API's
look-ups and corrections, not another card's details; and cannot reverse."""
import json

import pytest
from django_tenants.utils import schema_context

from loyalty.models import Booking
from loyalty.pos.services import CASHIER_GROUP, CASHIER_PERMISSIONS, cashier_group
from tests.support.baseline import PASSWORD

pytestmark = pytest.mark.django_db

BACK_OFFICE = ["/manage/", "/manage/export/", "/manage/terminals/"]


def api_answers(client, shop):
    number = shop["card"].number
    return [
        client.get(f"/api/cards/{number}/").status_code,
        client.get(f"/api/cards/{number}/bookings/").status_code,
        client.post("/api/bookings/reverse/", json.dumps({"booking_id": 1}), content_type="application/json",
                    HTTP_IDEMPOTENCY_KEY="k", HTTP_X_CSRFTOKEN=client.csrf()).status_code,
    ]


def test_the_cashier_role_holds_only_what_the_till_needs(alice):
    with schema_context("alice"):
        group = cashier_group()
        assert group.name == CASHIER_GROUP
        assert sorted(group.permissions.values_list("codename", flat=True)) == sorted(CASHIER_PERMISSIONS)
        assert cashier_group() == group


def test_a_cashiers_till_session_opens_neither_the_back_office_nor_the_api(alice, shop, cashier, till_client):
    client = till_client(alice, email=cashier.email)
    assert client.get("/pos/").status_code == 200

    pages = [client.get(path) for path in BACK_OFFICE]

    assert [(page.status_code, page["Location"].split("?")[0]) for page in pages] == [(302, "/manage/login/")] * 3
    assert api_answers(client, shop) == [401, 401, 401]  # the till's session is no API session
    with schema_context("alice"):
        assert not Booking.objects.exists()


def test_a_cashier_signed_in_to_the_back_office_gets_no_export_nor_terminals(alice, cashier, till_client):
    client = till_client(alice, email=None)
    client.form("/manage/login/", {"username": cashier.email, "password": PASSWORD})

    assert [client.get(path).status_code for path in ("/manage/export/", "/manage/terminals/")] == [403, 403]
    assert client.form("/manage/terminals/", {"terminal_name": "Mine"}).status_code == 403


def test_a_cashier_signed_in_to_the_back_office_reaches_no_overview_and_no_api(alice, shop, cashier, till_client):
    client = till_client(alice, email=None)
    client.form("/manage/login/", {"username": cashier.email, "password": PASSWORD})

    assert client.get("/manage/").status_code == 403
    assert api_answers(client, shop) == [403, 403, 403]
