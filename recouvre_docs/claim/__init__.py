"""The claim: principal, statutory (or contractual) late-payment interest by period, fixed
compensation, and the payments imputed as the law of the case says.

The rules are data (data/interest.toml), the rates are data (data/rates/*.csv, plus the case
folder's own rates/*.csv), and the mechanics are LEGAL.md Part 1: Decimal only; a line covers whole
days from `from` to `to`, both included; lines split at every change of rate and at every payment;
365-day year unless [interest] day_count = "actual/actual"; each line rounded half-up to the cent;
totals are sums of rounded lines.
"""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import i18n
from ..errors import CaseFileError
from ..models import Case
from ..resources import data_path

CENT = Decimal("0.01")


class RateMissingError(CaseFileError):
    """A period needs a rate that the series does not have (exit 3: the case cannot be computed)."""

    series: str = ""
    day: dt.date | None = None


# ----------------------------------------------------------------------------------------------
# Rate series


@dataclass(frozen=True)
class RateRow:
    effective: dt.date
    values: dict[str, Decimal | None]
    status: str  # confirmed | unconfirmed | missing
    source: str
    file: str
    note: str = ""
    known_until: dt.date | None = None  # the last day the rate is known to be in force (data/rates/series.toml)


_META_COLUMNS = ("effective", "status", "source", "note", "known_until")
_STATUSES = ("confirmed", "unconfirmed", "missing")
_FORMAT = "effective,rate,status,source,note[,known_until], one row per rate, dates as 2026-12-16, rates as 2.65"


def _read_series(text: str, file: str) -> list[RateRow]:
    """The rows of a rate CSV; a malformed file stops with exit 3 naming the file, its line and the format."""

    def bad(line: int, what: str) -> CaseFileError:
        return CaseFileError(f"{file}:{line}: {what}", path=file,
                             hint=f"Expected a CSV file with the columns {_FORMAT} (as recouvre_docs/data/rates/ecb-mro.csv); "
                             "lines starting with # are comments.")

    def date(line: int, column: str, value: str) -> dt.date:
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise bad(line, f"{column}: expected a date such as 2026-12-16 (YYYY-MM-DD), found {value!r}") from None

    numbered = [(n, line) for n, line in enumerate(text.splitlines(), start=1)
                if line.strip() and not line.lstrip().startswith("#")]
    if not numbered:
        raise bad(1, "no header line and no row")
    records = list(csv.reader(line for _, line in numbered))
    header = [h.strip() for h in records[0]]
    missing = [c for c in ("effective", "status", "source") if c not in header]
    values_columns = [c for c in header if c not in _META_COLUMNS]
    if missing or not values_columns:
        found = ",".join(header)
        raise bad(numbered[0][0], f"header {found!r}: missing column(s) {', '.join(missing or ['rate'])}")
    rows = []
    for (n, _), rec in zip(numbered[1:], records[1:]):
        if len(rec) > len(header):
            raise bad(n, f"{len(rec)} fields for {len(header)} columns ({','.join(header)}); a decimal comma? write 2.65")
        rec = dict(zip(header, [v.strip() for v in rec] + [""] * (len(header) - len(rec))))
        values: dict[str, Decimal | None] = {}
        for column in values_columns:
            try:
                values[column] = Decimal(rec[column]) if rec[column] else None
            except ArithmeticError:
                raise bad(n, f"{column}: expected a number such as 2.65 (a point, no % sign), found {rec[column]!r}") from None
        if rec["status"] not in _STATUSES:
            raise bad(n, f"status: expected {', '.join(_STATUSES)}, found {rec['status']!r}")
        until = rec.get("known_until") or None
        rows.append(RateRow(date(n, "effective", rec["effective"]), values, rec["status"], rec["source"], file,
                            rec.get("note") or "", date(n, "known_until", until) if until else None))
    return rows


