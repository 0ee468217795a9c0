"""Invoices and cancellations for licensed terminals, their gapless numbers, and Stripe's side."""
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


def invoice_pdf_path(invoice: "Invoice", filename: str) -> str:
    return f"invoices/{invoice.year}/{invoice.number}.pdf"


class Invoice(models.Model):
    """An invoice for one merchant and month, or a cancellation invoice (Stornorechnung) that
    cancels one. Never edited once issued: a correction is a cancellation with its own number, after
    which the month is invoiced again."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("invoice")
        CANCELLATION = "cancellation", _("cancellation")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")  # numbered, PDF and e-mail still to come
        OPEN = "open", _("open")  # sent; payment pending
        PAID = "paid", _("paid")
        FAILED = "failed", _("payment failed")
        CANCELLED = "cancelled", _("cancelled")

    merchant = models.ForeignKey("tenants.Merchant", on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind, default=Kind.INVOICE)
    cancels = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="cancellations",
        verbose_name=_("cancels invoice"),
    )
    number = models.CharField(_("number"), max_length=20, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence"))
    period = models.DateField(_("month"))
    issued_on = models.DateField(_("issued on"))
    net_cents = models.IntegerField(_("net (cents)"))
    vat_rate_percent = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    vat_cents = models.IntegerField(_("VAT (cents)"))
    gross_cents = models.IntegerField(_("gross (cents)"))
    reverse_charge = models.BooleanField(_("reverse charge"), default=False)
    tax_note = models.CharField(_("tax note"), max_length=300, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    pdf = models.FileField(_("PDF"), upload_to=invoice_pdf_path, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    # Failed collections so far; each failure schedules the next try until the retries run out.
    payment_attempts = models.PositiveSmallIntegerField(_("failed payment attempts"), default=0)
    next_retry_at = models.DateTimeField(_("next payment retry"), null=True, blank=True)
    last_payment_error = models.TextField(_("last payment error"), blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-year", "-sequence"]
        constraints = [
            # What makes the monthly run idempotent, even when two runs overlap. A cancelled
            # invoice no longer counts: its month can be invoiced again.
            models.UniqueConstraint(fields=["merchant", "period"],
                                    condition=Q(kind="invoice") & ~Q(status="cancelled"),
                                    name="invoice_once_per_merchant_and_month"),
            models.UniqueConstraint(fields=["year", "sequence"], name="invoice_number_once"),
            models.UniqueConstraint(fields=["cancels"], condition=Q(kind="cancellation"),
                                    name="invoice_cancelled_once"),
            models.CheckConstraint(condition=Q(gross_cents=F("net_cents") + F("vat_cents")),
                                   name="invoice_gross_is_net_plus_vat"),
            models.CheckConstraint(condition=Q(period__day=1), name="invoice_period_first_of_month"),
            models.CheckConstraint(condition=Q(sequence__gt=0), name="invoice_sequence_positive"),
            models.CheckConstraint(
                condition=(Q(kind="invoice", cancels__isnull=True)
                           | Q(kind="cancellation", cancels__isnull=False)),
                name="invoice_cancellation_names_its_invoice",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def is_cancellation(self) -> bool:
        return self.kind == self.Kind.CANCELLATION


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=1)
    description = models.CharField(_("description"), max_length=300)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price_cents = models.IntegerField(_("unit price (cents)"))
    amount_cents = models.IntegerField(_("amount (cents)"))

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents=F("quantity") * F("unit_price_cents")),
                                   name="invoice_line_amount_is_quantity_times_price"),
        ]

    def __str__(self):
        return self.description


class InvoiceNumberCounter(models.Model):
    """The last number given out in a year. Locked and raised in the transaction that inserts the
    invoice, so a rolled-back invoice gives its number back and the numbers have no gaps."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_sequence = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last_sequence}"


class BillingAccount(models.Model):
    """The merchant as Stripe's customer, and how it pays."""

    class PaymentMethodType(models.TextChoices):
        SEPA_DEBIT = "sepa_debit", _("SEPA Direct Debit")
        CARD = "card", _("card")

    merchant = models.OneToOneField(
        "tenants.Merchant", on_delete=models.PROTECT, related_name="billing_account"
    )
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    payment_method_type = models.CharField(
        _("payment method"), max_length=10, choices=PaymentMethodType,
        default=PaymentMethodType.SEPA_DEBIT,
    )
    default_payment_method_id = models.CharField(max_length=255, blank=True)
    # What the merchant may see of the method (never the whole card number or IBAN), as Stripe
    # reported it when it was set up through Checkout.
    card_brand = models.CharField(_("card brand"), max_length=20, blank=True)
    card_exp_month = models.PositiveSmallIntegerField(_("card expiry month"), null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(_("card expiry year"), null=True, blank=True)
    payment_method_last4 = models.CharField(_("last four digits"), max_length=4, blank=True)
    sepa_bank_code = models.CharField(_("bank code"), max_length=20, blank=True)
    sepa_country = models.CharField(_("bank country"), max_length=2, blank=True)
    sepa_mandate_reference = models.CharField(_("mandate reference"), max_length=100, blank=True)
    # The set-up (Stripe's SetupIntent) the method came from, and when it was made: a repeated or
    # late report of the same or an older set-up leaves a newer method in place.
    setup_intent_id = models.CharField(max_length=255, blank=True)
    payment_method_set_up_at = models.DateTimeField(_("payment method set up at"), null=True, blank=True)
    # Our own clock: when a set-up on Stripe's page was last started, and when we last recorded a
    # method. Coming back from Stripe, the method is "being confirmed" until the webhook is in.
    checkout_started_at = models.DateTimeField(null=True, blank=True)
    payment_method_recorded_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("billing account")
        verbose_name_plural = _("billing accounts")

    def __str__(self):
        return f"{self.merchant} ({self.stripe_customer_id or '-'})"

    @property
    def has_payment_method(self) -> bool:
        return bool(self.default_payment_method_id)

    @property
    def is_card(self) -> bool:
        return self.payment_method_type == self.PaymentMethodType.CARD

    @property
    def checkout_pending(self) -> bool:
        """A set-up was started on Stripe's page and its webhook has not recorded a method since."""
        if self.checkout_started_at is None:
            return False
        return self.payment_method_recorded_at is None or self.payment_method_recorded_at < self.checkout_started_at


class StripeEvent(models.Model):
    """A webhook event, stored once: the unique id is the claim that makes redelivery harmless."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)  # empty: a type we do not act on
    payload = models.JSONField()

    def __str__(self):
        return f"{self.type} {self.event_id}"


class BillingRun(models.Model):
    """One monthly run, on the 1st by Celery beat or started from the console: when, by whom, and
    what it did for each merchant, so the console shows its result."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    month = models.DateField(_("month"))
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.QUEUED)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("started by"))  # none: the schedule
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    invoices_created = models.PositiveIntegerField(_("invoices made"), default=0)
    invoices_existing = models.PositiveIntegerField(_("invoiced before"), default=0)
    gross_cents = models.BigIntegerField(_("gross of the invoices made (cents)"), default=0)
    # [{"merchant": name, "reason": text}] for each merchant the run could not bill.
    skipped = models.JSONField(_("not billed"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="billing_run_month_first_of_month"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} ({self.status})"
