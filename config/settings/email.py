"""E-mail: SMTP when EMAIL_URL is set, otherwise printed to the console."""
from config.env import env

DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Stammkunde <noreply@stammkunde.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
