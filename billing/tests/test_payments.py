"""Collecting invoices through Stripe (the fake at the HTTP boundary): one intent per invoice,
declines, retries every three days, at most three of them."""
import datetime

import pytest
from django.utils import timezone

from billing import tasks
from billing.models import BillingAccount, Invoice, StripeEvent
from billing.services import billing_account_payment_method_set, invoice_cancel, payments_retry_due
from hq.models import OperatorAuditLog
from tests.support.fake_stripe import webhook_event

pytestmark = pytest.mark.django_db

THREE_DAYS = datetime.timedelta(days=3)


def test_payment_intent_is_created_once_even_when_the_task_runs_twice(alice, open_invoice, fake_stripe):
    invoice = open_invoice(alice, method="sepa_debit", payment_method_id="pm_sepa_alice")

    tasks.invoice_payment_collect(invoice.pk)
    tasks.invoice_payment_collect(invoice.pk)

    [create] = fake_stripe.requests_to("POST", "/v1/payment_intents")
    [customer] = fake_stripe.customers.values()
    assert create.idempotency_key == invoice.number
    assert create.params == {
        "amount": str(invoice.gross_cents), "currency": "eur", "customer": customer["id"],
        "payment_method": "pm_sepa_alice", "allowed_payment_method_types[0]": "sepa_debit",
        "confirm": "true", "off_session": "true", "description": f"Stammkunde {invoice.number}",
        "metadata[invoice_number]": invoice.number,
    }
    [intent] = fake_stripe.intents.values()
    invoice.refresh_from_db()
    assert (invoice.stripe_payment_intent_id, invoice.status) == (intent["id"], "open")  # SEPA: processing
    assert len(fake_stripe.requests_to("POST", "/v1/customers")) == 1
    assert BillingAccount.objects.get(merchant=alice).stripe_customer_id == customer["id"]
    assert (customer["email"], customer["metadata"]) == ("billing@alice.example", {"merchant_id": str(alice.pk)})


def test_an_intent_whose_id_we_lost_is_not_created_a_second_time_at_stripe(alice, open_invoice, fake_stripe):
    invoice = open_invoice(alice, method="sepa_debit", payment_method_id="pm_sepa_alice")
    tasks.invoice_payment_collect(invoice.pk)
    first_id = Invoice.objects.get(pk=invoice.pk).stripe_payment_intent_id
    # As if the transaction storing Stripe's answer had been rolled back.
    Invoice.objects.filter(pk=invoice.pk).update(stripe_payment_intent_id="")

    tasks.invoice_payment_collect(invoice.pk)

    assert [r.idempotency_key for r in fake_stripe.requests_to("POST", "/v1/payment_intents")] == [
        invoice.number, invoice.number]
    assert list(fake_stripe.intents) == [first_id]
    assert Invoice.objects.get(pk=invoice.pk).stripe_payment_intent_id == first_id


def test_a_card_payment_settles_at_once(alice, open_invoice, fake_stripe):
    invoice = open_invoice(alice, method="card")

    tasks.invoice_payment_collect(invoice.pk)

    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert invoice.paid_at is not None
    assert fake_stripe.requests_to("POST", "/v1/payment_intents")[0].params["allowed_payment_method_types[0]"] == "card"


def test_without_a_payment_method_no_intent_is_made_and_the_invoice_waits(alice, open_invoice, fake_stripe):
    invoice = open_invoice(alice, payment_method_id="")

    tasks.invoice_payment_collect(invoice.pk)

    assert fake_stripe.requests == []  # neither a customer nor an intent nobody could confirm
    invoice.refresh_from_db()
    assert (invoice.status, invoice.payment_attempts, invoice.stripe_payment_intent_id) == ("open", 0, "")
    assert not OperatorAuditLog.objects.filter(action="invoice.payment_attempt").exists()


