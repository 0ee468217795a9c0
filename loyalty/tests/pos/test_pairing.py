"""Pairing a browser as a till with a one-time code, within the licence; revoking a till."""
import datetime
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.errors import TerminalLimitReached
from loyalty.models import AuditLog, PairingCode, Terminal
from loyalty.pos.auth import TERMINAL_COOKIE
from loyalty.pos.services import PAIRING_CODE_ALPHABET, pairing_code_create, terminal_pair
from tenants.accounts.models import User
from tenants.models import Merchant
from tenants.routing import merchants_changed
from tests.support.baseline import PASSWORD, owner_email
from tests.support.clients import TillClient
from tests.support.fixtures import paired_terminal

REFUSAL = "Revoke a terminal in the back office or ask your Stammkunde contact to raise the licence."


def back_office(merchant) -> TillClient:
    client = TillClient(merchant.primary_host)
    response = client.post("/manage/login/", {
        "username": owner_email(merchant.schema_name), "password": PASSWORD,
        "csrfmiddlewaretoken": client.get("/manage/login/").cookies["csrftoken"].value})
    assert response.status_code == 302
    return client


def new_code(merchant, name="Counter 2") -> str:
    with schema_context(merchant.schema_name):
        owner = User.objects.get(email=owner_email(merchant.schema_name))
        return pairing_code_create(terminal_name=name, actor=Actor(user=owner))[1]


def pair(merchant, code, **extra):
    client = TillClient(merchant.primary_host)
    response = client.form("/pos/pair/", {"code": code}, HTTP_ACCEPT_LANGUAGE="en", **extra)
    return client, response


@pytest.mark.django_db
def test_back_office_makes_a_code_of_eight_unambiguous_characters_kept_only_as_a_hash(alice):
    client = back_office(alice)

    response = client.form("/manage/terminals/", {"terminal_name": "Counter 2"})

    assert response.status_code == 200
    shown = response.context["code"]
    code = shown.replace("-", "")
    assert len(code) == 8 and set(code) <= set(PAIRING_CODE_ALPHABET)
    assert not set("0O1IL") & set(PAIRING_CODE_ALPHABET)
    assert shown in response.content.decode()
    with schema_context("alice"):
        pairing_code = PairingCode.objects.get()
        assert code not in pairing_code.code_hash and len(pairing_code.code_hash) == 64
        assert pairing_code.terminal_name == "Counter 2" and pairing_code.used_at is None
        lifetime = pairing_code.expires_at - timezone.now()
        assert datetime.timedelta(minutes=14) < lifetime <= datetime.timedelta(minutes=15)
        assert AuditLog.objects.filter(action="pairing_code.create").count() == 1


