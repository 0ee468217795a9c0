"""Billing's writes: monthly terminal invoices with gapless numbers, cancellations, delivery (PDF
and e-mail), payment through Stripe, and what Stripe's webhooks report back."""
import datetime
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage, send_mail
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing import documents, stripe_gateway
from billing.errors import (
    BillingError,
    CancellationReasonRequired,
    CompanyProfileMissing,
    InvoiceNotCancellable,
    PaymentMethodTypeUnknown,
    PaymentProviderUnavailable,
    PaymentsNotConfigured,
)
from billing.models import (
    BillingAccount,
    BillingRun,
    Invoice,
    InvoiceLine,
    InvoiceNumberCounter,
    StripeEvent,
)
from billing.selectors import (
    billing_run_months,
    invoice_amounts,
    invoice_in_force,
    invoices_awaiting_collection,
    invoices_payment_due,
)
from hq.audit import fields_of, operator_audit
from hq.models import CompanyProfile
from hq.services import month_start
from tenants.models import Merchant
from tenants.selectors import merchant_list

logger = logging.getLogger(__name__)

Status = Invoice.Status
Kind = Invoice.Kind
RUN_SKIPPED_NO_COMPANY = "company_missing"
RUNS_UNDER_WAY = (BillingRun.Status.QUEUED, BillingRun.Status.RUNNING)
_RUN_QUEUE_LOCK = 0x5B11_0019  # pg_advisory_xact_lock key of the console's run starts (with the month)


# --- Numbers -----------------------------------------------------------------------------------

def _counter_lock(*, year: int) -> InvoiceNumberCounter:
    """The year's counter, locked until the caller's transaction ends. Must run inside one."""
    # ON CONFLICT DO NOTHING: the first invoice of a year may be numbered by two runs at once.
    InvoiceNumberCounter.objects.bulk_create([InvoiceNumberCounter(year=year)], ignore_conflicts=True)
    return InvoiceNumberCounter.objects.select_for_update().get(year=year)


def _number_take(counter: InvoiceNumberCounter) -> tuple[int, str]:
    counter.last_sequence += 1
    counter.save(update_fields=["last_sequence"])
    return counter.last_sequence, f"{counter.year}-{counter.last_sequence:06d}"


# --- Invoices and cancellations ----------------------------------------------------------------

def _delivery_queue(invoice: Invoice) -> None:
    from billing.tasks import invoice_deliver

    # robust: the invoice is committed either way; a failed enqueue is caught by billing_daily.
    transaction.on_commit(lambda: invoice_deliver.delay(invoice.pk), robust=True)


@transaction.atomic
def invoice_create_for_month(*, merchant: Merchant, month: datetime.date, actor=None) -> Invoice | None:
    """The merchant's invoice for a month: the terminals licensed for it times the fee. Returns the
    existing invoice when the month is billed already, None when no terminal was licensed."""
    period = month_start(month)
    existing = invoice_in_force(merchant=merchant, period=period)
    if existing:
        return existing
    amounts = invoice_amounts(merchant=merchant, month=period)
    if amounts is None:
        return None

    issued_on = timezone.localdate()
    counter = _counter_lock(year=issued_on.year)
    # A concurrent run held the counter before us and may have billed this month meanwhile; under
    # the lock its commit is visible, so asking again settles it without using up a number.
    existing = invoice_in_force(merchant=merchant, period=period)
    if existing:
        return existing
    sequence, number = _number_take(counter)

    invoice = Invoice.objects.create(
        merchant=merchant, kind=Kind.INVOICE, number=number, year=counter.year, sequence=sequence,
        period=period, issued_on=issued_on, net_cents=amounts.net_cents,
        vat_rate_percent=amounts.vat_rate_percent, vat_cents=amounts.vat_cents,
        gross_cents=amounts.gross_cents, reverse_charge=amounts.reverse_charge,
        tax_note=amounts.tax_note, created_by=actor,
    )
    InvoiceLine.objects.create(
        invoice=invoice, position=1, quantity=amounts.terminals, unit_price_cents=amounts.unit_price_cents,
        amount_cents=amounts.net_cents,
        # The invoice's own language (billing/invoice.html), not the operator's.
        description=f"Stammkunde Terminal-Lizenz / terminal licence {period:%m/%Y}",
    )
    operator_audit(actor=actor or "system:billing", action="invoice.create", merchant=merchant,
                   target=invoice, after={"number": number, "period": period, "terminals": amounts.terminals,
                                          "gross_cents": invoice.gross_cents})
    _delivery_queue(invoice)
    return invoice


