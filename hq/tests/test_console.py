"""The operator console: staff only, two factors, lists the merchants."""
import pytest

from tenants.accounts.models import User
from tenants.accounts.totp import totp_code, totp_step
from tests.support.baseline import OPERATOR_EMAIL, OPERATOR_TOTP_SECRET, PASSWORD, owner_email
from tests.support.clients import operator_sign_in

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_the_operator_sign_in(operator_client):
    response = operator_client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_operator_signs_in_with_two_factors_and_sees_every_merchant_but_not_the_public_row(operator_client):
    operator_sign_in(operator_client)

    merchants = operator_client.get("/").context["merchants"]

    assert [m.schema_name for m in merchants] == ["alice", "bob", "charlie"]


def test_password_alone_does_not_open_the_console(operator_client):
    operator_client.post("/login/", {"username": OPERATOR_EMAIL, "password": PASSWORD})

    assert operator_client.get("/").status_code == 302
    wrong = operator_client.post("/login/code/", {"code": "000000"}, headers={"Accept-Language": "en"})
    assert wrong.status_code == 200
    assert "This code is not valid" in wrong.content.decode()
    assert operator_client.get("/").status_code == 302


def test_a_code_cannot_be_used_twice(operator_client, host_client, settings):
    operator_sign_in(operator_client)
    code = totp_code(OPERATOR_TOTP_SECRET, User.objects.get(email=OPERATOR_EMAIL).totp_last_step)
    second = host_client(settings.BASE_HOST)
    second.post("/login/", {"username": OPERATOR_EMAIL, "password": PASSWORD})

    replay = second.post("/login/code/", {"code": code})

    assert replay.status_code == 200
    assert second.get("/").status_code == 302


def test_new_operator_enrols_an_authenticator_on_first_sign_in(operator_client):
    User.objects.create_user("new@stammkunde.localhost", PASSWORD, is_staff=True)
    operator_client.post("/login/", {"username": "new@stammkunde.localhost", "password": PASSWORD})

    page = operator_client.get("/login/code/")
    secret = page.context["secret"]
    assert page.context["enrolling"] and secret in page.context["uri"]
    operator_client.post("/login/code/", {"code": totp_code(secret, totp_step())})

    assert operator_client.get("/").status_code == 200
    assert User.objects.get(email="new@stammkunde.localhost").totp_secret == secret


def test_operator_search_narrows_the_list(operator_client):
    operator_sign_in(operator_client)

    merchants = operator_client.get("/", {"q": "bob.stammkunde"}).context["merchants"]

    assert [m.schema_name for m in merchants] == ["bob"]


def test_merchant_owner_credentials_do_not_open_the_operator_console(operator_client):
    response = operator_client.post("/login/", {"username": owner_email("alice"), "password": PASSWORD})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert operator_client.get("/").status_code == 302


def test_operator_changes_the_licence_and_records_notice_on_the_detail_page(operator_client, alice):
    import datetime

    from hq.services import contract_create

    contract_create(merchant=alice, starts_on=datetime.date(2026, 1, 15), actor=None)
    operator_sign_in(operator_client)

    operator_client.post(f"/merchants/{alice.pk}/", {"count": 3, "effective_on": "2026-05-20", "reason": "more tills"})
    operator_client.post(f"/merchants/{alice.pk}/", {"given_on": "2026-06-01"})

    alice.refresh_from_db()
    assert alice.terminal_licenses.get().count == 3
    assert alice.contract.notice_given_on == datetime.date(2026, 6, 1)
    page = operator_client.get(f"/merchants/{alice.pk}/")
    assert page.status_code == 200 and "more tills" in page.content.decode()
