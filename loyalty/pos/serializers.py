"""What the till reads and shows, as JSON: a card's balances, what can be booked on it, its last
bookings, a booking's result. Of the cardholder only the first name, ever."""
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from rest_framework import serializers

from loyalty.models import Booking, Card, Program
from loyalty.pos.actions import PRIMARY_ACTION, REVERSE_PERMISSIONS, TILL_ACTIONS
from loyalty.pos.selectors import programs_at_till
from loyalty.selectors import card_by_number, card_recent_bookings

Kind = Booking.Kind
RECENT_BOOKINGS = 5
_MONEY_KINDS = (Program.Kind.PREPAID, Program.Kind.VOUCHER)


class RegisterInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, label=gettext_lazy("first name"))
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    consent = serializers.BooleanField(default=False)


def money_text(cents: int) -> str:
    return f"{number_format(Decimal(cents) / 100, 2)} €"


def amount_text(kind: str, amount: int, *, signed: bool = False) -> str:
    """`12 points`, `3 stamps`, `12,50 €`; signed: `+12 points`, `−12,50 €`."""
    size = abs(amount)
    if kind in _MONEY_KINDS:
        text = money_text(size)
    elif kind == Program.Kind.STAMPS:
        text = ngettext("%(count)s stamp", "%(count)s stamps", size) % {"count": size}
    else:
        text = ngettext("%(count)s point", "%(count)s points", size) % {"count": size}
    return f"{'+' if amount > 0 else '−'}{text}" if signed else text


def balance_text(program: Program, balance: int) -> str:
    if program.kind == Program.Kind.STAMPS:
        return _("%(stamps)s of %(per_reward)s stamps") % {"stamps": balance,
                                                          "per_reward": program.stamps_per_reward}
    return amount_text(program.kind, balance)


def _action(kind: str, label: str, payload: dict) -> dict:
    action = TILL_ACTIONS[kind]
    return {"action": kind, "label": label, "payload": payload, "amount_field": action.amount_field,
            "primary": kind == PRIMARY_ACTION}


def _actions(program: Program, balance: int) -> list[dict]:
    """What can be booked on this program now: a debit only when the balance covers it."""
    actions = []
    for kind, action in TILL_ACTIONS.items():
        if not program.behaviour.allows(kind):
            continue
        if kind == Kind.REDEEM_REWARD:
            actions += [
                _action(kind, str(action.label) % {"reward": reward.name, "points": reward.points},
                        {"reward": reward.pk})
                for reward in program.rewards.all() if reward.points <= balance
            ]
        elif ((kind == Kind.REDEEM_STAMPS and not program.behaviour.rewards_available(balance))
              or (kind in (Kind.PAY, Kind.VOUCHER_REDEEM) and balance <= 0)):
            continue
        else:
            actions.append(_action(kind, str(action.label), {"program": program.pk}))
    return actions


def _bookings(card: Card, *, user) -> list[dict]:
    """The card's last bookings: when, what, how much; reversible for those who may."""
    bookings = card_recent_bookings(card, limit=RECENT_BOOKINGS)
    reversed_ids = set(Booking.objects.filter(reverses__in=[booking.pk for booking in bookings])
                       .values_list("reverses_id", flat=True))
    may_reverse = user.has_perms(REVERSE_PERMISSIONS)
    return [{
        "id": booking.pk,
        "time": date_format(timezone.localtime(booking.created_at), "SHORT_DATETIME_FORMAT"),
        "kind": booking.get_kind_display(),
        "purchase": (money_text(booking.purchase_amount_cents)
                     if booking.purchase_amount_cents else ""),
        "change": ", ".join(amount_text(entry.account.program.kind, entry.amount, signed=True)
                            for entry in booking.entries.all()),
        "reversed": booking.pk in reversed_ids,
        # Only what a till books; corrections of other bookings belong to the back office.
        "reversible": (may_reverse and booking.pk not in reversed_ids
                       and booking.kind in TILL_ACTIONS and booking.kind != Kind.REVERSAL),
    } for booking in bookings]


def card_data(card: Card, *, user) -> dict:
    balances = {account.program_id: account.balance for account in card.accounts.all()}
    may_book = card.status == Card.Status.ACTIVE and user.has_perm("loyalty.add_booking")
    programs = []
    for program in programs_at_till():
        balance = balances.get(program.pk, 0)
        programs.append({
            "id": program.pk, "name": program.name, "kind": program.kind, "balance": balance,
            "balance_text": balance_text(program, balance),
            "actions": _actions(program, balance) if may_book else [],
        })
    return {
        "number": card.number,
        "status": card.status,
        "status_text": card.get_status_display(),
        "first_name": card.cardholder.first_name if card.cardholder_id else "",
        "can_register": (card.cardholder_id is None
                         and card.status in (Card.Status.UNISSUED, Card.Status.ACTIVE)
                         and user.has_perm("loyalty.add_cardholder")),
        "programs": programs,
        "bookings": _bookings(card, user=user),
    }


def booking_result(booking: Booking, *, user) -> dict:
    """For the big display: what the booking changed, the new balances, rewards just reached,
    and the card as it is now."""
    changes, balances, reached = [], [], []
    for entry in booking.entries.all():
        program = entry.account.program
        changes.append(amount_text(program.kind, entry.amount, signed=True))
        balances.append({"program": program.name,
                         "balance_text": balance_text(program, entry.balance_after)})
        if entry.amount > 0:
            reached += program.behaviour.rewards_reached(before=entry.balance_after - entry.amount,
                                                         after=entry.balance_after)
    return {
        "booking": booking.pk,
        "kind": booking.get_kind_display(),
        "headline": ", ".join(changes) or _("Booked: nothing to credit for this amount."),
        "balances": balances,
        "reached": reached,
        "card": card_data(card_by_number(booking.card.number), user=user),
    }