def billing_run(*, month: datetime.date, run: BillingRun | None = None) -> list[Invoice]:
    """Bill every merchant for a month. Safe to repeat, also two runs at once: each merchant gets
    one invoice. Each merchant in its own transaction, so one merchant's problem bills no one less.
    What it did is kept in the run's record (a new one, unless the console queued it)."""
    period = month_start(month)
    run = run or BillingRun.objects.create(month=period)
    run.status, run.started_at = BillingRun.Status.RUNNING, timezone.now()
    run.save(update_fields=["status", "started_at"])
    invoices, skipped = [], []
    created = existing = gross = 0
    try:
        for merchant in merchant_list().order_by("pk"):
            invoiced_before = invoice_in_force(merchant=merchant, period=period) is not None
            try:
                invoice = invoice_create_for_month(merchant=merchant, month=period)
            except CompanyProfileMissing:
                logger.error("Not billed for %s: merchant %s has no company profile.", period,
                             merchant.schema_name)
                skipped.append({"merchant_id": merchant.pk, "merchant": merchant.name,
                                "reason": RUN_SKIPPED_NO_COMPANY})
                continue
            if invoice is None:
                continue
            invoices.append(invoice)
            if invoiced_before:
                existing += 1
            else:
                created += 1
                gross += invoice.gross_cents
    except Exception as error:
        run.status, run.error, run.finished_at = BillingRun.Status.FAILED, str(error)[:2000], timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        raise
    run.status, run.finished_at = BillingRun.Status.DONE, timezone.now()
    run.invoices_created, run.invoices_existing, run.gross_cents, run.skipped = created, existing, gross, skipped
    run.save(update_fields=["status", "finished_at", "invoices_created", "invoices_existing", "gross_cents",
                            "skipped"])
    return invoices


@transaction.atomic
def billing_run_queue(*, month: datetime.date, actor) -> BillingRun:
    """The console's "run now": a month that is over, run by a worker; refused while a run for the
    same month is queued or under way."""
    period = month_start(month)
    if period not in billing_run_months(today=timezone.localdate()):
        raise BillingError(_("Only a month that is over can be invoiced, at most a year back."))
    # One console start at a time for the month: a second waits here, then sees the first's run.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_RUN_QUEUE_LOCK, period.year * 12 + period.month])
    if BillingRun.objects.filter(month=period, status__in=RUNS_UNDER_WAY).exists():
        raise BillingError(_("A run for this month is already under way."))
    run = BillingRun.objects.create(month=period, started_by=actor)
    operator_audit(actor=actor, action="billing.run", target=run, after={"month": period})
    from billing.tasks import billing_run_start

    transaction.on_commit(lambda: billing_run_start.delay(run.pk))
    return run


