"""One context for every document: the case, the statement of account and the exhibits turned into
formatted values (strings) and tables, in the document's language.

Every value is already formatted with Babel (dates, amounts) or num2words (amounts in words); the
document definitions only place them. A value that is missing is None: in a form's field the
document prints it "to be completed" and names it; elsewhere a definition that uses it without a
``when`` stops with a message naming the document and the field (documents/__init__.py).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from num2words import num2words

from .. import i18n
from ..claim import Statement
from ..claim import rule_for as claim_rule_for
from ..models import Case

# The late-payment rate in words, per rule (interest.toml): which series and margin.
_SERIES_WORDS = {"ecb-mro": "series.ecb-mro", "fr-taux-legal": "series.fr-taux-legal", "de-basiszins": "series.de-basiszins",
                 "uk-late-payment-reference": "series.uk-late-payment-reference"}

# A natural person's courtesy titles, left out when a form asks for the surname and first name apart.
_HONORIFICS = {"maître", "me", "m.", "mme", "mlle", "monsieur", "madame", "mr", "mr.", "mrs", "mrs.", "ms", "ms.",
               "miss", "dr", "dr.", "prof.", "herr", "frau", "rechtsanwalt", "rechtsanwältin", "ra", "rain"}
# The last address line: "69002 Lyon", "D-80331 München", "CH-8001 Zürich" (postcode first) or
# "London EC1A 1BB" (a British postcode last).
_POSTCODE_FIRST = re.compile(r"^(?:[A-Z]{1,3}-)?(\d{4,5})\s+(.+)$")
_POSTCODE_LAST = re.compile(r"^(.+?),?\s+([A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})$")

# The translation's deadline when [translation] gives neither deadline nor days: a product default,
# not a rule of law (LEGAL.md §7 lists the deadline among the contents of the request, without a period).
TRANSLATION_DAYS = 15


def short_date(day: dt.date | None, lang: str) -> str | None:
    """A date in a table or a form: 02/03/2026 (fr, en), 02.03.2026 (de); never a two-digit year."""
    return i18n.format_date(day, lang, i18n.text(lang, "document_marks.short_date")) if day else None


def words(amount: Decimal, currency: str, lang: str) -> str:
    """The amount in words, as a deed writes it: "vingt-deux mille … euros et soixante-huit centimes",
    "twenty-two thousand … euros and sixty-eight cents", "zweiundzwanzigtausend … Euro und achtundsechzig
    Cent". num2words writes the numbers; the currency words are data (strings.toml, [amount_words])."""
    names = i18n.strings(lang)["amount_words"]
    spec = names.get(currency)
    if spec is None:  # a currency without words: the number in words and the ISO code
        return f"{num2words(amount, lang=lang)} {currency}"
    units, cents = divmod(int((amount * 100).to_integral_value()), 100)

    def part(n: int, forms: list[str]) -> str:
        number = num2words(n, lang=lang)
        if lang == "de" and n == 1:
            number = "ein"  # "ein Euro", not "eins Euro"
        form = forms[0] if (n < 2 if lang == "fr" else n == 1) else forms[1]
        if lang == "fr" and number.endswith(("million", "millions", "milliard", "milliards")):
            return f"{number} d'{form}" if form[0] in "aeiouy" else f"{number} de {form}"  # un million d'euros
        return f"{number} {form}"

    if cents and not units:
        return part(cents, spec["sub"])
    text = part(units, spec["unit"])
    return f"{text}{names['joiner']}{part(cents, spec['sub'])}" if cents else text


def split_address(lines: list[str]) -> tuple[str | None, str | None, str | None]:
    """(street, postcode, city) as forms ask them apart; the postcode None when the last line has none."""
    lines = [x.strip() for x in lines if x and x.strip()]
    if not lines:
        return None, None, None
    if len(lines) == 1 and "," in lines[0]:
        head, _, tail = lines[0].rpartition(",")
        lines = [head.strip(), tail.strip()]
    street = ", ".join(lines[:-1]) or None
    last = lines[-1]
    if m := _POSTCODE_FIRST.match(last):
        return street, m.group(1), m.group(2)
    if m := _POSTCODE_LAST.match(last):
        return street, m.group(2), m.group(1)
    return street, None, last


