"""Signing in to the portal: by a link sent by e-mail (the same answer whoever asks), or with e-mail
and password (the same refusal for an unknown address and a wrong password), both throttled; and
signing out."""
import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import AuditLog, Cardholder
from loyalty.services.portal_accounts import SIGN_IN, portal_link_token
from portal.tests.accounts.conftest import input_tag, link_path
from tenants.accounts.models import User
from tests.support.clients import HostClient
from tests.support.hashers import FastArgon2PasswordHasher
from tests.support.portal import portal_signed_in

pytestmark = pytest.mark.django_db

PASSWORD = "Sauerteig-Brot-2026"
LINK_SENT = "If this address belongs to a card here, a sign-in link is on its way."


@pytest.fixture
def hanna(alice, holder_of):
    """A cardholder of alice with a confirmed address and a portal password."""
    cardholder = holder_of(alice, first_name="Hanna", email="hanna@example.de").cardholder
    with schema_context("alice"):
        Cardholder.objects.filter(pk=cardholder.pk).update(password=make_password(PASSWORD))
        return Cardholder.objects.get(pk=cardholder.pk)


def _ask_link(client, email, **extra):
    return client.post("/sign-in/", {"method": "link", "link-email": email, **extra})


def _password(client, email, password=PASSWORD, **extra):
    return client.post("/sign-in/", {"method": "password", "password-email": email,
                                     "password-password": password, **extra})


def _signed_in(client) -> bool:
    return client.get("/password/").status_code == 200


def _sign_ins(schema="alice") -> list:
    with schema_context(schema):
        return list(AuditLog.objects.filter(action="portal.sign_in").values_list("data", "address", "object_id"))


def test_the_sign_in_page_offers_both_ways_made_for_a_phone(alice, visitor):
    page = visitor(alice).get("/sign-in/").content.decode()

    assert "Send me a sign-in link" in page and "With your password" in page
    assert 'name="link-email"' in page and 'autocomplete="email"' in page and "autofocus" in page
    assert 'autocomplete="current-password"' in page
    assert '<label for="id_link-email">' in page and '<label for="id_password-password">' in page


def test_a_sign_in_link_signs_in_on_the_button_not_on_opening(alice, visitor, hanna, mailoutbox,
                                                              django_capture_on_commit_callbacks):
    client = visitor(alice)
    with django_capture_on_commit_callbacks(execute=True):
        sent = _ask_link(client, " Hanna@Example.DE ")

    assert sent.status_code == 200 and LINK_SENT in sent.content.decode()
    [message] = mailoutbox
    assert message.to == ["hanna@example.de"] and "30 Minuten lang" in message.body  # in her language
    path = link_path(message, "/sign-in/link/")
    opened = client.get(path)
    assert opened.status_code == 200 and not _signed_in(client) and _sign_ins() == []
    signed_in = client.post(path)
    assert signed_in["Location"] == "/card/" and _signed_in(client)
    assert _sign_ins() == [({"method": "link"}, "127.0.0.1", str(hanna.pk))]
    # The link is spent.
    assert visitor(alice).post(path).status_code == 404


def test_every_address_gets_the_same_answer_and_only_confirmed_ones_get_a_mail(
        alice, visitor, hanna, holder_of, mailoutbox, django_capture_on_commit_callbacks):
    holder_of(alice, first_name="Unbestätigt", email="pending@example.de", confirmed=False)
    gone = holder_of(alice, first_name="Weg", email="gone@example.de").cardholder
    with schema_context("alice"):
        Cardholder.objects.filter(pk=gone.pk).update(anonymised_at=timezone.now())
    answers = {}
    with django_capture_on_commit_callbacks(execute=True):
        for email in ("hanna@example.de", "nobody@example.de", "pending@example.de", "gone@example.de"):
            page = _ask_link(visitor(alice, REMOTE_ADDR=f"10.0.0.{len(answers)}"), email)
            answers[email] = (page.status_code, page.content.decode().count(LINK_SENT))

    assert set(answers.values()) == {(200, 1)}
    assert [message.to for message in mailoutbox] == [["hanna@example.de"]]


def test_a_sign_in_link_is_spent_by_any_sign_in_and_expires(alice, visitor, hanna):
    with schema_context("alice"):
        token = portal_link_token(hanna, SIGN_IN)
    client = visitor(alice)

    assert _password(client, "hanna@example.de")["Location"] == "/card/"

    assert client.get(f"/sign-in/link/{token}/").status_code == 404
    page = client.post(f"/sign-in/link/{token}/")
    assert page.status_code == 404 and 'href="/sign-in/"' in page.content.decode()


