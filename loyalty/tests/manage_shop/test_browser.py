"""In Chromium: the owner's terminals, settings and API-key pages and the portal's legal pages, in
German and English, at 1280 and 360 pixels, with nothing wider than the screen. Screenshots go to
$SCREENSHOT_DIR (when set) to be looked at."""
import datetime
import io

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from PIL import Image
from playwright.sync_api import expect

from loyalty.actors import Actor
from loyalty.models import ApiKey, ShopSettings, Terminal
from loyalty.services.terminals import terminal_create
from tenants.models import Merchant
from tenants.routing import merchants_changed
from tests.support.baseline import PASSWORD, owner_email
from tests.support.browser import shoot


@pytest.fixture
def shop(committed, live_site, page, alice):
    Merchant.objects.filter(pk=alice.pk).update(terminal_limit=2, terminal_limit_next=3,
                                                terminal_limit_next_from=datetime.date(2027, 1, 1))
    merchants_changed()
    with schema_context("alice"):
        counter, _ = terminal_create(name="Theke vorne (Kasse 1, neben der Kaffeemaschine)", actor=Actor(label="test"))
        Terminal.objects.filter(pk=counter.pk).update(last_seen_at=timezone.now() - datetime.timedelta(minutes=5))
        back, _ = terminal_create(name="Backstube", actor=Actor(label="test"))
        Terminal.objects.filter(pk=back.pk).update(last_seen_at=timezone.now() - datetime.timedelta(days=2))
    url = lambda path: live_site.url(alice.primary_host, path)  # noqa: E731
    page.goto(url("/manage/login/"))
    page.get_by_label("E-Mail-Adresse").fill(owner_email("alice"))
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(url("/manage/"))
    yield url
    Merchant.objects.filter(pk=alice.pk).update(terminal_limit_next=None, terminal_limit_next_from=None)
    merchants_changed()


def switch_language(page, code):
    page.locator(".language").get_by_role("button", name=code.upper()).click()
    page.wait_for_load_state()


def logo_file(tmp_path) -> str:
    path = tmp_path / "logo.png"
    image = Image.new("RGB", (900, 300), "#1b4d3e")
    image.paste(Image.new("RGB", (300, 300), "#f4c430"), (0, 0))
    image.save(path, format="PNG")
    return str(path)


