"""Fixtures of the staff tests: alice's people in each role, and signing in to the back office."""
import pytest
from django_tenants.utils import schema_context

from loyalty.roles import BUILT_IN_ROLES, CASHIER, MANAGER, role_group
from loyalty.services.staff import two_factor_requirement_set
from tenants.accounts.models import User
from tests.support.baseline import PASSWORD, owner_email
from tests.support.clients import HostClient, authenticator_code


@pytest.fixture
def alices_owner(alice):
    with schema_context("alice"):
        return User.objects.get(email=owner_email("alice"))


def person(merchant, email, role_key, **fields):
    """Someone of the merchant's in a built-in role, with the test password."""
    with schema_context(merchant.schema_name):
        user = User.objects.create_user(email, PASSWORD, **fields)
        if role_key == "owner":
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
        else:
            user.groups.add(role_group(BUILT_IN_ROLES[role_key]))
        return user


@pytest.fixture
def manager(alice):
    return person(alice, "leitung@alice.example", MANAGER, full_name="Mia Leitung")


@pytest.fixture
def cashier(alice):
    return person(alice, "kasse@alice.example", CASHIER, full_name="Kai Kasse")


def sign_in(merchant, email, password=PASSWORD, **headers) -> HostClient:
    """A browser signed in to the merchant's back office with the password alone."""
    client = HostClient(merchant.primary_host, **headers)
    response = client.post("/manage/login/", {"username": email, "password": password})
    assert response.status_code == 302 and "/login/code/" not in response["Location"], response
    return client


def sign_in_with_code(merchant, email, key_hex, **headers) -> HostClient:
    """Both steps: the password, then the authenticator's current code."""
    client = HostClient(merchant.primary_host, **headers)
    first = client.post("/manage/login/", {"username": email, "password": PASSWORD})
    assert first["Location"].startswith("/manage/login/code/"), first
    second = client.post(first["Location"], {"code": authenticator_code(key_hex)})
    assert second.status_code == 302 and second["Location"] == "/manage/", second
    return client


@pytest.fixture
def two_factor_required(alice, alices_owner):
    """alice requires two-factor sign-in, switched on by her owner."""
    from loyalty.actors import Actor

    with schema_context("alice"):
        two_factor_requirement_set(required=True, actor=Actor(user=alices_owner))
