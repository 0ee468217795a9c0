"""In Chromium: the owner uploads a small file, assigns a column, checks the rows and imports them;
the progress bar runs to "fertig" with a real Celery worker behind it. Screenshots of every step at
360 and 1280 pixels (SCREENSHOT_DIR); the pages fit a 360-pixel phone."""
import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from loyalty.actors import Actor
from loyalty.models import Cardholder, CustomField
from loyalty.services.cards import cards_create_range
from loyalty.tests.imports.conftest import csv_bytes
from tests.support.baseline import PASSWORD, owner_email
from tests.support.browser import screenshot
from tests.support.factories import ProgramFactory


@pytest.fixture
def back_office(committed, celery_worker, live_site, page, alice):
    with schema_context("alice"):
        ProgramFactory(kind="prepaid", name="Guthaben")
        CustomField.objects.create(key="lieblingsbrot", label="Lieblingsbrot", kind="choice",
                                   choices=["Roggen", "Dinkel"])
        cards = cards_create_range(first_serial=900, count=3, actor=Actor(label="test"))
    url = lambda path: live_site.url(alice.primary_host, path)  # noqa: E731
    page.goto(url("/manage/login/"))
    page.locator("#id_username").fill(owner_email("alice"))
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(url("/manage/"))
    rows = [["Vorname", "Nachname", "E-Mail", "Kartennummer", "Guthaben", "Brot"],
            ["Jürgen", "Müßig", "juergen@example.com", cards[0].number, "12,50", "Roggen"],
            ["Änne", "Bäcker", "aenne@example.com", cards[1].number, "5", "dinkel"],
            ["Ben", "Brot", "kaputt", cards[2].number, "", ""]]
    return url, csv_bytes(rows)


def both_widths(page, name: str) -> None:
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} at {width}"
        screenshot(page, f"{name}-{width}", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_owner_uploads_maps_checks_and_imports_and_the_progress_ends_at_done(back_office, page):
    url, content = back_office
    page.goto(url("/manage/cardholders/import/"))
    both_widths(page, "import-1-upload")

    page.locator("#id_file").set_input_files({"name": "kunden.csv", "mimeType": "text/csv", "buffer": content})
    page.get_by_role("button", name="Hochladen und weiter").click()

    expect(page.locator("h1")).to_have_text("Spalten zuordnen")
    expect(page.locator("#id_column_0")).to_have_value("first_name")
    expect(page.locator("#id_column_3")).to_have_value("card")
    expect(page.locator("#id_column_5")).to_have_value("")  # "Brot" is not the field's label
    page.locator("#id_column_5").select_option("custom:lieblingsbrot")
    both_widths(page, "import-2-mapping")
    page.get_by_role("button", name="Zeilen prüfen").click()

    expect(page.locator("h1")).to_have_text("Zeilen prüfen")
    expect(page.locator("#import-summary")).to_contain_text("2 Zeilen werden neue Karteninhaber.")
    expect(page.locator("#import-errors")).to_contain_text("Zeile 4: „kaputt“ ist keine E-Mail-Adresse.")
    expect(page.locator("table.import-rows tbody tr").first).to_contain_text("12,50 €")
    both_widths(page, "import-3-preview")
    page.get_by_role("button", name="2 Karteninhaber importieren").click()

    expect(page.locator("#import-status")).to_have_text("fertig", timeout=30_000)
    expect(page.locator("#import-created")).to_have_text("2")
    expect(page.locator("#import-error-count")).to_have_text("1")
    expect(page.locator("#import-errors")).to_contain_text("Zeile 4: „kaputt“ ist keine E-Mail-Adresse.")
    both_widths(page, "import-4-result")
    with schema_context("alice"):
        people = {(h.first_name, h.last_name, h.custom_data.get("lieblingsbrot")) for h in Cardholder.objects.all()}
    assert people == {("Jürgen", "Müßig", "Roggen"), ("Änne", "Bäcker", "Dinkel")}

    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.locator("#import-status")).to_have_text("done")
    expect(page.locator("#import-errors")).to_contain_text("Row 4: “kaputt” is not an e-mail address.")
    both_widths(page, "import-4-result-en")
