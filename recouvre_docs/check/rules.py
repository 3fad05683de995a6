"""The named checks. Each is a small function over plain data (the case, its classified pieces, the
procedure's parameters) that returns findings; the procedure files say which run, with what
parameters and severities. Every rule cites its source; values come from the data files.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from .. import i18n
from ..models import Case, Piece
from ..resources import data_path
from .procedures import Procedure
from .report import Finding

# ----------------------------------------------------------------------------------------------
# What the checks look at


@dataclass
class PieceInfo:
    piece: Piece
    facts: dict[str, Any] = field(default_factory=dict)
    pdf: Path | None = None  # the converted PDF (cache), for its text
    error: str | None = None  # why it cannot be read
    hint: str | None = None
    _text: str | None = None
    _raw: str | None = None

    @property
    def einvoice(self) -> dict[str, Any]:
        return self.facts.get("einvoice") or {}

    def text(self) -> str:
        """The page text, lower-cased, accents removed ('' for a scan). Character for character as
        long as raw_text(), so that a match can be read back in the original spelling."""
        if self._text is None:
            self._text = normalize(self.raw_text())
        return self._text

    def raw_text(self) -> str:
        if self._raw is None:
            self._raw = ""
            if self.pdf is not None and self.pdf.is_file():
                from pypdf import PdfReader
                from pypdf.errors import PdfReadError

                try:
                    self._raw = " ".join((page.extract_text() or "") for page in PdfReader(str(self.pdf)).pages)
                except (PdfReadError, ValueError, KeyError, TypeError):  # a text layer pypdf cannot read
                    self._raw = ""
        return self._raw


def normalize(text: str) -> str:
    """Lower case without accents, one character for one (so that positions match the original)."""
    out = []
    for ch in text:
        if ch.isspace():
            out.append(" ")
            continue
        base = unicodedata.normalize("NFKD", ch)
        out.append((base[0] if base and not unicodedata.combining(base[0]) else ch).lower()[:1] or " ")
    return "".join(out)


def search(pattern: str, text: str) -> re.Match | None:
    """A pattern of textchecks.toml in normalized text: a space in the pattern matches any run of spaces."""
    return re.search(pattern.replace(" ", r"\s+"), text)


@dataclass
class Context:
    case: Case
    procedure: Procedure
    lang: str
    as_of: dt.date
    pieces: list[PieceInfo]
    findings: list[Finding] = field(default_factory=list)

    # -- findings ------------------------------------------------------------------------------
    def add(self, code: str, severity: str, subject: str, key: str, source: str, **params: Any) -> None:
        message = i18n.finding(self.lang, key, "message", **params)
        fix = i18n.finding(self.lang, key, "fix", **params)
        self.findings.append(Finding(code=code, severity=severity, subject=subject, message=message,
                                     source=source, fix=fix))

    # -- formatting in the case language -----------------------------------------------------
    def d(self, value: dt.date | None) -> str:
        return i18n.format_date(value, self.lang) if value else "?"

    def money(self, amount: Decimal, currency: str = "EUR") -> str:
        return i18n.format_money(amount, currency, self.lang)

    def kind(self, kind: str) -> str:
        """The kind's name inside a sentence ("un bon de livraison": lower case, but German nouns)."""
        label = i18n.kind_label(kind, self.lang)
        return label if self.lang == "de" else label[:1].lower() + label[1:]

    def either(self, items: list[str]) -> str:
        return i18n.join(items, self.lang, "or")

    def both(self, items: list[str]) -> str:
        return i18n.join(items, self.lang, "and")

    # -- the case ------------------------------------------------------------------------------
    def of_kind(self, *kinds: str) -> list[PieceInfo]:
        return [p for p in self.pieces if p.piece.kind in kinds and p.error is None]

    def events(self, kind: str) -> list:
        return sorted((e for e in self.case.event if e.kind == kind), key=lambda e: e.date)

    def invoice_piece(self, number: str, file: str | None) -> PieceInfo | None:
        for p in self.pieces:
            if file and p.piece.rel == file.replace("\\", "/").lstrip("./"):
                return p
        for p in self.pieces:
            if p.piece.kind == "invoice" and p.einvoice.get("number") == number:
                return p
        return None

    @property
    def creditor_country(self) -> str | None:
        return self.case.creditor.country

    @property
    def debtor_country(self) -> str | None:
        return self.case.debtor.country


