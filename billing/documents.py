"""What an invoice looks like to the merchant: the PDF (WeasyPrint) and the e-mail carrying it."""
import calendar
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from billing.models import Invoice

# WeasyPrint logs a progress line per step of every document (and on import) at INFO.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def invoice_context(invoice: Invoice) -> dict:
    days_in_month = calendar.monthrange(invoice.period.year, invoice.period.month)[1]
    period_end = invoice.period.replace(day=days_in_month)
    return {
        "invoice": invoice,
        "lines": list(invoice.lines.all()),
        "company": invoice.merchant.company,
        "operator": settings.BILLING_OPERATOR,
        "period_end": period_end,
    }


def invoice_pdf(invoice: Invoice) -> bytes:
    # The invoice is a German legal document: German dates and numbers whatever the caller's language.
    with translation.override("de"):
        html = render_to_string("billing/invoice.html", invoice_context(invoice))
    from weasyprint import HTML  # heavy; only the workers that render need it

    return HTML(string=html).write_pdf()


def invoice_email(invoice: Invoice, pdf: bytes) -> EmailMessage:
    context = invoice_context(invoice)
    with translation.override(settings.LANGUAGE_CODE):
        subject = (_("Your Stammkunde cancellation invoice %(number)s") if invoice.is_cancellation
                   else _("Your Stammkunde invoice %(number)s")) % {"number": invoice.number}
        body = render_to_string("billing/email/invoice.txt", context)
    message = EmailMessage(subject=subject, body=body, to=[context["company"].billing_email],
                           reply_to=[settings.BILLING_OPERATOR["email"]])
    message.attach(f"{invoice.number}.pdf", pdf, "application/pdf")
    return message
