"""In Chromium: the owner reads the journal, filters it by card, and it fits a 360-pixel phone.
Screenshots at 1280 and 360 pixels, German and English."""

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from loyalty.actors import Actor
from loyalty.services.bookings import booking_earn, booking_reverse, booking_voucher_issue
from tests.support.baseline import owner_email
from tests.support.browser import back_office_sign_in, screenshot
from tests.support.factories import CardFactory, ProgramFactory

ACTOR = Actor(label="system:test")


@pytest.fixture
def journal(committed, live_site, page, alice):
    with schema_context(alice.schema_name):
        points = ProgramFactory(kind="points", name="Bonuspunkte")
        voucher = ProgramFactory(kind="voucher", name="Geschenkgutschein")
        card, other = CardFactory(), CardFactory()
        sale = booking_earn(card_number=card.number, program=points, purchase_amount_cents=1_250,
                            idempotency_key="sale", actor=ACTOR, receipt_number="R-17")
        booking_reverse(booking_id=sale.pk, idempotency_key="undo", actor=ACTOR)
        booking_voucher_issue(card_number=other.number, program=voucher, amount_cents=5_000,
                              idempotency_key="voucher", actor=ACTOR)
    url = lambda path: live_site.url(alice.primary_host, path)  # noqa: E731
    back_office_sign_in(page, url, email=owner_email(alice.schema_name))
    return {"url": url, "card": card, "other": other}


def test_the_owner_filters_the_journal_by_card(journal, page):
    page.goto(journal["url"]("/manage/journal/"))
    expect(page.locator("table.journal tbody tr")).to_have_count(3)
    expect(page.locator("table.journal tbody tr").first).to_contain_text("Mehrzweckgutschein")

    page.locator("#id_card_number").fill(journal["card"].number)
    page.locator("#id_card_number").press("Enter")

    expect(page.locator("table.journal tbody tr")).to_have_count(2)
    expect(page.locator("table.journal")).not_to_contain_text(journal["other"].number)
    expect(page.locator("table.journal tbody tr").last).to_contain_text("12,50 €")
    expect(page.locator("#id_card_number")).to_have_value(journal["card"].number)


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("width", [1280, 360])
def test_the_journal_fits_the_screen(journal, page, language, width):
    page.context.add_cookies([{"name": "django_language", "value": language, "url": journal["url"]("/")}])
    page.set_viewport_size({"width": width, "height": 900 if width > 400 else 740})
    page.goto(journal["url"]("/manage/journal/"))
    expect(page.locator("table.journal tbody tr")).to_have_count(3)

    screenshot(page, f"journal-{language}-{width}", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
