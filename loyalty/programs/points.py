"""Bonus points: earned per euro of purchase, rounded as configured, expiring in lots."""
import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from loyalty.programs.base import AccountState, Offer, ProgramBehaviour

_ROUNDING = {"down": ROUND_FLOOR, "half_up": ROUND_HALF_UP, "up": ROUND_CEILING}


class PointsBehaviour(ProgramBehaviour):
    kind = "points"
    label = _lazy("bonus points")
    order = 1
    bookings = frozenset({"earn", "redeem_reward", "bonus"})
    # "Buy, earn, redeem the reward, return": the points the return cannot take back stay owed.
    takes_back_as_claim = True

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

    def earns_on(self, booking_kind: str) -> bool:
        program = self.program
        return {
            "earn": True,
            "top_up": program.points_on_top_ups,
            "voucher_issue": program.points_on_voucher_sales,
            "pay": program.points_on_prepaid_payments,
        }.get(booking_kind, False)

    def rewards_reached(self, *, before: int, after: int) -> list[str]:
        return [_("Reward reached: %(reward)s") % {"reward": reward.name}
                for reward in self.program.rewards.all() if reward.is_active and before < reward.points <= after]

    def credit_expires_on(self, booked_on: datetime.date) -> datetime.date | None:
        program = self.program
        if program.expiry == "rolling_months":
            return booked_on + relativedelta(months=program.expiry_months)
        if program.expiry == "year_end":
            return datetime.date(booked_on.year + program.expiry_years, 12, 31)
        return None

    def till_offers(self, account: AccountState, *, today: datetime.date) -> list[Offer]:
        program = {"program": self.program.pk}
        offers = [Offer("earn", program, amount_field="purchase_amount_cents")]
        for reward in self.program.rewards.all():
            if not reward.is_active:
                continue
            offers += self._offer_if_allowed("redeem_reward", account, amount=reward.points,
                                             payload={"reward": reward.pk}, reward=reward)
        return offers
