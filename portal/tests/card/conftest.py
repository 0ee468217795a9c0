"""A merchant with one program of every kind and a cardholder whose card carries known balances,
booked at a named till by a named member of staff (whose name the cardholder must never see)."""
import datetime
import itertools
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import Card, Lot, Program
from loyalty.services import bookings
from loyalty.services.terminals import terminal_create
from tenants.accounts.models import User
from tests.support.baseline import owner_email
from tests.support.factories import ProgramFactory, RewardFactory

STAFF_NAME = "Olga Oberkassiererin"
TILL_NAME = "Kasse Marktplatz"
_keys = itertools.count(1)


def key() -> str:
    return f"portal-card-{next(_keys)}"


@dataclass
class Shop:
    merchant: object
    points: Program
    prepaid: Program
    stamps: Program
    voucher: Program
    actor: Actor

    def book(self, service, card: Card, **arguments):
        with schema_context(self.merchant.schema_name):
            return service(card_number=card.number, idempotency_key=key(), actor=self.actor, **arguments)


@pytest.fixture
def shop_of():
    """`shop_of(merchant, prefix="")`: the merchant's four programs (their names start with the
    prefix) and an actor at its till "Kasse Marktplatz" (bob's till is named after bob)."""

    def make(merchant, *, prefix: str = "") -> Shop:
        with schema_context(merchant.schema_name):
            points = ProgramFactory(kind="points", name=f"{prefix}Bonuspunkte", points_per_euro=Decimal(1),
                                    expiry="rolling_months", expiry_months=2)
            for name, needed in (("Croissant", 100), ("Kaffee", 150), ("Torte", 500)):
                RewardFactory(program=points, name=f"{prefix}{name}", points=needed)
            prepaid = ProgramFactory(kind="prepaid", name=f"{prefix}Guthaben", max_balance_cents=20_000)
            stamps = ProgramFactory(kind="stamps", name=f"{prefix}Kaffeekarte", stamps_per_reward=10,
                                    stamp_reward=f"1 {prefix}Kaffee")
            voucher = ProgramFactory(kind="voucher", name=f"{prefix}Geschenkgutschein", voucher_presets=[1000, 2500])
            staff = User.objects.get(email=owner_email(merchant.schema_name))
            staff.full_name = STAFF_NAME
            staff.save(update_fields=["full_name"])
            till, _token = terminal_create(name=f"{prefix}{TILL_NAME}", actor=Actor(label="test"))
            return Shop(merchant, points, prepaid, stamps, voucher, Actor(user=staff, terminal=till))

    return make


@dataclass
class Figures:
    """What the card page must show for the booked card."""

    expiring_on: datetime.date  # 17 points then
    later_on: datetime.date  # 113 points then, beyond the 90 days
    voucher_until: datetime.date


def book_known_balances(shop: Shop, card: Card) -> Figures:
    """130 points (17 of them ending in 30 days), 12,50 € prepaid, 7 of 10 stamps, a voucher of
    20,00 € left of 25,00 €."""
    shop.book(bookings.booking_earn, card, program=shop.points, purchase_amount_cents=1200)
    shop.book(bookings.booking_earn, card, program=shop.points, purchase_amount_cents=11_350)
    with schema_context(shop.merchant.schema_name):
        bookings.booking_bonus(card_number=card.number, program=shop.points, points=5, reason="Geburtstag",
                               idempotency_key=key(), actor=Actor.system("nightly"))
    shop.book(bookings.booking_top_up, card, program=shop.prepaid, amount_cents=2000)
    shop.book(bookings.booking_pay, card, program=shop.prepaid, amount_cents=750)
    shop.book(bookings.booking_stamp, card, program=shop.stamps, stamps=7)
    shop.book(bookings.booking_voucher_issue, card, program=shop.voucher, amount_cents=2500)
    shop.book(bookings.booking_voucher_redeem, card, program=shop.voucher, amount_cents=500)
    today = timezone.localdate()
    soon, later = today + datetime.timedelta(days=30), today + datetime.timedelta(days=200)
    with schema_context(shop.merchant.schema_name):
        # The lots as if earned on other days: 12 + 5 points end in 30 days, 113 much later.
        lots = Lot.objects.filter(account__card=card, account__program=shop.points)
        lots.filter(amount__in=(12, 5)).update(expires_on=soon)
        lots.filter(amount=113).update(expires_on=later)
        voucher_until = Lot.objects.get(account__card=card, account__program=shop.voucher).expires_on
    return Figures(expiring_on=soon, later_on=later, voucher_until=voucher_until)


@pytest.fixture
def alices_shop(alice, shop_of):
    return shop_of(alice)


@pytest.fixture
def hanna(alice, alices_shop, holder_of):
    """alice's cardholder Hanna with a card carrying the known balances; `.figures` the dates."""
    card = holder_of(alice, first_name="Hanna", email="hanna@example.com")
    card.figures = book_known_balances(alices_shop, card)
    return card
