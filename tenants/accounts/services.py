"""Two-factor sign-in: enrolling an authenticator and checking its codes."""
from django.db import transaction

from tenants.accounts.models import User
from tenants.accounts.totp import totp_match


@transaction.atomic
def two_factor_verify(*, user: User, code: str, secret: str | None = None) -> bool:
    """Check a code against the user's authenticator (or, when enrolling, the new `secret`),
    once per time step. On success during enrolment the secret is saved."""
    user = User.objects.select_for_update().get(pk=user.pk)
    step = totp_match(secret or user.totp_secret, code, after_step=user.totp_last_step)
    if step is None:
        return False
    if secret:
        user.totp_secret = secret
    user.totp_last_step = step
    user.save(update_fields=["totp_secret", "totp_last_step"])
    return True
