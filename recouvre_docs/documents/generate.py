"""`recouvre-docs generate`: the procedure's documents as PDF and DOCX in out/documents/."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .. import casefolder, claim, i18n
from ..resources import templates_root  # noqa: F401 - tests and firms locate the packaged layout from here
from ..check import procedures
from ..errors import CaseFileError, OutputError
from . import Generated, available, context, load, render_docx, render_pdf

# Documents for the lawyer, not for the court: written to out/documents/ but left out of the bundle.
NOT_IN_BUNDLE = ("translation-request", "exhibit-list")


def unavailable(procedure_id: str, lang: str, case_root: Path | None = None) -> list[str]:
    """The procedure's documents that have no wording in ``lang`` (neither packaged nor in the case folder)."""
    return [n for n in procedures.load(procedure_id).documents
            if not available(n, lang) and not (case_root and (case_root / "templates" / lang / "documents" / f"{n}.toml").is_file())]


def exhibit_rows(exhibits: list, lang: str) -> list[dict[str, Any]]:
    rows = []
    for ex in exhibits:
        rows.append({"label": i18n.exhibit_label(lang, ex.number), "title": ex.piece.title,
                     "date": i18n.format_date(ex.piece.date, lang, "short") if ex.piece.date else None,
                     "pages": str(ex.pages)})
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


def generate(folder: casefolder.CaseFolder, *, procedure: str, lang: str, as_of: dt.date, out: Path,
             exhibits: list, statement: claim.Statement | None = None, only: str | None = None,
             work: Path | None = None) -> list[Generated]:
    """Render each document of ``procedure`` into ``work`` (a temporary folder: the caller publishes)."""
    case = folder.case
    if statement is None and case.invoice:
        statement = claim.compute(case, as_of, folder.root)
    proc = procedures.load(procedure)
    ctx = context.build(case, statement, exhibit_rows(exhibits, lang), lang=lang, as_of=as_of,
                        procedure_title=proc.title[lang])
    work = work or Path(tempfile.mkdtemp(prefix=".documents-", dir=out))
    work.mkdir(parents=True, exist_ok=True)
    done = []
    names = documents_of(procedure, only)
    # the translator's letter lists the other documents: it comes last
    names = [n for n in names if n != "translation-request"] + [n for n in names if n == "translation-request"]
    for name in names:
        if not available(name, lang) and not (folder.root / "templates" / lang / "documents" / f"{name}.toml").is_file():
            continue
        if name == "translation-request":
            _translation(ctx, done, exhibits, lang, work)
        doc = load(name, lang, ctx, folder.root)
        pdf, docx = work / f"{name}.pdf", work / f"{name}.docx"
        pages = render_pdf(doc, ctx, pdf, folder.root)
        render_docx(doc, ctx, docx, folder.root, as_of)
        done.append(Generated(name=name, title=doc.title, pdf=pdf, docx=docx, pages=pages))
    return done


def _words(pdf: Path) -> int:
    from pypdf import PdfReader

    return sum(len((page.extract_text() or "").split()) for page in PdfReader(str(pdf)).pages)


def _translation(ctx: dict[str, Any], done: list[Generated], exhibits: list, lang: str, work: Path) -> None:
    """Fill the translator's table: the documents written in ``lang`` and the exhibits not in the target
    language, with pages and words; and write translation-pack.pdf holding just those."""
    from ..bundle import concatenate

    target_name = ctx["translation_target"]
    target = next((code for code in ("fr", "en", "de") if ctx.get(f"translation_to_{code}")), None)
    rows, pdfs = [], []
    if target != lang:
        for g in done:
            if g.name in NOT_IN_BUNDLE:
                continue
            rows.append([g.title, str(g.pages), str(_words(g.pdf)), i18n.language(lang, lang), target_name])
            pdfs.append(g.pdf)
    for ex in exhibits:
        if ex.piece.language != target:
            label = f"{i18n.exhibit_label(lang, ex.number)} — {ex.piece.title}"
            rows.append([label, str(ex.pages), str(_words(ex.main.pdf)), i18n.language(ex.piece.language, lang), target_name])
            pdfs.append(ex.main.pdf)
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
            published.append(Generated(name=g.name, title=g.title, pdf=pdf, docx=docx, pages=g.pages))
        return published
    except OSError as err:
        raise OutputError(f"cannot write {target}: {err.strerror or err}", path=target,
                          hint="Check free space and permissions of the output folder.") from err


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
