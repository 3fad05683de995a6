"""The named checks. Each is a small function over plain data (the case, its classified pieces, the
procedure's parameters) that returns findings; the procedure files say which run, with what
parameters and severities. Every rule cites its source; values come from the data files.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from .. import i18n, pdfa
from ..evidence import text as text_mod
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
    text_cache: Path | None = None  # where its text is kept between runs
    error: str | None = None  # why it cannot be read
    hint: str | None = None
    _text: str | None = None
    _raw: str | None = None

    @property
    def einvoice(self) -> dict[str, Any]:
        return self.facts.get("einvoice") or {}

    def text(self) -> str:
        """The page text, lower-cased, accents removed ('' for a scan). Character for character as
        long as raw_text(), so that a match can be read back in the original spelling. Kept beside
        the text (text.folded): folding the 4.3 million characters of a case of 400 exhibits took
        0.15 s of each check."""
        if self._text is None:
            raw = self.raw_text()
            if self.text_cache is not None and raw:
                self._text = text_mod.folded(raw, self.text_cache)
            else:
                self._text = normalize(raw)
        return self._text

    def raw_text(self) -> str:
        if self._raw is None:
            self._raw = ""
            if self.pdf is not None and self.pdf.is_file():
                self._raw = text_mod.of(self.pdf, self.text_cache).replace("\f", " ")
        return self._raw


normalize = text_mod.normalize  # lower case without accents, one character for one (evidence/text.py)


def search(pattern: str, text: str) -> re.Match | None:
    """A pattern of textchecks.toml in normalized text: a space in the pattern matches any run of spaces."""
    return re.search(pattern.replace(" ", r"\s+"), text)


@dataclass
class Context:
    case: Case
    procedure: Procedure
    lang: str  # the language the report is read in
    as_of: dt.date
    pieces: list[PieceInfo]
    doc_lang: str = ""  # the language the documents are written in (case.language unless build --lang)
    findings: list[Finding] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.doc_lang = self.doc_lang or self.case.language

    # -- findings ------------------------------------------------------------------------------
    def add(self, code: str, severity: str, subject: str, key: str, source: str, **params: Any) -> None:
        """A finding: its message and fix in the report language; ``source`` a legal citation, "" where
        no rule is involved (a file that cannot be read), or "@practice" (shown localised)."""
        message = i18n.finding(self.lang, key, "message", **params)
        fix = i18n.finding(self.lang, key, "fix", **params)
        self.findings.append(Finding(code=code, severity=severity, subject=subject, message=message,
                                     source=i18n.source(source, self.lang), fix=fix))

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

    def days_from_now(self, days: int) -> str:
        """"dans 38 jours", "in 1 day", "heute"."""
        return i18n.text(self.lang, "units.today") if days == 0 else i18n.text(self.lang, "units.in_days", n=days)

    def country_in(self, code: str | None) -> str:
        """A country with its preposition: "au Luxembourg", "in den Niederlanden" (data/countries.toml)."""
        words = country(code).get("in", {}).get(self.lang)
        return words or i18n.text(self.lang, "units.in_country", country=i18n.country(code or "?", self.lang))

    def procedures_text(self, ids: list[str]) -> str:
        """Procedures inside a sentence, with their ids: "requête en injonction de payer
        (fr-injonction-de-payer) ou transmission du dossier à un partenaire (agency-handover)"."""
        from . import procedures

        names = []
        for pid in ids:
            try:
                names.append(f"{procedures.load(pid).name(self.lang)} ({pid})")
            except KeyError:
                continue
        return self.either(names)

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

    @property
    def court_country(self) -> str | None:
        return court_country(self.case, self.procedure)

    def governing_country(self) -> str | None:
        """The country whose law governs the claim: the creditor's, an overseas department counting as
        France (claim.governing_country; see data/prescription.toml)."""
        from ..claim import governing_country

        return governing_country(self.case, default=None)


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


@lru_cache(maxsize=1)
def _countries() -> dict[str, Any]:
    return {k: v for k, v in _data("countries.toml").items() if len(k) == 2 and k.isupper() and k != "EU"}


def country(code: str | None) -> dict[str, Any]:
    """What data/countries.toml knows of a country ({} for one it does not list)."""
    return _countries().get(code or "", {})


def court_country(case: Case, procedure: Procedure) -> str | None:
    """The State of the court seised: the one [case] court names, placed by the words of
    data/countries.toml ("Amtsgericht" → DE); else the procedure's own State for a national
    procedure; else the debtor's (the default forum, Form A ground 01)."""
    court = normalize(case.case.court or "").replace("\u2019", "'")
    if court.strip():
        for code, data in _countries().items():
            if any(search(word, court) for word in data.get("courts", [])):
                return code
    if len(procedure.jurisdictions) == 1:
        return procedure.jurisdictions[0]
    return case.debtor.country


