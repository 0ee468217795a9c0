"""Fixtures of the cardholder pages' tests: alice's owner and people with fewer rights, signed in
to the back office; programs of every kind; cardholders made through the services."""
import pytest
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import Card
from loyalty.roles import BUILT_IN_ROLES, MANAGER, permissions_of, role_group
from loyalty.services.cardholders import card_register
from tenants.accounts.models import User
from tests.support.baseline import PASSWORD, owner_email
from tests.support.clients import HostClient
from tests.support.factories import CardFactory, ProgramFactory


def signed_in(merchant, email: str, language: str = "en") -> HostClient:
    client = HostClient(merchant.primary_host, HTTP_ACCEPT_LANGUAGE=language)
    response = client.post("/manage/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302 and "/login/code/" not in response["Location"], response
    return client


@pytest.fixture
def in_alice(alice):
    with schema_context(alice.schema_name):
        yield alice


@pytest.fixture
def owner(in_alice):
    return User.objects.get(email=owner_email("alice"))


@pytest.fixture
def owner_client(alice, in_alice):
    """alice's owner in the back office, reading English."""
    return signed_in(alice, owner_email("alice"))


def staff_with(email: str, *permissions: str) -> User:
    """Someone of alice's with exactly these permissions (and the back office's)."""
    user = User.objects.create_user(email, PASSWORD, full_name=email.split("@")[0].title())
    user.user_permissions.set(permissions_of({"loyalty.use_back_office", *permissions}))
    return user


@pytest.fixture
def viewer(in_alice):
    """May see cardholders and own fields, change nothing."""
    return staff_with("viewer@alice.example", "loyalty.view_cardholder", "loyalty.view_customfield")


@pytest.fixture
def viewer_client(alice, viewer):
    return signed_in(alice, viewer.email)


@pytest.fixture
def manager(in_alice):
    user = User.objects.create_user("leitung@alice.example", PASSWORD, full_name="Mia Leitung")
    user.groups.add(role_group(BUILT_IN_ROLES[MANAGER]))
    return user


@pytest.fixture
def points(in_alice):
    return ProgramFactory(kind="points", name="Bonuspunkte")


@pytest.fixture
def prepaid(in_alice):
    return ProgramFactory(kind="prepaid", name="Guthaben", max_balance_cents=50_000)


@pytest.fixture
def stamps(in_alice):
    return ProgramFactory(kind="stamps", name="Kaffeekarte", stamps_per_reward=10, stamp_reward="Kaffee")


@pytest.fixture
def voucher(in_alice):
    return ProgramFactory(kind="voucher", name="Geschenkgutschein", voucher_value_cents=2_500)


def register(**data):
    """A new cardholder with an active card, as the till registers one."""
    card = CardFactory(status=Card.Status.UNISSUED)
    return card_register(card_number=card.number, actor=Actor.system("test"), **data)


@pytest.fixture
def mueller(in_alice):
    """Jürgen Müller, with a card (returned: the card; its holder is card.cardholder)."""
    return register(first_name="Jürgen", last_name="Müller", email="juergen.mueller@example.com",
                    phone="0171 2345678")