@transaction.atomic
def invoice_cancel(*, invoice: Invoice, reason: str, actor) -> Invoice:
    """Cancel an invoice with a cancellation invoice (Stornorechnung): its own number, the same lines
    with negative amounts, and a reference to the original. The month can then be invoiced again.
    The invoice itself stays as it was issued, marked cancelled."""
    reason = reason.strip()
    if not reason:
        raise CancellationReasonRequired()
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.kind != Kind.INVOICE:
        raise InvoiceNotCancellable(_("A cancellation cannot be cancelled."))
    if invoice.status == Status.CANCELLED:
        raise InvoiceNotCancellable(_("This invoice has been cancelled already."))
    if invoice.status == Status.DRAFT:
        # The merchant would get a cancellation of an invoice it has not received.
        raise InvoiceNotCancellable(_("This invoice is still being sent; cancel it once it is out."))

    issued_on = timezone.localdate()
    sequence, number = _number_take(_counter_lock(year=issued_on.year))
    note = Invoice.objects.create(
        merchant=invoice.merchant, kind=Kind.CANCELLATION, cancels=invoice, number=number,
        year=issued_on.year, sequence=sequence, period=invoice.period, issued_on=issued_on,
        net_cents=-invoice.net_cents, vat_rate_percent=invoice.vat_rate_percent,
        vat_cents=-invoice.vat_cents, gross_cents=-invoice.gross_cents,
        reverse_charge=invoice.reverse_charge, tax_note=invoice.tax_note, reason=reason,
        created_by=actor,
    )
    InvoiceLine.objects.bulk_create([
        InvoiceLine(invoice=note, position=line.position, description=line.description,
                    quantity=line.quantity, unit_price_cents=-line.unit_price_cents,
                    amount_cents=-line.amount_cents)
        for line in invoice.lines.all()
    ])
    before = invoice.status
    invoice.status = Status.CANCELLED
    invoice.next_retry_at = None
    invoice.save(update_fields=["status", "next_retry_at"])
    operator_audit(actor=actor, action="invoice.cancel", merchant=invoice.merchant, target=invoice,
                   before={"status": before},
                   after={"status": invoice.status, "cancellation": note.number, "reason": reason})
    _delivery_queue(note)
    return note


# --- Delivery: PDF and e-mail ------------------------------------------------------------------

def invoice_pdf_render(*, invoice: Invoice) -> Invoice:
    """Render and store the PDF once; a second rendering (a repeated task) is thrown away."""
    if invoice.pdf:
        return invoice
    invoice.pdf.save("invoice.pdf", ContentFile(documents.invoice_pdf(invoice)), save=False)
    stored = Invoice.objects.filter(pk=invoice.pk, pdf="").update(pdf=invoice.pdf.name)
    if not stored:
        invoice.pdf.storage.delete(invoice.pdf.name)
        invoice.refresh_from_db(fields=["pdf"])
    return invoice


def invoice_send(*, invoice: Invoice) -> bool:
    """E-mail the PDF to the merchant's billing address, once; then the invoice is open and its
    payment is queued. Returns whether this call sent it."""
    from billing.tasks import invoice_payment_collect

    invoice = invoice_pdf_render(invoice=invoice)
    with transaction.atomic():
        invoice = (Invoice.objects.select_for_update(of=("self",)).select_related("merchant__company")
                   .get(pk=invoice.pk))
        if invoice.status != Status.DRAFT:
            return False
        # Sent under the lock: if sending fails the invoice stays a draft and the task's retry
        # sends it; a second task waits here and then finds it open.
        with invoice.pdf.open("rb") as pdf:
            documents.invoice_email(invoice, pdf.read()).send()
        invoice.status = Status.OPEN
        invoice.save(update_fields=["status"])
        operator_audit(actor="system:invoice-delivery", action="invoice.send", merchant=invoice.merchant,
                       target=invoice, before={"status": Status.DRAFT},
                       after={"status": invoice.status, "to": invoice.merchant.company.billing_email})
        if invoice.kind == Kind.INVOICE:
            transaction.on_commit(lambda: invoice_payment_collect.delay(invoice.pk), robust=True)
    return True


