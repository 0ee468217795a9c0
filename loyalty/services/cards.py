"""Cards: creating number ranges, issuing, blocking and replacing (balances move along)."""
import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from loyalty.actors import Actor
from loyalty.cardnumbers import card_number_from_serial
from loyalty.errors import CardNotActive, CardNotFound, CardNotReplaceable
from loyalty.models import Booking, Card, Lot
from loyalty.services.audit import audit_record
from loyalty.services.ledger import Posting, accounts_lock, booking_for_request, booking_post

# Typed by hand from the printed card: no 0/O, 1/I/L that a reader could mix up.
ACTIVATION_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ACTIVATION_CODE_LENGTH = 8


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


def _card_lock(number: str) -> Card:
    card = Card.objects.select_for_update().filter(number=number).first()
    if card is None:
        raise CardNotFound()
    return card


@transaction.atomic
def card_activate(*, card_number: str, actor: Actor) -> Card:
    """Hand out a blank card: from now on it can be booked on."""
    card = _card_lock(card_number)
    if card.status != Card.Status.UNISSUED:
        raise CardNotActive(status=card.get_status_display())
    card.status = Card.Status.ACTIVE
    card.save(update_fields=["status"])
    audit_record(actor=actor, action="card.activate", target=card)
    return card


@transaction.atomic
def card_block(*, card_number: str, actor: Actor, reason: str = "") -> Card:
    """Block a lost or misused card; its balances stay and can move to a replacement."""
    card = _card_lock(card_number)
    if card.status not in (Card.Status.ACTIVE, Card.Status.UNISSUED):
        raise CardNotActive(status=card.get_status_display())
    card.status = Card.Status.BLOCKED
    card.save(update_fields=["status"])
    audit_record(actor=actor, action="card.block", target=card, reason=reason)
    return card


@transaction.atomic
def card_replace(*, old_card_number: str, new_card_number: str, idempotency_key: str,
                 actor: Actor) -> Booking:
    """Move every balance of the old card, lot by lot with its expiry, to a blank new card in one
    booking; the new card takes over the holder, the old one is marked replaced."""
    old_number, new_number = str(old_card_number).strip(), str(new_card_number).strip()
    # Lock both cards in number order, whichever is old or new.
    locked = {number: _card_lock(number) for number in sorted({old_number, new_number})}
    old, new = locked[old_number], locked[new_number]
    params = {"old": old.number, "new": new.number}
    if old.pk == new.pk:
        raise CardNotReplaceable(why=_("a card cannot replace itself."))
    if (repeat := booking_for_request(kind=Booking.Kind.CARD_REPLACEMENT,
                                      idempotency_key=idempotency_key, params=params)) is not None:
        return repeat  # the same request again, e.g. retried after a lost answer
    if old.status not in (Card.Status.ACTIVE, Card.Status.BLOCKED):
        raise CardNotReplaceable(why=old.get_status_display())
    if new.status != Card.Status.UNISSUED:
        raise CardNotReplaceable(why=_("the new card must be a blank card that was not issued yet."))

    def plan():
        programs = [account.program for account in old.accounts.select_related("program")]
        old_accounts = accounts_lock(old, programs)
        new_accounts = accounts_lock(new, programs)
        postings = []
        for program_id, account in old_accounts.items():
            lots = Lot.objects.select_for_update().filter(account=account, remaining__gt=0).order_by("pk")
            for lot in lots:
                postings.append(Posting(account, -lot.remaining, from_lot=lot))
                postings.append(Posting(new_accounts[program_id], lot.remaining, expires_on=lot.expires_on))
        return postings

    booking = booking_post(kind=Booking.Kind.CARD_REPLACEMENT, card=old, idempotency_key=idempotency_key,
                           params=params, actor=actor, plan=plan)
    new.status, new.cardholder = Card.Status.ACTIVE, old.cardholder
    new.save(update_fields=["status", "cardholder"])
    old.status, old.replaced_by = Card.Status.REPLACED, new
    old.save(update_fields=["status", "replaced_by"])
    audit_record(actor=actor, action="card.replace", target=old, new_card=new.number)
    return booking
