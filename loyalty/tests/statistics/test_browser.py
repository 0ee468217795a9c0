"""In Chromium: the statistics page of three weeks of generated bookings, with a campaign, in German
and English at 1280 and 360 pixels; nothing wider than the screen (the wide tables scroll inside
their card). Screenshots go to $SCREENSHOT_DIR (when set) to be looked at."""
import datetime

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from loyalty.statistics.rollups import statistics_rebuild
from loyalty.tests.statistics.conftest import FIRST_DAY, world_build
from tests.support.baseline import PASSWORD, owner_email
from tests.support.browser import shoot

LAST_DAY = FIRST_DAY + datetime.timedelta(days=20)


@pytest.fixture
def signed_in(committed, live_site, page, alice):
    with schema_context("alice"):
        world_build(refresh_each_day=False)
        statistics_rebuild()
    url = lambda path: live_site.url(alice.primary_host, path)  # noqa: E731
    page.goto(url("/manage/login/"))
    page.locator("#id_username").fill(owner_email("alice"))
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(url("/manage/"))
    return url


def test_the_statistics_page_in_german_and_english_on_a_phone_and_a_desktop(signed_in, page):
    page.goto(signed_in("/manage/"))
    page.get_by_role("link", name="Statistik").click()
    expect(page.locator("h1")).to_contain_text("Statistik")
    page.goto(signed_in(f"/manage/statistics/?period=custom&date_from={FIRST_DAY}&date_to={LAST_DAY}"
                        f"&campaign_from={FIRST_DAY + datetime.timedelta(days=14)}&campaign_to={LAST_DAY}"
                        "&segment=age_band"))
    expect(page.locator("#statistics-totals")).to_have_text("Summen")
    expect(page.locator("tr[data-figure=revenue_cents] td").first).to_have_text(
        __import__("re").compile(r"^\d{1,3}(\.\d{3})*,\d\d €$"))
    expect(page.locator("#statistics-campaign-table")).to_contain_text("Alle Kunden")
    shoot(page, "statistics")
    page.locator(".language").get_by_role("button", name="EN").click()
    page.wait_for_load_state()
    expect(page.locator("#statistics-totals")).to_have_text("Totals")
    shoot(page, "statistics")
    page.goto(signed_in("/manage/statistics/?period=custom&date_from=2026-03-10&date_to=2026-03-01"))
    expect(page.locator(".error").first).to_contain_text("The end is before the start")
    shoot(page, "statistics-error")
