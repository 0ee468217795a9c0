"""Fixtures of the journal tests: alice's bookings of every program kind, generated with known
sums, at a till and by the system; alice's people signed in to the back office."""
import random
from dataclasses import dataclass, field

import pytest
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.services.bookings import (
    booking_adjust,
    booking_earn,
    booking_pay,
    booking_return,
    booking_reverse,
    booking_stamp,
    booking_top_up,
    booking_voucher_issue,
    booking_voucher_redeem,
)
from loyalty.services.terminals import terminal_create
from loyalty.tests.manage.conftest import in_alice, owner, owner_client  # noqa: F401 (fixtures)
from loyalty.tests.staff.conftest import cashier, manager, sign_in  # noqa: F401 (fixtures)
from tenants.accounts.models import User
from tests.support.baseline import owner_email
from tests.support.factories import CardFactory, ProgramFactory

SYSTEM = Actor(label="system:test")


@dataclass
class Ledger:
    """What was booked, for the tests to compare with."""

    points: object
    prepaid: object
    stamps: object
    voucher: object
    till: object  # the terminal
    cards: list
    earns: list = field(default_factory=list)  # (booking, purchase cents)
    reversed_earns: set = field(default_factory=set)
    returned: object = None  # (sale, returned cents)


@pytest.fixture
def ledger(alice) -> Ledger:
    """Thirty purchases of random amounts on two cards, at a till and by the system, every fifth
    one reversed and one partly returned; a top-up and a payment, stamps, a voucher sold and
    partly redeemed, an adjustment down."""
    chance = random.Random(16)
    with schema_context("alice"):
        owner_user = User.objects.get(email=owner_email("alice"))
        terminal, _token = terminal_create(name="Kasse 1", actor=SYSTEM)
        at_till = Actor(user=owner_user, terminal=terminal)
        ledger = Ledger(points=ProgramFactory(kind="points", name="Bonuspunkte"),
                        prepaid=ProgramFactory(kind="prepaid", name="Guthaben"),
                        stamps=ProgramFactory(kind="stamps", name="Kaffeekarte"),
                        voucher=ProgramFactory(kind="voucher", name="Gutschein"),
                        till=terminal, cards=[CardFactory(), CardFactory()])
        for index in range(30):
            cents = chance.randint(100, 9_999)
            card = ledger.cards[index % 2]
            sale = booking_earn(card_number=card.number, program=ledger.points, purchase_amount_cents=cents,
                                idempotency_key=f"earn-{index}", actor=at_till if index % 3 else SYSTEM)
            ledger.earns.append((sale, cents))
            if index % 5 == 4:
                booking_reverse(booking_id=sale.pk, idempotency_key=f"undo-{index}", actor=SYSTEM)
                ledger.reversed_earns.add(sale.pk)
        sale, cents = ledger.earns[0]
        booking_return(sale_id=sale.pk, return_amount_cents=cents // 2, idempotency_key="return", actor=at_till)
        ledger.returned = (sale, cents // 2)
        first, second = ledger.cards
        booking_top_up(card_number=first.number, program=ledger.prepaid, amount_cents=5_000,
                       idempotency_key="top-up", actor=at_till)
        booking_pay(card_number=first.number, program=ledger.prepaid, amount_cents=1_234,
                    idempotency_key="pay", actor=at_till)
        booking_stamp(card_number=first.number, program=ledger.stamps, stamps=3, idempotency_key="stamp",
                      actor=at_till)
        booking_voucher_issue(card_number=second.number, program=ledger.voucher, amount_cents=2_500,
                              idempotency_key="voucher", actor=at_till)
        booking_voucher_redeem(card_number=second.number, program=ledger.voucher, amount_cents=1_000,
                               idempotency_key="voucher-redeem", actor=at_till)
        booking_adjust(card_number=second.number, program=ledger.points, amount=-5, reason="Kulanz zurück",
                       idempotency_key="adjust", actor=Actor(user=owner_user))
    return ledger


@pytest.fixture
def manager_client(alice, manager):  # noqa: F811 (the fixture imported above)
    client = sign_in(alice, manager.email)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
