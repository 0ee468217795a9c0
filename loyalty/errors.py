"""Why a booking or card operation was refused: a machine-readable code, an HTTP status and a
message in the user's language."""
from django.utils.translation import gettext_lazy as _


class LoyaltyError(Exception):
    code = "refused"
    status = 409
    message = _("The operation was refused.")

    def __init__(self, message=None, **params):
        self.params = params
        self._message = message
        super().__init__(str(self))

    def __str__(self):
        text = str(self._message or self.message)
        return text % self.params if self.params else text


class NotPermitted(LoyaltyError):
    """The actor's role does not allow this write (loyalty.actors.Actor.may)."""

    code, status = "not_permitted", 403
    message = _("Your role does not allow this. The owner can give it to you under Staff.")

    @classmethod
    def unless(cls, actor, permission: str, **options) -> None:
        """Refuse unless the actor may do what `permission` allows: the check of every service
        that writes in a person's name."""
        if not actor.may(permission, **options):
            raise cls()


class ServiceEnded(LoyaltyError):
    code, status = "contract_ended", 403
    message = _("The contract has ended: no more bookings can be made. The owner can still sign "
                "in to the back office and export the data.")


class CardNotFound(LoyaltyError):
    code, status = "card_not_found", 404
    message = _("There is no card with this number.")


class CardNotActive(LoyaltyError):
    code = "card_not_active"
    message = _("This card cannot be booked on: it is %(status)s.")


class CardReplaced(LoyaltyError):
    code = "card_replaced"
    message = _("This card has been replaced by card %(successor)s: please book on the new card.")


class ProgramNotFound(LoyaltyError):
    code, status = "program_not_found", 404
    message = _("There is no such program.")


class WrongProgram(LoyaltyError):
    code, status = "wrong_program", 422
    message = _("The program “%(program)s” does not support this booking.")


class InvalidAmount(LoyaltyError):
    code, status = "invalid_amount", 422
    message = _("This is not an amount: please enter a number such as 12,50.")


class AmountNotPositive(LoyaltyError):
    code, status = "amount_not_positive", 422
    message = _("The amount must be more than zero.")


class AmountTooLarge(LoyaltyError):
    code, status = "amount_too_large", 422
    message = _("The amount may be at most %(maximum)s.")


class ConfirmationRequired(LoyaltyError):
    """Above the owner's plausibility limit: booked only when the request says `confirmed`."""

    code, status = "confirmation_required", 409
    message = _("%(amount)s – is the amount right?")


class InsufficientBalance(LoyaltyError):
    code = "insufficient_balance"
    message = _("The balance is too low: %(available)s available, %(requested)s requested.")


class BalanceCapExceeded(LoyaltyError):
    code = "balance_cap_exceeded"
    message = _("The balance may not exceed %(limit)s (it is %(balance)s).")


class TopUpTooLarge(LoyaltyError):
    code, status = "top_up_too_large", 422
    message = _("A single top-up may not exceed %(limit)s.")


class PartialRedemptionNotAllowed(LoyaltyError):
    code, status = "partial_redemption_not_allowed", 422
    message = _("This voucher can only be redeemed in full (%(balance)s).")


class StampCardNotFull(LoyaltyError):
    code = "stamp_card_not_full"
    message = _("The stamp card is not full yet: %(stamps)s of %(per_reward)s stamps.")


class RewardNotFound(LoyaltyError):
    code, status = "reward_not_found", 404
    message = _("There is no such reward in this program.")


class IdempotencyKeyReused(LoyaltyError):
    code, status = "idempotency_key_reused", 422
    message = _("This idempotency key was already used for a different request.")


class BookingNotFound(LoyaltyError):
    code, status = "booking_not_found", 404
    message = _("There is no such booking.")


class AlreadyReversed(LoyaltyError):
    code = "already_reversed"
    message = _("This booking has already been reversed.")


class NotReversible(LoyaltyError):
    code = "not_reversible"
    message = _("This booking cannot be reversed: %(why)s")


class ReversalNotYours(LoyaltyError):
    code, status = "reversal_not_permitted", 403
    message = _("You can only reverse your own bookings of the last %(minutes)s minutes.")


class ReversalNeedsPerson(ReversalNotYours):
    message = _("Only a signed-in person can reverse a booking.")


class NotReturnable(LoyaltyError):
    code, status = "not_returnable", 422
    message = _("Only a purchase with an amount can be returned.")


class ReturnExceedsSale(LoyaltyError):
    code, status = "return_exceeds_sale", 422
    message = _("The return exceeds what is left of the sale: at most %(left)s.")


class ReturnCannotTakeBack(LoyaltyError):
    code = "cannot_take_back"
    message = _("This cannot be taken back: %(requested)s would be needed, only %(available)s "
                "are left on the card.")


class CardNotReplaceable(LoyaltyError):
    code = "card_not_replaceable"
    message = _("The card cannot be replaced: %(why)s")


class ReasonRequired(LoyaltyError):
    code, status = "reason_required", 422
    message = _("Please give a reason for the adjustment.")


class PairingCodeInvalid(LoyaltyError):
    # One message for unknown, expired and used codes: a guesser learns nothing from it.
    code, status = "pairing_code_invalid", 422
    message = _("This pairing code is not valid (any more). A code works once, for 15 minutes: "
                "ask the back office for a new one.")


class TerminalLimitReached(LoyaltyError):
    code = "terminal_limit_reached"
    message = _("There is no free terminal seat (licensed terminals: %(limit)s). Revoke a terminal "
                "in the back office or ask your Stammkunde contact to raise the licence.")


class CardholderAnonymised(LoyaltyError):
    """The person's data were deleted on their request: nothing of theirs can change any more."""

    code = "cardholder_anonymised"
    message = _("The data of this person were deleted on request: nothing can be changed any more.")


class ConsentRequired(LoyaltyError):
    code, status = "consent_required", 422
    message = _("The customer has to agree to the card's terms and privacy notice first.")


class TooManyAttempts(LoyaltyError):
    """Too many failed attempts (unknown card numbers, wrong PINs): wait `retry_after` seconds."""

    code, status = "too_many_attempts", 429
    message = _("Too many failed attempts. Please try again in %(minutes)s min.")

    def __init__(self, message=None, *, retry_after: int, **params):
        self.retry_after = retry_after
        super().__init__(message, minutes=max(1, -(-retry_after // 60)), **params)


class SignInFailed(LoyaltyError):
    code, status = "sign_in_failed", 403
    message = _("Please enter a correct e-mail address and password.")


class WordingChanged(LoyaltyError):
    """A consent's wording changed between showing the page and sending it: a person agrees to the
    words they were shown, so the new ones are shown first (`purposes`: the ones that changed)."""

    code, status = "wording_changed", 409
    message = _("The wording of a consent has changed since the page was opened. Please read the new "
                "wording and choose again.")

    def __init__(self, *, purposes: list[str]):
        self.purposes = purposes
        super().__init__()


class EmailChangeNotPending(LoyaltyError):
    code = "email_change_not_pending"
    message = _("This link is not valid (any more): no change of your e-mail address is waiting.")


class EmailTaken(LoyaltyError):
    code = "email_taken"
    message = _("This address is now used for another customer card of ours, so we cannot move "
                "your card to it. Your address stays as it was.")


class DeletionNeedsEmail(LoyaltyError):
    code, status = "deletion_needs_email", 422
    message = _("We confirm a deletion through your confirmed e-mail address, and your card has "
                "none. Please ask at the counter: the staff can delete your data there.")
