"""Billing on the apex host: Stripe's webhook and invoice PDFs for the operator's staff."""
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

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
