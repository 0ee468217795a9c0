"""The small interface every program kind implements."""
import datetime


class ProgramBehaviour:
    kind: str = ""
    # The booking kinds this program's accounts take part in (besides the generic ones).
    bookings: frozenset[str] = frozenset()

    def __init__(self, program):
        self.program = program

    def allows(self, booking_kind: str) -> bool:
        return booking_kind in self.bookings

    def credit_expires_on(self, booked_on: datetime.date) -> datetime.date | None:
        """When a credit booked on that day expires; None: never."""
        return None

    def check_credit(self, *, balance: int, amount: int) -> None:
        """Raise a BookingError when a credit of `amount` is not allowed on this balance."""

    def rewards_reached(self, *, before: int, after: int) -> list[str]:
        """What a credit from `before` to `after` has just made redeemable, for the cashier."""
        return []
