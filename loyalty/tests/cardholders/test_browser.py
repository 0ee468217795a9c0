"""In Chromium on a 360-pixel phone: the owner searches a cardholder by part of the surname and
opens the person's page. Every cardholder page fits 360 and 1280 pixels in German and English;
screenshots go to $SCREENSHOT_DIR (when set) to be looked at."""
import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from loyalty.actors import Actor
from loyalty.models import Card, Consent, CustomField, Program, Reward
from loyalty.services import bookings
from loyalty.services.cardholders import consent_record
from loyalty.tests.cardholders.conftest import register
from tests.support.baseline import owner_email
from tests.support.browser import back_office_sign_in, screenshot
from tests.support.factories import CardFactory

SYSTEM = Actor.system("test")


@pytest.fixture
def shop(committed, live_site, page, alice):
    with schema_context("alice"):
        points = Program.objects.create(kind="points", name="Bonuspunkte", expiry="rolling_months", expiry_months=12)
        prepaid = Program.objects.create(kind="prepaid", name="Guthaben")
        Program.objects.create(kind="voucher", name="Geschenkgutschein", voucher_value_cents=2_500)
        Reward.objects.create(program=points, name="Kaffee", points=20)
        CustomField.objects.create(key="lieblingsbrot", label="Lieblingsbrot", kind="choice",
                                   choices=["Roggen", "Dinkel", "Weizen"], at_registration=True, position=1)
        CustomField.objects.create(key="stammkunde-seit", label="Stammkunde seit", kind="date", position=2)
        CustomField.objects.create(key="glutenfrei", label="Interesse an glutenfreien Angeboten", kind="checkbox",
                                   position=3)
        card = register(first_name="Jürgen", last_name="Müller-Lüdenscheidt", email="juergen.mueller@example.com",
                        phone="0171 2345678", postcode="12345",
                        custom_data={"lieblingsbrot": "Roggen", "stammkunde-seit": "2012-03-15", "glutenfrei": True})
        for index in range(3):
            bookings.booking_earn(card_number=card.number, program=points, purchase_amount_cents=1_250 + index,
                                  idempotency_key=f"b-{index}", actor=SYSTEM)
        bookings.booking_top_up(card_number=card.number, program=prepaid, amount_cents=5_000, idempotency_key="t",
                                actor=SYSTEM)
        consent_record(cardholder=card.cardholder, purpose=Consent.Purpose.TERMS, granted=True, source="till",
                       actor=SYSTEM, wording_version="2026-01")
        consent_record(cardholder=card.cardholder, purpose=Consent.Purpose.NEWSLETTER, granted=False,
                       source="portal", actor=SYSTEM, wording_version="2026-01")
        for first, last in (("Sophie", "Schäfer"), ("José", "García"), ("Marie", "Weber")):
            register(first_name=first, last_name=last, email=f"{first.lower()}@example.com")
        blank = CardFactory(status=Card.Status.UNISSUED)
    url = lambda path: live_site.url(alice.primary_host, path)  # noqa: E731
    back_office_sign_in(page, url, email=owner_email("alice"))
    return {"url": url, "card": card, "points": points, "prepaid": prepaid, "blank": blank}


def fits(page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_on_a_phone_the_owner_finds_a_person_by_part_of_the_surname_and_opens_them(shop, page):
    url = shop["url"]
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(url("/manage/cardholders/"))
    assert fits(page, 360)

    page.locator("#id_q").fill("mull")
    page.locator("#id_q").press("Enter")

    rows = page.locator("#cardholders tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Jürgen Müller-Lüdenscheidt")
    expect(rows.first).to_contain_text(shop["card"].number)
    assert fits(page, 360)
    screenshot(page, "search-de-360", full_page=True)
    rows.first.get_by_role("link", name="Jürgen Müller-Lüdenscheidt").click()

    page.wait_for_url(url(f"/manage/cardholders/{shop['card'].cardholder_id}/"))
    expect(page.locator("#cardholder-name")).to_have_text("Jürgen Müller-Lüdenscheidt")
    expect(page.locator("#balances")).to_contain_text("50,00 €")
    expect(page.locator("#own-fields")).to_contain_text("Roggen")
    expect(page.locator("#consents-now")).to_contain_text("widerrufen")
    assert fits(page, 360)


def test_every_cardholder_page_fits_a_phone_and_a_desktop_in_both_languages(shop, page):
    url, card = shop["url"], shop["card"]
    base = f"/manage/cardholders/{card.cardholder_id}"
    with schema_context("alice"):
        field_pk = CustomField.objects.get(key="lieblingsbrot").pk
    pages = {"list": "/manage/cardholders/?q=&visit=30", "detail": f"{base}/", "edit": f"{base}/edit/",
             "consent": f"{base}/consents/", "block": f"{base}/cards/{card.number}/block/",
             "replace": f"{base}/cards/{card.number}/replace/",
             "adjust": f"{base}/programs/{shop['prepaid'].pk}/adjust/", "fields": "/manage/cardholders/fields/",
             "field": f"/manage/cardholders/fields/{field_pk}/"}
    for language in ("de", "en"):
        if language == "en":
            page.locator(".language").get_by_role("button", name="EN").click()
            page.wait_for_load_state()
        for name, path in pages.items():
            page.goto(url(path))
            for width in (1280, 360):
                page.set_viewport_size({"width": width, "height": 900})
                assert fits(page, width), f"{name} in {language} at {width} px"
                screenshot(page, f"{name}-{language}-{width}", full_page=True)
        # The replacement's question, with what moves over.
        page.goto(url(pages["replace"]))
        page.locator("#id_new_card_number").fill(shop["blank"].number)
        page.locator("#id_new_card_number").press("Enter")
        expect(page.locator("#replace-moving")).to_contain_text("Guthaben")
        assert fits(page, 360)
        screenshot(page, f"replace-question-{language}-360", full_page=True)
