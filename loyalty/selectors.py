"""Read-side queries over a merchant's cards, balances and bookings."""
import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from loyalty.actors import Actor
from loyalty.catalog import catalog
from loyalty.errors import LoyaltyError
from loyalty.models import Account, Booking, Card, LedgerEntry, Lot, Program, Terminal
from loyalty.programs.base import AccountState
from loyalty.services.bookings import booking_effects, booking_reversal_refusal
from loyalty.services.ledger import service_refusal
from loyalty.services.terminals import terminal_token_hash


def terminal_by_token(token: str) -> Terminal | None:
    """The active terminal this token belongs to; a revoked terminal's token finds nothing.
    Asked on every request of a till or cash register: a plain statement, not compiled anew."""
    if not token:
        return None
    found = Terminal.objects.raw(
        f"SELECT * FROM {Terminal._meta.db_table} WHERE token_hash = %s AND is_active",
        [terminal_token_hash(token)],
    )
    return next(iter(found), None)


def card_counts_by_status() -> dict[str, int]:
    counts = dict.fromkeys(Card.Status.values, 0)
    for row in Card.objects.values("status").annotate(total=Count("id")):
        counts[row["status"]] = row["total"]
    return counts


def blank_card_count() -> int:
    """Cards printed but not handed out yet: the stock a reorder is measured against."""
    return Card.objects.filter(status=Card.Status.UNISSUED).count()


def highest_card_serial() -> int | None:
    """The serial of the highest card number the merchant has, if any."""
    # Card numbers are the zero-padded serial plus a check digit, so the highest sorts last.
    number = Card.objects.order_by("-number").values_list("number", flat=True).first()
    return int(number[:-1]) if number else None


def cards_in_number_range(first_number: str, last_number: str) -> list[Card]:
    """The cards from one number to another, in number order (the order of their serials)."""
    return list(Card.objects.filter(number__gte=first_number, number__lte=last_number).order_by("number"))


def accounts_with_expired(*, today: datetime.date | None = None) -> QuerySet[Account]:
    """Accounts annotated with `expired`: what of the balance has expired but is not booked away
    yet (see account_state)."""
    today = today or timezone.localdate()
    expired = (Lot.objects.expired(on=today).filter(account=OuterRef("pk"))
               .values("account").annotate(total=Sum("remaining")).values("total"))
    return Account.objects.annotate(expired=Coalesce(Subquery(expired), Value(0)))


def cards_with_accounts(*, today: datetime.date | None = None) -> QuerySet[Card]:
    """Cards with their holder and accounts, each account annotated with `expired`."""
    accounts = accounts_with_expired(today=today).select_related("program").order_by("program_id")
    return Card.objects.select_related("cardholder").prefetch_related(Prefetch("accounts", accounts))


def account_state(account: Account | None) -> AccountState:
    """An account of cards_with_accounts() as the rules see it; None: no account yet."""
    if account is None:
        return AccountState()
    return AccountState(balance=account.balance, available=account.balance - account.expired,
                        claim=account.claim)


def card_lineage(card: Card) -> list[Card]:
    """The card and the cards it replaced, newest first."""
    cards = [card]
    while (replaced := Card.objects.filter(replaced_by=cards[-1]).first()) is not None:
        cards.append(replaced)
    return cards


def card_recent_bookings(card: Card, *, limit: int = 10, with_predecessors: bool = False) -> list[Booking]:
    """The card's last bookings (and, if asked, those of the cards it replaced), newest first,
    with their entries and whether each has been reversed or (partly) returned."""
    cards = card_lineage(card) if with_predecessors else [card]
    return list(
        Booking.objects.filter(card__in=cards)
        .select_related("program")
        .annotate(reversed_=Exists(Booking.objects.filter(reverses=OuterRef("pk"))),
                  returned=Exists(Booking.objects.filter(returned_sale=OuterRef("pk"))))
        .prefetch_related(Prefetch("entries", LedgerEntry.objects.select_related("account__program")))
        .order_by("-id")[:limit]
    )


