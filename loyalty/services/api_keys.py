"""API keys for cash-register integrators: made by the owner with a scope, shown once, kept only
as a hash (like terminal tokens), revocable."""
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from loyalty.actors import Actor
from loyalty.models import ApiKey
from loyalty.services.audit import audit_record

# Written before the secret part, so that a key found in a log or a repository is recognisable.
KEY_PREFIX = "sk_"
# A use is noted at most once a minute: not one write per request of a busy cash register.
LAST_USE_RESOLUTION_SECONDS = 60


def api_key_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, name: str, scope: str, actor: Actor) -> tuple[ApiKey, str]:
    """A new key and its token. The token is returned this once; only its hash is stored."""
    token = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(name=name.strip(), scope=scope, prefix=token[:len(KEY_PREFIX) + 6],
                                    key_hash=api_key_hash(token), created_by=actor.user)
    audit_record(actor=actor, action="api_key.create", target=api_key,
                 after={"name": api_key.name, "scope": scope, "prefix": api_key.prefix})
    return api_key, token


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: Actor) -> ApiKey:
    """From now on the key is refused (401); the key's row stays, as bookings name it."""
    if ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
        api_key.refresh_from_db(fields=["revoked_at"])
        audit_record(actor=actor, action="api_key.revoke", target=api_key,
                     before={"revoked_at": None}, after={"revoked_at": api_key.revoked_at.isoformat()})
    return api_key


def api_key_by_token(token: str) -> ApiKey | None:
    """The active key with this token, or None (unknown, revoked, or another merchant's)."""
    return ApiKey.objects.filter(key_hash=api_key_hash(token), revoked_at__isnull=True).first()


def api_key_used(api_key: ApiKey) -> None:
    """Note that the key is in use, for the owner's list."""
    now = timezone.now()
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > LAST_USE_RESOLUTION_SECONDS:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
