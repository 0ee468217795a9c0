"""One user model, stored per schema: the public schema's users are the operator's staff,
a merchant schema's users are that merchant's owner, managers and cashiers."""
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
    # Two-factor sign-in (tenants.accounts.totp): the authenticator's secret and the last time
    # step a code was accepted for, so that a code cannot be used twice.
    totp_secret = models.CharField(max_length=64, blank=True, editable=False)
    totp_last_step = models.BigIntegerField(default=-1, editable=False)
    # Quick switch at a merchant's till (loyalty.pos): a short PIN, hashed like a password.
    pos_pin = models.CharField(_("till PIN"), max_length=128, blank=True, editable=False)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.full_name or self.email