def booking_answer(booking: Booking) -> Booking:
    """The booking a service returned, with its entries for the answer: a new booking has them
    already (as written); a repeated request's first booking loads them in one query."""
    prefetch_related_objects([booking], Prefetch("entries", LedgerEntry.objects.select_related("account__program")))
    return booking


def booking_with_entries(booking_id: int) -> Booking:
    return (
        Booking.objects.select_related("card", "program", "reverses", "returned_sale")
        .prefetch_related(Prefetch("entries", LedgerEntry.objects.select_related("account__program")))
        .get(pk=booking_id)
    )


# --- The journal -----------------------------------------------------------------------------------


def start_of(day: datetime.date) -> datetime.datetime:
    """The first moment of this day in the merchant's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def days_between(field: str, date_from: datetime.date | None, date_to: datetime.date | None) -> Q:
    """A time field within these days of the merchant's time zone, both included, either open: as
    a range of times, so that the field's index serves (a cast to a date would not)."""
    condition = Q()
    if date_from:
        condition &= Q(**{f"{field}__gte": start_of(date_from)})
    if date_to:
        condition &= Q(**{f"{field}__lt": start_of(date_to + datetime.timedelta(days=1))})
    return condition


def journal_filtered(*, date_from: datetime.date | None = None, date_to: datetime.date | None = None,
                     kind: str = "", program: Program | None = None, terminal: Terminal | None = None,
                     staff=None, card_number: str = "") -> QuerySet[Booking]:
    """The bookings the journal's filters pick, narrowed by whatever is given (days in the
    merchant's time zone, both ends included); in no order, with nothing loaded along."""
    bookings = Booking.objects.filter(days_between("created_at", date_from, date_to))
    if kind:
        bookings = bookings.filter(kind=kind)
    if program is not None:
        bookings = bookings.filter(program=program)
    if terminal is not None:
        bookings = bookings.filter(terminal=terminal)
    if staff is not None:
        bookings = bookings.filter(staff_user=staff)
    if card_number:
        bookings = bookings.filter(card__number=card_number)
    return bookings


def journal_bookings(**filters) -> QuerySet[Booking]:
    """The journal: the filtered bookings newest first, with what each changed and whether it was
    reversed or (partly) returned."""
    return (journal_filtered(**filters).select_related("card", "program", "terminal", "staff_user")
            .annotate(reversed_=Exists(Booking.objects.filter(reverses=OuterRef("pk"))),
                      returned=Exists(Booking.objects.filter(returned_sale=OuterRef("pk"))))
            .prefetch_related(Prefetch("entries", LedgerEntry.objects.select_related("account")))
            .order_by("-created_at", "-pk"))


@dataclass(frozen=True)
class ProgramTotal:
    """What the filtered bookings did to one program's accounts, in its unit (points, stamps or
    cents): everything credited (zero or more) and everything debited (zero or less)."""

    program: Program
    credited: int
    debited: int


@dataclass(frozen=True)
class JournalTotals:
    bookings: int
    # Purchase amounts of the sales among them that were not reversed, and of the returns.
    purchases_cents: int
    returns_cents: int
    programs: list[ProgramTotal]


def journal_totals(**filters) -> JournalTotals:
    """The sums of the bookings the journal's filters pick, counted by the database. An entry
    counts with what it did as the journal shows it: a credit that paid off an open claim with
    all of it (booking_effects)."""
    bookings = journal_filtered(**filters)
    sums = bookings.aggregate(
        count=Count("pk"),
        purchases=Coalesce(Sum("purchase_amount_cents", filter=~Q(kind=Booking.Kind.RETURN)), 0),
        returns=Coalesce(Sum("purchase_amount_cents", filter=Q(kind=Booking.Kind.RETURN)), 0),
    )
    filtered = any(filters.values())
    # Reversals are few: the sales they undid are found from them, not by looking at every sale.
    reversals = Booking.objects.filter(reverses__isnull=False).exclude(reverses__kind=Booking.Kind.RETURN)
    if filtered:
        reversals = reversals.filter(reverses__in=bookings.values("pk"))
    reversed_sales = reversals.aggregate(total=Coalesce(Sum("reverses__purchase_amount_cents"), 0))["total"]
    # Without a filter every entry counts: no need to match them with their bookings.
    entries = LedgerEntry.objects.filter(booking__in=bookings.values("pk")) if filtered else LedgerEntry.objects.all()
    per_program = (
        entries.alias(effect=F("amount") - F("claim_change"))
        .values("account__program")
        .annotate(credited=Coalesce(Sum("effect", filter=Q(effect__gt=0)), 0),
                  debited=Coalesce(Sum("effect", filter=Q(effect__lt=0)), 0))
        .order_by("account__program")
    )
    programs = catalog().programs
    return JournalTotals(
        bookings=sums["count"], purchases_cents=sums["purchases"] - reversed_sales, returns_cents=sums["returns"],
        programs=[ProgramTotal(programs[row["account__program"]], row["credited"], row["debited"])
                  for row in per_program],
    )


