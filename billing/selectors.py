"""Billing's reads for the operator's console and the daily jobs."""
import datetime

from django.db.models import F, QuerySet

from billing.models import Invoice
from tenants.models import Merchant


def invoices_for_merchant(*, merchant: Merchant) -> QuerySet[Invoice]:
    """A merchant's invoices and cancellations, newest first."""
    return (Invoice.objects.filter(merchant=merchant).select_related("cancels")
            .order_by("-issued_on", "-year", "-sequence"))


def invoices_failed() -> QuerySet[Invoice]:
    """Invoices whose last payment failed, the next retry first (given up ones last)."""
    return (Invoice.objects.filter(status=Invoice.Status.FAILED).select_related("merchant")
            .order_by(F("next_retry_at").asc(nulls_last=True), "year", "sequence"))


def invoices_payment_due(*, now: datetime.datetime) -> QuerySet[Invoice]:
    return invoices_failed().filter(next_retry_at__lte=now)
