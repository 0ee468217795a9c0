import pytest
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from tenants.accounts.models import User
from tests.support.baseline import PASSWORD, owner_email


def signed_in(client, merchant):
    response = client.post("/manage/login/", {"username": owner_email(merchant.schema_name), "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()
    return client


@pytest.fixture
def owner_client(alice, host_client):
    """alice's owner, signed in to the back office, reading English (the German texts of new pages
    come with the translations)."""
    client = host_client(alice)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return signed_in(client, alice)


@pytest.fixture
def in_alice(alice):
    with schema_context(alice.schema_name):
        yield alice


@pytest.fixture
def owner(in_alice):
    return User.objects.get(email=owner_email("alice"))


@pytest.fixture
def actor(owner):
    return Actor(user=owner)
