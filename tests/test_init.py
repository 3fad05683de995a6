"""recouvre-docs init: a case folder drafted from e-invoices whose [[invoice]] entries match their XML."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tomllib
from decimal import Decimal

import pikepdf
from lxml import etree

from conftest import RESOURCES
from test_evidence import UBL

from recouvre_docs.casefolder import load_case
from recouvre_docs.init import read_invoices


def test_init_from_invoices_matches_their_xml(tmp_path, cli):
    source = tmp_path / "inbox"
    source.mkdir()
    (source / "facture.pdf").write_bytes((RESOURCES / "facturx-basicwl.pdf").read_bytes())
    (source / "xrechnung.xml").write_bytes((RESOURCES / "xrechnung-cii.xml").read_bytes())
    (source / "rechnung.xml").write_bytes(UBL)
    (source / "notes.txt").write_text("not an invoice")
    before = {p.name: p.read_bytes() for p in source.iterdir()}

    case_dir = tmp_path / "new-case"
    result = cli("init", case_dir, "--from-invoices", source)
    assert result.exit_code == 0, result.stderr
    case = load_case(case_dir).case
    facts = {f["number"]: f for _, f in read_invoices(source)}
    assert sorted(inv.number for inv in case.invoice) == sorted(facts)
    for inv in case.invoice:
        f = facts[inv.number]
        assert inv.issued.isoformat() == f["date"]
        assert str(inv.amount) == f"{float(f.get('due_payable') or f['total']):.2f}"
        assert inv.currency == f.get("currency", "EUR")
        if f.get("due"):
            assert inv.due.isoformat() == f["due"]
        assert (case_dir / inv.file).read_bytes() in before.values()  # a copy of the original
    assert {p.name: p.read_bytes() for p in source.iterdir()} == before  # the originals are untouched
    text = (case_dir / "case.toml").read_text()
    assert "TO COMPLETE" in text  # the addresses the XML does not give

    # the check compares the draft with the e-invoices: no number, date or amount differs
    checked = cli("check", case_dir, "--procedure", "agency-handover", "--format", "json")
    subjects = [f["subject"] for f in json.loads(checked.stdout)["findings"] if f["code"] == "amount-mismatch"]
    assert not [s for s in subjects if s.rsplit(".", 1)[1] in ("number", "issued", "due", "amount", "currency")]


def test_init_never_overwrites_a_case(tmp_path, cli):
    (tmp_path / "case").mkdir()
    (tmp_path / "case" / "case.toml").write_text("schema = 1\n")
    result = cli("init", tmp_path / "case")
    assert result.exit_code == 6 and "already exists" in result.stderr
    assert (tmp_path / "case" / "case.toml").read_text() == "schema = 1\n"


# ----------------------------------------------------------------------------------------------
# init over real e-invoices of the corpus, compared with their XML read here independently


NS = {  # each format's own namespaces, so that the test does not share the reader's local-name() XPath
    "cii": {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
            "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
            "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"},
    "zf1": {"rsm": "urn:ferd:CrossIndustryDocument:invoice:1p0",
            "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12",
            "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15"},
    "cbfbuy": {"rsm": "urn:un:unece:uncefact:data:standard:CBFBUY:5"},
}
PATHS = {
    "cii": ("/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID",
            "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode",
            "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString",
            "//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString",
            "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:DuePayableAmount",
            "//ram:ApplicableHeaderTradeSettlement/ram:InvoiceCurrencyCode"),
    "zf1": ("/rsm:CrossIndustryDocument/rsm:HeaderExchangedDocument/ram:ID",
            "/rsm:CrossIndustryDocument/rsm:HeaderExchangedDocument/ram:TypeCode",
            "/rsm:CrossIndustryDocument/rsm:HeaderExchangedDocument/ram:IssueDateTime/udt:DateTimeString",
            "//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString",
            "//ram:ApplicableSupplyChainTradeSettlement/ram:SpecifiedTradeSettlementMonetarySummation/ram:DuePayableAmount",
            "//ram:ApplicableSupplyChainTradeSettlement/ram:InvoiceCurrencyCode"),
    "cbfbuy": ("/rsm:Invoice/rsm:HeaderExchangedDocument/ID", "/rsm:Invoice/rsm:HeaderExchangedDocument/TypeCode",
               "/rsm:Invoice/rsm:HeaderExchangedDocument/IssueDateTime",
               "//SpecifiedTradePaymentTerms/DueDateDateTime",
               "//ApplicableSupplyChainTradeSettlement/SpecifiedTradeSettlementMonetarySummation/DuePayableAmount",
               "//ApplicableSupplyChainTradeSettlement/InvoiceCurrencyCode"),
}


def _xml_of(path):
    if path.suffix == ".xml":
        return path.read_bytes()
    with pikepdf.open(path) as pdf:
        [name] = [n for n in pdf.attachments if n.lower().endswith(".xml")]
        return pdf.attachments[name].get_file().read_bytes()


def _expected(path):
    data = re.sub(rb"^\s*<\?xml[^>]*\?>", b"", _xml_of(path).lstrip(b"\xef\xbb\xbf"))  # one file declares "UTF-8-W/O-BOM"
    root = etree.fromstring(data)
    fmt = {"CrossIndustryInvoice": "cii", "CrossIndustryDocument": "zf1", "Invoice": "cbfbuy"}[etree.QName(root).localname]
    values = []
    for xpath in PATHS[fmt]:
        found = root.xpath(xpath, namespaces=NS[fmt])
        values.append((found[0].text or "").strip() if found else "")
    number, type_code, issued, due, amount, currency = values
    day = lambda s: dt.date(int(s[:4]), int(s[4:6]), int(s[6:8])) if s else None  # noqa: E731 - format 102
    return {"number": number, "type_code": type_code, "issued": day(issued), "due": day(due),
            "amount": Decimal(amount).quantize(Decimal("0.01")), "currency": currency}


def test_init_over_corpus_einvoices_matches_their_xml(tmp_path, cli):
    inbox = tmp_path / "inbox"
    shutil.copytree(RESOURCES / "einvoices", inbox)
    shutil.copyfile(RESOURCES / "damaged-unrepairable.pdf", inbox / "scan-abime.pdf")
    (inbox / "notes.txt").write_text("rappel : appeler le client")
    case_dir = tmp_path / "case"
    result = cli("init", case_dir, "--from-invoices", inbox)
    assert result.exit_code == 0, result.stderr
    text = (case_dir / "case.toml").read_text()
    drafted = {inv["file"].rsplit("/", 1)[1]: inv for inv in tomllib.loads(text).get("invoice", [])}
    lines = text.splitlines()
    for path in sorted((RESOURCES / "einvoices").iterdir()):
        want = _expected(path)
        if want["type_code"] == "381":  # a credit note: named, not drafted as an invoice
            assert path.name not in drafted
            assert any(line.startswith(f"# TO CHECK: evidence/factures/{path.name} is a credit note ({want['number']}")
                       for line in lines)
            continue
        inv = drafted[path.name]
        assert inv["number"] == want["number"], path.name
        assert inv["issued"] == want["issued"], path.name
        assert Decimal(str(inv["amount"])) == want["amount"], path.name
        block = text[text.index(f'number = "{want["number"]}"'):].split("\n\n")[0].splitlines()
        if want["due"]:
            assert inv["due"] == want["due"], path.name
        else:  # MINIMUM profile: no due date in the XML; the draft says so
            assert inv["due"] == want["issued"] and any(l.startswith("due = ") and "TO CHECK" in l for l in block)
        if want["currency"]:
            assert inv["currency"] == want["currency"], path.name
        else:  # RE-20151008/504: <InvoiceCurrencyCode/> is empty
            assert any(l.startswith('currency = "EUR"') and "TO CHECK: the e-invoice gives no currency" in l for l in block)
    # the files that could not be drafted are named, with the reason
    assert f"# TO CHECK: {inbox.as_posix()}/scan-abime.pdf could not be read (not a readable PDF" in text
    assert f"# TO CHECK: {inbox.as_posix()}/notes.txt is not an e-invoice" in text
    assert "read as UTF-8" in text  # the invoice whose XML declares an encoding that does not exist
    assert not (case_dir / "evidence" / "factures" / "scan-abime.pdf").exists()
