"""Vouchers and gift cards: a value in cents, redeemed in parts, valid as the law requires."""
import datetime

from dateutil.relativedelta import relativedelta
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from loyalty.errors import LoyaltyError, PartialRedemptionNotAllowed
from loyalty.programs.base import AccountState, Offer, ProgramBehaviour
from loyalty.units import money_text

# Germany: the regular limitation period, to the end of the third year after the year of issue
# (§§ 195, 199 BGB). Austria: thirty years (§ 1478 ABGB); shorter terms are rarely enforceable.
YEARS_TO_YEAR_END_BY_COUNTRY = {"DE": 3}
YEARS_FROM_ISSUE_BY_COUNTRY = {"AT": 30}


def voucher_valid_until(issued_on: datetime.date, *, country: str, years: int | None = None) -> datetime.date:
    """The last day a voucher issued on `issued_on` can be redeemed."""
    if years is not None:
        return datetime.date(issued_on.year + years, 12, 31)
    if country in YEARS_FROM_ISSUE_BY_COUNTRY:
        return issued_on + relativedelta(years=YEARS_FROM_ISSUE_BY_COUNTRY[country])
    return datetime.date(issued_on.year + YEARS_TO_YEAR_END_BY_COUNTRY.get(country, 3), 12, 31)


class VoucherBehaviour(ProgramBehaviour):
    kind = "voucher"
    label = _("voucher / gift card")
    order = 4
    bookings = frozenset({"voucher_issue", "voucher_redeem"})
    counts_money = True

    def amount_text(self, amount: int, *, signed: bool = False) -> str:
        return money_text(amount, signed=signed)

    def credit_expires_on(self, booked_on: datetime.date) -> datetime.date | None:
        from tenants.selectors import merchant_current

        return voucher_valid_until(
            booked_on, country=merchant_current().country, years=self.program.voucher_validity_years
        )

    def describe(self, *, today: datetime.date) -> list[str]:
        program = self.program
        lines = [str(_("Gift vouchers, to be bought and redeemed at the till."))]
        values = program.voucher_presets or ([program.voucher_value_cents] if program.voucher_value_cents else [])
        if values:
            lines.append(_("Values: %(values)s") % {"values": ", ".join(money_text(cents) for cents in values)})
        lines.append(str(_("Can be redeemed in several parts.") if program.partial_redemption
                         else _("Redeemed in one go, for its whole value.")))
        if (valid_until := self.credit_expires_on(today)) is not None:
            lines.append(_("A voucher bought today is valid until %(date)s.")
                         % {"date": date_format(valid_until, "SHORT_DATE_FORMAT")})
        return lines

    def debit_refusal(self, booking_kind: str, *, account: AccountState, amount: int) -> LoyaltyError | None:
        if (booking_kind == "voucher_redeem" and not self.program.partial_redemption
                and 0 < account.available != amount):
            return PartialRedemptionNotAllowed(balance=money_text(account.available))
        return super().debit_refusal(booking_kind, account=account, amount=amount)

    def till_offers(self, account: AccountState, *, today: datetime.date) -> list[Offer]:
        program = {"program": self.program.pk}
        # A gift voucher is sold onto any card, one with a voucher on it already too.
        offers = [Offer("voucher_issue", program, amount_field="amount_cents")]
        if account.available <= 0:
            return offers
        if self.program.partial_redemption:
            return [Offer("voucher_redeem", program, amount_field="amount_cents"), *offers]
        # Only in full: the till books the whole value with one button.
        return [Offer("voucher_redeem", {**program, "amount_cents": account.available}), *offers]
