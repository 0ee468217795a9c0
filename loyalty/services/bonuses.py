"""Bonuses the system awards by itself: birthday points, once a year per cardholder."""
import calendar
import datetime

from django.db import connection

from loyalty.actors import Actor
from loyalty.models import BonusAction, Card
from loyalty.services.bookings import booking_bonus
from loyalty.services.cardholders import birthday_key
from loyalty.services.ledger import SystemKey
from tenants.encryption import blind_index


def birthday_bonuses_award(*, today: datetime.date, actor: Actor) -> int:
    """Birthday points for everyone whose birthday is today, on one active card each.
    Idempotent: the key names the action, the holder and the year."""
    actions = [
        action for action in BonusAction.objects.filter(
            kind=BonusAction.Kind.BIRTHDAY, program__is_active=True, program__kind="points"
        ).select_related("program")
        if action.applies_on(today)
    ]
    if not actions:
        return 0
    days = [birthday_key(today)]
    if today.month == 2 and today.day == 28 and not calendar.isleap(today.year):
        days.append("02-29")  # those born on 29 February celebrate on the 28th in other years
    indexes = [blind_index(day, schema_name=connection.schema_name, field="birthday") for day in days]
    cards = (Card.objects.filter(status=Card.Status.ACTIVE, cardholder__birthday_index__in=indexes,
                                 cardholder__anonymised_at__isnull=True)
             .order_by("cardholder_id", "pk").distinct("cardholder_id"))
    awarded = 0
    for card in cards:
        for action in actions:
            booking_bonus(card_number=card.number, program=action.program, points=action.points,
                          reason=action.name, actor=actor,
                          idempotency_key=SystemKey(f"birthday:{action.pk}:{card.cardholder_id}:{today.year}"))
            awarded += 1
    return awarded
