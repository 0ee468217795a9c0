"""What the till reads and shows, as JSON: a card's balances, what can be booked on it, its last
bookings, a booking's result. Of the cardholder only the first name, ever. What is offered comes
from the program behaviours and the operations' permissions, the rules the services apply."""
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from loyalty.actors import Actor
from loyalty.catalog import catalog
from loyalty.models import Booking, Card
from loyalty.pos.actions import PRIMARY_ACTION, TILL_LABELS, TILL_OPERATIONS
from loyalty.pos.selectors import sales_returned_cents
from loyalty.programs.base import Offer
from loyalty.selectors import account_state, card_recent_bookings
from loyalty.services.bookings import (
    booking_effects,
    booking_return_refusal,
    booking_reversal_refusal,
)
from loyalty.services.ledger import service_refusal
from loyalty.units import money_text

Kind = Booking.Kind
RECENT_BOOKINGS = 5


class RegisterInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, label=gettext_lazy("first name"))
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    consent = serializers.BooleanField(default=False)


def _action(offer: Offer, program, *, today) -> dict:
    label = str(TILL_LABELS[offer.kind])
    if offer.reward is not None:
        label %= {"reward": offer.reward.name, "points": offer.reward.points}
    elif "amount_cents" in offer.payload:  # a fixed amount: say it on the button
        label = f"{label} ({program.behaviour.amount_text(offer.payload['amount_cents'])})"
    action = {"action": offer.kind, "label": label, "payload": offer.payload,
              "amount_field": offer.amount_field, "primary": offer.kind == PRIMARY_ACTION}
    if offer.kind == Kind.VOUCHER_ISSUE:
        action["voucher"] = voucher_terms(program, today=today)
    return action


def voucher_terms(program, *, today) -> dict:
    """What the cashier confirms before selling a voucher, besides its value: the values the owner
    offers, until when it is valid and whether it is a single- or multi-purpose voucher."""
    valid_until = program.behaviour.credit_expires_on(today)
    return {
        "presets": [{"cents": cents, "text": money_text(cents)} for cents in program.voucher_presets],
        "valid_until": date_format(valid_until, "SHORT_DATE_FORMAT") if valid_until else "",
        "purpose": str(program.get_voucher_purpose_display()),
    }


def _input_amount(cents: int) -> str:
    """An amount as the cashier would type it: `12,50` (`12.50` in English)."""
    return number_format(Decimal(cents) / 100, 2)


def _bookings(card: Card, states: dict, *, actor: Actor) -> list[dict]:
    """The card's last bookings (and those of the cards it replaced): when, what, how much;
    reversible and returnable where the service would reverse or return them. A blocked card's
    bookings can be reversed (its balances stay on it); a replaced card's from its successor,
    which holds them now."""
    may_change = card.status != Card.Status.REPLACED and service_refusal() is None
    may_reverse = may_change and TILL_OPERATIONS[Kind.REVERSAL].permitted(actor)
    may_return = may_change and TILL_OPERATIONS[Kind.RETURN].permitted(actor)
    programs = catalog().programs
    now = timezone.now()
    bookings = card_recent_bookings(card, limit=RECENT_BOOKINGS, with_predecessors=True)
    returned = sales_returned_cents([booking.pk for booking in bookings if booking.returned])
    lines = []
    for booking in bookings:
        effects = booking_effects(booking.entries.all())
        reversible = may_reverse and booking_reversal_refusal(
            booking, effects=effects, accounts=states, reversed_=booking.reversed_,
            returned=booking.returned, actor=actor, now=now) is None
        returned_cents = returned.get(booking.pk, 0)
        returnable = may_return and booking_return_refusal(
            booking, reversed_=booking.reversed_, returned_cents=returned_cents) is None
        line = {
            "id": booking.pk,
            "time": date_format(timezone.localtime(booking.created_at), "SHORT_DATETIME_FORMAT"),
            "kind": booking.get_kind_display(),
            "purchase": money_text(booking.purchase_amount_cents) if booking.purchase_amount_cents else "",
            "change": ", ".join(entry_text(programs[entry.account.program_id], entry)
                                for entry in booking.entries.all()),
            "reversed": booking.reversed_,
            "reversible": reversible,
            "returnable": returnable,
        }
        if returnable:
            line["return_left"] = _input_amount(booking.purchase_amount_cents - returned_cents)
        lines.append(line)
    return lines


