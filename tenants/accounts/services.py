"""Signing in: passwords checked under the one failure throttle, and two-factor codes."""
from collections.abc import Callable

from django.contrib.auth import authenticate
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp.util import random_hex

from tenants.accounts.models import AuthenticatorDevice, User
from tenants.throttling import (
    PASSWORDS,
    PASSWORDS_FROM_AN_ADDRESS,
    TWO_FACTOR_CODES,
    TWO_FACTOR_CODES_FOR_AN_ACCOUNT,
    account_subject,
    sign_in_subjects,
)

PASSWORDS_PAUSED = _("Too many wrong passwords. Signing in is paused for this account here: please "
                     "try again in %(minutes)s min.")


def password_check(*, email: str, password: str, address: str,
                   on_lockout: Callable[[], None] | None = None) -> User | None:
    """The active user with this e-mail and password, or None for a wrong one. Every form that
    takes a password asks here: ten wrong ones for an account at an address (or fifty from one
    address) pause that for a while on every sign-in form of the host, and even the right password
    is refused meanwhile (tenants.throttling.Throttled, raised)."""
    account_here, address_only = sign_in_subjects(email, address)
    PASSWORDS.check(account_here)
    PASSWORDS_FROM_AN_ADDRESS.check(address_only)
    user = authenticate(None, username=email, password=password)
    if user is None:
        PASSWORDS.failed(account_here, on_lockout=on_lockout, account=email, address=address)
        PASSWORDS_FROM_AN_ADDRESS.failed(address_only, on_lockout=on_lockout, address=address)
    return user


def authenticator_for_enrolment(user: User) -> AuthenticatorDevice | None:
    """The user's new authenticator, not confirmed yet (made on first need), or None when the user
    has a confirmed one already: its key is shown to be added to an app, and it counts once a first
    right code confirms it. The key stays in the database (encrypted), never in the session."""
    if AuthenticatorDevice.objects.filter(user=user, confirmed=True).exists():
        return None
    device = AuthenticatorDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = AuthenticatorDevice.objects.create(user=user, name="Authenticator", confirmed=False,
                                                    key=random_hex(20))
    return device


def two_factor_verify(*, user: User, code: str, address: str,
                      on_lockout: Callable[[], None] | None = None) -> AuthenticatorDevice | None:
    """The authenticator of the user's that this code belongs to, or None. A user with a confirmed
    authenticator signs in with it; one without confirms the new one with its first right code.
    Five wrong codes for an account at an address pause code entry there, twenty from anywhere
    pause it for the account (tenants.throttling.Throttled, raised)."""
    subject, everywhere = sign_in_subjects(user.email, address)[0], account_subject(user.email)
    TWO_FACTOR_CODES.check(subject)
    TWO_FACTOR_CODES_FOR_AN_ACCOUNT.check(everywhere)
    with transaction.atomic():
        devices = list(AuthenticatorDevice.objects.select_for_update().filter(user=user).order_by("pk"))
        confirmed = [device for device in devices if device.confirmed]
        for device in confirmed or devices:
            if device.verify_token(code):
                if not device.confirmed:
                    device.confirmed = True
                    device.save(update_fields=["confirmed"])
                return device
    TWO_FACTOR_CODES.failed(subject, on_lockout=on_lockout, account=user.email, address=address)
    TWO_FACTOR_CODES_FOR_AN_ACCOUNT.failed(everywhere, on_lockout=on_lockout, account=user.email)
    return None
