"""The merchant's programs with their rewards and bonus actions, and its settings, as every
booking reads them: kept in each process per merchant schema and checked against the merchant's
own version number in the shared cache (tenants.versions) at most once a second, so that a change
made anywhere is seen everywhere a second later at most (in the process that made it, at once)."""
import time
from dataclasses import dataclass, field, replace

from django.db import connection

from tenants import versions

VERSION_CHECK_SECONDS = versions.CHECK_SECONDS


@dataclass(frozen=True)
class Catalog:
    version: str
    checked_at: float  # time.monotonic() when the version was last found current
    # Every program, active or paused, with its active rewards (cheapest first) and its bonus
    # actions loaded: `program.rewards.all()` and `program.bonus_actions.all()` ask no database.
    programs: dict[int, object] = field(default_factory=dict)
    rewards: dict[int, object] = field(default_factory=dict)
    # The merchant's loyalty.models.ShopSettings (the till's limits among them).
    settings: object = None

    def program(self, program_id: int):
        return self.programs.get(program_id)

    def reward(self, reward_id: int):
        return self.rewards.get(reward_id)

    def active_programs(self) -> list:
        return [program for program in self.programs.values() if program.is_active]


# schema name → the catalog last loaded there; replaced whole, never changed in place.
_catalogs: dict[str, Catalog] = {}


def _version(schema: str) -> versions.Version:
    return versions.Version(f"loyalty:catalog-version:{schema}")


def _load(version: str, now: float) -> Catalog:
    from django.db.models import Prefetch

    from loyalty.models import Program, Reward, ShopSettings

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
        settings=ShopSettings.current(),
    )


def catalog(*, fresh: bool = False) -> Catalog:
    """The current merchant's catalog; loaded from the database only after a change. `fresh`
    checks the version now (a program that another process has just made is then found)."""
    schema = connection.schema_name
    now = time.monotonic()
    cached = _catalogs.get(schema)
    if cached is not None and not fresh and now - cached.checked_at < VERSION_CHECK_SECONDS:
        return cached
    version = _version(schema).current()
    if cached is not None and cached.version == version:
        cached = replace(cached, checked_at=now)
    else:
        cached = _load(version, now)
    _catalogs[schema] = cached
    return cached


def catalog_changed() -> None:
    """Call after writing a program, a reward, a bonus action or the settings of the current merchant."""
    schema = connection.schema_name
    _version(schema).changed(forget=lambda: _catalogs.pop(schema, None))


def catalogs_forget() -> None:
    """Forget every catalog this process holds (tests start each from the database)."""
    _catalogs.clear()
