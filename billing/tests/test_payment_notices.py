"""Each failed collection tells the merchant, in German: the next try's date, or that none is left,
and where to change the payment method."""
import pytest
from django.utils import formats, timezone, translation

from billing import tasks
from billing.models import Invoice
from billing.services import payments_retry_due

pytestmark = pytest.mark.django_db


def test_a_failed_collection_emails_the_merchant_the_next_try_and_the_billing_page(
        alice, open_invoice, fake_stripe, mailoutbox, django_capture_on_commit_callbacks):
    invoice = open_invoice(alice, method="card")
    mailoutbox.clear()
    fake_stripe.fail_next_confirmation("Your card was declined.")

    with django_capture_on_commit_callbacks(execute=True):
        tasks.invoice_payment_collect(invoice.pk)

    invoice.refresh_from_db()
    [notice] = mailoutbox
    assert notice.to == ["billing@alice.example"]
    assert invoice.number in notice.subject
    with translation.override("de"):
        next_try = formats.date_format(timezone.localtime(invoice.next_retry_at), "DATE_FORMAT")
    assert next_try in notice.body  # e.g. "5. Dezember 2026"
    assert "118,41 €" in notice.body and "Your card was declined." in notice.body
    assert "http://alice.stammkunde.localhost/manage/billing/" in notice.body


def test_the_last_failure_says_no_further_try_is_made(
        alice, open_invoice, fake_stripe, mailoutbox, django_capture_on_commit_callbacks, settings):
    invoice = open_invoice(alice, method="card")
    for _ in range(settings.BILLING_PAYMENT_MAX_RETRIES + 1):
        fake_stripe.fail_next_confirmation("Insufficient funds.")
    tasks.invoice_payment_collect(invoice.pk)
    for _retry in range(settings.BILLING_PAYMENT_MAX_RETRIES - 1):
        payments_retry_due(now=Invoice.objects.get(pk=invoice.pk).next_retry_at)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        payments_retry_due(now=Invoice.objects.get(pk=invoice.pk).next_retry_at)

    assert Invoice.objects.get(pk=invoice.pk).next_retry_at is None
    to_merchant, to_operator = mailoutbox
    assert to_merchant.to == ["billing@alice.example"] and to_operator.to == [settings.OPERATOR_EMAIL]
    assert "http://alice.stammkunde.localhost/manage/billing/" in to_merchant.body


def test_a_success_sends_no_notice(alice, open_invoice, fake_stripe, mailoutbox, django_capture_on_commit_callbacks):
    invoice = open_invoice(alice, method="card")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        tasks.invoice_payment_collect(invoice.pk)

    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    assert mailoutbox == []
