"""What a cardholder sees of their own cards in the customer portal: the cards, the balance of each
program, the rewards within reach, the points expiring soon, the vouchers and the bookings. Every
read starts from the person, so a card of anyone else is never found; the portal books nothing."""
import datetime
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from loyalty.actors import Actor
from loyalty.catalog import catalog
from loyalty.errors import LoyaltyError
from loyalty.models import Booking, Card, Cardholder, LedgerEntry, Lot, Program
from loyalty.programs.base import Goal
from loyalty.selectors import account_state, cards_with_accounts
from loyalty.services.cards import card_block_refusal

# Points whose lots end within this many days are "expiring soon".
EXPIRING_WITHIN_DAYS = 90
# The cards a person sees: those handed out to them, including the blocked and the replaced ones.
SHOWN_STATUSES = (Card.Status.ACTIVE, Card.Status.BLOCKED, Card.Status.REPLACED)
_STATUS_ORDER = Case(*(When(status=status, then=Value(position)) for position, status in enumerate(SHOWN_STATUSES)),
                     output_field=IntegerField())


@dataclass(frozen=True)
class Expiring:
    """Points (or another credit in lots) ending on one day."""

    on: datetime.date
    amount: int
    text: str


@dataclass(frozen=True)
class Voucher:
    """What is left of one voucher on the card, and its last day (None: no end)."""

    remaining: int
    text: str
    valid_until: datetime.date | None


@dataclass(frozen=True)
class Balance:
    """One program's account on a card as the cardholder reads it: what can be spent now."""

    program: Program
    amount: int
    text: str  # "120 points", "12,50 €", "7 of 10 stamps"
    goals: list[Goal] = field(default_factory=list)
    expiring: list[Expiring] = field(default_factory=list)
    vouchers: list[Voucher] = field(default_factory=list)

    @property
    def reached(self) -> list[Goal]:
        return [goal for goal in self.goals if goal.reached]

    @property
    def next_goal(self) -> Goal | None:
        return next((goal for goal in self.goals if not goal.reached), None)


@dataclass(frozen=True)
class PortalCard:
    card: Card
    balances: list[Balance]
    # Why the cardholder cannot block this card from the portal (None: they can): the service's rule.
    block_refusal: LoyaltyError | None
    successor_number: str = ""  # the card that replaced this one

    @property
    def may_block(self) -> bool:
        return self.block_refusal is None


@dataclass(frozen=True)
class ProgramDescription:
    program: Program
    lines: list[str]


def portal_programs_described(*, today: datetime.date | None = None) -> list[ProgramDescription]:
    """The merchant's active programs, each in plain words (the behaviours' `describe`)."""
    today = today or timezone.localdate()
    return [ProgramDescription(program, program.behaviour.describe(today=today))
            for program in catalog().active_programs()]


def portal_cards_of(cardholder: Cardholder) -> QuerySet[Card]:
    """The person's cards: active first, then blocked, then replaced; by number within each."""
    return (Card.objects.filter(cardholder=cardholder, status__in=SHOWN_STATUSES)
            .annotate(status_order=_STATUS_ORDER).order_by("status_order", "number"))


def portal_card_find(cardholder: Cardholder, number: str) -> Card | None:
    """The person's own card with this number; None for anyone else's card or no card at all."""
    return portal_cards_of(cardholder).filter(number=str(number).strip()).first()


def _lots_by_account(account_ids, *, today: datetime.date) -> dict[int, list[Lot]]:
    """The open lots of these accounts that can still be spent, ending first."""
    lots: dict[int, list[Lot]] = {}
    found = (Lot.objects.filter(account__in=account_ids, remaining__gt=0)
             .exclude(expires_on__lt=today).order_by("expires_on", "pk"))
    for lot in found:
        lots.setdefault(lot.account_id, []).append(lot)
    return lots