@lru_cache(maxsize=None)
def _packaged(name: str) -> tuple[RateRow, ...]:
    path = data_path("rates") / f"{name}.csv"
    if not path.is_file():
        return ()
    return tuple(_read_series(path.read_text("utf-8"), f"recouvre_docs/data/rates/{name}.csv"))


@lru_cache(maxsize=1)
def _series_meta() -> dict[str, Any]:
    return _load_toml(data_path("rates/series.toml"))


def periods(name: str) -> str:
    """How far the last row of the series ``name`` holds: "half-year" or "changes" (data/rates/series.toml)."""
    return _series_meta().get(name, {}).get("periods", "changes")


def series(name: str, case_root: Path | None = None) -> list[RateRow]:
    """The packaged series, with the rows of CASE_DIR/rates/<name>.csv added or replacing theirs."""
    rows = {r.effective: r for r in _packaged(name)}
    local = case_root / "rates" / f"{name}.csv" if case_root else None
    if local is not None and local.is_file():
        for r in _read_series(local.read_text("utf-8"), f"rates/{name}.csv"):
            rows[r.effective] = r
    return [rows[k] for k in sorted(rows)]


def _end_of_half(day: dt.date) -> dt.date:
    return dt.date(day.year, 6, 30) if day.month <= 6 else dt.date(day.year, 12, 31)


def known_until(rows: list[RateRow], index: int, name: str) -> dt.date:
    """The last day row ``index`` of ``rows`` holds (data/rates/series.toml: how far a series is known)."""
    row = rows[index]
    bounds = [rows[index + 1].effective - dt.timedelta(days=1)] if index + 1 < len(rows) else []
    if row.known_until is not None:
        bounds.append(row.known_until)
    elif not bounds:
        bounds.append(_end_of_half(row.effective) if periods(name) == "half-year" else row.effective)
    return min(bounds)


def rate_on(rows: list[RateRow], name: str, day: dt.date, column: str = "rate") -> RateRow:
    at = None
    for i, row in enumerate(rows):
        if row.effective <= day:
            at = i
    found = rows[at] if at is not None else None
    bound = known_until(rows, at, name) if found is not None else None
    if found is None or found.status == "missing" or found.values.get(column) is None or day > bound:
        if found is not None and found.status != "missing" and found.values.get(column) is not None:
            known = f"the series is known up to {bound.isoformat()} (its row of {found.effective.isoformat()} in {found.file})"
        else:
            last = [r for r in rows if r.status != "missing" and r.values.get(column) is not None and r.effective <= day]
            known = f"the last known rate is of {last[-1].effective.isoformat()}" if last else "it has no rate"
        public = found is not None and found.source.startswith("http")
        why = (f" ({found.source}: {found.note})" if public else f" ({found.note})") \
            if found is not None and found.status == "missing" and found.note else ""
        how = ("a row covers its half-year" if periods(name) == "half-year" else
               "on the last row, known_until: the last day the rate is known to be still in force")
        err = RateMissingError(
            f"no {name} rate ({column}) is known for {day.isoformat()}: {known}{why}",
            hint=f"Add a row to rates/{name}.csv in the case folder (or to recouvre_docs/data/rates/{name}.csv): "
            f"effective date, rate, status (confirmed), official source ({how}); "
            "or compute as of an earlier date (--as-of).",
        )
        err.series, err.day = name, day
        raise err
    return found


# ----------------------------------------------------------------------------------------------
# Rules


def _load_toml(path: Path) -> dict[str, Any]:
    """A data file, its numbers read as Decimal (LEGAL.md Part 1: never a float)."""
    return tomllib.loads(path.read_text("utf-8"), parse_float=Decimal)


@lru_cache(maxsize=1)
def _rules() -> dict[str, Any]:
    return _load_toml(data_path("interest.toml"))


@lru_cache(maxsize=1)
def _jurisdictions() -> dict[str, Any]:
    return _load_toml(data_path("jurisdictions.toml"))