def split_name(full: str | None) -> tuple[str | None, str | None]:
    """(surname, first name) of a person written "Sophie Lambert" or "Maître Sophie Lambert": courtesy
    titles dropped, the last word the surname. A surname of several words needs [party] surname."""
    if not full:
        return None, None
    parts = [w for w in full.split() if w.lower() not in _HONORIFICS]
    if not parts:
        return full, None
    return parts[-1], " ".join(parts[:-1]) or None


def _iban(value: str | None) -> str | None:
    """FR76 1450 8006 … : IBAN in groups of four, as printed on bank details (ordinary spaces, so that
    a line may break between two groups instead of stretching a justified line)."""
    if not value:
        return None
    compact = value.replace(" ", "").upper()
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def _signatory(signatory: str | None) -> tuple[str | None, str | None]:
    """"Claire Dupont, présidente" -> (name, position)."""
    if not signatory:
        return None, None
    name, _, position = signatory.partition(",")
    return name.strip() or None, position.strip() or None


def _party(prefix: str, party: Any, lang: str, person: bool) -> dict[str, Any]:
    name = getattr(party, "name", None)
    address = list(getattr(party, "address", []) or [])
    street, postcode, city = split_address(address)
    signatory = getattr(party, "signatory", None)
    sig_name, sig_position = _signatory(signatory)
    guess_surname, guess_first = split_name(name) if person else (None, None)
    sig_surname, sig_first = split_name(sig_name)
    return {
        f"{prefix}_name": name,
        f"{prefix}_person": person,
        f"{prefix}_company": not person,
        f"{prefix}_surname": (getattr(party, "surname", None) or guess_surname) if person else None,
        f"{prefix}_first_name": (getattr(party, "first_name", None) or guess_first) if person else None,
        f"{prefix}_address": ", ".join(address) or None,
        f"{prefix}_address_lines": address,
        f"{prefix}_street": street,
        f"{prefix}_postcode": postcode,
        f"{prefix}_city": city,
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
        f"{prefix}_signatory_name": sig_name,
        f"{prefix}_signatory_title": sig_position,
        f"{prefix}_signatory_surname": sig_surname,
        f"{prefix}_signatory_first_name": sig_first,
        # a company in a sentence: "la société X" (fr); a natural person by name alone
        f"{prefix}_designation": name if person else i18n.text(lang, "document_words.company", name=name),
        f"{prefix}_designation_cap": name if person else i18n.text(lang, "document_words.company_cap", name=name),
    }


INLINE_EXHIBITS = 40  # product choice (no rule sets a number): see "exhibits_inline" below


