"""VAT: one half-up rounding to cents, reverse charge for EU businesses outside Germany."""
from decimal import Decimal

import pytest

from billing.tax import REVERSE_CHARGE_NOTE, cents_round, vat_cents, vat_treatment


@pytest.mark.parametrize(("amount", "cents"), [
    ("1890.5", 1891), ("1890.49", 1890), ("0.5", 1), ("-0.5", -1), ("-1890.5", -1891),
])
def test_decimal_becomes_cents_rounded_half_up(amount, cents):
    assert cents_round(Decimal(amount)) == cents


def test_vat_on_five_terminals_is_rounded_half_up():
    assert vat_cents(net_cents=9950, rate_percent=Decimal("19")) == 1891  # 1890.5


def test_austrian_business_with_a_vat_id_is_billed_under_reverse_charge():
    treatment = vat_treatment(country="AT", vat_id="ATU12345678")

    assert (treatment.rate_percent, treatment.reverse_charge, treatment.note) == (
        Decimal(0), True, REVERSE_CHARGE_NOTE)


@pytest.mark.parametrize(("country", "vat_id"), [
    ("AT", ""), ("AT", "   "), ("DE", "DE123456789"), ("CH", "CHE123456789"),
], ids=["austria without a VAT id", "austria with a blank VAT id", "germany", "outside the EU"])
def test_everyone_else_pays_german_vat(country, vat_id):
    treatment = vat_treatment(country=country, vat_id=vat_id)

    assert (treatment.rate_percent, treatment.reverse_charge, treatment.note) == (Decimal(19), False, "")
