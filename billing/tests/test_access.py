"""Billing is the operator's: merchant hosts do not serve it, and only signed-in staff get PDFs."""
import pytest
from django.template.loader import render_to_string
from django.urls import reverse, set_urlconf

from billing.models import Invoice, StripeEvent
from billing.selectors import invoices_failed, invoices_for_merchant
from billing.services import invoice_cancel, invoice_create_for_month, invoice_pdf_render
from billing.tests.conftest import MAY, D, sent
from tenants.accounts.models import User
from tests.support.baseline import PASSWORD, owner_email
from tests.support.clients import operator_sign_in
from tests.support.fake_stripe import webhook_event, webhook_signature

pytestmark = pytest.mark.django_db


def _url(invoice: Invoice, document: str = "pdf") -> str:
    return reverse(f"billing:invoice-{document}", args=[invoice.pk], urlconf="config.urls_public")


DOCUMENTS = pytest.mark.parametrize("document", ["pdf", "xml"])


@pytest.fixture
def alices_invoice(alice, billable):
    billable(alice, terminals=5, legal_name="Bäckerei Alice GmbH")
    return invoice_pdf_render(invoice=invoice_create_for_month(merchant=alice, month=MAY))


def test_the_operator_signed_in_with_both_factors_gets_the_pdf(operator_client, alices_invoice):
    operator_sign_in(operator_client)

    response = operator_client.get(_url(alices_invoice))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{alices_invoice.number}.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_operator_gets_the_e_invoice_alone_as_embedded_in_the_pdf(operator_client, alices_invoice):
    import facturx

    operator_sign_in(operator_client)

    response = operator_client.get(_url(alices_invoice, "xml"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert f'attachment; filename="{alices_invoice.number}.xml"' == response["Content-Disposition"]
    _filename, embedded = facturx.get_xml_from_pdf(alices_invoice.pdf.read(), check_xsd=False)
    assert response.content == embedded
    assert b"<ram:Name>B\xc3\xa4ckerei Alice GmbH</ram:Name>" in response.content


@DOCUMENTS
def test_an_invoice_without_a_pdf_yet_is_404_for_the_operator(operator_client, alice, billable, document):
    billable(alice)
    invoice = invoice_create_for_month(merchant=alice, month=MAY)
    operator_sign_in(operator_client)

    assert operator_client.get(_url(invoice, document)).status_code == 404


@DOCUMENTS
def test_an_anonymous_visitor_is_sent_to_the_sign_in(operator_client, alices_invoice, document):
    response = operator_client.get(_url(alices_invoice, document))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@DOCUMENTS
def test_a_public_user_who_is_not_staff_is_refused(operator_client, alices_invoice, document):
    operator_client.force_login(User.objects.create_user("someone@stammkunde.localhost", PASSWORD))

    assert operator_client.get(_url(alices_invoice, document)).status_code == 403


@DOCUMENTS
def test_staff_without_the_second_factor_is_refused(operator_client, alices_invoice, document):
    operator_client.force_login(User.objects.create_user("half@stammkunde.localhost", PASSWORD, is_staff=True))

    assert operator_client.get(_url(alices_invoice, document)).status_code == 403


@DOCUMENTS
@pytest.mark.parametrize("merchant_name", ["alice", "bob", "charlie"])
def test_merchant_hosts_do_not_serve_billing(request, merchant_name, host_client, alices_invoice, fake_stripe,
                                             document):
    merchant = request.getfixturevalue(merchant_name)
    client = host_client(merchant)
    payload = webhook_event("payment_intent.succeeded", {"id": "pi", "metadata": {"invoice_number": alices_invoice.number}})

    assert client.get(_url(alices_invoice, document)).status_code == 404
    assert client.post("/billing/stripe/webhook/", payload, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=webhook_signature(payload)).status_code == 404
    assert not StripeEvent.objects.exists()
    assert Invoice.objects.get(pk=alices_invoice.pk).status == "draft"


@DOCUMENTS
def test_a_merchant_owner_signed_in_on_their_host_cannot_fetch_their_invoice_from_the_console(
        alice, host_client, operator_client, alices_invoice, document):
    client = host_client(alice)
    assert client.post("/manage/login/", {"username": owner_email("alice"), "password": PASSWORD}).status_code == 302

    assert client.get(_url(alices_invoice, document)).status_code == 404
    # Nor do the owner's credentials open the operator's side.
    operator_client.post("/login/", {"username": owner_email("alice"), "password": PASSWORD})
    assert operator_client.get(_url(alices_invoice, document)).status_code == 302


def test_a_merchant_sees_only_its_own_invoices(alice, bob, charlie, billable):
    for merchant in (alice, bob):
        billable(merchant)
    alice_may = invoice_create_for_month(merchant=alice, month=MAY)
    alice_june = invoice_create_for_month(merchant=alice, month=D(2026, 6, 1))
    bob_may = invoice_create_for_month(merchant=bob, month=MAY)
    note = invoice_cancel(invoice=sent(alice_may), reason="wrong", actor=None)

    assert list(invoices_for_merchant(merchant=alice)) == [note, alice_june, alice_may]
    assert list(invoices_for_merchant(merchant=bob)) == [bob_may]
    assert list(invoices_for_merchant(merchant=charlie)) == []


def test_failed_invoices_are_listed_next_retry_first_and_given_up_ones_last(alice, bob, charlie, billable):
    invoices = []
    for merchant in (alice, bob, charlie):
        billable(merchant)
        invoices.append(invoice_create_for_month(merchant=merchant, month=MAY))
    alice_may, bob_may, charlie_may = invoices
    Invoice.objects.filter(pk=alice_may.pk).update(status="failed", next_retry_at=None, payment_attempts=4)
    Invoice.objects.filter(pk=bob_may.pk).update(status="failed", next_retry_at="2026-06-10T04:00:00Z")
    Invoice.objects.filter(pk=charlie_may.pk).update(status="failed", next_retry_at="2026-06-05T04:00:00Z")

    assert list(invoices_failed()) == [charlie_may, bob_may, alice_may]


def test_invoice_table_shows_number_month_gross_failed_status_with_retry_and_document_links(alice, alices_invoice):
    Invoice.objects.filter(pk=alices_invoice.pk).update(
        status="failed", last_payment_error="Your card was declined.", next_retry_at="2026-06-04T02:00:00Z")
    set_urlconf("config.urls_public")  # as on the apex host, where the console includes it
    try:
        html = render_to_string("billing/includes/invoice_table.html",
                                {"invoices": invoices_for_merchant(merchant=alice)})
    finally:
        set_urlconf(None)

    assert alices_invoice.number in html
    assert "118,41 €" in html
    assert "Your card was declined." in html
    assert "04.06.2026" in html  # the next retry, in Berlin time
    assert f'href="{_url(alices_invoice)}"' in html
    assert f'href="{_url(alices_invoice, "xml")}"' in html
