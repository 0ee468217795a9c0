"""Read-side queries over a merchant's cards, balances and bookings."""
import datetime

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from loyalty.models import Account, Booking, Card, LedgerEntry, Lot, Terminal
from loyalty.programs.base import AccountState
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


def cards_with_accounts(*, today: datetime.date | None = None) -> QuerySet[Card]:
    """Cards with their holder and accounts, each account annotated with `expired`: what of its
    balance has expired but is not booked away yet (see account_state)."""
    today = today or timezone.localdate()
    expired = (Lot.objects.expired(on=today).filter(account=OuterRef("pk"))
               .values("account").annotate(total=Sum("remaining")).values("total"))
    accounts = (Account.objects.select_related("program")
                .annotate(expired=Coalesce(Subquery(expired), Value(0)))
                .order_by("program_id"))
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
