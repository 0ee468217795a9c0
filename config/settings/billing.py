"""Billing: the terminal fee, VAT, payment retries and the operator's letterhead on invoices."""
from decimal import Decimal

from config.env import env

# The monthly fee per licensed terminal, net, in cents.
BILLING_TERMINAL_FEE_CENTS = env.int("BILLING_TERMINAL_FEE_CENTS", default=1990)
# German VAT; customers elsewhere in the EU with a VAT id are billed under reverse charge instead.
BILLING_VAT_RATE_PERCENT = Decimal(env.str("BILLING_VAT_RATE_PERCENT", default="19"))
# A failed payment is tried again this many days later, at most this many times.
BILLING_PAYMENT_RETRY_DAYS = env.int("BILLING_PAYMENT_RETRY_DAYS", default=3)
BILLING_PAYMENT_MAX_RETRIES = env.int("BILLING_PAYMENT_MAX_RETRIES", default=3)

# The letterhead on every invoice, and the seller in its e-invoice: who bills (German invoices
# must name the seller, its address, its VAT id and its register entry). The defaults are
# placeholders for development; production refuses to start with any of them
# (config/settings/production.py).
BILLING_OPERATOR_PLACEHOLDERS = {
    "name": "Stammkunde GmbH",
    "street": "Musterstraße 1",
    "postcode": "20095",
    "city": "Hamburg",
    "vat_id": "DE000000000",
    "email": "billing@stammkunde.localhost",
    "register": "Amtsgericht Hamburg, HRB 000000",
}
BILLING_OPERATOR_OPTIONAL = ("managing_director", "bank", "iban")
BILLING_OPERATOR = {
    key: env.str(f"BILLING_OPERATOR_{key.upper()}", default=BILLING_OPERATOR_PLACEHOLDERS.get(key, ""))
    for key in (*BILLING_OPERATOR_PLACEHOLDERS, *BILLING_OPERATOR_OPTIONAL)
}