def test_recording_a_method_collects_the_invoices_that_found_none(
        alice, bob, open_invoice, fake_stripe, eager_tasks, django_capture_on_commit_callbacks):
    waiting = open_invoice(alice, method="card", payment_method_id="")
    bobs = open_invoice(bob, method="card", payment_method_id="")
    tasks.invoice_payment_collect(waiting.pk)

    with django_capture_on_commit_callbacks(execute=True):
        billing_account_payment_method_set(merchant=alice, payment_method_type="card",
                                           payment_method_id="pm_card_new", actor=None)

    [create] = fake_stripe.requests_to("POST", "/v1/payment_intents")
    assert (create.params["payment_method"], create.idempotency_key) == ("pm_card_new", waiting.number)
    assert Invoice.objects.get(pk=waiting.pk).status == "paid"
    assert Invoice.objects.get(pk=bobs.pk).status == "open"  # bob still has no method


def test_a_new_method_tries_a_failed_invoice_again_at_once_with_its_type(
        alice, open_invoice, fake_stripe, eager_tasks, django_capture_on_commit_callbacks):
    invoice = open_invoice(alice, method="card", payment_method_id="pm_card_old")
    fake_stripe.fail_next_confirmation("Your card has expired.", code="expired_card")
    tasks.invoice_payment_collect(invoice.pk)
    intent_id = Invoice.objects.get(pk=invoice.pk).stripe_payment_intent_id

    with django_capture_on_commit_callbacks(execute=True):
        billing_account_payment_method_set(merchant=alice, payment_method_type="sepa_debit",
                                           payment_method_id="pm_sepa_new", actor=None)

    [confirm] = fake_stripe.requests_to("POST", f"/v1/payment_intents/{intent_id}/confirm")
    assert confirm.params == {"off_session": "true", "payment_method": "pm_sepa_new",
                              "allowed_payment_method_types[0]": "sepa_debit"}
    retried = Invoice.objects.get(pk=invoice.pk)
    assert (retried.status, retried.payment_attempts, retried.next_retry_at) == ("open", 1, None)  # SEPA: processing
    assert len(fake_stripe.requests_to("POST", "/v1/payment_intents")) == 1


def test_failed_payment_is_retried_after_three_days_and_then_succeeds(
        alice, open_invoice, fake_stripe, deliver_webhook):
    invoice = open_invoice(alice, method="card", payment_method_id="pm_card_alice")
    fake_stripe.fail_next_confirmation("Your card was declined.")
    before = timezone.now()

    tasks.invoice_payment_collect(invoice.pk)

    invoice.refresh_from_db()
    [intent_id] = fake_stripe.intents
    assert (invoice.status, invoice.payment_attempts, invoice.last_payment_error) == (
        "failed", 1, "Your card was declined.")
    assert invoice.stripe_payment_intent_id == intent_id
    assert before + THREE_DAYS <= invoice.next_retry_at <= timezone.now() + THREE_DAYS

    # Stripe's webhook reports the same failure again: it counts once.
    response = deliver_webhook(webhook_event("payment_intent.payment_failed", fake_stripe.intents[intent_id]))
    assert response.status_code == 200
    failed = Invoice.objects.get(pk=invoice.pk)
    assert (failed.status, failed.payment_attempts, failed.next_retry_at) == ("failed", 1, invoice.next_retry_at)

    # Not yet due: nothing happens.
    assert payments_retry_due(now=invoice.next_retry_at - datetime.timedelta(seconds=1)) == 0
    assert fake_stripe.requests_to("POST", f"/v1/payment_intents/{intent_id}/confirm") == []

    assert payments_retry_due(now=invoice.next_retry_at) == 1

    [confirm] = fake_stripe.requests_to("POST", f"/v1/payment_intents/{intent_id}/confirm")
    assert confirm.idempotency_key == f"{invoice.number}-retry-1"
    assert confirm.params == {"off_session": "true", "payment_method": "pm_card_alice",
                              "allowed_payment_method_types[0]": "card"}
    assert len(fake_stripe.intents) == 1
    paid = Invoice.objects.get(pk=invoice.pk)
    assert (paid.status, paid.payment_attempts, paid.next_retry_at) == ("paid", 1, None)
    assert payments_retry_due(now=invoice.next_retry_at + THREE_DAYS) == 0


