"""The invoice as the merchant gets it: a PDF that renders, sent once to the billing e-mail."""
import subprocess

import pytest

from billing.services import (
    invoice_cancel,
    invoice_create_for_month,
    invoice_pdf_render,
    invoice_send,
)
from billing.tax import REVERSE_CHARGE_NOTE
from billing.templatetags.billing_format import euro
from billing.tests.conftest import MAY, sent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("cents", "text"), [
    (0, "0,00 €"), (5, "0,05 €"), (123456, "1.234,56 €"), (142086, "1.420,86 €"),
    (123456789, "1.234.567,89 €"), (-11841, "-118,41 €"),
])
def test_cents_are_shown_the_german_way(cents, text):
    assert euro(cents) == text


def _pdf_text(path, *, layout: bool = True) -> str:
    options = ["-layout"] if layout else []
    return subprocess.run(["pdftotext", *options, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_invoice_pdf_renders_with_its_number_gross_amount_and_the_company(alice, billable, tmp_path):
    billable(alice, terminals=60, legal_name="Bäckerei Alice GmbH")
    invoice = invoice_create_for_month(merchant=alice, month=MAY)

    invoice = invoice_pdf_render(invoice=invoice)

    pdf = invoice.pdf.path
    subprocess.run(["pdftoppm", "-png", "-r", "60", pdf, str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages and pages[0].stat().st_size > 0
    text = _pdf_text(pdf)
    assert invoice.number in text
    assert invoice.gross_cents == 142086
    assert "1.420,86 €" in text
    assert "Bäckerei Alice GmbH" in text
    assert "01.05.2026 – 31.05.2026" in text  # the service period
    assert REVERSE_CHARGE_NOTE not in text
    assert invoice.pdf.name == f"invoices/{invoice.year}/{invoice.number}.pdf"


def test_reverse_charge_invoice_pdf_carries_the_note_and_the_customers_vat_id(alice, billable):
    billable(alice, terminals=5, country="AT", vat_id="ATU13585627")
    invoice = invoice_pdf_render(invoice=invoice_create_for_month(merchant=alice, month=MAY))

    text = _pdf_text(invoice.pdf.path)

    assert "Steuerschuldnerschaft des Leistungsempfängers" in text
    assert "ATU13585627" in text
    assert "99,50 €" in text


def test_cancellation_pdf_names_the_invoice_it_cancels(alice, billable):
    billable(alice, terminals=5)
    invoice = sent(invoice_create_for_month(merchant=alice, month=MAY))
    note = invoice_pdf_render(invoice=invoice_cancel(invoice=invoice, reason="Doppelt berechnet", actor=None))

    text = _pdf_text(note.pdf.path)

    assert "Stornorechnung" in text and "Gutschrift" not in text
    assert note.number in text
    assert f"Stornierte Rechnung / Cancelled invoice {invoice.number} vom {invoice.issued_on:%d.%m.%Y}" in " ".join(
        _pdf_text(note.pdf.path, layout=False).split())
    assert "118,41 €" in text and "-118,41 €" not in text  # the amount taken off, stated once


def test_rendering_twice_keeps_the_first_pdf(alice, billable):
    billable(alice)
    invoice = invoice_pdf_render(invoice=invoice_create_for_month(merchant=alice, month=MAY))
    first_name = invoice.pdf.name

    again = invoice_pdf_render(invoice=invoice)

    assert again.pdf.name == first_name
    assert len(list(invoice.pdf.storage.listdir(f"invoices/{invoice.year}")[1])) == 1


def test_invoice_is_emailed_once_to_the_billing_address_with_the_pdf_attached(alice, billable, mailoutbox):
    billable(alice, terminals=5)
    invoice = invoice_create_for_month(merchant=alice, month=MAY)

    sent = invoice_send(invoice=invoice)
    sent_again = invoice_send(invoice=invoice)

    assert (sent, sent_again) == (True, False)
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["billing@alice.example"]
    assert invoice.number in message.subject
    assert "118,41 €" in message.body
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == (f"{invoice.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    invoice.refresh_from_db()
    assert invoice.status == "open"
    assert invoice.pdf


def test_a_failing_mail_server_leaves_the_invoice_a_draft_for_the_retry(alice, billable, mailoutbox, monkeypatch):
    from django.core.mail import EmailMessage

    billable(alice)
    invoice = invoice_create_for_month(merchant=alice, month=MAY)

    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(EmailMessage, "send", refuse)
    with pytest.raises(ConnectionRefusedError):
        invoice_send(invoice=invoice)

    invoice.refresh_from_db()
    assert invoice.status == "draft"
    assert mailoutbox == []
