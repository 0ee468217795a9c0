"""The small interface every program kind implements: what it books, how its amounts read, what
the till offers on one of its accounts, and what it refuses. The services raise the refusals these
methods return, and the till offers exactly what they do not refuse, so the two cannot disagree."""
import datetime
from dataclasses import dataclass, field

from loyalty.errors import InsufficientBalance, LoyaltyError, ReturnCannotTakeBack
from loyalty.units import points_text


@dataclass(frozen=True)
class AccountState:
    """An account as the till and the rules see it."""

    balance: int = 0
    # The balance less lots that have expired but are not booked away yet: what can be spent.
    available: int = 0
    claim: int = 0


@dataclass(frozen=True)
class Offer:
    """One booking the till can offer on an account now."""

    kind: str
    # The service's arguments besides the card: {"program": 3}, {"reward": 7}, …
    payload: dict = field(default_factory=dict)
    # The argument the cashier types as an amount in euros, if any.
    amount_field: str | None = None
    reward: object | None = None  # loyalty.models.Reward, for a reward's redemption


@dataclass(frozen=True)
class Goal:
    """A reward as the cardholder sees it from their balance: covered now (nothing missing), or
    how much is still missing (`missing_text`: "20 points")."""

    name: str
    missing: int = 0
    missing_text: str = ""

    @property
    def reached(self) -> bool:
        return self.missing <= 0


class ProgramBehaviour:
    kind: str = ""
    label = ""  # the kind's name for people, in Program.kind's choices
    order = 100  # where the kind comes in lists of kinds
    # The booking kinds this program's accounts take part in (besides the generic ones).
    bookings: frozenset[str] = frozenset()
    # What a return or a reversal cannot take back because it was spent: an open claim that
    # later credits pay off (points), or a refusal (money, stamps).
    takes_back_as_claim: bool = False
    # Whether amounts are cents of euros (typed in euros in a form) or counted units (points, stamps).
    counts_money: bool = False

    def __init__(self, program):
        self.program = program

    def allows(self, booking_kind: str) -> bool:
        return booking_kind in self.bookings

    # --- How amounts read ------------------------------------------------------------------------

    def amount_text(self, amount: int, *, signed: bool = False) -> str:
        """An amount of this program's unit: `12 points`, `3 stamps`, `12,50 €`."""
        return points_text(amount, signed=signed)

    def balance_text(self, balance: int) -> str:
        return self.amount_text(balance)

    # --- What the cardholder reads ----------------------------------------------------------------

    def describe(self, *, today: datetime.date) -> list[str]:
        """What this program offers, in plain words for the customer, one sentence each (the
        portal's landing page): "10 stamps = 1 coffee"."""
        return []

    def goals(self, account: AccountState) -> list[Goal]:
        """The rewards this account covers now and the next one it does not cover yet, for the
        cardholder; none for a program without rewards."""
        return []

    # --- Credits ---------------------------------------------------------------------------------

    def credit_expires_on(self, booked_on: datetime.date) -> datetime.date | None:
        """When a credit booked on that day expires; None: never."""
        return None

    def credit_refusal(self, *, balance: int, amount: int) -> LoyaltyError | None:
        """Why a credit of `amount` (a top-up) may not land on this balance, or None."""
        return None

    def rewards_reached(self, *, before: int, after: int) -> list[str]:
        """What a credit from `before` to `after` has just made redeemable, for the cashier."""
        return []

    def earns_on(self, booking_kind: str) -> bool:
        """Whether a booking of that kind (of any program) also earns on this program."""
        return False

    # --- Debits ----------------------------------------------------------------------------------

    def debit_refusal(self, booking_kind: str, *, account: AccountState, amount: int) -> LoyaltyError | None:
        """Why `amount` may not be taken from this account for a booking of that kind, or None."""
        if amount > account.available:
            return InsufficientBalance(available=self.amount_text(account.available),
                                       requested=self.amount_text(amount))
        return None

    def take_back_refusal(self, *, account: AccountState, amount: int) -> LoyaltyError | None:
        """Why a return or reversal may not take `amount` back from this account, or None."""
        if self.takes_back_as_claim or amount <= account.available:
            return None
        return ReturnCannotTakeBack(available=self.amount_text(account.available),
                                    requested=self.amount_text(amount))

    # --- The till --------------------------------------------------------------------------------

    def till_offers(self, account: AccountState, *, today: datetime.date) -> list[Offer]:
        """The bookings the till offers on this account today, in the order it shows them."""
        return []

    def _offer_if_allowed(self, kind: str, account: AccountState, *, amount: int, **offer) -> list[Offer]:
        """An offer of `kind` when a debit of `amount` (the least the service accepts) is allowed."""
        if self.debit_refusal(kind, account=account, amount=amount) is not None:
            return []
        return [Offer(kind, **offer)]
