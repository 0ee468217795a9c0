"""The booking operations, one registry for the REST API and the till: per kind its input (the
serializer's fields are the service's keyword arguments), its service, and who may call it."""
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers

from loyalty.actors import Actor
from loyalty.errors import InvalidAmount, LoyaltyError
from loyalty.models import ApiKey, Booking
from loyalty.services import bookings
from loyalty.services.bookings import MAX_STAMPS
from loyalty.services.ledger import MAX_AMOUNT, amount_check
from loyalty.units import money_text, stamps_text

Kind = Booking.Kind
MAX_ID = 2**63 - 1  # a database id; larger numbers are refused by the input, not by PostgreSQL


class AmountField(serializers.IntegerField):
    """A whole amount from 1 to a maximum, refused in the amount's own unit ("höchstens
    100.000,00 €"), with one message each for a zero or negative, a too large and a malformed one."""

    def __init__(self, *, text=money_text, maximum: int = MAX_AMOUNT, **kwargs):
        super().__init__(**kwargs)
        self.text, self.maximum = text, maximum
        # For the OpenAPI schema only; the check is to_internal_value's, with its own messages.
        self.min_value, self.max_value = 1, maximum

    def to_internal_value(self, data):
        try:
            amount = super().to_internal_value(data)
        except serializers.ValidationError:
            raise serializers.ValidationError(str(InvalidAmount.message), code=InvalidAmount.code) from None
        try:
            return amount_check(amount, text=self.text, maximum=self.maximum)
        except LoyaltyError as refusal:
            raise serializers.ValidationError(str(refusal), code=refusal.code) from None


def _id(help_text) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text=help_text)


def _card_number() -> serializers.CharField:
    return serializers.CharField(max_length=32, help_text=_("The card number as printed or scanned."))


def _confirmed() -> serializers.BooleanField:
    return serializers.BooleanField(
        required=False, default=False,
        help_text=_("True once the cashier has confirmed an amount above the owner's plausibility "
                    "limit: without it such an amount is refused with the code "
                    "confirmation_required, and nothing is booked. Amounts above the hard maximum "
                    "are refused either way."))


def _receipt_number() -> serializers.CharField:
    return serializers.CharField(max_length=64, required=False, default="", allow_blank=True,
                                 help_text=_("The cash register's receipt number, if any."))


class EarnInput(serializers.Serializer):
    card_number = _card_number()
    program = _id(_("The points program."))
    purchase_amount_cents = AmountField(help_text=_("The purchase amount in cents."))
    receipt_number = _receipt_number()
    confirmed = _confirmed()


class RedeemRewardInput(serializers.Serializer):
    card_number = _card_number()
    reward = _id(_("The reward, from the program's rewards."))


class AmountInput(serializers.Serializer):
    card_number = _card_number()
    program = _id(_("The prepaid or voucher program."))
    amount_cents = AmountField(help_text=_("The amount in cents."))
    receipt_number = _receipt_number()
    confirmed = _confirmed()


class VoucherIssueInput(AmountInput):
    amount_cents = AmountField(help_text=_("The voucher's value in cents; empty: the program's usual value."),
                          required=False)


class StampInput(serializers.Serializer):
    card_number = _card_number()
    program = _id(_("The stamp card program."))
    stamps = AmountField(text=stamps_text, maximum=MAX_STAMPS, default=1,
                         help_text=_("How many stamps."))
    receipt_number = _receipt_number()


class ProgramInput(serializers.Serializer):
    card_number = _card_number()
    program = _id(_("The stamp card program."))


class ReturnInput(serializers.Serializer):
    sale_id = _id(_("The purchase booking being returned."))
    return_amount_cents = AmountField(help_text=_("The returned part of the purchase, in cents."))
    receipt_number = _receipt_number()
    confirmed = _confirmed()


class ReverseInput(serializers.Serializer):
    booking_id = _id(_("The booking to undo."))
    reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class AdjustInput(serializers.Serializer):
    card_number = _card_number()
    program = _id(_("The program whose balance is corrected."))
    amount = serializers.IntegerField(min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT,
                                      help_text=_("Positive to add, negative to take away."))
    reason = serializers.CharField(max_length=300)


