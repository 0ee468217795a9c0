"""Billing's background work: the monthly run, each invoice's delivery and payment, the daily
retries. Tasks only find their rows and call a service; every service is safe to run twice."""
import datetime

from celery import shared_task
from django.utils import timezone

from billing.stripe_gateway import TRANSIENT_ERRORS

# Delivery and payment talk to the mail server and Stripe: worth retrying when those are away.
RETRY = {"retry_backoff": 60, "retry_backoff_max": 3600, "max_retries": 8}


@shared_task
def billing_monthly() -> dict:
    """On the 1st: the previous month's invoices."""
    from billing.services import billing_run

    previous_month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    invoices = billing_run(month=previous_month)
    return {"month": previous_month.isoformat(), "invoices": len(invoices)}


@shared_task
def billing_run_start(run_id: int) -> dict:
    """A run the console queued."""
    from billing.models import BillingRun
    from billing.services import billing_run

    run = BillingRun.objects.filter(pk=run_id, status=BillingRun.Status.QUEUED).first()
    if run is None:  # delivered twice: the first delivery runs it
        return {}
    invoices = billing_run(month=run.month, run=run)
    return {"month": run.month.isoformat(), "invoices": len(invoices)}


@shared_task(autoretry_for=(OSError,), **RETRY)
def invoice_deliver(invoice_id: int) -> bool:
    from billing.models import Invoice
    from billing.services import invoice_send

    invoice = Invoice.objects.filter(pk=invoice_id).first()
    return invoice_send(invoice=invoice) if invoice else False


@shared_task(autoretry_for=TRANSIENT_ERRORS, **RETRY)
def invoice_payment_collect(invoice_id: int) -> str:
    from billing.models import Invoice
    from billing.services import invoice_payment_collect as collect

    invoice = Invoice.objects.filter(pk=invoice_id).first()
    return collect(invoice=invoice).status if invoice else ""


@shared_task(autoretry_for=TRANSIENT_ERRORS, **RETRY)
def merchant_invoices_collect(merchant_id: int) -> int:
    """Once a payment method is recorded: the merchant's open invoices that found none."""
    from billing.services import invoices_uncollected_collect
    from tenants.models import Merchant

    merchant = Merchant.objects.filter(pk=merchant_id).first()
    return invoices_uncollected_collect(merchant=merchant) if merchant else 0


@shared_task
def billing_daily() -> dict:
    from billing.services import invoices_undelivered_requeue, payments_retry_due

    now = timezone.now()
    return {
        "retried": payments_retry_due(now=now),
        "requeued": invoices_undelivered_requeue(older_than=now - datetime.timedelta(hours=1)),
    }
