"""Rewards and bonus actions on their own pages: created, changed and deactivated with an audit row,
and refused with a message next to the field an owner understands, writing nothing."""
import datetime

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import AuditLog, BonusAction, Program, Reward
from loyalty.services.programs import (
    REWARD_POINTS_MAX,
    bonus_action_create,
    bonus_action_set_active,
)
from tests.support.factories import ProgramFactory, RewardFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def points(alice):
    with schema_context("alice"):
        return ProgramFactory(kind="points", name="Punkte", points_per_euro=2)


def nothing_written(before: int) -> bool:
    with schema_context("alice"):
        return (AuditLog.objects.count() == before and not Reward.objects.exists()
                and not BonusAction.objects.exists())


def audit_count() -> int:
    with schema_context("alice"):
        return AuditLog.objects.count()


def multiplier(program, starts_on, ends_on, **extra):
    return {"program": program.pk, "kind": "multiplier", "name": "Doppelte Punkte", "multiplier": "2",
            "starts_on": starts_on, "ends_on": ends_on, **extra}


# --- Rewards -------------------------------------------------------------------------------------


def test_a_reward_is_created_changed_and_deactivated(owner_client, points):
    owner_client.post("/manage/programs/rewards/new/", {"program": points.pk, "name": "Kaffee", "points": "50"})
    with schema_context("alice"):
        reward = Reward.objects.get()
    assert (reward.program_id, reward.name, reward.points, reward.is_active) == (points.pk, "Kaffee", 50, True)

    owner_client.post(f"/manage/programs/rewards/{reward.pk}/", {"program": points.pk, "name": "Kaffee",
                                                                "points": "40", "is_active": "on"})
    owner_client.post(f"/manage/programs/rewards/{reward.pk}/deactivate/")

    with schema_context("alice"):
        reward.refresh_from_db()
        assert (reward.points, reward.is_active) == (40, False)
        assert list(AuditLog.objects.filter(object_type="loyalty.reward").order_by("pk")
                    .values_list("action", "data")) == [
            ("reward.create", {"program": points.pk, "name": "Kaffee", "points": 50}),
            ("reward.update", {"before": {"points": 50}, "after": {"points": 40}}),
            ("reward.deactivate", {"before": {"is_active": True}, "after": {"is_active": False}}),
        ]
    listing = owner_client.get("/manage/programs/rewards/").content.decode()
    assert "Kaffee" in listing and "deactivated" in listing


def test_a_reward_above_any_reachable_balance_is_refused_with_the_rule(owner_client, points):
    before = audit_count()

    response = owner_client.post("/manage/programs/rewards/new/", {"program": points.pk, "name": "Auto",
                                                                  "points": str(REWARD_POINTS_MAX + 1)})

    assert response.status_code == 200
    assert response.context["form"].errors["points"] == [
        "A reward may cost at most 1,000,000 points: no customer collects more. "
        "At 2 points per euro that is 500,000.00 € of purchases."]
    assert f'value="{REWARD_POINTS_MAX + 1}"' in response.content.decode()  # what was typed stays
    assert nothing_written(before)


def test_a_reward_of_no_points_is_refused(owner_client, points):
    before = audit_count()

    response = owner_client.post("/manage/programs/rewards/new/", {"program": points.pk, "name": "Nichts",
                                                                  "points": "0"})

    assert response.context["form"].errors["points"] == ["A reward costs at least 1 point."]
    assert nothing_written(before)


def test_a_reward_can_only_belong_to_a_points_program(owner_client, alice):
    with schema_context("alice"):
        stamps = ProgramFactory(kind="stamps")

    response = owner_client.post("/manage/programs/rewards/new/", {"program": stamps.pk, "name": "Kaffee",
                                                                  "points": "10"})

    assert "program" in response.context["form"].errors
    with schema_context("alice"):
        assert not Reward.objects.exists()


# --- Bonus actions -------------------------------------------------------------------------------


def test_a_multiplier_is_created_changed_and_deactivated(owner_client, points):
    owner_client.post("/manage/programs/bonus-actions/new/", multiplier(points, "2026-12-01", "2026-12-24"))
    with schema_context("alice"):
        action = BonusAction.objects.get()
        assert (action.kind, action.multiplier, action.starts_on, action.ends_on, action.points) == (
            "multiplier", 2, datetime.date(2026, 12, 1), datetime.date(2026, 12, 24), None)

    owner_client.post(f"/manage/programs/bonus-actions/{action.pk}/",
                      multiplier(points, "2026-12-01", "2026-12-31", is_active="on"))
    owner_client.post(f"/manage/programs/bonus-actions/{action.pk}/deactivate/")

    with schema_context("alice"):
        action.refresh_from_db()
        assert (action.ends_on, action.is_active) == (datetime.date(2026, 12, 31), False)
        assert list(AuditLog.objects.filter(action__in=["bonus_action.update", "bonus_action.deactivate"])
                    .order_by("pk").values_list("data", flat=True)) == [
            {"before": {"ends_on": "2026-12-24"}, "after": {"ends_on": "2026-12-31"}},
            {"before": {"is_active": True}, "after": {"is_active": False}},
        ]


