"""Every invoice and cancellation is a Factur-X hybrid: a PDF/A-3 with its EN 16931 CII XML inside,
which passes the Factur-X XSD and CEN's validation rules and says what the PDF prints."""
import io
import re
import subprocess
from decimal import Decimal

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from billing.einvoice import NAMESPACES
from billing.services import invoice_cancel, invoice_create_for_month, invoice_pdf_render
from billing.tests.conftest import MAY, sent
from tests.support import en16931

pytestmark = pytest.mark.django_db

VALID_AUSTRIAN_VAT_ID = "ATU13585627"
SETTLEMENT = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
TOTALS = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
# The label each total has on the PDF, and the element (business term) it is in the XML.
PRINTED_TOTALS = {
    "Nettobetrag / Net": f"{TOTALS}/ram:TaxBasisTotalAmount",  # BT-109
    "USt. / VAT": f"{TOTALS}/ram:TaxTotalAmount",  # BT-110
    "Gesamtbetrag / Total": f"{TOTALS}/ram:GrandTotalAmount",
}


def _pdf_text(pdf: bytes, *, layout: bool = True) -> str:
    """The PDF's text: in its layout (a label and its amount on one line), or as running words."""
    options = ["-layout"] if layout else []
    text = subprocess.run(["pdftotext", *options, "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    return text if layout else " ".join(text.split())


def _euros(printed: str) -> Decimal:
    return Decimal(printed.replace(".", "").replace(",", "."))


def _printed_amount(text: str, label: str) -> Decimal:
    [amount] = re.findall(rf"{label}[^\n]*?(-?[\d.]+,\d\d) €", text)
    return _euros(amount)


def _value(xml: etree._Element, path: str) -> str:
    [node] = xml.xpath(path, namespaces=NAMESPACES)
    return node.text


def _invoices(case: str, alice, billable) -> list:
    if case == "germany":
        billable(alice, terminals=5)
    else:
        billable(alice, terminals=5, country="AT", vat_id=VALID_AUSTRIAN_VAT_ID)
    invoice = sent(invoice_create_for_month(merchant=alice, month=MAY))
    cancellation = invoice_cancel(invoice=invoice, reason="Falsche Terminalanzahl", actor=None)
    again = invoice_create_for_month(merchant=alice, month=MAY)
    return [invoice_pdf_render(invoice=each) for each in (invoice, cancellation, again)]


@pytest.mark.parametrize("case", ["germany", "reverse charge"])
def test_every_invoice_and_cancellation_carries_a_valid_en16931_xml_that_says_what_the_pdf_prints(
        case, alice, billable):
    invoices = _invoices(case, alice, billable)

    for invoice in invoices:
        pdf = invoice.pdf.read()
        filename, xml_bytes = facturx.get_xml_from_pdf(pdf, check_xsd=False)
        assert filename == "factur-x.xml"
        assert facturx.xml_check_xsd(xml_bytes, flavor="factur-x", level="en16931")
        assert en16931.fatal_failures(xml_bytes) == [], invoice.number
        xml = etree.fromstring(xml_bytes)
        text, words = _pdf_text(pdf), _pdf_text(pdf, layout=False)

        assert _value(xml, "//rsm:ExchangedDocument/ram:ID") == invoice.number in text
        assert _value(xml, "//rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString") == (
            invoice.issued_on.strftime("%Y%m%d"))
        assert f"{invoice.issued_on:%d.%m.%Y}" in text
        for label, path in PRINTED_TOTALS.items():
            assert Decimal(_value(xml, path)) == _printed_amount(text, label), (invoice.number, label)
        assert Decimal(_value(xml, f"{TOTALS}/ram:DuePayableAmount")) == Decimal(abs(invoice.gross_cents)) / 100
        [line] = xml.xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NAMESPACES)
        assert _value(line, ".//ram:SpecifiedTradeProduct/ram:Name") in words
        assert _value(line, ".//ram:BilledQuantity") == "5"
        assert f"{_value(line, './/ram:LineTotalAmount').replace('.', ',')} €" in text
        for party in ("SellerTradeParty", "BuyerTradeParty"):
            assert _value(xml, f"//ram:{party}/ram:Name") in words
            for vat_id in xml.xpath(f"//ram:{party}/ram:SpecifiedTaxRegistration/ram:ID/text()",
                                    namespaces=NAMESPACES):
                assert vat_id in words
        vat_ids = xml.xpath("//ram:SpecifiedTaxRegistration/ram:ID/text()", namespaces=NAMESPACES)
        assert len(vat_ids) == (2 if case == "reverse charge" else 1)


def test_the_invoice_is_a_pdf_a_3_with_the_factur_x_metadata_for_the_en16931_profile(alice, billable):
    billable(alice, terminals=2)
    invoice = invoice_pdf_render(invoice=invoice_create_for_month(merchant=alice, month=MAY))

    reader = PdfReader(io.BytesIO(invoice.pdf.read()))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    [attachment] = reader.trailer["/Root"]["/AF"]

    assert re.search(r"pdfaid:part(>|=\")3", xmp) and re.search(r"pdfaid:conformance(>|=\")B", xmp)
    assert re.search(r"fx:ConformanceLevel(>|=\")EN 16931", xmp)
    assert re.search(r"fx:DocumentFileName(>|=\")factur-x.xml", xmp)
    assert attachment.get_object()["/AFRelationship"] == "/Data"


def test_a_cancellation_is_a_credit_note_that_references_the_original(alice, billable):
    billable(alice, terminals=5)
    invoice = sent(invoice_create_for_month(merchant=alice, month=MAY))
    cancellation = invoice_pdf_render(invoice=invoice_cancel(invoice=invoice, reason="Doppelt", actor=None))

    _filename, xml_bytes = facturx.get_xml_from_pdf(cancellation.pdf.read(), check_xsd=False)
    xml = etree.fromstring(xml_bytes)

    assert _value(xml, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert _value(xml, f"{SETTLEMENT}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == invoice.number
    assert _value(xml, f"{SETTLEMENT}/ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/"
                       "qdt:DateTimeString") == invoice.issued_on.strftime("%Y%m%d")
    # The amounts it takes off, positive: the type code says which way they go.
    assert _value(xml, f"{TOTALS}/ram:GrandTotalAmount") == "118.41"
    assert cancellation.gross_cents == -11841


def test_reverse_charge_names_both_vat_ids_the_exemption_and_zero_vat(alice, billable):
    billable(alice, terminals=5, country="AT", vat_id=VALID_AUSTRIAN_VAT_ID)
    invoice = invoice_pdf_render(invoice=invoice_create_for_month(merchant=alice, month=MAY))

    _filename, xml_bytes = facturx.get_xml_from_pdf(invoice.pdf.read(), check_xsd=False)
    xml = etree.fromstring(xml_bytes)

    assert _value(xml, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:CategoryCode") == "AE"
    assert _value(xml, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:ExemptionReasonCode") == "VATEX-EU-AE"
    assert _value(xml, f"{TOTALS}/ram:TaxTotalAmount") == "0.00"
    assert _value(xml, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == VALID_AUSTRIAN_VAT_ID


def test_the_rules_catch_an_invoice_whose_total_does_not_add_up(alice, billable):
    """The check that passes our invoices can fail: BR-CO-15, total = net + VAT."""
    billable(alice, terminals=5)
    invoice = invoice_pdf_render(invoice=invoice_create_for_month(merchant=alice, month=MAY))
    _filename, xml_bytes = facturx.get_xml_from_pdf(invoice.pdf.read(), check_xsd=False)

    broken = xml_bytes.replace(b"<ram:GrandTotalAmount>118.41<", b"<ram:GrandTotalAmount>120.00<")

    assert broken != xml_bytes
    assert "BR-CO-15" in {failure.rule for failure in en16931.fatal_failures(broken)}


def test_the_rules_kept_here_are_the_teams_shared_release():
    if not en16931.SHARED_RULES.is_file():
        pytest.skip(f"The shared copy of the EN 16931 rules is not beside this checkout ({en16931.SHARED_RULES}).")
    assert en16931.RULES.read_bytes() == en16931.SHARED_RULES.read_bytes()

