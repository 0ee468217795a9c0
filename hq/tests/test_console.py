"""The operator console: staff only, lists the merchants."""
import pytest

from tests.support.baseline import OPERATOR_EMAIL, PASSWORD, owner_email


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_the_operator_sign_in(operator_client):
    response = operator_client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


@pytest.mark.django_db
def test_operator_signs_in_and_sees_every_merchant_but_not_the_public_row(operator_client):
    response = operator_client.post("/login/", {"username": OPERATOR_EMAIL, "password": PASSWORD})
    assert response.status_code == 302

    merchants = operator_client.get("/").context["merchants"]

    assert [m.schema_name for m in merchants] == ["alice", "bob", "charlie"]


@pytest.mark.django_db
def test_operator_search_narrows_the_list(operator_client):
    operator_client.post("/login/", {"username": OPERATOR_EMAIL, "password": PASSWORD})

    merchants = operator_client.get("/", {"q": "bob.stammkunde"}).context["merchants"]

    assert [m.schema_name for m in merchants] == ["bob"]


@pytest.mark.django_db
def test_merchant_owner_credentials_do_not_open_the_operator_console(operator_client):
    response = operator_client.post("/login/", {"username": owner_email("alice"), "password": PASSWORD})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert operator_client.get("/").status_code == 302
