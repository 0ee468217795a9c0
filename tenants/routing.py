"""Which merchant a host belongs to, kept in each process and checked against a version number in
the shared cache on every request, so that a request asks the database only after a merchant or a
domain changed (a change anywhere bumps the version: at once, and again when it commits)."""
import copy
import uuid

from django.core.cache import caches
from django.db import transaction

# The shared cache: its keys carry no schema name, because the host is looked up before any
# merchant's schema is chosen.
_CACHE = "shared"
_VERSION_KEY = "tenants:routing-version"

# host name → (version, merchant). Replaced whole, never changed in place; merchants are handed
# out as copies, so that a request may set attributes on its own.
_hosts: dict[str, tuple[str, object]] = {}


def _current_version() -> str:
    cache = caches[_CACHE]
    version = cache.get(_VERSION_KEY)
    if version is None:
        cache.add(_VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(_VERSION_KEY)
    return version


def merchant_for_host(hostname: str, *, load):
    """The merchant of this host, or None. `load(hostname)` reads it from the public schema
    (raising the domain model's DoesNotExist) when the process does not know it current."""
    version = _current_version()
    known = _hosts.get(hostname)
    if known is not None and known[0] == version:
        return copy.copy(known[1])
    merchant = load(hostname)
    _hosts[hostname] = (version, merchant)
    return copy.copy(merchant)


def _version_bump() -> None:
    caches[_CACHE].set(_VERSION_KEY, uuid.uuid4().hex, timeout=None)


def merchants_changed() -> None:
    """Call after writing a merchant's row or a domain (save() of both does it)."""
    _version_bump()
    transaction.on_commit(_version_bump)
