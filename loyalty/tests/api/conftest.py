import pytest
from django_tenants.utils import schema_context

from tests.support.baseline import owner_email
from tests.support.factories import CardFactory, ProgramFactory, RewardFactory


@pytest.fixture
def owner_client(host_client):
    """`owner_client(merchant)`: a client on the merchant's host with the owner's API token."""
    from rest_framework.authtoken.models import Token

    from tenants.accounts.models import User

    def make(merchant):
        with schema_context(merchant.schema_name):
            owner = User.objects.get(email=owner_email(merchant.schema_name))
            token, _created = Token.objects.get_or_create(user=owner)
        client = host_client(merchant)
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
        client.user = owner
        return client

    return make


@pytest.fixture
def shop(db, alice):
    """Alice's programs and an active card."""
    with schema_context(alice.schema_name):
        points = ProgramFactory(kind="points")
        return {
            "card": CardFactory(),
            "points": points,
            "prepaid": ProgramFactory(kind="prepaid"),
            "reward": RewardFactory(program=points, points=10),
        }
