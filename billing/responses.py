"""The answers billing's pages give besides HTML, the same on the console and the merchant's billing
page: an invoice's PDF and its e-invoice XML, and the 303 to Stripe's page."""
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import content_disposition_header

from billing.documents import invoice_xml
from billing.models import Invoice


def invoice_with_pdf_or_404(**lookup) -> Invoice:
    """The invoice the lookup names, once its PDF is made; else a 404."""
    invoice = get_object_or_404(Invoice, **lookup)
    if not invoice.pdf:
        raise Http404("The PDF has not been rendered yet.")
    return invoice


def invoice_pdf_response(invoice: Invoice, *, as_attachment: bool = False) -> FileResponse:
    return FileResponse(invoice.pdf.open("rb"), content_type="application/pdf",
                        filename=f"{invoice.number}.pdf", as_attachment=as_attachment)


def invoice_xml_response(invoice: Invoice) -> HttpResponse:
    """The e-invoice alone: the EN 16931 XML embedded in the invoice's PDF."""
    response = HttpResponse(invoice_xml(invoice), content_type="application/xml")
    response.headers["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{invoice.number}.xml")
    return response


def redirect_see_other(url: str):
    """A 303 to Stripe's page: the browser follows a POST's answer with a GET."""
    response = redirect(url)
    response.status_code = 303
    return response
