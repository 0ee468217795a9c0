"""Which merchant a host belongs to, kept in each process and checked against a version number in
the shared cache (tenants.versions) at most once a second, so that a request asks the database only
after a merchant or a domain changed."""
import copy
import time

from tenants import versions

_VERSION = versions.Version("tenants:routing-version")
VERSION_CHECK_SECONDS = versions.CHECK_SECONDS

# host name → merchant, as of `_known["version"]`, read from the shared cache at `checked_at`.
# Merchants are handed out as copies, so that a request may set attributes on its own.
_hosts: dict[str, object] = {}
_known = {"version": None, "checked_at": float("-inf")}


def merchant_for_host(hostname: str, *, load):
    """The merchant of this host. `load(hostname)` reads it from the public schema (raising the
    domain model's DoesNotExist) when the process does not know it current."""
    now = time.monotonic()
    if now - _known["checked_at"] >= VERSION_CHECK_SECONDS:
        version = _VERSION.current()
        if version != _known["version"]:
            _hosts.clear()
        _known.update(version=version, checked_at=now)
    merchant = _hosts.get(hostname)
    if merchant is None:
        merchant = _hosts[hostname] = load(hostname)
    return copy.copy(merchant)


def merchants_changed() -> None:
    """Call after writing a merchant's row or a domain (save() of both does it)."""
    _VERSION.changed(forget=_hosts.clear)


def hosts_forget() -> None:
    """Forget every host this process knows (tests start each from the database)."""
    _hosts.clear()
    _known.update(version=None, checked_at=float("-inf"))
