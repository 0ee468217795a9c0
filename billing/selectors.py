"""Billing's reads for the operator's console and the daily jobs, and what a month's invoice
comes to (the one calculation the monthly run and the console's preview share)."""
import datetime
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import F, Q, QuerySet, Sum

from billing.errors import CompanyProfileMissing
from billing.models import BillingAccount, BillingRun, Invoice
from billing.tax import vat_cents, vat_treatment
from hq.models import CompanyProfile, Contract, TerminalLicense
from hq.services import license_count_in_force, license_in_force, month_start, next_month
from tenants.models import Merchant
from tenants.selectors import merchant_list


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


def invoice_in_force(*, merchant: Merchant, period: datetime.date) -> Invoice | None:
    """The month's invoice in force: a cancelled one leaves the month to be invoiced again."""
    return (Invoice.objects.filter(merchant=merchant, period=period, kind=Invoice.Kind.INVOICE)
            .exclude(status=Invoice.Status.CANCELLED).first())


def invoice_preview(*, merchant: Merchant, month: datetime.date) -> InvoicePreview:
    period = month_start(month)
    try:
        amounts = invoice_amounts(merchant=merchant, month=period)
    except CompanyProfileMissing:
        amounts, company_missing = None, True
    else:
        company_missing = False
    return InvoicePreview(merchant=merchant, period=period, amounts=amounts, company_missing=company_missing,
                          invoice=invoice_in_force(merchant=merchant, period=period))


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


def invoices_awaiting_collection(*, merchant: Merchant) -> QuerySet[Invoice]:
    """The merchant's open invoices with no payment under way: they found no payment method."""
    return (Invoice.objects.filter(merchant=merchant, kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN,
                                   stripe_payment_intent_id="", gross_cents__gt=0)
            .order_by("year", "sequence"))


# The one rule for arrears: an invoice whose payment failed after the last retry (none is due any
# more) is unpaid for good until someone acts. The console's list and merchant page both ask here.
IN_ARREARS = Q(kind=Invoice.Kind.INVOICE, status=Invoice.Status.FAILED, next_retry_at__isnull=True)


def invoices_in_arrears(*, merchant: Merchant) -> QuerySet[Invoice]:
    return Invoice.objects.filter(IN_ARREARS, merchant=merchant).order_by("year", "sequence")


def merchant_arrears_cents(*, merchant: Merchant) -> int:
    """What the merchant owes after the last retry; 0: not in arrears."""
    return invoices_in_arrears(merchant=merchant).aggregate(total=Sum("gross_cents"))["total"] or 0


def merchants_in_arrears() -> set[int]:
    """The ids of the merchants in arrears, for a list of merchants in one query."""
    return set(Invoice.objects.filter(IN_ARREARS).values_list("merchant_id", flat=True).distinct())


def billing_account_for(*, merchant: Merchant) -> BillingAccount | None:
    return BillingAccount.objects.filter(merchant=merchant).first()


def contract_for(*, merchant: Merchant) -> Contract | None:
    return Contract.objects.filter(merchant=merchant).first()


def licence_history(*, merchant: Merchant, today: datetime.date) -> list[dict]:
    """Every change of the merchant's terminal licence, newest first, each with its monthly fee
    (net cents) and whether it is the one in force today, one still to come, or an earlier one."""
    this_month = month_start(today)
    changes = list(TerminalLicense.objects.filter(merchant=merchant).order_by("-effective_month", "-id"))
    in_force = license_in_force(merchant=merchant, month=this_month)
    return [{"licence": change, "fee_cents": change.count * settings.BILLING_TERMINAL_FEE_CENTS,
             "state": ("coming" if change.effective_month > this_month
                       else "current" if change == in_force else "earlier")}
            for change in changes]


def billing_run_months(*, today: datetime.date) -> list[datetime.date]:
    """The months the console may invoice: the last one that is over and the eleven before it."""
    last = month_start(today) - relativedelta(months=1)
    return [last - relativedelta(months=back) for back in range(12)]


def billing_runs_recent(*, limit: int = 12) -> QuerySet[BillingRun]:
    return BillingRun.objects.select_related("started_by").order_by("-created_at", "-id")[:limit]


def invoice_previews(*, month: datetime.date) -> list[InvoicePreview]:
    """Every merchant's invoice for a month, as the run will make it (or has made it)."""
    return [invoice_preview(merchant=merchant, month=month) for merchant in merchant_list()]
