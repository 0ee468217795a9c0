"""The EN 16931 e-invoice in UN/CEFACT CII syntax (the XML inside Factur-X and ZUGFeRD), built
with lxml from the same InvoiceDocument the PDF is rendered from.

Built here rather than through a library's data model: our invoices have one kind of line and two
VAT cases, so the whole mapping fits on a page, each element beside the business term (BT-…) of
EN 16931 it carries, and lxml (which we have anyway) escapes every value. The `factur-x` package
embeds it in the PDF and checks it against the Factur-X XSD; the tests also run CEN's own
validation rules over it."""
from decimal import Decimal

from lxml import etree

from billing.documents import UNIT_CODE, InvoiceDocument, Party

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NAMESPACES = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
EN16931_PROFILE = "urn:cen.eu:en16931:2017"
CURRENCY = "EUR"


def _element(parent, tag: str, text: str | None = None, **attributes) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NAMESPACES[prefix]}}}{name}", attributes)
    if text is not None:
        element.text = text
    return element


def _amount(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


def _date(parent, tag: str, day, qualified: bool = False) -> None:
    wrapper = _element(parent, tag)
    _element(wrapper, "qdt:DateTimeString" if qualified else "udt:DateTimeString",
             day.strftime("%Y%m%d"), format="102")


def _party(parent, tag: str, party: Party) -> None:
    node = _element(parent, tag)
    _element(node, "ram:Name", party.name)  # BT-27 / BT-44
    if party.register:
        _element(node, "ram:Description", party.register)  # BT-33: the seller's legal information
    address = _element(node, "ram:PostalTradeAddress")
    _element(address, "ram:PostcodeCode", party.postcode)  # BT-38 / BT-53
    _element(address, "ram:LineOne", party.street)  # BT-35 / BT-50
    _element(address, "ram:CityName", party.city)  # BT-37 / BT-52
    _element(address, "ram:CountryID", party.country)  # BT-40 / BT-55
    if party.email:
        email = _element(node, "ram:URIUniversalCommunication")
        _element(email, "ram:URIID", party.email, schemeID="EM")  # BT-34 / BT-49
    if party.vat_id:
        registration = _element(node, "ram:SpecifiedTaxRegistration")
        _element(registration, "ram:ID", party.vat_id, schemeID="VA")  # BT-31 / BT-48


def _tax(parent, document: InvoiceDocument, *, header: bool, basis_cents: int = 0) -> None:
    """BG-23 (header, with the amounts) or BG-30 (a line's VAT)."""
    tax = _element(parent, "ram:ApplicableTradeTax")
    if header:
        _element(tax, "ram:CalculatedAmount", _amount(document.vat_cents))  # BT-117
    _element(tax, "ram:TypeCode", "VAT")
    if header and document.vat_exemption_code:
        _element(tax, "ram:ExemptionReason", document.tax_note)  # BT-120
    if header:
        _element(tax, "ram:BasisAmount", _amount(basis_cents))  # BT-116
    _element(tax, "ram:CategoryCode", document.vat_category)  # BT-118 / BT-151
    if header and document.vat_exemption_code:
        _element(tax, "ram:ExemptionReasonCode", document.vat_exemption_code)  # BT-121
    _element(tax, "ram:RateApplicablePercent", f"{document.vat_rate_percent:.2f}")  # BT-119 / BT-152


def invoice_cii_xml(document: InvoiceDocument) -> bytes:
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NAMESPACES)
    context = _element(root, "rsm:ExchangedDocumentContext")
    _element(_element(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID",
             EN16931_PROFILE)  # BT-24

    exchanged = _element(root, "rsm:ExchangedDocument")
    _element(exchanged, "ram:ID", document.number)  # BT-1
    _element(exchanged, "ram:TypeCode", document.type_code)  # BT-3
    _date(exchanged, "ram:IssueDateTime", document.issued_on)  # BT-2
    for note in (document.tax_note, f"Grund / Reason: {document.reason}" if document.reason else ""):
        if note:
            _element(_element(exchanged, "ram:IncludedNote"), "ram:Content", note)  # BT-22

    transaction = _element(root, "rsm:SupplyChainTradeTransaction")
    for line in document.lines:  # BG-25
        item = _element(transaction, "ram:IncludedSupplyChainTradeLineItem")
        _element(_element(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID",
                 str(line.position))  # BT-126
        _element(_element(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.description)  # BT-153
        price = _element(_element(item, "ram:SpecifiedLineTradeAgreement"), "ram:NetPriceProductTradePrice")
        _element(price, "ram:ChargeAmount", _amount(line.unit_price_cents))  # BT-146
        _element(_element(item, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity",
                 str(line.quantity), unitCode=UNIT_CODE)  # BT-129, BT-130
        settlement = _element(item, "ram:SpecifiedLineTradeSettlement")
        _tax(settlement, document, header=False)
        summation = _element(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _element(summation, "ram:LineTotalAmount", _amount(line.amount_cents))  # BT-131

    agreement = _element(transaction, "ram:ApplicableHeaderTradeAgreement")
    _element(agreement, "ram:BuyerReference", document.customer_number)  # BT-10
    _party(agreement, "ram:SellerTradeParty", document.seller)
    _party(agreement, "ram:BuyerTradeParty", document.buyer)
    _element(transaction, "ram:ApplicableHeaderTradeDelivery")

    settlement = _element(transaction, "ram:ApplicableHeaderTradeSettlement")
    _element(settlement, "ram:InvoiceCurrencyCode", CURRENCY)  # BT-5
    _tax(settlement, document, header=True, basis_cents=document.net_cents)
    period = _element(settlement, "ram:BillingSpecifiedPeriod")  # BG-14
    _date(period, "ram:StartDateTime", document.period_start)  # BT-73
    _date(period, "ram:EndDateTime", document.period_end)  # BT-74
    _element(_element(settlement, "ram:SpecifiedTradePaymentTerms"), "ram:Description",
             document.payment_terms)  # BT-20
    totals = _element(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _element(totals, "ram:LineTotalAmount", _amount(sum(line.amount_cents for line in document.lines)))  # BT-106
    _element(totals, "ram:TaxBasisTotalAmount", _amount(document.net_cents))  # BT-109
    _element(totals, "ram:TaxTotalAmount", _amount(document.vat_cents), currencyID=CURRENCY)  # BT-110
    _element(totals, "ram:GrandTotalAmount", _amount(document.gross_cents))  # BT-112
    _element(totals, "ram:DuePayableAmount", _amount(document.gross_cents))  # BT-115
    if document.cancels_number:  # BG-3: the invoice this one cancels
        referenced = _element(settlement, "ram:InvoiceReferencedDocument")
        _element(referenced, "ram:IssuerAssignedID", document.cancels_number)  # BT-25
        _date(referenced, "ram:FormattedIssueDateTime", document.cancels_issued_on, qualified=True)  # BT-26
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
