"""Many tills at once against real PostgreSQL row locks: nothing is lost, doubled or overdrawn."""
import http.client
import json
import uuid

import pytest
from django.db.models import Sum
from django_tenants.utils import schema_context

from loyalty import errors
from loyalty.actors import Actor
from loyalty.models import Account, Booking, Card, LedgerEntry
from loyalty.services import bookings as svc
from loyalty.services.cards import card_replace
from loyalty.services.terminals import terminal_create
from tests.support.concurrency import run_at_once, wait_until
from tests.support.factories import CardFactory, ProgramFactory

ACTOR = Actor(label="test")


def _run_at_once(count: int, call) -> list:
    """`call(i)` in `count` threads at once, each inside alice's schema."""

    def in_alice(index):
        with schema_context("alice"):
            return call(index)

    return run_at_once(count, in_alice)


def _prepaid_card_with(cents: int):
    with schema_context("alice"):
        card = CardFactory()
        program = ProgramFactory(kind="prepaid")
        svc.booking_top_up(card_number=card.number, program=program, amount_cents=cents,
                           idempotency_key=str(uuid.uuid4()), actor=ACTOR)
    return card, program


def test_fifty_concurrent_payments_with_room_for_ten_book_exactly_ten(committed, alice):
    card, program = _prepaid_card_with(1_000)

    results = _run_at_once(50, lambda i: svc.booking_pay(
        card_number=card.number, program=program.pk, amount_cents=100,
        idempotency_key=f"pay-{i}", actor=ACTOR))

    booked = [r for r in results if isinstance(r, Booking)]
    refused = [r for r in results if isinstance(r, errors.InsufficientBalance)]
    assert (len(booked), len(refused)) == (10, 40), [r for r in results if isinstance(r, Exception)
                                                    and not isinstance(r, errors.InsufficientBalance)]
    with schema_context("alice"):
        account = Account.objects.get(card=card, program=program)
        assert account.balance == 0
        assert LedgerEntry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] == 0
        assert Booking.objects.filter(kind="pay").count() == 10


def test_the_same_request_sent_at_once_books_once_and_both_get_the_same_booking(committed, alice):
    card, program = _prepaid_card_with(1_000)

    results = _run_at_once(8, lambda i: svc.booking_pay(
        card_number=card.number, program=program.pk, amount_cents=300,
        idempotency_key="one-key", actor=ACTOR))

    assert all(isinstance(r, Booking) for r in results), results
    assert len({r.pk for r in results}) == 1
    with schema_context("alice"):
        assert Account.objects.get(card=card, program=program).balance == 700
        assert Booking.objects.filter(kind="pay").count() == 1


def test_a_reversal_sent_twice_at_the_same_time_books_once(committed, alice):
    card, program = _prepaid_card_with(1_000)
    with schema_context("alice"):
        top_up = Booking.objects.get(kind="top_up")

    results = _run_at_once(2, lambda i: svc.booking_reverse(
        booking_id=top_up.pk, idempotency_key=f"reverse-{i}", actor=ACTOR))

    assert sorted(type(r).__name__ for r in results) == ["AlreadyReversed", "Booking"]
    with schema_context("alice"):
        assert Booking.objects.filter(kind="reversal").count() == 1
        assert Account.objects.get(card=card, program=program).balance == 0


def test_concurrent_returns_of_one_sale_never_exceed_it(committed, alice):
    with schema_context("alice"):
        card = CardFactory()
        points = ProgramFactory(kind="points")
        sale = svc.booking_earn(card_number=card.number, program=points, purchase_amount_cents=5_000,
                                idempotency_key="sale", actor=ACTOR)

    results = _run_at_once(10, lambda i: svc.booking_return(
        sale_id=sale.pk, return_amount_cents=1_000, idempotency_key=f"return-{i}", actor=ACTOR))

    assert sum(isinstance(r, Booking) for r in results) == 5
    assert sum(isinstance(r, errors.ReturnExceedsSale) for r in results) == 5
    with schema_context("alice"):
        assert Account.objects.get(card=card, program=points).balance == 0


def _api_earn(port: int, host: str, token: str, card_number: str, program_id: int, key: str):
    """One earn through the REST API of the live site, as a cash register sends it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = json.dumps({"card_number": card_number, "program": program_id, "purchase_amount_cents": 1_000})
    connection.request("POST", "/api/bookings/earn/", body, {
        "Host": host, "Authorization": f"Terminal {token}", "Content-Type": "application/json",
        "Idempotency-Key": key, "Accept-Language": "en"})
    response = connection.getresponse()
    answer = (response.status, json.loads(response.read() or b"{}"))
    connection.close()
    return answer


@pytest.mark.parametrize("round_", range(2))
def test_sixteen_tills_booking_while_the_card_is_replaced_land_on_the_new_card_without_a_deadlock(
        committed, alice, live_site, round_):
    with schema_context("alice"):
        old, new = CardFactory(), CardFactory(status=Card.Status.UNISSUED)
        points = ProgramFactory(kind="points", expiry="year_end")
        _terminal, token = terminal_create(name="Register", actor=ACTOR)
        svc.booking_earn(card_number=old.number, program=points, purchase_amount_cents=5_000,
                         idempotency_key="before", actor=ACTOR)

    def earns_on_the_old_card():
        with schema_context("alice"):
            return Booking.objects.filter(card=old, kind="earn").count()

    def till_or_replacement(index):
        if index == 16:  # replaces the card while the tills are busy booking on it
            assert wait_until(lambda: earns_on_the_old_card() > 16, timeout=30)
            with schema_context("alice"):
                return card_replace(old_card_number=old.number, new_card_number=new.number,
                                    idempotency_key=f"replace-{round_}", actor=ACTOR)
        return [_api_earn(live_site.port, alice.primary_host, token, old.number, points.pk,
                          f"earn-{index}-{n}") for n in range(5)]

    results = run_at_once(17, till_or_replacement)

    replacement, answers = results[16], [answer for till in results[:16] for answer in till]
    assert isinstance(replacement, Booking), replacement
    assert {status for status, _body in answers} == {201, 409}, answers  # some before, some after
    assert {body["code"] for status, body in answers if status == 409} == {"card_replaced"}
    booked = sum(status == 201 for status, _body in answers)
    with schema_context("alice"):
        assert Account.objects.get(card=old, program=points).balance == 0
        assert Account.objects.get(card=new, program=points).balance == 50 + 10 * booked
        for account in Account.objects.filter(card__in=[old, new]):
            assert account.balance == LedgerEntry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"]
        # Every earn that was booked landed before the move: none is on the old card afterwards.
        move = Booking.objects.get(kind="card_replacement")
        assert not Booking.objects.filter(card=old, kind="earn", pk__gt=move.pk).exists()
        assert Booking.objects.filter(card=old, kind="earn").count() == booked + 1
