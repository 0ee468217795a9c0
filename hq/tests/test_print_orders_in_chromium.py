"""In Chromium, with a real Celery worker: the operator makes a print order on the merchant's page,
submits it after the confirmation, watches the progress bar build its print files and moves it on to
delivered; the merchant's owner then sees the reorder hint in the back office and asks for cards.
Every page fits a 360-pixel phone, in German and English (screenshots in SCREENSHOT_DIR)."""
import re

import pytest
from playwright.sync_api import expect

from hq.models import PrintFile, PrintOrder
from hq.models import print_orders as print_order_models
from tests.support.baseline import owner_email
from tests.support.browser import back_office_sign_in, console_sign_in, shoot


@pytest.fixture(autouse=True)
def _small_files_in_tmp(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    # A file a card: the five files of an order of five take long enough to watch the progress bar.
    monkeypatch.setattr(print_order_models, "CARDS_PER_PRINT_FILE", 1)


def _switch_language(page, code: str) -> None:
    page.locator(".language").get_by_role("button", name=code, exact=True).click()
    page.wait_for_load_state()


def test_an_order_from_the_console_to_delivery_and_the_merchants_reorder(
        committed, celery_worker, live_site, page, alice, settings):
    console = lambda path: live_site.url(settings.BASE_HOST, path)  # noqa: E731
    console_sign_in(page, console)
    page.goto(console(f"/merchants/{alice.pk}/"))

    section = page.locator("#print-orders")
    expect(section.locator(".notice.reorder")).to_contain_text("Nur noch 0 Blankokarten übrig")
    section.locator("#id_quantity").fill("5")
    section.get_by_role("button", name="Als Entwurf anlegen").click()
    order = PrintOrder.objects.get(merchant=alice)
    article = page.locator(f"#print-order-{order.pk}")
    expect(article.locator("h3")).to_contain_text("5 Karten")
    article.get_by_role("button", name="Bestellung aufgeben …").click()

    expect(page.locator(".print-confirm")).to_contain_text("Das lässt sich nicht rückgängig machen.")
    shoot(page, "print-order-confirm-submit")
    page.get_by_role("button", name="Ja, Bestellung aufgeben").click()
    expect(article.locator('li[data-status="ordered"]')).to_have_class("reached")

    article.get_by_role("button", name="Die 5 Druckdateien erstellen").click()
    expect(article.locator(".print-files progress")).to_be_visible()
    expect(article.locator(".print-files-count")).to_contain_text(re.compile(r"\d von 5 Dateien"))
    shoot(page, "print-order-console-progress")
    expect(article.locator(".print-file-links li")).to_have_count(5, timeout=60_000)
    expect(article.locator(".print-file-links")).to_contain_text("Alice’s Bakery – 5 Karten – Teil 5 von 5.pdf")
    expect(article.locator(".print-files progress")).to_have_count(0)
    assert PrintFile.objects.filter(order=order).count() == 5

    article.get_by_role("button", name="Als „im Druck“ markieren").click()
    article.get_by_role("button", name="Als versandt markieren").click()
    expect(article.locator('li[data-status="shipped"]')).to_have_class("reached")
    shoot(page, "print-order-console-shipped")
    article.get_by_role("button", name="Lieferung erfassen …").click()
    shoot(page, "print-order-confirm-delivery")
    page.get_by_role("button", name="Ja, die Karten sind angekommen").click()
    expect(article.locator('li[data-status="delivered"]')).to_have_class("reached")
    # Five blank cards of the delivery are all the stock: time to reorder.
    expect(section.locator(".notice.reorder")).to_contain_text("Nur noch 5 Blankokarten übrig (weniger als 50)")
    shoot(page, "print-order-console-delivered")
    _switch_language(page, "EN")
    expect(section.locator(".notice.reorder")).to_contain_text("Only 5 blank cards left (fewer than 50)")
    expect(article.locator(".print-file-links")).to_contain_text("Alice’s Bakery – 5 cards – part 1 of 5.pdf")
    shoot(page, "print-order-console-delivered")
    assert PrintOrder.objects.get(pk=order.pk).status == "delivered"

    shop = lambda path: live_site.url(alice.primary_host, path)  # noqa: E731
    back_office_sign_in(page, shop, email=owner_email("alice"))
    page.get_by_role("link", name="Karten nachbestellen").click()
    expect(page.locator(".notice.reorder")).to_contain_text("Nur noch 5 Blankokarten übrig")
    expect(page.locator(f"#print-order-{order.pk}")).to_contain_text("Geliefert")
    shoot(page, "print-order-back-office")
    expect(page.locator("#id_quantity")).to_have_value("50")  # the hint's 5, raised to the least one may ask for
    page.locator("#id_quantity").fill("500")
    page.get_by_role("button", name="Bestellung absenden").click()
    expect(page.locator(".messages")).to_contain_text("Ihre Bestellung über 500 Karten ist bei uns eingegangen")
    request = PrintOrder.objects.get(merchant=alice, status="draft")
    assert (request.quantity, request.requested_by) == (500, owner_email("alice"))
    expect(page.locator(f"#print-order-{request.pk}")).to_contain_text("angefragt, wird geprüft")
    expect(page.locator(".notice.reorder")).to_have_count(0)  # asked for: no more hint
    shoot(page, "print-order-back-office-requested")
    _switch_language(page, "EN")
    expect(page.locator(f"#print-order-{request.pk}")).to_contain_text("asked for, being checked")
    shoot(page, "print-order-back-office-requested")
