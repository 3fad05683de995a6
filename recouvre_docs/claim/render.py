"""The statement of account for people: a table in the case language (CLI) and a PDF (bundle)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import i18n
from ..models import Case
from . import Statement


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
        "imputation_source": st.imputation_source,
        "interest_source": st.source,
        "columns": [t(f"claim.col_{c}") for c in ("invoice", "from", "to", "days", "base", "rate", "interest")],
        "lines": [
            [ln.invoice, day(ln.start), day(ln.end), str(ln.days), money(ln.base), i18n.format_rate(ln.rate, lang),
             money(ln.interest)]
            for ln in st.lines
        ],
        "interest_total": money(st.interest),
        "fixed": t("claim.fixed_line", n=len(late), amount=money(st.fixed_compensation)) if late else None,
        "fixed_source": st.fixed_source,
        "summary": [
            (t("claim.principal"), money(st.principal_outstanding)),
            (t("claim.interest_due"), money(st.interest_outstanding)),
            (t("claim.fixed_due"), money(st.fixed_outstanding)),
        ],
        "total": (t("claim.total", date=i18n.format_date(st.as_of, lang)), money(st.total)),
        "unconfirmed": [t("claim.rate_note", series=t(f"series.{r.file.rsplit('/', 1)[-1].removesuffix('.csv')}"),
                          date=i18n.format_date(r.effective, lang), source=r.source) for r in st.unconfirmed],
        "notes": [n.text(lang, st.currency) for n in st.notes],
        "days_basis": t("claim.days_basis"),
    }


def to_text(st: Statement, case: Case, lang: str) -> str:
    c = context(st, case, lang)
    t = lambda key, **kw: i18n.text(lang, key, **kw)  # noqa: E731
    colon = "\u00a0:" if lang == "fr" else ":"
    out = [c["heading"], c["parties"], "", t("claim.invoices")]
    width = max((len(i["line"]) for i in c["invoices"]), default=0)
    out += [f"  {i['line']:<{width}}  {i['amount']:>14}" for i in c["invoices"]]
    if c["payments"]:
        out += ["", f"{t('claim.payments')} ({c['imputation_source']})"]
        for p in c["payments"]:
            out.append(f"  {p['line']}")
            out += [f"    {part}" for part in p["parts"]]
    out += ["", f"{t('claim.interest')} ({c['interest_source']})"]
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

    return frontmatter.render_to_pdf("statement.html", {"s": context(st, case, lang), "case": case.case}, target,
                                     lang=lang, case_root=case_root)
