"""One failure throttle for every secret that people and devices present, on every host: passwords,
PINs, two-factor codes, pairing codes and card numbers (and the portal's activation codes, when the
portal checks them: one more Limit here).

Failures are counted in the cache per subject (an account at an address, an address, a terminal, a
person) in fixed windows; the cache's key function puts the schema's name in every key, so each
merchant (and the operator) counts on its own. Past a limit, every attempt of that subject waits for
the window's end, right answer or not, and the lock-out is written down by the side that asked
(`on_lockout`: an audit row in its own log) and logged here.

Our own module rather than django-axes: axes throttles Django's `authenticate()` only, while the
till's PINs, pairing codes and card numbers and the two-factor codes need the same counting; axes
would also keep its counts in database tables that every merchant schema would need."""
import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection

logger = logging.getLogger("stammkunde.throttling")


class Throttled(Exception):
    """Too many failures: nothing is checked until `retry_after` seconds have passed."""

    def __init__(self, limit: "Limit", retry_after: int):
        super().__init__(f"{limit.name}: wait {retry_after} s")
        self.limit, self.retry_after = limit, retry_after

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


@dataclass(frozen=True)
class Limit:
    """At most `failures` failed attempts per subject in a fixed window of `window` seconds."""

    name: str
    failures: int
    window: int

    def _key(self, subject: str, now: float) -> str:
        return f"throttle:{self.name}:{subject}:{int(now // self.window)}"

    def _rest_of_window(self, now: float) -> int:
        return max(1, math.ceil(self.window - now % self.window))

    def wait(self, *subjects: str) -> int:
        """Seconds until these subjects may try again; 0 while none of them is over the limit."""
        if not subjects:
            return 0
        now = time.time()
        counts = cache.get_many([self._key(subject, now) for subject in subjects])
        return self._rest_of_window(now) if any(n > self.failures for n in counts.values()) else 0

    def fail(self, *subjects: str) -> int:
        """Count a failed attempt for each subject; the wait if that took one over the limit."""
        now = time.time()
        over = False
        for subject in subjects:
            key = self._key(subject, now)
            # A little longer than the window, so the key cannot expire between add and incr.
            cache.add(key, 0, timeout=self.window + 10)
            over = cache.incr(key) > self.failures or over
        return self._rest_of_window(now) if over else 0

    def check(self, *subjects: str) -> None:
        """Refuse (Throttled) while any of these subjects is over the limit."""
        if wait := self.wait(*subjects):
            raise Throttled(self, wait)

    def failed(self, *subjects: str, on_lockout: Callable[[], None] | None = None, **context) -> None:
        """Count a failure; the one that goes over the limit is written down (`on_lockout`, and the
        log) and refused with the wait (Throttled)."""
        if wait := self.fail(*subjects):
            if on_lockout is not None:
                on_lockout()
            logger.warning("Throttled (%s): more than %s failed attempts in %s s; schema %s; %s",
                           self.name, self.failures, self.window, connection.schema_name,
                           ", ".join(f"{key} {value}" for key, value in context.items()) or "-")
            raise Throttled(self, wait)


# A sign-in's password: per account at one address, and per address over all accounts (a spray).
PASSWORDS = Limit("wrong-passwords", failures=10, window=15 * 60)
PASSWORDS_FROM_AN_ADDRESS = Limit("wrong-passwords-from-an-address", failures=50, window=15 * 60)
PINS = Limit("wrong-pins", failures=5, window=15 * 60)
# A second factor's codes: per account at one address, and per account over all addresses (who
# guesses codes has the password already, and may have many addresses).
TWO_FACTOR_CODES = Limit("wrong-two-factor-codes", failures=5, window=15 * 60)
TWO_FACTOR_CODES_FOR_AN_ACCOUNT = Limit("wrong-two-factor-codes-for-an-account", failures=20, window=60 * 60)
PAIRING_CODES = Limit("wrong-pairing-codes", failures=10, window=15 * 60)
UNKNOWN_CARDS = Limit("unknown-cards", failures=10, window=5 * 60)
# The customer portal. An activation code printed on a card: the fifth wrong one in a row locks
# that card number (whether it exists or not) for the rest of the window, and every address has
# its own limit over all card numbers.
ACTIVATION_CODES = Limit("wrong-activation-codes", failures=4, window=30 * 60)
ACTIVATION_CODES_FROM_AN_ADDRESS = Limit("wrong-activation-codes-from-an-address", failures=20, window=30 * 60)
# E-mails the portal sends on request (sign-in links, confirmations): per address and per
# recipient, so the portal cannot be used to flood a mailbox.
PORTAL_EMAILS = Limit("portal-emails", failures=5, window=60 * 60)
# Apple's pass web service: requests refused for a wrong token or odd input, per address (a phone
# never sends either), and the log messages phones post, per address.
WALLET_REFUSALS = Limit("wallet-refusals", failures=30, window=15 * 60)
WALLET_LOGS = Limit("wallet-logs", failures=30, window=60 * 60)


def account_subject(email: str) -> str:
    return f"account:{(email or '').strip().lower()}"


def address_subject(address: str) -> str:
    return f"address:{address}"


def sign_in_subjects(email: str, address: str) -> tuple[str, str]:
    """For PASSWORDS: the account at this address; for PASSWORDS_FROM_AN_ADDRESS: the address."""
    return f"{account_subject(email)}@{address}", address_subject(address)


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(network, strict=False) for network in settings.TRUSTED_PROXIES)


def client_address(request) -> str:
    """The client's address. X-Forwarded-For is believed only as far as it was written by our own
    proxies (TRUSTED_PROXIES): from the right, the first hop that is not one of them."""
    address = request.META.get("REMOTE_ADDR", "")
    if not _trusted(address):
        return address
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop):
            return hop
        address = hop
    return address
