"""A cashier signed in to the back office gets 403 on every back-office page and REST API action
that is not theirs. The walk takes every pattern of the merchant's URL conf under /manage/ and
/api/ from the route table (tests.support.routes), so a new page is walked as soon as it exists,
and the test fails while one is not in the table."""
import json

import pytest
from django_tenants.utils import schema_context

from loyalty.models import AuditLog, Booking
from loyalty.pos.services import cashier_group
from tests.support.baseline import PASSWORD
from tests.support.factories import CardFactory, ProgramFactory, UserFactory
from tests.support.routes import TENANT_ROUTES, routes_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def cashier(alice):
    with schema_context("alice"):
        user = UserFactory(email="kasse@alice.example", full_name="Kai Kasse")
        user.groups.add(cashier_group())
        return user

# Not pages of the back office but the ways into it and out of it, open to anyone.
OPEN_TO_ANYONE = {"manage/login/", "manage/login/code/", "manage/logout/", "manage/invitation/<uidb64>/<token>/",
                  "api/schema/", "api/docs/"}


def _patterns() -> list[str]:
    return [pattern for pattern in routes_of("config.urls_tenant")
            if pattern.startswith(("manage/", "api/")) and pattern not in OPEN_TO_ANYONE]


def test_every_back_office_and_api_pattern_is_walked():
    missing = [pattern for pattern in _patterns() if pattern not in TENANT_ROUTES]
    assert missing == [], "add these patterns to tests.support.routes.TENANT_ROUTES"
    assert "manage/programs/" in _patterns() and "api/bookings/earn/" in _patterns()


def test_a_cashier_gets_403_on_every_back_office_page_and_api_action(alice, cashier, till_client):
    with schema_context("alice"):
        card, program = CardFactory(), ProgramFactory(kind="points")
        ids = {"card": card.number, "program": program.pk, "booking": 1, "terminal": 1, "uid": "MQ",
               "pk": 1}
    client = till_client(alice, email=None)
    assert client.form("/manage/login/", {"username": cashier.email, "password": PASSWORD}).status_code == 302
    with schema_context("alice"):
        audit_before = AuditLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    answers = {}
    for pattern in _patterns():
        for method, path in TENANT_ROUTES[pattern]:
            path = path.format_map(_Ids(ids))
            if method == "GET":
                response = client.get(path)
            else:
                response = client.post(path, json.dumps({"card_number": card.number, "program": program.pk,
                                                         "purchase_amount_cents": 500, "name": "x"}),
                                       content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"k-{path}",
                                       HTTP_X_CSRFTOKEN=client.csrf())
            answers[(method, path)] = response.status_code

    assert {call: status for call, status in answers.items() if status != 403} == {}
    assert len(answers) >= len(_patterns())
    with schema_context("alice"):
        assert not Booking.objects.exists()
        assert not AuditLog.objects.filter(pk__gt=audit_before).exists()


class _Ids(dict):
    """An id for any placeholder: the walk needs a path of the right shape, not a real object."""

    def __missing__(self, key):
        return 1
