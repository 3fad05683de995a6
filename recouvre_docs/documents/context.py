"""One context for every document: the case, the statement of account and the exhibits turned into
formatted values (strings) and tables, in the document's language.

Every value is already formatted with Babel (dates, amounts) or num2words (amounts in words); the
document definitions only place them. A value that is missing is None, and a definition that uses it
without a ``when`` stops with a message naming the document and the field (documents.py).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from num2words import num2words

from .. import i18n
from ..claim import Statement
from ..models import Case

# The late-payment rate in words, per rule (interest.toml): which series and margin.
_SERIES_WORDS = {"ecb-mro": "series.ecb-mro", "fr-taux-legal": "series.fr-taux-legal", "de-basiszins": "series.de-basiszins",
                 "uk-late-payment-reference": "series.uk-late-payment-reference"}


def words(amount: Decimal, currency: str, lang: str) -> str:
    """The amount in words, as a cheque or a deed writes it ("vingt mille … euros et vingt-trois centimes")."""
    try:
        return num2words(amount, lang=lang, to="currency", currency=currency)
    except NotImplementedError:  # a currency num2words does not name in this language
        return f"{num2words(amount, lang=lang)} {currency}"


def _city(address: list[str]) -> str | None:
    """'69002 Lyon' -> 'Lyon' (the last address line without its postcode)."""
    if not address:
        return None
    last = address[-1].strip()
    return re.sub(r"^(?:[A-Z]{1,2}-)?\d{4,5}\s+", "", last) or last


def _iban(value: str | None) -> str | None:
    """FR76 1450 8006 … : IBAN in groups of four, as printed on bank details."""
    if not value:
        return None
    compact = value.replace(" ", "").upper()
    return "\u00a0".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def _party(prefix: str, party: Any, lang: str) -> dict[str, Any]:
    name = getattr(party, "name", None)
    address = list(getattr(party, "address", []) or [])
    signatory = getattr(party, "signatory", None)
    return {
        f"{prefix}_name": name,
        f"{prefix}_address": ", ".join(address) or None,
        f"{prefix}_address_lines": address,
        f"{prefix}_city": _city(address),
        f"{prefix}_country": i18n.country(party.country, lang) if getattr(party, "country", None) else None,
        f"{prefix}_country_code": getattr(party, "country", None),
        f"{prefix}_legal_form": getattr(party, "legal_form", None),
        f"{prefix}_registration": getattr(party, "registration", None),
        f"{prefix}_vat": getattr(party, "vat", None),
        f"{prefix}_email": getattr(party, "email", None),
        f"{prefix}_phone": getattr(party, "phone", None),
        f"{prefix}_iban": _iban(getattr(party, "iban", None)),
        f"{prefix}_bic": getattr(party, "bic", None),
        f"{prefix}_signatory": signatory,
        f"{prefix}_signatory_name": signatory.split(",")[0].strip() if signatory else None,
        f"{prefix}_signatory_title": signatory.split(",", 1)[1].strip() if signatory and "," in signatory else None,
    }


def build(case: Case, statement: Statement | None, exhibits: list[dict[str, Any]], *, lang: str, as_of: dt.date,
          procedure_title: str | None, deadline_days: int = 8) -> dict[str, Any]:
    """The context of every document of ``case`` in ``lang``."""
    d = lambda day: i18n.format_date(day, lang) if day else None  # noqa: E731
    ds = lambda day: i18n.format_date(day, lang, "short") if day else None  # noqa: E731
    ctx: dict[str, Any] = {}
    ctx.update(_party("creditor", case.creditor, lang))
    ctx.update(_party("debtor", case.debtor, lang))
    rep = case.representative
    ctx.update({
        "reference": case.case.reference,
        "court": case.case.court,
        "procedure_title": procedure_title,
        "date": d(as_of),
        "date_short": ds(as_of),
        "as_of_iso": as_of.isoformat(),
        "deadline_days": str(deadline_days),
        "deadline": d(as_of + dt.timedelta(days=deadline_days)),
        "has_representative": rep is not None,
        "representative_name": rep.name if rep else None,
        "representative_firm": rep.firm if rep else None,
        "representative_bar": rep.bar if rep else None,
        "representative_address": ", ".join(rep.address) if rep and rep.address else None,
        "representative_address_lines": list(rep.address) if rep else [],
        "representative_reference": rep.reference if rep else None,
        "debtor_consumer": case.debtor.consumer,
        "debtor_business": not case.debtor.consumer,
        "debtor_language": i18n.language(case.debtor.language, lang) if case.debtor.language else None,
        "case_language": i18n.language(lang, lang),
    })
    # who writes and signs: the representative when there is one, else the creditor's signatory
    if rep:
        ctx["sender_name"] = rep.firm or rep.name
        ctx["sender_lines"] = list(rep.address)
        ctx["signatory_name"] = rep.name
        ctx["signatory_title"] = ", ".join(x for x in (rep.firm, rep.bar) if x) or None
        ctx["place"] = _city(list(rep.address)) or ctx["creditor_city"]
    else:
        ctx["sender_name"] = case.creditor.name
        ctx["sender_lines"] = list(case.creditor.address)
        ctx["signatory_name"] = ctx["creditor_signatory_name"] or case.creditor.name
        ctx["signatory_title"] = ctx["creditor_signatory_title"]
        ctx["place"] = ctx["creditor_city"]

    notices = sorted((e for e in case.event if e.kind == "formal-notice"), key=lambda e: e.date)
    reminders = sorted((e for e in case.event if e.kind in ("reminder", "call")), key=lambda e: e.date)
    ctx.update({
        "has_notice": bool(notices),
        "notice_date": d(notices[-1].date) if notices else None,
        "notice_received": d(notices[-1].received) if notices and notices[-1].received else None,
        "has_reminder": bool(reminders),
        "reminder_date": d(reminders[-1].date) if reminders else None,
    })
    ins = case.insolvency
    ctx.update({
        "has_insolvency": ins is not None,
        "insolvency_kind": ins.kind if ins else None,
        "insolvency_judgment": d(ins.judgment) if ins and ins.judgment else None,
        "insolvency_published": d(ins.published) if ins and ins.published else None,
        "insolvency_administrator": ins.administrator if ins else None,
        "insolvency_court": (ins.court or case.case.court) if ins else None,
    })

    currency = statement.currency if statement else (case.invoice[0].currency if case.invoice else "EUR")
    money = lambda amount: i18n.format_money(amount, currency, lang)  # noqa: E731
    ctx["currency"] = currency
    if statement is not None:
        inv_by = {i.number: i for i in statement.invoices}
        paid_by: dict[str, Decimal] = {}
        for p in statement.payments:
            for part in p.parts:
                paid_by[part["invoice"]] = paid_by.get(part["invoice"], Decimal(0)) + part["costs"] + part["interest"] + part["principal"]
        ctx.update({
            "invoiced": money(statement.principal),
            "paid": money(statement.paid),
            "has_payments": statement.paid > 0,
            "principal": money(statement.principal_outstanding),
            "principal_words": words(statement.principal_outstanding, currency, lang),
            "interest": money(statement.interest_outstanding),
            "interest_words": words(statement.interest_outstanding, currency, lang),
            "has_interest": statement.interest_outstanding > 0,
            "fixed": money(statement.fixed_outstanding),
            "fixed_words": words(statement.fixed_outstanding, currency, lang),
            "has_fixed": statement.fixed_outstanding > 0,
            "fixed_count": str(sum(1 for i in statement.invoices if i.fixed)),
            "fixed_unit": money(next((i.fixed for i in statement.invoices if i.fixed), Decimal(0))),
            "total": money(statement.total),
            "total_words": words(statement.total, currency, lang),
            "interest_source": statement.source or i18n.text(lang, "claim.basis_contract"),
            "fixed_source": statement.fixed_source,
            "imputation_source": statement.imputation_source,
            "interest_rate_words": _rate_words(statement, lang),
            "interest_from": d(min((i.start for i in statement.invoices if i.start), default=None)),
            "invoice_numbers": i18n.join([i.number for i in case.invoice], lang, "and"),
            # the law of the claim (interest.toml): wording that cites a country's articles is guarded by these
            "law_fr": statement.rule.startswith("FR."),
            "law_fr_business": statement.rule == "FR.business",
            "law_fr_consumer": statement.rule == "FR.consumer",
            "law_de": statement.rule.startswith("DE."),
            "law_gb": statement.rule.startswith("GB."),
            "law_ch": statement.rule.startswith("CH."),
            "law_other": not statement.rule.startswith(("FR.", "DE.", "GB.", "CH.")),
            "invoice_count": str(len(case.invoice)),
        })
        ctx["table_invoices"] = [
            [inv.number, ds(inv.issued), ds(inv.due), money(inv.amount),
             money(paid_by.get(inv.number, Decimal(0))), money(inv_by[inv.number].balance)]
            for inv in sorted(case.invoice, key=lambda i: (i.due, i.number))
        ]
        ctx["table_interest"] = [
            [ln.invoice, ds(ln.start), ds(ln.end), str(ln.days), money(ln.base), i18n.format_rate(ln.rate, lang), money(ln.interest)]
            for ln in statement.lines
        ]
        ctx["table_claim"] = [
            [i18n.text(lang, "claim.principal"), money(statement.principal_outstanding)],
            [i18n.text(lang, "claim.interest_due"), money(statement.interest_outstanding)],
            *([[i18n.text(lang, "claim.fixed_due"), money(statement.fixed_outstanding)]] if statement.fixed_outstanding else []),
            [i18n.text(lang, "claim.total", date=d(as_of)), money(statement.total)],
        ]
        ctx["table_payments"] = [[d(p.date), money(p.amount)] for p in statement.payments]
    ctx["table_exhibits"] = [[e["label"], e["title"], e["date"] or "—", e["pages"]] for e in exhibits]
    events = sorted(case.event, key=lambda e: e.date)
    ctx["table_events"] = [
        [ds(e.date), i18n.text(lang, f"events.{e.kind}"), i18n.text(lang, f"channels.{e.channel}") if e.channel else "—",
         ds(e.received) if e.received else "—"]
        for e in events
    ]
    ctx["has_events"] = bool(events)
    # translation: into the debtor's language (the court's for a filing abroad); what, in how many pages and words
    target = case.debtor.language or {"DE": "de", "AT": "de", "GB": "en", "IE": "en", "FR": "fr", "BE": "fr",
                                      "LU": "fr"}.get(case.debtor.country or "", lang)
    ctx["translation_target"] = i18n.language(target, lang)
    ctx["translation_source"] = i18n.language(lang, lang)
    for code in ("fr", "en", "de"):
        ctx[f"translation_to_{code}"] = target == code
    ctx["table_translation"] = []  # filled by generate.py with the documents and exhibits to translate
    ctx["has_translation"] = False
    ctx["exhibit_count"] = str(len(exhibits))
    ctx["has_exhibits"] = bool(exhibits)
    return ctx


def _rate_words(statement: Statement, lang: str) -> str | None:
    """'taux de la BCE … majoré de 10 points' — the rule of the statement, in words."""
    from ..claim import _rules

    if "." not in statement.rule:  # "contract": no statutory rule, the contract's own rate
        rates = sorted({ln.rate for ln in statement.lines})
        return ", ".join(i18n.format_rate(r, lang) for r in rates) or None
    top, sub = statement.rule.split(".")
    rule = _rules()[top][sub]
    if rule.get("pick") == "fixed":
        return i18n.format_rate(Decimal(rule["rate"]), lang)
    series = rule.get("series")
    if not series:
        return None
    name = i18n.text(lang, _SERIES_WORDS[series])
    margin = Decimal(rule.get("margin", "0"))
    return i18n.text(lang, "documents_text.rate_plus", series=name, margin=i18n.format_number(margin, lang)) if margin else name
