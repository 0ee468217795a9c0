"""Generated bookings over several weeks with known answers: programs of every kind, two terminals,
two staff members and the system, cardholders of every segment (including one who refused the
analysis consent, one who never answered and one who withdraws it), reversals and returns; and a few
earlier visits in December, January and February, one reversed and one returned in March, so that
periods made of whole years, whole months and single days each have bookings."""
import datetime
import random
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import Booking, Cardholder
from loyalty.roles import BUILT_IN_ROLES, MANAGER, role_group
from loyalty.services import bookings as book
from loyalty.services.cardholders import card_register, consent_record
from loyalty.services.terminals import terminal_create
from loyalty.statistics.rollups import statistics_refresh
from tenants.accounts.models import User
from tests.support.factories import CardFactory, ProgramFactory

SYSTEM = Actor(label="system:test")
FIRST_DAY = datetime.date(2026, 3, 2)  # a Monday
DAYS = 21
EARLIER_DAYS = [datetime.date(2025, 12, 30), datetime.date(2026, 1, 20), datetime.date(2026, 2, 26)]
PEOPLE = [  # gender, birth date, postcode, analysis consent (None: never asked)
    ("f", datetime.date(2004, 5, 1), "10115", True),
    ("m", datetime.date(1990, 1, 9), "80331", True),
    ("d", datetime.date(1979, 7, 30), "20095", True),
    ("f", datetime.date(1950, 2, 2), "1010", True),
    ("m", datetime.date(1968, 3, 3), "10117", False),
    ("", None, "", None),
    ("f", datetime.date(1985, 12, 24), "80333", True),  # withdraws the consent on the last day
]