Check = Callable[[Context, dict[str, Any]], None]
CHECKS: dict[str, Check] = {}


def check(name: str) -> Callable[[Check], Check]:
    def register(func: Check) -> Check:
        CHECKS[name] = func
        return func

    return register


@lru_cache(maxsize=None)
def _data(name: str) -> dict[str, Any]:
    return tomllib.loads(data_path(name).read_text("utf-8"))


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# ----------------------------------------------------------------------------------------------
# Required evidence and events (procedure file: [[evidence]], [[event]])


def required_evidence(ctx: Context) -> None:
    present = {p.piece.kind for p in ctx.pieces if p.error is None}
    for rule in ctx.procedure.evidence:
        if rule.all_of:
            for kind in rule.all_of:
                if kind not in present:
                    ctx.add("missing-evidence", rule.severity, kind, "missing-evidence.all", rule.source,
                            kind=ctx.kind(kind), kind_id=kind)
        elif not present.intersection(rule.any_of):
            ctx.add("missing-evidence", rule.severity, rule.any_of[0], "missing-evidence.any", rule.source,
                    kinds=ctx.either([ctx.kind(k) for k in rule.any_of]), kind_id=rule.any_of[0],
                    folder=i18n.text(ctx.lang, f"folders.{rule.any_of[0]}") if rule.any_of[0] in FOLDER_HINTS else rule.any_of[0])


FOLDER_HINTS = ("contract", "delivery-note", "purchase-order", "acknowledgment", "invoice")


def required_events(ctx: Context) -> None:
    for rule in ctx.procedure.event:
        events = ctx.events(rule.kind)
        if not events:
            ctx.add("missing-event", rule.severity, rule.kind, f"missing-event.{rule.kind}", rule.source)
            continue
        if rule.min_days is not None:
            last = events[-1]
            start = last.received or last.date
            days = (ctx.as_of - start).days
            if days < rule.min_days:
                ready = start + dt.timedelta(days=rule.min_days)
                ctx.add("notice-too-recent", "warning", rule.kind, "notice-too-recent", rule.min_days_source or rule.source,
                        date=ctx.d(start), days=days, min=rule.min_days, ready=ctx.d(ready),
                        received=("received" if last.received else "sent"))


# ----------------------------------------------------------------------------------------------
# Invoices and payments


@check("due")
def check_due(ctx: Context, params: dict[str, Any]) -> None:
    """Every invoice claimed must be due on as_of (a claim must be exigible)."""
    severity = params.get("severity", "error")
    source = params.get("source", "CPC art. 1405")
    for inv in ctx.case.invoice:
        if inv.due >= ctx.as_of:
            ctx.add("not-due", severity, inv.number, "not-due", source, number=inv.number, due=ctx.d(inv.due))


@check("payments")
def check_payments(ctx: Context, params: dict[str, Any]) -> None:
    """Payments never exceed what is invoiced, per invoice and in all. (An invoice listed twice is
    refused earlier, with case.toml: exit 3.)"""
    invoices = {inv.number: inv for inv in ctx.case.invoice}
    paid: dict[str, Decimal] = defaultdict(Decimal)
    for pay in ctx.case.payment:
        if pay.invoice in invoices:
            paid[pay.invoice] += pay.amount
    for number, amount in paid.items():
        inv = invoices[number]
        if amount > inv.amount:
            ctx.add("overpaid", "error", number, "overpaid", "case.toml",
                    number=number, paid=ctx.money(amount, inv.currency), amount=ctx.money(inv.amount, inv.currency))
    by_currency: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for inv in ctx.case.invoice:
        by_currency[inv.currency][0] += inv.amount
    for pay in ctx.case.payment:
        currency = pay.currency or (invoices[pay.invoice].currency if pay.invoice in invoices else "EUR")
        by_currency[currency][1] += pay.amount
    for currency, (invoiced, total_paid) in sorted(by_currency.items()):
        if total_paid > invoiced:
            ctx.add("overpaid", "error", "payment", "overpaid.total", "case.toml",
                    paid=ctx.money(total_paid, currency), amount=ctx.money(invoiced, currency))


# ----------------------------------------------------------------------------------------------
# Prescription (limitation): data/prescription.toml


