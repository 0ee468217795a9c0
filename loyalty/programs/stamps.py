"""Stamp cards: N stamps earn the reward, then the card starts again."""
import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from loyalty.errors import LoyaltyError, StampCardNotFull
from loyalty.programs.base import AccountState, Goal, Offer, ProgramBehaviour
from loyalty.units import stamps_text


class StampsBehaviour(ProgramBehaviour):
    kind = "stamps"
    label = _lazy("stamp card")
    order = 3
    bookings = frozenset({"stamp", "redeem_stamps"})

    def amount_text(self, amount: int, *, signed: bool = False) -> str:
        return stamps_text(amount, signed=signed)

    def balance_text(self, balance: int) -> str:
        return _("%(stamps)s of %(per_reward)s stamps") % {
            "stamps": balance, "per_reward": self.program.stamps_per_reward}

    def reward_name(self) -> str:
        return self.program.stamp_reward or self.program.name

    def describe(self, *, today: datetime.date) -> list[str]:
        return [_("%(stamps)s = %(reward)s") % {"stamps": stamps_text(self.program.stamps_per_reward),
                                                "reward": self.reward_name()},
                _("Then the card starts again.")]

    def goals(self, account: AccountState) -> list[Goal]:
        per_reward = self.program.stamps_per_reward
        goals = []
        # A full card is covered exactly when its redemption would be accepted: the service's rule.
        if self.debit_refusal("redeem_stamps", account=account, amount=per_reward) is None:
            goals.append(Goal(self.reward_name()))
        missing = per_reward - account.available % per_reward
        return [*goals, Goal(self.reward_name(), missing, self.amount_text(missing))]

    def rewards_available(self, balance: int) -> int:
        return balance // self.program.stamps_per_reward

    def rewards_reached(self, *, before: int, after: int) -> list[str]:
        if self.rewards_available(after) > self.rewards_available(before):
            return [_("Stamp card full: %(reward)s") % {"reward": self.reward_name()}]
        return []

    def debit_refusal(self, booking_kind: str, *, account: AccountState, amount: int) -> LoyaltyError | None:
        if booking_kind == "redeem_stamps" and account.available < amount:
            return StampCardNotFull(stamps=account.available, per_reward=amount)
        return super().debit_refusal(booking_kind, account=account, amount=amount)

    def till_offers(self, account: AccountState, *, today: datetime.date) -> list[Offer]:
        program = {"program": self.program.pk}
        return [Offer("stamp", program)] + self._offer_if_allowed(
            "redeem_stamps", account, amount=self.program.stamps_per_reward, payload=program)