def build(case: Case, statement: Statement | None, exhibits: list[dict[str, Any]], *, lang: str, as_of: dt.date,
          procedure_title: str | None, deadline_days: int = 8) -> dict[str, Any]:
    """The context of every document of ``case`` in ``lang``."""
    d = lambda day: i18n.format_date(day, lang) if day else None  # noqa: E731
    ds = lambda day: short_date(day, lang)  # noqa: E731
    debtor = case.debtor
    debtor_person = debtor.consumer or debtor.sole_trader
    ctx: dict[str, Any] = {}
    ctx.update(_party("creditor", case.creditor, lang, person=case.creditor.private))
    ctx.update(_party("debtor", debtor, lang, person=debtor_person))
    rep = case.representative
    rep_street, rep_postcode, rep_city = split_address(list(rep.address) if rep else [])
    rep_surname, rep_first = split_name(rep.name if rep else None)
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
        "representative_surname": rep_surname,
        "representative_first_name": rep_first,
        "representative_firm": rep.firm if rep else None,
        "representative_bar": rep.bar if rep else None,
        "representative_address": ", ".join(rep.address) if rep and rep.address else None,
        "representative_address_lines": list(rep.address) if rep else [],
        "representative_street": rep_street,
        "representative_postcode": rep_postcode,
        "representative_city": rep_city,
        "representative_reference": rep.reference if rep else None,
        # interest and fixed compensation follow consumer alone (claim/); the documents also treat a
        # sole trader as an individual: the Debt Claims Protocol letter, a person's name and domicile
        "debtor_consumer": debtor.consumer,
        "debtor_business": not debtor.consumer,
        "debtor_sole_trader": debtor.sole_trader,
        "debtor_individual": debtor_person,
        "debtor_language": i18n.language(debtor.language, lang) if debtor.language else None,
        "case_language": i18n.language(lang, lang),
    })
    # who writes and signs: the representative when there is one, else the creditor's signatory
    if rep:
        ctx["sender_name"] = rep.firm or rep.name
        ctx["sender_lines"] = list(rep.address)
        ctx["signatory_name"] = rep.name
        ctx["signatory_title"] = ", ".join(x for x in (rep.firm, rep.bar) if x) or None
        ctx["place"] = rep_city or ctx["creditor_city"]
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
        rule = claim_rule_for(case)
        inv_by = {i.number: i for i in statement.invoices}
        paid_by: dict[str, Decimal] = {}
        for p in statement.payments:
            for part in p.parts:
                paid_by[part["invoice"]] = paid_by.get(part["invoice"], Decimal(0)) + part["costs"] + part["interest"] + part["principal"]
        # the fixed sums still owed: one per invoice whose fixed sum is unpaid (not every invoice)
        fixed_open = [i for i in statement.invoices if i.fixed - i.fixed_paid > 0]
        fixed_rule = rule.get("fixed") or {}
        fixed_unit = (i18n.format_money(Decimal(fixed_rule["amount"]), fixed_rule.get("currency", currency), lang)
                      if "amount" in fixed_rule else None)  # None: the sum depends on the invoice (England)
        ctx.update({
            "statement_date": d(statement.as_of),
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
            "fixed_count": str(len(fixed_open)),
            "fixed_count_words": i18n.text(lang, "document_words.fixed_invoices", n=len(fixed_open)),
            "fixed_unit": fixed_unit,
            "total": money(statement.total),
            "total_words": words(statement.total, currency, lang),
            "interest_source": statement.source or i18n.text(lang, "claim.basis_contract"),
            "fixed_source": statement.fixed_source,
            "imputation_source": statement.imputation_source,
            "imputation_text": _imputation(statement, rule, lang, money) if statement.paid > 0 else None,
            "interest_rate_words": _rate_words(case, rule, lang, "documents_text.rate_plus"),
            "interest_rate_field": _rate_words(case, rule, lang, "document_words.rate_plus_field"),
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
        # a sum that is nil is not listed ("Interest accrued and unpaid £0.00" says nothing)
        ctx["table_claim"] = [
            [i18n.text(lang, "claim.principal"), money(statement.principal_outstanding)],
            *([[i18n.text(lang, "claim.interest_due"), money(statement.interest_outstanding)]] if statement.interest_outstanding else []),
            *([[i18n.text(lang, "claim.fixed_due"), money(statement.fixed_outstanding)]] if statement.fixed_outstanding else []),
            [i18n.text(lang, "claim.total", date=d(statement.as_of)), money(statement.total)],
        ]
        ctx["table_payments"] = [[d(p.date), money(p.amount)] for p in statement.payments]
    ctx["table_exhibits"] = [[e["label"], e["title"], e["date"] or "—", e["pages"]] for e in exhibits]
    # the written agreement the debt arises under, when the exhibits hold one (a contract or terms)
    agreements = [e for e in exhibits if e.get("kind") in ("contract", "terms")]
    ctx["has_agreement"] = bool(agreements)
    ctx["agreement_title"] = agreements[0]["title"] if agreements else None
    ctx["agreement_date"] = agreements[0].get("long_date") if agreements else None
    events = sorted(case.event, key=lambda e: e.date)
    ctx["table_events"] = [
        [ds(e.date), i18n.text(lang, f"events.{e.kind}"), i18n.text(lang, f"channels.{e.channel}") if e.channel else "—",
         ds(e.received) if e.received else "—"]
        for e in events
    ]
    ctx["has_events"] = bool(events)
    # translation: into [translation] language, else the debtor's (the court's for a filing abroad)
    tr = case.translation
    from ..check.rules import debtor_language

    target = (tr.language if tr and tr.language else None) or debtor_language(case) or lang
    ctx["translation_target_code"] = target
    ctx["translation_target"] = i18n.language(target, lang)
    ctx["translation_source"] = i18n.language(lang, lang)
    for code in ("fr", "en", "de"):
        ctx[f"translation_to_{code}"] = target == code
    days = tr.days if tr and tr.days else TRANSLATION_DAYS
    ctx["translation_deadline"] = d(tr.deadline if tr and tr.deadline else as_of + dt.timedelta(days=days))
    ctx["translation_translator"] = tr.translator if tr else None
    ctx["translation_address_lines"] = list(tr.address) if tr else []
    ctx["table_translation"] = []  # filled by generate.py with the documents and exhibits to translate
    ctx["has_translation"] = False
    ctx["exhibit_count"] = str(len(exhibits))
    ctx["has_exhibits"] = bool(exhibits)
    # A letter or an application lists its exhibits up to INLINE_EXHIBITS; past that it refers to the
    # list of exhibits enclosed with it (exhibit-list, the bordereau: in the bundle, its index), as
    # practice does, rather than repeating pages of it (a 400-exhibit bordereau is 13 pages).
    ctx["exhibits_inline"] = bool(exhibits) and len(exhibits) <= INLINE_EXHIBITS
    ctx["exhibits_annexed"] = len(exhibits) > INLINE_EXHIBITS
    return ctx


def _imputation(statement: Statement, rule: Any, lang: str, money) -> str:
    """How the payments were imputed, payment by payment: the sentence that a principal after payments
    needs (C. civ. art. 1343-1, § 367 BGB…: the imputation rule of the claim)."""
    t = lambda key, **kw: i18n.text(lang, f"document_imputation.{key}", **kw)  # noqa: E731
    source = statement.imputation_source or ""
    # the rule's source when it is a text of law; a note of ours ("LEGAL.md …", "no rule …") is not shown
    cited = t("source", source=source) if source and "LEGAL.md" not in source and "rule" not in source else ""
    sentences = [t("sentence", n=len(statement.payments), order=t(f"order.{rule['imputation']}"), source=cited)]
    for p in statement.payments:
        allocations = []
        for part in p.parts:
            parts = [t(k, amount=money(part[k])) for k in ("costs", "interest", "principal") if part[k]]
            if parts:
                allocations.append(t("allocation", invoice=part["invoice"], parts=i18n.join(parts, lang, "and")))
        if p.unused:
            allocations.append(t("unused", amount=money(p.unused)))
        sentences.append(t("payment", amount=money(p.amount), date=i18n.format_date(p.date, lang),
                           allocations="; ".join(allocations)))
    return " ".join(sentences)


def _rate_words(case: Case, rule: Any, lang: str, key: str) -> str | None:
    """'taux de la BCE … majoré de 10 points', '9 Prozentpunkten über dem jeweiligen Basiszinssatz': the
    rate of the claim's rule in words (``key``: the wording in a sentence, or in a form's field); a
    contractual rate ([interest] rate) as a percentage."""
    if case.interest is not None and case.interest.rate is not None:
        return i18n.format_rate(case.interest.rate, lang)
    if rule.get("pick") == "fixed":
        return i18n.format_rate(Decimal(rule["rate"]), lang)
    series = rule.get("series")
    if not series:
        return None
    name = i18n.text(lang, _SERIES_WORDS[series])
    margin = Decimal(rule.get("margin", "0"))
    return i18n.text(lang, key, series=name, margin=i18n.format_number(margin, lang)) if margin else name
