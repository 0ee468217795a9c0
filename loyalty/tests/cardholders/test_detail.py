"""A person's page: personal data, own field values, cards, balances per program in their unit,
open lots with their expiry, open claims, the whole history and the consents."""
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from loyalty.actors import Actor
from loyalty.models import Consent, CustomField, Lot
from loyalty.services import bookings
from loyalty.services.cardholders import cardholder_update, consent_record
from loyalty.tests.cardholders.conftest import register
from tests.support.factories import RewardFactory

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


@pytest.fixture
def anna(in_alice, points, prepaid, voucher):
    """Anna with points (one lot expiring), prepaid money, a voucher, an open claim, own fields and
    consents given and withdrawn."""
    points.expiry, points.expiry_months = "rolling_months", 12
    points.save()
    card = register(first_name="Anna", last_name="Becker", email="anna@example.com", birth_date=datetime.date(1980, 12, 31))
    bread = CustomField.objects.create(key="lieblingsbrot", label="Lieblingsbrot", kind="choice",
                                       choices=["Roggen", "Dinkel"])
    since = CustomField.objects.create(key="seit", label="Kundin seit", kind="date")
    cardholder_update(cardholder=card.cardholder, actor=SYSTEM,
                      custom_data={"lieblingsbrot": "Dinkel", "seit": since.value_clean("01.02.2015")})
    sale = bookings.booking_earn(card_number=card.number, program=points, purchase_amount_cents=4_000,
                                 idempotency_key="anna-1", actor=SYSTEM)
    reward = RewardFactory(program=points, name="Kaffee", points=30)
    bookings.booking_redeem_reward(card_number=card.number, reward=reward.pk, idempotency_key="anna-2", actor=SYSTEM)
    bookings.booking_return(sale_id=sale.pk, return_amount_cents=4_000, idempotency_key="anna-3", actor=SYSTEM)
    bookings.booking_earn(card_number=card.number, program=points, purchase_amount_cents=10_000,
                          idempotency_key="anna-4", actor=SYSTEM)
    bookings.booking_top_up(card_number=card.number, program=prepaid, amount_cents=1_250,
                            idempotency_key="anna-5", actor=SYSTEM)
    bookings.booking_voucher_issue(card_number=card.number, program=voucher, idempotency_key="anna-6", actor=SYSTEM)
    consent_record(cardholder=card.cardholder, purpose=Consent.Purpose.TERMS, granted=True, source="till",
                   actor=SYSTEM, wording_version="2026-01")
    consent_record(cardholder=card.cardholder, purpose=Consent.Purpose.NEWSLETTER, granted=True, source="portal",
                   actor=SYSTEM, wording_version="2026-01")
    consent_record(cardholder=card.cardholder, purpose=Consent.Purpose.NEWSLETTER, granted=False,
                   source="portal", actor=SYSTEM, wording_version="2026-02")
    return card, bread


def test_the_page_shows_data_own_fields_cards_balances_lots_claims_history_and_consents(owner_client, anna):
    card, _bread = anna
    page = owner_client.get(f"/manage/cardholders/{card.cardholder_id}/").content.decode()

    assert "Anna Becker" in page and "anna@example.com" in page and "31/12/1980" in page
    assert "Dinkel" in page and "01/02/2015" in page  # own fields, in the page's formats
    assert card.number in page and ">active<" in page
    # Points: 40 earned, 30 spent on a coffee, the return takes the 40 back (30 of them still
    # owed), then 100 earned pay off the 30 owed: 70 points; money in euros.
    balances = page[page.index('id="balances"'):page.index('id="lots"')]
    assert "70 points" in balances and "12.50 €" in balances and "25.00 €" in balances
    lots = page[page.index('id="lots"'):page.index('id="claims"')]
    expiring = Lot.objects.filter(account__card=card, remaining__gt=0, expires_on__isnull=False)
    assert expiring.count() == 2  # the points and the voucher
    for lot in expiring:
        assert lot.expires_on.strftime("%d/%m/%Y") in lots
    assert "70 points of 70 points" in lots and "25.00 € of 25.00 €" in lots
    assert "never" in lots  # the prepaid money never expires
    history = page[page.index('id="history"'):page.index('id="consents"')]
    for kind in ("Purchase", "Reward redeemed", "Return", "Top-up", "Voucher issued"):
        assert kind in history
    consents = page[page.index('id="consents"'):]
    assert "withdrawn" in consents and "given" in consents and "never asked" in consents
    assert "2026-02" in consents and "in the customer portal" in consents and "at the till" in consents


def test_an_open_claim_is_shown_with_its_amount(owner_client, in_alice, points):
    card = register(first_name="Ben", last_name="Schulz")
    sale = bookings.booking_earn(card_number=card.number, program=points, purchase_amount_cents=5_000,
                                 idempotency_key="ben-1", actor=SYSTEM)
    reward = RewardFactory(program=points, name="Kaffee", points=50)
    bookings.booking_redeem_reward(card_number=card.number, reward=reward.pk, idempotency_key="ben-2", actor=SYSTEM)
    bookings.booking_return(sale_id=sale.pk, return_amount_cents=5_000, idempotency_key="ben-3", actor=SYSTEM)

    page = owner_client.get(f"/manage/cardholders/{card.cardholder_id}/").content.decode()

    claims = page[page.index('id="claims"'):page.index('id="history"')]
    assert "50 points still owed from a return" in claims
    assert "No open claims" not in claims


def test_the_history_is_paginated_newest_first_over_every_card_of_the_person(owner_client, in_alice, points):
    card = register(first_name="Clara", last_name="Wagner")
    for index in range(30):
        bookings.booking_earn(card_number=card.number, program=points, purchase_amount_cents=100 + index,
                              idempotency_key=f"clara-{index}", actor=SYSTEM)
    newest = card.bookings.order_by("-pk").first()
    oldest = card.bookings.order_by("pk").first()

    first = owner_client.get(f"/manage/cardholders/{card.cardholder_id}/").content.decode()
    second = owner_client.get(f"/manage/cardholders/{card.cardholder_id}/?page=2").content.decode()

    assert f'id="booking-{newest.pk}"' in first and f'id="booking-{oldest.pk}"' not in first
    assert f'id="booking-{oldest.pk}"' in second and "Page 2 of 2" in second
    assert first.index(f'id="booking-{newest.pk}"') < first.index(f'id="booking-{newest.pk - 1}"')


def test_an_unknown_person_is_404(owner_client):
    assert owner_client.get("/manage/cardholders/999999/").status_code == 404


def test_the_page_costs_the_same_queries_with_a_long_history(owner_client, in_alice, points, prepaid):
    def queries_for(bookings_count: int) -> int:
        card = register(first_name="Dora", last_name=f"Dauer{bookings_count}")
        for index in range(bookings_count):
            bookings.booking_earn(card_number=card.number, program=points, purchase_amount_cents=500 + index,
                                  idempotency_key=f"d{bookings_count}-{index}", actor=SYSTEM)
            bookings.booking_top_up(card_number=card.number, program=prepaid, amount_cents=500,
                                    idempotency_key=f"t{bookings_count}-{index}", actor=SYSTEM)
        owner_client.get(f"/manage/cardholders/{card.cardholder_id}/")  # the catalog and session loaded
        with CaptureQueriesContext(connection) as queries:
            assert owner_client.get(f"/manage/cardholders/{card.cardholder_id}/").status_code == 200
        return len(queries)

    assert queries_for(2) == queries_for(20)