def _expiring(behaviour, lots: list[Lot], *, today: datetime.date) -> list[Expiring]:
    until = today + datetime.timedelta(days=EXPIRING_WITHIN_DAYS)
    per_day: dict[datetime.date, int] = {}
    for lot in lots:
        if lot.expires_on is not None and lot.expires_on <= until:
            per_day[lot.expires_on] = per_day.get(lot.expires_on, 0) + lot.remaining
    return [Expiring(day, amount, behaviour.amount_text(amount)) for day, amount in sorted(per_day.items())]


def _balances(card: Card, lots: dict[int, list[Lot]], *, today: datetime.date) -> list[Balance]:
    """Every active program (none booked yet reads zero), and a paused one where something is left."""
    accounts = {account.program_id: account for account in card.accounts.all()}
    balances = []
    for program in catalog().programs.values():
        account = accounts.get(program.pk)
        state = account_state(account)
        if not program.is_active and state.available <= 0:
            continue
        behaviour = program.behaviour
        open_lots = lots.get(account.pk, []) if account is not None else []
        balances.append(Balance(
            program=program, amount=state.available, text=behaviour.balance_text(state.available),
            # A blocked card redeems nothing: what its balance covers waits for the replacement.
            goals=behaviour.goals(state) if card.status == Card.Status.ACTIVE else [],
            expiring=_expiring(behaviour, open_lots, today=today) if program.kind == Program.Kind.POINTS else [],
            vouchers=([Voucher(lot.remaining, behaviour.amount_text(lot.remaining), lot.expires_on)
                       for lot in open_lots] if program.kind == Program.Kind.VOUCHER else []),
        ))
    return balances


def portal_cards(cardholder: Cardholder, *, actor: Actor, today: datetime.date | None = None) -> list[PortalCard]:
    """The person's cards with their balances; a replaced card names its successor and shows no
    balance (they moved to the new card)."""
    today = today or timezone.localdate()
    cards = list(cards_with_accounts(today=today).filter(pk__in=portal_cards_of(cardholder).values("pk"))
                 .select_related("replaced_by").annotate(status_order=_STATUS_ORDER)
                 .order_by("status_order", "number"))
    lots = _lots_by_account([account.pk for card in cards for account in card.accounts.all()
                             if card.status != Card.Status.REPLACED], today=today)
    return [
        PortalCard(
            card=card,
            balances=[] if card.status == Card.Status.REPLACED else _balances(card, lots, today=today),
            block_refusal=card_block_refusal(card, actor=actor),
            successor_number=card.replaced_by.number if card.replaced_by_id else "",
        )
        for card in cards
    ]


def portal_history_card_ids(cardholder: Cardholder) -> set[int]:
    """The person's cards and every card they replaced (a replaced card may have been anonymous)."""
    ids = set(Card.objects.filter(cardholder=cardholder).values_list("pk", flat=True))
    new = ids
    while new:
        new = set(Card.objects.filter(replaced_by__in=new).values_list("pk", flat=True)) - ids
        ids |= new
    return ids


def portal_bookings(cardholder: Cardholder, *, card: Card | None = None) -> QuerySet[Booking]:
    """Every booking of the person's cards (and of the cards they replaced), or of one of them,
    newest first, with what each changed. A replacement is booked on the old card and moves the
    balances onto the new one: it shows on both."""
    if card is None:
        bookings = Booking.objects.filter(card__in=portal_history_card_ids(cardholder))
    else:
        bookings = Booking.objects.filter(
            Q(card=card) | Q(pk__in=LedgerEntry.objects.filter(account__card=card).values("booking")))
    return (bookings.select_related("card__replaced_by", "program", "terminal", "reward", "reverses")
            .annotate(reversed_=Exists(Booking.objects.filter(reverses=OuterRef("pk"))))
            .prefetch_related(Prefetch("entries", LedgerEntry.objects.select_related("account", "lot")))
            .order_by("-created_at", "-pk"))