def moment(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def backdate(booking_ids, when: datetime.datetime) -> None:
    """Bookings are append-only (a trigger refuses updates); the tests lift it to place them in time."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE loyalty_booking DISABLE TRIGGER loyalty_booking_append_only")
        cursor.execute("UPDATE loyalty_booking SET created_at = %s WHERE id = ANY(%s)", [when, list(booking_ids)])
        cursor.execute("ALTER TABLE loyalty_booking ENABLE TRIGGER loyalty_booking_append_only")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@dataclass
class World:
    programs: dict
    terminals: list
    staff: list
    cards: list
    people: list
    days: list = field(default_factory=list)
    withdrawer: Cardholder | None = None


def world_build(*, refresh_each_day: bool) -> World:
    chance = random.Random(18)
    owner = User.objects.filter(is_superuser=True).first()
    seller = User.objects.create_user("verkauf@alice.example", "x-Passwort-1", full_name="Vera Kauf")
    seller.groups.add(role_group(BUILT_IN_ROLES[MANAGER]))
    staff = [owner, seller]
    terminals = [terminal_create(name=name, actor=SYSTEM)[0] for name in ("Filiale Mitte", "Filiale Nord")]
    programs = {kind: ProgramFactory(kind=kind, name=f"Programm {kind}") for kind in ("points", "prepaid", "stamps", "voucher")}
    cards, people = [], []
    for index, (gender, birth, postcode, consent) in enumerate(PEOPLE):
        card = card_register(card_number=CardFactory(status="unissued").number, actor=SYSTEM,
                             first_name=f"Vorname{index}", last_name=f"Nachname{index}", gender=gender,
                             birth_date=birth, postcode=postcode)
        if consent is not None:
            consent_record(cardholder=card.cardholder, purpose="analysis", granted=consent, source="back_office",
                           actor=SYSTEM)
        Cardholder.objects.filter(pk=card.cardholder_id).update(created_at=moment(FIRST_DAY + datetime.timedelta(days=index * 2)))
        cards.append(card)
        people.append(card.cardholder)
    cards.append(CardFactory())  # an anonymous card
    world = World(programs=programs, terminals=terminals, staff=staff, cards=cards, people=people,
                  withdrawer=people[6])

    def actor():
        pick = chance.randrange(5)
        if pick == 4:
            return SYSTEM
        return Actor(user=staff[pick % 2], terminal=terminals[pick // 2 % 2])

    earlier = []
    for day in EARLIER_DAYS:
        made = [book.booking_earn(card_number=card.number, program=programs["points"],
                                  purchase_amount_cents=chance.randint(100, 9_999),
                                  idempotency_key=f"early-{day}-{number}", actor=actor())
                for number, card in enumerate(cards) if chance.random() < 0.6]
        earlier += made
        backdate([sale.pk for sale in made], moment(day, 10))
        if refresh_each_day:
            statistics_refresh(today=day)
    sales = []
    for offset in range(DAYS):
        day = FIRST_DAY + datetime.timedelta(days=offset)
        world.days.append(day)
        made = []
        if offset == 1:  # February's last sale reversed, December's first partly returned, in March
            made.append(book.booking_reverse(booking_id=earlier[-1].pk, idempotency_key="r-early", actor=SYSTEM).pk)
            made.append(book.booking_return(sale_id=earlier[0].pk, return_amount_cents=60,
                                            idempotency_key="x-early", actor=actor()).pk)
        for number, card in enumerate(cards):
            if chance.random() < 0.3:
                continue
            key = f"{offset}-{number}"
            sale = book.booking_earn(card_number=card.number, program=programs["points"],
                                     purchase_amount_cents=chance.randint(100, 9_999), idempotency_key=f"e{key}",
                                     actor=actor())
            made.append(sale.pk)
            sales.append(sale)
            if chance.random() < 0.5:
                made.append(book.booking_top_up(card_number=card.number, program=programs["prepaid"],
                                                amount_cents=2_000, idempotency_key=f"t{key}", actor=actor()).pk)
                made.append(book.booking_pay(card_number=card.number, program=programs["prepaid"],
                                             amount_cents=chance.randint(100, 1_500), idempotency_key=f"p{key}",
                                             actor=actor()).pk)
            if chance.random() < 0.5:
                made.append(book.booking_stamp(card_number=card.number, program=programs["stamps"], stamps=2,
                                               idempotency_key=f"s{key}", actor=actor()).pk)
            if chance.random() < 0.3:
                made.append(book.booking_voucher_issue(card_number=card.number, program=programs["voucher"],
                                                       amount_cents=1_000, idempotency_key=f"v{key}",
                                                       actor=actor()).pk)
                made.append(book.booking_voucher_redeem(card_number=card.number, program=programs["voucher"],
                                                        amount_cents=400, idempotency_key=f"w{key}",
                                                        actor=actor()).pk)
        if offset % 4 == 3 and len(sales) > 3:  # a reversal and a return of earlier sales
            made.append(book.booking_reverse(booking_id=sales[-4].pk, idempotency_key=f"r{offset}", actor=SYSTEM).pk)
            made.append(book.booking_return(sale_id=sales[-3].pk, return_amount_cents=50,
                                            idempotency_key=f"x{offset}", actor=actor()).pk)
            del sales[-4:-2]
        if offset == 5:
            made.append(book.booking_adjust(card_number=cards[0].number, program=programs["points"], amount=-3,
                                            reason="Korrektur", idempotency_key="adj", actor=Actor(user=owner)).pk)
            made.append(book.booking_bonus(card_number=cards[1].number, program=programs["points"], points=50,
                                           reason="Aktion", idempotency_key="bonus", actor=SYSTEM).pk)
        backdate(made, moment(day, 8 + offset % 10))
        if refresh_each_day:
            statistics_refresh(today=day)
    consent_record(cardholder=world.withdrawer, purpose="analysis", granted=False, source="back_office", actor=SYSTEM)
    if refresh_each_day:
        statistics_refresh(today=world.days[-1])
    assert Booking.objects.filter(kind="reversal").exists() and Booking.objects.filter(kind="return").exists()
    return world


@pytest.fixture
def world(alice) -> World:
    with schema_context(alice.schema_name):
        built = world_build(refresh_each_day=True)
        yield built
