"""The API: plain data in, results out. Never prints, never exits; raises RecouvreError subclasses.

``build()`` runs: load case.toml -> discover evidence -> ingest (cached) -> number the exhibits ->
render cover and index -> merge, stamp, link, bookmark -> publish atomically into the output folder.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from pathlib import Path

from . import __version__, bundle, casefolder, check, claim, i18n, volumes
from .claim import render as claim_render
from .check import procedures
from .errors import CaseFileError, CheckFailedError, EvidenceError, OutputError
from .evidence import Cache, ingest_all
from .models import Exhibit, Piece
from .progress import NullProgress, Progress
from .render import frontmatter


log = logging.getLogger(__name__)

# Index rows that fit on its first and on its next pages when every title holds on one line, and
# the characters of a title line (measured on the shipped style.css; only a first guess, see below).
_ROWS_FIRST_PAGE, _ROWS_PER_PAGE, _TITLE_CHARS = 24, 29, 42


@contextmanager
def timed(stage: str):
    """Log how long a stage took (debug level: ``-v``). bench/run reads these lines."""
    start = time.perf_counter()
    try:
        yield
    finally:
        log.debug("timing %s: %.3f s", stage, time.perf_counter() - start)


def _estimate_index_pages(exhibits: list) -> int:
    """A guess of the index's length, so that it is usually laid out once (WeasyPrint is the slow
    part of a build: PERF.md). A title that wraps makes its row taller by about half a row a line."""
    titles = [ex.main.title for ex in exhibits] + [child.title for ex in exhibits for child in ex.children]
    units = sum(1 + 0.6 * ((len(t) - 1) // _TITLE_CHARS) for t in titles)
    return 1 + max(0, math.ceil((units - _ROWS_FIRST_PAGE) / _ROWS_PER_PAGE))


@dataclass(frozen=True)
class BuildOptions:
    procedure: str | None = None
    lang: str | None = None
    as_of: dt.date | None = None
    output: Path | None = None  # default: CASE_DIR/out
    force: bool = False  # build despite blocking findings (they are then listed on the cover)
    ocr: bool = False  # recognise the text of scanned pages (OCRmyPDF, Tesseract)
    sign: Path | None = None  # a PKCS#12 certificate: PAdES signature (password in RECOUVRE_SIGN_PASSWORD)
    profile: str | None = None  # a filing channel of data/profiles.toml: split into volumes over its size limit
    max_bytes: int | None = None  # or an explicit limit


@dataclass
class BuildResult:
    bundle: Path
    manifest: Path
    pages: int
    exhibits: list[Exhibit]
    warnings: list[str] = field(default_factory=list)
    report: Path | None = None  # report.json, when a procedure was checked
    volumes: list[Path] = field(default_factory=list)  # the volumes, when a size limit split the bundle
    check: Any = None  # the check.Report


def _output_dir(folder: casefolder.CaseFolder, options: BuildOptions) -> Path:
    out = Path(options.output) if options.output else folder.root / casefolder.OUTPUT_DIR
    out = out.resolve() if out.exists() else out.absolute()
    evidence = folder.root / casefolder.EVIDENCE_DIR
    if out == evidence or evidence in out.parents:
        raise OutputError(
            f"the output folder {out} is inside evidence/; its files would become evidence of the next build",
            path=out,
            hint="Choose another output folder (the default is the case folder's out/).",
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-", delete=True)
        probe.close()
    except OSError as err:
        raise OutputError(
            f"cannot write to the output folder {out}: {err.strerror or err}",
            path=out,
            hint="Check that the folder exists and is writable, or choose another with -o/--output.",
        ) from err
    return out


def prepare_exhibits(folder: casefolder.CaseFolder, cache: Cache, lang: str, progress: Progress,
                     skipped: list[dict[str, str]] | None = None, ocr: bool = False) -> list[Exhibit]:
    """Discover, convert (cached), classify and number every piece of evidence.

    A piece that cannot be read stops everything (exit 4), unless ``skipped`` is given: it is then
    left out, its path, SHA-256 and the reason added there (build --force), with a warning naming it.
    With ``skipped`` given, a failed OCR leaves the piece as it is (not searchable), with a warning.
    """
    pieces = casefolder.discover(folder)
    if not pieces:
        raise CaseFileError(
            f"no evidence found in {folder.root / casefolder.EVIDENCE_DIR}",
            path=folder.root / casefolder.EVIDENCE_DIR,
            hint="Put the contract, invoices, delivery notes, letters… in the case folder's evidence/ folder.",
        )
    progress.stage("Converting evidence", len(pieces))
    outcomes = ingest_all(pieces, cache, lang=lang, case_root=folder.root, advance=progress.advance)
    converted: dict[Path, tuple[Piece, object]] = {}
    for piece, result in zip(pieces, outcomes):
        if isinstance(result, EvidenceError):
            if skipped is None:
                raise result
            reason = result.message.removeprefix(f"{piece.rel}: ")
            log.warning("%s: left out of the bundle: %s", piece.rel, reason)
            skipped.append({"file": piece.rel, "sha256": piece.sha256, "reason": reason})
            continue
        converted[piece.path] = (casefolder.refine(piece, result.facts, lang), result)
    if ocr:
        _recognise(converted, folder.case.language, force=skipped is not None)
    exhibits = []
    for number, piece in casefolder.order([p for p, _ in converted.values()]):
        result = converted[piece.path][1]
        exhibits.append(
            Exhibit(
                number=number,
                piece=piece,
                main=result.main.model_copy(update={"title": piece.title}),  # type: ignore[attr-defined]
                children=result.children,  # type: ignore[attr-defined]
                facts=result.facts,  # type: ignore[attr-defined]
            )
        )
    return exhibits


def _recognise(converted: dict[Path, tuple[Piece, Any]], case_language: str, *, force: bool) -> None:
    """--ocr: the text-less pages of every part recognised, in worker processes with a time limit (per
    10 pages: OCR is slow), what a previous build recognised taken from the cache. A failure stops the
    build (exit 4), or with --force leaves that part as it is, not searchable, with a warning."""
    from .evidence import ocr as ocr_mod, workers

    todo: list[tuple[Path, int]] = []  # (piece, -1 for its main part or the index of the attachment)
    jobs: list[workers.Job] = []
    for path, (piece, result) in converted.items():
        languages = [piece.language, case_language]
        for n, part in [(-1, result.main), *enumerate(result.children)]:
            done = ocr_mod.cached(part, languages)
            if done is not None:
                _set_part(result, n, done)
                continue
            todo.append((path, n))
            jobs.append(workers.Job(ocr_mod.apply, (part, languages), shown_as=part.source, path=piece.path,
                                    limit=workers.timeout() * math.ceil(part.pages / ocr_mod.PAGES_PER_LIMIT),
                                    action="recognising its text (OCR)"))
    for (path, n), outcome in zip(todo, workers.run(jobs)):
        if isinstance(outcome, EvidenceError):
            if not force:
                raise outcome
            log.warning("%s (left as it is, not searchable)", outcome.message)
            continue
        if isinstance(outcome, Exception):
            raise outcome
        _set_part(converted[path][1], n, outcome)


def _set_part(result: Any, n: int, part: Any) -> None:
    if n < 0:
        result.main = part
    else:
        result.children[n] = part


def build(case_dir: Path | str, options: BuildOptions = BuildOptions(), progress: Progress | None = None) -> BuildResult:
    progress = progress or NullProgress()
    folder = casefolder.load_case(case_dir)
    case = folder.case
    lang = options.lang or case.language
    as_of = options.as_of or case.case.as_of or dt.date.today()
    procedure = options.procedure or case.case.procedure
    bundle.qpdf_path()  # fail early (exit 5) rather than after the slow work
    out = _output_dir(folder, options)
    cache = Cache(out / ".cache")
    skipped: list[dict[str, str]] = []  # the files build --force left out: file, sha256, reason
    if options.ocr:
        from .evidence import ocr as ocr_mod

        ocr_mod.check_tools()  # exit 5 before any slow work
    with timed("evidence"):
        exhibits = prepare_exhibits(folder, cache, lang, progress, skipped if options.force else None, ocr=options.ocr)
    if not exhibits:
        raise CaseFileError("no evidence could be read", path=folder.root / casefolder.EVIDENCE_DIR,
                            hint="recouvre-docs check names each file and why it cannot be read.")

    # The check runs after the conversion (an unreadable piece stops build with exit 4 first) and
    # reuses its cache. Without a procedure there is nothing to check against.
    report = None
    findings_on_cover: list[str] = []
    if procedure:
        proc = procedures.load(procedure)
        with timed("check"):
            report = check.run(folder.root, procedure=procedure, lang=lang, as_of=as_of, folder=folder, cache=cache)
        if not report.ok:
            if not options.force:
                raise CheckFailedError(
                    f"the check found {report.count('error')} blocking problem(s) for {procedure}; nothing was written",
                    report=report, text=report.to_text(proc.title[lang]),
                    hint="Fix them and build again, or build anyway with --force: the findings are then listed on the cover.",
                )
            shown = [f for f in report.sorted() if f.severity in ("error", "warning")]
            findings_on_cover = [f"{f.message} ({f.source})" for f in shown[:12]]
            if len(shown) > 12:  # the cover stays one page: the rest is in report.json
                findings_on_cover.append(i18n.text(lang, "report.more", n=len(shown) - 12, code="…"))
    elif skipped:  # no check to name the files left out: the cover does (the rest is in manifest.json)
        findings_on_cover = [i18n.text(lang, "cover.left_out", file=s["file"], reason=s["reason"]) for s in skipped[:12]]
        if len(skipped) > 12:
            findings_on_cover.append(i18n.text(lang, "report.more", n=len(skipped) - 12, code="left_out"))

    # The statement of account (claim): needs invoices; a missing rate stops the build (exit 3).
    with timed("claim"):
        statement = claim.compute(case, as_of, folder.root) if case.invoice else None

    work = Path(tempfile.mkdtemp(prefix=".work-", dir=out))
    try:
        progress.stage("Assembling the case file", 4)
        cover_pdf, index_pdf = work / "cover.pdf", work / "index.pdf"
        exhibit_pages = sum(ex.pages for ex in exhibits)
        # The generated documents come after the cover, then the statement of account, then the
        # index (DESIGN.md §5). Their length does not depend on page numbers: rendered once.
        documents: list[tuple[str, Path]] = []
        doc_pages = 0
        generated = []
        if procedure and statement is not None:  # every document is about a claim: none without invoices
            from .documents import generate as doc_generate

            with timed("documents"):
                generated = doc_generate.generate(folder, procedure=procedure, lang=lang, as_of=as_of, out=out,
                                                  exhibits=exhibits, statement=statement, work=work / "documents")
            for g in generated:
                if g.name not in doc_generate.NOT_IN_BUNDLE:
                    documents.append((g.title, g.pdf))
                    doc_pages += g.pages
        if statement is not None:
            statement_pdf = work / "statement.pdf"
            with timed("statement"):
                doc_pages += claim_render.to_pdf(statement, case, lang, statement_pdf, folder.root)
            documents.append((i18n.text(lang, "claim.title"), statement_pdf))
        # The cover states the page count, and the index the page of every exhibit: both depend on
        # the index's own length (and on the cover's). Start from an estimate, render each document
        # only when what it states has changed, and stop when the lengths no longer move.
        cover_pages, index_pages = 1, _estimate_index_pages(exhibits)
        cover_total = index_start = None
        for _attempt in range(6):
            total = cover_pages + doc_pages + index_pages + exhibit_pages
            if cover_total != total:
                cover_ctx = frontmatter.cover_context(case, lang=lang, procedure=procedure, as_of=as_of,
                                                      exhibits=len(exhibits), pages=total,
                                                      findings=findings_on_cover, claim=statement)
                with timed("cover"):
                    new_cover = frontmatter.render_to_pdf("cover.html", cover_ctx, cover_pdf, lang=lang,
                                                          case_root=folder.root)
                cover_total = total
            p = bundle.plan(exhibits, new_cover + doc_pages + index_pages, lang)
            if index_start != (new_cover + index_pages, p.total):
                index_ctx = frontmatter.index_context(case, p.entries, as_of=as_of, link_scheme=bundle.LINK_SCHEME,
                                                      total_pages=p.total)
                with timed("index"):
                    new_index = frontmatter.render_to_pdf("index.html", index_ctx, index_pdf, lang=lang,
                                                          case_root=folder.root)
                index_start = (new_cover + index_pages, p.total)
            if (new_cover, new_index) == (cover_pages, index_pages):
                break
            cover_pages, index_pages = new_cover, new_index
        else:  # pragma: no cover - the lengths oscillate: a template whose length depends on a number
            raise RuntimeError("the cover and index lengths do not settle; check the templates")
        progress.advance()

        p = bundle.plan(exhibits, cover_pages + doc_pages + index_pages, lang)
        meta = {
            "tool": f"recouvre-docs {__version__}",
            "case": case.case.reference,
            "procedure": procedure,
            "language": lang,
            "as_of": as_of.isoformat(),
        }
        if statement is not None:  # the rate tables the claim used, by content: a changed table shows here
            meta["rates"] = claim.tables_used(statement, folder.root)
        manifest = bundle.manifest(p, exhibits, meta)
        if skipped:  # the files build --force left out, and why (verify knows them: not "added after the build")
            manifest["left_out"] = skipped
        attachments = _originals(exhibits)  # manifest.json is attached by assemble, with the pages' hashes
        rep = case.representative
        assembly = bundle.Assembly(
            cover=cover_pdf,
            index=index_pdf,
            documents=documents,
            lang=lang,
            reference=case.case.reference,
            title=f"{case.case.reference} — {i18n.text(lang, 'cover.title')}",
            author=(rep.firm or rep.name) if rep else case.creditor.name,
            subject=procedures.load(procedure).title[lang] if procedure else i18n.text(lang, "cover.title"),
            as_of=as_of,
            attachments=attachments,
            manifest=manifest,
        )
        bundle_tmp = work / f"{case.case.reference}.pdf"
        with timed("pdf"):
            bundle.assemble(p, assembly, bundle_tmp, work)
        volumes_made: list[tuple[Path, tuple[int, int]]] = []
        limit = options.max_bytes or (volumes.profile(options.profile).max_bytes if options.profile else None)
        if limit:
            volumes_made = volumes.split(bundle_tmp, p, manifest, limit, lang=lang, reference=case.case.reference,
                                         title=assembly.title)
            for vol, (first, last) in volumes_made:
                if vol.stat().st_size > limit:
                    log.warning("%s is %s bytes, over the limit of %s: the exhibit on its pages %d-%d exceeds it alone "
                                "(reduce that document, or file it separately)", vol.name, f"{vol.stat().st_size:,}",
                                f"{limit:,}", first, last)
            if options.profile and volumes.profile(options.profile).status != "confirmed":
                log.warning("the size limit of the %s profile is not confirmed (%s)", options.profile,
                            volumes.profile(options.profile).source)
        if options.sign is not None:
            from . import sign as sign_mod

            for vol, _pages in volumes_made:
                sign_mod.sign(vol, Path(options.sign), reason=case.case.reference, location=None)

            where = rep.address[-1] if rep and rep.address else (case.creditor.address[-1] if case.creditor.address else None)
            sign_mod.sign(bundle_tmp, Path(options.sign), reason=f"{case.case.reference} — {i18n.text(lang, 'cover.title')}",
                          location=where)
        progress.advance(2)

        manifest_tmp = work / "manifest.json"
        full_manifest = dict(manifest)
        full_manifest["bundle"] = {"file": bundle_tmp.name, "sha256": casefolder._sha256(bundle_tmp), "size": bundle_tmp.stat().st_size}
        if volumes_made:
            full_manifest["volumes"] = [{"file": v.name, "sha256": casefolder._sha256(v), "size": v.stat().st_size,
                                         "pages": list(pages)} for v, pages in volumes_made]
        manifest_tmp.write_text(json.dumps(full_manifest, ensure_ascii=False, indent=2) + "\n", "utf-8")

        report_tmp = work / "report.json"
        if report is not None:
            report_tmp.write_text(report.dumps(), "utf-8")

        # publish: everything is complete in the work folder; move each file into place
        final_bundle, final_manifest = out / bundle_tmp.name, out / "manifest.json"
        final_report = out / "report.json" if report is not None else None
        try:
            if generated:
                from .documents import generate as doc_generate

                doc_generate.publish(generated, out)
            if final_report is not None:
                os.replace(report_tmp, final_report)
            os.replace(manifest_tmp, final_manifest)
            for old_volume in out.glob(f"{case.case.reference}-{volumes.WORD.get(lang, 'volume')}-*.pdf"):
                old_volume.unlink()  # a previous split must not linger beside the new one
            for vol, _pages in volumes_made:
                os.replace(vol, out / vol.name)
            os.replace(bundle_tmp, final_bundle)
        except OSError as err:
            raise OutputError(f"cannot write {out}: {err.strerror or err}", path=out,
                              hint="Check free space and permissions of the output folder.") from err
        progress.advance()
    finally:
        shutil.rmtree(work, ignore_errors=True)
        progress.done()
    return BuildResult(bundle=final_bundle, manifest=final_manifest, pages=p.total, exhibits=exhibits,
                       report=final_report, check=report, volumes=[out / v.name for v, _ in volumes_made])


def _originals(exhibits: list[Exhibit]) -> list[tuple[str, bytes, str, str]]:
    """The original e-mails and e-invoice XML, attached to the PDF (DESIGN.md §5)."""
    out: list[tuple[str, bytes, str, str]] = []
    for ex in exhibits:
        label = f"{ex.number:03d}"
        if "email" in ex.facts:
            mime = "application/vnd.ms-outlook" if ex.piece.path.suffix.lower() == ".msg" else "message/rfc822"
            out.append((f"{label}-{Path(ex.piece.rel).name}", ex.piece.path.read_bytes(), mime,
                        f"Original e-mail of exhibit {ex.number}"))
        einv = ex.facts.get("einvoice") or {}
        if einv.get("xml"):
            out.append((f"{label}-{einv.get('xml_name', 'invoice.xml')}", einv["xml"].encode("utf-8"), "text/xml",
                        f"E-invoice XML of exhibit {ex.number}"))
    return out
