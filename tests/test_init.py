"""recouvre-docs init: a case folder drafted from e-invoices whose [[invoice]] entries match their XML."""

from __future__ import annotations

import json

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
