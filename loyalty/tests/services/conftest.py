import pytest
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from tests.support.factories import CardFactory, ProgramFactory


@pytest.fixture
def in_alice(alice):
    """Run the test inside alice's schema."""
    with schema_context(alice.schema_name):
        yield alice


@pytest.fixture
def actor():
    return Actor(label="test")


@pytest.fixture
def card(in_alice):
    return CardFactory()


@pytest.fixture
def points(in_alice):
    return ProgramFactory(kind="points")


@pytest.fixture
def prepaid(in_alice):
    return ProgramFactory(kind="prepaid", max_balance_cents=50_000, max_top_up_cents=20_000)


@pytest.fixture
def stamps(in_alice):
    return ProgramFactory(kind="stamps", stamps_per_reward=5, stamp_reward="A free coffee")


@pytest.fixture
def voucher(in_alice):
    return ProgramFactory(kind="voucher", voucher_value_cents=2_500)
