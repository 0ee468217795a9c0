"""Selling a voucher in the back office: a form with the program's values, a confirmation with the
value, the valid-until date and the kind of voucher, then one booking however often it is sent."""
import re

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from loyalty.models import Account, AuditLog, Booking, Lot
from tests.support.factories import CardFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def voucher(alice):
    with schema_context("alice"):
        return ProgramFactory(kind="voucher", name="Geschenkgutschein", voucher_presets=[1_000, 2_500, 5_000],
                              voucher_value_cents=2_500, voucher_purpose="single")


@pytest.fixture
def card(alice):
    with schema_context("alice"):
        return CardFactory()


def key_of(page) -> str:
    return re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page.content.decode())[1]


def test_the_form_offers_the_programs_values_and_a_key_of_its_own(owner_client, voucher):
    first, second = owner_client.get("/manage/programs/vouchers/sell/"), owner_client.get("/manage/programs/vouchers/sell/")

    body = first.content.decode()
    assert all(f'value="{cents}"' in body for cents in (1_000, 2_500, 5_000))
    assert "25.00 €" in body
    assert key_of(first) != key_of(second)


def test_a_voucher_is_confirmed_then_booked_once_however_often_it_is_sent(owner_client, voucher, card, owner):
    key = key_of(owner_client.get("/manage/programs/vouchers/sell/"))
    sale = {"program": voucher.pk, "card_number": card.number, "preset": "5000", "amount_cents": "",
            "idempotency_key": key}

    confirmation = owner_client.post("/manage/programs/vouchers/sell/", sale)

    body = confirmation.content.decode()
    valid_until = f"31/12/{timezone.localdate().year + 3}"
    assert '<dd id="voucher-value">50.00 €</dd>' in body
    assert f'<dd id="voucher-valid-until">{valid_until}</dd>' in body
    assert "single-purpose voucher (Einzweckgutschein)" in body
    with schema_context("alice"):
        assert not Booking.objects.exists()  # the confirmation books nothing yet

    confirmed = {"program": voucher.pk, "card_number": card.number, "amount_cents": "50.00",
                 "idempotency_key": key, "confirm": "1"}
    done = [owner_client.post("/manage/programs/vouchers/sell/", confirmed) for _ in range(2)]

    assert [page.status_code for page in done] == [200, 200]
    assert f"50.00 € on card {card.number}, valid until {valid_until}." in done[1].content.decode()
    with schema_context("alice"):
        booking = Booking.objects.get()
        assert (booking.kind, booking.staff_user_id, booking.idempotency_key) == ("voucher_issue", owner.pk, key)
        assert Account.objects.get(program=voucher).balance == 5_000
        assert Lot.objects.get().expires_on.isoformat() == f"{timezone.localdate().year + 3}-12-31"


def test_a_typed_value_wins_over_the_preset(owner_client, voucher, card):
    key = key_of(owner_client.get("/manage/programs/vouchers/sell/"))

    page = owner_client.post("/manage/programs/vouchers/sell/", {
        "program": voucher.pk, "card_number": card.number, "preset": "2500", "amount_cents": "17,50",
        "idempotency_key": key})

    assert '<dd id="voucher-value">17.50 €</dd>' in page.content.decode()


def test_an_unknown_card_is_refused_next_to_the_card_number_and_nothing_is_booked(owner_client, voucher):
    key = key_of(owner_client.get("/manage/programs/vouchers/sell/"))
    with schema_context("alice"):
        audit_before = AuditLog.objects.count()

    page = owner_client.post("/manage/programs/vouchers/sell/", {
        "program": voucher.pk, "card_number": "1234", "preset": "1000", "idempotency_key": key, "confirm": "1"})

    assert page.status_code == 200
    assert page.context["form"].errors["card_number"] == ["This is not a valid card number: please check the digits."]
    assert 'value="1234"' in page.content.decode()
    with schema_context("alice"):
        assert not Booking.objects.exists()
        assert AuditLog.objects.count() == audit_before


def test_no_value_is_refused(owner_client, voucher, card):
    page = owner_client.post("/manage/programs/vouchers/sell/", {
        "program": voucher.pk, "card_number": card.number, "amount_cents": "", "idempotency_key": "k" * 32})

    assert page.context["form"].errors["amount_cents"] == ["Pick a value or type one."]
    with schema_context("alice"):
        assert not Booking.objects.exists()


def test_without_a_voucher_program_the_page_points_to_the_templates(owner_client):
    assert "There is no active voucher program yet." in owner_client.get(
        "/manage/programs/vouchers/sell/").content.decode()
