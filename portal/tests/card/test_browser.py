"""In Chromium, at 360 px and 1280 px, in German and English: the landing page and the card page fit
the screen, the barcode on the phone decodes to the card number bar by bar, and a lost card is
blocked in two steps."""
import io

import pytest
from django.conf import settings
from PIL import Image
from playwright.sync_api import expect

from loyalty.barcode import code128_widths
from tests.support.browser import screenshot, shoot
from tests.support.portal import portal_signed_in

LOCALES = {"de": "de-DE", "en": "en-GB"}


def browser_of(chromium, live_site, merchant, cardholder=None, *, language="de", width=360):
    context = chromium.new_context(locale=LOCALES[language], viewport={"width": width, "height": 900})
    if cardholder is not None:
        session = portal_signed_in(merchant, cardholder).cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session,
                              "url": live_site.url(merchant.primary_host, "/")}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def bar_widths(png: bytes) -> list[int]:
    """The widths in pixels of the dark and light runs across the middle of a barcode's picture,
    from the first bar to the last: what a scanner's line reads."""
    image = Image.open(io.BytesIO(png)).convert("L")
    row = [image.getpixel((x, image.height // 2)) < 128 for x in range(image.width)]
    first, last = row.index(True), len(row) - 1 - row[::-1].index(True)
    runs, current, length = [], row[first], 0
    for dark in row[first:last + 1]:
        if dark == current:
            length += 1
        else:
            runs.append(length)
            current, length = dark, 1
    return [*runs, length]


def modules_read(runs: list[int], total_modules: int) -> str:
    """The runs as module widths (1 to 4), measured against the symbol's whole width."""
    module = sum(runs) / total_modules
    return "".join(str(round(run / module)) for run in runs)


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_landing_and_card_pages_fit_phone_and_desktop(committed, live_site, chromium, alice, hanna, language):
    context, page = browser_of(chromium, live_site, alice, language=language)
    try:
        page.goto(live_site.url(alice.primary_host, "/"))
        expect(page.locator("h1")).to_be_visible()
        expect(page.locator(".program")).to_have_count(4)
        shoot(page, "portal-landing")
    finally:
        context.close()
    context, page = browser_of(chromium, live_site, alice, hanna.cardholder, language=language)
    try:
        page.goto(live_site.url(alice.primary_host, "/card/"))
        expect(page.locator(".barcode svg")).to_be_visible()
        expect(page.locator(".balance-figure").first).to_have_text({"de": "130 Punkte", "en": "130 points"}[language])
        shoot(page, "portal-card")
        page.goto(live_site.url(alice.primary_host, "/card/history/"))
        shoot(page, "portal-history")
    finally:
        context.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_the_barcode_reads_as_the_card_number_and_fits_the_screen(committed, live_site, chromium, alice, hanna, width):
    context, page = browser_of(chromium, live_site, alice, hanna.cardholder, width=width)
    try:
        page.goto(live_site.url(alice.primary_host, "/card/"))
        barcode = page.locator(".barcode svg")
        box = barcode.bounding_box()
        # Where the phone is held to the scanner: on screen without scrolling, within its width.
        assert box["x"] >= 0 and box["x"] + box["width"] <= width and box["y"] + box["height"] <= 900
        expected = code128_widths(hanna.number)
        # At least two pixels to the narrowest bar, so a scanner can tell bars apart on the screen.
        assert box["width"] / (sum(map(int, expected)) + 20) >= 2
        runs = bar_widths(barcode.screenshot())
        assert modules_read(runs, sum(map(int, expected))) == expected
        expect(page.get_by_role("img", name=hanna.number)).to_be_visible()
        screenshot(page, f"portal-barcode-{width}")
    finally:
        context.close()


def test_a_lost_card_is_blocked_in_two_steps_on_the_phone(committed, live_site, chromium, alice, hanna):
    context, page = browser_of(chromium, live_site, alice, hanna.cardholder)
    try:
        page.goto(live_site.url(alice.primary_host, "/card/"))
        page.get_by_role("link", name="Karte verloren? Jetzt sperren").click()
        expect(page.get_by_text("Ihr Guthaben bleibt erhalten")).to_be_visible()
        screenshot(page, "portal-block-de-360", full_page=True)
        page.get_by_role("button", name="Karte jetzt sperren").click()

        page.wait_for_url(live_site.url(alice.primary_host, "/card/"))
        expect(page.locator(".messages")).to_contain_text("ist gesperrt")
        expect(page.locator(".pcard .notice")).to_contain_text("Fragen Sie an der Kasse nach einer Ersatzkarte")
        expect(page.locator(".barcode")).to_have_count(0)
        screenshot(page, "portal-blocked-de-360", full_page=True)
    finally:
        context.close()