def invoices_undelivered_requeue(*, older_than: datetime.datetime) -> int:
    """Drafts whose delivery task was lost (queue down at commit) are queued again."""
    from billing.tasks import invoice_deliver

    stuck = list(Invoice.objects.filter(status=Status.DRAFT, created_at__lt=older_than)
                 .values_list("pk", flat=True))
    for pk in stuck:
        invoice_deliver.delay(pk)
    return len(stuck)


# --- Payment -----------------------------------------------------------------------------------

PAYMENT_METHOD_FIELDS = (
    "payment_method_type", "default_payment_method_id", "card_brand", "card_exp_month", "card_exp_year",
    "payment_method_last4", "sepa_bank_code", "sepa_country", "sepa_mandate_reference", "setup_intent_id",
    "payment_method_set_up_at",
)


def _payment_method_store(account: BillingAccount, *, actor, **fields) -> BillingAccount:
    """Under the account's lock: the method and what the merchant may see of it, audited; then the
    merchant's open invoices that found no method are collected."""
    before = fields_of(account, "payment_method_type", "default_payment_method_id", "setup_intent_id")
    for name in PAYMENT_METHOD_FIELDS:
        setattr(account, name, fields.get(name, BillingAccount._meta.get_field(name).get_default()))
    account.payment_method_recorded_at = timezone.now()
    account.save(update_fields=[*PAYMENT_METHOD_FIELDS, "payment_method_recorded_at", "updated_at"])
    operator_audit(actor=actor, action="billing.payment_method", merchant=account.merchant, target=account,
                   before=before, after=fields_of(account, "payment_method_type", "default_payment_method_id",
                                                  "setup_intent_id", "payment_method_last4"))
    _uncollected_invoices_queue(account.merchant)
    return account


@transaction.atomic
def billing_account_payment_method_set(*, merchant: Merchant, payment_method_type: str,
                                       payment_method_id: str, actor,
                                       set_up: stripe_gateway.PaymentMethodSetUp | None = None) -> BillingAccount:
    """Record the merchant's default payment method: by its id alone when it was set up at Stripe
    by other means than our Checkout (e.g. in Stripe's dashboard), or with what `set_up` says of it."""
    if payment_method_type not in BillingAccount.PaymentMethodType.values:
        raise ValueError(f"Unknown payment method type {payment_method_type!r}.")
    account, _created = BillingAccount.objects.get_or_create(merchant=merchant)
    account = BillingAccount.objects.select_for_update().select_related("merchant").get(pk=account.pk)
    return _payment_method_store(account, actor=actor, payment_method_type=payment_method_type,
                                 default_payment_method_id=payment_method_id,
                                 **(_set_up_fields(set_up) if set_up else {}))


def _set_up_fields(set_up: stripe_gateway.PaymentMethodSetUp) -> dict:
    return {
        "card_brand": set_up.card_brand, "card_exp_month": set_up.card_exp_month,
        "card_exp_year": set_up.card_exp_year, "payment_method_last4": set_up.last4,
        "sepa_bank_code": set_up.sepa_bank_code, "sepa_country": set_up.sepa_country,
        "sepa_mandate_reference": set_up.mandate_reference, "setup_intent_id": set_up.setup_intent_id,
        "payment_method_set_up_at": set_up.created,
    }


def _billing_account_with_customer(*, merchant: Merchant) -> BillingAccount:
    """The merchant's account, with a Stripe customer made on first need. Inside a transaction."""
    account, _created = BillingAccount.objects.get_or_create(merchant=merchant)
    account = BillingAccount.objects.select_for_update().get(pk=account.pk)
    if not account.stripe_customer_id:
        company = merchant.company
        account.stripe_customer_id = stripe_gateway.customer_create(
            name=company.legal_name, email=company.billing_email, merchant_id=merchant.pk
        )
        account.save(update_fields=["stripe_customer_id", "updated_at"])
        operator_audit(actor="system:payments", action="billing.customer", merchant=merchant, target=account,
                       after={"stripe_customer_id": account.stripe_customer_id})
    return account


