"""Factur-X / ZUGFeRD / XRechnung: find the XML invoice embedded in a PDF and read its key facts.

The XML is parsed with lxml, without network access, DTDs or entity expansion. Only what the case
file needs is read here (number, dates, total, currency, parties); validation against the schemas is
the job of a later stage.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from typing import Any

import pikepdf
from lxml import etree

# UNTDID 1001 document codes of credit notes (EN 16931): 381 credit note, 261 self-billed credit note,
# 396 factored credit note, 532 forwarder's credit note.
CREDIT_NOTE_CODES = frozenset({"381", "261", "396", "532"})

# File names the Factur-X, ZUGFeRD (1.0 and 2.x) and XRechnung specifications give the embedded XML.
XML_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")  # compared lower-case

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
UBL_NAMESPACES = ("urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
                  "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2")
# The pre-release of ZUGFeRD 1 (2013-2014; Mustang's RE-…499 and 501): an <Invoice> root in this namespace,
# unprefixed children named as in ZUGFeRD 1, dates as text of IssueDateTime / DueDateDateTime.
CBFBUY_NAMESPACE = "urn:un:unece:uncefact:data:standard:CBFBUY:5"
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")


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
    if value and len(value) >= 10 and value[4] == "-" and value[7] == "-":  # UBL: 2024-05-01
        try:
            return dt.date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            return None
    if value and len(value) >= 8 and value[:8].isdigit():
        try:
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8])).isoformat()
        except ValueError:
            return None
    return None


def _parse(data: bytes) -> tuple[Any, str | None]:
    """(root, a note on how it was read). An XML declaration naming an encoding that does not exist
    (Mustang's "UTF-8-W/O-BOM") stops lxml: such a file is read again as the UTF-8 it is, and the
    facts say so. Any other syntax error is raised."""
    try:
        return etree.fromstring(data, _PARSER), None
    except etree.XMLSyntaxError:
        declared = _DECLARED.match(data)
        name = declared.group(1).decode("ascii", "replace") if declared else None
        if name is None or _known_encoding(name):
            raise
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise etree.XMLSyntaxError(f"the XML declares an unknown encoding ({name}) and is not UTF-8", None, 1, 1) from None
        body = text[text.index("?>") + 2:]
        return etree.fromstring(body.encode("utf-8"), _PARSER), f"the XML declares an unknown encoding ({name}); read as UTF-8"


def _known_encoding(name: str) -> bool:
    try:
        codecs.lookup(name)
        return True
    except LookupError:
        return False


def read_xml(data: bytes) -> dict[str, Any]:
    """Key facts of a CII (Factur-X / ZUGFeRD 2), ZUGFeRD 1 (and its pre-release) or UBL invoice.
    Missing facts are left out."""
    try:
        root, note = _parse(data)
    except etree.XMLSyntaxError as err:
        return {"error": f"embedded XML is not well-formed: {err}"}
    facts = _read(root)
    if note and facts:
        facts["read_note"] = note
    return facts


def _read(root) -> dict[str, Any]:
    ln = "local-name()"
    if etree.QName(root).namespace in UBL_NAMESPACES:
        return _read_ubl(root)
    head = f"//*[{ln}='ExchangedDocument' or {ln}='HeaderExchangedDocument']"
    facts: dict[str, Any] = {
        "number": _first(root, f"{head}/*[{ln}='ID']"),
        "type_code": _first(root, f"{head}/*[{ln}='TypeCode']"),
        # CII and ZUGFeRD 1: <IssueDateTime><DateTimeString>; the CBFBUY pre-release: the date as its text
        "date": _date(_first(root, f"{head}/*[{ln}='IssueDateTime']/*") or _first(root, f"{head}/*[{ln}='IssueDateTime']")),
        "due": _date(_first(root, f"//*[{ln}='SpecifiedTradePaymentTerms']/*[{ln}='DueDateDateTime']/*")
                     or _first(root, f"//*[{ln}='SpecifiedTradePaymentTerms']/*[{ln}='DueDateDateTime']")),
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
    lines = []
    for item in root.xpath(f"//*[{ln}='IncludedSupplyChainTradeLineItem']"):
        lines.append({
            "name": _first(item, f".//*[{ln}='SpecifiedTradeProduct']/*[{ln}='Name']"),
            "quantity": _first(item, f".//*[{ln}='BilledQuantity']"),
            "price": _first(item, f".//*[{ln}='NetPriceProductTradePrice']/*[{ln}='ChargeAmount']"),
            "total": _first(item, f".//*[{ln}='LineTotalAmount']"),
        })
    if lines:
        facts["lines"] = lines
    for key, xpath in (("tax_total", f"//*[{ln}='SpecifiedTradeSettlementHeaderMonetarySummation']/*[{ln}='TaxTotalAmount']"),
                       ("net_total", f"//*[{ln}='SpecifiedTradeSettlementHeaderMonetarySummation']/*[{ln}='TaxBasisTotalAmount']"),
                       ("seller_address", f"//*[{ln}='SellerTradeParty']/*[{ln}='PostalTradeAddress']"),
                       ("buyer_address", f"//*[{ln}='BuyerTradeParty']/*[{ln}='PostalTradeAddress']"),
                       ("iban", f"//*[{ln}='PayeePartyCreditorFinancialAccount']/*[{ln}='IBANID']")):
        found = root.xpath(xpath)
        if found:
            text = " ".join(t.strip() for t in found[0].itertext() if t.strip())
            if text:
                facts[key] = text
    notes = [n.text.strip() for n in root.xpath(f"//*[{ln}='IncludedNote']/*[{ln}='Content']") if n.text and n.text.strip()]
    if notes:
        facts["notes"] = "\n".join(notes)
    return {k: v for k, v in facts.items() if v}


def _read_ubl(root) -> dict[str, Any]:
    """Key facts of a UBL 2.1 invoice or credit note (XRechnung UBL, Peppol BIS)."""
    ln = "local-name()"
    f = lambda xpath: _first(root, xpath)  # noqa: E731
    facts: dict[str, Any] = {
        "number": f(f"/*/*[{ln}='ID']"),
        "type_code": f(f"/*/*[{ln}='InvoiceTypeCode' or {ln}='CreditNoteTypeCode']"),
        "date": _date(f(f"/*/*[{ln}='IssueDate']")),
        "due": _date(f(f"/*/*[{ln}='DueDate']") or f(f"//*[{ln}='PaymentMeans']/*[{ln}='PaymentDueDate']")),
        "currency": f(f"/*/*[{ln}='DocumentCurrencyCode']"),
        "total": f(f"//*[{ln}='LegalMonetaryTotal']/*[{ln}='TaxInclusiveAmount']"),
        "due_payable": f(f"//*[{ln}='LegalMonetaryTotal']/*[{ln}='PayableAmount']"),
        "net_total": f(f"//*[{ln}='LegalMonetaryTotal']/*[{ln}='TaxExclusiveAmount']"),
        "seller": f(f"//*[{ln}='AccountingSupplierParty']//*[{ln}='PartyLegalEntity']/*[{ln}='RegistrationName']")
        or f(f"//*[{ln}='AccountingSupplierParty']//*[{ln}='PartyName']/*[{ln}='Name']"),
        "buyer": f(f"//*[{ln}='AccountingCustomerParty']//*[{ln}='PartyLegalEntity']/*[{ln}='RegistrationName']")
        or f(f"//*[{ln}='AccountingCustomerParty']//*[{ln}='PartyName']/*[{ln}='Name']"),
        "seller_vat": f(f"//*[{ln}='AccountingSupplierParty']//*[{ln}='PartyTaxScheme']/*[{ln}='CompanyID']"),
        "buyer_vat": f(f"//*[{ln}='AccountingCustomerParty']//*[{ln}='PartyTaxScheme']/*[{ln}='CompanyID']"),
        "order": f(f"/*/*[{ln}='OrderReference']/*[{ln}='ID']"),
        "iban": f(f"//*[{ln}='PayeeFinancialAccount']/*[{ln}='ID']"),
        "profile": f(f"/*/*[{ln}='CustomizationID']"),
    }
    lines = []
    for item in root.xpath(f"/*/*[{ln}='InvoiceLine' or {ln}='CreditNoteLine']"):
        lines.append({
            "name": _first(item, f".//*[{ln}='Item']/*[{ln}='Name']"),
            "quantity": _first(item, f"./*[{ln}='InvoicedQuantity' or {ln}='CreditedQuantity']"),
            "price": _first(item, f".//*[{ln}='Price']/*[{ln}='PriceAmount']"),
            "total": _first(item, f"./*[{ln}='LineExtensionAmount']"),
        })
    if lines:
        facts["lines"] = lines
    return {k: v for k, v in facts.items() if v}