def test_asking_for_links_is_throttled_per_address_and_per_recipient(
        alice, visitor, hanna, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        # Five to one recipient from five addresses, then the sixth is paused wherever it comes from.
        per_recipient = [_ask_link(visitor(alice, REMOTE_ADDR=f"10.0.1.{n}"), "hanna@example.de").status_code
                         for n in range(6)]
        # Five from one address to five recipients, then that address is paused for anyone.
        client = visitor(alice, REMOTE_ADDR="10.0.2.1")
        per_address = [_ask_link(client, f"someone{n}@example.de").status_code for n in range(6)]

    assert per_recipient == [200] * 5 + [429] and per_address == [200] * 5 + [429]
    assert len(mailoutbox) == 5
    paused = _ask_link(client, "hanna@example.de")
    assert "Too many e-mails were asked for." in paused.content.decode() and paused["Retry-After"]
    assert 'value="hanna@example.de"' in paused.content.decode()
    with schema_context("alice"):
        assert AuditLog.objects.filter(action="throttled.portal-emails").count() == 2
        assert "hanna@example.de" not in str(list(AuditLog.objects.values_list("data", flat=True)))


def test_the_password_signs_in_and_is_written_down_without_the_address(alice, visitor, hanna):
    client = visitor(alice)

    answer = _password(client, "HANNA@example.de")

    assert answer["Location"] == "/card/" and _signed_in(client)
    assert _sign_ins() == [({"method": "password"}, "127.0.0.1", str(hanna.pk))]
    with schema_context("alice"):
        assert Cardholder.objects.get(pk=hanna.pk).portal_sign_in_at is not None


@pytest.mark.parametrize("case", ["wrong password", "unknown address", "no password yet", "not confirmed",
                                  "anonymised"])
def test_every_failed_password_sign_in_is_refused_alike(alice, visitor, hanna, holder_of, case):
    email, password = "hanna@example.de", PASSWORD
    if case == "wrong password":
        password = "Roggen-Brot-2026"
    elif case == "unknown address":
        email = "nobody@example.de"
    else:
        other = holder_of(alice, email="other@example.de", confirmed=case != "not confirmed").cardholder
        email = "other@example.de"
        with schema_context("alice"):
            Cardholder.objects.filter(pk=other.pk).update(
                password="" if case == "no password yet" else make_password(PASSWORD),
                anonymised_at=timezone.now() if case == "anonymised" else None)
    client = visitor(alice)

    answer = _password(client, email, password)

    page = answer.content.decode()
    assert answer.status_code == 200 and "The e-mail address or the password is not right." in page
    assert f'value="{email}"' in page and "Sauerteig" not in page and "Roggen" not in page
    assert "autofocus" in input_tag(page, "password-password") and "autofocus" not in input_tag(page, "link-email")
    assert not _signed_in(client) and _sign_ins() == []


def test_wrong_passwords_pause_password_sign_in_even_for_the_right_one_but_not_links(
        alice, visitor, hanna, mailoutbox, django_capture_on_commit_callbacks):
    client = visitor(alice, REMOTE_ADDR="10.0.3.1")
    statuses = [_password(client, "hanna@example.de", "wrong").status_code for _ in range(11)]

    right = _password(client, "hanna@example.de")
    assert statuses == [200] * 10 + [429]
    assert right.status_code == 429 and "Signing in with a password is paused here" in right.content.decode()
    assert not _signed_in(client)
    with schema_context("alice"):
        lockout = AuditLog.objects.get(action="throttled.wrong-passwords")
        assert lockout.address == "10.0.3.1" and "hanna" not in str(lockout.data)
    # Elsewhere the right password works, and here a link does.
    assert _password(visitor(alice, REMOTE_ADDR="10.0.3.2"), "hanna@example.de")["Location"] == "/card/"
    with django_capture_on_commit_callbacks(execute=True):
        assert _ask_link(client, "hanna@example.de").status_code == 200
    assert len(mailoutbox) == 1


def test_many_accounts_from_one_address_pause_that_address(alice, visitor, hanna):
    client = visitor(alice, REMOTE_ADDR="10.0.4.1")
    statuses = [_password(client, f"guess{n}@example.de", "wrong").status_code for n in range(51)]

    assert statuses[:50] == [200] * 50 and statuses[50] == 429
    assert _password(client, "hanna@example.de").status_code == 429
    with schema_context("alice"):
        assert AuditLog.objects.filter(action="throttled.wrong-passwords-from-an-address").count() == 1


@pytest.mark.parametrize("email", ["nobody@example.de", "hanna@example.de"])
def test_an_unknown_address_costs_an_argon2_check_as_a_known_one_does(alice, visitor, hanna, monkeypatch, email):
    verified = []
    verify = FastArgon2PasswordHasher.verify
    monkeypatch.setattr(FastArgon2PasswordHasher, "verify",
                        lambda self, password, encoded: verified.append(password) or verify(self, password, encoded))

    _password(visitor(alice), email, "geraten")

    assert verified == ["geraten"]


def test_sign_in_goes_back_where_the_person_was_going(alice, visitor, hanna, mailoutbox,
                                                      django_capture_on_commit_callbacks):
    client = visitor(alice)
    asked = client.get("/password/")
    assert asked["Location"] == "/sign-in/?next=/password/"
    assert 'name="next" value="/password/"' in client.get(asked["Location"]).content.decode()

    assert _password(client, "hanna@example.de", next="/password/")["Location"] == "/password/"
    assert _password(visitor(alice), "hanna@example.de", next="https://evil.example/")["Location"] == "/card/"
    with django_capture_on_commit_callbacks(execute=True):
        _ask_link(visitor(alice), "hanna@example.de", next="/password/")
    assert visitor(alice).post(link_path(mailoutbox[0], "/sign-in/link/"))["Location"] == "/password/"


def test_signed_in_the_sign_in_page_leads_to_the_card(alice, hanna):
    assert portal_signed_in(alice, hanna).get("/sign-in/")["Location"] == "/card/"


def test_sign_out_is_a_post_and_ends_the_portal_session(alice, hanna):
    client = portal_signed_in(alice, hanna)

    assert client.get("/sign-out/").status_code == 405 and _signed_in(client)
    out = client.post("/sign-out/", follow=True)

    assert out.redirect_chain[0][0] == "/" and "You are signed out." in out.content.decode()
    assert not _signed_in(client)


def test_a_staff_session_in_the_same_browser_stays_when_the_cardholder_signs_out(alice, hanna, host_client):
    from tests.support.baseline import PASSWORD as STAFF_PASSWORD
    from tests.support.baseline import owner_email

    client = host_client(alice)
    assert client.post("/manage/login/", {"username": owner_email("alice"),
                                          "password": STAFF_PASSWORD}).status_code == 302
    assert _password(client, "hanna@example.de")["Location"] == "/card/"

    client.post("/sign-out/")

    assert client.get("/manage/").status_code == 200 and not _signed_in(client)


def test_the_forms_refuse_bad_input_without_counting_it(alice, visitor, hanna):
    client = visitor(alice)

    for _attempt in range(12):
        refused = _password(client, "not an address", "x")
        assert refused.status_code == 200 and "Please enter a valid e-mail address, such as name@example.de." in refused.content.decode()
    assert _ask_link(client, "").status_code == 200 and mail.outbox == []
    assert client.post("/sign-in/", {"method": "other"}).status_code == 200

    assert _password(client, "hanna@example.de")["Location"] == "/card/"


def test_the_actor_of_a_sign_in_is_the_cardholder(alice, visitor, hanna):
    _password(visitor(alice), "hanna@example.de")

    with schema_context("alice"):
        entry = AuditLog.objects.get(action="portal.sign_in")
    assert entry.actor_user is None and entry.actor_terminal is None and entry.actor_label == "portal"
    assert Actor.for_cardholder(hanna).label == entry.actor_label


def test_wrong_passwords_in_the_back_office_do_not_lock_a_cardholder_with_the_same_address(alice, visitor, hanna):
    with schema_context("alice"):
        User.objects.create_user("hanna@example.de", "Personal-Passwort-1", full_name="Hanna Huber")
    staff_form = HostClient(alice.primary_host)
    for attempt in range(12):
        staff_form.post("/manage/login/", {"username": "hanna@example.de", "password": f"falsch-{attempt}"})
    assert staff_form.post("/manage/login/", {"username": "hanna@example.de",
                                              "password": "Personal-Passwort-1"}).status_code == 429

    client = visitor(alice)
    assert _password(client, "hanna@example.de").status_code == 302
    assert _signed_in(client)
