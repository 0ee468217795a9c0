"""The customer portal's accounts: the links it e-mails (confirm an address, sign in, accept an
invitation from the till, confirm a deletion), and what binds a portal session to the person.

A link carries a signed token: the cardholder, what the link is for, and a hash of the part of
the person's state that using the link changes. So every link works once: signing in moves
`portal_sign_in_at`, confirming moves `email_confirmed_at`, deleting sets `anonymised_at`, and
an older link of the same kind no longer matches. Nothing of the person's data is in the link.
Tokens are signed per merchant schema: a link of alice's never opens on bob's host."""
import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import connection

from loyalty.models import Cardholder

_MINUTE = 60
_DAY = 24 * 3600


@dataclass(frozen=True)
class LinkKind:
    name: str
    max_age: int  # seconds a link of this kind is valid
    state: tuple[str, ...]  # the cardholder's fields that using such a link changes


CONFIRM_EMAIL = LinkKind("confirm-email", 3 * _DAY, ("email_index", "email_confirmed_at", "anonymised_at"))
CONFIRM_NEW_EMAIL = LinkKind("confirm-new-email", 3 * _DAY, ("email_new", "email_index", "anonymised_at"))
SIGN_IN = LinkKind("sign-in", 30 * _MINUTE, ("portal_sign_in_at", "portal_generation", "anonymised_at"))
INVITATION = LinkKind("invitation", 14 * _DAY, ("email_confirmed_at", "portal_sign_in_at", "anonymised_at"))
DELETION = LinkKind("deletion", 1 * _DAY, ("portal_generation", "anonymised_at"))
LINK_KINDS = {kind.name: kind for kind in (CONFIRM_EMAIL, CONFIRM_NEW_EMAIL, SIGN_IN, INVITATION, DELETION)}


def _salt() -> str:
    return f"stammkunde.portal:{connection.schema_name}"


def _state_hash(cardholder: Cardholder, kind: LinkKind) -> str:
    state = "|".join(str(getattr(cardholder, field)) for field in kind.state)
    return hmac.new(settings.SECRET_KEY.encode(), f"{kind.name}|{cardholder.pk}|{state}".encode(),
                    hashlib.sha256).hexdigest()[:32]


def portal_link_token(cardholder: Cardholder, kind: LinkKind, **extra) -> str:
    """A token for a link of `kind` to `cardholder`; `extra` (short, not personal) rides along."""
    return signing.dumps({"c": cardholder.pk, "k": kind.name, "s": _state_hash(cardholder, kind), **extra},
                         salt=_salt(), compress=True)


@dataclass(frozen=True)
class PortalLink:
    cardholder: Cardholder
    extra: dict


def portal_link_read(token: str, kind: LinkKind, *, queryset=None) -> PortalLink | None:
    """The cardholder and extras of a valid, unused link of `kind`, or None (expired, used,
    tampered with, of another kind or another merchant)."""
    try:
        data = signing.loads(token, salt=_salt(), max_age=timedelta(seconds=kind.max_age))
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("k") != kind.name or not isinstance(data.get("c"), int):
        return None
    cardholder = (queryset if queryset is not None else Cardholder.objects).filter(pk=data["c"]).first()
    if cardholder is None or cardholder.anonymised_at is not None:
        return None
    if not hmac.compare_digest(str(data.get("s", "")), _state_hash(cardholder, kind)):
        return None
    return PortalLink(cardholder, {key: value for key, value in data.items() if key not in ("c", "k", "s")})


def portal_session_hash(cardholder: Cardholder) -> str:
    """What a portal session keeps to stay valid: changes when the password changes, the person is
    anonymised or all their sessions are ended (`portal_generation`)."""
    state = f"{cardholder.pk}|{cardholder.password}|{cardholder.portal_generation}|{cardholder.anonymised_at}"
    return hmac.new(settings.SECRET_KEY.encode(), f"portal-session|{connection.schema_name}|{state}".encode(),
                    hashlib.sha256).hexdigest()
