"""The catalog every booking reads (programs, rewards, bonus actions) is kept per process and per
merchant, and a change is seen: at once in the process that made it, after the next version check
in every other."""
from decimal import Decimal

import pytest
from django.core.cache import caches
from django_tenants.utils import schema_context

from loyalty import catalog as catalog_module
from loyalty.actors import Actor
from loyalty.catalog import catalog
from loyalty.models import Program
from loyalty.services.bookings import booking_earn
from tests.support.factories import CardFactory, ProgramFactory, RewardFactory

pytestmark = pytest.mark.django_db
ACTOR = Actor(label="test")


def test_a_rate_saved_applies_to_the_next_booking_and_not_to_earlier_ones(alice):
    with schema_context("alice"):
        card, points = CardFactory(), ProgramFactory(kind="points")
        before = booking_earn(card_number=card.number, program=points.pk, purchase_amount_cents=1_000,
                              idempotency_key="before", actor=ACTOR)
        points.points_per_euro = Decimal("2")
        points.save()

        after = booking_earn(card_number=card.number, program=points.pk, purchase_amount_cents=1_000,
                             idempotency_key="after", actor=ACTOR)

        assert [before.entries.get().amount, after.entries.get().amount] == [10, 20]


def test_another_processs_change_is_seen_after_the_version_check(alice, monkeypatch):
    with schema_context("alice"):
        points = ProgramFactory(kind="points")
        RewardFactory(program=points, points=10)
        assert catalog().program(points.pk).is_active
        # Another process pauses the program: it writes the row and bumps the shared version,
        # which this process has not read yet.
        Program.objects.filter(pk=points.pk).update(is_active=False)
        caches["shared"].set("loyalty:catalog-version:alice", "changed elsewhere", timeout=None)

        within_the_second = catalog().program(points.pk).is_active
        monkeypatch.setattr(catalog_module, "VERSION_CHECK_SECONDS", 0)
        after_the_check = catalog().program(points.pk).is_active

    assert (within_the_second, after_the_check) == (True, False)


def test_a_program_made_by_another_process_a_moment_ago_is_found_for_a_booking(alice):
    with schema_context("alice"):
        card = CardFactory()
        catalog()  # this process has read the catalog just now
        # Another process makes the program (bulk_create: no save() here to tell this process)
        # and bumps the shared version.
        program = Program.objects.bulk_create([Program(kind="points", name="New")])[0]
        caches["shared"].set("loyalty:catalog-version:alice", "changed elsewhere", timeout=None)
        assert catalog().program(program.pk) is None  # within the second: not seen yet

        booking = booking_earn(card_number=card.number, program=program.pk, purchase_amount_cents=500,
                               idempotency_key="k", actor=ACTOR)

        assert booking.entries.get().amount == 5


def test_each_merchant_has_a_catalog_of_its_own(alice, bob, charlie):
    with schema_context("alice"):
        ProgramFactory(kind="points", name="Alice’s points")
    with schema_context("bob"):
        ProgramFactory(kind="stamps", name="Bob’s stamps")
    names = {}
    for merchant in ("alice", "bob", "charlie"):
        with schema_context(merchant):
            names[merchant] = [program.name for program in catalog().active_programs()]

    assert names == {"alice": ["Alice’s points"], "bob": ["Bob’s stamps"], "charlie": []}
