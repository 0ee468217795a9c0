"""Finding a card by its printed number: one look-up for the till, the REST API and every booking.
A mistyped number (its check digit does not match) is refused without a query; an unknown one is
counted against the terminal and the person asking, and too many pause their look-ups."""
from typing import NoReturn

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from loyalty.actors import Actor
from loyalty.cardnumbers import card_number_is_valid
from loyalty.errors import CardNotFound
from loyalty.models import Card
from loyalty.throttling import actor_subjects, lockout_audit, too_many
from tenants.throttling import UNKNOWN_CARDS, Throttled

LOOKUPS_PAUSED = _("Too many unknown card numbers in a row. Card look-ups are paused: try again in "
                   "%(minutes)s min.")
NUMBER_MISTYPED = _("This is not a valid card number: please check the digits.")


def card_number_clean(number) -> str:
    """The number as printed: scanners add spaces around it, people type it in groups with spaces
    or dashes, as the card shows it."""
    return "".join(char for char in str(number) if not char.isspace() and char != "-")


def card_lookups_check(actor: Actor) -> None:
    """Refuse while this actor's look-ups are paused."""
    try:
        UNKNOWN_CARDS.check(*actor_subjects(actor))
    except Throttled as throttled:
        raise too_many(throttled, LOOKUPS_PAUSED) from None


def card_unknown_refuse(actor: Actor) -> NoReturn:
    """Count an unknown number against the actor and refuse it (with a pause when over the limit)."""
    try:
        UNKNOWN_CARDS.failed(*actor_subjects(actor), on_lockout=lockout_audit(limit=UNKNOWN_CARDS, actor=actor),
                             terminal=actor.terminal and actor.terminal.pk, user=actor.user and actor.user.pk)
    except Throttled as throttled:
        raise too_many(throttled, LOOKUPS_PAUSED) from None
    raise CardNotFound()


def card_find(number, *, actor: Actor, queryset: QuerySet[Card] | None = None) -> Card:
    """The card with this number, read through `queryset` (to lock it or load more with it)."""
    card_lookups_check(actor)
    number = card_number_clean(number)
    if not card_number_is_valid(number):
        # The check digit caught a typo: that reveals nothing about cards and is not counted.
        raise CardNotFound(NUMBER_MISTYPED)
    card = (Card.objects if queryset is None else queryset).filter(number=number).first()
    if card is None:
        card_unknown_refuse(actor)
    return card
