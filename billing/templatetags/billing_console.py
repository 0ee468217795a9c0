"""What the operator's console pages show of billing without their views asking for it: a
merchant's payment method and arrears, and which merchants of a list are in arrears."""
from django import template

from billing.selectors import (
    billing_account_for,
    invoices_in_arrears,
    merchant_arrears_cents,
    merchants_in_arrears,
)

register = template.Library()


@register.simple_tag
def billing_summary(merchant) -> dict:
    arrears = list(invoices_in_arrears(merchant=merchant))
    return {"account": billing_account_for(merchant=merchant), "arrears": arrears,
            "arrears_cents": merchant_arrears_cents(merchant=merchant)}


@register.simple_tag(name="merchants_in_arrears")
def merchants_in_arrears_tag() -> set[int]:
    return merchants_in_arrears()
