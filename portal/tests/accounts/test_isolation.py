"""Sessions, links, passwords and cards per merchant host: a cardholder of alice cannot sign in on
bob's or charlie's portal, alice's links and cookies mean nothing there, and nothing of alice's
shows."""
import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django_tenants.utils import schema_context

from loyalty.models import AuditLog, Cardholder
from loyalty.services.portal_accounts import CONFIRM_EMAIL, INVITATION, SIGN_IN, portal_link_token
from portal.tests.accounts.conftest import CODE
from tests.support.portal import portal_signed_in

pytestmark = pytest.mark.django_db

PASSWORD = "Sauerteig-Brot-2026"


@pytest.fixture
def alwine(alice, holder_of):
    """Alice's cardholder, with a confirmed address and a password, and her links."""
    cardholder = holder_of(alice, first_name="Alwine", last_name="Geheimkundin", email="alwine@alice.example").cardholder
    with schema_context("alice"):
        Cardholder.objects.filter(pk=cardholder.pk).update(password=make_password(PASSWORD))
        cardholder = Cardholder.objects.get(pk=cardholder.pk)
        links = {kind.name: portal_link_token(cardholder, kind) for kind in (SIGN_IN, CONFIRM_EMAIL, INVITATION)}
    return cardholder, links


def _audit(schema) -> int:
    with schema_context(schema):
        return AuditLog.objects.exclude(action__startswith="throttled.").count()


@pytest.mark.parametrize("other", ["bob", "charlie"])
def test_alices_cardholder_cannot_sign_in_with_her_password_on_another_portal(
        alice, alwine, visitor, other, request):
    merchant = request.getfixturevalue(other)
    client = visitor(merchant)

    answer = client.post("/sign-in/", {"method": "password", "password-email": "alwine@alice.example",
                                       "password-password": PASSWORD})

    assert answer.status_code == 200
    assert "The e-mail address or the password is not right." in answer.content.decode()
    assert client.get("/password/")["Location"].startswith("/sign-in/")
    assert _audit(other) == 0
    # On alice's own host the same password signs in.
    assert visitor(alice).post("/sign-in/", {"method": "password", "password-email": "alwine@alice.example",
                                             "password-password": PASSWORD})["Location"] == "/card/"


@pytest.mark.parametrize("other", ["bob", "charlie"])
def test_alices_address_on_another_portal_gets_the_same_answer_and_no_mail(
        alwine, visitor, other, request, mailoutbox, django_capture_on_commit_callbacks):
    merchant = request.getfixturevalue(other)

    with django_capture_on_commit_callbacks(execute=True):
        answer = visitor(merchant).post("/sign-in/", {"method": "link", "link-email": "alwine@alice.example"})

    assert answer.status_code == 200 and "a sign-in link is on its way" in answer.content.decode()
    assert mailoutbox == []


@pytest.mark.parametrize("other", ["bob", "charlie"])
def test_alices_links_are_refused_on_another_portal(alice, alwine, visitor, other, request, mailoutbox,
                                                    django_capture_on_commit_callbacks):
    merchant = request.getfixturevalue(other)
    cardholder, links = alwine
    client = visitor(merchant)
    paths = {SIGN_IN.name: "/sign-in/link/{}/", CONFIRM_EMAIL.name: "/confirm/{}/", INVITATION.name: "/invitation/{}/"}

    with django_capture_on_commit_callbacks(execute=True):
        answers = []
        for kind, token in links.items():
            path = paths[kind].format(token)
            answers += [client.get(path), client.post(path), client.post(path, {"renew": "1"})]

    assert [answer.status_code for answer in answers] == [404] * 9
    assert all("Alwine" not in answer.content.decode() for answer in answers)
    assert mailoutbox == [] and _audit(other) == 0
    assert client.get("/password/")["Location"].startswith("/sign-in/")
    with schema_context("alice"):
        assert Cardholder.objects.get(pk=cardholder.pk).portal_sign_in_at is None
    # On alice's host the sign-in link works.
    assert visitor(alice).post(paths[SIGN_IN.name].format(links[SIGN_IN.name]))["Location"] == "/card/"


@pytest.mark.parametrize("other", ["bob", "charlie"])
def test_alices_portal_session_cookie_means_nothing_on_another_host(alice, alwine, other, request, visitor):
    merchant = request.getfixturevalue(other)
    alices_browser = portal_signed_in(alice, alwine[0])
    assert alices_browser.get("/password/").status_code == 200
    client = visitor(merchant)
    client.cookies[settings.SESSION_COOKIE_NAME] = alices_browser.cookies[settings.SESSION_COOKIE_NAME].value

    pages = [client.get(path) for path in ("/password/", "/sign-in/", "/register/")]

    assert pages[0]["Location"].startswith("/sign-in/")
    for page in pages[1:]:
        body = page.content.decode()
        assert page.status_code == 200 and "Alwine" not in body and "Alice’s Bakery" not in body
        assert 'action="/sign-out/"' not in body  # nobody signed in


def test_alices_card_cannot_be_registered_on_bobs_portal_and_its_lock_is_bobs_own(alice, bob, visitor, blank_card):
    card = blank_card(alice)
    on_bob = visitor(bob)

    answers = [on_bob.post("/register/", {"card_number": card.number, "activation_code": CODE}) for _ in range(5)]

    assert [answer.status_code for answer in answers] == [200] * 4 + [429]
    assert "The card number or the activation code is not right." in answers[0].content.decode()
    with schema_context("bob"):
        assert AuditLog.objects.filter(action="throttled.wrong-activation-codes").count() == 1
    with schema_context("alice"):
        assert not AuditLog.objects.filter(action__startswith="throttled.").exists()
    # On alice's host the card is not locked.
    assert visitor(alice).post("/register/", {"card_number": card.number,
                                              "activation_code": CODE})["Location"] == "/register/details/"
