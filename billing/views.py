"""Billing on the apex host: Stripe's webhook, and invoice PDFs and e-invoices for the operator's staff."""
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.documents import invoice_xml
from billing.models import Invoice
from billing.services import stripe_event_receive
from billing.stripe_gateway import WebhookEventMalformed, WebhookSignatureInvalid
from hq.access import OperatorRequiredMixin


@csrf_exempt  # Stripe cannot send a CSRF token; the signature on the body authenticates it.
@require_POST
def stripe_webhook(request):
    try:
        stripe_event_receive(payload=request.body,
                             signature=request.headers.get("Stripe-Signature", ""))
    except (WebhookSignatureInvalid, WebhookEventMalformed):
        return HttpResponseBadRequest()
    return HttpResponse()


class InvoicePdfView(OperatorRequiredMixin, View):
    def get(self, request, pk):
        invoice = get_object_or_404(Invoice, pk=pk)
        if not invoice.pdf:
            raise Http404("The PDF has not been rendered yet.")
        return FileResponse(invoice.pdf.open("rb"), content_type="application/pdf",
                            filename=f"{invoice.number}.pdf")


class InvoiceXmlView(OperatorRequiredMixin, View):
    """The e-invoice alone: the EN 16931 XML embedded in the invoice's PDF."""

    def get(self, request, pk):
        invoice = get_object_or_404(Invoice, pk=pk)
        if not invoice.pdf:
            raise Http404("The PDF has not been rendered yet.")
        response = HttpResponse(invoice_xml(invoice), content_type="application/xml")
        response.headers["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"{invoice.number}.xml")
        return response
