"""Bonus points: earned per euro of purchase, rounded as configured, expiring in lots."""
import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from loyalty.programs.base import AccountState, Goal, Offer, ProgramBehaviour
from loyalty.units import points_text

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

    def describe(self, *, today: datetime.date) -> list[str]:
        lines = [self._earning_text()]
        for action in self.program.bonus_actions.all():
            if action.is_active and (action.ends_on is None or today <= action.ends_on):
                lines.append(_bonus_action_text(action))
        lines += [ngettext("From %(count)s point: %(reward)s", "From %(count)s points: %(reward)s", reward.points)
                  % {"count": number_format(reward.points, force_grouping=True), "reward": reward.name}
                  for reward in self.program.rewards.all() if reward.is_active]
        if (expires_on := self.credit_expires_on(today)) is not None:
            lines.append(_("Points collected today expire on %(date)s.")
                         % {"date": date_format(expires_on, "SHORT_DATE_FORMAT")})
        return lines

    def _earning_text(self) -> str:
        per_euro = self.program.points_per_euro.normalize()
        if per_euro == per_euro.to_integral_value():
            return _("%(points)s per euro spent") % {"points": points_text(int(per_euro))}
        if 0 < per_euro < 1 and (euros := 1 / per_euro) == euros.to_integral_value():
            return _("1 point per %(euros)s € spent") % {"euros": number_format(int(euros))}
        return ngettext("%(count)s point per euro spent", "%(count)s points per euro spent", 2) % {
            "count": number_format(per_euro)}

    def goals(self, account: AccountState) -> list[Goal]:
        goals = []
        for reward in self.program.rewards.all():
            if not reward.is_active:
                continue
            # Covered exactly when the redemption would be accepted: the service's own rule.
            if self.debit_refusal("redeem_reward", account=account, amount=reward.points) is None:
                goals.append(Goal(reward.name))
            else:
                missing = reward.points - account.available
                goals.append(Goal(reward.name, missing, self.amount_text(missing)))
                break
        return goals

    def till_offers(self, account: AccountState, *, today: datetime.date) -> list[Offer]:
        program = {"program": self.program.pk}
        offers = [Offer("earn", program, amount_field="purchase_amount_cents")]
        for reward in self.program.rewards.all():
            if not reward.is_active:
                continue
            offers += self._offer_if_allowed("redeem_reward", account, amount=reward.points,
                                             payload={"reward": reward.pk}, reward=reward)
        return offers


def _period_text(starts_on: datetime.date | None, ends_on: datetime.date | None) -> str:
    dates = {"start": starts_on and date_format(starts_on, "SHORT_DATE_FORMAT"),
             "end": ends_on and date_format(ends_on, "SHORT_DATE_FORMAT")}
    if starts_on and ends_on:
        return _("from %(start)s to %(end)s") % dates
    if ends_on:
        return _("until %(end)s") % dates
    if starts_on:
        return _("from %(start)s") % dates
    return ""


def _bonus_action_text(action) -> str:
    """A bonus action as the customer reads it: "Advent: 2× points from 01/12/2026 to 24/12/2026"."""
    if action.kind == "multiplier":
        text = _("%(name)s: %(multiplier)s× points") % {
            "name": action.name, "multiplier": number_format(action.multiplier.normalize())}
        period = _period_text(action.starts_on, action.ends_on)
        return f"{text}, {period}" if period else text
    if action.kind == "birthday":
        return _("On your birthday: %(points)s extra") % {"points": points_text(action.points)}
    return _("When you register your card: %(points)s as a welcome bonus") % {"points": points_text(action.points)}