def _acknowledgments(ctx: Context) -> list[dt.date]:
    dates = [e.date for e in ctx.case.event if e.kind == "acknowledgment"]
    dates += [p.piece.date for p in ctx.pieces if p.piece.kind == "acknowledgment" and p.piece.date]
    return sorted(dates)


@check("prescription")
def check_prescription(ctx: Context, params: dict[str, Any]) -> None:
    table = _data("prescription.toml")
    country = ctx.creditor_country
    debtor = "consumer" if ctx.case.debtor.consumer else "business"
    rules = [r for r in table["rule"] if r["country"] == country and r["debtor"] in (debtor, "any")]
    near_days = int(params.get("near_days", table["near_days"]))
    restart = table.get("restart", {}).get(country or "")
    acks = _acknowledgments(ctx)
    unconfirmed: dict[str, str] = {}
    for inv in ctx.case.invoice:
        for rule in rules:
            start = inv.due if rule["from"] == "due" else dt.date(inv.due.year, 12, 31)
            end = add_years(start, rule["years"])
            source = rule["source"]
            later_acks = [a for a in acks if inv.due <= a < end]
            new_end = add_years(later_acks[-1], rule["years"]) if later_acks and restart else None
            possible = rule.get("possible", False)
            decided = False
            if ctx.as_of >= end:
                if new_end and ctx.as_of < new_end:
                    ctx.add("prescribed", "warning", inv.number, "prescribed.saved", f"{source}; {restart['source']}",
                            number=inv.number, end=ctx.d(end), ack=ctx.d(later_acks[-1]), new_end=ctx.d(new_end),
                            restart=restart["source"])
                    unconfirmed[restart["source"]] = restart.get("note", "")
                elif possible:
                    ctx.add("prescribed", "warning", inv.number, "prescribed.possible", source,
                            number=inv.number, end=ctx.d(end), years=rule["years"], note=rule.get("note", ""))
                else:
                    ctx.add("prescribed", "error", inv.number, "prescribed", source, number=inv.number,
                            end=ctx.d(end), years=rule["years"], start=ctx.d(start))
                decided = True
            elif (end - ctx.as_of).days <= near_days and not possible:
                ctx.add("prescription-near", "warning", inv.number, "prescription-near", source,
                        number=inv.number, end=ctx.d(end), days=(end - ctx.as_of).days)
                decided = True
            if decided and rule.get("status") == "unconfirmed":
                unconfirmed[source] = rule.get("note", "")
    for source, note in unconfirmed.items():
        ctx.add("unconfirmed-rule", "warning", source, "unconfirmed-rule", source, rule=source, note=note)


# ----------------------------------------------------------------------------------------------
# Amounts against the e-invoice


def _same_name(a: str, b: str) -> bool:
    forms = r"\b(sas|sasu|sarl|sa|eurl|sca|snc|gmbh|ag|kg|ohg|ug|ltd|limited|plc|llp|sàrl|sarl|bv|nv|srl|spa)\b"
    clean = lambda s: re.sub(r"[^a-z0-9]+", " ", re.sub(forms, " ", normalize(s))).strip()  # noqa: E731
    return clean(a) == clean(b)


@check("einvoice")
def check_einvoice(ctx: Context, params: dict[str, Any]) -> None:
    """The invoice in case.toml against the data the e-invoice itself carries (Factur-X / ZUGFeRD)."""
    source = "C. com. art. L441-9; EN 16931"
    for inv in ctx.case.invoice:
        info = ctx.invoice_piece(inv.number, inv.file)
        data = info.einvoice if info else {}
        if not data or data.get("error"):
            continue
        diffs: list[tuple[str, str, str]] = []
        if data.get("number") and data["number"] != inv.number:
            diffs.append(("number", inv.number, data["number"]))
        if data.get("date") and data["date"] != inv.issued.isoformat():
            diffs.append(("issued", ctx.d(inv.issued), ctx.d(dt.date.fromisoformat(data["date"]))))
        if data.get("due") and data["due"] != inv.due.isoformat():
            diffs.append(("due", ctx.d(inv.due), ctx.d(dt.date.fromisoformat(data["due"]))))
        if data.get("currency") and data["currency"] != inv.currency:
            diffs.append(("currency", inv.currency, data["currency"]))
        total = data.get("due_payable") or data.get("total")
        try:
            theirs = Decimal(total) if total else None
        except InvalidOperation:
            theirs = None
        if theirs is not None and theirs != inv.amount:
            diffs.append(("amount", ctx.money(inv.amount, inv.currency), ctx.money(theirs, data.get("currency") or inv.currency)))
        if data.get("seller") and not _same_name(data["seller"], ctx.case.creditor.name):
            diffs.append(("seller", ctx.case.creditor.name, data["seller"]))
        if data.get("buyer") and not _same_name(data["buyer"], ctx.case.debtor.name):
            diffs.append(("buyer", ctx.case.debtor.name, data["buyer"]))
        for what, ours, theirs_text in diffs:
            ctx.add("amount-mismatch", "error", f"{inv.number}.{what}", "amount-mismatch", source, number=inv.number,
                    field=i18n.text(ctx.lang, f"fields.{what}"), ours=ours, theirs=theirs_text,
                    file=info.piece.rel if info else "")


