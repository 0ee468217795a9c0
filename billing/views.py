"""Billing on the apex host: Stripe's webhook, invoice PDFs and e-invoices for the operator's staff,
the operator's start of a merchant's payment method set-up on Stripe's page, and the monthly run."""
from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.errors import BillingError
from billing.forms import BillingRunForm, PaymentMethodChoiceForm
from billing.responses import (
    invoice_pdf_response,
    invoice_with_pdf_or_404,
    invoice_xml_response,
    redirect_see_other,
)
from billing.selectors import billing_runs_recent, invoice_previews
from billing.services import (
    RUNS_UNDER_WAY,
    billing_run_queue,
    payment_method_checkout_start,
    stripe_event_receive,
)
from billing.stripe_gateway import TRANSIENT_ERRORS, WebhookEventMalformed, WebhookSignatureInvalid
from hq.access import OperatorRequiredMixin
from tenants.forms import errors_text
from tenants.selectors import merchant_list


@csrf_exempt  # Stripe cannot send a CSRF token; the signature on the body authenticates it.
@require_POST
def stripe_webhook(request):
    try:
        stripe_event_receive(payload=request.body,
                             signature=request.headers.get("Stripe-Signature", ""))
    except (WebhookSignatureInvalid, WebhookEventMalformed):
        return HttpResponseBadRequest()
    except TRANSIENT_ERRORS:
        # Stripe was away while we asked about the event: nothing is kept, Stripe sends it again.
        return HttpResponse(status=503)
    return HttpResponse()


class InvoicePdfView(OperatorRequiredMixin, View):
    def get(self, request, pk):
        return invoice_pdf_response(invoice_with_pdf_or_404(pk=pk))


class InvoiceXmlView(OperatorRequiredMixin, View):
    """The e-invoice alone: the EN 16931 XML embedded in the invoice's PDF."""

    def get(self, request, pk):
        return invoice_xml_response(invoice_with_pdf_or_404(pk=pk))


class PaymentMethodCheckoutView(OperatorRequiredMixin, View):
    """The operator sets up a merchant's SEPA mandate or card on Stripe's page (e.g. on the phone
    with the merchant); Stripe sends them back to the merchant's page in the console."""

    def post(self, request, pk):
        merchant = get_object_or_404(merchant_list(), pk=pk)
        page = request.build_absolute_uri(reverse("merchant-detail", args=[merchant.pk]))
        form = PaymentMethodChoiceForm(request.POST)
        if not form.is_valid():
            messages.error(request, errors_text(form))
            return redirect("merchant-detail", pk=merchant.pk)
        try:
            url = payment_method_checkout_start(
                merchant=merchant, payment_method_type=form.cleaned_data["payment_method_type"],
                success_url=f"{page}?checkout=done#payment-method",
                cancel_url=f"{page}?checkout=cancelled#payment-method",
                locale=translation.get_language() or "de", actor=request.user,
            )
        except BillingError as error:
            messages.error(request, str(error))
            return redirect("merchant-detail", pk=merchant.pk)
        return redirect_see_other(url)


class BillingRunsView(OperatorRequiredMixin, View):
    """The monthly run in the console: this month's invoices as the run on the 1st will make them,
    the runs so far with their results, and a run of a past month started by hand (after a
    confirmation: it issues invoices, which only a cancellation takes back)."""

    template_name = "billing/console/runs.html"

    def get(self, request, form=None):
        today = timezone.localdate()
        runs = list(billing_runs_recent())
        return render(request, self.template_name, {
            "form": form or BillingRunForm(today=today),
            "previews": invoice_previews(month=today),
            "runs": runs,
            "under_way": any(run.status in RUNS_UNDER_WAY for run in runs),
        })

    def post(self, request):
        form = BillingRunForm(request.POST, today=timezone.localdate())
        if not form.is_valid():
            return self.get(request, form=form)
        month = form.cleaned_data["month"]
        if not request.POST.get("confirmed"):
            return render(request, "hq/confirm.html", {
                "question": _("Invoice %(month)s now? Every merchant not yet invoiced for that month gets its "
                              "invoice by e-mail, and its payment is collected.")
                % {"month": date_format(month, "YEAR_MONTH_FORMAT")},
                "action": request.path, "fields": [("month", month.isoformat())],
                "confirm_label": _("Start the run"), "cancel_url": reverse("billing:runs"),
            })
        try:
            billing_run_queue(month=month, actor=request.user)
        except BillingError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The run for %(month)s has started; its result appears below.")
                             % {"month": date_format(month, "YEAR_MONTH_FORMAT")})
        return redirect("billing:runs")
