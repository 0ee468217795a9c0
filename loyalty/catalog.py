"""The merchant's programs with their rewards and bonus actions, as every booking reads them: kept
in each process per merchant schema and checked against a version number in the shared cache at
most once a second, so that a change made anywhere is seen everywhere a second later at most (in
the process that made it, at once).

A write bumps the version at once (for readers in the same transaction) and again when it commits
(for readers that loaded the old rows in between). Cache keys carry the schema name (the cache's key
function), so merchants never share a version or a catalog."""
import time
import uuid
from dataclasses import dataclass, field, replace

from django.core.cache import cache
from django.db import connection, transaction

_VERSION_KEY = "loyalty:catalog-version"
# How long a process trusts the version it last read before reading it again.
VERSION_CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class Catalog:
    version: str
    checked_at: float  # time.monotonic() when the version was last found current
    # Every program, active or paused, with its active rewards (cheapest first) and its bonus
    # actions loaded: `program.rewards.all()` and `program.bonus_actions.all()` ask no database.
    programs: dict[int, object] = field(default_factory=dict)
    rewards: dict[int, object] = field(default_factory=dict)

    def program(self, program_id: int):
        return self.programs.get(program_id)

    def reward(self, reward_id: int):
        return self.rewards.get(reward_id)

    def active_programs(self) -> list:
        return [program for program in self.programs.values() if program.is_active]


# schema name → the catalog last loaded there; replaced whole, never changed in place.
_catalogs: dict[str, Catalog] = {}


def _current_version() -> str:
    version = cache.get(_VERSION_KEY)
    if version is None:
        cache.add(_VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(_VERSION_KEY)
    return version


def _load(version: str, now: float) -> Catalog:
    from django.db.models import Prefetch

    from loyalty.models import Program, Reward

    programs = list(
        Program.objects.prefetch_related(
            Prefetch("rewards", Reward.objects.filter(is_active=True).order_by("points", "pk")),
            "bonus_actions",
        ).order_by("pk")
    )
    return Catalog(
        version=version, checked_at=now,
        programs={program.pk: program for program in programs},
        rewards={reward.pk: reward for program in programs for reward in program.rewards.all()},
    )


def catalog(*, fresh: bool = False) -> Catalog:
    """The current merchant's catalog; loaded from the database only after a change. `fresh`
    checks the version now (a program that another process has just made is then found)."""
    schema = connection.schema_name
    now = time.monotonic()
    cached = _catalogs.get(schema)
    if cached is not None and not fresh and now - cached.checked_at < VERSION_CHECK_SECONDS:
        return cached
    version = _current_version()
    if cached is not None and cached.version == version:
        cached = replace(cached, checked_at=now)
    else:
        cached = _load(version, now)
    _catalogs[schema] = cached
    return cached


def _version_bump() -> None:
    _catalogs.pop(connection.schema_name, None)
    cache.set(_VERSION_KEY, uuid.uuid4().hex, timeout=None)


def catalog_changed() -> None:
    """Call after writing a program, a reward or a bonus action of the current merchant."""
    _version_bump()
    schema = connection.schema_name

    def after_commit():
        # on_commit runs on whatever schema the connection is on by then.
        from django_tenants.utils import schema_context

        with schema_context(schema):
            _version_bump()

    transaction.on_commit(after_commit)


def catalogs_forget() -> None:
    """Forget every catalog this process holds (tests start each from the database)."""
    _catalogs.clear()
