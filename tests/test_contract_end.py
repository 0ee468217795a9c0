"""After the contract's end: no more bookings through the API, but the owner can sign in and
export everything."""
import datetime
import io
import json
import zipfile

import pytest
from django_tenants.utils import schema_context

from hq.services import contract_create, contract_notice_give, merchant_status_sync
from loyalty.actors import Actor
from loyalty.models import Booking, DataExport
from loyalty.services import bookings
from loyalty.services.cardholders import card_register
from loyalty.services.exports import data_export_build
from loyalty.services.terminals import terminal_create
from tests.support.baseline import PASSWORD, owner_email
from tests.support.factories import CardFactory, ProgramFactory

pytestmark = pytest.mark.django_db


def _end_contract(merchant):
    contract = contract_create(merchant=merchant, starts_on=datetime.date(2024, 1, 1), actor=None)
    contract_notice_give(contract=contract, given_on=datetime.date(2025, 9, 1), actor=None)
    merchant_status_sync(merchant=merchant, today=datetime.date(2026, 1, 2))


def test_ended_contract_refuses_bookings_but_the_owner_can_still_export(alice, bob, host_client):
    with schema_context("alice"):
        card = card_register(card_number=CardFactory().number, actor=Actor(label="t"),
                             first_name="=HYPERLINK(\"http://evil\")", email="anna@example.com")
        prepaid = ProgramFactory(kind="prepaid")
        bookings.booking_top_up(card_number=card.number, program=prepaid, amount_cents=500,
                                idempotency_key="before-the-end", actor=Actor(label="t"))
        _, token = terminal_create(name="Till", actor=Actor(label="t"))
    _end_contract(alice)
    api = host_client(alice)

    refused = api.post("/api/bookings/top-up/", json.dumps({"card_number": card.number, "program": prepaid.pk,
                                                            "amount_cents": 100}),
                       content_type="application/json",
                       headers={"Authorization": f"Terminal {token}", "Idempotency-Key": "after",
                                "Accept-Language": "en"})

    assert refused.status_code == 403
    assert refused.json()["code"] == "contract_ended"
    with schema_context("alice"):
        assert Booking.objects.count() == 1

    owner = host_client(alice)
    assert owner.post("/manage/login/", {"username": owner_email("alice"), "password": PASSWORD}).status_code == 302
    assert owner.get("/manage/").status_code == 200
    assert owner.get("/manage/export/").status_code == 200
    assert owner.post("/manage/export/", {"export": "everything"}).status_code == 302
    with schema_context("alice"):
        export = DataExport.objects.get()
        assert data_export_build(export_id=export.pk)  # what the task does once the request is committed
    download = owner.get(f"/manage/export/{export.pk}/download/")

    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    files = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert card.number in files.read("cards.csv").decode("utf-8-sig")
    cardholders = files.read("cardholders.csv").decode("utf-8-sig")
    assert "anna@example.com" in cardholders
    assert "'=HYPERLINK" in cardholders  # neutralised for spreadsheets
    assert "before-the-end" in files.read("bookings.csv").decode("utf-8-sig")
    # bob's contract runs on: his till books as before
    with schema_context("bob"):
        bob_card = CardFactory()
        bob_prepaid = ProgramFactory(kind="prepaid")
        bookings.booking_top_up(card_number=bob_card.number, program=bob_prepaid, amount_cents=100,
                                idempotency_key="bob", actor=Actor(label="t"))
        assert Booking.objects.count() == 1


def test_export_is_not_for_anonymous_visitors_or_other_merchants(alice, bob, host_client):
    assert host_client(alice).get("/manage/export/").status_code == 302
    bob_owner = host_client(bob)
    bob_owner.post("/manage/login/", {"username": owner_email("bob"), "password": PASSWORD})
    alice_client = host_client(alice)
    alice_client.cookies["sessionid"] = bob_owner.cookies["sessionid"].value

    assert alice_client.get("/manage/export/").status_code == 302