# ----------------------------------------------------------------------------------------------
# Identifiers (python-stdnum)


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def identifier_problems(party_label: str, party: Any) -> list[tuple[str, str, str, str]]:
    """(subject field, label key, value, reason key) for each identifier whose check fails."""
    from stdnum import iban as std_iban
    from stdnum.ch import uid as ch_uid
    from stdnum.eu import vat as eu_vat
    from stdnum.exceptions import ValidationError as StdnumError
    from stdnum.fr import siren, siret

    out = []
    reg = (party.registration or "").strip()
    if reg and party.country in (None, "FR"):
        digits = _digits(reg)
        if re.fullmatch(r"[\d\s.]+|(rcs|r\.c\.s\.)?\s*[a-zéèêàç\- ]*[\d\s]+", reg, re.I) and len(digits) in (9, 14):
            validator = siren if len(digits) == 9 else siret
            try:
                validator.validate(digits)
            except StdnumError:
                out.append(("registration", "siren" if len(digits) == 9 else "siret", reg, "checksum"))
        elif party.country == "FR":
            out.append(("registration", "siren", reg, "format"))
    elif reg and party.country == "CH" and reg.upper().startswith("CHE"):
        try:
            ch_uid.validate(reg)
        except StdnumError:
            out.append(("registration", "uid", reg, "checksum"))
    vat = (party.vat or "").strip()
    if vat:
        try:
            if vat.upper().startswith("CHE"):
                ch_uid.validate(vat.upper().replace("MWST", "").replace("TVA", "").replace("IVA", "").strip())
            elif vat[:2].upper() in eu_vat.MEMBER_STATES or vat[:2].upper() == "EL":
                eu_vat.validate(vat)
            # other formats (GB, non-EU) are accepted as written
        except StdnumError:
            out.append(("vat", "vat", vat, "checksum"))
    iban = (getattr(party, "iban", None) or "").strip()
    if iban:
        try:
            std_iban.validate(iban)
        except StdnumError:
            out.append(("iban", "iban", iban, "checksum"))
    return out


@check("identifiers")
def check_identifiers(ctx: Context, params: dict[str, Any]) -> None:
    for role, party in (("creditor", ctx.case.creditor), ("debtor", ctx.case.debtor)):
        for fieldname, label, value, reason in identifier_problems(role, party):
            ctx.add("invalid-identifier", "warning", f"{role}.{fieldname}", f"invalid-identifier.{reason}",
                    "python-stdnum", party=i18n.text(ctx.lang, f"roles.{role}"),
                    label=i18n.text(ctx.lang, f"identifiers.{label}"), value=value)


# ----------------------------------------------------------------------------------------------
# Fields the generated documents need


@check("fields")
def check_fields(ctx: Context, params: dict[str, Any]) -> None:
    data = ctx.case.model_dump(by_alias=True)
    for dotted in params.get("required", []):
        node: Any = data
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node in (None, "", []):
            ctx.add("missing-field", params.get("severity", "error"), dotted, "missing-field", params.get("source", ""),
                    field=dotted, label=i18n.text(ctx.lang, f"case_fields.{dotted.replace('.', '_')}"))


# ----------------------------------------------------------------------------------------------
# Jurisdiction


