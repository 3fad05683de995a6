"""`recouvre-docs generate`: the procedure's documents as PDF and DOCX in out/documents/."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Any

from .. import casefolder, claim, i18n
from ..resources import templates_root  # noqa: F401 - tests and firms locate the packaged layout from here
from ..check import procedures
from ..errors import CaseFileError, OutputError
from . import Document, Generated, available, context, load, render_docx, render_pdf

# Documents for the lawyer, not for the court: written to out/documents/ but left out of the bundle
# (the statement of account enclosed with a letter is in the bundle already, as the bundle's own).
NOT_IN_BUNDLE = ("translation-request", "exhibit-list", "statement-of-account")
# The lawyer's own documents: never sent for translation.
NOT_TRANSLATED = ("translation-request", "exhibit-list")
# A letter that says it encloses another document: generate writes that one with it, when the context
# key holds (the Debt Claims Protocol letter, to an individual, encloses the statement of account).
ENCLOSES = {"letter-of-claim": [("statement-of-account", "debtor_individual")]}


def unavailable(procedure_id: str, lang: str, case_root: Path | None = None) -> list[str]:
    """The procedure's documents that have no wording in ``lang`` (neither packaged nor in the case folder)."""
    return [n for n in procedures.load(procedure_id).documents if not _has_wording(n, lang, case_root)]


def languages_of(name: str, case_root: Path | None = None) -> list[str]:
    """The languages ``name`` is written in (packaged, or in the case folder)."""
    from ..models import LANGUAGES

    return [code for code in LANGUAGES if _has_wording(name, code, case_root)]


def _has_wording(name: str, lang: str, case_root: Path | None) -> bool:
    return available(name, lang) or bool(case_root and (case_root / "templates" / lang / "documents" / f"{name}.toml").is_file())


def exhibit_rows(exhibits: list, lang: str) -> list[dict[str, Any]]:
    rows = []
    for ex in exhibits:
        rows.append({"label": i18n.exhibit_label(lang, ex.number), "title": ex.piece.title,
                     "date": context.short_date(ex.piece.date, lang),
                     "long_date": i18n.format_date(ex.piece.date, lang) if ex.piece.date else None,
                     "kind": ex.piece.kind, "pages": str(ex.pages)})
    return rows


def documents_of(procedure_id: str, only: str | None = None) -> list[str]:
    names = list(procedures.load(procedure_id).documents)
    if only is not None:
        if only not in names:
            raise CaseFileError(
                f"the procedure {procedure_id} has no document {only!r}",
                hint=f"Its documents are: {', '.join(names)}.",
            )
        names = [only]
    return names


def _statement_for(name: str, folder: casefolder.CaseFolder, as_of: dt.date,
                   statement: claim.Statement) -> claim.Statement:
    """The statement a document states. A déclaration de créance declares the claim due on the day of the
    opening judgment (C. com. art. L622-25): its statement stops there; the interest that runs on is
    declared by its method of calculation (R622-23, 2°)."""
    ins = folder.case.insolvency
    if name == "claim-declaration" and ins is not None and ins.judgment is not None and ins.judgment < as_of:
        return claim.compute(folder.case, ins.judgment, folder.root)
    return statement


def _language_notes(name: str, lang: str, folder: casefolder.CaseFolder, proc: Any) -> list[str]:
    """Form A is completed in a language the court accepts (Reg. 1896/2006, LEGAL.md Part 3 §1.3): say
    so when the document's language is not the language of the court seised (the check's own rule)."""
    from ..check.rules import court_country, court_language

    if name != "eop-application":
        return []
    court_lang = court_language(folder.case, proc)
    if court_lang is None or court_lang == lang:
        return []
    country = court_country(folder.case, proc)
    return [f"eop-application: Form A is written in {i18n.language(lang, 'en')}, but the court seised (in "
            f"{i18n.country(country, 'en')}) works in {i18n.language(court_lang, 'en')}: file Form A "
            f"in a language that court accepts (generate it with --lang {court_lang}, if written in that language)."]


@dataclass
class SideJob:
    """A render the bundle does not wait for: a document's PDF with the notes to the lawyer, the PDF of a
    document that is not in the bundle, a DOCX. build() runs these in another process (side.run)."""

    kind: str  # "pdf" | "docx"
    doc: Any  # documents.Document
    ctx: dict[str, Any]
    target: Path
    case_root: Path | None
    as_of: dt.date
    name: str  # the document whose page count a PDF sets (names are unique in a procedure)


