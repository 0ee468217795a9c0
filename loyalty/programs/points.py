"""Bonus points: earned per euro of purchase, rounded as configured, expiring in lots."""
import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.utils.translation import gettext as _

from loyalty.programs.base import ProgramBehaviour

_ROUNDING = {"down": ROUND_FLOOR, "half_up": ROUND_HALF_UP, "up": ROUND_CEILING}


class PointsBehaviour(ProgramBehaviour):
    kind = "points"
    bookings = frozenset({"earn", "redeem_reward", "bonus"})

    def points_for_purchase(self, purchase_amount_cents: int, *, on: datetime.date) -> int:
        """Points for a purchase: euros × points per euro × the best multiplier running that day,
        rounded once, at the end, by the program's rule."""
        multiplier = max(
            (action.multiplier for action in self.program.bonus_actions.all()
             if action.kind == "multiplier" and action.applies_on(on)),
            default=Decimal(1),
        )
        exact = Decimal(purchase_amount_cents) / 100 * self.program.points_per_euro * multiplier
        return int(exact.quantize(Decimal(1), rounding=_ROUNDING[self.program.rounding]))

    def rewards_reached(self, *, before: int, after: int) -> list[str]:
        return [_("Reward reached: %(reward)s") % {"reward": reward.name}
                for reward in self.program.rewards.filter(is_active=True, points__gt=before, points__lte=after)]

    def credit_expires_on(self, booked_on: datetime.date) -> datetime.date | None:
        program = self.program
        if program.expiry == "rolling_months":
            return booked_on + relativedelta(months=program.expiry_months)
        if program.expiry == "year_end":
            return datetime.date(booked_on.year + program.expiry_years, 12, 31)
        return None
