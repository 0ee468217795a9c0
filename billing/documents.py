"""What an invoice looks like to the merchant: one reading of it (`InvoiceDocument`) that both the
PDF (WeasyPrint) and its embedded EN 16931 XML (billing.einvoice) are made from, the Factur-X
hybrid of the two, and the e-mail carrying it."""
import calendar
import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from billing.models import Invoice
from billing.tax import REVERSE_CHARGE, REVERSE_CHARGE_EXEMPTION_CODE, STANDARD_RATE

# WeasyPrint logs a progress line per step of every document (and on import) at INFO.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
logging.getLogger("factur-x").setLevel(logging.WARNING)

# UNTDID 1001: a commercial invoice, and a credit note, which is what a cancellation
# (Stornorechnung) is to the receiver's software: it takes the amounts off the original's.
INVOICE_TYPE_CODE = "380"
CANCELLATION_TYPE_CODE = "381"
UNIT_CODE = "C62"  # UN/ECE rec. 20: "one", a unit of count (a terminal for a month)
PAYMENT_TERMS = (
    "Der Betrag wird von Ihrem hinterlegten Zahlungsmittel (SEPA-Lastschrift oder Karte) "
    "eingezogen. / The amount will be collected from your payment method on file "
    "(SEPA Direct Debit or card)."
)
CANCELLATION_TERMS = ("Der Betrag wird mit Ihren Zahlungen verrechnet oder erstattet. / "
                      "The amount will be offset or refunded.")


@dataclass(frozen=True)
class Party:
    name: str
    street: str
    postcode: str
    city: str
    country: str
    email: str
    vat_id: str
    register: str = ""
    managing_director: str = ""
    bank: str = ""
    iban: str = ""


@dataclass(frozen=True)
class DocumentLine:
    position: int
    description: str
    quantity: int
    unit_price_cents: int
    amount_cents: int


@dataclass(frozen=True)
class InvoiceDocument:
    """An invoice or cancellation as its documents state it. A cancellation states the amounts
    it takes off, as positive numbers: its type says which way they go (EN 16931's credit note),
    and the PDF says the same as the XML."""

    number: str
    type_code: str
    issued_on: datetime.date
    period_start: datetime.date
    period_end: datetime.date
    seller: Party
    buyer: Party
    customer_number: str
    lines: list[DocumentLine]
    net_cents: int
    vat_rate_percent: Decimal
    vat_cents: int
    gross_cents: int
    vat_category: str
    vat_exemption_code: str
    tax_note: str
    reason: str
    payment_terms: str
    cancels_number: str = ""
    cancels_issued_on: datetime.date | None = None

    @property
    def is_cancellation(self) -> bool:
        return self.type_code == CANCELLATION_TYPE_CODE


def _seller() -> Party:
    operator = settings.BILLING_OPERATOR
    return Party(name=operator["name"], street=operator["street"], postcode=operator["postcode"],
                 city=operator["city"], country="DE", email=operator["email"],
                 vat_id=operator["vat_id"], register=operator["register"],
                 managing_director=operator["managing_director"], bank=operator["bank"],
                 iban=operator["iban"])


def invoice_document(invoice: Invoice) -> InvoiceDocument:
    company = invoice.merchant.company
    sign = -1 if invoice.is_cancellation else 1
    days_in_month = calendar.monthrange(invoice.period.year, invoice.period.month)[1]
    cancels = invoice.cancels if invoice.is_cancellation else None
    return InvoiceDocument(
        number=invoice.number,
        type_code=CANCELLATION_TYPE_CODE if cancels else INVOICE_TYPE_CODE,
        issued_on=invoice.issued_on,
        period_start=invoice.period,
        period_end=invoice.period.replace(day=days_in_month),
        seller=_seller(),
        buyer=Party(name=company.legal_name, street=company.street, postcode=company.postcode,
                    city=company.city, country=company.country, email=company.billing_email,
                    vat_id=company.vat_id),
        customer_number=invoice.merchant.schema_name,
        lines=[DocumentLine(position=line.position, description=line.description, quantity=line.quantity,
                            unit_price_cents=sign * line.unit_price_cents,
                            amount_cents=sign * line.amount_cents)
               for line in invoice.lines.all()],
        net_cents=sign * invoice.net_cents,
        vat_rate_percent=invoice.vat_rate_percent,
        vat_cents=sign * invoice.vat_cents,
        gross_cents=sign * invoice.gross_cents,
        vat_category=REVERSE_CHARGE if invoice.reverse_charge else STANDARD_RATE,
        vat_exemption_code=REVERSE_CHARGE_EXEMPTION_CODE if invoice.reverse_charge else "",
        tax_note=invoice.tax_note,
        reason=invoice.reason,
        payment_terms=CANCELLATION_TERMS if cancels else PAYMENT_TERMS,
        cancels_number=cancels.number if cancels else "",
        cancels_issued_on=cancels.issued_on if cancels else None,
    )


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as a Factur-X (ZUGFeRD) hybrid: a PDF/A-3 for people with the EN 16931 XML for
    software inside, both made from one InvoiceDocument."""
    import facturx  # heavy, like WeasyPrint; only the workers that render need them
    from weasyprint import HTML

    from billing.einvoice import invoice_cii_xml

    document = invoice_document(invoice)
    # A German legal document: German dates and numbers whatever the caller's language.
    with translation.override("de"):
        html = render_to_string("billing/invoice.html", {"document": document})
    pdf = HTML(string=html).write_pdf(pdf_variant="pdf/a-3b")
    title = f"{'Stornorechnung' if document.is_cancellation else 'Rechnung'} {document.number}"
    return facturx.generate_from_binary(
        pdf, invoice_cii_xml(document), flavor="factur-x", level="en16931", check_xsd=True,
        lang="de-DE", pdf_metadata={"author": document.seller.name, "keywords": "Factur-X, ZUGFeRD",
                                    "title": title, "subject": title},
    )


def invoice_xml(invoice: Invoice) -> bytes:
    """The XML embedded in the invoice's stored PDF: exactly what the merchant received."""
    import facturx

    with invoice.pdf.open("rb") as pdf:
        _filename, xml = facturx.get_xml_from_pdf(pdf.read(), check_xsd=False)
    return xml


def invoice_email(invoice: Invoice, pdf: bytes) -> EmailMessage:
    context = {"invoice": invoice, "document": invoice_document(invoice),
               "company": invoice.merchant.company, "operator": settings.BILLING_OPERATOR}
    with translation.override(settings.LANGUAGE_CODE):
        subject = (_("Your Stammkunde cancellation invoice %(number)s") if invoice.is_cancellation
                   else _("Your Stammkunde invoice %(number)s")) % {"number": invoice.number}
        body = render_to_string("billing/email/invoice.txt", context)
    message = EmailMessage(subject=subject, body=body, to=[context["company"].billing_email],
                           reply_to=[settings.BILLING_OPERATOR["email"]])
    message.attach(f"{invoice.number}.pdf", pdf, "application/pdf")
    return message
