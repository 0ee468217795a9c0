"""Every sign-in form, on every host, takes ten wrong passwords for an account at an address; then
it pauses, refuses even the right password for a while, says when to try again and writes the
lock-out down. A lock-out at the till holds at the back office too. Wrong two-factor codes pause
code entry after five."""
import pytest
from django_tenants.utils import schema_context

from hq.models import OperatorAuditLog
from loyalty.models import AuditLog
from tests.support.baseline import OPERATOR_EMAIL, OPERATOR_TOTP_KEY, PASSWORD, owner_email
from tests.support.clients import HostClient, authenticator_code

pytestmark = pytest.mark.django_db


def _back_office(client, password):
    return client.post("/manage/login/", {"username": owner_email("alice"), "password": password},
                       HTTP_ACCEPT_LANGUAGE="en")


def _console(client, password):
    return client.post("/login/", {"username": OPERATOR_EMAIL, "password": password},
                       HTTP_ACCEPT_LANGUAGE="en")


def _till(client, password):
    return client.form("/pos/login/", {"method": "password", "password-email": owner_email("alice"),
                                       "password-password": password}, HTTP_ACCEPT_LANGUAGE="en")


def _pin_set(client, password):
    return client.form("/pos/pin/", {"password": password, "pin": "4711", "pin_again": "4711"},
                       HTTP_ACCEPT_LANGUAGE="en")


def _signed_in(response) -> bool:
    return response.status_code == 302 and "/login/code/" not in response.get("Location", "")


@pytest.mark.parametrize("form", ["back office", "console", "till", "pin"])
def test_ten_wrong_passwords_pause_the_form_even_for_the_right_one_and_are_written_down(
        alice, settings, till_client, form):
    if form == "console":
        client, attempt = HostClient(settings.BASE_HOST), _console
    elif form == "back office":
        client, attempt = HostClient(alice.primary_host), _back_office
    elif form == "till":
        client, attempt = till_client(alice, email=None), _till
    else:
        client, attempt = till_client(alice), _pin_set

    wrong = [attempt(client, f"wrong password {n}") for n in range(10)]
    paused = attempt(client, "wrong password 11")
    right_meanwhile = attempt(client, PASSWORD)

    assert {response.status_code for response in wrong} == {200 if form != "till" else 403}
    assert paused.status_code == right_meanwhile.status_code == 429
    assert 0 < int(right_meanwhile["Retry-After"]) <= 15 * 60
    assert "Too many wrong passwords" in right_meanwhile.content.decode()
    assert not _signed_in(right_meanwhile)
    if form == "console":
        row = OperatorAuditLog.objects.get(action="sign_in.paused")
        assert row.after == {"account": OPERATOR_EMAIL, "address": "127.0.0.1"}
    else:
        with schema_context("alice"):
            assert AuditLog.objects.filter(action="throttled.wrong-passwords").count() == 1


def test_a_lock_out_at_the_till_holds_at_the_back_office_of_the_same_merchant(alice, till_client):
    till = till_client(alice, email=None)
    for n in range(11):
        _till(till, f"wrong {n}")

    back_office = _back_office(HostClient(alice.primary_host), PASSWORD)

    assert back_office.status_code == 429
    assert "_auth_user_id" not in HostClient(alice.primary_host).session


def test_another_merchant_and_another_address_are_not_paused(alice, bob):
    for n in range(11):
        _back_office(HostClient(alice.primary_host), f"wrong {n}")

    other_address = HostClient(alice.primary_host).post(
        "/manage/login/", {"username": owner_email("alice"), "password": PASSWORD}, REMOTE_ADDR="10.0.0.7")
    bobs_owner = HostClient(bob.primary_host).post(
        "/manage/login/", {"username": owner_email("bob"), "password": PASSWORD})

    assert other_address.status_code == 302 and bobs_owner.status_code == 302


def test_a_forwarded_address_counts_only_from_a_trusted_proxy(alice, settings):
    settings.TRUSTED_PROXIES = ["10.9.0.0/16"]
    spoofed = {"HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    for n in range(11):  # straight from 127.0.0.1, claiming another address: counted as 127.0.0.1
        HostClient(alice.primary_host).post("/manage/login/", {"username": owner_email("alice"),
                                                               "password": f"wrong {n}"}, **spoofed)

    from_the_proxy = HostClient(alice.primary_host).post(
        "/manage/login/", {"username": owner_email("alice"), "password": PASSWORD},
        REMOTE_ADDR="10.9.0.5", HTTP_X_FORWARDED_FOR="198.51.100.1")
    direct = HostClient(alice.primary_host).post(
        "/manage/login/", {"username": owner_email("alice"), "password": PASSWORD})

    assert from_the_proxy.status_code == 302  # 198.51.100.1 behind our proxy: not paused
    assert direct.status_code == 429


def test_wrong_two_factor_codes_pause_code_entry_and_the_right_code_is_refused_meanwhile(settings):
    client = HostClient(settings.BASE_HOST)
    assert _console(client, PASSWORD).status_code == 302  # the first step

    wrong = [client.post("/login/code/", {"code": f"{n:06d}"}, HTTP_ACCEPT_LANGUAGE="en")
             for n in range(25) if f"{n:06d}" != authenticator_code(OPERATOR_TOTP_KEY)]
    right = client.post("/login/code/", {"code": authenticator_code(OPERATOR_TOTP_KEY)},
                        HTTP_ACCEPT_LANGUAGE="en")

    assert [response.status_code for response in wrong[:5]] == [200] * 5
    assert {response.status_code for response in wrong[5:]} == {429}
    assert right.status_code == 429 and "Too many wrong codes" in right.content.decode()
    assert client.get("/").status_code == 302  # not signed in
    assert OperatorAuditLog.objects.filter(action="two_factor.paused").count() == 1


def _wrong_codes(count: int) -> list[str]:
    right = authenticator_code(OPERATOR_TOTP_KEY)
    return [code for code in (f"{n:06d}" for n in range(count + 1)) if code != right][:count]


def test_the_right_code_right_after_wrong_ones_signs_in(settings):
    client = HostClient(settings.BASE_HOST)
    _console(client, PASSWORD)

    wrong = [client.post("/login/code/", {"code": code}).status_code for code in _wrong_codes(4)]
    right = client.post("/login/code/", {"code": authenticator_code(OPERATOR_TOTP_KEY)})

    assert wrong == [200] * 4
    assert right.status_code == 302 and client.get("/").status_code == 200


def test_wrong_codes_from_many_addresses_pause_code_entry_for_the_account(settings):
    client = HostClient(settings.BASE_HOST)
    _console(client, PASSWORD)
    codes = iter(_wrong_codes(21))

    # Four from each address stays under the limit per address; the 21st in all goes over.
    answers = [client.post("/login/code/", {"code": next(codes)}, REMOTE_ADDR=f"203.0.113.{n // 4 + 1}",
                           HTTP_ACCEPT_LANGUAGE="en").status_code for n in range(21)]
    right = client.post("/login/code/", {"code": authenticator_code(OPERATOR_TOTP_KEY)},
                        REMOTE_ADDR="198.51.100.77", HTTP_ACCEPT_LANGUAGE="en")

    assert answers == [200] * 20 + [429]
    assert right.status_code == 429 and "Too many wrong codes" in right.content.decode()
    assert client.get("/").status_code == 302  # not signed in
    assert OperatorAuditLog.objects.filter(action="two_factor.paused").count() == 1
