"""The merchant's programs with their rewards and bonus actions, as every booking reads them: kept
in each process per merchant schema and checked against a version number in the shared cache on
each use, so that a change made anywhere is seen everywhere with the next booking.

A write bumps the version at once (for readers in the same transaction) and again when it commits
(for readers that loaded the old rows in between). Cache keys carry the schema name (the cache's key
function), so merchants never share a version or a catalog."""
import uuid
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection, transaction

_VERSION_KEY = "loyalty:catalog-version"


@dataclass(frozen=True)
class Catalog:
    version: str
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


def _load(version: str) -> Catalog:
    from django.db.models import Prefetch

    from loyalty.models import Program, Reward

    programs = list(
        Program.objects.prefetch_related(
            Prefetch("rewards", Reward.objects.filter(is_active=True).order_by("points", "pk")),
            "bonus_actions",
        ).order_by("pk")
    )
    return Catalog(
        version=version,
        programs={program.pk: program for program in programs},
        rewards={reward.pk: reward for program in programs for reward in program.rewards.all()},
    )


def catalog() -> Catalog:
    """The current merchant's catalog; loaded from the database only after a change."""
    schema = connection.schema_name
    version = _current_version()
    cached = _catalogs.get(schema)
    if cached is None or cached.version != version:
        cached = _catalogs[schema] = _load(version)
    return cached


def _version_bump() -> None:
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
