"""`recouvre-docs init`: a new case folder with a commented case.toml, drafted from e-invoices if given.

With --from-invoices DIR, every e-invoice of DIR (a Factur-X / ZUGFeRD PDF or an XRechnung / UBL /
CII XML file) is read with the same reader as the evidence (einvoice.py), copied into
CASE_DIR/evidence/factures/ (the originals are never touched), and becomes an [[invoice]] whose number,
dates, amount and currency are those of its XML; the seller and buyer become the creditor and the
debtor. What the XML does not give is left for the user, marked "TO COMPLETE" or "TO CHECK"; so is
every file of DIR that could not be drafted (an unreadable PDF or XML, a file that is no e-invoice),
with the reason: nothing of DIR is left out silently.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pikepdf

from . import casefolder
from .errors import CaseFileError, OutputError
from .evidence import einvoice, sniff


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def read_invoices(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    return scan(folder)[0]


def scan(folder: Path) -> tuple[list[tuple[Path, dict[str, Any]]], list[tuple[Path, str]]]:
    """(the e-invoices of ``folder`` with their facts, every other file with why it is not drafted)."""
    found, other = [], []
    for path in sorted(casefolder._walk(folder)):  # discovery's rules: no hidden files, litter or lock files
        head = path.read_bytes()[:2048]
        kind = sniff(path, head)
        facts = None
        if kind == "pdf":
            try:
                with pikepdf.open(path) as pdf:
                    facts = einvoice.read_from_pdf(pdf)
            except pikepdf.PasswordError:
                other.append((path, "could not be read (the PDF is encrypted)"))
                continue
            except pikepdf.PdfError as err:
                other.append((path, f"could not be read (not a readable PDF: {str(err).splitlines()[0][-120:]})"))
                continue
        elif kind == "einvoice-xml":
            facts = einvoice.read_xml(path.read_bytes())
        if facts and facts.get("number") and not facts.get("error"):
            found.append((path, facts))
        elif facts:
            other.append((path, f"could not be read ({facts.get('error') or 'its e-invoice XML gives no invoice number'})"))
        else:
            other.append((path, "is not an e-invoice (no Factur-X, ZUGFeRD, XRechnung or UBL data): not drafted"))
    return found, other


def _amount(facts: dict[str, Any]) -> Decimal | None:
    for key in ("due_payable", "total"):
        try:
            return Decimal(facts[key]).quantize(Decimal("0.01"))
        except (KeyError, InvalidOperation, TypeError):
            continue
    return None


def draft(case_dir: Path, invoices: list[tuple[Path, dict[str, Any]]], *, reference: str, language: str,
          not_drafted: list[tuple[str, str]] = ()) -> str:
    sellers = Counter(f.get("seller") for _, f in invoices if f.get("seller"))
    buyers = Counter(f.get("buyer") for _, f in invoices if f.get("buyer"))
    seller = sellers.most_common(1)[0][0] if sellers else None
    buyer = buyers.most_common(1)[0][0] if buyers else None
    seller_vat = next((f.get("seller_vat") for _, f in invoices if f.get("seller") == seller and f.get("seller_vat")), None)
    buyer_vat = next((f.get("buyer_vat") for _, f in invoices if f.get("buyer") == buyer and f.get("buyer_vat")), None)
    lines = [
        "# Case file drafted by recouvre-docs init. Complete every TO COMPLETE, check every TO CHECK,",
        "# then run: recouvre-docs check . (see the README for every key).",
        "schema = 1",
        "",
        "[case]",
        f"reference = {_toml_str(reference)}",
        '# procedure = "fr-injonction-de-payer"   # recouvre-docs procedures lists them',
        f"language = {_toml_str(language)}",
        "",
        "[creditor]",
        f"name = {_toml_str(seller or 'TO COMPLETE: the creditor (seller)')}",
        'address = ["TO COMPLETE: street", "TO COMPLETE: postcode and city"]',
        *( [f"vat = {_toml_str(seller_vat)}"] if seller_vat else []),
        "",
        "[debtor]",
        f"name = {_toml_str(buyer or 'TO COMPLETE: the debtor (buyer)')}",
        'address = ["TO COMPLETE: street", "TO COMPLETE: postcode and city"]',
        *( [f"vat = {_toml_str(buyer_vat)}"] if buyer_vat else []),
        "consumer = false",
        "# sole_trader = true                  # a person trading in its own name: business rules, individual letters",
    ]
    if len(sellers) > 1 or len(buyers) > 1:
        lines.insert(3, "# TO CHECK: the invoices name several sellers or buyers; the most frequent are used below.")
    seen: set[str] = set()
    for target, facts in invoices:
        rel = target.relative_to(case_dir).as_posix()
        amount = _amount(facts)
        if str(facts.get("type_code")) in einvoice.CREDIT_NOTE_CODES or (amount is not None and amount <= 0):
            lines += ["", f"# TO CHECK: {rel} is a credit note ({facts['number']}, {amount} {facts.get('currency', '')}):",
                      "# not drafted as an invoice; deduct it as a [[payment]] if it reduces the debt."]
            continue
        if facts["number"] in seen:
            lines += ["", f"# TO CHECK: {rel} repeats invoice number {facts['number']}: not drafted twice."]
            continue
        seen.add(facts["number"])
        issued = facts.get("date")
        due = facts.get("due")
        lines += ["", "[[invoice]]", f"number = {_toml_str(facts['number'])}"]
        lines.append(f"issued = {issued}" if issued else "issued = 1970-01-01  # TO COMPLETE: the e-invoice gives no issue date")
        lines.append(f"due = {due}" if due else f"due = {issued or '1970-01-01'}  # TO CHECK: the e-invoice gives no due date")
        lines.append(f"amount = {amount}" if amount is not None else "amount = 0.00  # TO COMPLETE: the e-invoice gives no total")
        lines.append(f"currency = {_toml_str(facts['currency'])}" if facts.get("currency")
                     else 'currency = "EUR"  # TO CHECK: the e-invoice gives no currency')
        lines.append(f"file = {_toml_str(rel)}")
        if facts.get("read_note"):
            lines.append(f"# TO CHECK: {rel}: {facts['read_note']}")
    if not_drafted:
        lines += ["", "# Files of the invoices folder not drafted (not copied into evidence/):"]
        lines += [f"# TO CHECK: {name} {reason}" for name, reason in not_drafted]
    return "\n".join(lines) + "\n"


def run(case_dir: Path | str, *, from_invoices: Path | None = None, language: str = "fr",
        reference: str | None = None) -> Path:
    case_dir = Path(case_dir)
    toml = case_dir / casefolder.CASE_FILE
    if toml.exists():
        raise OutputError(f"{toml} already exists: init never overwrites a case file",
                          hint="Choose a new folder, or edit the existing case.toml.")
    invoices: list[tuple[Path, dict[str, Any]]] = []
    not_drafted: list[tuple[str, str]] = []
    if from_invoices is not None:
        found, other = scan(Path(from_invoices))
        if not found:
            unread = "".join(f"\n  {path}: {reason}" for path, reason in other[:20])
            raise CaseFileError(f"no e-invoice (Factur-X, ZUGFeRD, XRechnung, UBL) found in {from_invoices}{unread}",
                                hint="Point --from-invoices at the folder of the invoices' PDF or XML files.")
        not_drafted = [(p.as_posix(), reason) for p, reason in other]
        target_dir = case_dir / casefolder.EVIDENCE_DIR / "factures"
        target_dir.mkdir(parents=True, exist_ok=True)
        used: set[str] = set()
        for path, facts in found:
            name = path.name
            stem, n = path.stem, 2
            while name in used:
                name, n = f"{stem}-{n}{path.suffix}", n + 1
            used.add(name)
            shutil.copyfile(path, target_dir / name)  # the originals are read, never moved or changed
            invoices.append((target_dir / name, facts))
        invoices.sort(key=lambda item: (item[1].get("date") or "", item[1]["number"]))
    else:
        (case_dir / casefolder.EVIDENCE_DIR).mkdir(parents=True, exist_ok=True)
    text = draft(case_dir, invoices, reference=reference or _reference(case_dir), language=language,
                 not_drafted=not_drafted)
    tmp = toml.with_suffix(".toml.tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(toml)
    casefolder.load_case(case_dir)  # the draft is a valid case file (a bug otherwise: exit 3 says where)
    return toml


def _reference(case_dir: Path) -> str:
    import re

    name = re.sub(r"[^A-Za-z0-9._ -]+", "-", case_dir.resolve().name).strip("-. ") or "CASE"
    return name[:80]


__all__ = ["run", "draft", "read_invoices", "scan"]
