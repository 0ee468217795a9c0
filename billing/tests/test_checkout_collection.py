"""The Must, end to end through a real Celery worker: Checkout in setup mode, then its webhook, then
the monthly run collect the invoice once; a duplicate webhook changes nothing. And an invoice that
found no payment method is collected by itself once the method is set up."""
from billing.models import BillingAccount, Invoice
from billing.services import billing_run
from billing.tests.conftest import MAY
from hq.models import OperatorAuditLog
from tests.support.baseline import PASSWORD, owner_email
from tests.support.clients import HostClient
from tests.support.concurrency import run_at_once, wait_until
from tests.support.fake_stripe import webhook_signature


def _owner(merchant) -> HostClient:
    client = HostClient(merchant.primary_host)
    assert client.post("/manage/login/", {"username": owner_email(merchant.schema_name),
                                          "password": PASSWORD}).status_code == 302
    return client


def _deliver(settings, payload: bytes):
    return HostClient(settings.BASE_HOST).post("/billing/stripe/webhook/", payload, content_type="application/json",
                                               HTTP_STRIPE_SIGNATURE=webhook_signature(payload))


def _set_up_on_stripes_page(merchant, fake_stripe, kind: str) -> bytes:
    response = _owner(merchant).post("/manage/billing/payment-method/", {"payment_method_type": kind})
    assert response.status_code == 303
    [session] = [s for s in fake_stripe.sessions.values() if s["url"] == response["Location"]]
    return fake_stripe.complete_checkout(session["id"], event_id=f"evt_{merchant.schema_name}_checkout")


def test_checkout_then_its_webhook_then_the_monthly_run_collect_the_invoice_once_and_a_duplicate_changes_nothing(
        committed, celery_worker, alice, billable, fake_stripe, mailoutbox, settings):
    billable(alice, terminals=5)
    completed = _set_up_on_stripes_page(alice, fake_stripe, "sepa_debit")

    assert _deliver(settings, completed).status_code == 200
    account = BillingAccount.objects.get(merchant=alice)
    assert account.payment_method_type == "sepa_debit" and account.payment_method_last4 == "3000"

    [invoice] = billing_run(month=MAY)

    assert wait_until(lambda: Invoice.objects.get(pk=invoice.pk).stripe_payment_intent_id, timeout=30)
    invoice.refresh_from_db()
    [create] = fake_stripe.requests_to("POST", "/v1/payment_intents")
    assert (create.idempotency_key, create.params["amount"], create.params["payment_method"],
            create.params["allowed_payment_method_types[0]"], create.params["confirm"]) == (
        invoice.number, str(invoice.gross_cents), account.default_payment_method_id, "sepa_debit", "true")
    assert invoice.status == "open"  # a SEPA debit takes days; payment_intent.succeeded reports it
    [sent] = mailoutbox
    assert sent.to == ["billing@alice.example"] and sent.attachments[0][0] == f"{invoice.number}.pdf"

    requests, audit_rows = len(fake_stripe.requests), OperatorAuditLog.objects.count()
    assert _deliver(settings, completed).status_code == 200  # Stripe sends it again
    assert (len(fake_stripe.requests), OperatorAuditLog.objects.count()) == (requests, audit_rows)
    assert BillingAccount.objects.get(merchant=alice).setup_intent_id == account.setup_intent_id
    assert len(fake_stripe.requests_to("POST", "/v1/payment_intents")) == 1


def test_an_invoice_that_found_no_method_is_collected_once_the_method_is_set_up(
        committed, celery_worker, alice, bob, billable, fake_stripe, mailoutbox, settings):
    for merchant in (alice, bob):
        billable(merchant, terminals=2)
    invoices = billing_run(month=MAY)
    assert wait_until(lambda: Invoice.objects.filter(status="open").count() == 2, timeout=30)
    assert fake_stripe.requests_to("POST", "/v1/payment_intents") == []  # no method, no intent

    completed = _set_up_on_stripes_page(alice, fake_stripe, "card")
    assert _deliver(settings, completed).status_code == 200

    alices = next(i for i in invoices if i.merchant_id == alice.pk)
    assert wait_until(lambda: Invoice.objects.get(pk=alices.pk).status == "paid", timeout=30)
    [create] = fake_stripe.requests_to("POST", "/v1/payment_intents")
    assert create.idempotency_key == alices.number
    bobs = next(i for i in invoices if i.merchant_id == bob.pk)
    assert Invoice.objects.get(pk=bobs.pk).status == "open"
    assert Invoice.objects.get(pk=bobs.pk).stripe_payment_intent_id == ""


def test_both_set_up_events_delivered_at_once_by_several_threads_record_the_method_once(
        committed, celery_worker, alice, billable, fake_stripe, settings):
    billable(alice)
    completed = _set_up_on_stripes_page(alice, fake_stripe, "card")
    [setup_intent_id] = fake_stripe.setup_intents
    succeeded = fake_stripe.setup_intent_event(setup_intent_id, event_id="evt_alice_setup")
    audit_before = OperatorAuditLog.objects.filter(action="billing.payment_method").count()

    responses = run_at_once(8, lambda n: _deliver(settings, completed if n % 2 else succeeded))

    assert [getattr(r, "status_code", r) for r in responses] == [200] * 8
    assert OperatorAuditLog.objects.filter(action="billing.payment_method").count() == audit_before + 1
    assert len(fake_stripe.requests_to("GET", f"/v1/setup_intents/{setup_intent_id}")) == 1
    assert BillingAccount.objects.get(merchant=alice).setup_intent_id == setup_intent_id