def _clause_court(ctx: Context) -> tuple[str, str] | None:
    """(court, file) named by a jurisdiction clause of the contract or terms, if any."""
    words = _data("textchecks.toml")
    for info in ctx.of_kind("contract", "terms", "purchase-order", "quote"):
        text, raw = info.text(), info.raw_text()
        for pattern in words["clauses"]["jurisdiction"]:
            m = search(pattern, text)
            if not m:
                continue
            start = max(0, m.start() - 200)
            window = text[start: m.end() + 300]
            for court in words["courts"]["patterns"]:
                c = search(court, window)
                if c:
                    name = " ".join(raw[start + c.start(1): start + c.end(1)].split())
                    if name.isupper():  # "TRIBUNAL DE COMMERCE DE LYON" -> "Tribunal de commerce de Lyon"
                        head, sep, place = name.lower().rpartition(" de ")
                        name = f"{head}{sep}{place.title()}" if sep else name.lower()
                    return name[:1].upper() + name[1:], info.piece.rel
            return "", info.piece.rel
    return None


@check("forum")
def check_forum(ctx: Context, params: dict[str, Any]) -> None:
    """A French procedure needs a French forum: the debtor's seat (CPC 1406 for the injonction de payer,
    a public-order rule), or for other procedures a jurisdiction clause naming a French court."""
    wanted = params["debtor_country"]
    country = ctx.debtor_country
    if country is None:
        ctx.add("missing-field", "error", "debtor.country", "missing-field", params["source"], field="debtor.country",
                label=i18n.text(ctx.lang, "case_fields.debtor_country"))
        return
    if country == wanted:
        return
    if params.get("clause"):
        found = _clause_court(ctx)
        if found and found[0] and ("tribunal" in normalize(found[0]) or "france" in normalize(found[0])):
            return
    ctx.add("wrong-jurisdiction", "error", "debtor.country", "wrong-jurisdiction.forum", params["source"],
            country=i18n.country(country, ctx.lang), wanted=i18n.country(wanted, ctx.lang))


EU_STATES = ("AT", "BE", "BG", "CY", "CZ", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU",
             "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK")


@check("cross_border")
def check_cross_border(ctx: Context, params: dict[str, Any]) -> None:
    """Reg. 1896/2006 art. 3: at least one party domiciled in a Member State other than that of the court
    seised; the court is taken to be the debtor's (Form A ground 01); Denmark does not apply it."""
    cred, debt = ctx.creditor_country, ctx.debtor_country
    states = ctx.procedure.jurisdictions or EU_STATES
    if cred is None or debt is None:
        for role, value in (("creditor", cred), ("debtor", debt)):
            if value is None:
                ctx.add("missing-field", "error", f"{role}.country", "missing-field", params["source"],
                        field=f"{role}.country", label=i18n.text(ctx.lang, f"case_fields.{role}_country"))
        return
    if debt not in states:
        ctx.add("wrong-jurisdiction", "error", "debtor.country", "wrong-jurisdiction.eop", "Règl. 1896/2006 art. 2(3), 3",
                country=i18n.country(debt, ctx.lang))
    elif cred == debt:
        ctx.add("not-cross-border", "error", "debtor.country", "not-cross-border", params["source"],
                country=i18n.country(debt, ctx.lang))


@check("threshold")
def check_threshold(ctx: Context, params: dict[str, Any]) -> None:
    """A ceiling on the principal (interest and costs excluded), for a procedure that has one."""
    ceiling = Decimal(str(params["max"]))
    currency = params.get("currency", "EUR")
    principal = sum((i.amount for i in ctx.case.invoice if i.currency == currency), Decimal(0))
    principal -= sum((p.amount for p in ctx.case.payment if (p.currency or currency) == currency), Decimal(0))
    if principal > ceiling:
        ctx.add("threshold-exceeded", "error", "principal", "threshold-exceeded", params["source"],
                amount=ctx.money(principal, currency), max=ctx.money(ceiling, currency))


# ----------------------------------------------------------------------------------------------
# Collective proceedings


@check("insolvency")
def check_insolvency(ctx: Context, params: dict[str, Any]) -> None:
    """A debtor in collective proceedings: pre-opening claims are declared, not pursued (LEGAL.md §1.7)."""
    ins = ctx.case.insolvency
    if ins is None:
        return
    ctx.add("collective-proceedings", "error", "insolvency", "collective-proceedings", params["source"],
            kind=ins.kind, judgment=ctx.d(ins.judgment))


