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

# The letterhead on every invoice: who bills (German invoices must name the seller, its address
# and its VAT id).
BILLING_OPERATOR = {
    "name": env.str("BILLING_OPERATOR_NAME", default="Stammkunde GmbH"),
    "street": env.str("BILLING_OPERATOR_STREET", default="Musterstraße 1"),
    "postcode": env.str("BILLING_OPERATOR_POSTCODE", default="20095"),
    "city": env.str("BILLING_OPERATOR_CITY", default="Hamburg"),
    "vat_id": env.str("BILLING_OPERATOR_VAT_ID", default="DE000000000"),
    "email": env.str("BILLING_OPERATOR_EMAIL", default="billing@stammkunde.localhost"),
    "register": env.str("BILLING_OPERATOR_REGISTER", default="Amtsgericht Hamburg, HRB 000000"),
    "managing_director": env.str("BILLING_OPERATOR_MANAGING_DIRECTOR", default=""),
    "bank": env.str("BILLING_OPERATOR_BANK", default=""),
    "iban": env.str("BILLING_OPERATOR_IBAN", default=""),
}
