"""Stripe: payments switch on when STRIPE_SECRET_KEY is set; webhooks need STRIPE_WEBHOOK_SECRET."""
from config.env import env

# Empty locally: no payment is attempted and every webhook is refused (an empty signing secret
# would let anyone sign). Production refuses to start without both.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Another address for Stripe's API, e.g. the fake Stripe the tests run; empty means Stripe's own.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
