"""alice's programs, rewards and bonus actions are invisible from bob's and charlie's hosts: their
owners get 404 with alice's ids, see none of her names, and change nothing of hers."""
import pytest
from django_tenants.utils import schema_context

from loyalty.models import AuditLog, BonusAction, Program, Reward
from loyalty.pos.services import cashier_group
from loyalty.tests.manage.conftest import signed_in
from tests.support.baseline import PASSWORD
from tests.support.factories import ProgramFactory, RewardFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices(alice):
    with schema_context("alice"):
        program = ProgramFactory(kind="points", name="Alices Sonnenpunkte")
        reward = RewardFactory(program=program, name="Alices Zimtschnecke", points=30)
        action = BonusAction.objects.create(program=program, kind="birthday", name="Alices Geburtstag", points=9)
    return {"program": program, "reward": reward, "action": action}


def state():
    with schema_context("alice"):
        return (list(Program.objects.values()), list(Reward.objects.values()), list(BonusAction.objects.values()),
                AuditLog.objects.count())


@pytest.mark.parametrize("other", ["bob", "charlie"])
def test_another_merchants_owner_finds_nothing_of_alices(alices, other, request, host_client):
    merchant = request.getfixturevalue(other)
    client = signed_in(host_client(merchant), merchant)
    program, reward, action = alices["program"].pk, alices["reward"].pk, alices["action"].pk
    before = state()

    gets = [client.get(path).status_code for path in (
        f"/manage/programs/{program}/", f"/manage/programs/{program}/delete/",
        f"/manage/programs/rewards/{reward}/", f"/manage/programs/bonus-actions/{action}/")]
    posts = [client.post(path, data).status_code for path, data in (
        (f"/manage/programs/{program}/", {"name": "Übernommen", "points_per_euro": "9", "rounding": "up",
                                          "expiry": "never", "expiry_months": "1", "expiry_years": "1",
                                          "reminder_days": "1"}),
        (f"/manage/programs/{program}/pause/", {}),
        (f"/manage/programs/{program}/delete/", {}),
        (f"/manage/programs/rewards/{reward}/", {"program": program, "name": "x", "points": "1"}),
        (f"/manage/programs/rewards/{reward}/deactivate/", {}),
        (f"/manage/programs/bonus-actions/{action}/", {"program": program, "kind": "birthday", "name": "x",
                                                       "points": "1"}),
        (f"/manage/programs/bonus-actions/{action}/deactivate/", {}),
        ("/manage/programs/rewards/new/", {"program": program, "name": "x", "points": "1"}),
        ("/manage/programs/bonus-actions/new/", {"program": program, "kind": "birthday", "name": "x", "points": "1"}),
    )]
    pages = "".join(client.get(path).content.decode() for path in (
        "/manage/programs/", "/manage/programs/rewards/", "/manage/programs/bonus-actions/",
        "/manage/programs/vouchers/sell/"))

    assert gets == [404] * 4
    # Edits by id are not found; a new reward or action naming alice's program is no valid choice.
    assert posts == [404] * 7 + [200, 200]
    assert not any(name in pages for name in ("Alices Sonnenpunkte", "Alices Zimtschnecke", "Alices Geburtstag"))
    assert state() == before
    with schema_context(other):
        assert not Reward.objects.exists() and not BonusAction.objects.exists()


def test_a_cashier_gets_403_on_the_program_pages_and_changes_nothing(alices, alice, host_client):
    with schema_context("alice"):
        cashier = UserFactory(email="kasse@alice.example")
        cashier.groups.add(cashier_group())
    client = host_client(alice)
    assert client.post("/manage/login/", {"username": cashier.email, "password": PASSWORD}).status_code == 302
    program = alices["program"].pk
    before = state()

    answers = [client.get("/manage/programs/").status_code, client.get(f"/manage/programs/{program}/").status_code,
               client.post(f"/manage/programs/{program}/pause/").status_code,
               client.post("/manage/programs/templates/points-coffee/").status_code,
               client.get("/manage/programs/vouchers/sell/").status_code]

    assert answers == [403] * 5
    assert state() == before
