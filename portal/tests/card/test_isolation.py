"""alice's cardholder on another merchant's host: the portal session means nothing there, and no
page shows alice's branding, programs, cardholder or card; bob's portal shows bob's alone."""
import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import AuditLog, Card
from loyalty.services import bookings
from loyalty.services.shop import shop_settings_update
from portal.tests.card.conftest import book_known_balances
from portal.tests.card.test_card_page import text_of
from tests.support.clients import HostClient

pytestmark = pytest.mark.django_db

ALICE_SECRETS = ("Alwine", "Alice’s Bakery", "#a11ce0", "Willkommen bei Alice", "Alice-Bonuspunkte",
                 "Alice-Croissant", "Alice-Kaffeekarte", "Alice-Guthaben", "Alice-Geschenkgutschein")


@pytest.fixture
def alwine(alice, shop_of, holder_of):
    """alice's cardholder Alwine with balances on every program of alice's, in alice's colours."""
    shop = shop_of(alice, prefix="Alice-")
    with schema_context("alice"):
        shop_settings_update(actor=Actor(label="test"), primary_colour="#a11ce0", welcome_text="Willkommen bei Alice")
    card = holder_of(alice, first_name="Alwine", email="alwine@example.com")
    book_known_balances(shop, card)
    return card


def carrying_alwines_session(alice, alwine, portal_client, merchant) -> HostClient:
    signed_in = portal_client(alice, alwine.cardholder, language="de")
    assert alwine.number in signed_in.get("/card/").content.decode()  # at home it works
    stranger = HostClient(merchant.primary_host, HTTP_ACCEPT_LANGUAGE="de")
    stranger.cookies[settings.SESSION_COOKIE_NAME] = signed_in.cookies[settings.SESSION_COOKIE_NAME].value
    return stranger


@pytest.mark.parametrize("other", ["bob", "charlie"])
def test_alices_portal_session_shows_nothing_of_alices_on_another_host(alice, alwine, portal_client, other, request):
    merchant = request.getfixturevalue(other)
    client = carrying_alwines_session(alice, alwine, portal_client, merchant)

    answers = [client.get(path) for path in ("/", "/card/", "/card/history/", f"/card/{alwine.number}/block/",
                                             f"/card/history/?card={alwine.number}")]
    blocked = client.post(f"/card/{alwine.number}/block/")

    assert answers[0].status_code == 200
    assert [answer.status_code for answer in answers[1:]] == [302] * 4  # not signed in here
    assert all(answer["Location"].startswith("/sign-in/") for answer in [*answers[1:], blocked])
    content = "".join(answer.content.decode() for answer in [*answers, blocked])
    for secret in (*ALICE_SECRETS, alwine.number):
        assert secret not in content, secret
    with schema_context("alice"):
        assert Card.objects.get(pk=alwine.pk).status == Card.Status.ACTIVE
        assert not AuditLog.objects.filter(action="card.block").exists()


def test_bobs_portal_shows_only_bobs_branding_programs_and_card(alice, alwine, bob, shop_of, holder_of,
                                                               portal_client):
    bobs = shop_of(bob, prefix="Bob-")
    with schema_context("bob"):
        shop_settings_update(actor=Actor(label="test"), primary_colour="#5b3a00", welcome_text="Moin bei Bob")
    bert = holder_of(bob, first_name="Bert")
    bobs.book(bookings.booking_stamp, bert, program=bobs.stamps, stamps=4)
    client = portal_client(bob, bert.cardholder, language="de")

    landing, card = client.get("/"), client.get("/card/")
    pages = text_of(landing) + text_of(card) + landing.content.decode() + card.content.decode()

    assert "Bob’s Butchery" in pages and "#5b3a00" in pages and "Moin bei Bob" in pages
    assert "Bob-Bonuspunkte" in pages and "Bob-Kaffeekarte 4 von 10 Stempeln" in pages and bert.number in pages
    for secret in (*ALICE_SECRETS, alwine.number):
        assert secret not in pages, secret


def test_a_bob_session_cannot_reach_alices_card_by_its_number(alice, alwine, bob, holder_of, portal_client):
    bert = holder_of(bob, first_name="Bert")
    client = portal_client(bob, bert.cardholder)

    answers = [client.get(f"/card/{alwine.number}/block/"), client.post(f"/card/{alwine.number}/block/"),
               client.get(f"/card/history/?card={alwine.number}")]

    assert [answer.status_code for answer in answers] == [404] * 3
    with schema_context("alice"):
        assert Card.objects.get(pk=alwine.pk).status == Card.Status.ACTIVE
        assert not AuditLog.objects.filter(action="card.block").exists()