@check("declaration")
def check_declaration(ctx: Context, params: dict[str, Any]) -> None:
    """C. com. R622-24: two months from the BODACC publication, four for a creditor outside
    metropolitan France (a creditor whose country is not FR; the French overseas departments and
    territories cannot be told apart from the country alone)."""
    ins = ctx.case.insolvency
    source = params["source"]
    if ins is None or ins.published is None:
        subject = "insolvency" if ins is None else "insolvency.published"
        ctx.add("missing-field", "error", subject, f"missing-field.{subject.replace('.', '_')}", source)
        return
    abroad = ctx.creditor_country not in (None, "FR")
    months = int(params["months_abroad"] if abroad else params["months"])
    y, m = divmod(ins.published.month - 1 + months, 12)
    day = min(ins.published.day, [31, 29 if (ins.published.year + y) % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m])
    deadline = dt.date(ins.published.year + y, m + 1, day)
    if ctx.as_of > deadline:
        ctx.add("deadline-passed", "error", "insolvency.published", "deadline-passed", source, deadline=ctx.d(deadline),
                months=months, published=ctx.d(ins.published))
    elif (deadline - ctx.as_of).days <= int(params.get("near_days", 15)):
        ctx.add("deadline-near", "warning", "insolvency.published", "deadline-near", source, deadline=ctx.d(deadline),
                days=(deadline - ctx.as_of).days, months=months)


# ----------------------------------------------------------------------------------------------
# Translation

# The language of a country's courts and of a debtor there, when case.toml does not say. Switzerland
# and Belgium have several: no default, the case must say (debtor.language).
COUNTRY_LANGUAGE = {"FR": "fr", "MC": "fr", "LU": "fr", "DE": "de", "AT": "de", "LI": "de", "GB": "en", "IE": "en",
                    "MT": "en"}


@check("translation")
def check_translation(ctx: Context, params: dict[str, Any]) -> None:
    """The documents served on the debtor in a language it may not read, and the evidence filed in a
    language other than the court's (LEGAL.md §7: free translation, sworn if contested)."""
    source = params.get("source", "RIN art. 5.5; CPC art. 1411")
    debtor_lang = ctx.case.debtor.language or COUNTRY_LANGUAGE.get(ctx.debtor_country or "")
    served = [d for d in params.get("serve", [])]
    if served and debtor_lang and debtor_lang != ctx.lang:
        ctx.add("translation-needed", "warning", "documents", "translation-needed.served", source,
                docs=ctx.both([i18n.text(ctx.lang, f"documents.{d}") for d in served]),
                debtor_lang=i18n.language(debtor_lang, ctx.lang), case_lang=i18n.language(ctx.lang, ctx.lang))
    court_lang = ctx.procedure.court_language or COUNTRY_LANGUAGE.get(ctx.debtor_country or "")
    if params.get("file_evidence") and court_lang:
        foreign = [p for p in ctx.pieces if p.error is None and p.piece.language != court_lang]
        if foreign:
            ctx.add("translation-needed", "warning", "evidence", "translation-needed.evidence", source,
                    files=", ".join(p.piece.rel for p in foreign), court_lang=i18n.language(court_lang, ctx.lang))


# ----------------------------------------------------------------------------------------------
# Evidence hygiene