def generate(folder: casefolder.CaseFolder, *, procedure: str, lang: str, as_of: dt.date, out: Path,
             exhibits: list, statement: claim.Statement | None = None, only: str | None = None,
             work: Path | None = None, side: list[SideJob] | None = None,
             start_side: Callable[[list[SideJob]], None] | None = None) -> list[Generated]:
    """Render each document of ``procedure`` into ``work`` (a temporary folder: the caller publishes).

    The translator's letter lists the documents to translate whatever ``only`` asks: with ``--only
    translation-request`` the other documents are rendered too (into ``work``, to count and pack them)
    but not returned. With ``side`` given, only what the bundle holds is rendered here (each document's
    copy without the notes to the lawyer); the other renders are appended to ``side`` for the caller to
    run, and until then the page counts they set are 0. ``start_side``: called with ``side`` as soon as
    it is complete, before the renders done here (the caller's other process then lays out a long
    list of exhibits while this one lays out the request, rather than after it)."""
    case = folder.case
    if statement is None and case.invoice:
        statement = claim.compute(case, as_of, folder.root)
    proc = procedures.load(procedure)
    rows = exhibit_rows(exhibits, lang)
    ctx = context.build(case, statement, rows, lang=lang, as_of=as_of, procedure_title=proc.title[lang])
    work = work or Path(tempfile.mkdtemp(prefix=".documents-", dir=out))
    work.mkdir(parents=True, exist_ok=True)
    wanted = documents_of(procedure, only)
    names = list(wanted)
    if "translation-request" in names:  # what the translator receives does not depend on --only
        names = [n for n in proc.documents if n in names or n not in NOT_TRANSLATED]
    for letter, enclosed in ENCLOSES.items():
        if letter in names:
            extra = [n for n, key in enclosed if ctx.get(key)]
            names += [n for n in extra if n not in names]
            wanted += [n for n in extra if n not in wanted]
    # the translator's letter lists the other documents: it comes last
    names = [n for n in names if n != "translation-request"] + [n for n in names if n == "translation-request"]
    done: list[Generated] = []
    pending: list[Callable[[], None]] = []  # the renders done here, after the side jobs are under way

    def render_pending() -> None:
        for job in pending:
            job()
        pending.clear()

    for name in names:
        if not _has_wording(name, lang, folder.root):
            continue
        doc_ctx = ctx
        if statement is not None:
            own = _statement_for(name, folder, as_of, statement)
            if own is not statement:
                doc_ctx = context.build(case, own, rows, lang=lang, as_of=as_of, procedure_title=proc.title[lang])
        if name == "translation-request":
            _translation_deadline(case, as_of, folder)
            render_pending()  # the translator's table counts their pages
            _translation(ctx, done, exhibits, lang, work)
        doc = load(name, lang, doc_ctx, folder.root)
        pdf, docx = work / f"{name}.pdf", work / f"{name}.docx"
        final = doc.has_draft and name not in NOT_TRANSLATED  # the bundle's (and translator's) copy: without the notes
        # what the bundle holds (or the translator's letter counts) is rendered now; the rest may wait
        translated = "translation-request" in names and name not in NOT_TRANSLATED
        needed_now = side is None or (not final and (name not in NOT_IN_BUNDLE or translated))
        g = Generated(name=name, title=doc.title, pdf=pdf, docx=docx, pages=0, missing=list(doc.missing),
                      notes=_language_notes(name, lang, folder, proc))
        if needed_now:
            def now(g=g, doc=doc, doc_ctx=doc_ctx, pdf=pdf) -> None:
                g.pages = render_pdf(doc, doc_ctx, pdf, folder.root)

            pending.append(now)
        else:
            side.append(SideJob("pdf", doc, doc_ctx, pdf, folder.root, as_of, name))
        if side is None:
            render_docx(doc, doc_ctx, docx, folder.root, as_of)
        else:
            side.append(SideJob("docx", doc, doc_ctx, docx, folder.root, as_of, name))
        if final:
            g.final_pdf = work / "final" / f"{name}.pdf"
            g.final_pdf.parent.mkdir(exist_ok=True)

            def final_copy(g=g, doc=doc, doc_ctx=doc_ctx) -> None:
                g.final_pages = render_pdf(doc.final(), doc_ctx, g.final_pdf, folder.root)

            pending.append(final_copy)
        done.append(g)
    if side is not None:  # the caller gets the wanted ones only
        side[:] = [j for j in side if j.name in wanted]
        if start_side is not None:
            start_side(side)
    render_pending()
    return [g for g in done if g.name in wanted]


def run_side(jobs: list[SideJob]) -> list[int | None]:
    """Run the renders generate() put aside (in this process): each PDF's page count, None for a DOCX.

    With a render process that lays out several at once (render.pdf.beside), the PDFs are laid out
    there while this process writes the DOCX: two cores at work, where one waited for the other (a
    rebuild after an edit of the debtor's address on the bench's large case: 1.7 s of it with one core
    idle)."""
    from ..render import pdf as pdf_render

    with pdf_render.render_scope():  # a DOCX that fails stops the layouts under way
        laid_out = {i: pdf_render.beside(render_pdf, job.doc, job.ctx, job.target, job.case_root)
                    for i, job in enumerate(jobs) if job.kind == "pdf"}
        for job in jobs:
            if job.kind != "pdf":
                render_docx(job.doc, job.ctx, job.target, job.case_root, job.as_of)
        return [laid_out[i].result() if i in laid_out else None for i in range(len(jobs))]