BOOK = ("loyalty.add_booking",)


def idempotency_key_from(request) -> str:
    """The client's key for a booking, from the Idempotency-Key header; refused when missing."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 100:
        raise exceptions.ValidationError({"Idempotency-Key": [
            _("Send a unique key of 1 to 100 characters in the Idempotency-Key header.")]})
    return key


def _api_key_refusal(api_key: ApiKey) -> str:
    if api_key.scope == ApiKey.Scope.READ:
        return _("This API key may only read cards and bookings; create a key with the scope "
                 "“read and book” to book.")
    return _("An API key cannot make this booking: it needs a person with the permission.")


@dataclass(frozen=True)
class BookingOperation:
    kind: str
    slug: str  # its address under /api/bookings/
    input: type[serializers.Serializer]
    service: Callable[..., Booking]
    summary: str  # for the OpenAPI schema
    # What a person needs to be allowed; a terminal signing alone is allowed only where it may.
    permissions: tuple[str, ...] = BOOK
    terminal_alone: bool = True

    def permitted(self, actor: Actor) -> bool:
        """One rule for the till and the REST API: a person needs the permissions (whatever
        terminal they book on); a terminal's token without a person only where allowed, and an
        API key there too if its scope is booking."""
        if actor.user is not None:
            return actor.user.has_perms(self.permissions)
        if actor.api_key is not None:
            return self.terminal_alone and actor.api_key.scope == ApiKey.Scope.BOOK
        return self.terminal_alone and actor.terminal is not None

    def book(self, data, *, idempotency_key: str, actor: Actor) -> Booking:
        if not self.permitted(actor):
            raise exceptions.PermissionDenied(_api_key_refusal(actor.api_key) if actor.api_key else None)
        payload = self.input(data=data)
        payload.is_valid(raise_exception=True)
        return self.service(**payload.validated_data, idempotency_key=idempotency_key, actor=actor)


OPERATIONS: dict[str, BookingOperation] = {operation.kind: operation for operation in (
    BookingOperation(Kind.EARN, "earn", EarnInput, bookings.booking_earn,
                     "Earn points for a purchase"),
    BookingOperation(Kind.REDEEM_REWARD, "redeem-reward", RedeemRewardInput,
                     bookings.booking_redeem_reward, "Redeem a reward for points"),
    BookingOperation(Kind.TOP_UP, "top-up", AmountInput, bookings.booking_top_up,
                     "Top up prepaid money"),
    BookingOperation(Kind.PAY, "pay", AmountInput, bookings.booking_pay, "Pay with prepaid money"),
    BookingOperation(Kind.STAMP, "stamp", StampInput, bookings.booking_stamp, "Add stamps"),
    BookingOperation(Kind.REDEEM_STAMPS, "redeem-stamps", ProgramInput,
                     bookings.booking_redeem_stamps, "Redeem a full stamp card"),
    BookingOperation(Kind.VOUCHER_ISSUE, "voucher-issue", VoucherIssueInput,
                     bookings.booking_voucher_issue, "Issue a voucher onto a card"),
    BookingOperation(Kind.VOUCHER_REDEEM, "voucher-redeem", AmountInput,
                     bookings.booking_voucher_redeem, "Redeem (part of) a voucher"),
    BookingOperation(Kind.RETURN, "return", ReturnInput, bookings.booking_return,
                     "Return (part of) a purchase"),
    # Who may reverse which booking (managers any, cashiers their own for a while) is the
    # service's rule, booking_reversal_refusal: a cashier's request has to reach it.
    BookingOperation(Kind.REVERSAL, "reverse", ReverseInput, bookings.booking_reverse,
                     "Reverse a booking (once); needs a person: managers any booking, others "
                     "their own within the owner's window",
                     terminal_alone=False),
    BookingOperation(Kind.ADJUSTMENT, "adjust", AdjustInput, bookings.booking_adjust,
                     "Correct a balance, with a reason; needs a person with the permission",
                     permissions=(bookings.ADJUST_PERMISSION,), terminal_alone=False),
)}
