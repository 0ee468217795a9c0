"""In Chromium: the owner's billing page with a SEPA mandate on file, invoices paid, in arrears and
cancelled, the licence's history and the contract, in German and English, at 1280 and 360 pixels,
with nothing wider than the screen. Screenshots go to $SCREENSHOT_DIR (when set) to be looked at."""
import pytest
from playwright.sync_api import expect

from billing.models import Invoice
from billing.services import (
    billing_run,
    invoice_cancel,
    payment_method_checkout_start,
    stripe_event_receive,
)
from billing.tests.conftest import MAY, D
from hq.services import contract_create, terminal_license_change
from tests.support.baseline import PASSWORD, owner_email
from tests.support.browser import screenshot, shoot
from tests.support.concurrency import wait_until
from tests.support.fake_stripe import webhook_event, webhook_signature

JUNE = D(2026, 6, 1)


def _receive(payload: bytes) -> None:
    stripe_event_receive(payload=payload, signature=webhook_signature(payload))


@pytest.fixture
def billed(committed, celery_worker, alice, billable, fake_stripe, mailoutbox):
    billable(alice, terminals=2, legal_name="Bäckerei Alice GmbH")
    contract_create(merchant=alice, starts_on=D(2025, 1, 1), actor=None)
    terminal_license_change(merchant=alice, count=4, effective_on=D(2027, 1, 10), actor=None, reason="Zweite Filiale")
    payment_method_checkout_start(merchant=alice, payment_method_type="sepa_debit", success_url="http://x/",
                                  cancel_url="http://x/", locale="de", actor="test")
    [session] = fake_stripe.sessions.values()
    _receive(fake_stripe.complete_checkout(session["id"], last4="3000"))
    invoices = billing_run(month=MAY) + billing_run(month=JUNE) + billing_run(month=D(2026, 7, 1))
    assert wait_until(lambda: Invoice.objects.exclude(stripe_payment_intent_id="").count() == 3, timeout=60)
    may, june, july = (Invoice.objects.get(pk=invoice.pk) for invoice in invoices)
    _receive(webhook_event("payment_intent.succeeded", fake_stripe.intents[may.stripe_payment_intent_id],
                           event_id="evt_may_paid"))
    Invoice.objects.filter(pk=june.pk).update(status="failed", payment_attempts=4, next_retry_at=None,
                                              last_payment_error="Das Konto ist nicht gedeckt.")
    invoice_cancel(invoice=july, reason="Doppelt berechnet", actor=None)
    assert wait_until(lambda: Invoice.objects.filter(kind="cancellation").exclude(pdf="").exists(), timeout=60)
    return alice


def test_the_owners_billing_page_in_both_languages(billed, live_site, page):
    url = lambda path: live_site.url(billed.primary_host, path)  # noqa: E731
    page.goto(url("/manage/login/"))
    page.get_by_label("E-Mail-Adresse").fill(owner_email("alice"))
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(url("/manage/"))

    page.get_by_role("link", name="Abrechnung").click()
    page.wait_for_url(url("/manage/billing/"))
    expect(page.locator("#arrears")).to_be_visible()
    expect(page.locator("#payment-method-on-file")).to_contain_text("3000")
    expect(page.locator("#licence")).to_contain_text("1. Januar 2027")
    shoot(page, "billing")

    page.locator(".language").get_by_role("button", name="EN").click()
    page.wait_for_load_state()
    expect(page.locator("#licence")).to_contain_text("from 1 January 2027")
    shoot(page, "billing")
    # The PDF link downloads the merchant's own invoice.
    with page.expect_download() as download:
        page.locator("#invoices a[download]").first.click()
    assert download.value.suggested_filename.endswith(".pdf")


def test_the_console_flags_the_merchant_in_arrears_and_shows_its_mandate(billed, live_site, page, settings):
    from tests.support.baseline import OPERATOR_EMAIL, OPERATOR_TOTP_KEY
    from tests.support.clients import authenticator_code

    url = lambda path: live_site.url(settings.BASE_HOST, path)  # noqa: E731
    page.goto(url("/login/"))
    page.locator("#id_username").fill(OPERATOR_EMAIL)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.locator("#id_code").fill(authenticator_code(OPERATOR_TOTP_KEY))
    page.locator("#id_code").press("Enter")
    page.wait_for_url(url("/"))

    expect(page.get_by_role("row", name=billed.name)).to_contain_text("Zahlungsrückstand")
    screenshot(page, "console-list-de-1280", full_page=True)  # the console is for desktops
    page.get_by_role("link", name=billed.name).click()
    expect(page.locator("#payment-method")).to_contain_text("STAMMKUNDE-MANDAT-0001")
    expect(page.locator("#arrears")).to_be_visible()
    screenshot(page, "console-merchant-de-1280", full_page=True)