def court_language(case: Case, procedure: Procedure) -> str | None:
    """The language the court seised works in: the procedure's, else its country's (data/countries.toml)."""
    return procedure.court_language or country(court_country(case, procedure)).get("language")


def debtor_language(case: Case) -> str | None:
    """The debtor's language: case.toml's, else its country's (data/countries.toml)."""
    return case.debtor.language or country(case.debtor.country).get("language")


PRACTICE = i18n.PRACTICE


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (29 February: the 28th)."""
    return add_months(day, 12 * years)


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
            key, params = f"missing-event.{rule.kind}", {}
            if rule.kind == "formal-notice":  # recouvre-docs drafts the notice with the procedure of the debtor's country
                drafted_by = country(ctx.debtor_country).get("notice")
                key, params = (key, {"procedure": drafted_by}) if drafted_by else (f"{key}.plain", {})
            ctx.add("missing-event", rule.severity, rule.kind, key, rule.source, **params)
            continue
        if rule.min_days is not None:
            last = events[-1]
            start = last.received or last.date
            days = (ctx.as_of - start).days
            sent = "" if last.received else ".sent"  # only the sending date is known
            if days < 0:  # dated after the day of the check: a typing error, or --as-of too early
                ctx.add("event-after-as-of", "warning", rule.kind, f"event-after-as-of{sent}", "",
                        date=ctx.d(start), as_of=ctx.d(ctx.as_of))
            elif days < rule.min_days:
                ready = start + dt.timedelta(days=rule.min_days)
                ctx.add("notice-too-recent", "warning", rule.kind, f"notice-too-recent{sent}", rule.min_days_source or rule.source,
                        date=ctx.d(start), ago=i18n.text(ctx.lang, "units.ago", n=days), min=rule.min_days, ready=ctx.d(ready))


# ----------------------------------------------------------------------------------------------
# Invoices and payments


@check("due")
def check_due(ctx: Context, params: dict[str, Any]) -> None:
    """Every invoice claimed must be due on as_of (a claim must be exigible)."""
    severity = params.get("severity", "error")
    source = params.get("source", PRACTICE)
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
            ctx.add("overpaid", "error", number, "overpaid", "",
                    number=number, paid=ctx.money(amount, inv.currency), amount=ctx.money(inv.amount, inv.currency))
    by_currency: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for inv in ctx.case.invoice:
        by_currency[inv.currency][0] += inv.amount
    for pay in ctx.case.payment:
        currency = pay.currency or (invoices[pay.invoice].currency if pay.invoice in invoices else "EUR")
        by_currency[currency][1] += pay.amount
    for currency, (invoiced, total_paid) in sorted(by_currency.items()):
        if total_paid > invoiced:
            ctx.add("overpaid", "error", "payment", "overpaid.total", "",
                    paid=ctx.money(total_paid, currency), amount=ctx.money(invoiced, currency))


# ----------------------------------------------------------------------------------------------
# Prescription (limitation): data/prescription.toml


def _acknowledgments(ctx: Context) -> list[dt.date]:
    """The dates of the acknowledgments of debt (events, or dated pieces of that kind) up to as_of."""
    dates = [e.date for e in ctx.case.event if e.kind == "acknowledgment"]
    dates += [p.piece.date for p in ctx.pieces if p.piece.kind == "acknowledgment" and p.piece.date]
    return sorted({d for d in dates if d <= ctx.as_of})


def restarted_end(end: dt.date, acknowledgments: list[dt.date], years: int, since: dt.date) -> tuple[dt.date, dt.date | None]:
    """The end of the period once each acknowledgment has started a new one of the same length: an
    acknowledgment counts if made on or after ``since`` (the claim exists) and on or before the end of
    the period then running; one made after that end revives nothing. Returns (end, last one used)."""
    used = None
    for ack in sorted(acknowledgments):
        if ack < since:
            continue
        if ack > end:
            break
        new_end = add_years(ack, years)
        if new_end > end:
            end, used = new_end, ack
    return end, used


@check("prescription")
def check_prescription(ctx: Context, params: dict[str, Any]) -> None:
    """Per invoice: time-barred after the end of the period (the end is the last day to sue), near
    within near_days; an acknowledgment of debt restarts the period only where data/prescription.toml
    has a rule for the country, and only silently when that rule is confirmed."""
    table = _data("prescription.toml")
    country_code = ctx.governing_country()
    debtor = "consumer" if ctx.case.debtor.consumer else "business"
    rules = [r for r in table["rule"] if r["country"] == country_code and r["debtor"] in (debtor, "any")]
    near_days = int(params.get("near_days", table["near_days"]))
    restart = table.get("restart", {}).get(country_code or "")
    if restart and restart.get("status") == "missing":
        restart = None
    silent = bool(restart) and restart.get("status") == "confirmed"
    acks = _acknowledgments(ctx)
    unconfirmed: dict[str, str] = {}  # rule -> status, for the warning naming each rule a finding rests on
    if not rules:  # a country without a rule in the data (Italy, Belgium…): say so rather than nothing
        if country_code and ctx.case.invoice:
            ctx.add("prescription-unchecked", "info", "prescription", "prescription-unchecked", "",
                    country=ctx.country_in(country_code))
        return
    for inv in ctx.case.invoice:
        for rule in rules:
            years = rule["years"]
            start = inv.due if rule["from"] == "due" else dt.date(inv.due.year, 12, 31)
            first_end = add_years(start, years)
            end, ack = restarted_end(first_end, acks, years, inv.due) if restart else (first_end, None)
            source = rule["source"]
            possible = rule.get("possible", False)
            scope = rule.get("scope", {}).get(ctx.lang, "")
            decided = False
            common = dict(number=inv.number, years=years, start=ctx.d(start))
            if ctx.as_of > end:
                if possible:
                    ctx.add("prescribed", "warning", inv.number, "prescribed.possible", source,
                            end=ctx.d(end), scope=scope, **common)
                elif acks and restart is None:  # an acknowledgment whose effect no rule in the data says
                    ctx.add("prescribed", "error", inv.number, "prescribed.ack", source, end=ctx.d(end),
                            ack=ctx.d(acks[-1]), **common)
                else:
                    ctx.add("prescribed", "error", inv.number, "prescribed", source, end=ctx.d(end), **common)
                decided = True
            else:
                moved = ack is not None and end > first_end
                first_near = (first_end - ctx.as_of).days <= near_days
                if moved and not silent and (ctx.as_of > first_end or first_near):
                    # only the acknowledgment keeps the claim alive, or its first end is near: never silently
                    late = ctx.as_of > first_end
                    ctx.add("prescribed" if late else "prescription-near", "warning", inv.number,
                            "prescribed.saved" if late else "prescription-near.saved", f"{source}; {restart['source']}",
                            end=ctx.d(first_end), ack=ctx.d(ack), new_end=ctx.d(end), restart=restart["source"],
                            when=ctx.days_from_now(max((first_end - ctx.as_of).days, 0)), **common)
                    unconfirmed[restart["source"]] = restart.get("status", "unverified")
                    decided = True
                if (end - ctx.as_of).days <= near_days and not possible:
                    key = "prescription-near.restarted" if moved else "prescription-near"
                    ctx.add("prescription-near", "warning", inv.number, key, source, end=ctx.d(end),
                            when=ctx.days_from_now((end - ctx.as_of).days), ack=ctx.d(ack), **common)
                    decided = True
            if decided and rule.get("status") == "unconfirmed":
                unconfirmed[source] = "unconfirmed"
    for source, status in unconfirmed.items():
        key = "unconfirmed-rule" if status == "unconfirmed" else "unconfirmed-rule.unverified"
        ctx.add("unconfirmed-rule", "warning", source, key, source, rule=source)


# ----------------------------------------------------------------------------------------------
# Amounts against the e-invoice


def _same_name(a: str, b: str) -> bool:
    forms = r"\b(sas|sasu|sarl|sa|eurl|sca|snc|gmbh|ag|kg|ohg|ug|ltd|limited|plc|llp|sàrl|sarl|bv|nv|srl|spa)\b"
    clean = lambda s: re.sub(r"[^a-z0-9]+", " ", re.sub(forms, " ", normalize(s))).strip()  # noqa: E731
    return clean(a) == clean(b)


@check("einvoice")
def check_einvoice(ctx: Context, params: dict[str, Any]) -> None:
    """The invoice in case.toml against the data the e-invoice itself carries (Factur-X / ZUGFeRD)."""
    source = "C. com. art. L441-9; EN 16931" if ctx.governing_country() == "FR" else "EN 16931"
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


def _french_registration(reg: str) -> str | None:
    """The SIREN or SIRET digits in what case.toml gives ("812 345 676", "RCS Lyon B 812 345 676",
    "812345676 R.C.S. Lyon"); None when there is no run of 9 or 14 digits."""
    for run in re.findall(r"(?<!\d)\d[\d .\u00a0]*\d(?!\d)", reg):
        digits = _digits(run)
        if len(digits) in (9, 14):
            return digits
    return None


def identifier_problems(party_label: str, party: Any) -> list[tuple[str, str, str, str]]:
    """(subject field, label key, value, reason key) for each identifier whose check fails. A number in a
    format no validator here knows (a Handelsregister entry, a VAT number of a country outside the EU) is
    accepted as written (DESIGN.md §2)."""
    from stdnum import iban as std_iban
    from stdnum.ch import uid as ch_uid
    from stdnum.eu import vat as eu_vat
    from stdnum.exceptions import InvalidChecksum
    from stdnum.exceptions import ValidationError as StdnumError
    from stdnum.fr import siren, siret
    from stdnum.gb import vat as gb_vat

    def reason(err: StdnumError) -> str:
        return "checksum" if isinstance(err, InvalidChecksum) else "invalid"

    out = []
    reg = (party.registration or "").strip()
    if reg and party.country in (None, "FR"):
        digits = _french_registration(reg)
        if digits:
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
        except StdnumError as err:
            out.append(("registration", "uid", reg, reason(err)))
    vat = (party.vat or "").strip()
    if vat:
        compact = re.sub(r"[\s.\-]", "", vat).upper()
        prefix = compact[:2]
        if prefix.isdigit() and (party.country or "").lower() in eu_vat.MEMBER_STATES:
            compact, prefix = ("EL" if party.country == "GR" else party.country) + compact, party.country  # type: ignore[operator]
        try:
            if compact.startswith("CHE"):
                ch_uid.validate(re.sub(r"(MWST|TVA|IVA)$", "", compact))
            elif prefix.lower() in eu_vat.MEMBER_STATES or prefix == "EL":  # python-stdnum's set is lower case
                eu_vat.validate(compact)
            elif prefix in ("GB", "XI") or (party.country == "GB" and prefix.isdigit()):
                gb_vat.validate(compact)
            # other formats (a non-EU number) are accepted as written
        except StdnumError as err:
            out.append(("vat", "vat", vat, reason(err)))
    iban = (getattr(party, "iban", None) or "").strip()
    if iban:
        try:
            std_iban.validate(iban)
        except StdnumError as err:
            out.append(("iban", "iban", iban, reason(err)))
    return out


@check("identifiers")
def check_identifiers(ctx: Context, params: dict[str, Any]) -> None:
    for role, party in (("creditor", ctx.case.creditor), ("debtor", ctx.case.debtor)):
        for fieldname, label, value, reason in identifier_problems(role, party):
            ctx.add("invalid-identifier", "warning", f"{role}.{fieldname}", f"invalid-identifier.{reason}",
                    "", party=i18n.text(ctx.lang, f"roles.{role}"),
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


CLAUSE_KINDS = ("contract", "terms")  # whose text the clause checks read
COURT_CLAUSE_KINDS = (*CLAUSE_KINDS, "purchase-order", "quote")  # where a jurisdiction clause may stand
TEXT_KINDS = frozenset((*COURT_CLAUSE_KINDS, "invoice"))  # every kind whose text a rule reads (mentions: invoices)


def _clause_court(ctx: Context) -> tuple[str, str] | None:
    """(court, file) named by a jurisdiction clause of the contract or terms, if any."""
    words = _data("textchecks.toml")
    for info in ctx.of_kind(*COURT_CLAUSE_KINDS):
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


@check("cross_border")
def check_cross_border(ctx: Context, params: dict[str, Any]) -> None:
    """Reg. 1896/2006 art. 3 (LEGAL.md §2.1): a cross-border case is one where at least one party is
    domiciled or habitually resident in a Member State other than the Member State of the court seised.
    "Member State" excludes Denmark (art. 2(3)): the procedure file's jurisdictions. The court is the
    one [case] court names, else the debtor's State (Form A ground 01)."""
    cred, debt = ctx.creditor_country, ctx.debtor_country
    states = ctx.procedure.jurisdictions
    if cred is None or debt is None:
        for role, value in (("creditor", cred), ("debtor", debt)):
            if value is None:
                ctx.add("missing-field", "error", f"{role}.country", "missing-field", params["source"],
                        field=f"{role}.country", label=i18n.text(ctx.lang, f"case_fields.{role}_country"))
        return
    court = ctx.court_country or debt
    if debt not in states:
        ctx.add("wrong-jurisdiction", "error", "debtor.country", "wrong-jurisdiction.eop", "Règl. 1896/2006 art. 2(3), 3",
                country=i18n.country(debt, ctx.lang))
    if court not in states:
        if court != debt:  # the court named in case.toml is in a State that does not apply the Regulation
            ctx.add("wrong-jurisdiction", "error", "case.court", "wrong-jurisdiction.eop-court", "Règl. 1896/2006 art. 2(3), 3",
                    court_in=ctx.country_in(court))
        return
    if any(c in states and c != court for c in (cred, debt)):
        return  # cross-border
    national = country(court).get("filing")
    options = i18n.text(ctx.lang, "units.for_example", items=ctx.procedures_text([national])) if national else ""
    roles = {"creditor": cred, "debtor": debt}
    if cred == debt == court:
        ctx.add("not-cross-border", "error", "debtor.country", "not-cross-border", params["source"],
                country_in=ctx.country_in(court), options=options)
    elif court in (cred, debt):  # one party in the court's State, the other where the Regulation does not apply
        inside = "debtor" if debt == court else "creditor"
        outside = "creditor" if inside == "debtor" else "debtor"
        ctx.add("not-cross-border", "error", "debtor.country", "not-cross-border.outside", params["source"],
                inside=i18n.text(ctx.lang, f"roles_the.{inside}"), outside=i18n.text(ctx.lang, f"roles_the.{outside}"),
                court_in=ctx.country_in(court), outside_in=ctx.country_in(roles[outside]), options=options)
    else:  # the court is in a third State and neither party in another Member State
        ctx.add("not-cross-border", "error", "debtor.country", "not-cross-border.none", params["source"],
                court_in=ctx.country_in(court), cred_in=ctx.country_in(cred), debt_in=ctx.country_in(debt), options=options)


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
    """A debtor in collective proceedings: in France pre-opening claims are declared, not pursued
    (LEGAL.md §1.7); elsewhere the check names the proceedings and leaves the rules to a local lawyer."""
    ins = ctx.case.insolvency
    if ins is None:
        return
    local = country(ctx.debtor_country)
    declare = local.get("insolvency")
    source = params.get("source") or local.get("insolvency_source") or PRACTICE
    if declare and declare != ctx.procedure.id:
        ctx.add("collective-proceedings", "error", "insolvency", "collective-proceedings", source,
                kind=ins.kind, judgment=ctx.d(ins.judgment), procedure=declare)
    elif not declare:
        ctx.add("collective-proceedings", "error", "insolvency", "collective-proceedings.other", source,
                kind=ins.kind, judgment=ctx.d(ins.judgment), country_in=ctx.country_in(ctx.debtor_country))


