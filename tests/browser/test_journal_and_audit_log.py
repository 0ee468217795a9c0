"""In Chromium: the owner reverses a purchase from the journal (button, confirmation, message),
and reads the audit log; the journal with its totals, the confirmation and the audit log fit a
360-pixel phone and a desktop, in German and English. Screenshots in $SCREENSHOT_DIR."""
import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from loyalty.actors import Actor
from loyalty.models import AuditLog, Booking
from loyalty.services.bookings import booking_adjust, booking_earn, booking_top_up
from tests.support.baseline import owner_email
from tests.support.browser import back_office_sign_in, screenshot
from tests.support.factories import CardFactory, ProgramFactory

ACTOR = Actor(label="system:test")


@pytest.fixture
def shop(committed, live_site, page, alice):
    with schema_context(alice.schema_name):
        points = ProgramFactory(kind="points", name="Bonuspunkte")
        prepaid = ProgramFactory(kind="prepaid", name="Guthabenkarte Filiale Marktplatz")
        card = CardFactory()
        sale = booking_earn(card_number=card.number, program=points, purchase_amount_cents=1_250,
                            idempotency_key="sale", actor=ACTOR, receipt_number="R-17")
        booking_earn(card_number=card.number, program=points, purchase_amount_cents=3_990,
                     idempotency_key="sale-2", actor=ACTOR)
        booking_top_up(card_number=card.number, program=prepaid, amount_cents=5_000, idempotency_key="top-up",
                       actor=ACTOR)
        booking_adjust(card_number=card.number, program=points, amount=-2, reason="Kulanz",
                       idempotency_key="adjust", actor=ACTOR)
    url = lambda path: live_site.url(alice.primary_host, path)  # noqa: E731
    back_office_sign_in(page, url, email=owner_email(alice.schema_name))
    return {"url": url, "sale": sale, "card": card}


def test_the_owner_reverses_a_purchase_from_the_journal(shop, page):
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": shop["url"]("/")}])
    page.goto(shop["url"]("/manage/journal/"))
    line = page.locator(f"#booking-{shop['sale'].pk}")

    line.get_by_role("link", name="Reverse").click()
    expect(page.locator("h1")).to_have_text(f"Reverse booking {shop['sale'].pk}?")
    expect(page.locator(".journal-undone")).to_contain_text("−12 points")
    page.locator("#id_reason").fill("Falsche Karte")
    page.get_by_role("button", name="Reverse the booking").click()

    expect(page.locator(".messages")).to_contain_text(f"Booking {shop['sale'].pk} is reversed")
    expect(page.locator(f"#booking-{shop['sale'].pk}")).to_contain_text("yes")
    expect(page.locator(f"#booking-{shop['sale'].pk}").get_by_role("link", name="Reverse")).to_have_count(0)
    with schema_context("alice"):
        assert Booking.objects.get(reverses=shop["sale"]).reason == "Falsche Karte"

    page.goto(shop["url"]("/manage/audit/?family=reversals"))
    expect(page.locator("table.audit tbody tr")).to_have_count(1)
    expect(page.locator("table.audit tbody tr")).to_contain_text("Booking reversed")
    expect(page.locator("table.audit tbody tr")).to_contain_text("127.0.0.1")


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("width", [1280, 360])
def test_the_journal_the_confirmation_and_the_audit_log_fit_the_screen(shop, page, language, width):
    page.context.add_cookies([{"name": "django_language", "value": language, "url": shop["url"]("/")}])
    page.set_viewport_size({"width": width, "height": 900 if width > 400 else 740})
    with schema_context("alice"):
        adjustment = AuditLog.objects.get(action="booking.adjustment").pk
    for name, path in (("journal", "/manage/journal/"), ("reversal", f"/manage/journal/{shop['sale'].pk}/reverse/"),
                       ("audit-log", "/manage/audit/"), ("audit-entry", f"/manage/audit/{adjustment}/")):
        page.goto(shop["url"](path))
        expect(page.locator("h1")).to_be_visible()

        screenshot(page, f"{name}-with-totals-{language}-{width}" if name == "journal" else f"{name}-{language}-{width}",
                   full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, name
