"""Writes on a merchant's cards."""
from django.db import transaction

from loyalty.cardnumbers import card_number_from_serial
from loyalty.models import Card


@transaction.atomic
def cards_create_range(*, first_serial: int, count: int, status: str = Card.Status.UNISSUED) -> list[Card]:
    """Create `count` cards with consecutive serials; existing numbers are left as they are."""
    numbers = [card_number_from_serial(serial) for serial in range(first_serial, first_serial + count)]
    Card.objects.bulk_create(
        [Card(number=number, status=status) for number in numbers], ignore_conflicts=True
    )
    return list(Card.objects.filter(number__in=numbers))