def test_the_owner_runs_terminals_settings_and_api_keys_in_both_languages(shop, page, tmp_path):
    url = shop
    # Terminals: two of two seats in use, so no pairing form; the coming licence change.
    page.goto(url("/manage/terminals/"))
    expect(page.locator("#licence-next")).to_have_text("Ab Januar 2027: 3 Terminals")
    expect(page.locator("#terminals")).to_contain_text("vor 5 Min.")
    expect(page.locator("#licence-full")).to_be_visible()
    assert page.locator("#id_terminal_name").count() == 0
    shoot(page, "terminals")
    page.locator(".row", has_text="Backstube").get_by_role("link", name="Widerrufen").click()
    expect(page.locator("h1")).to_have_text("„Backstube“ widerrufen?")
    shoot(page, "terminal-revoke")
    page.get_by_role("button", name="Kasse widerrufen").click()
    expect(page.locator("#id_terminal_name")).to_be_visible()  # a seat is free again

    # Settings: the Impressum warning, a refused colour, then the company data and a logo.
    page.goto(url("/manage/settings/"))
    expect(page.locator("#imprint-incomplete")).to_contain_text("Ihr Impressum ist unvollständig.")
    page.locator("#id_primary_colour").fill("#ffd700")
    page.locator("#id_legal_name").fill("Alice Backwaren GmbH")
    page.get_by_role("button", name="Einstellungen speichern").click()
    expect(page.locator("#primary_colour-error")).to_contain_text("Kontrast von 1,4:1")
    expect(page.locator("#id_legal_name")).to_have_value("Alice Backwaren GmbH")  # kept
    shoot(page, "settings-refused")
    page.locator("#id_primary_colour").fill("#1b4d3e")
    for field, value in {"represented_by": "Alice Beispiel", "street": "Hauptstraße 1", "postal_code": "10115",
                         "city": "Berlin", "contact_email": "hallo@alice.example", "contact_phone": "030 123456",
                         "vat_id": "DE123456789", "register_entry": "Amtsgericht Berlin HRB 12345",
                         "welcome_text": "Schön, dass Sie da sind! Ab 10 Stempeln gibt es einen Kaffee."}.items():
        page.locator(f"#id_{field}").fill(value)
    page.get_by_role("button", name="Einstellungen speichern").click()
    expect(page.locator(".messages")).to_contain_text("Die Einstellungen sind gespeichert.")
    page.locator("#id_logo").set_input_files(logo_file(tmp_path))
    page.get_by_role("button", name="Logo hochladen").click()
    expect(page.locator("#current-logo")).to_be_visible()
    assert page.evaluate("document.getElementById('current-logo').naturalWidth") == 512
    expect(page.locator("#imprint-incomplete")).to_have_count(0)
    shoot(page, "settings")
    with schema_context("alice"):
        assert ShopSettings.objects.get().primary_colour == "#1b4d3e"

    # API keys: one for a cash register, shown once.
    page.goto(url("/manage/api-keys/"))
    page.get_by_label("Name").fill("Kasse Filiale 2")
    page.get_by_label("Karten und Guthaben lesen").check()
    page.get_by_role("button", name="API-Schlüssel anlegen").click()
    token = page.locator("#api-key").inner_text()
    assert token.startswith("sk_")
    shoot(page, "api-key-created")
    page.get_by_role("link", name="Zurück zu den API-Schlüsseln").click()
    assert token not in page.content()
    shoot(page, "api-keys")
    with schema_context("alice"):
        assert ApiKey.objects.get().scope == "read"

    # The same pages in English.
    switch_language(page, "en")
    for path, name in (("/manage/terminals/", "terminals"), ("/manage/settings/", "settings"),
                       ("/manage/api-keys/", "api-keys")):
        page.goto(url(path))
        expect(page.locator("html")).to_have_attribute("lang", "en")
        shoot(page, name)
    page.goto(url("/manage/terminals/"))
    expect(page.locator("#licence-next")).to_have_text("From January 2027: 3 terminals")


def test_the_portal_shows_the_branding_and_its_legal_pages_in_both_languages(committed, live_site, page, alice, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from loyalty.services.shop import shop_logo_replace, shop_settings_update

    with schema_context("alice"):
        shop_settings_update(actor=Actor(label="test"), legal_name="Alice Backwaren GmbH",
                             represented_by="Alice Beispiel (Geschäftsführerin)", street="Hauptstraße 1",
                             postal_code="10115", city="Berlin", contact_email="hallo@alice.example",
                             contact_phone="030 123456", vat_id="DE123456789",
                             register_entry="Amtsgericht Berlin-Charlottenburg, HRB 12345",
                             privacy_contact="datenschutz@alice.example", primary_colour="#1b4d3e",
                             background_colour="#fdf6e3", welcome_text="Schön, dass Sie da sind!")
        logo = io.BytesIO()
        Image.open(logo_file(tmp_path)).save(logo, format="PNG")
        shop_logo_replace(upload=SimpleUploadedFile("logo.png", logo.getvalue()), actor=Actor(label="test"))
    url = lambda path: live_site.url(alice.primary_host, path)  # noqa: E731

    page.goto(url("/"))
    expect(page.locator(".portal-logo")).to_be_visible()
    expect(page.locator(".welcome")).to_have_text("Schön, dass Sie da sind!")
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).backgroundColor") == "rgb(27, 77, 62)"
    shoot(page, "portal-landing")
    page.locator(".portal-footer").get_by_role("link", name="Impressum").click()
    expect(page.locator("h1")).to_have_text("Impressum")
    expect(page.locator("#imprint")).to_contain_text("Angaben gemäß § 5 DDG")
    shoot(page, "portal-impressum")
    page.locator(".portal-footer").get_by_role("link", name="Datenschutzerklärung").click()
    expect(page.locator("#privacy")).to_contain_text("Verantwortlich für Ihre Daten")
    shoot(page, "portal-datenschutz")

    switch_language(page, "en")
    expect(page.locator("h1")).to_have_text("Privacy notice")
    shoot(page, "portal-datenschutz")
    page.goto(url("/impressum/"))
    shoot(page, "portal-impressum")
    page.goto(url("/"))
    shoot(page, "portal-landing")
