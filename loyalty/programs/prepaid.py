"""Prepaid money in cents: topped up, spent, never below zero, optionally capped."""
from loyalty.errors import BalanceCapExceeded, TopUpTooLarge
from loyalty.programs.base import ProgramBehaviour


class PrepaidBehaviour(ProgramBehaviour):
    kind = "prepaid"
    bookings = frozenset({"top_up", "pay"})

    def check_credit(self, *, balance: int, amount: int) -> None:
        program = self.program
        if program.max_top_up_cents is not None and amount > program.max_top_up_cents:
            raise TopUpTooLarge(limit=program.max_top_up_cents)
        if program.max_balance_cents is not None and balance + amount > program.max_balance_cents:
            raise BalanceCapExceeded(limit=program.max_balance_cents, balance=balance)
