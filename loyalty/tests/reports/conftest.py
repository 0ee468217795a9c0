"""Fixtures of the report tests: alice's prepaid and voucher bookings on known days of December
2025, moved there after booking (the ledger stamps its rows with the time of booking)."""
import datetime
from dataclasses import dataclass
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import Booking, Lot
from loyalty.services.bookings import (
    booking_earn,
    booking_pay,
    booking_reverse,
    booking_top_up,
    booking_voucher_issue,
    booking_voucher_redeem,
    lots_expire,
)
from loyalty.tests.manage.conftest import in_alice, owner, owner_client  # noqa: F401 (fixtures)
from loyalty.tests.staff.conftest import cashier, manager, sign_in  # noqa: F401 (fixtures)
from tests.support.factories import CardFactory, ProgramFactory

SYSTEM = Actor(label="system:test")
BERLIN = ZoneInfo("Europe/Berlin")
YEAR_END = datetime.date(2025, 12, 31)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def moved(book, moment: datetime.datetime):
    """What `book()` books, booked at that moment (the ledger is append-only: its times are
    the clock's when the rows are written)."""
    with mock.patch("django.utils.timezone.now", return_value=moment.astimezone(datetime.UTC)):
        return book()


@dataclass
class Books:
    prepaid: object
    single: object
    multi: object
    points: object
    first: object
    second: object


@pytest.fixture
def books(alice) -> Books:
    return december_books()


def december_books() -> Books:
    """December 2025 at alice's:
    10.12. top-up 50,00 € (first card), single-purpose voucher 30,00 € (second), multi-purpose
           voucher 20,00 € (first), 120 points (first);
    20.12. payment 12,34 € (first), voucher redeemed 10,00 € (second), top-up 10,00 € (second)
           reversed the same day;
    28.12. the multi-purpose voucher expires (booked away by the nightly expiry);
    31.12. 23:30 a top-up 1,00 € (first): still the year's; 1.1. 00:30 a payment 0,50 €: the next year's.
    At the end of 31.12.: prepaid 38,66 € on one card, single-purpose 20,00 € on one, multi 0."""
    with schema_context("alice"):
        books = Books(prepaid=ProgramFactory(kind="prepaid", name="Guthaben"),
                      single=ProgramFactory(kind="voucher", name="Brotgutschein", voucher_purpose="single"),
                      multi=ProgramFactory(kind="voucher", name="Geschenkgutschein", voucher_purpose="multi"),
                      points=ProgramFactory(kind="points", name="Bonuspunkte"),
                      first=CardFactory(), second=CardFactory())
        first, second = books.first.number, books.second.number
        day = datetime.date(2025, 12, 10)
        moved(lambda: booking_top_up(card_number=first, program=books.prepaid, amount_cents=5_000,
                             idempotency_key="t1", actor=SYSTEM), at(day, 9))
        moved(lambda: booking_voucher_issue(card_number=second, program=books.single, amount_cents=3_000,
                                    idempotency_key="v1", actor=SYSTEM), at(day, 10))
        multi = moved(lambda: booking_voucher_issue(card_number=first, program=books.multi, amount_cents=2_000,
                                            idempotency_key="v2", actor=SYSTEM), at(day, 11))
        moved(lambda: booking_earn(card_number=first, program=books.points, purchase_amount_cents=12_000,
                           idempotency_key="e1", actor=SYSTEM), at(day, 12))
        day = datetime.date(2025, 12, 20)
        moved(lambda: booking_pay(card_number=first, program=books.prepaid, amount_cents=1_234,
                          idempotency_key="p1", actor=SYSTEM), at(day, 9))
        moved(lambda: booking_voucher_redeem(card_number=second, program=books.single, amount_cents=1_000,
                                     idempotency_key="r1", actor=SYSTEM), at(day, 10))
        top_up = moved(lambda: booking_top_up(card_number=second, program=books.prepaid, amount_cents=1_000,
                                      idempotency_key="t2", actor=SYSTEM), at(day, 11))
        moved(lambda: booking_reverse(booking_id=top_up.pk, idempotency_key="u1", actor=SYSTEM), at(day, 12))
        Lot.objects.filter(account__program=books.multi).update(expires_on=datetime.date(2025, 12, 27))
        assert moved(lambda: lots_expire(today=datetime.date(2025, 12, 28), actor=SYSTEM),
                     at(datetime.date(2025, 12, 28), 0, 5)) == 1
        expiry = Booking.objects.get(kind=Booking.Kind.EXPIRY)
        assert expiry.card_id == books.first.pk and multi.pk < expiry.pk
        moved(lambda: booking_top_up(card_number=first, program=books.prepaid, amount_cents=100,
                             idempotency_key="t3", actor=SYSTEM), at(YEAR_END, 23, 30))
        moved(lambda: booking_pay(card_number=first, program=books.prepaid, amount_cents=50,
                          idempotency_key="p2", actor=SYSTEM), at(datetime.date(2026, 1, 1), 0, 30))
    return books
