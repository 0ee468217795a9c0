"""VAT: one half-up rounding to cents, reverse charge for EU businesses outside Germany."""
from decimal import Decimal

import pytest

from billing.tax import (
    REVERSE_CHARGE_NOTE,
    cents_round,
    vat_cents,
    vat_id_normalized,
    vat_id_valid,
    vat_treatment,
)


@pytest.mark.parametrize(("amount", "cents"), [
    ("1890.5", 1891), ("1890.49", 1890), ("0.5", 1), ("-0.5", -1), ("-1890.5", -1891),
])
def test_decimal_becomes_cents_rounded_half_up(amount, cents):
    assert cents_round(Decimal(amount)) == cents


def test_vat_on_five_terminals_is_rounded_half_up():
    assert vat_cents(net_cents=9950, rate_percent=Decimal("19")) == 1891  # 1890.5


def test_austrian_business_with_a_vat_id_is_billed_under_reverse_charge():
    treatment = vat_treatment(country="AT", vat_id="ATU13585627")

    assert (treatment.rate_percent, treatment.reverse_charge, treatment.note) == (
        Decimal(0), True, REVERSE_CHARGE_NOTE)


@pytest.mark.parametrize(("country", "vat_id"), [
    ("AT", ""), ("AT", "   "), ("AT", "ATU12345678"), ("AT", "DE811907980"), ("AT", "ATU 1358 5627 X"),
    ("DE", "DE811907980"), ("CH", "CHE123456789"),
], ids=["austria without a VAT id", "austria with a blank VAT id", "a wrong check digit",
        "a German VAT id for an Austrian company", "not the format", "germany", "outside the EU"])
def test_everyone_else_pays_german_vat(country, vat_id):
    treatment = vat_treatment(country=country, vat_id=vat_id)

    assert (treatment.rate_percent, treatment.reverse_charge, treatment.note) == (Decimal(19), False, "")


@pytest.mark.parametrize("written", ["ATU13585627", "atu 135 856 27", "ATU-13.585.627"])
def test_an_austrian_vat_id_counts_however_it_is_written(written):
    assert vat_id_valid(country="AT", vat_id=written)
    assert vat_id_normalized(written) == "ATU13585627"
    assert vat_treatment(country="AT", vat_id=written).reverse_charge


def test_a_greek_vat_id_starts_with_el():
    assert vat_id_valid(country="GR", vat_id="EL094259216")
    assert not vat_id_valid(country="GR", vat_id="GR094259216")