def _payment_attempt(invoice: Invoice, *, now: datetime.datetime) -> None:
    """Ask Stripe for the money: a new intent the first time, a new confirmation on a retry.
    The idempotency keys make a repeated call (task retry) reach Stripe only once."""
    account = _billing_account_with_customer(merchant=invoice.merchant)
    try:
        if not invoice.stripe_payment_intent_id:
            result = stripe_gateway.payment_intent_create(
                amount_cents=invoice.gross_cents, customer_id=account.stripe_customer_id,
                payment_method_id=account.default_payment_method_id,
                payment_method_type=account.payment_method_type,
                description=f"Stammkunde {invoice.number}",
                metadata={"invoice_number": invoice.number}, idempotency_key=invoice.number,
            )
        else:
            result = stripe_gateway.payment_intent_confirm(
                intent_id=invoice.stripe_payment_intent_id,
                payment_method_id=account.default_payment_method_id,
                payment_method_type=account.payment_method_type,
                idempotency_key=f"{invoice.number}-retry-{invoice.payment_attempts}",
            )
    except stripe_gateway.PaymentDeclined as declined:
        invoice.stripe_payment_intent_id = declined.intent_id or invoice.stripe_payment_intent_id
        invoice.save(update_fields=["stripe_payment_intent_id"])
        _payment_failure_record(invoice, error=declined.message, now=now)
        return
    invoice.stripe_payment_intent_id = result.id
    invoice.save(update_fields=["stripe_payment_intent_id"])
    operator_audit(actor="system:payments", action="invoice.payment_attempt", merchant=invoice.merchant,
                   target=invoice, after={"intent": result.id, "intent_status": result.status,
                                          "attempt": invoice.payment_attempts + 1})
    if result.status == "succeeded":  # cards settle at once; SEPA reports back by webhook
        _payment_success_record(invoice, now=now)


def _invoice_lock(invoice: Invoice) -> Invoice:
    # Only the invoice's row: the merchant's stays free for the console while Stripe answers.
    return Invoice.objects.select_for_update(of=("self",)).select_related("merchant").get(pk=invoice.pk)


def invoice_payment_collect(*, invoice: Invoice) -> Invoice:
    """The first collection of an open invoice. Does nothing when it has an intent already, and
    waits while the merchant has no payment method: an intent nobody can confirm would only sit
    at Stripe. Recording the method queues the collection (`_uncollected_invoices_queue`)."""
    if not stripe_gateway.stripe_enabled():
        logger.warning("Stripe is not configured; invoice %s is not collected.", invoice.number)
        return invoice
    with transaction.atomic():
        # Locked across the call to Stripe, so a second task waits and then finds the intent.
        invoice = _invoice_lock(invoice)
        if (invoice.kind != Kind.INVOICE or invoice.status != Status.OPEN
                or invoice.stripe_payment_intent_id or invoice.gross_cents <= 0):
            return invoice
        account = BillingAccount.objects.filter(merchant=invoice.merchant).first()
        if account is None or not account.has_payment_method:
            logger.info("Invoice %s waits for %s's payment method.", invoice.number,
                        invoice.merchant.schema_name)
            return invoice
        _payment_attempt(invoice, now=timezone.now())
    return invoice


def _uncollected_invoices_queue(merchant: Merchant) -> None:
    from billing.tasks import merchant_invoices_collect

    transaction.on_commit(lambda: merchant_invoices_collect.delay(merchant.pk), robust=True)


def invoices_uncollected_collect(*, merchant: Merchant) -> int:
    """After a new payment method: collect the merchant's open invoices that found none, and try
    its failed ones again now rather than at their next retry (also those whose retries had run
    out). Returns how many were tried."""
    waiting = list(invoices_awaiting_collection(merchant=merchant))
    for invoice in waiting:
        invoice_payment_collect(invoice=invoice)
    now = timezone.now()
    failed = list(Invoice.objects.filter(merchant=merchant, kind=Kind.INVOICE, status=Status.FAILED)
                  .order_by("year", "sequence"))
    for invoice in failed:
        # Due now; should Stripe be away, the daily run tries it then.
        Invoice.objects.filter(pk=invoice.pk, status=Status.FAILED).update(next_retry_at=now)
        invoice_payment_retry(invoice=invoice, now=now)
    return len(waiting) + len(failed)


