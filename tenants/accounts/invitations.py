"""Invitation links: a one-time link on the merchant's own host to choose a first password (the
owner's from onboarding, a colleague's from the staff page). It is Django's password-reset token,
so it stops working once the password is set, and after PASSWORD_RESET_TIMEOUT."""
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tenants.accounts.models import User
from tenants.models import Merchant


def merchant_url(merchant: Merchant, path: str) -> str:
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    return f"{settings.PUBLIC_SCHEME}://{merchant.primary_host}{port}{path}"


def invitation_link(*, merchant: Merchant, user: User) -> str:
    """The link for this user of the current schema, which must be the merchant's."""
    path = f"/manage/invitation/{urlsafe_base64_encode(force_bytes(user.pk))}/" \
           f"{default_token_generator.make_token(user)}/"
    return merchant_url(merchant, path)
