"""Stamp cards: N stamps earn the reward, then the card starts again."""
from django.utils.translation import gettext as _

from loyalty.programs.base import ProgramBehaviour


class StampsBehaviour(ProgramBehaviour):
    kind = "stamps"
    bookings = frozenset({"stamp", "redeem_stamps"})

    def rewards_available(self, balance: int) -> int:
        return balance // self.program.stamps_per_reward

    def rewards_reached(self, *, before: int, after: int) -> list[str]:
        if self.rewards_available(after) > self.rewards_available(before):
            reward = self.program.stamp_reward or self.program.name
            return [_("Stamp card full: %(reward)s") % {"reward": reward}]
        return []
