"""Factur-X / ZUGFeRD / XRechnung: find the XML invoice embedded in a PDF and read its key facts.

The XML is parsed with lxml, without network access, DTDs or entity expansion. Only what the case
file needs is read here (number, dates, total, currency, parties); validation against the schemas is
the job of a later stage.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pikepdf
from lxml import etree

# File names the Factur-X, ZUGFeRD (1.0 and 2.x) and XRechnung specifications give the embedded XML.
XML_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")  # compared lower-case

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def read_from_pdf(pdf: pikepdf.Pdf) -> dict[str, Any] | None:
    try:
        names = list(pdf.attachments.keys())
    except (pikepdf.PdfError, KeyError, TypeError, ValueError):
        return None
    for name in names:
        if name.lower() in XML_NAMES:
            try:
                data = pdf.attachments[name].get_file().read_bytes()
            except (pikepdf.PdfError, KeyError, ValueError):
                return {"xml_name": name, "error": "embedded XML cannot be read"}
            facts = read_xml(data)
            facts["xml_name"] = name
            facts["xml"] = data.decode("utf-8", "replace")
            return facts
    return None


def _first(root, xpath: str) -> str | None:
    found = root.xpath(xpath)
    if not found:
        return None
    value = found[0] if isinstance(found[0], str) else found[0].text
    return value.strip() if value else None


def _date(value: str | None) -> str | None:
    if value and len(value) >= 8 and value[:8].isdigit():
        try:
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8])).isoformat()
        except ValueError:
            return None
    return None


def read_xml(data: bytes) -> dict[str, Any]:
    """Key facts of a CII (Factur-X / ZUGFeRD 2) or ZUGFeRD 1 invoice. Missing facts are left out."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as err:
        return {"error": f"embedded XML is not well-formed: {err}"}
    ln = "local-name()"
    facts: dict[str, Any] = {
        "number": _first(root, f"//*[{ln}='ExchangedDocument' or {ln}='HeaderExchangedDocument']/*[{ln}='ID']"),
        "type_code": _first(root, f"//*[{ln}='ExchangedDocument' or {ln}='HeaderExchangedDocument']/*[{ln}='TypeCode']"),
        "date": _date(_first(root, f"//*[{ln}='ExchangedDocument' or {ln}='HeaderExchangedDocument']/*[{ln}='IssueDateTime']/*")),
        "due": _date(_first(root, f"//*[{ln}='SpecifiedTradePaymentTerms']/*[{ln}='DueDateDateTime']/*")),
        "currency": _first(root, f"//*[{ln}='InvoiceCurrencyCode']"),
        "total": _first(root, f"//*[{ln}='SpecifiedTradeSettlementHeaderMonetarySummation' or {ln}='SpecifiedTradeSettlementMonetarySummation']/*[{ln}='GrandTotalAmount']"),
        "due_payable": _first(root, f"//*[{ln}='SpecifiedTradeSettlementHeaderMonetarySummation' or {ln}='SpecifiedTradeSettlementMonetarySummation']/*[{ln}='DuePayableAmount']"),
        "seller": _first(root, f"//*[{ln}='SellerTradeParty']/*[{ln}='Name']"),
        "buyer": _first(root, f"//*[{ln}='BuyerTradeParty']/*[{ln}='Name']"),
        "profile": _first(root, f"//*[{ln}='GuidelineSpecifiedDocumentContextParameter']/*[{ln}='ID']"),
        "order": _first(root, f"//*[{ln}='BuyerOrderReferencedDocument']/*[{ln}='IssuerAssignedID']"),
        "seller_vat": _first(root, f"//*[{ln}='SellerTradeParty']/*[{ln}='SpecifiedTaxRegistration']/*[{ln}='ID']"),
        "buyer_vat": _first(root, f"//*[{ln}='BuyerTradeParty']/*[{ln}='SpecifiedTaxRegistration']/*[{ln}='ID']"),
        "payment_terms": _first(root, f"//*[{ln}='SpecifiedTradePaymentTerms']/*[{ln}='Description']"),
    }
    notes = [n.text.strip() for n in root.xpath(f"//*[{ln}='IncludedNote']/*[{ln}='Content']") if n.text and n.text.strip()]
    if notes:
        facts["notes"] = "\n".join(notes)
    return {k: v for k, v in facts.items() if v}
