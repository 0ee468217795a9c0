"""The merchant's billing page in its back office: its own invoices and cancellations with their
PDFs (nobody else's), the payment method, the licence's history and the contract's dates, in German
and English; and the console's arrears flag, from one rule (billing.selectors.IN_ARREARS)."""
import datetime

import pytest
from django.utils import timezone

from billing.models import Invoice
from billing.selectors import merchant_arrears_cents, merchants_in_arrears
from billing.services import (
    billing_account_payment_method_set,
    invoice_cancel,
    invoice_create_for_month,
)
from billing.tests.conftest import MAY, D, sent
from hq.services import contract_create, terminal_license_change
from tests.support.baseline import PASSWORD, owner_email
from tests.support.clients import operator_sign_in

pytestmark = pytest.mark.django_db


def _owner(host_client, merchant):
    client = host_client(merchant)
    assert client.post("/manage/login/", {"username": owner_email(merchant.schema_name),
                                          "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def alices_invoices(alice, bob, billable):
    billable(alice, terminals=2)
    billable(bob, terminals=3)
    may = sent(invoice_create_for_month(merchant=alice, month=MAY))
    note = sent(invoice_cancel(invoice=may, reason="Falsche Anzahl", actor=None))
    june = sent(invoice_create_for_month(merchant=alice, month=D(2026, 6, 1)))
    bobs = sent(invoice_create_for_month(merchant=bob, month=MAY))
    return {"may": may, "note": note, "june": june, "bobs": bobs}


def test_the_owner_sees_its_invoices_and_cancellations_and_downloads_their_pdfs(
        alice, host_client, alices_invoices):
    owner = _owner(host_client, alice)

    page = owner.get("/manage/billing/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    for name in ("may", "note", "june"):
        invoice = alices_invoices[name]
        assert invoice.number in page
        assert f'href="/manage/billing/invoices/{invoice.pk}/pdf/"' in page
    assert f"Cancellation of {alices_invoices['may'].number}" in page
    assert alices_invoices["bobs"].number not in page
    response = owner.get(f"/manage/billing/invoices/{alices_invoices['note'].pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f'attachment; filename="{alices_invoices["note"].number}.pdf"' == response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    xml = owner.get(f"/manage/billing/invoices/{alices_invoices['june'].pk}/xml/")
    assert xml.status_code == 200 and xml["Content-Type"] == "application/xml"
    assert alices_invoices["june"].number.encode() in xml.content


@pytest.mark.parametrize("other", ["bob", "charlie"])
def test_another_merchants_owner_gets_none_of_alices_invoices(request, host_client, alices_invoices, other):
    client = _owner(host_client, request.getfixturevalue(other))

    page = client.get("/manage/billing/").content.decode()

    for name in ("may", "note", "june"):
        assert alices_invoices[name].number not in page
        assert client.get(f"/manage/billing/invoices/{alices_invoices[name].pk}/pdf/").status_code == 404
        assert client.get(f"/manage/billing/invoices/{alices_invoices[name].pk}/xml/").status_code == 404
    if other == "bob":
        assert alices_invoices["bobs"].number in page
    else:
        assert "No invoices yet." in client.get("/manage/billing/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_signed_out_visitor_is_sent_to_the_sign_in(alice, host_client, alices_invoices):
    client = host_client(alice)

    for path in ("/manage/billing/", f"/manage/billing/invoices/{alices_invoices['may'].pk}/pdf/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/manage/login/")


def test_the_licence_history_and_the_contract_read_in_german(alice, billable, host_client):
    billable(alice, terminals=2)  # from January 2026
    contract_create(merchant=alice, starts_on=D(2025, 1, 1), actor=None)
    terminal_license_change(merchant=alice, count=4, effective_on=D(2027, 1, 10), actor=None)
    alice.refresh_from_db()
    owner = _owner(host_client, alice)

    page = owner.get("/manage/billing/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert '<html lang="de">' in page
    assert "1. Januar 2027" in page and "1. Januar 2026" in page  # the two licence changes' months
    assert "79,60 €" in page and "39,80 €" in page  # their monthly fees, net
    assert "1. Januar 2025" in page  # the contract's start
    assert f"{alice.contract_ends_on.day}. " in page and str(alice.contract_ends_on.year) in page
    english = owner.get("/manage/billing/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "from 1 January 2027" in english and "Minimum term 24 months" in english


def test_the_payment_method_on_file_shows_no_more_than_the_merchant_may_see(alice, billable, host_client):
    billable(alice)
    billing_account_payment_method_set(merchant=alice, payment_method_type="sepa_debit",
                                       payment_method_id="pm_secret_id", actor=None)
    owner = _owner(host_client, alice)

    page = owner.get("/manage/billing/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "SEPA Direct Debit" in page and "pm_secret_id" not in page
    assert 'value="card"' in page and "Switch to a card" in page


# --- arrears ---------------------------------------------------------------------------------------

def _failed(invoice: Invoice, *, given_up: bool) -> Invoice:
    Invoice.objects.filter(pk=invoice.pk).update(
        status="failed", payment_attempts=4 if given_up else 1, last_payment_error="Insufficient funds.",
        next_retry_at=None if given_up else timezone.now() + datetime.timedelta(days=3))
    return Invoice.objects.get(pk=invoice.pk)


def test_only_a_merchant_unpaid_after_the_last_retry_is_in_arrears(alice, bob, charlie, billable):
    for merchant in (alice, bob, charlie):
        billable(merchant)
    alices = _failed(sent(invoice_create_for_month(merchant=alice, month=MAY)), given_up=True)
    _failed(sent(invoice_create_for_month(merchant=bob, month=MAY)), given_up=False)  # a retry is still due
    sent(invoice_create_for_month(merchant=charlie, month=MAY))  # open

    assert merchants_in_arrears() == {alice.pk}
    assert merchant_arrears_cents(merchant=alice) == alices.gross_cents
    assert (merchant_arrears_cents(merchant=bob), merchant_arrears_cents(merchant=charlie)) == (0, 0)

    invoice_cancel(invoice=alices, reason="Kulanz", actor=None)
    assert merchants_in_arrears() == set()


def test_the_console_flags_the_merchant_in_arrears_on_the_list_and_its_page(
        alice, bob, billable, operator_client, host_client):
    for merchant in (alice, bob):
        billable(merchant)
    alices = _failed(sent(invoice_create_for_month(merchant=alice, month=MAY)), given_up=True)
    _failed(sent(invoice_create_for_month(merchant=bob, month=MAY)), given_up=False)
    operator_sign_in(operator_client)

    listing = operator_client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    [alices_row] = [row for row in listing.split("<tr>") if f'href="/merchants/{alice.pk}/"' in row]
    [bobs_row] = [row for row in listing.split("<tr>") if f'href="/merchants/{bob.pk}/"' in row]
    assert "badge-arrears" in alices_row and "badge-arrears" not in bobs_row
    alices_page = operator_client.get(f"/merchants/{alice.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="arrears"' in alices_page and alices.number in alices_page and "Insufficient funds." in alices_page
    assert 'action="/billing/merchants/' in alices_page
    assert 'id="arrears"' not in operator_client.get(f"/merchants/{bob.pk}/").content.decode()
    # The merchant sees it too, on its own page.
    assert 'id="arrears"' in _owner(host_client, alice).get("/manage/billing/").content.decode()

