"""The statement of account for people: a table in the case language (CLI) and a PDF (bundle)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import i18n
from ..models import Case
from . import Line, RateRow, Statement, Working, periods


def series_name(name: str, lang: str) -> str:
    return i18n.text(lang, f"series.{name}")


def working(w: Working, rate, lang: str) -> str:
    """How a rate was found, in words: "12,15 % = taux de la BCE … au 1er janvier 2026, soit 2,15 %, majoré de 10 points"."""
    t = lambda key, **kw: i18n.text(lang, key, **kw)  # noqa: E731
    pct = lambda value: i18n.format_rate(value, lang)  # noqa: E731
    ref = None
    if w.series is not None:
        column = t(f"claim.column_{w.column}") if w.column else ""
        if periods(w.series) == "half-year":
            half = t("claim.half_1" if w.reference_day.month <= 6 else "claim.half_2", year=w.reference_day.year)
            ref = t("claim.ref_half", series=series_name(w.series, lang), column=column, half=half)
        else:
            ref = t("claim.ref_changes", series=series_name(w.series, lang), date=i18n.format_date(w.reference_day, lang))
    values = {"rate": pct(rate), "ref": ref, "reference": pct(w.reference) if w.reference is not None else None,
              "margin": i18n.format_number(w.margin, lang) if w.margin is not None else None,
              "times": i18n.format_number(w.times, lang) if w.times is not None else None,
              "contract": pct(w.contract) if w.contract is not None else None,
              "minimum": pct(w.minimum) if w.minimum is not None else None}
    if w.basis == "statutory":
        key = "claim.working_fixed_at_start" if w.fixed_for_life else ("claim.working_margin" if w.margin else "claim.working_plain")
        return t(key, **values)  # the rule's source heads the interest table
    if w.basis == "fixed":
        return t("claim.working_fixed_contract" if w.contract is not None else "claim.working_fixed", **values)
    if w.basis == "floor":
        return t("claim.with_source", text=t("claim.working_floor", **values), source=w.source)
    if w.minimum is not None:  # a contractual rate checked against the law's minimum
        return t("claim.with_source", text=t("claim.working_contract_floor", **values), source=w.floor_source)
    return t("claim.working_contract", **values)


def _label(line: Line, st: Statement, lang: str) -> str:
    """What heads the interest table for this line: the law it applies, or "contractual rate"."""
    w = line.working
    if w is not None and w.basis == "contract":
        return i18n.text(lang, "claim.basis_contract")
    return (w.source if w is not None else None) or st.source or i18n.text(lang, "claim.basis_contract")


def _rate_source(row: RateRow, lang: str) -> str:
    """A public source is shown; a reference to our own research notes never is."""
    return row.source if row.source.startswith(("http://", "https://")) else i18n.text(lang, "claim.rate_unsourced")


def context(st: Statement, case: Case, lang: str) -> dict[str, Any]:
    """Everything the statement shows, formatted in ``lang`` (the template only lays it out)."""
    t = lambda key, **kw: i18n.text(lang, key, **kw)  # noqa: E731
    money = lambda amount: i18n.format_money(amount, st.currency, lang)  # noqa: E731
    day = lambda d: i18n.format_date(d, lang, "short" if lang != "en" else "medium")  # noqa: E731
    invoices = {i.number: i for i in case.invoice}
    payments = []
    for p in st.payments:
        parts = [
            t("claim.imputed", invoice=part["invoice"], parts=", ".join(
                t(f"claim.part_{k}", amount=money(part[k])) for k in ("costs", "interest", "principal") if part[k]))
            for part in p.parts
        ]
        if p.unused:
            parts.append(t("claim.unused", amount=money(p.unused)))
        payments.append({"line": t("claim.payment_line", date=i18n.format_date(p.date, lang), amount=money(p.amount)),
                         "parts": parts})
    late = [i for i in st.invoices if i.fixed]
    units = sorted({i.fixed for i in late})
    fixed_units = (f"{len(late)} × {money(units[0])}" if len(units) == 1 else " + ".join(money(i.fixed) for i in late))
    labels = list(dict.fromkeys(_label(ln, st, lang) for ln in st.lines)) or [
        st.source or i18n.text(lang, "claim.basis_contract")]
    workings = list(dict.fromkeys(working(ln.working, ln.rate, lang) for ln in st.lines if ln.working is not None))
    payments_basis = t(f"claim.order_{st.imputation}")
    if st.imputation_source:
        payments_basis = t("claim.with_source", text=payments_basis, source=st.imputation_source)
    return {
        "title": t("claim.title"),
        "heading": t("claim.heading", case=case.case.reference, date=i18n.format_date(st.as_of, lang)),
        "subheading": t("claim.subheading", case=case.case.reference, date=i18n.format_date(st.as_of, lang)),
        "parties": t("claim.parties", creditor=case.creditor.name, debtor=case.debtor.name),
        "invoices": [
            {"line": t("claim.invoice_line", number=i.number, issued=i18n.format_date(invoices[i.number].issued, lang),
                       due=i18n.format_date(i.due, lang)), "amount": money(i.amount)}
            for i in st.invoices
        ],
        "payments": payments,
        "payments_basis": payments_basis,
        "payments_heading": f"{t('claim.payments')}, {payments_basis}",
        "imputation_source": st.imputation_source,
        "interest_source": "; ".join(labels),
        "interest_heading": t("claim.with_source", text=t("claim.interest"), source="; ".join(labels)),
        "workings": workings,
        "columns": [t(f"claim.col_{c}") for c in ("invoice", "from", "to", "days", "base", "rate", "interest")],
        "lines": [
            [ln.invoice, day(ln.start), day(ln.end), str(ln.days), money(ln.base), i18n.format_rate(ln.rate, lang),
             money(ln.interest)]
            for ln in st.lines
        ],
        "interest_total": money(st.interest),
        "fixed": t("claim.fixed_line", n=len(late), units=fixed_units, amount=money(st.fixed_compensation)) if late else None,
        "fixed_source": st.fixed_source,
        "summary": [
            (t("claim.principal"), money(st.principal_outstanding)),
            (t("claim.interest_due"), money(st.interest_outstanding)),
            (t("claim.fixed_due"), money(st.fixed_outstanding)),
        ],
        "total": (t("claim.total", date=i18n.format_date(st.as_of, lang)), money(st.total)),
        "unconfirmed": [t("claim.rate_note", series=series_name(r.file.rsplit('/', 1)[-1].removesuffix('.csv'), lang),
                          rate=", ".join(i18n.format_rate(v, lang) for v in r.values.values() if v is not None),
                          date=i18n.format_date(r.effective, lang), source=_rate_source(r, lang)) for r in st.unconfirmed],
        "notes": [n.text(lang, st.currency) for n in st.notes],
        "days_basis": t("claim.days_basis_actual" if st.day_count == "actual/actual" else "claim.days_basis"),
    }


def to_text(st: Statement, case: Case, lang: str) -> str:
    c = context(st, case, lang)
    t = lambda key, **kw: i18n.text(lang, key, **kw)  # noqa: E731
    colon = "\u00a0:" if lang == "fr" else ":"
    out = [c["heading"], c["parties"], "", t("claim.invoices")]
    width = max((len(i["line"]) for i in c["invoices"]), default=0)
    out += [f"  {i['line']:<{width}}  {i['amount']:>14}" for i in c["invoices"]]
    if c["payments"]:
        out += ["", c["payments_heading"]]
        for p in c["payments"]:
            out.append(f"  {p['line']}")
            out += [f"    {part}" for part in p["parts"]]
    out += ["", c["interest_heading"]]
    if c["lines"]:
        rows = [c["columns"], *c["lines"]]
        widths = [max(len(r[k]) for r in rows) for k in range(len(c["columns"]))]
        for n, r in enumerate(rows):
            cells = [r[0].ljust(widths[0])] + [r[k].rjust(widths[k]) if k >= 3 else r[k].ljust(widths[k])
                                               for k in range(1, len(r))]
            out.append("  " + "  ".join(cells))
            if n == 0:
                out.append("  " + "  ".join("-" * w for w in widths))
        out.append(f"  {'':<{sum(widths) + 2 * (len(widths) - 1) - len(c['interest_total'])}}{c['interest_total']}")
        out += ["", f"{t('claim.rates_applied')}{colon}"] + [f"  - {w}" for w in c["workings"]]
    else:
        out.append(f"  {t('claim.no_interest')}")
    if c["fixed"]:
        out += ["", f"{t('claim.fixed')} ({c['fixed_source']})", f"  {c['fixed']}"]
    out += ["", t("claim.summary")]
    label_width = max(len(label) for label, _ in [*c["summary"], c["total"]])
    out += [f"  {label:<{label_width}}  {value:>14}" for label, value in c["summary"]]
    out.append(f"  {c['total'][0]:<{label_width}}  {c['total'][1]:>14}")
    out += ["", c["days_basis"]]
    if c["unconfirmed"]:
        out += ["", t("claim.unconfirmed")] + [f"  - {u}" for u in c["unconfirmed"]]
    if c["notes"]:
        out += ["", f"{t('claim.notes')}{colon}"] + [f"  - {n}" for n in c["notes"]]
    return "\n".join(out) + "\n"


def to_pdf(st: Statement, case: Case, lang: str, target: Path, case_root: Path) -> int:
    """Render the statement as a PDF document of the bundle; return its page count."""
    from ..render import frontmatter

    c = context(st, case, lang)
    # "rates to confirm before signing" is for the lawyer (the check's unconfirmed-rule warning and the
    # `claim` text say it), not for the court: the bundle's statement does not carry it
    c["unconfirmed"] = []
    return frontmatter.render_to_pdf("statement.html", {"s": c, "case": case.case}, target, lang=lang,
                                     case_root=case_root)
