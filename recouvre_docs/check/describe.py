"""`recouvre-docs procedures [ID]`: the procedures and their requirements, read from their files."""

from __future__ import annotations

from .. import i18n
from . import procedures


def listing(lang: str) -> str:
    t = lambda key, **kw: i18n.text(lang, key, **kw)  # noqa: E731
    lines = [t("procedures.heading"), ""]
    for proc in procedures.all_procedures():
        lines.append(f"  {proc.id:<28} {proc.title[lang]}")
    return "\n".join(lines) + "\n"


def requirements(procedure_id: str, lang: str) -> str:
    proc = procedures.load(procedure_id)
    t = lambda key, **kw: i18n.text(lang, key, **kw)  # noqa: E731
    kinds = lambda ks: ", ".join(i18n.kind_label(k, lang) for k in ks)  # noqa: E731
    sev = lambda s: t(f"procedures.severity_{s}")  # noqa: E731
    src = lambda s: i18n.source(s, lang)  # noqa: E731
    c = "\u00a0:" if lang == "fr" else ":"  # French puts a (non-breaking) space before a colon
    sc = "\u00a0;" if lang == "fr" else ";"
    lines = [f"{proc.title[lang]} ({proc.id})", ""]
    lines.append(f"{t('procedures.jurisdictions')}: {', '.join(proc.jurisdictions) or t('procedures.any')}".replace(':', c, 1))
    lines.append(f"{t('procedures.sources')}{c}")
    for source in proc.sources:
        lines.append(f"  - {src(source.ref)}" + (f" <{source.url}>" if source.url else ""))
    if proc.evidence:
        lines += ["", f"{t('procedures.evidence')}{c}"]
        for rule in proc.evidence:
            group = rule.all_of or rule.any_of
            what = t("procedures.all_of" if rule.all_of else "procedures.any_of", kinds=kinds(group), n=len(group))
            lines.append(f"  - {what} [{sev(rule.severity)}{sc} {src(rule.source)}]")
    if proc.event:
        lines += ["", f"{t('procedures.events')}{c}"]
        for ev in proc.event:
            name = t(f"events.{ev.kind}")
            what = t("procedures.event", event=name, days=ev.min_days) if ev.min_days else t("procedures.event_plain", event=name)
            lines.append(f"  - {what} [{sev(ev.severity)}{sc} {src(ev.source)}]")
    lines += ["", f"{t('procedures.checks')}{c}"]
    for name, params in proc.checks.items():
        source = params.get("source")
        lines.append(f"  - {t(f'checks.{name}')}" + (f" [{src(source)}]" if source else ""))
    if proc.documents:
        lines += ["", f"{t('procedures.documents')}{c}"]
        lines += [f"  - {t(f'documents.{d}')}" for d in proc.documents]
    return "\n".join(lines) + "\n"
