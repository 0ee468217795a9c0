"""Settings for the test suite: real PostgreSQL and Redis, nothing sent outside the machine."""
import tempfile
from pathlib import Path

from config.settings.base import *  # noqa: F403

DEBUG = False
# Tests open connections from several threads (workers, live server); don't keep them around.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Argon2 stays (it is what production uses), with fewer rounds so sign-ins in tests are quick.
PASSWORD_HASHERS = ["tests.support.hashers.FastArgon2PasswordHasher"]
CELERY_BROKER_URL = REDIS_URL  # noqa: F405
CELERY_RESULT_BACKEND = REDIS_URL  # noqa: F405
# Uploads and generated files of a test run stay out of the developer's .var/media.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="stammkunde-test-media-"))
EXPORT_ROOT = MEDIA_ROOT / "exports"
# The wallet's development chain of a test run, and pushes to Apple to a closed port on this
# machine (the tests that push start a fake and point WALLET_APNS_URL at it).
WALLET_DEV_DIR = Path(tempfile.mkdtemp(prefix="stammkunde-test-wallet-"))
WALLET_APNS_URL = "http://127.0.0.1:9"