def _translation_deadline(case: Any, as_of: dt.date, folder: casefolder.CaseFolder) -> None:
    tr = case.translation
    if tr is not None and tr.deadline is not None and tr.deadline <= as_of:
        raise CaseFileError(
            f"[translation] deadline = {tr.deadline.isoformat()} is not after the date of the letter ({as_of.isoformat()})",
            path=folder.root / casefolder.CASE_FILE,
            hint="Give a later date, or days = N (the translations are then wanted N days after the letter).",
        )


def _words(pdfs: list[Path], *, converted: bool = False) -> int:
    """The words of ``pdfs``; the text of converted exhibits is the one the check cached beside them."""
    from ..evidence import text

    return sum(text.words(pdf, text.beside(pdf) if converted else None) for pdf in pdfs)


def _translation(ctx: dict[str, Any], done: list[Generated], exhibits: list, lang: str, work: Path) -> None:
    """Fill the translator's table: the documents written in ``lang`` and the exhibits not in the target
    language (each with its attachments), with pages and words; and write translation-pack.pdf holding
    exactly those files, in the order of the table."""
    from ..bundle import concatenate

    target_name = ctx["translation_target"]
    target = ctx["translation_target_code"]
    rows, pdfs = [], []
    if target != lang:
        for g in done:
            if g.name in NOT_TRANSLATED:
                continue
            pdf, pages = (g.final_pdf, g.final_pages) if g.final_pdf else (g.pdf, g.pages)
            rows.append([g.title, str(pages), str(_words([pdf])), i18n.language(lang, lang), target_name])
            pdfs.append(pdf)
    for ex in exhibits:
        if ex.piece.language != target:
            label = f"{i18n.exhibit_label(lang, ex.number)} — {ex.piece.title}"
            parts = [ex.main.pdf] + [c.pdf for c in ex.children]  # an e-mail with its attachments
            rows.append([label, str(ex.pages), str(_words(parts, converted=True)), i18n.language(ex.piece.language, lang), target_name])
            pdfs += parts
    ctx["table_translation"] = rows
    ctx["has_translation"] = bool(rows)
    if pdfs:
        concatenate(pdfs, work / "translation-pack.pdf", work)


def publish(generated: list[Generated], out: Path) -> list[Generated]:
    """Move the documents into out/documents/ (each file replaced atomically)."""
    target = out / "documents"
    try:
        target.mkdir(parents=True, exist_ok=True)
        if generated and (generated[0].pdf.parent / "translation-pack.pdf").is_file():
            os.replace(generated[0].pdf.parent / "translation-pack.pdf", target / "translation-pack.pdf")
        published = []
        for g in generated:
            pdf, docx = target / g.pdf.name, target / g.docx.name
            os.replace(g.pdf, pdf)
            os.replace(g.docx, docx)
            published.append(Generated(name=g.name, title=g.title, pdf=pdf, docx=docx, pages=g.pages,
                                       missing=g.missing, notes=g.notes))
        return published
    except OSError as err:
        raise OutputError(f"cannot write {target}: {err.strerror or err}", path=target,
                          hint="Check free space and permissions of the output folder.") from err


def to_complete(generated: list[Generated]) -> list[str]:
    """'injonction-request: creditor.legal_form, creditor.registration' for each document with fields to fill."""
    return [f"{g.name}: {', '.join(g.missing)}" for g in generated if g.missing]


def run(case_dir: Path | str, *, procedure: str | None, lang: str | None, as_of: dt.date | None,
        output: Path | None = None, only: str | None = None) -> list[Generated]:
    from .. import api
    from ..check import default_procedure
    from ..evidence import Cache
    from ..progress import NullProgress

    folder = casefolder.load_case(case_dir)
    procedure = default_procedure(folder, procedure)
    if not folder.case.invoice:
        raise CaseFileError("the documents state a claim, and case.toml has no [[invoice]]",
                            path=folder.root / casefolder.CASE_FILE,
                            hint="Add the unpaid invoices to case.toml ([[invoice]] number, issued, due, amount), "
                            "or draft them with recouvre-docs init --from-invoices.")
    lang = lang or folder.case.language
    as_of = as_of or folder.case.case.as_of or dt.date.today()
    out = api._output_dir(folder, api.BuildOptions(output=output))
    exhibits = api.prepare_exhibits(folder, Cache(out / ".cache"), lang, NullProgress())
    work = Path(tempfile.mkdtemp(prefix=".documents-", dir=out))
    try:
        return publish(generate(folder, procedure=procedure, lang=lang, as_of=as_of, out=out, exhibits=exhibits,
                                only=only, work=work), out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


__all__ = ["Document", "Generated", "NOT_IN_BUNDLE", "generate", "publish", "run", "to_complete", "unavailable"]