def outside_metropolitan_france(party: Any) -> bool:
    """C. com. R622-24: a creditor "not domiciled in metropolitan France" (LEGAL.md §1.7): abroad, in an
    overseas department or collectivity by its own ISO code, or written "FR" with an overseas postcode."""
    places = _data("countries.toml")["outside_metropolitan_france"]
    if party.country is None:
        return False
    if party.country != "FR":
        return True
    postcodes = re.findall(r"(?<!\d)(\d{5})(?!\d)", " ".join(party.address))
    return bool(postcodes) and postcodes[-1][:3] in places["fr_postcodes"]


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day (31 August + 1 month = 30 September)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@check("declaration")
def check_declaration(ctx: Context, params: dict[str, Any]) -> None:
    """C. com. R622-24: two months from the BODACC publication, four for a creditor not domiciled in
    metropolitan France."""
    ins = ctx.case.insolvency
    source = params["source"]
    if ins is None or ins.published is None:
        subject = "insolvency" if ins is None else "insolvency.published"
        ctx.add("missing-field", "error", subject, f"missing-field.{subject.replace('.', '_')}", source)
        return
    abroad = outside_metropolitan_france(ctx.case.creditor)
    months = int(params["months_abroad"] if abroad else params["months"])
    deadline = add_months(ins.published, months)
    key = ".abroad" if abroad else ""
    if ctx.as_of > deadline:
        ctx.add("deadline-passed", "error", "insolvency.published", f"deadline-passed{key}", source, deadline=ctx.d(deadline),
                months=months, published=ctx.d(ins.published))
    elif (deadline - ctx.as_of).days <= int(params.get("near_days", 15)):
        ctx.add("deadline-near", "warning", "insolvency.published", f"deadline-near{key}", source, deadline=ctx.d(deadline),
                when=ctx.days_from_now((deadline - ctx.as_of).days), months=months)


