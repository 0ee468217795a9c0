"""In Chromium: the till's actions of issue 15. A booking waiting for the network survives a
reload and is booked once; an amount above the plausibility limit is booked after "yes"; a sale
is returned from the card's last bookings; a gift voucher is sold with a confirmation; a cashier
reverses their own booking. Screenshots of the till at 1280 and 360 pixels, German and English."""
from types import SimpleNamespace

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from loyalty.actors import Actor
from loyalty.models import Booking
from loyalty.pos.services import cashier_group, pairing_code_create
from tenants.accounts.models import User
from tests.support.baseline import PASSWORD, owner_email
from tests.support.browser import screenshot, till_pair_and_sign_in
from tests.support.factories import CardFactory, ProgramFactory, RewardFactory, UserFactory

PENDING = "stammkunde.till.pending"


@pytest.fixture
def till(committed, live_site, page, alice):
    """Chromium paired as a till of alice's, a cashier signed in; points and gift vouchers."""
    with schema_context(alice.schema_name):
        points = ProgramFactory(kind="points", name="Bonuspunkte")
        RewardFactory(program=points, name="Kaffee", points=10)
        voucher = ProgramFactory(kind="voucher", name="Geschenkgutschein", voucher_presets=[2_500, 5_000])
        card = CardFactory()
        cashier = UserFactory(email="kasse@alice.example", full_name="Kai Kasse")
        cashier.groups.add(cashier_group())
        owner = User.objects.get(email=owner_email(alice.schema_name))
        _, code = pairing_code_create(terminal_name="Counter 1", actor=Actor(user=owner))
    url = lambda path: live_site.url(alice.primary_host, path)  # noqa: E731

    till_pair_and_sign_in(page, url, code=code, email=cashier.email)
    return SimpleNamespace(card=card, points=points, voucher=voucher, cashier=cashier, url=url)


def scan(page, number):
    """What a USB scanner does: type the digits into whatever has the focus, then Enter."""
    with page.expect_response(f"**/pos/api/cards/{number}/"):
        page.keyboard.type(number)
        page.keyboard.press("Enter")
    expect(page.locator("#amount")).to_be_focused()


def bookings(**filters) -> list[Booking]:
    with schema_context("alice"):
        return list(Booking.objects.filter(**filters).order_by("pk"))


def pending(page):
    return page.evaluate(f"window.localStorage.getItem({PENDING!r})")


def test_a_booking_waiting_for_the_network_survives_a_reload_and_is_booked_once(till, page):
    blocked = []

    def refuse(route):
        blocked.append(route.request.header_value("idempotency-key"))
        route.abort("internetdisconnected")

    page.route("**/pos/api/bookings/earn/", refuse)
    scan(page, till.card.number)
    page.keyboard.type("12,50")
    page.locator("#programs button[data-action=earn]").click()
    page.wait_for_function(f"window.localStorage.getItem({PENDING!r}) !== null")
    expect(page.locator("#till-status")).to_have_text("Verbindung gestört – neuer Versuch …")

    page.reload()
    expect(page.locator("#till-status")).to_contain_text(till.card.number)  # waiting, with its card
    screenshot(page, "till-pending-de-1280")
    assert len(blocked) >= 2 and len(set(blocked)) == 1  # tried again after the reload, same key
    assert bookings() == []
    page.unroute("**/pos/api/bookings/earn/")

    expect(page.locator("#result .till-headline")).to_have_text("+12 Punkte")
    expect(page.locator("#till-status")).to_be_hidden()
    [booking] = bookings()
    assert (booking.kind, booking.purchase_amount_cents, booking.idempotency_key) == ("earn", 1_250, blocked[0])
    assert pending(page) is None


def test_a_waiting_booking_is_never_sent_under_another_persons_name(till, page, alice):
    with schema_context(alice.schema_name):
        colleague = UserFactory(email="aushilfe@alice.example", full_name="Ali Aushilfe")
        colleague.groups.add(cashier_group())
    page.route("**/pos/api/bookings/earn/", lambda route: route.abort("internetdisconnected"))
    scan(page, till.card.number)
    page.keyboard.type("12,50")
    page.keyboard.press("Enter")
    page.wait_for_function(f"window.localStorage.getItem({PENDING!r}) !== null")

    # The colleague takes over the till before the network is back.
    page.goto(till.url("/pos/login/"))
    page.locator("#id_password-email").fill(colleague.email)
    page.locator("#id_password-password").fill(PASSWORD)
    page.locator("#id_password-password").press("Enter")
    page.wait_for_url(till.url("/pos/"))
    page.unroute("**/pos/api/bookings/earn/")
    expect(page.locator("#till-status")).to_contain_text("bis sie sich hier wieder anmeldet")
    page.wait_for_timeout(1_000)
    assert bookings() == [] and pending(page) is not None

    # Back under the cashier who began it, it is booked once, under their name.
    page.goto(till.url("/pos/login/"))
    page.locator("#id_password-email").fill(till.cashier.email)
    page.locator("#id_password-password").fill(PASSWORD)
    page.locator("#id_password-password").press("Enter")
    expect(page.locator("#result .till-headline")).to_have_text("+12 Punkte")
    [booking] = bookings()
    assert booking.staff_user_id == till.cashier.pk
    assert pending(page) is None


