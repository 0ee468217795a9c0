"""Staff sign in at a paired till only: e-mail and password, or the quick switch by PIN."""
import pytest
from django.contrib.auth.hashers import check_password
from django_tenants.utils import schema_context

from loyalty.models import AuditLog
from loyalty.pos.auth import TERMINAL_COOKIE
from tenants.accounts.models import User
from tests.support.baseline import PASSWORD, owner_email
from tests.support.clients import TillClient
from tests.support.factories import UserFactory
from tests.support.fixtures import paired_terminal

pytestmark = pytest.mark.django_db


def set_pin(client, pin="4711"):
    response = client.form("/pos/pin/", {"password": PASSWORD, "pin": pin, "pin_again": pin})
    assert response.status_code == 302, response.content.decode()


def test_sign_in_needs_a_paired_browser(alice, cashier):
    client = TillClient(alice.primary_host)

    page = client.get("/pos/login/")
    attempt = client.sign_in(cashier.email)

    assert page.status_code == 302 and page["Location"] == "/pos/pair/"
    assert attempt.status_code == 302 and attempt["Location"] == "/pos/pair/"
    assert client.get("/pos/")["Location"] == "/pos/pair/"
    with schema_context("alice"):
        assert not AuditLog.objects.filter(action="pos.sign_in").exists()


def test_a_cashier_signs_in_with_password_on_a_paired_till(alice, cashier, till_client):
    client = till_client(alice, email=None)

    response = client.sign_in(cashier.email)

    assert response.status_code == 302 and response["Location"] == "/pos/"
    assert client.get("/pos/").status_code == 200
    with schema_context("alice"):
        entry = AuditLog.objects.get(action="pos.sign_in")
        assert (entry.actor_user, entry.actor_terminal, entry.data) == (cashier, client.terminal, {"method": "password"})


def test_a_wrong_password_is_refused(alice, cashier, till_client):
    client = till_client(alice, email=None)

    response = client.form("/pos/login/", {"method": "password", "password-email": cashier.email,
                                           "password-password": "wrong"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    assert "Please enter a correct e-mail address and password." in response.content.decode()
    assert client.get("/pos/")["Location"] == "/pos/login/"


def test_staff_without_the_till_permission_cannot_sign_in(alice, till_client):
    with schema_context("alice"):
        UserFactory(email="buchhaltung@alice.example")
    client = till_client(alice, email=None)

    response = client.form("/pos/login/", {"method": "password", "password-email": "buchhaltung@alice.example",
                                           "password-password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    assert "This account may not use the till." in response.content.decode()
    assert client.get("/pos/")["Location"] == "/pos/login/"


def test_quick_switch_by_pin_to_a_colleague_who_signed_in_here_before(alice, cashier, till_client):
    client = till_client(alice, email=cashier.email)
    set_pin(client, "4711")
    client.sign_in(owner_email("alice"))  # the owner takes over the till

    page = client.get("/pos/login/")
    switched = client.form("/pos/login/", {"method": "pin", "pin-user": cashier.pk, "pin-pin": "4711"})

    assert "Kai Kasse" in page.content.decode()
    assert switched.status_code == 302 and switched["Location"] == "/pos/"
    assert client.get("/pos/").context["till"].user == cashier
    with schema_context("alice"):
        stored = User.objects.get(pk=cashier.pk).pos_pin
        assert stored != "4711" and stored.startswith("argon2") and check_password("4711", stored)
        assert AuditLog.objects.filter(action="user.pos_pin_set", object_id=str(cashier.pk)).count() == 1


def test_setting_a_pin_needs_the_password(alice, cashier, till_client):
    client = till_client(alice, email=cashier.email)

    response = client.form("/pos/pin/", {"password": "not mine", "pin": "4711", "pin_again": "4711"})

    assert response.status_code == 200 and response.context["form"].errors["password"]
    with schema_context("alice"):
        assert User.objects.get(pk=cashier.pk).pos_pin == ""


def test_a_pin_works_only_on_tills_the_person_signed_in_on(alice, cashier, till_client):
    first = till_client(alice, email=cashier.email)
    set_pin(first, "4711")
    other = till_client(alice, email=None, terminal_name="Till 2")

    response = other.form("/pos/login/", {"method": "pin", "pin-user": cashier.pk, "pin-pin": "4711"})

    assert response.status_code == 200
    assert response.context["pin_form"] is None  # nobody to switch to on this till
    assert other.get("/pos/")["Location"] == "/pos/login/"
    with schema_context("alice"):
        assert not AuditLog.objects.filter(action="pos.sign_in", actor_terminal=other.terminal).exists()


def test_wrong_pins_are_throttled_and_written_down(alice, cashier, till_client, caplog):
    client = till_client(alice, email=cashier.email)
    set_pin(client, "4711")
    client.form("/pos/logout/", {})

    wrong = [client.form("/pos/login/", {"method": "pin", "pin-user": cashier.pk, "pin-pin": f"000{n}"}).status_code
             for n in range(5)]
    sixth = client.form("/pos/login/", {"method": "pin", "pin-user": cashier.pk, "pin-pin": "0009"},
                        HTTP_ACCEPT_LANGUAGE="en")
    right_meanwhile = client.form("/pos/login/", {"method": "pin", "pin-user": cashier.pk, "pin-pin": "4711"})

    assert wrong == [403] * 5
    assert sixth.status_code == 429 and int(sixth["Retry-After"]) > 0
    assert "Too many wrong PINs" in sixth.content.decode()
    assert right_meanwhile.status_code == 429
    assert client.get("/pos/")["Location"] == "/pos/login/"
    with schema_context("alice"):
        entry = AuditLog.objects.get(action="throttled.wrong-pins")
        assert entry.actor_terminal == client.terminal and entry.data["user"] == cashier.pk
    assert "wrong-pins" in caplog.text
    # The password still works: a forgotten PIN locks nobody out.
    assert client.sign_in(cashier.email).status_code == 302


def test_the_staff_session_belongs_to_its_till(alice, cashier, till_client):
    client = till_client(alice, email=cashier.email)
    _, other_token = paired_terminal(alice, "Till 2")

    client.cookies[TERMINAL_COOKIE] = other_token

    assert client.get("/pos/")["Location"] == "/pos/login/"


def test_a_password_change_ends_the_till_session(alice, cashier, till_client):
    client = till_client(alice, email=cashier.email)
    with schema_context("alice"):
        cashier.set_password("a new long password")
        cashier.save()

    assert client.get("/pos/")["Location"] == "/pos/login/"


def test_signing_out_of_the_till(alice, cashier, till_client):
    client = till_client(alice, email=cashier.email)
    before = client.cookies["sessionid"].value

    response = client.form("/pos/logout/", {})

    assert response.status_code == 302
    assert client.cookies["sessionid"].value != before
    assert client.get("/pos/")["Location"] == "/pos/login/"
