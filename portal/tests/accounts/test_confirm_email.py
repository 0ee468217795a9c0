"""The link of the confirmation mail: opening it (as a mail scanner does) changes nothing, the
button confirms and signs in, and a used or expired link offers a new one."""
import pytest
from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore
from django.core import signing
from django_tenants.utils import schema_context

from loyalty.models import AuditLog, Card, Cardholder
from loyalty.services.portal_accounts import CONFIRM_EMAIL, SIGN_IN, _salt, portal_link_token
from portal.session import SESSION_CARDHOLDER
from portal.tests.accounts.conftest import link_path, mails_to, register
from tests.support.portal import portal_signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered(alice, visitor, blank_card, mailoutbox, django_capture_on_commit_callbacks):
    """A person who registered a card, with their browser and the confirmation link mailed."""
    card = blank_card(alice)
    client = visitor(alice)
    with django_capture_on_commit_callbacks(execute=True):
        register(client, card.number)
    [message] = mails_to("hanna@example.de")
    mailoutbox.clear()
    with schema_context("alice"):
        holder = Card.objects.get(pk=card.pk).cardholder
    return client, link_path(message, "/confirm/"), holder


def _holder(cardholder) -> Cardholder:
    with schema_context("alice"):
        return Cardholder.objects.get(pk=cardholder.pk)


def test_opening_the_link_shows_a_button_and_confirms_nothing(alice, registered):
    client, path, holder = registered

    page = client.get(path)

    assert page.status_code == 200 and "Confirm and sign in" in page.content.decode()
    assert 'method="post"' in page.content.decode()
    assert _holder(holder).email_confirmed_at is None and _holder(holder).portal_sign_in_at is None
    assert client.get("/password/")["Location"].startswith("/sign-in/")  # not signed in


def test_the_button_confirms_the_address_and_signs_the_person_in(alice, registered):
    client, path, holder = registered

    confirmed = client.post(path)

    assert confirmed.status_code == 302 and confirmed["Location"] == "/card/"
    holder = _holder(holder)
    assert holder.email_confirmed_at is not None and holder.portal_sign_in_at is not None
    assert client.get("/password/").status_code == 200  # signed in
    with schema_context("alice"):
        confirm, sign_in = AuditLog.objects.filter(action__startswith="portal.").order_by("pk")
    assert (confirm.action, sign_in.action, sign_in.data) == ("portal.email_confirm", "portal.sign_in",
                                                              {"method": "confirmation"})
    assert sign_in.address == "127.0.0.1" and sign_in.actor_label == "portal"
    assert "hanna@example.de" not in str(confirm.data) + str(sign_in.data)


def test_the_link_confirms_in_another_browser_too(alice, registered, visitor):
    _client, path, holder = registered
    phone = visitor(alice)

    assert phone.post(path)["Location"] == "/card/"
    assert phone.get("/password/").status_code == 200


def test_a_used_link_offers_a_new_one_which_becomes_a_sign_in_link_once_confirmed(
        alice, registered, mailoutbox, django_capture_on_commit_callbacks):
    client, path, holder = registered
    client.post(path)

    again = client.get(path)
    page = again.content.decode()
    assert again.status_code == 404 and "This link no longer works" in page and 'name="renew"' in page
    with django_capture_on_commit_callbacks(execute=True):
        renewed = client.post(path, {"renew": "1"})

    assert renewed.status_code == 404 and "a new one is on its way" in renewed.content.decode()
    [message] = mails_to("hanna@example.de")
    assert "/sign-in/link/" in message.body and "/confirm/" not in message.body


def test_an_expired_link_sends_a_new_confirmation_link(alice, registered, mailoutbox,
                                                       django_capture_on_commit_callbacks):
    client, _path, holder = registered
    with schema_context("alice"):
        token = signing.dumps({"c": holder.pk, "k": CONFIRM_EMAIL.name, "s": "old"}, salt=_salt(), compress=True)

    assert client.post(f"/confirm/{token}/").status_code == 404
    assert _holder(holder).email_confirmed_at is None
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/confirm/{token}/", {"renew": "1"})

    [message] = mails_to("hanna@example.de")
    assert client.post(link_path(message, "/confirm/"))["Location"] == "/card/"


def test_a_made_up_link_confirms_nothing_and_sends_nothing(alice, registered, mailoutbox,
                                                          django_capture_on_commit_callbacks):
    client, path, holder = registered
    forged = path.replace("/confirm/", "/confirm/x")

    with django_capture_on_commit_callbacks(execute=True):
        answers = [client.get(forged), client.post(forged), client.post(forged, {"renew": "1"}),
                   client.get("/confirm/not-a-token/")]

    assert [answer.status_code for answer in answers] == [404] * 4
    assert mailoutbox == [] and _holder(holder).email_confirmed_at is None


def test_a_link_made_for_another_purpose_does_not_confirm(alice, registered):
    client, _path, holder = registered
    with schema_context("alice"):
        token = portal_link_token(holder, SIGN_IN)

    assert client.post(f"/confirm/{token}/").status_code == 404
    assert _holder(holder).email_confirmed_at is None


def test_a_used_link_offers_the_way_to_the_card_to_someone_signed_in(alice, registered):
    client, path, holder = registered
    client.post(path)

    page = client.get(path).content.decode()

    assert 'href="/card/"' in page


def test_asking_for_new_links_is_throttled(alice, registered, mailoutbox, django_capture_on_commit_callbacks):
    client, path, holder = registered
    with schema_context("alice"):
        token = signing.dumps({"c": holder.pk, "k": CONFIRM_EMAIL.name, "s": "old"}, salt=_salt(), compress=True)

    with django_capture_on_commit_callbacks(execute=True):
        statuses = [client.post(f"/confirm/{token}/", {"renew": "1"}).status_code for _ in range(5)]

    # Registering counted one e-mail to the address already.
    assert statuses == [404] * 4 + [429] and len(mails_to("hanna@example.de")) == 4


def test_confirming_where_someone_else_is_signed_in_signs_in_the_person_of_the_link(
        alice, registered, holder_of):
    client, path, holder = registered
    other = holder_of(alice, first_name="Erika", email="erika@example.de").cardholder
    browser = portal_signed_in(alice, other)

    assert browser.post(path)["Location"] == "/card/"
    with schema_context("alice"):
        session = SessionStore(session_key=browser.cookies[settings.SESSION_COOKIE_NAME].value)
        assert session[SESSION_CARDHOLDER] == holder.pk