def entry_text(program, entry) -> str:
    """What an entry did, as booked: `+12 points`, and where an open claim took part in it,
    `+12 points (4 of them paid off the open claim)` or `−50 points (4 of them still owed)`."""
    behaviour = program.behaviour
    text = behaviour.amount_text(entry.amount - entry.claim_change, signed=True)
    if entry.claim_change < 0:
        text += " " + _("(%(amount)s of them paid off the open claim)") % {
            "amount": behaviour.amount_text(-entry.claim_change)}
    elif entry.claim_change > 0:
        text += " " + _("(%(amount)s of them still owed: open claim)") % {
            "amount": behaviour.amount_text(entry.claim_change)}
    return text


def _claim_text(program, claim: int) -> str:
    if not claim:
        return ""
    return _("Open claim from a return: %(amount)s, paid off by the next purchases") % {
        "amount": program.behaviour.amount_text(claim)}


def card_data(card: Card, *, actor: Actor) -> dict:
    """The card as the till shows it; `card` comes from cards_with_accounts()."""
    accounts = {account.program_id: account for account in card.accounts.all()}
    card_refusal = card.booking_refusal()
    may_book = card_refusal is None and service_refusal() is None
    today = timezone.localdate()
    programs, states = [], {}
    for program in catalog().active_programs():
        state = states[program.pk] = account_state(accounts.get(program.pk))
        offers = program.behaviour.till_offers(state, today=today) if may_book else []
        programs.append({
            "id": program.pk, "name": program.name, "kind": program.kind, "balance": state.balance,
            "balance_text": program.behaviour.balance_text(state.balance),
            "claim_text": _claim_text(program, state.claim),
            "actions": [_action(offer, program, today=today) for offer in offers
                        if offer.kind in TILL_OPERATIONS and TILL_OPERATIONS[offer.kind].permitted(actor)],
        })
    return {
        "number": card.number,
        "status": card.status,
        "status_text": str(card_refusal or card.get_status_display()),
        "first_name": card.cardholder.first_name if card.cardholder_id else "",
        "can_register": (card.cardholder_id is None
                         and card.status in (Card.Status.UNISSUED, Card.Status.ACTIVE)
                         and actor.user.has_perm("loyalty.add_cardholder")),
        "programs": programs,
        "bookings": _bookings(card, states, actor=actor),
    }


def booking_result(booking: Booking) -> dict:
    """For the big display: what the booking changed, the new balances and rewards just reached,
    all from what the booking wrote. The till then reads the card anew for its buttons."""
    changes, balances, reached, notes = [], [], [], []
    programs = catalog().programs
    for entry in booking.entries.all():
        program = programs[entry.account.program_id]
        behaviour = program.behaviour
        changes.append(entry_text(program, entry))
        balances.append({"program": program.name,
                         "balance_text": behaviour.balance_text(entry.balance_after)})
        if entry.amount > 0:
            reached += behaviour.rewards_reached(before=entry.balance_after - entry.amount,
                                                 after=entry.balance_after)
        if booking.kind == Kind.VOUCHER_ISSUE and program.pk == booking.program_id:
            notes.append(voucher_note(program, booking))
    return {
        "booking": booking.pk,
        "kind": booking.get_kind_display(),
        "card_number": booking.card.number,
        "headline": ", ".join(changes) or _("Booked: nothing to credit for this amount."),
        "balances": balances,
        "reached": reached,
        "notes": notes,
    }


def voucher_note(program, booking: Booking) -> str:
    """What the voucher just sold is, for the cashier to tell the customer: single- or
    multi-purpose (it decides when VAT is due), valid until when."""
    valid_until = program.behaviour.credit_expires_on(timezone.localtime(booking.created_at).date())
    purpose = program.get_voucher_purpose_display()
    if valid_until is None:
        return str(purpose)
    return _("%(purpose)s, valid until %(date)s") % {
        "purpose": purpose, "date": date_format(valid_until, "SHORT_DATE_FORMAT")}
