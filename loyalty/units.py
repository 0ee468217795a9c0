"""How amounts read in the user's language: money as `12,50 €` (German) or `12.50 €` (English),
points and stamps as counted words. Amounts are whole numbers everywhere else."""
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import ngettext


def _signed(text: str, amount: int, signed: bool) -> str:
    if not signed:
        return text
    return f"{'+' if amount > 0 else '−'}{text}"


def money_text(cents: int, *, signed: bool = False) -> str:
    """`1.234,50 €` in German, `1,234.50 €` in English."""
    text = f"{number_format(Decimal(abs(cents)) / 100, 2, force_grouping=True)} €"
    return _signed(text, cents, signed)


def points_text(points: int, *, signed: bool = False) -> str:
    size = abs(points)
    text = ngettext("%(count)s point", "%(count)s points", size) % {
        "count": number_format(size, force_grouping=True)}
    return _signed(text, points, signed)


def stamps_text(stamps: int, *, signed: bool = False) -> str:
    size = abs(stamps)
    text = ngettext("%(count)s stamp", "%(count)s stamps", size) % {"count": size}
    return _signed(text, stamps, signed)