# ----------------------------------------------------------------------------------------------
# Translation

@check("translation")
def check_translation(ctx: Context, params: dict[str, Any]) -> None:
    """The documents are written in the documents' language (case.language, or build --lang), whatever
    language the report is read in. Served on a debtor of another language, filed with a court of
    another language, or evidence not in the court's language (LEGAL.md §7: free translation, sworn if
    contested): translation-needed, with the procedure's or the court country's rule, else practice.

    params: serve (documents served on the debtor) and source; file (documents filed with the court)
    and file_source; file_evidence (whether the evidence is filed) and evidence_source."""
    doc_lang = ctx.doc_lang
    debtor_lang = debtor_language(ctx.case)
    served = list(params.get("serve", []))
    if served and debtor_lang and debtor_lang != doc_lang:
        ctx.add("translation-needed", "warning", "documents", "translation-needed.served", params.get("source", PRACTICE),
                docs=ctx.both([i18n.text(ctx.lang, f"documents.{d}") for d in served]),
                debtor_lang=i18n.language_the(debtor_lang, ctx.lang), doc_lang_in=i18n.language_in(doc_lang, ctx.lang))
    court = ctx.court_country
    court_lang = court_language(ctx.case, ctx.procedure)
    filed = list(params.get("file", []))
    if filed and court_lang and court_lang != doc_lang:
        ctx.add("translation-needed", "warning", "court-documents", "translation-needed.filed", params.get("file_source", PRACTICE),
                docs=ctx.both([i18n.text(ctx.lang, f"documents.{d}") for d in filed]),
                doc_lang_in=i18n.language_in(doc_lang, ctx.lang), court_lang_in=i18n.language_in(court_lang, ctx.lang))
    if params.get("file_evidence") and court_lang:
        foreign = [p for p in ctx.pieces if p.error is None and p.piece.language != court_lang]
        if foreign:
            source = params.get("evidence_source") or country(court).get("evidence_translation_source") or PRACTICE
            ctx.add("translation-needed", "warning", "evidence", "translation-needed.evidence", source,
                    files=", ".join(p.piece.rel for p in foreign), court_lang_in=i18n.language_in(court_lang, ctx.lang))


