"""An :class:`~koffer.placements.xrechnung.document.Invoice` as UN/CEFACT CII D16B XML.

The element order follows the XML schema (``CrossIndustryInvoice_100pD16B.xsd``): CII
types are ``xsd:sequence``s, so an element in the wrong place makes the invoice invalid.
Optional business terms that are empty are left out rather than written as empty
elements, so that a missing mandatory value shows up as the official rule that demands
it (for example BR-DE-7 for the seller's e-mail address).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree

from koffer.placements.xrechnung.document import (
    BUSINESS_PROCESS_ID,
    GUIDELINE_ID,
    Address,
    Invoice,
    InvoiceLine,
    Period,
    money,
)

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}

_RAM = f"{{{RAM}}}"
_UDT = f"{{{UDT}}}"
_QDT = f"{{{QDT}}}"


def build_cii(invoice: Invoice) -> bytes:
    """The invoice as XRechnung 3.0 CII XML (UTF-8, with XML declaration)."""
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    _context(etree.SubElement(root, f"{{{RSM}}}ExchangedDocumentContext"))
    _document(etree.SubElement(root, f"{{{RSM}}}ExchangedDocument"), invoice)
    transaction = etree.SubElement(root, f"{{{RSM}}}SupplyChainTradeTransaction")
    for line in invoice.lines:
        _line(transaction, line, invoice.exemption.category)
    _agreement(_sub(transaction, "ApplicableHeaderTradeAgreement"), invoice)
    _sub(transaction, "ApplicableHeaderTradeDelivery")
    _settlement(_sub(transaction, "ApplicableHeaderTradeSettlement"), invoice)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    """A ram: child element, with text if given."""
    element = etree.SubElement(parent, _RAM + name)
    if text is not None:
        element.text = text
    return element


def _opt(parent: etree._Element, name: str, text: str) -> None:
    """A ram: child element only if there is something to put in it."""
    if text:
        _sub(parent, name, text)


def _amount(value: Decimal) -> str:
    return f"{money(value):f}"


def _quantity(value: Decimal) -> str:
    # normalize() drops trailing zeros ("28.000" -> "28"); "f" never writes an exponent.
    return f"{value.normalize():f}" if value else "0"


def _date(parent: etree._Element, name: str, day: date, *, qualified: bool = False) -> None:
    wrapper = _sub(parent, name)
    element = etree.SubElement(wrapper, (_QDT if qualified else _UDT) + "DateTimeString")
    element.set("format", "102")
    element.text = day.strftime("%Y%m%d")


def _period(parent: etree._Element, period: Period) -> None:
    element = _sub(parent, "BillingSpecifiedPeriod")
    _date(element, "StartDateTime", period.start)
    _date(element, "EndDateTime", period.end)


def _context(context: etree._Element) -> None:
    _sub(
        _sub(context, "BusinessProcessSpecifiedDocumentContextParameter"), "ID", BUSINESS_PROCESS_ID
    )
    _sub(_sub(context, "GuidelineSpecifiedDocumentContextParameter"), "ID", GUIDELINE_ID)


def _document(document: etree._Element, invoice: Invoice) -> None:
    _sub(document, "ID", invoice.number)
    _sub(document, "TypeCode", str(invoice.type_code))
    _date(document, "IssueDateTime", invoice.issue_date)
    for note in invoice.notes:
        _sub(_sub(document, "IncludedNote"), "Content", note)


def _tax_category(parent: etree._Element, category: str) -> None:
    tax = _sub(parent, "ApplicableTradeTax")
    _sub(tax, "TypeCode", "VAT")
    _sub(tax, "CategoryCode", category)
    _sub(tax, "RateApplicablePercent", "0")


def _price(value: Decimal) -> str:
    """BT-146: cents, or the exact fraction of a per-line rounded share (no exponent)."""
    return f"{money(value):f}" if value == money(value) else f"{value.normalize():f}"


def _line(transaction: etree._Element, line: InvoiceLine, category: str) -> None:
    item = _sub(transaction, "IncludedSupplyChainTradeLineItem")
    document = _sub(item, "AssociatedDocumentLineDocument")
    _sub(document, "LineID", line.line_id)
    if line.note:
        _sub(_sub(document, "IncludedNote"), "Content", line.note)
    product = _sub(item, "SpecifiedTradeProduct")
    _sub(product, "Name", line.name)
    _opt(product, "Description", line.description)
    agreement = _sub(item, "SpecifiedLineTradeAgreement")
    _sub(_sub(agreement, "NetPriceProductTradePrice"), "ChargeAmount", _price(line.net_price))
    delivery = _sub(item, "SpecifiedLineTradeDelivery")
    _sub(delivery, "BilledQuantity", _quantity(line.quantity)).set("unitCode", str(line.unit))
    settlement = _sub(item, "SpecifiedLineTradeSettlement")
    _tax_category(settlement, category)
    if line.period is not None:
        _period(settlement, line.period)
    summation = _sub(settlement, "SpecifiedTradeSettlementLineMonetarySummation")
    _sub(summation, "LineTotalAmount", _amount(line.net_amount))


def _address(party: etree._Element, address: Address) -> None:
    element = _sub(party, "PostalTradeAddress")
    _opt(element, "PostcodeCode", address.postcode)
    _opt(element, "LineOne", address.street)
    _opt(element, "LineTwo", address.additional_line)
    _opt(element, "CityName", address.city)
    _sub(element, "CountryID", address.country)


def _electronic_address(party: etree._Element, value: str, scheme: str) -> None:
    if value:
        communication = _sub(party, "URIUniversalCommunication")
        _sub(communication, "URIID", value).set("schemeID", scheme)


def _agreement(agreement: etree._Element, invoice: Invoice) -> None:
    _opt(agreement, "BuyerReference", invoice.buyer_reference)

    seller = invoice.seller
    party = _sub(agreement, "SellerTradeParty")
    _sub(party, "Name", seller.name)
    _opt(party, "Description", seller.legal_info)
    if seller.legal_registration_id:
        _sub(_sub(party, "SpecifiedLegalOrganization"), "ID", seller.legal_registration_id)
    contact = seller.contact
    if contact.name or contact.phone or contact.email:
        trade_contact = _sub(party, "DefinedTradeContact")
        _opt(trade_contact, "PersonName", contact.name)
        if contact.phone:
            _sub(
                _sub(trade_contact, "TelephoneUniversalCommunication"),
                "CompleteNumber",
                contact.phone,
            )
        if contact.email:
            _sub(_sub(trade_contact, "EmailURIUniversalCommunication"), "URIID", contact.email)
    _address(party, seller.address)
    _electronic_address(party, seller.electronic_address.value, seller.electronic_address.scheme)
    for scheme, value in (("VA", seller.vat_id), ("FC", seller.tax_number)):
        if value:
            _sub(_sub(party, "SpecifiedTaxRegistration"), "ID", value).set("schemeID", scheme)

    buyer = invoice.buyer
    party = _sub(agreement, "BuyerTradeParty")
    _sub(party, "Name", buyer.name)
    _address(party, buyer.address)
    _electronic_address(party, buyer.electronic_address.value, buyer.electronic_address.scheme)

    basis = invoice.basis
    if basis.kostenzusage:
        _sub(_sub(agreement, "ContractReferencedDocument"), "IssuerAssignedID", basis.kostenzusage)
    if basis.leistungsnachweis_id:
        document = _sub(agreement, "AdditionalReferencedDocument")
        _sub(document, "IssuerAssignedID", basis.leistungsnachweis_id)
        _sub(document, "TypeCode", "916")  # supporting document (BG-24)
        _opt(document, "Name", basis.leistungsnachweis_title)
    if basis.belegung_id:
        document = _sub(agreement, "AdditionalReferencedDocument")
        _sub(document, "IssuerAssignedID", basis.belegung_id)
        _sub(document, "TypeCode", "130")  # invoiced object identifier (BT-18)


def _settlement(settlement: etree._Element, invoice: Invoice) -> None:
    totals = invoice.totals
    _opt(settlement, "PaymentReference", invoice.payment_reference or invoice.number)
    _sub(settlement, "InvoiceCurrencyCode", invoice.currency)

    payment = invoice.payment
    means = _sub(settlement, "SpecifiedTradeSettlementPaymentMeans")
    _sub(means, "TypeCode", payment.type_code)
    if payment.iban:
        account = _sub(means, "PayeePartyCreditorFinancialAccount")
        _sub(account, "IBANID", payment.iban)
        _opt(account, "AccountName", payment.account_name)
    if payment.bic:
        _sub(_sub(means, "PayeeSpecifiedCreditorFinancialInstitution"), "BICID", payment.bic)

    tax = _sub(settlement, "ApplicableTradeTax")
    _sub(tax, "CalculatedAmount", _amount(totals.tax))
    _sub(tax, "TypeCode", "VAT")
    _opt(tax, "ExemptionReason", invoice.exemption.reason)
    _sub(tax, "BasisAmount", _amount(totals.tax_basis))
    _sub(tax, "CategoryCode", invoice.exemption.category)
    _opt(tax, "ExemptionReasonCode", invoice.exemption.reason_code)
    _sub(tax, "RateApplicablePercent", "0")

    _period(settlement, invoice.period)

    if invoice.payment_terms or invoice.due_date is not None:
        terms = _sub(settlement, "SpecifiedTradePaymentTerms")
        _opt(terms, "Description", invoice.payment_terms)
        if invoice.due_date is not None:
            _date(terms, "DueDateDateTime", invoice.due_date)

    summation = _sub(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    _sub(summation, "LineTotalAmount", _amount(totals.line_total))
    _sub(summation, "TaxBasisTotalAmount", _amount(totals.tax_basis))
    _sub(summation, "TaxTotalAmount", _amount(totals.tax)).set("currencyID", invoice.currency)
    _sub(summation, "GrandTotalAmount", _amount(totals.grand_total))
    if totals.prepaid:
        _sub(summation, "TotalPrepaidAmount", _amount(totals.prepaid))
    _sub(summation, "DuePayableAmount", _amount(totals.due_payable))

    preceding = invoice.preceding_invoice
    if preceding is not None:
        reference = _sub(settlement, "InvoiceReferencedDocument")
        _sub(reference, "IssuerAssignedID", preceding.number)
        if preceding.issue_date is not None:
            _date(reference, "FormattedIssueDateTime", preceding.issue_date, qualified=True)
