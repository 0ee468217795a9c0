"""In Chromium: a new merchant's owner picks a starter template and sees the program in the list;
the live example beside the program's form follows the rate as it is typed; the pages fit a
360-pixel phone."""
import pytest
from django.utils import translation
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from loyalty.models import Program, Reward
from loyalty.services.programs import starter_template
from tests.support.baseline import PASSWORD, owner_email


@pytest.fixture
def back_office(committed, live_site, page, alice):
    """alice's owner, signed in to the back office in Chromium (German)."""
    url = lambda path: live_site.url(alice.primary_host, path)  # noqa: E731
    page.goto(url("/manage/programs/"))
    page.get_by_label("E-Mail-Adresse").fill(owner_email("alice"))
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(url("/manage/programs/"))
    return url


def fits(page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_owner_picks_a_template_and_the_live_example_follows_the_rate(back_office, page):
    with translation.override("de"):
        name = str(starter_template("points-coffee").name)
        reward = translation.gettext("A coffee")

    page.locator("[data-template=points-coffee] button").click()

    page.wait_for_url(back_office("/manage/programs/"))
    expect(page.locator("#programs .program h2")).to_have_text([name])
    expect(page.locator("#programs .program .summary li").last).to_have_text(f"50 Punkte = {reward}")
    with schema_context("alice"):
        program = Program.objects.get()
        assert (program.kind, program.points_per_euro, Reward.objects.get().points) == ("points", 1, 50)

    page.locator("#programs .program h2 a").click()
    page.wait_for_url(back_office(f"/manage/programs/{program.pk}/"))
    example = page.locator("#program-example li")
    expect(example).to_have_text(["3,49 € → 3 Punkte", "12,50 € → 12 Punkte", "100,00 € → 100 Punkte"])

    page.locator("#id_points_per_euro").fill("2.5")
    expect(example).to_have_text(["3,49 € → 8 Punkte", "12,50 € → 31 Punkte", "100,00 € → 250 Punkte"])
    page.locator("#id_rounding").select_option("up")
    expect(example.nth(1)).to_have_text("12,50 € → 32 Punkte")
    with schema_context("alice"):
        assert Program.objects.get().points_per_euro == 1  # the example saves nothing

    # The months of a rolling expiry show with that expiry only.
    months = page.locator("#id_expiry_months")
    expect(months).to_be_hidden()
    page.locator("#id_expiry").select_option("rolling_months")
    expect(months).to_be_visible()
    expect(page.locator("#id_expiry_years")).to_be_hidden()


@pytest.mark.parametrize("path", ["/manage/programs/", "/manage/programs/new/points/",
                                  "/manage/programs/new/voucher/", "/manage/programs/bonus-actions/new/"])
def test_the_program_pages_fit_a_360_pixel_phone(back_office, page, path):
    page.set_viewport_size({"width": 360, "height": 740})

    page.goto(back_office(path))

    assert fits(page, 360)