# ----------------------------------------------------------------------------------------------
# Evidence hygiene


def evidence_hygiene(ctx: Context) -> None:
    for info in ctx.pieces:
        if info.error is not None:
            ctx.add("unreadable-evidence", "error", info.piece.rel, "unreadable-evidence", "",
                    file=info.piece.rel, error=info.error, hint=info.hint or "")
    by_hash: dict[str, list[str]] = defaultdict(list)
    for info in ctx.pieces:
        by_hash[info.piece.sha256].append(info.piece.rel)
    for rels in by_hash.values():
        if len(rels) > 1:
            ctx.add("duplicate-evidence", "warning", rels[0], "duplicate-evidence", PRACTICE,
                    files=ctx.both(rels), first=rels[0])
    for info in ctx.pieces:
        missing = info.facts.get("fonts_not_embedded")
        if info.error is None and missing:  # fonts pdfa.py could not replace: the bundle claims no PDF/A
            ctx.add("fonts-not-embedded", "info", info.piece.rel, "fonts-not-embedded.not-pdfa",
                    "ISO 19005 (PDF/A) 6.2.11.4", file=info.piece.rel, fonts=", ".join(missing[:6]))
        undecodable = info.facts.get("streams_not_decodable")
        if info.error is None and undecodable:  # kept LZW by qpdf: the bundle claims no PDF/A
            ctx.add("stream-not-decodable", "info", info.piece.rel, "stream-not-decodable",
                    "ISO 19005-2 (PDF/A) 6.1.7.2", file=info.piece.rel, n=undecodable)
        changes = pdfa.describe(info.facts, ctx.lang) if info.error is None else []
        if changes:  # what the conversion changed in the exhibit's copy to make it PDF/A-safe
            ctx.add("pdfa-normalised", "info", info.piece.rel, "pdfa-normalised", "ISO 19005-2, ISO 19005-3 (PDF/A)",
                    file=info.piece.rel, changes="; ".join(changes))
    for info in ctx.pieces:  # read, but not all of it: an e-mail attachment, an embedded e-invoice XML
        if info.error is not None:
            continue
        for item in (info.facts.get("email") or {}).get("not_reproduced", []):
            ctx.add("attachment-not-reproduced", "warning", item["name"], "attachment-not-reproduced", "",
                    file=info.piece.rel, name=item["name"].rsplit(" › ", 1)[-1], reason=item["reason"])
        einv = info.facts.get("einvoice") or {}
        if einv.get("error"):
            ctx.add("einvoice-unreadable", "warning", info.piece.rel, "einvoice-unreadable", "",
                    file=info.piece.rel, xml=einv.get("xml_name", "XML"), error=einv["error"])
    for info in ctx.pieces:
        if info.error is None and info.piece.kind == "other":
            ctx.add("unclassified-evidence", "info", info.piece.rel, "unclassified-evidence", "",
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
    if ctx.governing_country() not in (None, "FR") or ctx.case.debtor.consumer:
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
    docs = ctx.of_kind(*CLAUSE_KINDS)
    if not docs:
        return
    text = " ".join(d.text() for d in docs)
    if not text.strip():
        return
    words = _data("textchecks.toml")["clauses"]
    for clause in ("penalty", "retention", "jurisdiction"):
        if any(search(w, text) for w in words[clause]):
            continue
        if clause == "penalty":  # what the law of the claim provides failing a clause (data/countries.toml)
            law = statutory_interest(ctx)
            if law:
                ctx.add("missing-clause", "warning", clause, "missing-clause.penalty", law["source"], law=law[ctx.lang])
            else:
                ctx.add("missing-clause", "warning", clause, "missing-clause.penalty.unknown", "")
        else:  # no rule requires these clauses: practice (no rule in LEGAL.md)
            ctx.add("missing-clause", "warning", clause, f"missing-clause.{clause}", PRACTICE)
    found = _clause_court(ctx)
    if found and found[0]:
        ctx.add("jurisdiction-clause", "info", found[1], "jurisdiction-clause", "", court=found[0], file=found[1])


def statutory_interest(ctx: Context) -> dict[str, str] | None:
    """The late-payment interest the governing law gives without a clause, for this debtor type: the
    country's entry, or the Late Payment Directive's for another Member State's business debt."""
    code = ctx.governing_country()
    debtor = "consumer" if ctx.case.debtor.consumer else "business"
    rules = country(code).get("statutory_interest", {})
    if debtor in rules:
        return rules[debtor]
    from ..claim import eu_members

    if debtor == "business" and code in eu_members() and code not in _countries_with_interest():
        return _data("countries.toml")["EU"]["statutory_interest"]["business"]
    return None


def _countries_with_interest() -> set[str]:
    return {code for code, data in _countries().items() if "statutory_interest" in data}


# ----------------------------------------------------------------------------------------------
# The dunning timeline


def next_steps(ctx: Context) -> list[str]:
    """The procedures that can follow a fruitless notice: the debtor's country's own (data/countries.toml),
    the European order for payment between two Member States, the hand-over to a partner."""
    options = []
    national = country(ctx.debtor_country).get("filing")
    if national:
        options.append(national)
    from . import procedures

    try:
        eop = procedures.load("eu-order-for-payment").jurisdictions
    except KeyError:
        eop = []
    cred, debt = ctx.creditor_country, ctx.debtor_country
    if cred and debt and cred != debt and cred in eop and debt in eop:
        options.append("eu-order-for-payment")
    options.append("agency-handover")
    return [o for o in options if o != ctx.procedure.id]


@check("timeline")
def check_timeline(ctx: Context, params: dict[str, Any]) -> None:
    """The dunning timeline (practice, no rule: LEGAL.md §1.1): a reminder before the notice; a notice
    before a filing that does not require one (params notice = severity, notice_key, notice_source);
    escalation 30 to 45 days after a fruitless notice; a promise not yet due; a dispute (params
    dispute = severity, dispute_key: the procedure's message, dispute_source: the rule it puts at risk)."""
    stage = ctx.procedure.stage
    notices = ctx.events("formal-notice")
    reminders = ctx.events("reminder") + ctx.events("call")
    if notices and not any(r.date <= notices[0].date for r in reminders) and not ctx.of_kind("reminder"):
        ctx.add("no-reminder", "warning", "formal-notice", "no-reminder", PRACTICE, date=ctx.d(notices[0].date))
    if params.get("notice") and not notices and not reminders and not ctx.of_kind("reminder", "formal-notice"):
        ctx.add("no-notice", params["notice"], "formal-notice", f"no-notice.{params.get('notice_key', 'practice')}",
                params.get("notice_source", PRACTICE))
    if notices and stage in ("amicable", "handover"):
        last = notices[-1]
        start = last.received or last.date
        days = (ctx.as_of - start).days
        paid_after = [p for p in ctx.case.payment if p.date > start]
        if days > 45 and not paid_after:
            sent = "" if last.received else ".sent"
            ctx.add("escalation-due", "warning", "formal-notice", f"escalation-due{sent}", PRACTICE,
                    days=days, date=ctx.d(start), next=ctx.procedures_text(next_steps(ctx)))
    for promise in ctx.events("promise"):
        if promise.until and promise.until >= ctx.as_of:
            ctx.add("promise-pending", "warning", "promise", "promise-pending", PRACTICE,
                    until=ctx.d(promise.until), date=ctx.d(promise.date))
    severity = params.get("dispute", "warning")
    key = params.get("dispute_key", stage)
    for dispute in ctx.events("dispute"):
        ctx.add("disputed", severity, "dispute", f"disputed.{key}", params.get("dispute_source", PRACTICE),
                date=ctx.d(dispute.date), note=_quoted(dispute.note, ctx.lang) if dispute.note else "")


def _quoted(text: str, lang: str) -> str:
    return {"fr": f"\u00a0: «\u00a0{text}\u00a0»", "de": f": „{text}“"}.get(lang, f": “{text}”")


# ----------------------------------------------------------------------------------------------
# Country-specific


@check("default_de")
def check_default_de(ctx: Context, params: dict[str, Any]) -> None:
    """§ 286 BGB (LEGAL.md §3): default follows a reminder (Mahnung) sent after maturity; without one, an
    Entgeltforderung is in default at the latest ``days`` (30) days after maturity and receipt of the
    invoice, and against a consumer only if the invoice expressly pointed that out (the notice's words:
    data/textchecks.toml [default_de]). The receipt of the invoice is not recorded: its issue date
    stands for it."""
    days = int(params.get("days", 30))
    source = params.get("source", "§ 286 Abs. 3 BGB")
    patterns = _data("textchecks.toml")["default_de"]["notice"]
    demands = ctx.events("reminder") + ctx.events("formal-notice")
    for inv in ctx.case.invoice:
        if inv.due >= ctx.as_of:
            continue  # not due: check_due says so
        if any(e.date > inv.due for e in demands):
            continue  # in default from the reminder
        info = ctx.invoice_piece(inv.number, inv.file)
        text = info.text() if info is not None and info.error is None else ""
        notice = any(search(pattern, text) for pattern in patterns)
        early = [e for e in demands if e.date <= inv.due]
        if ctx.case.debtor.consumer and not notice:
            key = "missing-event.default-de-early" if early else "missing-event.default-de"
            ctx.add("missing-event", "error", inv.number, key, "§ 286 Abs. 1, 3 BGB", number=inv.number,
                    due=ctx.d(inv.due), date=ctx.d(early[-1].date) if early else "", days=days)
            continue
        in_default = max(inv.due, inv.issued) + dt.timedelta(days=days + 1)
        if ctx.as_of < in_default:
            ctx.add("not-in-default", "warning", inv.number, "not-in-default", source, number=inv.number,
                    date=ctx.d(in_default), days=days)


@check("currency")
def check_currency(ctx: Context, params: dict[str, Any]) -> None:
    wanted = params["required"]
    for inv in ctx.case.invoice:
        if inv.currency != wanted:
            ctx.add("wrong-currency", "warning", inv.number, "wrong-currency", params["source"], number=inv.number,
                    currency=inv.currency, wanted=wanted)


# ----------------------------------------------------------------------------------------------
# The claim's rates (LEGAL.md: a 🟡 rate is used and named in a warning; a ❌ one stops the claim)


def claim_rates(ctx: Context, case_root: Path | None) -> Any:
    """The claim's rates and rules checked by computing it; returns the statement (None when there is
    none to compute, or it cannot be), which build then uses rather than computing it again."""
    from .. import claim

    if not ctx.case.invoice:
        return None
    try:
        statement = claim.compute(ctx.case, ctx.as_of, case_root)
    except claim.RateMissingError as err:
        ctx.add("missing-rate", "error", err.series, "missing-rate", "",
                series=i18n.text(ctx.lang, f"series.{err.series}"), date=ctx.d(err.day), file=f"rates/{err.series}.csv")
        return None
    except Exception as err:  # noqa: BLE001 - any other reason the claim cannot be computed is reported too
        if not hasattr(err, "message"):
            raise
        ctx.add("missing-rate", "error", "claim", "missing-rate.other", "", error=err.message, hint=err.hint or "")
        return None
    for row in statement.unconfirmed:  # the row's source names the official publication to check it against
        name = row.file.rsplit("/", 1)[-1].removesuffix(".csv")
        ctx.add("unconfirmed-rule", "warning", f"{name}@{row.effective.isoformat()}", "unconfirmed-rule.rate", row.source,
                series=i18n.text(ctx.lang, f"series.{name}"), date=ctx.d(row.effective))
    return statement
