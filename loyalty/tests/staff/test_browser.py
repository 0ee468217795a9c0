"""In Chromium: the owner invites a cashier from the staff page and sees them in the list; the
owner's first sign-in under the two-factor requirement sets an authenticator up from the QR
page; the staff pages fit a 360-pixel phone, in German and English."""
import base64

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from loyalty.actors import Actor
from loyalty.services.staff import two_factor_requirement_set
from loyalty.tests.staff.conftest import person
from tenants.accounts.models import User
from tests.support.baseline import PASSWORD, owner_email
from tests.support.browser import screenshot
from tests.support.clients import authenticator_code


def _sign_in(page, url, email):
    page.goto(url("/manage/login/"))
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")


def _shoot(page, name):
    screenshot(page, name, full_page=True)


def test_the_owner_invites_a_cashier_and_sees_them_in_the_list(committed, live_site, page, alice, mailoutbox):
    url = lambda path: live_site.url(alice.primary_host, path)  # noqa: E731
    _sign_in(page, url, owner_email("alice"))
    page.wait_for_url(url("/manage/"))

    page.goto(url("/manage/staff/"))
    page.locator("#id_full_name").fill("Kai Kasse")
    page.locator("#id_email").fill("kai@alice.example")
    page.locator("#id_role").select_option("cashier")
    page.get_by_role("button", name="Einladung senden").or_(page.get_by_role("button", name="Send invitation")).click()

    page.wait_for_url(url("/manage/staff/"))
    row = page.locator("table.staff tr", has_text="kai@alice.example")
    expect(row).to_contain_text("Kai Kasse")
    expect(row.locator(".badge").first).to_be_visible()
    with schema_context("alice"):
        assert not User.objects.get(email="kai@alice.example").has_usable_password()
    assert [mail.to for mail in mailoutbox] == [["kai@alice.example"]]


def test_a_first_sign_in_under_the_requirement_sets_the_authenticator_up_from_the_qr_page(
        committed, live_site, page, alice):
    with schema_context("alice"):
        two_factor_requirement_set(required=True, actor=Actor(user=User.objects.get(email=owner_email("alice"))))
    url = lambda path: live_site.url(alice.primary_host, path)  # noqa: E731

    _sign_in(page, url, owner_email("alice"))
    page.wait_for_url("**/manage/login/code/**")
    expect(page.locator(".qr-code svg")).to_be_visible()
    secret = page.locator("code.secret").inner_text()
    page.goto(url("/manage/"))  # nothing of the back office between the two steps
    page.wait_for_url("**/manage/login/code/**")
    page.locator("#id_code").fill(authenticator_code(base64.b32decode(secret).hex()))
    page.locator("#id_code").press("Enter")

    page.wait_for_url(url("/manage/"))
    expect(page.locator("h1")).to_be_visible()


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("width", [1280, 360])
def test_the_staff_pages_fit_the_screen(committed, live_site, chromium, alice, language, width):
    colleague = person(alice, "leitung@alice.example", "manager", full_name="Mia Leitung")
    person(alice, "kasse@alice.example", "cashier", full_name="Kai Kasse")
    url = lambda path: live_site.url(alice.primary_host, path)  # noqa: E731
    context = chromium.new_context(locale={"de": "de-DE", "en": "en-GB"}[language],
                                   viewport={"width": width, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _sign_in(page, url, owner_email("alice"))
        page.wait_for_url(url("/manage/"))
        for name, path in [("staff", "/manage/staff/"), ("person", f"/manage/staff/{colleague.pk}/"),
                           ("deactivate", f"/manage/staff/{colleague.pk}/deactivate/"),
                           ("role", "/manage/staff/roles/new/"), ("two-factor-setup", "/manage/account/two-factor/")]:
            page.goto(url(path))
            assert page.evaluate("document.documentElement.scrollWidth") <= width, name
            _shoot(page, f"{name}-{language}-{width}")
        page.get_by_role("button", name={"de": "Abmelden", "en": "Sign out"}[language]).click()
        with schema_context("alice"):
            two_factor_requirement_set(required=True, actor=Actor(user=User.objects.get(email=owner_email("alice"))))
        _sign_in(page, url, colleague.email)
        page.wait_for_url("**/manage/login/code/**")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "code step"
        _shoot(page, f"code-step-{language}-{width}")
    finally:
        context.close()