def evidence_hygiene(ctx: Context) -> None:
    for info in ctx.pieces:
        if info.error is not None:
            ctx.add("unreadable-evidence", "error", info.piece.rel, "unreadable-evidence", info.piece.rel,
                    file=info.piece.rel, error=info.error, hint=info.hint or "")
    by_hash: dict[str, list[str]] = defaultdict(list)
    for info in ctx.pieces:
        by_hash[info.piece.sha256].append(info.piece.rel)
    for rels in by_hash.values():
        if len(rels) > 1:
            ctx.add("duplicate-evidence", "warning", rels[0], "duplicate-evidence", "SHA-256",
                    files=ctx.both(rels), first=rels[0])
    for info in ctx.pieces:
        missing = info.facts.get("fonts_not_embedded")
        if info.error is None and missing:
            ctx.add("fonts-not-embedded", "info", info.piece.rel, "fonts-not-embedded", "ISO 19005 (PDF/A) 6.2.11.4",
                    file=info.piece.rel, fonts=", ".join(missing[:6]))
    for info in ctx.pieces:  # read, but not all of it: an e-mail attachment, an embedded e-invoice XML
        if info.error is not None:
            continue
        for item in (info.facts.get("email") or {}).get("not_reproduced", []):
            ctx.add("attachment-not-reproduced", "warning", item["name"], "attachment-not-reproduced", item["name"],
                    file=info.piece.rel, name=item["name"].rsplit(" › ", 1)[-1], reason=item["reason"])
        einv = info.facts.get("einvoice") or {}
        if einv.get("error"):
            ctx.add("einvoice-unreadable", "warning", info.piece.rel, "einvoice-unreadable", einv.get("xml_name", "XML"),
                    file=info.piece.rel, xml=einv.get("xml_name", "XML"), error=einv["error"])
    for info in ctx.pieces:
        if info.error is None and info.piece.kind == "other":
            ctx.add("unclassified-evidence", "info", info.piece.rel, "unclassified-evidence", "DESIGN.md §3",
                    file=info.piece.rel)


@check("hygiene")
def check_hygiene(ctx: Context, params: dict[str, Any]) -> None:
    pass  # always run (see run()); kept as a name so that procedure files may list it


# ----------------------------------------------------------------------------------------------
# Invoice mentions (C. com. L441-9) and clauses of the contract or terms


@check("mentions")
def check_mentions(ctx: Context, params: dict[str, Any]) -> None:
    """What a French B2B invoice must state (C. com. art. L441-9): due date, late-penalty rate, the
    40 EUR indemnity, and the buyer's order number when an order is in the case. Read from the
    e-invoice data, else from the invoice's text. Only for a French creditor and a business debtor."""
    if ctx.creditor_country not in (None, "FR") or ctx.case.debtor.consumer:
        return
    words = _data("textchecks.toml")["mentions"]
    orders = ctx.of_kind("purchase-order")
    order_refs = [Path(o.piece.rel).stem for o in orders]
    source = "C. com. art. L441-9"
    for inv in ctx.case.invoice:
        info = ctx.invoice_piece(inv.number, inv.file)
        if info is None or info.error is not None:
            continue
        data = info.einvoice
        text = info.text() + " " + normalize((data.get("notes") or "") + " " + (data.get("payment_terms") or ""))
        if not text.strip() and not data:
            ctx.add("unverified-mentions", "info", inv.number, "unverified-mentions", source, number=inv.number,
                    file=info.piece.rel)
            continue
        missing = []
        if not data.get("due") and not any(search(w, text) for w in words["due_date"]):
            missing.append("due_date")
        if not any(search(w, text) for w in words["penalty_rate"]):
            missing.append("penalty_rate")
        if not any(search(w, text) for w in words["indemnity"]):
            missing.append("indemnity")
        if orders and not data.get("order"):
            refs = [normalize(r) for r in order_refs]
            if not any(r and r in text for r in refs) and not re.search(r"(bon de )?commande n|order (no|number)|bestellnummer", text):
                missing.append("order")
        for what in missing:
            ctx.add("missing-mention", "warning", inv.number, f"missing-mention.{what}", source, number=inv.number,
                    order=order_refs[0] if order_refs else "")


@check("clauses")
def check_clauses(ctx: Context, params: dict[str, Any]) -> None:
    """Whether the contract or terms contain a late-penalty clause, a retention-of-title clause and a
    jurisdiction clause; a jurisdiction clause also names its court."""
    docs = ctx.of_kind("contract", "terms")
    if not docs:
        return
    text = " ".join(d.text() for d in docs)
    if not text.strip():
        return
    words = _data("textchecks.toml")["clauses"]
    sources = {"penalty": "C. com. art. L441-10",
               "retention": "recouvre-docs practice (no rule in LEGAL.md)",
               "jurisdiction": "recouvre-docs practice (no rule in LEGAL.md)"}
    for clause in ("penalty", "retention", "jurisdiction"):
        if not any(search(w, text) for w in words[clause]):
            ctx.add("missing-clause", "warning", clause, f"missing-clause.{clause}", sources[clause])
    found = _clause_court(ctx)
    if found and found[0]:
        ctx.add("jurisdiction-clause", "info", found[1], "jurisdiction-clause", found[1], court=found[0], file=found[1])


