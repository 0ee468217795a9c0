"""The demo that `make dev` sets up (hq's `seed_demo_operator`, then loyalty's `seed_demo`): who
signs in where. The banner of deploy/local/dev.py and the README show the same."""
OPERATOR_EMAIL = "operator@stammkunde.localhost"
OPERATOR_PASSWORD = "stammkunde"
DEMO_SUBDOMAIN = "demo"
DEMO_OWNER_EMAIL = "owner@demo.localhost"
DEMO_OWNER_PASSWORD = "demo"
# A second merchant, in arrears: its last invoice's direct debit failed after every retry.
ARREARS_SUBDOMAIN = "eiscafe"
ARREARS_OWNER_EMAIL = "owner@eiscafe.localhost"
DEMO_CASHIER_EMAIL = "kasse@demo.localhost"  # signs in at the till (/pos/) with the owner's password
DEMO_MANAGER_EMAIL = "leitung@demo.localhost"  # the back office as a manager, the owner's password
# The customer portal: Anna signs in with a password (Ben by a sign-in link, which the console shows),
# and a blank card waits to be registered with its printed activation code.
DEMO_CARDHOLDER_EMAIL = "anna@example.com"
DEMO_CARDHOLDER_PASSWORD = "Brezel-Demo-2026"
DEMO_BLANK_CARD_SERIAL = 25
DEMO_ACTIVATION_CODE = "KAFFEE23"
