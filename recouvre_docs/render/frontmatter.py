"""The cover page and the index (bordereau de pièces / list of exhibits / Anlagenverzeichnis)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..check import procedures
from ..models import Case
from ..resources import templates_root
from . import environment
from .pdf import html_to_pdf


def _roots(case_root: Path | None) -> list[Path]:
    roots = [templates_root()]
    if case_root is not None and (case_root / "templates").is_dir():
        roots.append(case_root / "templates")
    return roots


def render_to_pdf(name: str, context: dict[str, Any], target: Path, *, lang: str, case_root: Path | None) -> int:
    html = environment.render(name, context, lang, case_root)
    base = templates_root() / "shared"
    return html_to_pdf(html, target, base_dir=base, roots=_roots(case_root), lang=lang).pages


def volume_covers_context(case: Case, *, lang: str, volumes: list[dict[str, Any]], volume_count: int,
                          total_pages: int) -> dict[str, Any]:
    """The covers of volumes 2, 3…: ``volumes`` holds number, exhibits (text), first and last page."""
    return {"case": case.case, "creditor": case.creditor, "debtor": case.debtor, "volumes": volumes,
            "volume_count": volume_count, "total_pages": total_pages}


def amounts(case: Case) -> dict[str, dict[str, Decimal]]:
    """Invoiced, paid and outstanding principal per currency (plain arithmetic, no interest)."""
    currency_of = {inv.number: inv.currency for inv in case.invoice}
    default = case.invoice[0].currency if case.invoice else "EUR"
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"invoiced": Decimal("0.00"), "paid": Decimal("0.00")})
    for inv in case.invoice:
        totals[inv.currency]["invoiced"] += inv.amount
    for pay in case.payment:
        cur = pay.currency or currency_of.get(pay.invoice or "", default)
        totals[cur]["paid"] += pay.amount
    for t in totals.values():
        t["balance"] = t["invoiced"] - t["paid"]
    return dict(sorted(totals.items()))


def cover_context(case: Case, *, lang: str, procedure: str | None, as_of: dt.date, exhibits: int, pages: int,
                  findings: list[str], claim: Any = None) -> dict[str, Any]:
    rep = case.representative
    prepared_by = (f"{rep.name}, {rep.firm}" if rep.firm else rep.name) if rep else case.creditor.name
    return {
        "case": case.case,
        "creditor": case.creditor,
        "debtor": case.debtor,
        "representative": rep,
        "invoices": case.invoice,
        "amounts": amounts(case),
        "procedure_title": procedures.load(procedure).title[lang] if procedure else None,
        "as_of": as_of,
        "exhibit_count": exhibits,
        "page_count": pages,
        "prepared_by": prepared_by,
        "findings": findings,
        "claim": None if claim is None else {
            "currency": claim.currency, "as_of": claim.as_of, "principal": claim.principal_outstanding,
            "interest": claim.interest_outstanding, "fixed": claim.fixed_outstanding, "total": claim.total,
        },
    }


def index_context(case: Case, entries: list[Any], *, as_of: dt.date, link_scheme: str, total_pages: int,
                  volume_of: dict[str, int] | None = None) -> dict[str, Any]:
    """``volume_of``: exhibit number -> volume, when the bundle is split (the index then says where each is)."""
    return {
        "case": case.case,
        "creditor": case.creditor,
        "debtor": case.debtor,
        "representative": case.representative,
        "as_of": as_of,
        "rows": [
            {
                "key": e.key,
                "label": e.label,
                "title": e.title,
                "date": e.date,
                "kind": e.kind,
                "first": e.first,
                "last": e.last,
                "child": e.level > 0,
                "level": e.level,
                "href": link_scheme + e.key,
                "volume": (volume_of or {}).get(e.key.split(".")[0]),
            }
            for e in entries
        ],
        "volumes": bool(volume_of),
        "exhibit_count": sum(1 for e in entries if e.level == 0),
        "exhibit_pages": sum(e.pages for e in entries),
        "total_pages": total_pages,
        "ocr_pages": ", ".join(str(e.first + n - 1) for e in entries for n in getattr(e, "ocr", ())),
    }