# ----------------------------------------------------------------------------------------------
# The dunning timeline


@check("timeline")
def check_timeline(ctx: Context, params: dict[str, Any]) -> None:
    stage = ctx.procedure.stage
    notices = ctx.events("formal-notice")
    reminders = ctx.events("reminder") + ctx.events("call")
    if notices and not any(r.date <= notices[0].date for r in reminders) and not ctx.of_kind("reminder"):
        ctx.add("no-reminder", "warning", "formal-notice", "no-reminder", "recouvre-docs practice", date=ctx.d(notices[0].date))
    if notices and stage in ("amicable", "handover"):
        last = notices[-1]
        start = last.received or last.date
        days = (ctx.as_of - start).days
        paid_after = [p for p in ctx.case.payment if p.date > start]
        if days > 45 and not paid_after:
            ctx.add("escalation-due", "warning", "formal-notice", "escalation-due", "recouvre-docs practice",
                    days=days, date=ctx.d(start))
    for promise in ctx.events("promise"):
        if promise.until and promise.until >= ctx.as_of:
            ctx.add("promise-pending", "warning", "promise", "promise-pending", "recouvre-docs practice",
                    until=ctx.d(promise.until), date=ctx.d(promise.date))
    severity = params.get("dispute", "warning")
    for dispute in ctx.events("dispute"):
        ctx.add("disputed", severity, "dispute", f"disputed.{stage}", "CPC art. 1405, 835" if stage == "filing" else "C. civ. art. 1353",
                date=ctx.d(dispute.date), note=_quoted(dispute.note, ctx.lang) if dispute.note else "")


def _quoted(text: str, lang: str) -> str:
    return {"fr": f"\u00a0: «\u00a0{text}\u00a0»", "de": f": „{text}“"}.get(lang, f": “{text}”")


# ----------------------------------------------------------------------------------------------
# Country-specific


@check("default_de")
def check_default_de(ctx: Context, params: dict[str, Any]) -> None:
    """§ 286 BGB: a consumer is in default only after a reminder (Mahnung) unless the invoice pointed out
    the 30-day rule; a business debtor at the latest 30 days after maturity and invoice."""
    if ctx.case.debtor.consumer and not (ctx.events("reminder") or ctx.events("formal-notice")):
        ctx.add("missing-event", "error", "reminder", "missing-event.default-de", "§ 286 Abs. 1, 3 BGB")


@check("currency")
def check_currency(ctx: Context, params: dict[str, Any]) -> None:
    wanted = params["required"]
    for inv in ctx.case.invoice:
        if inv.currency != wanted:
            ctx.add("wrong-currency", "warning", inv.number, "wrong-currency", params["source"], number=inv.number,
                    currency=inv.currency, wanted=wanted)


# ----------------------------------------------------------------------------------------------
# The claim's rates (LEGAL.md: a 🟡 rate is used and named in a warning; a ❌ one stops the claim)


def claim_rates(ctx: Context, case_root: Path | None) -> None:
    from .. import claim

    if not ctx.case.invoice:
        return
    try:
        statement = claim.compute(ctx.case, ctx.as_of, case_root)
    except claim.RateMissingError as err:
        ctx.add("missing-rate", "error", err.series, "missing-rate", f"recouvre_docs/data/rates/{err.series}.csv",
                series=i18n.text(ctx.lang, f"series.{err.series}"), date=ctx.d(err.day), file=f"rates/{err.series}.csv")
        return
    except Exception as err:  # noqa: BLE001 - any other reason the claim cannot be computed is reported too
        if not hasattr(err, "message"):
            raise
        ctx.add("missing-rate", "error", "claim", "missing-rate.other", "case.toml", error=err.message, hint=err.hint or "")
        return
    for row in statement.unconfirmed:
        name = row.file.rsplit("/", 1)[-1].removesuffix(".csv")
        ctx.add("unconfirmed-rule", "warning", f"{name}@{row.effective.isoformat()}", "unconfirmed-rule.rate", row.source,
                series=i18n.text(ctx.lang, f"series.{name}"), date=ctx.d(row.effective), ref=row.source)
