"""In Chromium in German, the operator's console: onboarding submits with the contract start as the
form offers it (no date retyped), and a licence cut asks before it takes effect."""
import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hq.models import Contract, TerminalLicense
from tenants.models import Merchant
from tests.support.browser import console_sign_in, shoot


@pytest.fixture
def console_page(committed, live_site, chromium, settings, mailoutbox):
    """A German Chromium page signed in to the console with password and authenticator code."""
    settings.PUBLIC_PORT = live_site.port
    context = chromium.new_context(locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(15_000)
    url = lambda path: live_site.url(settings.BASE_HOST, path)  # noqa: E731
    console_sign_in(page, url)
    yield page, url
    context.close()


def test_onboarding_in_german_submits_with_the_offered_contract_start(console_page):
    page, url = console_page
    page.goto(url("/merchants/new/"))
    start = page.locator("#id_contract_start")

    # The browser's date picker shows the date the form offers: today, as an ISO value it can read.
    assert start.input_value() == timezone.localdate().isoformat()
    for field, value in {"name": "Bäckerei Probe", "subdomain": "probe", "legal_name": "Bäckerei Probe GmbH",
                         "street": "Ofenweg 2", "postcode": "20095", "city": "Hamburg",
                         "vat_id": "DE 811 907 980", "billing_email": "buero@probe.example",
                         "owner_email": "inhaber@probe.example", "card_quantity": "20"}.items():
        page.locator(f"#id_{field}").fill(value)
    page.get_by_role("button", name="Händler einrichten und Einladung senden").click()

    page.wait_for_url(re.compile(r".*/merchants/\d+/$"), timeout=90_000)  # a new schema is made
    merchant = Merchant.objects.get(schema_name="probe")
    assert page.url == url(f"/merchants/{merchant.pk}/")
    expect(page.locator("main")).to_contain_text("Bäckerei Probe")
    assert Contract.objects.get(merchant=merchant).starts_on == timezone.localdate()
    shoot(page, "console-merchant")
    # Taken last: a full-page screenshot leaves Chromium clicking beside the button on a long page.
    page.goto(url("/merchants/new/"))
    shoot(page, "console-onboarding")


def test_a_licence_cut_in_the_console_asks_first(console_page, alice):
    from hq.services import terminal_license_change

    page, url = console_page
    terminal_license_change(merchant=alice, count=4, effective_on=datetime.date(2026, 1, 1), actor=None)
    page.goto(url(f"/merchants/{alice.pk}/"))
    next_month = (timezone.localdate().replace(day=1) + datetime.timedelta(days=31)).replace(day=1)

    page.locator("#id_count").fill("2")
    page.locator("#id_effective_on").select_option(next_month.isoformat())
    page.get_by_role("button", name="Lizenz ändern").click()

    expect(page.locator(".confirm-question")).to_contain_text("von 4 auf 2 Terminals")
    assert TerminalLicense.objects.filter(merchant=alice).count() == 1
    shoot(page, "console-confirm-cut")
    page.get_by_role("button", name="Lizenz verringern").click()
    page.wait_for_url(url(f"/merchants/{alice.pk}/"))

    expect(page.locator("main")).to_contain_text("Ab 1.")
    assert TerminalLicense.objects.filter(merchant=alice).latest("id").count == 2


def test_the_console_billing_page_lists_the_coming_invoices(console_page, alice):
    from hq.models import CompanyProfile
    from hq.services import terminal_license_change

    page, url = console_page
    CompanyProfile.objects.create(merchant=alice, legal_name="Alice GmbH", street="Weg 1", postcode="20095",
                                  city="Hamburg", billing_email="b@alice.example")
    terminal_license_change(merchant=alice, count=3, effective_on=datetime.date(2026, 1, 1), actor=None)

    page.get_by_role("link", name="Abrechnung").click()

    expect(page.locator("#coming")).to_contain_text("59,70 €")
    shoot(page, "console-billing")
    page.goto(url(f"/merchants/{alice.pk}/"))
    expect(page.locator("#invoices")).to_contain_text("3 Terminals × 19,90 €")
    shoot(page, "console-merchant-alice")


def test_onboarding_in_english_with_a_wrong_vat_id_comes_back_as_typed_with_the_error(console_page):
    page, url = console_page
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": url("/")}])
    page.goto(url("/merchants/new/"))
    for field, value in {"name": "Café Wien", "subdomain": "wien", "legal_name": "Café Wien GmbH",
                         "street": "Ring 1", "postcode": "1010", "city": "Wien", "vat_id": "ATU12345678",
                         "billing_email": "office@wien.example", "owner_email": "chef@wien.example"}.items():
        page.locator(f"#id_{field}").fill(value)
    page.locator("#id_country").select_option("AT")
    page.get_by_role("button", name="Set up merchant and send invitation").click()

    expect(page.locator("main")).to_contain_text("This is not a valid VAT id for Austria")
    assert page.locator("#id_legal_name").input_value() == "Café Wien GmbH"
    assert page.locator("#id_contract_start").input_value() == timezone.localdate().isoformat()
    assert not Merchant.objects.filter(schema_name="wien").exists()
    shoot(page, "console-onboarding-wrong-vat-id")
    page.goto(url("/billing/runs/"))
    shoot(page, "console-billing")