def test_after_three_failed_retries_the_operator_is_told_and_no_more_are_made(
        alice, open_invoice, fake_stripe, mailoutbox, django_capture_on_commit_callbacks, settings):
    invoice = open_invoice(alice)
    mailoutbox.clear()  # the invoice itself
    for _ in range(4):
        fake_stripe.fail_next_confirmation("Insufficient funds.", code="insufficient_funds")
    with django_capture_on_commit_callbacks(execute=True):
        tasks.invoice_payment_collect(invoice.pk)

    for _retry in (1, 2, 3):
        due = Invoice.objects.get(pk=invoice.pk).next_retry_at
        with django_capture_on_commit_callbacks(execute=True):
            assert payments_retry_due(now=due) == 1

    invoice.refresh_from_db()
    assert (invoice.status, invoice.payment_attempts, invoice.next_retry_at) == ("failed", 4, None)
    assert len(fake_stripe.requests_to("POST", f"/v1/payment_intents/{invoice.stripe_payment_intent_id}/confirm")) == 3
    *to_merchant, notice = mailoutbox
    assert notice.to == [settings.OPERATOR_EMAIL]
    assert invoice.number in notice.subject and "Insufficient funds." in notice.body
    # The merchant heard of each failure; after the last one that no further try is made.
    assert [message.to for message in to_merchant] == [["billing@alice.example"]] * 4
    assert "http://alice.stammkunde.localhost/manage/billing/" in to_merchant[-1].body
    assert payments_retry_due(now=timezone.now() + datetime.timedelta(days=365)) == 0
    assert len(fake_stripe.requests) == 1 + 1 + 3  # customer, intent, three confirmations


def test_a_cancelled_invoice_is_not_retried(alice, open_invoice, fake_stripe):
    invoice = open_invoice(alice)
    fake_stripe.fail_next_confirmation()
    tasks.invoice_payment_collect(invoice.pk)
    due = Invoice.objects.get(pk=invoice.pk).next_retry_at

    note = invoice_cancel(invoice=invoice, reason="Merchant closed in May", actor=None)

    assert payments_retry_due(now=due) == 0
    assert fake_stripe.requests_to("POST", f"/v1/payment_intents/{invoice.stripe_payment_intent_id}/confirm") == []
    assert Invoice.objects.get(pk=invoice.pk).status == "cancelled"
    assert tasks.invoice_payment_collect(note.pk) == "draft"
    assert len(fake_stripe.requests_to("POST", "/v1/payment_intents")) == 1


def test_when_stripe_cannot_be_reached_the_retry_stays_due(alice, open_invoice, fake_stripe, settings):
    invoice = open_invoice(alice)
    fake_stripe.fail_next_confirmation()
    tasks.invoice_payment_collect(invoice.pk)
    failed = Invoice.objects.get(pk=invoice.pk)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens on the discard port

    assert payments_retry_due(now=failed.next_retry_at) == 0

    still = Invoice.objects.get(pk=invoice.pk)
    assert (still.status, still.payment_attempts, still.next_retry_at) == ("failed", 1, failed.next_retry_at)


def test_without_stripe_configured_nothing_is_sent(alice, open_invoice, fake_stripe, settings):
    invoice = open_invoice(alice)
    settings.STRIPE_SECRET_KEY = ""

    tasks.invoice_payment_collect(invoice.pk)

    assert fake_stripe.requests == []
    invoice.refresh_from_db()
    assert (invoice.status, invoice.stripe_payment_intent_id) == ("open", "")


def test_a_task_for_an_invoice_that_is_gone_does_nothing(fake_stripe):
    assert tasks.invoice_payment_collect(987654) == ""
    assert tasks.invoice_deliver(987654) is False
    assert fake_stripe.requests == []
    assert not StripeEvent.objects.exists()