def in_euro_area(country: str, day: dt.date) -> bool:
    """Whether ``country`` had the euro on ``day`` (data/jurisdictions.toml, not from LEGAL.md: unconfirmed)."""
    area = _jurisdictions()["euro_area"]
    joined = area["joined"].get(country)
    return country in area["members"] or (joined is not None and day >= joined)


@dataclass(frozen=True)
class Rule:
    key: str  # "FR.business"…
    data: dict[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.data[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.data.get(name, default)


def governing_country(case: Case, default: str | None = "FR") -> str | None:
    """The country whose law governs the claim: the creditor's (LEGAL.md Part 1), an overseas department
    counting as France (data/jurisdictions.toml [french_overseas]); ``default`` when case.toml names none."""
    country = case.creditor.country or default
    return "FR" if country in _jurisdictions()["french_overseas"]["law_fr"] else country


def eu_members() -> list[str]:
    """The Member States of the Union (data/jurisdictions.toml [eu])."""
    return _jurisdictions()["eu"]["members"]


def rule_for(case: Case) -> Rule:
    country = governing_country(case)
    debtor = "consumer" if case.debtor.consumer else "business"
    rules = _rules()
    overseas = _jurisdictions()["french_overseas"]
    if country in overseas["no_rule"] and not (case.interest is not None and case.interest.rate is not None):
        raise CaseFileError(
            f"no late-payment interest rule for a creditor in {i18n.country(country, 'en')} ({country}): a French "
            "overseas collectivity, where the French rules apply only as far as its own statute and the codes' "
            "overseas provisions say, which the sources of recouvre-docs do not give",
            hint="Set [interest] rate in case.toml to apply a contractual rate, or compute this claim by hand.",
        )
    for key in (f"{country}.{debtor}", f"{country}.any"):
        top, sub = key.split(".")
        if top in rules and sub in rules[top]:
            return Rule(key, rules[top][sub])
    if country in eu_members() and debtor == "business":
        return Rule("EU.business", rules["EU"]["business"])
    if case.interest is not None and case.interest.rate is not None:  # a contractual rate needs no statutory rule
        # no statutory source: the rate is the contract's; LEGAL.md names no imputation rule here, so
        # payments go to principal (the lowest claim) and the statement cites no source for that
        return Rule("contract", {"pick": "none", "start": "due", "source": None, "imputation": "principal"})
    raise CaseFileError(
        f"no late-payment interest rule for a creditor in {country} and a {debtor} debtor",
        hint="recouvre-docs computes French, German, English, Swiss and (business) EU claims; set [interest] rate "
        "to apply a contractual rate, or compute this claim by hand.",
    )


# ----------------------------------------------------------------------------------------------
# The statement


@dataclass(frozen=True)
class Note:
    """A remark of the statement, in words of ``templates/<lang>/strings.toml`` ([claim.note])."""

    key: str
    values: tuple[tuple[str, Any], ...] = ()

    def text(self, lang: str, currency: str) -> str:
        def fmt(name: str, value: Any) -> Any:
            if isinstance(value, dt.date):
                return i18n.format_date(value, lang)
            if isinstance(value, Decimal):
                return i18n.format_money(value, currency, lang)
            if name == "country":
                return i18n.country(value, lang)
            return value

        return i18n.text(lang, f"claim.note.{self.key}", **{k: fmt(k, v) for k, v in self.values})


@dataclass(frozen=True)
class Working:
    """How the rate of a line was found, for the statement to show it ("ECB rate 2.15 % + 10 points")."""

    basis: str  # statutory (series + margin) | fixed (the law's own rate) | contract | floor (the law's minimum)
    source: str | None  # the legal citation of the rate; None for the contract's own rate
    series: str | None = None  # the series read (statutory, floor)
    column: str | None = None  # its column, when it has several (fr-taux-legal)
    reference: Decimal | None = None  # the series' rate
    reference_day: dt.date | None = None  # the day it is read on (1 January / 1 July; the start's half-year)
    margin: Decimal | None = None
    fixed_for_life: bool = False  # England and Wales: the rate of the half-year the debt fell overdue
    times: Decimal | None = None  # floor: the minimum is ``times`` × the series
    contract: Decimal | None = None  # the contractual rate (set aside for the floor or the law's rate)
    minimum: Decimal | None = None  # contract: the law's minimum it was checked against
    floor_source: str | None = None  # contract: the citation of that minimum


@dataclass
class Line:
    invoice: str
    start: dt.date
    end: dt.date
    days: int
    base: Decimal
    rate: Decimal
    interest: Decimal
    source: str  # the legal citation of the rate, "contract" for the contract's own rate
    working: Working | None = None


@dataclass
class Imputation:
    date: dt.date
    amount: Decimal
    invoice: str | None  # the invoice case.toml names, if any
    parts: list[dict[str, Any]] = field(default_factory=list)  # {invoice, costs, interest, principal}
    unused: Decimal = Decimal(0)


@dataclass
class InvoiceState:
    number: str
    issued: dt.date
    due: dt.date
    amount: Decimal
    start: dt.date | None
    balance: Decimal
    fixed: Decimal = Decimal(0)
    fixed_paid: Decimal = Decimal(0)
    interest: Decimal = Decimal(0)  # accrued, rounded line by line
    interest_paid: Decimal = Decimal(0)
    accrued_to: dt.date | None = None  # last day already in a line
    paid_principal: Decimal = Decimal(0)
    lines: list[Line] = field(default_factory=list)


@dataclass
class Statement:
    currency: str
    as_of: dt.date
    rule: str
    source: str | None  # the legal citation of the rule; None: the contract's rate (no statutory rule)
    imputation_source: str | None  # None: no statutory source (LEGAL.md Part 1 convention)
    fixed_source: str | None
    invoices: list[InvoiceState]
    payments: list[Imputation]
    unconfirmed: list[RateRow]
    notes: list[Note]
    lang: str = "fr"  # the case language: the words of the notes in the JSON
    series: list[str] = field(default_factory=list)  # the rate series the lines used
    imputation: str = "interest-first"  # the order within an invoice: interest-first | costs-interest-principal | principal
    day_count: str = "actual/365"  # [interest] day_count: "actual/actual" counts 366 days in a leap year

    @property
    def lines(self) -> list[Line]:
        return [line for inv in self.invoices for line in inv.lines]

    @property
    def principal(self) -> Decimal:
        return sum((i.amount for i in self.invoices), Decimal(0))

    @property
    def paid(self) -> Decimal:
        return sum((p.amount - p.unused for p in self.payments), Decimal(0))

    @property
    def interest(self) -> Decimal:
        return sum((i.interest for i in self.invoices), Decimal(0))

    @property
    def fixed_compensation(self) -> Decimal:
        return sum((i.fixed for i in self.invoices), Decimal(0))

    @property
    def principal_outstanding(self) -> Decimal:
        return sum((i.balance for i in self.invoices), Decimal(0))

    @property
    def interest_outstanding(self) -> Decimal:
        return sum((i.interest - i.interest_paid for i in self.invoices), Decimal(0))

    @property
    def fixed_outstanding(self) -> Decimal:
        return sum((i.fixed - i.fixed_paid for i in self.invoices), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.principal_outstanding + self.interest_outstanding + self.fixed_outstanding

    def to_json(self) -> dict[str, Any]:
        s = lambda d: f"{d:.2f}"  # noqa: E731
        return {
            "currency": self.currency,
            "as_of": self.as_of.isoformat(),
            "principal": s(self.principal),
            "paid": s(self.paid),
            "interest": s(self.interest),
            "fixed_compensation": s(self.fixed_compensation),
            "total": s(self.total),
            "outstanding": {"principal": s(self.principal_outstanding), "interest": s(self.interest_outstanding),
                            "fixed_compensation": s(self.fixed_outstanding)},
            "rule": {"key": self.rule, "source": self.source, "imputation": self.imputation_source,
                     "imputation_order": self.imputation,
                     "fixed_compensation": self.fixed_source},
            "lines": [
                {"invoice": ln.invoice, "from": ln.start.isoformat(), "to": ln.end.isoformat(), "days": ln.days,
                 "base": s(ln.base), "rate": f"{ln.rate:.2f}", "interest": s(ln.interest), "source": ln.source,
                 "basis": ln.working.basis if ln.working else None,
                 "series": ln.working.series if ln.working else None,
                 "reference_rate": f"{ln.working.reference:.2f}" if ln.working and ln.working.reference is not None else None,
                 "margin": str(ln.working.margin) if ln.working and ln.working.margin is not None else None}
                for ln in self.lines
            ],
            "invoices": [
                {"invoice": i.number, "amount": s(i.amount), "due": i.due.isoformat(),
                 "interest_from": i.start.isoformat() if i.start else None, "interest": s(i.interest),
                 "fixed_compensation": s(i.fixed), "principal_outstanding": s(i.balance),
                 "interest_outstanding": s(i.interest - i.interest_paid)}
                for i in self.invoices
            ],
            "payments": [
                {"date": p.date.isoformat(), "amount": s(p.amount), "invoice": p.invoice,
                 "imputed": [{k: (s(v) if isinstance(v, Decimal) else v) for k, v in part.items()} for part in p.parts],
                 "unused": s(p.unused)}
                for p in self.payments
            ],
            "unconfirmed_rates": [{"series": r.file, "effective": r.effective.isoformat(), "source": r.source}
                                  for r in self.unconfirmed],
            "notes": [n.text(self.lang, self.currency) for n in self.notes],
            "day_count": self.day_count,
        }


def _half_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 1 if day.month <= 6 else 7, 1)


def _next_half(day: dt.date) -> dt.date:
    return dt.date(day.year, 7, 1) if day.month <= 6 else dt.date(day.year + 1, 1, 1)


def _notice_start(case: Case, after: dt.date) -> dt.date | None:
    """The day after receipt of the first formal notice sent after ``after`` (its date without receipt)."""
    notices = sorted((e for e in case.event if e.kind == "formal-notice" and e.date > after), key=lambda e: e.date)
    if not notices:
        return None
    return (notices[0].received or notices[0].date) + dt.timedelta(days=1)


def interest_start(case: Case, rule: Rule, due: dt.date) -> dt.date | None:
    if rule["pick"] == "none" and (case.interest is None or case.interest.rate is None):
        return None  # no statutory interest for this debt, and no contractual rate
    how = rule["start"]
    terms = case.interest
    if terms is not None and "from_" in terms.model_fields_set:  # [interest] from = "due" | "formal-notice"
        how = "due" if terms.from_ == "due" else "notice"
    if how == "due":
        return due + dt.timedelta(days=1)
    if how == "notice":
        return _notice_start(case, due)
    if how == "de-default":
        candidates = [d for d in (_notice_start(case, due),) if d]
        if not case.debtor.consumer:
            candidates.append(due + dt.timedelta(days=31))  # § 286 Abs. 3 BGB: at the latest 30 days after maturity
        return min(candidates) if candidates else None
    raise ValueError(how)


class _Rates:
    """The rate of a day under a rule: statutory (series + margin), fixed, or contractual with its floor."""

    def __init__(self, case: Case, rule: Rule, case_root: Path | None):
        self.rule, self.case, self.case_root = rule, case, case_root
        self.country = governing_country(case)
        self.contract = case.interest.rate if case.interest is not None else None
        self.rows = series(rule["series"], case_root) if rule.get("series") else []
        self.other: dict[str, list[RateRow]] = {}  # a national central bank's series (outside the euro area)
        self.names: set[str] = set()  # the series the statement used
        self.column = rule.get("column", "rate")
        if self.column == "creditor":
            self.column = "particuliers" if getattr(case.creditor, "private", False) else "autres"
        floor = rule.get("floor")
        self.floor_rows = series(floor["series"], case_root) if floor else []
        self.used: dict[tuple[str, dt.date], RateRow] = {}

    def _row(self, rows: list[RateRow], name: str, day: dt.date, column: str) -> RateRow:
        row = rate_on(rows, name, day, column)
        if row.status != "confirmed":
            self.used[(row.file, row.effective)] = row
        return row

    def splits(self) -> bool:
        return self.rule["pick"] == "half-year" and (self.contract is None or bool(self.rule.get("floor")))

    def rate(self, day: dt.date, start: dt.date) -> tuple[Decimal, Working]:
        rule = self.rule
        if self.contract is not None:
            floor = rule.get("floor")
            if floor:
                ref = _half_start(day)
                f = self._row(self.floor_rows, floor["series"], ref, floor["column"])
                times, reference = Decimal(floor["times"]), f.values[floor["column"]]
                minimum = times * reference
                read = {"series": floor["series"], "column": floor["column"], "reference": reference,
                        "reference_day": ref, "times": times}
                if self.contract < minimum:
                    return minimum, Working("floor", floor["source"], contract=self.contract, **read)
                return self.contract, Working("contract", None, minimum=minimum, floor_source=floor["source"], **read)
            if rule["pick"] == "fixed" and self.contract < Decimal(rule["rate"]):
                return Decimal(rule["rate"]), Working("fixed", rule["source"], contract=self.contract)
            return self.contract, Working("contract", None)
        if rule["pick"] == "fixed":
            return Decimal(rule["rate"]), Working("fixed", rule["source"])
        ref = _half_start(start) if rule["pick"] == "fixed-at-start" else _half_start(day)
        name, rows = self._series(ref)
        row = self._row(rows, name, ref, self.column)
        margin = Decimal(rule["margin"])
        reference = row.values[self.column]
        return reference + margin, Working("statutory", rule["source"], series=name,
                                           column=self.column if self.column != "rate" else None, reference=reference,
                                           reference_day=ref, margin=margin, fixed_for_life=rule["pick"] == "fixed-at-start")

    def _series(self, ref: dt.date) -> tuple[str, list[RateRow]]:
        """The series of the reference day ``ref``: the rule's, or (Directive 2011/7/EU, outside the euro
        area) the national central bank's, which the case folder must give (none is shipped)."""
        outside = self.rule.get("outside_euro")
        if not outside or in_euro_area(self.country, ref):
            self.names.add(self.rule["series"])
            return self.rule["series"], self.rows
        name = outside.format(country=self.country.lower())
        if name not in self.other:
            self.other[name] = series(name, self.case_root)
        if not self.other[name]:
            raise CaseFileError(
                f"no national central bank reference rate is shipped for a creditor in {i18n.country(self.country, 'en')} "
                f"({self.country}), outside the euro area on {ref.isoformat()}: there the reference rate of "
                f"{self.rule['source']} is the national central bank's rate, not the ECB's",
                hint=f"Add rates/{name}.csv to the case folder: the central bank's reference rate, one row per change "
                "(columns effective,rate,status,source,note,known_until, as recouvre_docs/data/rates/ecb-mro.csv; the rate "
                "in force on 1 January / 1 July applies to the half-year), or set [interest] rate to apply a contractual rate.",
            )
        self.names.add(name)
        return name, self.other[name]


def _year_days(day: dt.date, day_count: str) -> int:
    if day_count == "actual/actual":
        y = day.year
        return 366 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 365
    return 365


def _accrue(inv: InvoiceState, until: dt.date, rates: _Rates, day_count: str) -> None:
    """Add the lines of ``inv`` from its last accrued day to ``until`` (both included)."""
    if inv.start is None or until < inv.start or inv.balance <= 0:
        if inv.start is not None and until >= inv.start:
            inv.accrued_to = until
        return
    day = max(inv.start, inv.accrued_to + dt.timedelta(days=1)) if inv.accrued_to else inv.start
    while day <= until:
        end = until
        if rates.splits():
            end = min(end, _next_half(day) - dt.timedelta(days=1))
        if day_count == "actual/actual":
            end = min(end, dt.date(day.year, 12, 31))
        rate, working = rates.rate(day, inv.start)
        days = (end - day).days + 1
        amount = (inv.balance * rate / 100 * days / _year_days(day, day_count)).quantize(CENT, rounding=ROUND_HALF_UP)
        inv.lines.append(Line(inv.number, day, end, days, inv.balance, rate, amount, working.source or "contract", working))
        inv.interest += amount
        day = end + dt.timedelta(days=1)
    inv.accrued_to = until


def _fixed(rule: Rule, inv: InvoiceState, currency: str) -> Decimal:
    """The fixed compensation of ``inv``. It is a sum in the rule's currency (interest.toml): an invoice in
    another currency is refused, never given a sum of the wrong currency (no rate of exchange is in the data)."""
    fixed = rule.get("fixed")
    if not fixed:
        return Decimal(0)
    amount = Decimal(fixed["amount"]) if "amount" in fixed else None
    if "bands" in fixed:
        amount = next(Decimal(band["amount"]) for band in fixed["bands"]
                      if "below" not in band or inv.amount < Decimal(band["below"]))
    if fixed["currency"] != currency:
        bands = " (by bands of the amount in {0})".format(fixed["currency"]) if "bands" in fixed else ""
        raise CaseFileError(
            f"invoice {inv.number} is in {currency}, and the fixed compensation of {fixed['source']} is a sum in "
            f"{fixed['currency']}{bands}: {amount:.2f} {fixed['currency']} cannot be added to a total in {currency}, "
            "and recouvre-docs converts no currency (no rate or date of exchange is in its sources)",
            hint=f"Compute this claim by hand, or state the invoices in {fixed['currency']} in case.toml if they were "
            f"issued in {fixed['currency']}.",
        )
    return amount


def _apply(inv: InvoiceState, money: Decimal, order: str, on: dt.date) -> tuple[dict[str, Any], Decimal]:
    """Impute ``money`` to ``inv`` in the order of the law; return the part and what is left."""
    part = {"invoice": inv.number, "costs": Decimal(0), "interest": Decimal(0), "principal": Decimal(0)}
    costs_due = inv.fixed - inv.fixed_paid if inv.start is not None and on >= inv.start else Decimal(0)
    buckets = {
        "costs-interest-principal": ("costs", "interest", "principal"),
        "interest-first": ("interest", "principal", "costs"),
        "principal": ("principal", "interest", "costs"),
    }[order]
    for bucket in buckets:
        if money <= 0:
            break
        due = {"costs": costs_due, "interest": inv.interest - inv.interest_paid, "principal": inv.balance}[bucket]
        take = min(money, due)
        if take <= 0:
            continue
        part[bucket] += take
        money -= take
        if bucket == "costs":
            inv.fixed_paid += take
        elif bucket == "interest":
            inv.interest_paid += take
        else:
            inv.balance -= take
            inv.paid_principal += take
    return part, money


def compute(case: Case, as_of: dt.date, case_root: Path | None = None) -> Statement:
    """The statement of account of ``case`` on ``as_of``."""
    currencies = sorted({inv.currency for inv in case.invoice})
    if len(currencies) > 1:
        raise CaseFileError(
            f"the invoices are in several currencies ({', '.join(currencies)}): one statement per currency is not supported yet",
            hint="Split the case, one case folder per currency.",
        )
    currency = currencies[0] if currencies else "EUR"
    rule = rule_for(case)
    rates = _Rates(case, rule, case_root)
    day_count = case.interest.day_count if case.interest is not None else "actual/365"
    order = rule["imputation"]
    invoices = [
        InvoiceState(number=i.number, issued=i.issued, due=i.due, amount=i.amount,
                     start=interest_start(case, rule, i.due), balance=i.amount)
        for i in sorted(case.invoice, key=lambda i: (i.due, i.issued, i.number))
    ]
    by_number = {i.number: i for i in invoices}
    notes: list[Note] = []
    if governing_country(case) != (case.creditor.country or "FR"):  # an overseas department: French law
        notes.append(Note("overseas_fr", (("country", case.creditor.country),)))
    for inv in invoices:
        if inv.start is None:
            notes.append(Note(rule.get("note", "no_statutory"), (("invoice", inv.number), ("source", rule["source"])))
                         if rule["pick"] == "none" else Note("no_notice", (("invoice", inv.number),)))
    # Fixed compensation: per invoice still unpaid when interest starts (computed after payments below).
    payments: list[Imputation] = []
    # A payment after as_of is not made yet on the day of the statement: it is left out, and said so.
    later = [p for p in case.payment if p.date > as_of]
    if later:
        notes.append(Note("later_payments", (("n", len(later)), ("date", as_of),
                                             ("amount", sum((p.amount for p in later), Decimal(0))))))
    for pay in sorted((p for p in case.payment if p.date <= as_of), key=lambda p: p.date):
        imp = Imputation(date=pay.date, amount=pay.amount, invoice=pay.invoice)
        money = pay.amount
        targets = ([by_number[pay.invoice]] if pay.invoice in by_number else []) + [
            i for i in invoices if i.number != pay.invoice]
        for inv in targets:
            if money <= 0:
                break
            _accrue(inv, pay.date, rates, day_count)  # the payment day ends the invoice's line
            if inv.start is not None and pay.date >= inv.start and inv.fixed == 0:
                inv.fixed = _fixed(rule, inv, currency)
            part, money = _apply(inv, money, order, pay.date)
            if any(part[k] for k in ("costs", "interest", "principal")):
                imp.parts.append(part)
        imp.unused = money
        payments.append(imp)
    for inv in invoices:
        _accrue(inv, as_of, rates, day_count)
        late = inv.start is not None and inv.start <= as_of and (inv.balance > 0 or inv.lines)
        if late and inv.fixed == 0:
            inv.fixed = _fixed(rule, inv, currency)
    fixed = rule.get("fixed")
    return Statement(
        currency=currency,
        as_of=as_of,
        rule=rule.key,
        source=rule["source"],
        imputation_source=rule.get("imputation_source"),
        imputation=rule["imputation"],
        day_count=day_count,
        fixed_source=fixed["source"] if fixed else None,
        invoices=invoices,
        payments=payments,
        unconfirmed=sorted(rates.used.values(), key=lambda r: (r.file, r.effective)),
        notes=notes,
        lang=case.language,
        series=sorted(rates.names | ({rule["floor"]["series"]} if rates.floor_rows and rates.contract is not None else set())),
    )


def tables_used(statement: "Statement", case_root: Path | None = None) -> dict[str, str]:
    """SHA-256 of each rate table (packaged, and the case folder's own) the statement's rule reads."""
    import hashlib

    rule = _rules()
    top, sub = statement.rule.split(".") if "." in statement.rule else (None, None)
    data = rule.get(top, {}).get(sub, {}) if top else {}
    names = [n for n in (data.get("series"), (data.get("floor") or {}).get("series")) if n]
    names += [n for n in statement.series if n not in names]  # a national central bank's series (case folder)
    out = {}
    for name in names:
        for path, label in ((data_path("rates") / f"{name}.csv", f"data/rates/{name}.csv"),
                            ((case_root / "rates" / f"{name}.csv") if case_root else None, f"case:rates/{name}.csv")):
            if path is not None and path.is_file():
                out[label] = hashlib.sha256(path.read_bytes()).hexdigest()
    for name in ("rates/series.toml", "jurisdictions.toml"):  # how far a series holds; who takes which rule
        out[f"data/{name}"] = hashlib.sha256(data_path(name).read_bytes()).hexdigest()
    out["data/interest.toml"] = hashlib.sha256(data_path("interest.toml").read_bytes()).hexdigest()
    return out
