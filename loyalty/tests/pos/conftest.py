import pytest
from django_tenants.utils import schema_context

from loyalty.pos.services import cashier_group
from tests.support.factories import CardFactory, ProgramFactory, RewardFactory, UserFactory


@pytest.fixture
def cashier(db, alice):
    """A member of alice's staff in the cashier group."""
    with schema_context(alice.schema_name):
        user = UserFactory(email="kasse@alice.example", full_name="Kai Kasse")
        user.groups.add(cashier_group())
        return user


@pytest.fixture
def shop(db, alice):
    """Alice's four programs with a reward, an active card and a blank one."""
    with schema_context(alice.schema_name):
        points = ProgramFactory(kind="points", name="Bonuspunkte")
        return {
            "card": CardFactory(),
            "blank": CardFactory(status="unissued"),
            "points": points,
            "reward": RewardFactory(program=points, name="Kaffee", points=10),
            "prepaid": ProgramFactory(kind="prepaid", name="Guthaben"),
            "stamps": ProgramFactory(kind="stamps", name="Stempel", stamps_per_reward=3, stamp_reward="Ein Brot"),
            "voucher": ProgramFactory(kind="voucher", name="Gutschein", voucher_value_cents=2_500),
        }
