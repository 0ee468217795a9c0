"""In Chromium: the owner asks for an export of everything, watches it being built by the real
worker, and downloads the ZIP; the page in German and English at 1280 and 360 pixels, nothing wider
than the screen. Screenshots go to $SCREENSHOT_DIR (when set) to be looked at."""
import io
import json
import zipfile
from pathlib import Path

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from loyalty.models import DataExport
from loyalty.tests.exports.support import shop_with_everything
from tests.support.baseline import PASSWORD, owner_email
from tests.support.browser import shoot


@pytest.fixture
def signed_in(committed, celery_worker, live_site, page, alice):
    shop_with_everything("alice", "Alice")
    url = lambda path: live_site.url(alice.primary_host, path)  # noqa: E731
    page.goto(url("/manage/login/"))
    page.locator("#id_username").fill(owner_email("alice"))
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(url("/manage/"))
    return url


def test_the_owner_exports_everything_and_downloads_the_zip(signed_in, page):
    page.goto(signed_in("/manage/export/"))
    expect(page.locator("h1")).to_have_text("Alles exportieren")
    shoot(page, "export-empty")

    page.locator("button[name=export]").click()
    row = page.locator("#exports li").first
    expect(row).to_have_attribute("data-state", "ready", timeout=90_000)  # the page reloads itself meanwhile
    link = row.locator("a.export-download")
    expect(link).to_contain_text("ZIP herunterladen")
    shoot(page, "export-ready")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value

    archive = zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes()))
    manifest = json.loads(archive.read("manifest.json"))
    assert download.suggested_filename.startswith("alice-export-")
    assert manifest["tables"]["cardholders"] == 2 and manifest["language"] == "de"
    with schema_context("alice"):
        assert DataExport.objects.get().status == "done"

    page.locator(".language").get_by_role("button", name="EN").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Export everything")
    expect(page.locator("a.export-download")).to_contain_text("Download ZIP")
    shoot(page, "export-ready")


def test_the_page_shows_the_progress_of_an_export_being_built(signed_in, page, alice):
    from tenants.accounts.models import User

    with schema_context("alice"):
        DataExport.objects.create(created_by=User.objects.get(email=owner_email("alice")), status="running",
                                  tables_total=20, tables_done=8)
    page.goto(signed_in("/manage/export/"))

    expect(page.locator("progress")).to_have_attribute("value", "8")
    expect(page.locator("#exports li").first).to_contain_text("8 von 20 Teilen fertig")
    shoot(page, "export-running")
    page.locator(".language").get_by_role("button", name="EN").click()
    page.wait_for_load_state()
    expect(page.locator("#exports li").first).to_contain_text("8 of 20 parts done")
    shoot(page, "export-running")
