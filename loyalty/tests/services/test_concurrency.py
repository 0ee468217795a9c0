"""Many tills at once against real PostgreSQL row locks: nothing is lost, doubled or overdrawn."""
import uuid

from django.db.models import Sum
from django_tenants.utils import schema_context

from loyalty import errors
from loyalty.actors import Actor
from loyalty.models import Account, Booking, LedgerEntry
from loyalty.services import bookings as svc
from tests.support.concurrency import run_at_once
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
