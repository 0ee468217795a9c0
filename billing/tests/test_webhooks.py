"""Stripe's webhook: only signed events count, each event once, also when delivered at once."""
import json
import time

import pytest

from billing import tasks
from billing.models import Invoice, StripeEvent
from billing.services import invoice_create_for_month
from billing.tests.conftest import MAY
from tests.support.clients import HostClient
from tests.support.concurrency import run_at_once
from tests.support.fake_stripe import webhook_event, webhook_signature


def _intent(invoice: Invoice, **fields) -> dict:
    return {"id": invoice.stripe_payment_intent_id, "object": "payment_intent",
            "amount": invoice.gross_cents, "metadata": {"invoice_number": invoice.number}, **fields}


@pytest.fixture
def processing_invoice(db, alice, open_invoice, fake_stripe):
    """Alice's May invoice, its SEPA debit under way."""
    invoice = open_invoice(alice, method="sepa_debit", payment_method_id="pm_sepa_alice")
    tasks.invoice_payment_collect(invoice.pk)
    invoice.refresh_from_db()
    assert (invoice.status, bool(invoice.stripe_payment_intent_id)) == ("open", True)
    return invoice


BAD_SIGNATURES = {
    "missing": lambda payload: "",
    "malformed": lambda payload: "garbage",
    "wrong": lambda payload: f"t={int(time.time())},v1={'0' * 64}",
    "of another body": lambda payload: webhook_signature(payload + b" "),
    "with another secret": lambda payload: webhook_signature(payload, secret="whsec_someone_else"),
    "an hour old": lambda payload: webhook_signature(payload, timestamp=int(time.time()) - 3600),
}


@pytest.mark.parametrize("sign", BAD_SIGNATURES.values(), ids=BAD_SIGNATURES.keys())
def test_a_webhook_without_a_valid_signature_gets_400_and_changes_nothing(processing_invoice, deliver_webhook, sign):
    payload = webhook_event("payment_intent.succeeded", _intent(processing_invoice, status="succeeded"))

    response = deliver_webhook(payload, signature=sign(payload))

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    invoice = Invoice.objects.get(pk=processing_invoice.pk)
    assert (invoice.status, invoice.paid_at) == ("open", None)


def test_without_a_webhook_secret_every_webhook_is_refused(processing_invoice, deliver_webhook, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    payload = webhook_event("payment_intent.succeeded", _intent(processing_invoice))

    response = deliver_webhook(payload, signature=webhook_signature(payload, secret=""))

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    assert Invoice.objects.get(pk=processing_invoice.pk).status == "open"


def test_the_same_event_delivered_twice_pays_the_invoice_once(processing_invoice, deliver_webhook):
    payload = webhook_event("payment_intent.succeeded", _intent(processing_invoice, status="succeeded"),
                            event_id="evt_paid_1")

    first = deliver_webhook(payload)
    paid_at = Invoice.objects.get(pk=processing_invoice.pk).paid_at
    second = deliver_webhook(payload)

    assert (first.status_code, second.status_code) == (200, 200)
    event = StripeEvent.objects.get()
    assert (event.event_id, event.type, event.payload["data"]["object"]["id"]) == (
        "evt_paid_1", "payment_intent.succeeded", processing_invoice.stripe_payment_intent_id)
    assert event.processed_at is not None
    invoice = Invoice.objects.get(pk=processing_invoice.pk)
    assert (invoice.status, invoice.paid_at) == ("paid", paid_at)
    assert paid_at is not None


def test_a_failed_debit_reported_by_webhook_schedules_a_retry(processing_invoice, deliver_webhook):
    intent = _intent(processing_invoice, status="requires_payment_method",
                     last_payment_error={"message": "The account has insufficient funds."})

    response = deliver_webhook(webhook_event("payment_intent.payment_failed", intent, event_id="evt_failed_1"))

    assert response.status_code == 200
    invoice = Invoice.objects.get(pk=processing_invoice.pk)
    assert (invoice.status, invoice.payment_attempts, invoice.last_payment_error) == (
        "failed", 1, "The account has insufficient funds.")
    assert invoice.next_retry_at is not None


def test_a_webhook_that_overtakes_the_stored_intent_id_finds_the_invoice_by_its_number(
        db, alice, open_invoice, fake_stripe, deliver_webhook):
    invoice = open_invoice(alice)
    intent = {"id": "pi_not_stored_yet", "object": "payment_intent", "metadata": {"invoice_number": invoice.number}}

    deliver_webhook(webhook_event("payment_intent.succeeded", intent))

    assert Invoice.objects.get(pk=invoice.pk).status == "paid"


def test_an_event_we_do_not_act_on_is_stored_unprocessed(processing_invoice, deliver_webhook):
    response = deliver_webhook(webhook_event("customer.updated", {"id": "cus_1", "object": "customer"},
                                             event_id="evt_other"))

    assert response.status_code == 200
    assert StripeEvent.objects.get().processed_at is None
    assert Invoice.objects.get(pk=processing_invoice.pk).status == "open"


def test_the_webhook_takes_only_post(db, operator_client, fake_stripe):
    assert operator_client.get("/billing/stripe/webhook/").status_code == 405
    assert not StripeEvent.objects.exists()


def test_the_same_event_delivered_at_once_by_several_threads_changes_the_invoice_once(
        committed, alice, billable, fake_stripe, settings, monkeypatch):
    monkeypatch.setattr(tasks.invoice_deliver, "delay", lambda pk: None)  # no worker in this test
    billable(alice, terminals=5)
    invoice = invoice_create_for_month(merchant=alice, month=MAY)
    Invoice.objects.filter(pk=invoice.pk).update(status="open", stripe_payment_intent_id="pi_concurrent")
    invoice.refresh_from_db()
    payload = webhook_event("payment_intent.payment_failed",
                            _intent(invoice, last_payment_error={"message": "Declined."}), event_id="evt_once")
    signature = webhook_signature(payload)

    responses = run_at_once(8, lambda _: HostClient(settings.BASE_HOST).post(
        "/billing/stripe/webhook/", payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature))

    assert [getattr(r, "status_code", r) for r in responses] == [200] * 8
    assert StripeEvent.objects.filter(event_id="evt_once").count() == 1
    invoice.refresh_from_db()
    assert (invoice.status, invoice.payment_attempts) == ("failed", 1)


@pytest.mark.parametrize("event", [
    {"id": "evt_1", "type": "payment_intent.succeeded"},  # no data.object
    {"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": "pi_1"}},
    {"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {}}},
    {"id": "e" * 300, "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_1"}}},
    {"id": "evt_1", "type": "t" * 101, "data": {"object": {"id": "pi_1"}}},
    {"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_1", "metadata": "x"}}},
    ["not", "an", "event"],
])
def test_a_signed_body_that_is_no_stripe_event_is_refused_and_stored_nowhere(db, deliver_webhook, event, settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_shapes"
    payload = json.dumps(event).encode()

    response = deliver_webhook(payload, signature=webhook_signature(payload, secret="whsec_test_shapes"))

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