def invoice_payment_retry(*, invoice: Invoice, now: datetime.datetime) -> Invoice:
    """Try a failed invoice again when its retry is due; it is open again until Stripe answers."""
    if not stripe_gateway.stripe_enabled():
        return invoice
    with transaction.atomic():
        invoice = _invoice_lock(invoice)
        due = invoice.next_retry_at is not None and invoice.next_retry_at <= now
        if invoice.status != Status.FAILED or not due:
            return invoice
        invoice.status = Status.OPEN
        invoice.next_retry_at = None
        invoice.save(update_fields=["status", "next_retry_at"])
        _payment_attempt(invoice, now=now)
    return invoice


def payments_retry_due(*, now: datetime.datetime) -> int:
    """Every failed invoice whose retry is due, tried again. Returns how many were tried."""
    if not stripe_gateway.stripe_enabled():
        return 0
    retried = 0
    for invoice in invoices_payment_due(now=now):
        try:
            invoice_payment_retry(invoice=invoice, now=now)
        except stripe_gateway.TRANSIENT_ERRORS:
            # Rolled back: the invoice stays due and is tried again by the next daily run.
            logger.exception("Retrying the payment of invoice %s failed.", invoice.number)
            continue
        retried += 1
    return retried


def _payment_success_record(invoice: Invoice, *, now: datetime.datetime) -> None:
    """Under the invoice's lock. Only an open or failed invoice becomes paid: a repeated report
    changes nothing."""
    if invoice.status == Status.CANCELLED:
        logger.warning("Invoice %s was paid after it was cancelled; refund it.", invoice.number)
        return
    if invoice.status not in (Status.OPEN, Status.FAILED):
        return
    before = invoice.status
    invoice.status = Status.PAID
    invoice.paid_at = now
    invoice.next_retry_at = None
    invoice.save(update_fields=["status", "paid_at", "next_retry_at"])
    operator_audit(actor="system:payments", action="invoice.paid", merchant=invoice.merchant, target=invoice,
                   before={"status": before}, after={"status": invoice.status, "paid_at": now})


def _payment_failure_record(invoice: Invoice, *, error: str, now: datetime.datetime) -> None:
    """Under the invoice's lock. Counts only while the invoice is open (an attempt under way), so
    one failure reported twice (Stripe's answer and its webhook) counts once."""
    if invoice.status != Status.OPEN:
        return
    invoice.status = Status.FAILED
    invoice.payment_attempts += 1
    invoice.last_payment_error = error[:2000]
    retries_left = invoice.payment_attempts <= settings.BILLING_PAYMENT_MAX_RETRIES
    retry_in = datetime.timedelta(days=settings.BILLING_PAYMENT_RETRY_DAYS)
    invoice.next_retry_at = now + retry_in if retries_left else None
    invoice.save(update_fields=["status", "payment_attempts", "last_payment_error", "next_retry_at"])
    operator_audit(actor="system:payments", action="invoice.payment_failed", merchant=invoice.merchant,
                   target=invoice, before={"status": Status.OPEN},
                   after={"status": invoice.status, "attempts": invoice.payment_attempts,
                          "error": invoice.last_payment_error, "next_retry_at": invoice.next_retry_at})
    _payment_failure_notice_queue(invoice)
    if not retries_left:
        number, attempts = invoice.number, invoice.payment_attempts
        transaction.on_commit(lambda: send_mail(
            _("Payment of invoice %(number)s failed for good") % {"number": number},
            _("The payment of invoice %(number)s failed %(attempts)s times and is not retried. "
              "Last error: %(error)s") % {"number": number, "attempts": attempts, "error": error},
            None, [settings.OPERATOR_EMAIL],
        ), robust=True)


