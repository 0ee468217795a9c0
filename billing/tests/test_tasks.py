"""The billing jobs: the monthly run (also two at once), the daily retries, and an invoice's way
from the run through a real Celery worker to the merchant's inbox and Stripe."""
import datetime
import time

import pytest
from celery.schedules import crontab
from django.utils import timezone

from billing import tasks
from billing.models import Invoice
from billing.services import (
    billing_account_payment_method_set,
    billing_run,
    invoice_create_for_month,
)
from billing.tests.conftest import MAY, D
from tests.support.concurrency import run_at_once


def test_two_billing_runs_at_once_give_one_invoice_per_merchant_numbered_without_gaps(
        committed, alice, bob, charlie, billable, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.invoice_deliver, "delay", queued.append)  # no worker in this test
    for merchant in (alice, bob, charlie):
        billable(merchant)

    results = run_at_once(4, lambda _: billing_run(month=MAY))

    assert not [r for r in results if isinstance(r, Exception)], results
    invoices = list(Invoice.objects.order_by("sequence"))
    assert sorted(i.merchant.schema_name for i in invoices) == ["alice", "bob", "charlie"]
    assert [i.sequence for i in invoices] == [1, 2, 3]
    assert all({i.pk for i in result} == {i.pk for i in invoices} for result in results)
    assert sorted(queued) == sorted(i.pk for i in invoices)  # each delivered once


@pytest.mark.django_db
def test_the_monthly_job_bills_the_previous_month(alice, billable, monkeypatch):
    billable(alice, terminals=3)
    monkeypatch.setattr(timezone, "localdate", lambda *args: D(2026, 6, 1))

    result = tasks.billing_monthly()

    assert result == {"month": "2026-05-01", "invoices": 1}
    invoice = Invoice.objects.get()
    assert (invoice.period, invoice.issued_on, invoice.net_cents) == (MAY, D(2026, 6, 1), 5970)


def test_beat_runs_the_monthly_billing_on_the_1st_at_3_and_the_retries_daily(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE

    assert schedule["billing-monthly"] == {
        "task": "billing.tasks.billing_monthly", "schedule": crontab(day_of_month=1, hour=3, minute=0)}
    assert schedule["billing-daily"]["task"] == "billing.tasks.billing_daily"
    assert schedule["billing-daily"]["schedule"] == crontab(hour=4, minute=0)


@pytest.mark.django_db
def test_the_daily_job_queues_again_a_draft_whose_delivery_was_lost(alice, bob, billable, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.invoice_deliver, "delay", queued.append)
    billable(alice)
    billable(bob)
    stuck = invoice_create_for_month(merchant=alice, month=MAY)
    invoice_create_for_month(merchant=bob, month=MAY)  # just made: its task may still be on the way
    Invoice.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - datetime.timedelta(hours=2))

    result = tasks.billing_daily()

    assert result == {"retried": 0, "requeued": 1}
    assert queued == [stuck.pk]


def test_an_invoice_goes_from_the_run_through_the_worker_to_the_inbox_and_stripe(
        committed, celery_worker, alice, billable, fake_stripe, mailoutbox):
    billable(alice, terminals=5)
    billing_account_payment_method_set(merchant=alice, payment_method_type="card",
                                       payment_method_id="pm_card_alice", actor=None)

    [invoice] = billing_run(month=MAY)

    deadline = time.monotonic() + 30
    while Invoice.objects.get(pk=invoice.pk).status != "paid" and time.monotonic() < deadline:
        time.sleep(0.1)
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert invoice.pdf.name == f"invoices/{invoice.year}/{invoice.number}.pdf"
    [message] = mailoutbox
    assert message.to == ["billing@alice.example"]
    assert message.attachments[0][0] == f"{invoice.number}.pdf"
    [intent] = fake_stripe.intents.values()
    assert (intent["id"], intent["amount"], intent["currency"]) == (invoice.stripe_payment_intent_id, 11841, "eur")
