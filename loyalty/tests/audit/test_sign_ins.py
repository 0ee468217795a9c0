"""Sign-ins leave an audit row with the address they came from: the back office's after the
password, or after the code where two-factor sign-in is on (not after the password alone), the
invitation's first password, and the till's. A wrong password alone leaves none (the throttle
counts it, and its lock-out is written down, with the address): rows for each would let anyone
fill the log."""
import re

import pytest
from django_tenants.utils import schema_context

from loyalty.models import AuditLog
from loyalty.tests.staff.conftest import sign_in, sign_in_with_code
from tenants.accounts.models import AuthenticatorDevice, User
from tests.support.baseline import PASSWORD, owner_email
from tests.support.clients import HostClient

pytestmark = pytest.mark.django_db

KEY = "3132333435363738393031323334353637383930"


def _sign_ins(action="user.sign_in") -> list[tuple]:
    with schema_context("alice"):
        return list(AuditLog.objects.filter(action=action).order_by("pk")
                    .values_list("actor_user__email", "data__method", "address"))


def test_a_sign_in_with_the_password_is_audited_with_the_address(alice):
    client = HostClient(alice.primary_host, REMOTE_ADDR="203.0.113.9")

    client.post("/manage/login/", {"username": owner_email("alice"), "password": PASSWORD})

    assert _sign_ins() == [(owner_email("alice"), "password", "203.0.113.9")]


def test_with_two_factor_the_sign_in_is_audited_after_the_code_only(alice):
    with schema_context("alice"):
        AuthenticatorDevice.objects.create(user=User.objects.get(email=owner_email("alice")), name="Phone",
                                           confirmed=True, key=KEY)
    password_only = HostClient(alice.primary_host)
    password_only.post("/manage/login/", {"username": owner_email("alice"), "password": PASSWORD})
    assert _sign_ins() == []

    sign_in_with_code(alice, owner_email("alice"), KEY, REMOTE_ADDR="203.0.113.10")

    assert _sign_ins() == [(owner_email("alice"), "two_factor", "203.0.113.10")]


def test_a_wrong_password_leaves_no_sign_in_row_and_a_lockout_names_the_address(alice):
    client = HostClient(alice.primary_host, REMOTE_ADDR="203.0.113.11")
    with schema_context("alice"):
        before = AuditLog.objects.count()

    client.post("/manage/login/", {"username": owner_email("alice"), "password": "wrong"})
    with schema_context("alice"):
        assert AuditLog.objects.count() == before
    for _attempt in range(10):
        client.post("/manage/login/", {"username": owner_email("alice"), "password": "wrong"})

    with schema_context("alice"):
        lockout = AuditLog.objects.get(action="throttled.wrong-passwords")
    assert (lockout.address, lockout.data["account"]) == ("203.0.113.11", owner_email("alice"))
    assert _sign_ins() == []


def test_the_tills_sign_in_is_audited_with_the_address(alice, till_client):
    till_client(alice, terminal_name="Kasse Theke")

    [(email, method, address)] = _sign_ins("pos.sign_in")
    assert (email, method, address) == (owner_email("alice"), "password", "127.0.0.1")


def test_the_first_password_from_an_invitation_signs_in_and_is_audited(
        alice, mailoutbox, django_capture_on_commit_callbacks):
    owner = sign_in(alice, owner_email("alice"))
    with django_capture_on_commit_callbacks(execute=True):
        owner.post("/manage/staff/", {"full_name": "Mia Leitung", "email": "mia@alice.example", "role": "manager"})
    path = re.search(r"/manage/invitation/\S+/", mailoutbox[-1].body).group(0)
    browser = HostClient(alice.primary_host, REMOTE_ADDR="203.0.113.12")
    form = browser.get(path, follow=True)

    browser.post(form.redirect_chain[-1][0], {"new_password1": "Kuchen am Nachmittag",
                                              "new_password2": "Kuchen am Nachmittag"})

    assert _sign_ins()[-1] == ("mia@alice.example", "invitation", "203.0.113.12")
