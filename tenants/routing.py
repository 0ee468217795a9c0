"""Which merchant a host belongs to, kept in each process and checked against a version number in
the shared cache at most once a second, so that a request asks the database only after a merchant
or a domain changed. A change bumps the version at once and again when it commits; other processes
see it a second later at most, the process that made it at once."""
import copy
import time
import uuid

from django.core.cache import caches
from django.db import transaction

# The shared cache: its keys carry no schema name, because the host is looked up before any
# merchant's schema is chosen.
_CACHE = "shared"
_VERSION_KEY = "tenants:routing-version"
VERSION_CHECK_SECONDS = 1.0

# host name → merchant, as of `_known["version"]`, read from the shared cache at `checked_at`.
# Merchants are handed out as copies, so that a request may set attributes on its own.
_hosts: dict[str, object] = {}
_known = {"version": None, "checked_at": float("-inf")}


def _current_version() -> str:
    cache = caches[_CACHE]
    version = cache.get(_VERSION_KEY)
    if version is None:
        cache.add(_VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(_VERSION_KEY)
    return version


def merchant_for_host(hostname: str, *, load):
    """The merchant of this host. `load(hostname)` reads it from the public schema (raising the
    domain model's DoesNotExist) when the process does not know it current."""
    now = time.monotonic()
    if now - _known["checked_at"] >= VERSION_CHECK_SECONDS:
        version = _current_version()
        if version != _known["version"]:
            _hosts.clear()
        _known.update(version=version, checked_at=now)
    merchant = _hosts.get(hostname)
    if merchant is None:
        merchant = _hosts[hostname] = load(hostname)
    return copy.copy(merchant)


def _version_bump() -> None:
    _hosts.clear()
    caches[_CACHE].set(_VERSION_KEY, uuid.uuid4().hex, timeout=None)


def merchants_changed() -> None:
    """Call after writing a merchant's row or a domain (save() of both does it)."""
    _version_bump()
    transaction.on_commit(_version_bump)


def hosts_forget() -> None:
    """Forget every host this process knows (tests start each from the database)."""
    _hosts.clear()
    _known.update(version=None, checked_at=float("-inf"))
