"""Production settings: refuse to start without secrets, secure cookies and headers."""
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from stdnum.eu import vat as eu_vat

from config.env import env
from config.settings.base import *  # noqa: F403

DEBUG = False
PUBLIC_SCHEME = "https"

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("local-only"):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a random value of at least 50 characters in production."
    )

FIELD_ENCRYPTION_MASTER_KEYS = env.list("FIELD_ENCRYPTION_MASTER_KEYS", default=[])
if not FIELD_ENCRYPTION_MASTER_KEYS or any(
    key.startswith("local-only:") for key in FIELD_ENCRYPTION_MASTER_KEYS
):
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_MASTER_KEYS must be set in production: id:key entries, current first, "
        "each key 32 random bytes in URL-safe base64."
    )

STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
if not STRIPE_SECRET_KEY or not STRIPE_WEBHOOK_SECRET:
    raise ImproperlyConfigured(
        "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must be set in production: the API key and "
        "the webhook endpoint's signing secret (whsec_...) from the Stripe dashboard."
    )

# The seller on every invoice: each detail set in the environment, none left at the development
# placeholder that could pass for real (a zero VAT id or register number, the sample street or a
# .localhost address), and the VAT id well-formed with its check digit.
_SELLER_UNSET = [
    f"BILLING_OPERATOR_{key.upper()}" for key, placeholder in BILLING_OPERATOR_PLACEHOLDERS.items()  # noqa: F405
    if not env.str(f"BILLING_OPERATOR_{key.upper()}", default="").strip()
    or (key in ("vat_id", "register", "street") and BILLING_OPERATOR[key] == placeholder)  # noqa: F405
    or (key == "email" and BILLING_OPERATOR[key].endswith(".localhost"))  # noqa: F405
]
if _SELLER_UNSET or not eu_vat.is_valid(BILLING_OPERATOR["vat_id"]):  # noqa: F405
    raise ImproperlyConfigured(
        "The seller's details on invoices must be set in production, not left at their placeholders, "
        "with a valid VAT id (BILLING_OPERATOR_VAT_ID, e.g. DE123456789 with its check digit). "
        f"Not set: {', '.join(_SELLER_UNSET) or 'none'}."
    )

# The wallet pass: the certificate Apple issued for the pass type, with its key and Apple's WWDR
# intermediate certificate (README, "The card in Apple Wallet"); a phone refuses anything else.
WALLET_FILES = {name: env.str(name, default="") for name in ("WALLET_CERT_FILE", "WALLET_KEY_FILE",
                                                            "WALLET_WWDR_FILE")}
if (not all(WALLET_FILES.values()) or not all(Path(file).is_file() for file in WALLET_FILES.values())
        or WALLET_PASS_TYPE_ID in ("", DEVELOPMENT_PASS_TYPE_ID)  # noqa: F405
        or WALLET_TEAM_ID in ("", DEVELOPMENT_TEAM_ID)):  # noqa: F405
    raise ImproperlyConfigured(
        "WALLET_PASS_TYPE_ID, WALLET_TEAM_ID, WALLET_CERT_FILE, WALLET_KEY_FILE and WALLET_WWDR_FILE must "
        "be set in production: the pass type and team from Apple's developer account, the pass type's "
        "certificate and its private key, and Apple's WWDR intermediate certificate, as PEM files that exist."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