@dataclass(frozen=True)
class EntryChange:
    """What a ledger entry did, for a journal row: as much as loyalty.pos.serializers.entry_text reads."""

    program_id: int
    amount: int
    claim_change: int


JOURNAL_ROW_FIELDS = ("pk", "created_at", "kind", "card__number", "program_id", "purchase_amount_cents",
                      "receipt_number", "terminal__name", "staff_user__full_name", "staff_user__email",
                      "actor_label", "reversed_")


def journal_rows(*, chunk_size: int = 2000, **filters) -> Iterator[tuple[dict, list[EntryChange]]]:
    """The journal's bookings newest first as plain values (JOURNAL_ROW_FIELDS) with what their
    entries did, read a chunk at a time: for downloads of any length, at a steady memory."""
    bookings = (journal_filtered(**filters)
                .annotate(reversed_=Exists(Booking.objects.filter(reverses=OuterRef("pk"))))
                .order_by("-created_at", "-pk").values(*JOURNAL_ROW_FIELDS))
    chunk = []
    for booking in bookings.iterator(chunk_size=chunk_size):
        chunk.append(booking)
        if len(chunk) == chunk_size:
            yield from _with_entries(chunk)
            chunk = []
    yield from _with_entries(chunk)


def _with_entries(bookings: list[dict]) -> Iterator[tuple[dict, list[EntryChange]]]:
    entries: dict[int, list[EntryChange]] = {}
    found = (LedgerEntry.objects.filter(booking__in=[booking["pk"] for booking in bookings]).order_by("pk")
             .values_list("booking_id", "account__program_id", "amount", "claim_change"))
    for booking_id, program_id, amount, claim_change in found:
        entries.setdefault(booking_id, []).append(EntryChange(program_id, amount, claim_change))
    for booking in bookings:
        yield booking, entries.get(booking["pk"], [])


def cards_current(card_ids) -> dict[int, int]:
    """For each of these cards, the card that holds its balances now: itself, or the last of the
    cards that replaced it."""
    current = {card_id: card_id for card_id in card_ids}
    while True:
        successors = dict(Card.objects.filter(pk__in=set(current.values()), replaced_by__isnull=False)
                          .values_list("pk", "replaced_by"))
        if not successors:
            return current
        current = {card_id: successors.get(now, now) for card_id, now in current.items()}


def bookings_reversal_refusals(bookings, *, actor: Actor) -> dict[int, LoyaltyError | None]:
    """Why this actor cannot reverse each of these bookings (from journal_bookings) now, or None
    where it can: booking_reversal_refusal's answer, asked with the accounts of the card that holds
    each booking's balances now, as booking_reverse asks it."""
    bookings = list(bookings)
    if (ended := service_refusal()) is not None:
        return {booking.pk: ended for booking in bookings}
    current = cards_current({booking.card_id for booking in bookings})
    states: dict[int, dict[int, AccountState]] = {}
    for account in accounts_with_expired().filter(card__in=set(current.values())):
        states.setdefault(account.card_id, {})[account.program_id] = account_state(account)
    now = timezone.now()
    return {
        booking.pk: booking_reversal_refusal(
            booking, effects=booking_effects(booking.entries.all()),
            accounts=states.get(current[booking.card_id], {}), reversed_=booking.reversed_,
            returned=booking.returned, actor=actor, now=now)
        for booking in bookings
    }