def _payment_failure_notice_queue(invoice: Invoice) -> None:
    """The merchant hears of each failed collection: when the next try is (or that none is left)
    and where to change the payment method."""
    from tenants.accounts.invitations import merchant_url

    company = CompanyProfile.objects.filter(merchant=invoice.merchant).first()
    if company is None or not company.billing_email:
        return
    context = {
        "invoice": invoice, "company": company, "operator": settings.BILLING_OPERATOR,
        "billing_page": merchant_url(invoice.merchant, reverse("billing_manage:home", urlconf="config.urls_tenant")),
    }
    # The merchant's invoices and their e-mails are German, whoever's request this is.
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Payment of invoice %(number)s failed") % {"number": invoice.number}
        body = render_to_string("billing/email/payment_failed.txt", context)
    message = EmailMessage(subject=subject, body=body, to=[company.billing_email],
                           reply_to=[settings.BILLING_OPERATOR["email"]])
    transaction.on_commit(message.send, robust=True)


# --- Payment methods: Stripe Checkout in setup mode --------------------------------------------

@transaction.atomic
def payment_method_checkout_start(*, merchant: Merchant, payment_method_type: str, success_url: str,
                                  cancel_url: str, locale: str, actor) -> str:
    """Start setting up a SEPA mandate or a card on Stripe's page (Checkout in setup mode) and
    return that page's address. The Stripe customer is made on first need. The method is recorded
    by the webhook once the merchant has finished there (`stripe_event_receive`)."""
    if payment_method_type not in BillingAccount.PaymentMethodType.values:
        raise PaymentMethodTypeUnknown()
    if not stripe_gateway.stripe_enabled():
        raise PaymentsNotConfigured()
    if not CompanyProfile.objects.filter(merchant=merchant).exists():
        raise CompanyProfileMissing()
    try:
        account = _billing_account_with_customer(merchant=merchant)
        session = stripe_gateway.checkout_setup_session_create(
            customer_id=account.stripe_customer_id, payment_method_type=payment_method_type,
            merchant_id=merchant.pk, success_url=success_url, cancel_url=cancel_url, locale=locale,
        )
    except stripe_gateway.TRANSIENT_ERRORS as error:
        # Rolled back; the customer's idempotency key gives the same customer on the next try.
        raise PaymentProviderUnavailable() from error
    account.checkout_started_at = timezone.now()
    account.save(update_fields=["checkout_started_at", "updated_at"])
    operator_audit(actor=actor, action="billing.checkout_start", merchant=merchant, target=account,
                   after={"session": session.id, "payment_method_type": payment_method_type})
    return session.url


def _text_of(value) -> str:
    return value if isinstance(value, str) else ""


def _setup_intent_record(*, setup_intent_id: str, customer_id: str, merchant_id: str) -> None:
    """Record the payment method of a SetupIntent that a webhook reports as done: only for the
    merchant the customer and the metadata both name, as Stripe itself has the SetupIntent, and
    once (a second event about the same or an older set-up changes nothing)."""
    if not (setup_intent_id and customer_id and merchant_id):
        logger.warning("A set-up webhook without a customer or merchant (%s) is ignored.", setup_intent_id)
        return
    account = (BillingAccount.objects.select_for_update().select_related("merchant")
               .filter(stripe_customer_id=customer_id).first())
    if account is None or str(account.merchant_id) != merchant_id:
        logger.warning("Set-up %s names customer %s and merchant %s, which do not belong together; "
                       "ignored.", setup_intent_id, customer_id, merchant_id)
        return
    if account.setup_intent_id == setup_intent_id:
        return
    set_up = stripe_gateway.setup_intent_retrieve(setup_intent_id=setup_intent_id)
    if (set_up.customer_id, set_up.merchant_id) != (customer_id, merchant_id):
        logger.warning("Stripe's set-up %s is not the merchant %s's; ignored.", setup_intent_id, merchant_id)
        return
    if set_up.status != "succeeded" or not set_up.payment_method_id \
            or set_up.payment_method_type not in BillingAccount.PaymentMethodType.values:
        logger.info("Set-up %s is %s (%s); not recorded.", setup_intent_id, set_up.status,
                    set_up.payment_method_type)
        return
    if account.payment_method_set_up_at and set_up.created < account.payment_method_set_up_at:
        return  # a late report of a set-up the merchant has replaced since
    _payment_method_store(account, actor="system:stripe-checkout", payment_method_type=set_up.payment_method_type,
                          default_payment_method_id=set_up.payment_method_id, **_set_up_fields(set_up))


