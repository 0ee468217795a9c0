"""The wallet pass (Apple Wallet .pkpass): the pass type, the team, the signing certificate with
its key and Apple's intermediate (WWDR) certificate, and where pushes to Apple go.

Without WALLET_CERT_FILE the project signs with its own self-signed chain under WALLET_DEV_DIR,
made on first use (loyalty.wallet.certificates.development_chain): fine for development and tests,
refused by real phones. Production names the certificate Apple issued for the pass type and
refuses to start without it (config/settings/production.py)."""
from config.env import BASE_DIR, env

DEVELOPMENT_PASS_TYPE_ID = "pass.localhost.stammkunde.card"
DEVELOPMENT_TEAM_ID = "STAMMKUNDE"

WALLET_PASS_TYPE_ID = env.str("WALLET_PASS_TYPE_ID", default=DEVELOPMENT_PASS_TYPE_ID)
WALLET_TEAM_ID = env.str("WALLET_TEAM_ID", default=DEVELOPMENT_TEAM_ID)
WALLET_CERT_FILE = env.str("WALLET_CERT_FILE", default="")  # the pass type's certificate, PEM
WALLET_KEY_FILE = env.str("WALLET_KEY_FILE", default="")  # its private key, PEM
WALLET_KEY_PASSWORD = env.str("WALLET_KEY_PASSWORD", default="")
WALLET_WWDR_FILE = env.str("WALLET_WWDR_FILE", default="")  # Apple's intermediate certificate, PEM
# Not .var/wallet: .var/<letters> belongs to a stack of deploy/local/stack.py.
WALLET_DEV_DIR = env.path("WALLET_DEV_DIR", default=BASE_DIR / ".var" / "wallet-pass")
# Apple's push service (HTTP/2); tests point it at their fake.
WALLET_APNS_URL = env.str("WALLET_APNS_URL", default="https://api.push.apple.com")
