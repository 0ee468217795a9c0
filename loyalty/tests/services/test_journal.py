"""The journal of bookings in the back office: newest first, filtered, with a voucher's purpose;
alice's journal is not visible from bob's or charlie's host."""
import pytest
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.services.bookings import booking_earn, booking_reverse, booking_voucher_issue
from tests.support.baseline import PASSWORD, owner_email
from tests.support.factories import CardFactory, ProgramFactory

pytestmark = pytest.mark.django_db
ACTOR = Actor(label="test")


@pytest.fixture
def signed_in(host_client):
    def make(merchant):
        client = host_client(merchant)
        response = client.post("/manage/login/", {"username": owner_email(merchant.schema_name),
                                                  "password": PASSWORD})
        assert response.status_code == 302
        return client

    return make


@pytest.fixture
def booked(alice):
    """Alice's bookings: a purchase that was reversed, a single-purpose voucher sold on another card."""
    with schema_context("alice"):
        points = ProgramFactory(kind="points", name="Bonuspunkte")
        voucher = ProgramFactory(kind="voucher", name="Geschenkgutschein", voucher_purpose="single")
        card, other = CardFactory(), CardFactory()
        sale = booking_earn(card_number=card.number, program=points, purchase_amount_cents=1_250,
                            idempotency_key="sale", actor=ACTOR, receipt_number="R-17")
        booking_reverse(booking_id=sale.pk, idempotency_key="undo", actor=ACTOR)
        sold = booking_voucher_issue(card_number=other.number, program=voucher, amount_cents=5_000,
                                     idempotency_key="voucher", actor=ACTOR)
        return {"card": card, "other": other, "sale": sale, "sold": sold, "points": points}


def rows(response) -> list[str]:
    """The ids of the bookings listed, in their order."""
    html = response.content.decode()
    return [part.split('"', 1)[0] for part in html.split('<tr id="booking-')[1:]]


def test_the_journal_lists_the_bookings_newest_first(alice, booked, signed_in):
    response = signed_in(alice).get("/manage/journal/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    html = response.content.decode()
    sale, sold = booked["sale"].pk, booked["sold"].pk
    assert rows(response) == [str(sold), str(sale + 1), str(sale)]
    assert "3 bookings" in html
    assert "purchase 12.50 €" in html and "R-17" in html and "+12 points" in html
    assert "Einzweckgutschein" in html  # the voucher's purpose, for VAT


@pytest.mark.parametrize(("query", "expected"), [
    ("kind=voucher_issue", ["sold"]),
    ("card_number={card}", ["undo", "sale"]),
    ("program={points}&kind=earn", ["sale"]),
    ("date_from=2000-01-01&date_to=2000-01-31", []),
])
def test_the_journal_is_filtered(alice, booked, signed_in, query, expected):
    ids = {"sold": booked["sold"].pk, "sale": booked["sale"].pk, "undo": booked["sale"].pk + 1}
    path = "/manage/journal/?" + query.format(card=booked["card"].number, points=booked["points"].pk)

    response = signed_in(alice).get(path, HTTP_ACCEPT_LANGUAGE="en")

    assert rows(response) == [str(ids[name]) for name in expected]
    if not expected:
        assert "No booking matches these filters." in response.content.decode()


def test_an_end_before_the_start_is_named_next_to_the_field_and_kept(alice, booked, signed_in):
    response = signed_in(alice).get("/manage/journal/?date_from=2026-03-02&date_to=2026-03-01",
                                    HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert response.status_code == 200 and rows(response) == []
    assert "The end is before the start: please pick a later day." in html
    assert 'value="2026-03-02"' in html and 'value="2026-03-01"' in html


def test_the_journal_is_paginated(alice, signed_in):
    with schema_context("alice"):
        points, card = ProgramFactory(kind="points"), CardFactory()
        for index in range(51):
            booking_earn(card_number=card.number, program=points, purchase_amount_cents=100,
                         idempotency_key=f"k{index}", actor=ACTOR)
    client = signed_in(alice)

    first = client.get("/manage/journal/?kind=earn", HTTP_ACCEPT_LANGUAGE="en")
    second = client.get("/manage/journal/?kind=earn&page=2", HTTP_ACCEPT_LANGUAGE="en")

    assert len(rows(first)) == 50 and len(rows(second)) == 1
    assert "Page 1 of 2" in first.content.decode()
    assert 'href="?kind=earn&amp;page=2"' in first.content.decode()


def test_alices_journal_is_invisible_from_bobs_and_charlies_hosts(alice, bob, charlie, booked, signed_in):
    with schema_context("bob"):
        bobs = booking_earn(card_number=CardFactory().number, program=ProgramFactory(kind="points"),
                            purchase_amount_cents=300, idempotency_key="bob", actor=ACTOR)
    for merchant in (bob, charlie):
        client = signed_in(merchant)
        everything = client.get("/manage/journal/")
        by_card = client.get(f"/manage/journal/?card_number={booked['card'].number}")

        assert rows(everything) == ([str(bobs.pk)] if merchant == bob else [])
        assert rows(by_card) == []
        for response in (everything, by_card):
            html = response.content.decode()
            assert booked["other"].number not in html and "R-17" not in html
