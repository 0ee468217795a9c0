"""One user model, stored per schema: the public schema's users are the operator's staff,
a merchant schema's users are that merchant's owner, managers and cashiers."""
import base64
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, TimestampMixin
from django_otp.oath import TOTP

from tenants.fields import EncryptedTextField


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("A user needs an e-mail address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)  # None gives an unusable password, to be set by invitation
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)

    def create_owner(self, email: str, password: str | None = None) -> "User":
        """The merchant's owner: every permission within the merchant's own schema."""
        return self.create_user(email, password, is_superuser=True)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Operator staff only: may use the operator console on the apex host.
    is_staff = models.BooleanField(_("operator staff"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Quick switch at a merchant's till (loyalty.pos): a short PIN, hashed like a password.
    pos_pin = models.CharField(_("till PIN"), max_length=128, blank=True, editable=False)
    # Counted up to end every session of the user's (back office and till) at once: it is part of
    # the hash each session carries, so a session from before no longer matches.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.full_name or self.email

    def get_session_auth_hash(self):
        return self._session_hash()

    def get_session_auth_fallback_hash(self):
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret=fallback_secret)

    def _session_hash(self, secret=None) -> str:
        """Django's hash of the password, with the session generation in it: a new password or
        a new generation signs every session out."""
        return salted_hmac("tenants.accounts.User.session_hash", f"{self.session_generation}:{self.password}",
                           secret=secret, algorithm="sha256").hexdigest()


class AuthenticatorDevice(TimestampMixin, Device):
    """An authenticator app for two-factor sign-in (TOTP, RFC 6238, on django-otp). Its key is
    encrypted with the keys of the schema's row (a merchant's, or the operator's), which the master
    key wraps; a device is unconfirmed until its first right code. Wrong codes are counted by the
    one failure throttle (tenants.accounts.services.two_factor_verify), not by django-otp's own
    back-off, which refused even the right code for seconds after a wrong one."""

    # 20 random bytes in hex, encrypted at rest.
    key = EncryptedTextField()
    # The last time step a code was accepted for: a code counts once.
    last_step = models.BigIntegerField(default=-1)

    class Meta:
        verbose_name = _("authenticator")
        verbose_name_plural = _("authenticators")

    STEP_SECONDS = 30
    DIGITS = 6
    DRIFT_STEPS = 1  # one step of clock drift either way

    @property
    def base32_key(self) -> str:
        """The key as authenticator apps take it when typed in."""
        return base64.b32encode(bytes.fromhex(self.key)).decode()

    def config_url(self, *, issuer: str = "Stammkunde") -> str:
        """The otpauth:// address an authenticator app reads from the QR code."""
        label = quote(f"{issuer}:{self.user.email}")
        return (f"otpauth://totp/{label}?secret={self.base32_key}&issuer={quote(issuer)}"
                f"&digits={self.DIGITS}&period={self.STEP_SECONDS}")

    def verify_token(self, token) -> bool:
        """Whether this is the code of the current time step (or one next to it), not used before."""
        code = "".join(str(token).split())
        totp = TOTP(bytes.fromhex(self.key), step=self.STEP_SECONDS, digits=self.DIGITS)
        if code.isascii() and code.isdigit() and len(code) == self.DIGITS and totp.verify(
                int(code), tolerance=self.DRIFT_STEPS, min_t=self.last_step + 1):
            self.last_step = totp.t()
            self.set_last_used_timestamp(commit=False)
            self.save()
            return True
        return False