def test_above_the_limit_the_till_asks_and_books_only_after_yes(till, page):
    keys = []
    page.on("request", lambda request: keys.append(request.header_value("idempotency-key"))
            if "/pos/api/bookings/" in request.url else None)
    scan(page, till.card.number)
    page.keyboard.type("1001")
    page.keyboard.press("Enter")
    expect(page.locator("#result .till-headline")).to_have_text("Der Betrag darf höchstens 1.000,00 € sein.")
    assert bookings() == []

    page.locator("#amount").fill("999")
    page.keyboard.press("Enter")
    expect(page.locator("#result .till-headline")).to_contain_text("999,00 €")
    expect(page.locator("#confirm-yes")).to_be_focused()
    assert bookings() == [] and pending(page) is None
    page.locator("#confirm-yes").click()

    expect(page.locator("#result .till-headline")).to_have_text("+999 Punkte")
    [booking] = bookings()
    assert booking.purchase_amount_cents == 99_900
    assert len(keys) == 3 and keys[1] == keys[2] and keys[0] != keys[1]


def test_no_at_the_confirmation_books_nothing_and_keeps_the_amount(till, page):
    scan(page, till.card.number)
    page.keyboard.type("999")
    page.keyboard.press("Enter")
    page.locator("#confirm-no").click()

    expect(page.locator("#amount")).to_be_focused()
    expect(page.locator("#amount")).to_have_value("999")
    assert bookings() == []


def test_a_sale_is_returned_from_the_last_bookings(till, page):
    scan(page, till.card.number)
    page.keyboard.type("20")
    page.keyboard.press("Enter")
    expect(page.locator("#result .till-headline")).to_have_text("+20 Punkte")
    sale = bookings()[0]

    page.locator(f"#bookings button[data-return-sale='{sale.pk}']").click()
    expect(page.locator("#return-amount")).to_have_value("20,00")
    page.locator("#return-amount").fill("5")
    page.keyboard.press("Enter")

    expect(page.locator("#result .till-headline")).to_have_text("−5 Punkte")
    [returned] = bookings(kind="return")
    assert (returned.returned_sale_id, returned.purchase_amount_cents) == (sale.pk, 500)
    expect(page.locator(f"#bookings button[data-return-sale='{sale.pk}']")).to_be_visible()  # 15 € left


def test_a_gift_voucher_is_sold_after_a_confirmation(till, page):
    scan(page, till.card.number)
    page.locator("#programs button[data-action=voucher_issue]").click()
    page.locator("#voucher-sale button[data-preset='5000']").click()

    panel = page.locator("#voucher-sale")
    expect(panel.locator(".till-voucher-value")).to_contain_text("50,00 €")
    expect(panel).to_contain_text("31.12.")
    expect(panel.locator(".till-voucher-purpose")).to_contain_text("Mehrzweckgutschein")
    assert bookings() == []
    page.locator("#voucher-confirm").click()

    expect(page.locator("#result .till-headline")).to_have_text("+50,00 €")
    expect(page.locator("#result .till-note")).to_contain_text("Mehrzweckgutschein")
    [sold] = bookings()
    assert (sold.kind, sold.program_id, sold.staff_user_id) == ("voucher_issue", till.voucher.pk, till.cashier.pk)
    assert pending(page) is None


def test_a_cashier_reverses_their_own_booking_at_once(till, page):
    scan(page, till.card.number)
    page.keyboard.type("8")
    page.keyboard.press("Enter")
    expect(page.locator("#result .till-headline")).to_have_text("+8 Punkte")
    earned = bookings()[0]

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#bookings button[data-booking='{earned.pk}']").click()

    expect(page.locator("#result .till-headline")).to_have_text("−8 Punkte")
    assert [b.reverses_id for b in bookings(kind="reversal")] == [earned.pk]


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("width", [1280, 360])
def test_screenshots_of_the_till_fit_the_screen(till, page, language, width):
    page.context.add_cookies([{"name": "django_language", "value": language, "url": till.url("/")}])
    page.set_viewport_size({"width": width, "height": 900 if width > 400 else 740})
    page.reload()
    scan(page, till.card.number)
    page.keyboard.type("20")
    page.keyboard.press("Enter")
    expect(page.locator("#result.ok")).to_be_visible()
    page.locator("#bookings button.return").first.click()
    page.locator("#programs button[data-action=voucher_issue]").click()
    page.locator("#voucher-sale button[data-preset='2500']").click()
    expect(page.locator("#voucher-confirm")).to_be_visible()

    screenshot(page, f"till-{language}-{width}", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.locator("#amount").fill("999")
    page.locator("#amount").press("Enter")
    expect(page.locator("#confirm-yes")).to_be_visible()
    screenshot(page, f"till-confirm-{language}-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
