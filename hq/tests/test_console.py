"""The operator console: staff only, two factors, lists the merchants."""
import base64
from urllib.parse import quote

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.utils import timezone

from tenants.accounts.models import AuthenticatorDevice, User
from tests.support.baseline import OPERATOR_EMAIL, OPERATOR_TOTP_KEY, PASSWORD, owner_email
from tests.support.clients import authenticator_code, operator_sign_in

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
    code = authenticator_code(OPERATOR_TOTP_KEY)
    second = host_client(settings.BASE_HOST)
    second.post("/login/", {"username": OPERATOR_EMAIL, "password": PASSWORD})

    replay = second.post("/login/code/", {"code": code})

    assert replay.status_code == 200
    assert second.get("/").status_code == 302


def test_new_operator_enrols_an_authenticator_with_a_qr_code_on_first_sign_in(operator_client):
    user = User.objects.create_user("new@stammkunde.localhost", PASSWORD, is_staff=True)
    operator_client.post("/login/", {"username": "new@stammkunde.localhost", "password": PASSWORD})

    page = operator_client.get("/login/code/")
    secret = page.context["secret"]
    assert page.context["enrolling"] and f"secret={secret}" in page.context["uri"]
    assert page.content.decode().count("<svg") == 1  # the QR code, drawn in the page
    device = AuthenticatorDevice.objects.get(user=user)
    assert not device.confirmed
    operator_client.post("/login/code/", {"code": authenticator_code(device.key)})

    assert operator_client.get("/").status_code == 200
    assert AuthenticatorDevice.objects.get(user=user).confirmed


def test_no_authenticator_key_is_readable_in_the_database_or_the_session(operator_client):
    operator_client.post("/login/", {"username": OPERATOR_EMAIL, "password": PASSWORD})
    operator_client.get("/login/code/")
    operator_sign_in(operator_client)
    new = User.objects.create_user("new@stammkunde.localhost", PASSWORD, is_staff=True)
    enrolling = type(operator_client)(operator_client.host)
    enrolling.post("/login/", {"username": new.email, "password": PASSWORD})
    enrolling.get("/login/code/")
    keys = list(AuthenticatorDevice.objects.values_list("key", flat=True))

    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM accounts_authenticatordevice")
        stored = " ".join(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT session_data FROM django_session")
        sessions = " ".join(str(SessionStore().decode(row[0])) for row in cursor.fetchall())

    assert len(keys) == 2 and OPERATOR_TOTP_KEY in keys
    for key in keys:
        for form in (key, key.upper(), base64.b32encode(bytes.fromhex(key)).decode()):
            assert form not in stored and form not in sessions


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

    month = timezone.localdate().replace(day=1).isoformat()
    operator_client.post(f"/merchants/{alice.pk}/licence/", {"count": 3, "effective_on": month, "reason": "more tills"})
    operator_client.post(f"/merchants/{alice.pk}/notice/", {"given_on": "2026-06-01", "confirmed": "1"})

    alice.refresh_from_db()
    assert alice.terminal_licenses.get().count == 3
    assert alice.contract.notice_given_on == datetime.date(2026, 6, 1)
    page = operator_client.get(f"/merchants/{alice.pk}/")
    assert page.status_code == 200 and "more tills" in page.content.decode()


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example/",
                                      "\\\\evil.example/"])
def test_the_code_step_sends_only_to_the_consoles_own_pages(operator_client, next_url):
    operator_client.post("/login/", {"username": OPERATOR_EMAIL, "password": PASSWORD})

    response = operator_client.post(f"/login/code/?next={quote(next_url)}",
                                    {"code": authenticator_code(OPERATOR_TOTP_KEY)})

    assert (response.status_code, response["Location"]) == (302, "/")


def test_the_code_step_sends_on_to_the_page_asked_for(operator_client, alice):
    operator_client.post("/login/", {"username": OPERATOR_EMAIL, "password": PASSWORD})

    response = operator_client.post(f"/login/code/?next=/merchants/{alice.pk}/",
                                    {"code": authenticator_code(OPERATOR_TOTP_KEY)})

    assert response["Location"] == f"/merchants/{alice.pk}/"
