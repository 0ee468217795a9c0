"""Read-side queries over a merchant's cards, balances and bookings."""
from django.db.models import Count, Prefetch, prefetch_related_objects

from loyalty.errors import CardNotFound
from loyalty.models import Account, Booking, Card, LedgerEntry, Terminal
from loyalty.services.terminals import terminal_token_hash


def terminal_by_token(token: str) -> Terminal | None:
    """The active terminal this token belongs to; a revoked terminal's token finds nothing."""
    if not token:
        return None
    return Terminal.objects.filter(token_hash=terminal_token_hash(token), is_active=True).first()


def card_counts_by_status() -> dict[str, int]:
    counts = {status: 0 for status in Card.Status.values}
    for row in Card.objects.values("status").annotate(total=Count("id")):
        counts[row["status"]] = row["total"]
    return counts


def card_by_number(number: str) -> Card:
    """A card with its holder and accounts (and their programs) loaded."""
    card = (
        Card.objects.select_related("cardholder")
        .prefetch_related(Prefetch("accounts", Account.objects.select_related("program").order_by("program_id")))
        .filter(number=str(number).strip())
        .first()
    )
    if card is None:
        raise CardNotFound()
    return card


def card_recent_bookings(card: Card, *, limit: int = 10) -> list[Booking]:
    return list(
        Booking.objects.filter(card=card)
        .select_related("program")
        .prefetch_related(Prefetch("entries", LedgerEntry.objects.select_related("account__program")))
        .order_by("-id")[:limit]
    )


def booking_answer(booking: Booking) -> Booking:
    """The booking a service returned, with its entries loaded for the answer: one query, the
    same for a new booking and for a repeated request's first one."""
    prefetch_related_objects([booking], Prefetch("entries", LedgerEntry.objects.select_related("account__program")))
    return booking


def booking_with_entries(booking_id: int) -> Booking:
    return (
        Booking.objects.select_related("card", "program", "reverses", "returned_sale")
        .prefetch_related(Prefetch("entries", LedgerEntry.objects.select_related("account__program")))
        .get(pk=booking_id)
    )
