"""In Chromium: the till. A scan and two actions book a purchase; a booking whose request fails is
sent again with its idempotency key and booked once; the till fits a 360-pixel phone."""
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from loyalty.actors import Actor
from loyalty.models import LedgerEntry
from loyalty.pos.services import cashier_group, pairing_code_create
from tenants.accounts.models import User
from tests.support.baseline import owner_email
from tests.support.browser import till_pair_and_sign_in
from tests.support.factories import CardFactory, ProgramFactory, RewardFactory, UserFactory


@pytest.fixture
def till(committed, live_site, page, alice):
    """Chromium paired as a till of alice's with a one-time code, a cashier signed in there."""
    with schema_context(alice.schema_name):
        points = ProgramFactory(kind="points", name="Bonuspunkte")
        RewardFactory(program=points, name="Kaffee", points=10)
        card = CardFactory()
        cashier = UserFactory(email="kasse@alice.example", full_name="Kai Kasse")
        cashier.groups.add(cashier_group())
        owner = User.objects.get(email=owner_email(alice.schema_name))
        _, code = pairing_code_create(terminal_name="Counter 1", actor=Actor(user=owner))
    url = lambda path: live_site.url(alice.primary_host, path)  # noqa: E731

    till_pair_and_sign_in(page, url, code=code, email=cashier.email)
    return SimpleNamespace(card=card, points=points)


def scan(page, number):
    """What a USB scanner does: type the digits into whatever has the focus, then Enter."""
    with page.expect_response(f"**/pos/api/cards/{number}/"):
        page.keyboard.type(number)
        page.keyboard.press("Enter")
    expect(page.locator("#amount")).to_be_focused()  # the card is on screen, the amount is next


def focused(page) -> str:
    return page.evaluate("document.activeElement.id")


def test_scan_then_amount_and_earn_shows_the_new_balance_in_two_actions(till, page):
    assert focused(page) == "card-number"
    scan(page, till.card.number)

    actions_after_scan = [
        lambda: page.keyboard.type("12,50"),  # the amount field has the focus already
        lambda: page.locator("#programs button[data-action=earn]").click(),
    ]
    for action in actions_after_scan:
        action()

    assert len(actions_after_scan) <= 2
    expect(page.locator("#result .till-headline")).to_have_text("+12 Punkte")
    expect(page.locator("#result .till-balance")).to_have_text("Bonuspunkte: 12 Punkte")
    expect(page.locator("#result .till-reached")).to_have_text("Prämie erreicht: Kaffee")
    assert focused(page) == "card-number"  # ready for the next customer
    with schema_context("alice"):
        assert list(LedgerEntry.objects.values_list("amount", "balance_after")) == [(12, 12)]

    # Enter in the amount field books the purchase, too: scan, type, Enter.
    scan(page, till.card.number)
    page.keyboard.type("5")
    page.keyboard.press("Enter")

    expect(page.locator("#result .till-balance")).to_have_text("Bonuspunkte: 17 Punkte")
    assert focused(page) == "card-number"


@pytest.mark.parametrize("lost", ["request", "answer"])
def test_a_booking_that_fails_once_is_sent_again_with_its_key_and_booked_once(till, page, lost):
    attempts, booked_unseen = [], []

    def fail_the_first(route):
        attempts.append(route.request.header_value("idempotency-key"))
        if len(attempts) > 1:
            route.continue_()
            return
        if lost == "answer":  # the server books it, and its answer is lost on the way back
            # Playwright's own fetch does not resolve *.localhost: send it to the loopback address.
            url = urlsplit(route.request.url)
            booked_unseen.append(route.fetch(url=url._replace(netloc=f"127.0.0.1:{url.port}").geturl(),
                                             headers={**route.request.headers, "host": url.netloc}).status)
        route.abort("connectionreset")

    page.route("**/pos/api/bookings/earn/", fail_the_first)
    scan(page, till.card.number)
    page.keyboard.type("12,50")
    page.locator("#programs button[data-action=earn]").click()

    expect(page.locator("#till-status")).to_have_text("Verbindung gestört – neuer Versuch …")
    expect(page.locator("#result .till-balance")).to_have_text("Bonuspunkte: 12 Punkte")
    expect(page.locator("#till-status")).to_be_hidden()
    assert len(attempts) == 2 and attempts[0] == attempts[1] and len(attempts[0]) == 36
    assert booked_unseen == ([201] if lost == "answer" else [])
    with schema_context("alice"):
        assert list(LedgerEntry.objects.values_list("amount", flat=True)) == [12]


def test_the_till_fits_a_360_pixel_phone(till, page):
    page.set_viewport_size({"width": 360, "height": 740})
    scan(page, till.card.number)
    page.keyboard.type("8")
    earn = page.locator("#programs button[data-action=earn]")

    box = earn.bounding_box()
    earn.click()

    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    expect(page.locator("#result .till-headline")).to_have_text("+8 Punkte")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.locator("#result").bounding_box()["y"] < 740  # the result shows without scrolling


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Bitte zuerst den Betrag eingeben, z. B. 12,50."),
    ("0", "Der Betrag muss größer als 0,00 € sein."),
    ("0,00", "Der Betrag muss größer als 0,00 € sein."),
    ("-5", "Bitte den Betrag ohne Minuszeichen eingeben. Um eine Buchung zurückzunehmen, stornieren Sie sie unten."),
    ("12,5x", "Das ist kein Betrag: Bitte so eingeben: 12,50."),
    ("1234567", "Dieser Betrag ist zu groß für eine Buchung: Bitte prüfen."),
])
def test_a_missing_zero_negative_or_malformed_amount_is_named_and_nothing_is_booked(till, page, typed, message):
    scan(page, till.card.number)
    page.keyboard.type(typed)
    page.locator("#programs button[data-action=earn]").click()

    expect(page.locator("#result .till-headline")).to_have_text(message)
    expect(page.locator("#amount")).to_be_focused()
    with schema_context("alice"):
        assert not LedgerEntry.objects.exists()
