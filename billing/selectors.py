"""Billing's reads for the operator's console and the daily jobs, and what a month's invoice
comes to (the one calculation the monthly run and the console's preview share)."""
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import F, QuerySet

from billing.errors import CompanyProfileMissing
from billing.models import Invoice
from billing.tax import vat_cents, vat_treatment
from hq.models import CompanyProfile
from hq.services import license_count_in_force, month_start, next_month
from tenants.models import Merchant


@dataclass(frozen=True)
class InvoiceAmounts:
    period: datetime.date
    terminals: int
    unit_price_cents: int
    net_cents: int
    vat_rate_percent: Decimal
    vat_cents: int
    reverse_charge: bool
    tax_note: str

    @property
    def gross_cents(self) -> int:
        return self.net_cents + self.vat_cents


def invoice_amounts(*, merchant: Merchant, month: datetime.date) -> InvoiceAmounts | None:
    """What the merchant's invoice for a month comes to: the terminals licensed for it times the
    fee, with VAT as its company is treated. None when no terminal is licensed for the month;
    raises CompanyProfileMissing when there is no one to bill."""
    period = month_start(month)
    count = license_count_in_force(merchant=merchant, month=period)
    if count == 0:
        return None
    company = CompanyProfile.objects.filter(merchant=merchant).first()
    if company is None:
        raise CompanyProfileMissing()
    fee = settings.BILLING_TERMINAL_FEE_CENTS
    treatment = vat_treatment(country=company.country, vat_id=company.vat_id)
    return InvoiceAmounts(
        period=period, terminals=count, unit_price_cents=fee, net_cents=count * fee,
        vat_rate_percent=treatment.rate_percent,
        vat_cents=vat_cents(net_cents=count * fee, rate_percent=treatment.rate_percent),
        reverse_charge=treatment.reverse_charge, tax_note=treatment.note,
    )


@dataclass(frozen=True)
class InvoicePreview:
    """A month's invoice as the console shows it before (or after) the monthly run."""

    merchant: Merchant
    period: datetime.date
    amounts: InvoiceAmounts | None  # None: nothing to bill (no terminal, or no company profile)
    company_missing: bool
    invoice: Invoice | None  # the month's invoice in force, once it is made

    @property
    def run_on(self) -> datetime.date:
        """The monthly run bills a month on the first of the next."""
        return next_month(self.period)


def invoice_preview(*, merchant: Merchant, month: datetime.date) -> InvoicePreview:
    period = month_start(month)
    try:
        amounts = invoice_amounts(merchant=merchant, month=period)
    except CompanyProfileMissing:
        amounts, company_missing = None, True
    else:
        company_missing = False
    invoice = (Invoice.objects.filter(merchant=merchant, period=period, kind=Invoice.Kind.INVOICE)
               .exclude(status=Invoice.Status.CANCELLED).first())
    return InvoicePreview(merchant=merchant, period=period, amounts=amounts,
                          company_missing=company_missing, invoice=invoice)


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
