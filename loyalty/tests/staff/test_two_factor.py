"""Two-factor sign-in for the back office, on the operator console's machinery: TOTP codes (real
ones, from the key), enrolment with a QR code, the one failure throttle, no code twice; the
owner's requirement for everyone with back-office access; the till's sign-in untouched."""
import pytest
from django_tenants.utils import schema_context

from loyalty.models import AuditLog, ShopSettings
from loyalty.tests.staff.conftest import sign_in, sign_in_with_code
from tenants.accounts.models import AuthenticatorDevice, User
from tests.support.baseline import PASSWORD, owner_email
from tests.support.clients import HostClient, authenticator_code

pytestmark = pytest.mark.django_db

KEY = "3132333435363738393031323334353637383930"
OWNERS_KEY = "0102030405060708090a0b0c0d0e0f1011121314"


def _authenticator(merchant, email, key=KEY):
    with schema_context(merchant.schema_name):
        return AuthenticatorDevice.objects.create(user=User.objects.get(email=email), name="Phone",
                                                  confirmed=True, key=key)


def _password_step(merchant, email, **headers) -> tuple[HostClient, str]:
    client = HostClient(merchant.primary_host, **headers)
    response = client.post("/manage/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302
    return client, response["Location"]


def test_an_owner_signs_in_with_password_and_a_real_code(alice, two_factor_required):
    _authenticator(alice, owner_email("alice"))

    client = sign_in_with_code(alice, owner_email("alice"), KEY)

    assert client.get("/manage/").status_code == 200
    assert client.get("/manage/staff/").status_code == 200


def test_after_the_password_alone_the_back_office_leads_to_the_code_step(alice, two_factor_required):
    _authenticator(alice, owner_email("alice"))
    client, code_step = _password_step(alice, owner_email("alice"))

    assert code_step == "/manage/login/code/?next=%2Fmanage%2F"
    for path in ("/manage/", "/manage/staff/", "/manage/export/", "/manage/terminals/"):
        response = client.get(path, follow=True)
        assert response.redirect_chain[-1][0].startswith("/manage/login/code/"), path
        assert response.status_code == 200 and "id_code" in response.content.decode()
    assert client.get("/api/programs/").status_code in (401, 403)


def test_a_wrong_code_is_refused_and_counted_by_the_one_throttle(alice, two_factor_required):
    _authenticator(alice, owner_email("alice"))
    client, code_step = _password_step(alice, owner_email("alice"), HTTP_ACCEPT_LANGUAGE="en")
    right = authenticator_code(KEY)
    wrong = [f"{n:06d}" for n in range(7) if f"{n:06d}" != right]

    answers = [client.post(code_step, {"code": code}) for code in wrong[:6]]
    right_meanwhile = client.post(code_step, {"code": right})

    assert [answer.status_code for answer in answers[:5]] == [200] * 5
    assert "This code is not valid" in answers[0].content.decode()
    assert answers[5].status_code == 429 and right_meanwhile.status_code == 429
    assert "Too many wrong codes" in right_meanwhile.content.decode()
    assert client.get("/manage/").status_code == 302
    with schema_context("alice"):
        assert AuditLog.objects.filter(action="throttled.wrong-codes").get().data["account"] == owner_email("alice")


def test_a_code_counts_once(alice, two_factor_required):
    _authenticator(alice, owner_email("alice"))
    sign_in_with_code(alice, owner_email("alice"), KEY)
    client, code_step = _password_step(alice, owner_email("alice"))

    replay = client.post(code_step, {"code": authenticator_code(KEY)})

    assert replay.status_code == 200 and client.get("/manage/").status_code == 302


def test_a_first_sign_in_sets_the_authenticator_up_through_the_qr_code(alice, manager, two_factor_required):
    client, code_step = _password_step(alice, manager.email)

    page = client.get(code_step)

    assert page.context["enrolling"] and page.content.decode().count("<svg") == 1
    assert f"secret={page.context['secret']}" in page.context["uri"]
    assert "Alice" in page.context["uri"]  # the app names the shop
    with schema_context("alice"):
        device = AuthenticatorDevice.objects.get(user=manager)
        assert not device.confirmed
    assert client.post(code_step, {"code": authenticator_code(device.key)}).status_code == 302
    assert client.get("/manage/").status_code == 200
    with schema_context("alice"):
        assert AuthenticatorDevice.objects.get(user=manager).confirmed


def test_cashiers_sign_in_at_the_till_as_before_while_two_factor_is_required(
        alice, cashier, manager, two_factor_required, till_client):
    till = till_client(alice, cashier.email)
    assert till.get("/pos/").status_code == 200
    managers_till = till_client(alice, manager.email)
    assert managers_till.get("/pos/").status_code == 200
    # A cashier has no back-office access, so no code is asked of them there either.
    assert sign_in(alice, cashier.email).get("/manage/").status_code == 403


def test_without_the_requirement_the_password_is_enough_until_one_sets_an_authenticator_up(alice, manager):
    assert sign_in(alice, manager.email).get("/manage/").status_code == 200
    _authenticator(alice, manager.email)

    client, code_step = _password_step(alice, manager.email)

    assert code_step.startswith("/manage/login/code/")
    assert client.get("/manage/").status_code == 302


def test_one_enrols_from_ones_own_page(alice, manager):
    client = sign_in(alice, manager.email, HTTP_ACCEPT_LANGUAGE="en")

    page = client.get("/manage/account/two-factor/")
    assert page.status_code == 200 and page.context["enrolling"] and "<svg" in page.content.decode()
    with schema_context("alice"):
        device = AuthenticatorDevice.objects.get(user=manager)
    wrong = client.post("/manage/account/two-factor/", {"code": "000000" if authenticator_code(device.key) != "000000"
                                                        else "111111"})
    assert wrong.status_code == 200 and "This code is not valid" in wrong.content.decode()
    done = client.post("/manage/account/two-factor/", {"code": authenticator_code(device.key)})

    assert done.status_code == 302
    with schema_context("alice"):
        assert AuthenticatorDevice.objects.get(user=manager).confirmed
        assert AuditLog.objects.filter(action="staff.two_factor_enrol", actor_user=manager).exists()
    again, code_step = _password_step(alice, manager.email)
    assert code_step.startswith("/manage/login/code/")


def test_the_owner_switches_the_requirement_on_the_staff_page_and_the_others_are_signed_out(alice, manager):
    owner = sign_in(alice, owner_email("alice"))
    managers_session = sign_in(alice, manager.email)

    response = owner.post("/manage/staff/two-factor/", {"required": "on"})

    assert response.status_code == 302
    with schema_context("alice"):
        assert ShopSettings.objects.get().two_factor_required
        audit = AuditLog.objects.get(action="settings.two_factor_required")
        assert audit.data["before"] == {"two_factor_required": False}
        assert audit.data["after"] == {"two_factor_required": True}
        assert audit.data["signed_out"] == [manager.pk]
    assert owner.get("/manage/").status_code == 200
    assert managers_session.get("/manage/").status_code == 302
    client, code_step = _password_step(alice, manager.email)
    assert code_step.startswith("/manage/login/code/")


def test_a_manager_cannot_switch_the_requirement(alice, manager):
    client = sign_in(alice, manager.email)
    assert client.post("/manage/staff/two-factor/", {"required": "off"}).status_code == 403
    with schema_context("alice"):
        assert not ShopSettings.objects.get().two_factor_required


def test_new_merchants_require_two_factor_sign_in_by_default(alice):
    with schema_context("alice"):
        assert ShopSettings().two_factor_required
        assert not ShopSettings.current().two_factor_required  # the baseline's: as merchants from before


def test_a_lost_phone_the_owner_removes_the_authenticator_and_it_is_set_up_again(alice, manager, two_factor_required):
    _authenticator(alice, manager.email)
    managers_session = sign_in_with_code(alice, manager.email, KEY)
    _authenticator(alice, owner_email("alice"), key=OWNERS_KEY)
    owner = sign_in_with_code(alice, owner_email("alice"), OWNERS_KEY)

    assert owner.post(f"/manage/staff/{manager.pk}/two-factor-reset/").status_code == 302

    with schema_context("alice"):
        assert AuditLog.objects.get(action="staff.two_factor_reset").data == {"authenticators_removed": 1}
    assert managers_session.get("/manage/").status_code == 302
    client, code_step = _password_step(alice, manager.email)
    assert client.get(code_step).context["enrolling"]


def test_someone_deactivated_between_the_two_steps_starts_over_at_the_sign_in(alice, manager, two_factor_required):
    client, code_step = _password_step(alice, manager.email)
    with schema_context("alice"):
        User.objects.filter(pk=manager.pk).update(is_active=False)

    response = client.get("/manage/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/manage/login/")
    assert "id_username" in response.content.decode()


def test_nobody_removes_their_own_authenticator(alice, alices_owner):
    _authenticator(alice, owner_email("alice"))
    owner, code_step = _password_step(alice, owner_email("alice"), HTTP_ACCEPT_LANGUAGE="en")
    owner.post(code_step, {"code": authenticator_code(KEY)})

    response = owner.post(f"/manage/staff/{alices_owner.pk}/two-factor-reset/", follow=True)

    assert "cannot remove your own authenticator" in response.content.decode()
    with schema_context("alice"):
        assert AuthenticatorDevice.objects.filter(user=alices_owner, confirmed=True).exists()
        assert not AuditLog.objects.filter(action="staff.two_factor_reset").exists()
