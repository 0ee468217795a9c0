import pytest
from django_tenants.utils import schema_context

from tenants.accounts.models import User
from tests.support.baseline import PASSWORD, owner_email
from tests.support.clients import TillClient


def signed_in(merchant, email=None) -> TillClient:
    """A browser in the merchant's back office (CSRF checked as in production)."""
    client = TillClient(merchant.primary_host)
    response = client.post("/manage/login/", {
        "username": email or owner_email(merchant.schema_name), "password": PASSWORD,
        "csrfmiddlewaretoken": client.get("/manage/login/").cookies["csrftoken"].value})
    assert response.status_code == 302
    return client


@pytest.fixture
def owner_client(db, alice) -> TillClient:
    return signed_in(alice)


@pytest.fixture
def alice_owner(db, alice) -> User:
    with schema_context("alice"):
        return User.objects.get(email=owner_email("alice"))
