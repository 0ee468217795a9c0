"""Failed attempts (unknown card numbers at the till and in the REST API, wrong PINs, passwords and
pairing codes) counted in the cache per terminal, user or address, so that guessing is slowed down
and gets noticed."""
import logging
import math
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection

from loyalty.actors import Actor
from loyalty.services.audit import audit_record

logger = logging.getLogger("loyalty.throttling")


@dataclass(frozen=True)
class Limit:
    """At most `failures` failed attempts per subject in a fixed window of `window` seconds; after
    that every attempt of that subject waits for the window's end. Cache keys carry the
    merchant's schema (the cache's key function), so merchants never share a count."""

    name: str
    failures: int
    window: int

    def _key(self, subject: str, now: float) -> str:
        return f"pos:{self.name}:{subject}:{int(now // self.window)}"

    def _rest_of_window(self, now: float) -> int:
        return max(1, math.ceil(self.window - now % self.window))

    def wait(self, *subjects: str) -> int:
        """Seconds until these subjects may try again; 0 while none of them is over the limit."""
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


UNKNOWN_CARDS = Limit("unknown-cards", failures=10, window=5 * 60)
WRONG_PINS = Limit("wrong-pins", failures=5, window=15 * 60)
WRONG_PASSWORDS = Limit("wrong-passwords", failures=10, window=15 * 60)
WRONG_PAIRING_CODES = Limit("wrong-pairing-codes", failures=10, window=15 * 60)


def actor_subjects(actor: Actor) -> list[str]:
    """Who is counted for an actor's attempts: its terminal and its user, each on its own."""
    subjects = []
    if actor.terminal is not None:
        subjects.append(f"terminal:{actor.terminal.pk}")
    if actor.user is not None:
        subjects.append(f"user:{actor.user.pk}")
    return subjects


def limit_exceeded_record(*, limit: Limit, actor: Actor, **data) -> None:
    """Write down that someone went over a limit: an audit row and a warning in the log."""
    audit_record(actor=actor, action=f"throttled.{limit.name}", failures=limit.failures,
                 window_seconds=limit.window, **data)
    logger.warning(
        "Throttled (%s): more than %s failed attempts in %s s; "
        "merchant %s, terminal %s, user %s",
        limit.name, limit.failures, limit.window, connection.schema_name,
        actor.terminal.pk if actor.terminal else "-", actor.user.pk if actor.user else "-",
    )
