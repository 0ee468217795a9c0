"""The figures of the statistics as people read them: one table of their keys (the rollups' columns,
loyalty.statistics.rollups), labels and whether they are money, for the page and the monthly report."""
from django.utils import formats
from django.utils.translation import gettext_lazy

from loyalty.units import money_text

FIGURES = (  # key, label, money
    ("revenue_cents", gettext_lazy("Revenue (purchase amounts)"), True),
    ("bookings", gettext_lazy("Visits (bookings at the till)"), False),
    ("active_cards", gettext_lazy("Active cards"), False),
    ("registrations", gettext_lazy("New registrations"), False),
    ("points_issued", gettext_lazy("Points issued"), False),
    ("points_redeemed", gettext_lazy("Points redeemed"), False),
    ("prepaid_topped_up_cents", gettext_lazy("Prepaid topped up"), True),
    ("prepaid_spent_cents", gettext_lazy("Prepaid spent"), True),
    ("stamps_given", gettext_lazy("Stamps given"), False),
    ("stamps_redeemed", gettext_lazy("Stamps redeemed"), False),
    ("vouchers_sold_cents", gettext_lazy("Vouchers sold"), True),
    ("vouchers_redeemed_cents", gettext_lazy("Vouchers redeemed"), True),
)


def number_text(value: int) -> str:
    return formats.number_format(value, force_grouping=True)


def figure_text(value: int, money: bool) -> str:
    return money_text(value) if money else number_text(value)


def percent_text(value: float | None, *, signed: bool = True) -> str:
    """`+12,5 %` in German, `+12.5 %` in English; "–" where there is nothing to compare with."""
    if value is None:
        return "–"
    text = f"{formats.number_format(abs(value), 1)} %"
    if signed and value:
        text = ("+" if value > 0 else "−") + text
    return text
