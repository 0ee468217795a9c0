"""Version numbers in the shared cache for what each process keeps in memory (which merchant a host
belongs to, a merchant's catalog). A write bumps the version at once (for readers in the same
transaction) and again when it commits (for readers that loaded the old rows in between); a process
that checks the version at most once a second sees any change a second later at most, the process
that made it at once."""
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import caches
from django.db import transaction

# How long a process trusts the version it last read before reading it again.
CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class Version:
    """One version number, under a key that names what it is the version of (and whose)."""

    key: str
    cache: str = "shared"  # keys of their own: no schema name is added to them

    def current(self) -> str:
        cache = caches[self.cache]
        version = cache.get(self.key)
        if version is None:
            cache.add(self.key, uuid.uuid4().hex, timeout=None)
            version = cache.get(self.key)
        return version

    def changed(self, *, forget: Callable[[], None]) -> None:
        """After a write: this process forgets what it holds (`forget`) and the version moves on,
        now and again when the transaction commits."""

        def bump():
            forget()
            caches[self.cache].set(self.key, uuid.uuid4().hex, timeout=None)

        bump()
        transaction.on_commit(bump)
