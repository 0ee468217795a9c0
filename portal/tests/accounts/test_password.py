"""The portal password: set by a signed-in person, changed only with the current one, checked by
Django's validators; a new one ends every other session of the person and keeps this one."""
import pytest
from django.contrib.auth.hashers import check_password, make_password
from django_tenants.utils import schema_context

from loyalty.models import AuditLog, Cardholder
from tests.support.portal import portal_signed_in

pytestmark = pytest.mark.django_db

OLD, NEW = "Sauerteig-Brot-2026", "Dinkel-Brezel-2027"


@pytest.fixture
def hanna(alice, holder_of):
    return holder_of(alice, first_name="Hanna", last_name="Huber", email="hanna@example.de").cardholder


def _stored(cardholder) -> Cardholder:
    with schema_context("alice"):
        return Cardholder.objects.get(pk=cardholder.pk)


def _set(cardholder, password) -> None:
    with schema_context("alice"):
        Cardholder.objects.filter(pk=cardholder.pk).update(password=make_password(password))


def test_the_password_page_is_for_signed_in_people_only(alice, visitor):
    assert visitor(alice).get("/password/")["Location"] == "/sign-in/?next=/password/"
    assert visitor(alice).post("/password/", {"new_password": NEW})["Location"] == "/sign-in/?next=/password/"


def test_a_first_password_needs_no_current_one(alice, hanna):
    client = portal_signed_in(alice, hanna)
    page = client.get("/password/").content.decode()
    assert "Set a password" in page and "current_password" not in page and 'autocomplete="new-password"' in page

    answer = client.post("/password/", {"new_password": NEW})

    assert answer["Location"] == "/card/"
    assert check_password(NEW, _stored(hanna).password) and _stored(hanna).password.startswith("argon2")
    assert client.get("/password/").status_code == 200  # still signed in here
    with schema_context("alice"):
        entry = AuditLog.objects.get(action="portal.password_set")
    assert entry.data == {"replaced": False} and entry.actor_label == "portal"


def test_changing_the_password_needs_the_current_one(alice, hanna):
    _set(hanna, OLD)
    client = portal_signed_in(alice, hanna)
    assert 'autocomplete="current-password"' in client.get("/password/").content.decode()

    wrong = client.post("/password/", {"current_password": "falsch", "new_password": NEW})
    missing = client.post("/password/", {"new_password": NEW})

    assert wrong.status_code == 200 and "This is not your current password." in wrong.content.decode()
    assert 'aria-describedby="id_current_password_error"' in wrong.content.decode()
    assert missing.status_code == 200 and "This field is required." in missing.content.decode()
    assert check_password(OLD, _stored(hanna).password)

    right = client.post("/password/", {"current_password": OLD, "new_password": NEW})

    assert right["Location"] == "/card/" and check_password(NEW, _stored(hanna).password)
    with schema_context("alice"):
        assert AuditLog.objects.get(action="portal.password_set").data == {"replaced": True}


@pytest.mark.parametrize(("weak", "message"), [
    ("kurz", "This password is too short. It must contain at least 8 characters."),
    ("12345678901", "This password is entirely numeric."),
    ("password123", "This password is too common."),
    ("hanna@example.de", "The password is too similar to the e-mail address."),
])
def test_djangos_validators_refuse_weak_passwords(alice, hanna, weak, message):
    client = portal_signed_in(alice, hanna)

    answer = client.post("/password/", {"new_password": weak})

    assert answer.status_code == 200 and message in answer.content.decode()
    assert _stored(hanna).password == ""


def test_a_new_password_ends_the_other_sessions_and_keeps_this_one(alice, hanna):
    here, phone = portal_signed_in(alice, hanna), portal_signed_in(alice, hanna)

    here.post("/password/", {"new_password": NEW})

    assert here.get("/password/").status_code == 200
    assert phone.get("/password/")["Location"].startswith("/sign-in/")
    assert _stored(hanna).portal_generation == 1


def test_wrong_current_passwords_are_throttled(alice, hanna):
    _set(hanna, OLD)
    client = portal_signed_in(alice, hanna)

    statuses = [client.post("/password/", {"current_password": "falsch", "new_password": NEW}).status_code
                for _ in range(11)]
    right = client.post("/password/", {"current_password": OLD, "new_password": NEW})

    assert statuses == [200] * 10 + [429] and right.status_code == 429
    assert check_password(OLD, _stored(hanna).password)
    with schema_context("alice"):
        assert AuditLog.objects.filter(action="throttled.wrong-passwords").count() == 1


def test_the_password_signs_in_afterwards(alice, hanna, visitor):
    portal_signed_in(alice, hanna).post("/password/", {"new_password": NEW})

    answer = visitor(alice).post("/sign-in/", {"method": "password", "password-email": "hanna@example.de",
                                               "password-password": NEW})

    assert answer["Location"] == "/card/"