@pytest.mark.django_db
def test_a_browser_pairs_with_the_code_and_gets_a_strict_host_only_device_cookie(alice):
    code = new_code(alice)

    client, response = pair(alice, code.lower()[:4] + " " + code[4:])  # typed loosely

    assert response.status_code == 302 and response["Location"] == "/pos/login/"
    cookie = response.cookies[TERMINAL_COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["domain"] == "" and "Domain=" not in cookie.output()
    assert cookie["path"] == "/pos/"
    assert cookie["secure"] == ""  # plain http here; see the next test
    assert int(cookie["max-age"]) >= 365 * 24 * 3600
    with schema_context("alice"):
        terminal = Terminal.objects.get()
        assert terminal.name == "Counter 2" and terminal.is_active
        assert PairingCode.objects.get().terminal == terminal
    assert client.get("/pos/login/").status_code == 200


@pytest.mark.django_db
def test_the_device_cookie_is_secure_over_https(alice):
    _, response = pair(alice, new_code(alice), secure=True,
                       HTTP_REFERER=f"https://{alice.primary_host}/pos/pair/")  # CSRF over https

    assert response.cookies[TERMINAL_COOKIE]["secure"] is True


@pytest.mark.django_db
def test_a_code_pairs_once(alice):
    code = new_code(alice)
    Merchant.objects.filter(pk=alice.pk).update(terminal_limit=5)
    merchants_changed()
    pair(alice, code)

    _, again = pair(alice, code)

    assert again.status_code == 422
    assert "not valid (any more)" in again.content.decode()
    assert TERMINAL_COOKIE not in again.cookies
    with schema_context("alice"):
        assert Terminal.objects.count() == 1


@pytest.mark.django_db
def test_an_expired_code_is_refused(alice):
    code = new_code(alice)
    with schema_context("alice"):
        PairingCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    _, response = pair(alice, code)

    assert response.status_code == 422
    with schema_context("alice"):
        assert not Terminal.objects.exists()


@pytest.mark.django_db
def test_pairing_beyond_the_licence_is_refused_and_revoking_frees_a_seat(alice):
    # Both codes were handed out while the licence had two seats; then it was lowered to one.
    Merchant.objects.filter(pk=alice.pk).update(terminal_limit=2)
    merchants_changed()
    first_code, code = new_code(alice, "Counter 1"), new_code(alice, "Counter 2")
    Merchant.objects.filter(pk=alice.pk).update(terminal_limit=1)
    merchants_changed()
    first, _ = pair(alice, first_code)

    second, refused = pair(alice, code)

    assert refused.status_code == 409
    assert REFUSAL in refused.content.decode()
    assert TERMINAL_COOKIE not in second.cookies
    with schema_context("alice"):
        assert list(Terminal.objects.values_list("name", flat=True)) == ["Counter 1"]
        assert PairingCode.objects.get(terminal_name="Counter 2").used_at is None
        first_terminal = Terminal.objects.get()

    owner = back_office(alice)
    revoked = owner.form(f"/manage/terminals/{first_terminal.pk}/revoke/", {})
    _, paired = pair(alice, code)

    assert revoked.status_code == 302
    assert paired.status_code == 302 and TERMINAL_COOKIE in paired.cookies
    with schema_context("alice"):
        assert list(Terminal.objects.filter(is_active=True).values_list("name", flat=True)) == ["Counter 2"]
    # The revoked till's cookie is worthless at once: pages send it to pairing, the API refuses.
    assert first.get("/pos/login/")["Location"] == "/pos/pair/"
    assert first.get("/pos/api/cards/0000000000000/").status_code == 401


@pytest.mark.django_db
def test_the_back_office_shows_the_licence_and_what_to_do_when_it_is_full(alice):
    Merchant.objects.filter(pk=alice.pk).update(terminal_limit=1)
    merchants_changed()
    paired_terminal(alice, "Counter 1")
    client = back_office(alice)

    page = client.get("/manage/terminals/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "1 of 1 licensed terminal in use." in page
    assert "Counter 1" in page
    assert "ask your Stammkunde contact to raise the licence" in page


@pytest.mark.django_db
def test_wrong_pairing_codes_are_throttled_per_address(alice, caplog):
    code = new_code(alice)
    answers = [pair(alice, "WRONGCD" + str(n))[1].status_code for n in range(10)]

    _, eleventh = pair(alice, "WRONGCDX")
    _, right_code_meanwhile = pair(alice, code)

    assert answers == [422] * 10
    assert eleventh.status_code == 429 and int(eleventh["Retry-After"]) > 0
    assert right_code_meanwhile.status_code == 429
    with schema_context("alice"):
        assert not Terminal.objects.exists()
        assert AuditLog.objects.filter(action="throttled.wrong-pairing-codes").count() == 1
    assert "wrong-pairing-codes" in caplog.text


@pytest.fixture
def one_seat(alice):
    """Alice's licence at one terminal, for a test that commits; the licence is put back after."""
    licensed = Merchant.objects.get(pk=alice.pk).terminal_limit
    Merchant.objects.filter(pk=alice.pk).update(terminal_limit=1)
    merchants_changed()
    yield
    Merchant.objects.filter(pk=alice.pk).update(terminal_limit=licensed)
    merchants_changed()


def test_two_tills_pairing_at_once_cannot_both_take_the_last_seat(committed, alice, one_seat):
    # Codes handed out while the licence had two seats, before it was lowered to one.
    Merchant.objects.filter(pk=alice.pk).update(terminal_limit=2)
    codes = [new_code(alice, "Counter A"), new_code(alice, "Counter B")]
    Merchant.objects.filter(pk=alice.pk).update(terminal_limit=1)
    merchants_changed()
    outcomes = []

    def pair_in_thread(code):
        try:
            with schema_context("alice"):
                terminal_pair(code=code, client_address="127.0.0.1", actor=Actor(label="test"))
            outcomes.append("paired")
        except TerminalLimitReached:
            outcomes.append("refused")
        finally:
            connection.close()

    # Hold the merchant's row, so that both pairings are inside the service at the same time.
    with transaction.atomic():
        Merchant.objects.select_for_update(no_key=True).get(pk=alice.pk)
        threads = [threading.Thread(target=pair_in_thread, args=(code,)) for code in codes]
        [thread.start() for thread in threads]
        _wait_for_lock_waiters(2)
    [thread.join(timeout=30) for thread in threads]

    assert sorted(outcomes) == ["paired", "refused"]
    with schema_context("alice"):
        assert Terminal.objects.count() == 1


def _wait_for_lock_waiters(count, timeout=10.0):
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # a transaction sees one snapshot
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                           "AND datname = current_database()")
            if cursor.fetchone()[0] >= count:
                return
            time.sleep(0.02)
    raise AssertionError(f"{count} pairings did not wait for the merchant's row")
