"""Prepaid money in cents: topped up, spent, never below zero, optionally capped."""
import datetime

from django.utils.translation import gettext_lazy as _

from loyalty.errors import BalanceCapExceeded, LoyaltyError, TopUpTooLarge
from loyalty.programs.base import AccountState, Offer, ProgramBehaviour
from loyalty.units import money_text


class PrepaidBehaviour(ProgramBehaviour):
    kind = "prepaid"
    label = _("prepaid balance")
    order = 2
    bookings = frozenset({"top_up", "pay"})
    counts_money = True

    def amount_text(self, amount: int, *, signed: bool = False) -> str:
        return money_text(amount, signed=signed)

    def describe(self, *, today: datetime.date) -> list[str]:
        lines = [str(_("Top up your balance and pay without cash."))]
        if self.program.max_balance_cents is not None:
            lines.append(_("Up to %(limit)s on the card.") % {"limit": money_text(self.program.max_balance_cents)})
        return lines

    def credit_refusal(self, *, balance: int, amount: int) -> LoyaltyError | None:
        program = self.program
        if program.max_top_up_cents is not None and amount > program.max_top_up_cents:
            return TopUpTooLarge(limit=money_text(program.max_top_up_cents))
        if program.max_balance_cents is not None and balance + amount > program.max_balance_cents:
            return BalanceCapExceeded(limit=money_text(program.max_balance_cents),
                                      balance=money_text(balance))
        return None

    def till_offers(self, account: AccountState, *, today: datetime.date) -> list[Offer]:
        program = {"program": self.program.pk}
        offers = []
        if self.credit_refusal(balance=account.balance, amount=1) is None:
            offers.append(Offer("top_up", program, amount_field="amount_cents"))
        return offers + self._offer_if_allowed("pay", account, amount=1, payload=program,
                                               amount_field="amount_cents")