# --- Stripe webhooks ---------------------------------------------------------------------------

def _checkout_session_completed(session: dict, *, now: datetime.datetime) -> None:
    if session.get("mode") != "setup":
        return
    setup_intent = session.get("setup_intent")
    _setup_intent_record(
        setup_intent_id=_text_of(setup_intent.get("id") if isinstance(setup_intent, dict) else setup_intent),
        customer_id=_text_of(session.get("customer")),
        merchant_id=_text_of((session.get("metadata") or {}).get("merchant_id")),
    )


def _setup_intent_succeeded(intent: dict, *, now: datetime.datetime) -> None:
    _setup_intent_record(setup_intent_id=intent["id"], customer_id=_text_of(intent.get("customer")),
                         merchant_id=_text_of((intent.get("metadata") or {}).get("merchant_id")))


def _invoice_for_intent(intent: dict) -> Invoice | None:
    invoices = Invoice.objects.select_for_update().filter(kind=Kind.INVOICE)
    invoice = invoices.filter(stripe_payment_intent_id=intent["id"]).first()
    number = (intent.get("metadata") or {}).get("invoice_number")
    if invoice is None and isinstance(number, str) and number:
        # The webhook can overtake our storing of the intent's id.
        invoice = invoices.filter(number=number).first()
    return invoice


def _intent_succeeded(intent: dict, *, now: datetime.datetime) -> None:
    invoice = _invoice_for_intent(intent)
    if invoice is not None:
        _payment_success_record(invoice, now=now)


def _intent_failed(intent: dict, *, now: datetime.datetime) -> None:
    invoice = _invoice_for_intent(intent)
    if invoice is not None:
        error = (intent.get("last_payment_error") or {}).get("message") or _("The payment failed.")
        _payment_failure_record(invoice, error=error, now=now)


EVENT_HANDLERS = {
    "payment_intent.succeeded": _intent_succeeded,
    "payment_intent.payment_failed": _intent_failed,
    # Either of the two reports a finished set-up on Stripe's page; whichever comes first records it.
    "checkout.session.completed": _checkout_session_completed,
    "setup_intent.succeeded": _setup_intent_succeeded,
}


@transaction.atomic
def stripe_event_receive(*, payload: bytes, signature: str) -> StripeEvent | None:
    """Verify, store and act on one webhook event, once. Returns None for an event seen before
    (or being handled right now by a concurrent delivery). Raises WebhookSignatureInvalid."""
    event = stripe_gateway.webhook_event_verify(payload=payload, signature=signature)
    try:
        # The claim: a concurrent delivery's INSERT waits for ours and then fails as a duplicate.
        with transaction.atomic():
            stored = StripeEvent.objects.create(event_id=event["id"], type=event["type"], payload=event)
    except IntegrityError:
        return None
    handler = EVENT_HANDLERS.get(event["type"])
    if handler is not None:
        now = timezone.now()
        handler(event["data"]["object"], now=now)
        stored.processed_at = now
        stored.save(update_fields=["processed_at"])
    return stored
