"""Settings shared by every environment; each has a safe local default."""
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import BASE_DIR, env


def _required_url(name: str) -> str:
    """Return a service URL, or explain how the project starts its own services."""
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. `make dev` and `make test` start a project-local PostgreSQL and "
            f"Redis and set it for you; for a shell of your own run "
            f"`eval \"$(python deploy/local/stack.py env dev)\"`."
        )
    return value


SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="local-only-secret-key-never-used-in-production")
DEBUG = env.bool("DJANGO_DEBUG", default=False)

# Master keys wrapping each merchant's field-encryption keys (tenants.encryption): "id:key" with 32
# random bytes in URL-safe base64, current first, older ones after it while rings still need them.
# The default is public and for local use only; production refuses it.
FIELD_ENCRYPTION_MASTER_KEYS = env.list(
    "FIELD_ENCRYPTION_MASTER_KEYS",
    default=["local-only:bG9jYWwgb25seSwgbmV2ZXIgaW4gcHJvZHVjdGlvbiE="],
)

# Every host is accepted here because the tenant middleware is the gatekeeper: a host that is not
# a Domain row answers 404 before any view runs, which is what an unknown host must see.
ALLOWED_HOSTS = ["*"]

# The proxies (addresses or networks) whose X-Forwarded-For is believed for a client's address,
# which the sign-in throttle counts by (tenants.throttling.client_address). None by default.
TRUSTED_PROXIES = env.list("STAMMKUNDE_TRUSTED_PROXIES", default=[])

# How links in e-mails reach the system (behind a proxy in production: https and no port).
PUBLIC_SCHEME = env.str("STAMMKUNDE_PUBLIC_SCHEME", default="http")
PUBLIC_PORT = env.str("STAMMKUNDE_PUBLIC_PORT", default="")
PASSWORD_RESET_TIMEOUT = 7 * 24 * 3600  # invitation links stay valid for a week

# Where the operator's own notices go (contract reminders, failed payments).
OPERATOR_EMAIL = env.str("STAMMKUNDE_OPERATOR_EMAIL", default="operator@stammkunde.localhost")

# The apex host of the operator; every merchant lives on <subdomain>.<BASE_HOST>.
BASE_HOST = env.str("STAMMKUNDE_BASE_HOST", default="stammkunde.localhost")

# --- Apps: the operator's in the public schema, the merchant's in every merchant schema --------

SHARED_APPS = [
    "tenants",  # first, so its migrate commands also keep the template schema current
    "django_tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "tenants.accounts",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_otp",
    "hq",
    "billing",
]

TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "tenants.accounts",
    "django.contrib.sessions",
    "rest_framework.authtoken",
    "loyalty",
    "portal",
]

INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Merchant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
# New merchant schemas are cloned from this one; `migrate_schemas` keeps it migrated.
TENANT_TEMPLATE_SCHEMA = "merchant_template"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
DEFAULT_NOT_FOUND_TENANT_VIEW = "tenants.views.unknown_host"
# Set the search_path when the schema changes, not before every query (django-tenants >= 4.0.1
# forgets it after a rollback, so a rolled-back SET cannot leave a stale schema behind).
TENANT_LIMIT_SET_CALLS = True

DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

MIDDLEWARE = [
    "config.middleware.RequestSanityMiddleware",
    "tenants.middleware.TenantMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.ResponseHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): signed in with a second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# --- Data stores ---------------------------------------------------------------------------------

DATABASES = {
    "default": {
        **env.db_url_config(_required_url("DATABASE_URL")),
        # django-tenants' backend (it sets the search_path per merchant), which keeps the
        # search_path when a request stays on the connection's schema.
        "ENGINE": "tenants.postgresql_backend",
        "CONN_MAX_AGE": env.int("DATABASE_CONN_MAX_AGE", default=60),
        "CONN_HEALTH_CHECKS": True,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = _required_url("REDIS_URL")

CACHES = {
    "default": {
        "BACKEND": "config.cache.RedisCache",
        "LOCATION": REDIS_URL,
        # Every key carries the schema name, so one merchant never reads another's entry.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    },
    # Keys that belong to no merchant: which merchant a host leads to (tenants.routing).
    "shared": {
        "BACKEND": "config.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "shared",
    },
}

# --- Accounts, sessions, cookies -----------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions live in each merchant's own schema, and both cookies are host-only (no Domain
# attribute): a cookie set on one merchant's host is never sent to, nor valid on, another's.
# Read from the cache and written through to the merchant's schema: a request of a signed-in
# person asks the database nothing for its session. Cache keys carry the schema name.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_DOMAIN = None
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_DOMAIN = None

# --- Internationalisation ------------------------------------------------------------------------

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates in English read day-first with a 24-hour clock, as our merchants' customers write them.
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
TIME_ZONE = "Europe/Berlin"
USE_TZ = True

# --- Static and media files ----------------------------------------------------------------------

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / ".var" / "static")
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / ".var" / "media")
# Merchants' data exports: never served as media, only through the back office's download page.
EXPORT_ROOT = env.path("DJANGO_EXPORT_ROOT", default=BASE_DIR / ".var" / "exports")
# Cardholder imports: the largest file accepted (a 50,000-row CSV is about 5 MB).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20 * 1024 * 1024)

# --- Content-Security-Policy (django-csp) --------------------------------------------------------

# Scripts and styles from our own files only; the one inline style (the merchant's colour) carries
# the request's nonce. No frames, no plugins, forms post to ourselves.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

# --- REST API ------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "loyalty.api.authentication.TerminalTokenAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "loyalty.api.exceptions.api_exception_handler",
    "DEFAULT_PARSER_CLASSES": ["loyalty.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Stammkunde API",
    "DESCRIPTION": "Card look-ups and bookings for a merchant's tills and cash registers. Every "
                   "booking takes an Idempotency-Key header; errors carry a `code` and a `message` "
                   "in the language of the Accept-Language header (German or English).",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Logging -------------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}

from config.settings.billing import *  # noqa: E402, F403
from config.settings.celery import *  # noqa: E402, F403
from config.settings.email import *  # noqa: E402, F403
from config.settings.stripe import *  # noqa: E402, F403
from config.settings.wallet import *  # noqa: E402, F403
