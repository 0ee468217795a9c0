"""Stamp cards: N stamps earn the reward, then the card starts again."""
from loyalty.programs.base import ProgramBehaviour


class StampsBehaviour(ProgramBehaviour):
    kind = "stamps"
    bookings = frozenset({"stamp", "redeem_stamps"})

    def rewards_available(self, balance: int) -> int:
        return balance // self.program.stamps_per_reward
