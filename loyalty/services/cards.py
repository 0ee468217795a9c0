"""Cards: creating number ranges, issuing, blocking and replacing (balances move along)."""
import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from loyalty.actors import Actor
from loyalty.cardnumbers import card_number_from_serial
from loyalty.errors import (
    CardNotActive,
    CardNotFound,
    CardNotReplaceable,
    LoyaltyError,
    NotPermitted,
)
from loyalty.models import Account, Booking, Card, Lot
from loyalty.selectors import cards_with_accounts
from loyalty.services.audit import audit_record
from loyalty.services.bookings import program_get
from loyalty.services.ledger import (
    BookingRequest,
    Posting,
    SystemKey,
    booking_post,
    booking_repeat,
    booking_service,
)
from loyalty.services.lookup import card_find, card_number_clean
from loyalty.wallet.services import wallet_passes_changed

# Typed by hand from the printed card: no 0/O, 1/I/L that a reader could mix up.
ACTIVATION_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ACTIVATION_CODE_LENGTH = 8
# Blocking or replacing a person's card is part of looking after the cardholder (managers, owners).
CARD_CHANGE_PERMISSION = "loyalty.change_cardholder"


def activation_code_new() -> str:
    return "".join(secrets.choice(ACTIVATION_CODE_ALPHABET) for _position in range(ACTIVATION_CODE_LENGTH))


@transaction.atomic
def cards_create_range(*, first_serial: int, count: int, actor: Actor,
                       status: str = Card.Status.UNISSUED) -> list[Card]:
    """Create `count` cards with consecutive serials, each with its own activation code; numbers
    that exist already stay as they are."""
    numbers = [card_number_from_serial(serial) for serial in range(first_serial, first_serial + count)]
    Card.objects.bulk_create(
        [Card(number=number, status=status, activation_code=activation_code_new()) for number in numbers],
        ignore_conflicts=True,
    )
    audit_record(actor=actor, action="cards.create_range", first=numbers[0], count=count)
    return list(Card.objects.filter(number__in=numbers))


def _card_lock(number, *, actor: Actor) -> Card:
    return card_find(number, actor=actor, queryset=Card.objects.select_for_update())


def card_look_up(number, *, actor: Actor) -> Card:
    """A card to show at the till or through the API, with its holder and accounts (and what of
    each can be spent today): the look-up that counts unknown numbers."""
    return card_find(number, actor=actor, queryset=cards_with_accounts())


@transaction.atomic
def card_activate(*, card_number: str, actor: Actor) -> Card:
    """Hand out a blank card: from now on it can be booked on."""
    card = _card_lock(card_number, actor=actor)
    if card.status != Card.Status.UNISSUED:
        raise CardNotActive(status=card.get_status_display())
    card.status = Card.Status.ACTIVE
    card.save(update_fields=["status"])
    audit_record(actor=actor, action="card.activate", target=card)
    return card


def card_block_refusal(card: Card, *, actor: Actor | None = None) -> LoyaltyError | None:
    """Why this card cannot be blocked (by `actor`, when given), or None: an active or a blank card
    can be, by someone who may change cards; a cardholder in the portal may block their own active
    card (a lost one) and no other."""
    if actor is not None and actor.cardholder is not None:
        if not actor.acts_for(card.cardholder_id):
            return NotPermitted()
        if card.status != Card.Status.ACTIVE:
            return CardNotActive(status=card.get_status_display())
        return None
    if actor is not None and not actor.may(CARD_CHANGE_PERMISSION):
        return NotPermitted()
    if card.status not in (Card.Status.ACTIVE, Card.Status.UNISSUED):
        return CardNotActive(status=card.get_status_display())
    return None


def card_replace_refusal(old: Card, new: Card | None = None, *,
                         actor: Actor | None = None) -> LoyaltyError | None:
    """Why `old` cannot be replaced (by `new` and by `actor`, when given), or None: an active or a
    blocked card can be, by a blank card other than itself, by someone who may change cards."""
    if actor is not None and not actor.may(CARD_CHANGE_PERMISSION):
        return NotPermitted()
    if new is not None and new.number == old.number:
        return CardNotReplaceable(why=_("a card cannot replace itself."))
    if old.status not in (Card.Status.ACTIVE, Card.Status.BLOCKED):
        return CardNotReplaceable(why=old.get_status_display())
    if new is not None and new.status != Card.Status.UNISSUED:
        return CardNotReplaceable(why=_("the new card must be a blank card that was not issued yet."))
    return None


@transaction.atomic
def card_block(*, card_number: str, actor: Actor, reason: str = "") -> Card:
    """Block a lost or misused card; its balances stay and can move to a replacement. A
    cardholder's own card only, in the portal: anyone else's is not found, as if it did not exist."""
    if actor.cardholder is None:
        NotPermitted.unless(actor, CARD_CHANGE_PERMISSION)
    card = _card_lock(card_number, actor=actor)
    if actor.cardholder is not None and not actor.acts_for(card.cardholder_id):
        raise CardNotFound()
    if refusal := card_block_refusal(card, actor=actor):
        raise refusal
    card.status = Card.Status.BLOCKED
    card.save(update_fields=["status"])
    audit_record(actor=actor, action="card.block", target=card, reason=reason)
    wallet_passes_changed(card_ids=[card.pk])  # the pass in the phone's wallet shows it void
    return card


@booking_service
def card_replace(*, old_card_number: str, new_card_number: str, idempotency_key: str | SystemKey,
                 actor: Actor) -> Booking:
    """Move every balance of the old card, lot by lot with its expiry, and any open claim to a
    blank new card in one booking; the new card takes over the holder, the old one is marked
    replaced. Both cards are locked for update first: bookings running on the old card finish
    before, and bookings after it find the card replaced."""
    NotPermitted.unless(actor, CARD_CHANGE_PERMISSION)
    old_number, new_number = card_number_clean(old_card_number), card_number_clean(new_card_number)
    request = BookingRequest(Booking.Kind.CARD_REPLACEMENT, idempotency_key, actor,
                             {"old": old_number, "new": new_number})
    if (repeat := booking_repeat(request)) is not None:
        return repeat  # the same request again, e.g. retried after a lost answer
    # In number order, whichever is old or new: the one order every replacement locks two cards in.
    locked = {number: _card_lock(number, actor=actor) for number in sorted({old_number, new_number})}
    old, new = locked[old_number], locked[new_number]
    if refusal := card_replace_refusal(old, new):
        raise refusal
    postings = []
    # Nothing else writes to the old card's accounts while it is locked.
    for account in Account.objects.filter(card=old).order_by("program_id"):
        program = program_get(account.program_id)
        for lot in Lot.objects.filter(account=account, remaining__gt=0).order_by("pk"):
            postings += [Posting(old, program, -lot.remaining, from_lot=lot),
                         Posting(new, program, lot.remaining, expires_on=lot.expires_on)]
        if account.claim:
            postings += [Posting(old, program, 0, claim=-account.claim),
                         Posting(new, program, 0, claim=account.claim)]
    booking = booking_post(request, card=old, postings=postings)
    new.status, new.cardholder = Card.Status.ACTIVE, old.cardholder
    new.save(update_fields=["status", "cardholder"])
    old.status, old.replaced_by = Card.Status.REPLACED, new
    old.save(update_fields=["status", "replaced_by"])
    audit_record(actor=actor, action="card.replace", target=old, new_card=new.number)
    wallet_passes_changed(card_ids=[old.pk])  # the old card's pass shows it void
    return booking