def test_an_end_before_its_start_is_refused_next_to_the_end(owner_client, points):
    before = audit_count()

    response = owner_client.post("/manage/programs/bonus-actions/new/",
                                 multiplier(points, "2026-12-24", "2026-12-01"))

    assert response.context["form"].errors["ends_on"] == [
        "The end is before the start: the action would never run."]
    assert 'value="2026-12-24"' in response.content.decode()
    assert nothing_written(before)


def test_overlapping_multipliers_of_one_program_are_refused(owner_client, points):
    owner_client.post("/manage/programs/bonus-actions/new/", multiplier(points, "2026-12-01", "2026-12-24"))
    before = audit_count()

    response = owner_client.post("/manage/programs/bonus-actions/new/",
                                 multiplier(points, "2026-12-20", "2027-01-06", name="Jahreswechsel"))

    [error] = response.context["form"].errors["starts_on"]
    assert error.startswith("This period overlaps “Doppelte Punkte” (01/12/2026 to 24/12/2026) of the same program")
    with schema_context("alice"):
        assert BonusAction.objects.count() == 1
    assert audit_count() == before


def test_multipliers_that_do_not_overlap_or_are_inactive_are_accepted(owner_client, points, alice):
    owner_client.post("/manage/programs/bonus-actions/new/", multiplier(points, "2026-12-01", "2026-12-24"))
    owner_client.post("/manage/programs/bonus-actions/new/", multiplier(points, "2026-12-25", "2027-01-06"))
    with schema_context("alice"):
        other = ProgramFactory(kind="points")
    owner_client.post("/manage/programs/bonus-actions/new/", multiplier(other, "2026-12-01", "2026-12-24"))

    with schema_context("alice"):
        assert BonusAction.objects.count() == 3
        first = BonusAction.objects.order_by("pk").first()
    # Deactivated, the first no longer blocks a third in its period; it cannot come back then.
    owner_client.post(f"/manage/programs/bonus-actions/{first.pk}/deactivate/")
    owner_client.post("/manage/programs/bonus-actions/new/", multiplier(points, "2026-12-10", "2026-12-12"))
    with schema_context("alice"):
        assert BonusAction.objects.filter(program=points, is_active=True).count() == 2
        with pytest.raises(ValidationError) as refused:
            bonus_action_set_active(action=first, active=True, actor=Actor(label="test"))
        assert "starts_on" in refused.value.message_dict
        assert BonusAction.objects.get(pk=first.pk).is_active is False


@pytest.mark.parametrize("kind", ["birthday", "sign_up"])
def test_a_birthday_or_sign_up_bonus_needs_points(owner_client, points, kind):
    before = audit_count()

    response = owner_client.post("/manage/programs/bonus-actions/new/", {
        "program": points.pk, "kind": kind, "name": "Bonus", "points": "0"})

    assert response.context["form"].errors["points"] == ["A bonus gives at least 1 point."]
    assert nothing_written(before)
    owner_client.post("/manage/programs/bonus-actions/new/", {"program": points.pk, "kind": kind,
                                                              "name": "Bonus", "points": "100"})
    with schema_context("alice"):
        assert list(BonusAction.objects.values_list("kind", "points", "multiplier")) == [(kind, 100, None)]


def test_a_multiplier_below_one_is_refused_in_plain_words(owner_client, points):
    before = audit_count()

    response = owner_client.post("/manage/programs/bonus-actions/new/",
                                 multiplier(points, "2026-12-01", "2026-12-24", multiplier="0.5"))

    assert response.context["form"].errors["multiplier"] == [
        "A multiplier of at least 1 (1.5 gives half as many points again, 2 twice as many)."]
    assert nothing_written(before)


def test_the_service_refuses_what_the_form_refuses(alice):
    with schema_context("alice"):
        program = ProgramFactory(kind="points")
        with pytest.raises(ValidationError) as refused:
            bonus_action_create(program=program, kind="multiplier", name="x", multiplier=2,
                                starts_on=datetime.date(2026, 5, 2), ends_on=datetime.date(2026, 5, 1),
                                actor=Actor(label="test"))
        assert list(refused.value.message_dict) == ["ends_on"]
        assert not BonusAction.objects.exists()


def test_rewards_and_bonus_actions_list_only_points_programs_to_choose(owner_client, points, alice):
    with schema_context("alice"):
        ProgramFactory(kind="stamps", name="Stempel")
        RewardFactory(program=points)

    for path in ("/manage/programs/rewards/new/", "/manage/programs/bonus-actions/new/"):
        choices = list(owner_client.get(path).context["form"].fields["program"].queryset)
        assert [program.kind for program in choices] == [Program.Kind.POINTS]
