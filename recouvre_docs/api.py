"""The API: plain data in, results out. Never prints, never exits; raises RecouvreError subclasses.

``build()`` runs: load case.toml -> discover evidence -> ingest (cached) -> number the exhibits ->
render cover and index -> merge, stamp, link, bookmark -> publish atomically into the output folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Any
from pathlib import Path

from . import __version__, bundle, casefolder, check, claim, i18n, stamp, volumes
from .claim import render as claim_render
from .check import procedures
from .errors import CaseFileError, CheckFailedError, EvidenceError, OutputError, UsageError
from .evidence import Cache, ingest_all
from .models import Exhibit, Piece
from .progress import NullProgress, Progress
from .resources import replace_text
from .render import frontmatter
from .timing import timed
from .render import pdf as render_pdf


log = logging.getLogger(__name__)

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
    files: list[Path] = field(default_factory=list)  # one PDF per exhibit and the bordereau (profile layout "exhibits")
    channel: list[str] = field(default_factory=list)  # what the filing profile asks of the sender (the build summary)
    check: Any = None  # the check.Report
    to_complete: list[str] = field(default_factory=list)  # "document: case.toml fields printed to be completed"
    notes: list[str] = field(default_factory=list)  # the documents' warnings (e.g. the language of Form A)


LAST_INPUTS = "last-build.json"  # what the last build was made from (_inputs_key)


def _inputs_key(folder: casefolder.CaseFolder, options: BuildOptions, lang: str, as_of: dt.date,
                procedure: str | None) -> str:
    """What a build's documents are laid out from, roughly and cheaply: this version, the options, the
    case as read (its comments and layout do not count), and the name, size and time of every file
    under evidence/ and templates/. Used only to guess whether the layouts will come from the render
    cache (start_server's ``warm``); a wrong guess costs time, never a different file."""
    h = hashlib.sha256(f"inputs 1\0{__version__}\0{options!r}\0{lang}\0{as_of}\0{procedure}\0".encode())
    h.update(folder.case.model_dump_json().encode())
    for top in (folder.root / casefolder.EVIDENCE_DIR, folder.root / "templates"):
        for path in casefolder._walk(top) if top.is_dir() else ():  # as discover() finds the evidence
            try:
                st = path.stat()
            except OSError:
                continue
            h.update(f"{path.relative_to(folder.root)}\0{st.st_size}\0{st.st_mtime_ns}\n"
                     .encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def _last_inputs(cache: Path) -> str | None:
    try:
        return json.loads((cache / LAST_INPUTS).read_text("utf-8")).get("inputs")
    except Exception:  # noqa: BLE001 - a guess only
        return None


def _remember_inputs(cache: Path, inputs: str) -> None:
    if not replace_text(cache / LAST_INPUTS, json.dumps({"inputs": inputs}) + "\n"):  # a guess only
        log.debug("the build's inputs not kept")


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
                     skipped: list[dict[str, str]] | None = None, ocr: bool = False,
                     infos: list | None = None) -> list[Exhibit]:
    """Discover, convert (cached), classify and number every piece of evidence.

    A piece that cannot be read stops everything (exit 4), unless ``skipped`` is given: it is then
    left out, its path, SHA-256 and the reason added there (build --force), with a warning naming it.
    With ``skipped`` given, a failed OCR leaves the piece as it is (not searchable), with a warning.
    ``infos``, when given, receives what the check needs of every piece (check.piece_info).
    """
    pieces = casefolder.discover(folder, cache.root / casefolder.HASHES)
    if not pieces:
        raise CaseFileError(
            f"no evidence found in {folder.root / casefolder.EVIDENCE_DIR}",
            path=folder.root / casefolder.EVIDENCE_DIR,
            hint="Put the contract, invoices, delivery notes, letters… in the case folder's evidence/ folder.",
        )
    progress.stage("Converting evidence", len(pieces))
    outcomes = ingest_all(pieces, cache, lang=lang, case_root=folder.root, advance=progress.advance)
    refined: dict[Path, Piece] = {}  # the pieces the check's view already refined (kind, title, date)
    if infos is not None:
        seen = [check.piece_info(piece, result, lang) for piece, result in zip(pieces, outcomes)]
        infos.extend(seen)
        refined = {i.piece.path: i.piece for i in seen if i.error is None}
    converted: dict[Path, tuple[Piece, object]] = {}
    for piece, result in zip(pieces, outcomes):
        if isinstance(result, EvidenceError):
            if skipped is None:
                raise result
            reason = result.message.removeprefix(f"{piece.rel}: ")
            log.warning("%s: left out of the bundle: %s", piece.rel, reason)
            skipped.append({"file": piece.rel, "sha256": piece.sha256, "reason": reason})
            continue
        converted[piece.path] = (refined.get(piece.path) or casefolder.refine(piece, result.facts, lang), result)
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
    prof = _profile(options)  # a usage error before any work
    attach = prof.attach_originals if prof is not None else True
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
    # WeasyPrint is imported there while the evidence is read, unless the case is as the last build
    # left it (a comment edited): its layouts then all come from the cache, and the import (0.5 s of
    # CPU) would only slow the rebuild; if one does not, its render imports it then
    inputs = _inputs_key(folder, options, lang, as_of, procedure)
    render_pdf.start_server(warm=inputs != _last_inputs(cache.root))
    bundle.start_assembler()  # and pikepdf there; on a rebuild it stamps the exhibits' pages meanwhile
    try:
        bundle.prepare_assembly(cache.root, case.case.reference)
        with timed("evidence"):
            infos: list = []  # the pieces as the check sees them: converted once, for both
            exhibits = prepare_exhibits(folder, cache, lang, progress, skipped if options.force else None,
                                        ocr=options.ocr, infos=infos if procedure else None)  # the check's view, if any
        if not exhibits:
            raise CaseFileError("no evidence could be read", path=folder.root / casefolder.EVIDENCE_DIR,
                                hint="recouvre-docs check names each file and why it cannot be read.")
        work = Path(tempfile.mkdtemp(prefix=".work-", dir=out))
    except BaseException:  # from here on, the try below ends it
        bundle.discard_assembler()
        raise
    renders = render_pdf.cached(out / ".cache" / "render")  # unchanged documents are not laid out again
    renders.__enter__()
    side = _Side()
    merging = None
    try:
        # qpdf merges the exhibits in the background while the check runs and the documents and the
        # index are laid out (their order is known: only the page numbers depend on the front pages)
        merging = bundle.merge_exhibits(bundle.plan(exhibits, 0, lang), work, cache=cache.root)
        # The check runs after the conversion (an unreadable piece stops build with exit 4 first) and
        # reuses its cache. Without a procedure there is nothing to check against.
        report = None
        findings_on_cover: list[str] = []
        if procedure:
            proc = procedures.load(procedure)
            with timed("check"):
                report = check.run(folder.root, procedure=procedure, lang=lang, as_of=as_of, folder=folder, cache=cache,
                                   documents_lang=lang, infos=infos)
            if not report.ok:
                if not options.force:
                    raise CheckFailedError(
                        f"the check found {report.count('error')} blocking problem(s) for {procedure}; nothing was written",
                        report=report, text=report.to_text(proc.title[lang]),
                        hint="Fix them and build again, or build anyway with --force: the findings are then listed on the cover.",
                    )
                shown = [f for f in report.sorted() if f.severity in ("error", "warning")]
                findings_on_cover = [f"{f.message} ({f.source})" if f.source else f.message for f in shown[:12]]
                if len(shown) > 12:  # the cover stays one page: the rest is in report.json
                    findings_on_cover.append(i18n.text(lang, "report.more", n=len(shown) - 12, code="…"))
        elif skipped:  # no check to name the files left out: the cover does (the rest is in manifest.json)
            findings_on_cover = [i18n.text(lang, "cover.left_out", file=s["file"], reason=s["reason"]) for s in skipped[:12]]
            if len(skipped) > 12:
                findings_on_cover.append(i18n.text(lang, "report.more", n=len(skipped) - 12, code="left_out"))

        # The statement of account (claim): needs invoices; a missing rate stops the build (exit 3).
        with timed("claim"):
            statement = report.statement if report is not None else None  # the check computed it
            if statement is None and case.invoice:
                statement = claim.compute(case, as_of, folder.root)

        stamp.font_programs(cache.root)  # their metrics lay the index out in advance, then stamp the pages
        progress.stage("Assembling the case file", 4)
        cover_pdf, index_pdf = work / "cover.pdf", work / "index.pdf"
        exhibit_pages = sum(ex.pages for ex in exhibits)
        # The generated documents come after the cover, then the statement of account, then the
        # index (DESIGN.md §5). Their length does not depend on page numbers: rendered once.
        documents: list[tuple[str, Path]] = []
        doc_pages = 0
        generated = []
        statement_pdf = work / "statement.pdf"
        # the statement of account is laid out by the other process while this one lays out the documents
        statement_pages = side.call(_render_statement, statement, case, lang, statement_pdf, folder.root) \
            if statement is not None else None
        if procedure and statement is not None:  # every document is about a claim: none without invoices
            from .documents import generate as doc_generate

            with timed("documents"):
                side_jobs: list = []
                generated = doc_generate.generate(folder, procedure=procedure, lang=lang, as_of=as_of, out=out,
                                                  exhibits=exhibits, statement=statement, work=work / "documents",
                                                  side=side_jobs, start_side=side.start)
            # (side.start: the documents' own files, DOCX, PDF with notes, the list of exhibits, laid out
            # by the other process from before the bundle's copies are laid out here, and while the bundle is made)
            for g in generated:
                if g.name not in doc_generate.NOT_IN_BUNDLE:  # the bundle's copy: without the notes to the lawyer
                    documents.append((g.title, g.final_pdf or g.pdf))
                    doc_pages += g.final_pages or g.pages
        if statement_pages is not None:
            with timed("statement"):
                doc_pages += side.result(statement_pages, renders)
            documents.append((i18n.text(lang, "claim.title"), statement_pdf))
        # The cover states the page count, and the index the page of every exhibit: both depend on
        # the index's own length (and on the cover's). Start from an estimate, render each document
        # only when what it states has changed, and stop when the lengths no longer move. When the
        # bundle is split, the index also says which volume holds each exhibit.
        foot = 1 + bool(case.representative) + any(ex.main.ocr_pages or any(c.ocr_pages for c in ex.children)
                                                   for ex in exhibits)

        def index_estimate(volumes: bool) -> int:
            # the index laid out once when its length is guessed right (frontmatter.estimate_index_pages:
            # exactly, for the index drawn by render/drawn.py)
            return frontmatter.estimate_index_pages(bundle.plan(exhibits, 0, lang).entries, lang, volumes=volumes,
                                                    foot_lines=foot)

        # the exhibits' pages stamped by the assembling process while the cover and the index are laid
        # out, for the front pages' count expected (a one-page cover): stamped again if another settles
        whole_index = index_estimate(False)
        bundle.stamp_ahead(merging, bundle.plan(exhibits, 1 + doc_pages + whole_index, lang), case.case.reference,
                           cache.root)

        def render_front(volume_of: dict[str, int] | None) -> tuple[bundle.Plan, int, int]:
            cover_pages = 1
            index_pages = index_estimate(True) if volume_of else whole_index
            cover_total = index_start = None
            new_cover = new_index = 0

            def lay_out_cover(total: int) -> int:
                cover_ctx = frontmatter.cover_context(case, lang=lang, procedure=procedure, as_of=as_of,
                                                      exhibits=len(exhibits), pages=total,
                                                      findings=findings_on_cover, claim=statement)
                with timed("cover"):
                    return frontmatter.render_to_pdf("cover.html", cover_ctx, cover_pdf, lang=lang, case_root=folder.root)

            for _attempt in range(6):
                # both laid out at once (the render process forks a child for each), from the lengths
                # assumed; when one comes out of another length, both are laid out again from it
                total = cover_pages + doc_pages + index_pages + exhibit_pages
                cover_job = None
                with render_pdf.render_scope():  # an error or Ctrl-C in the index stops the cover's layout
                    if cover_total != total:
                        cover_job = render_pdf.beside(lay_out_cover, total)
                        cover_total = total
                    p = bundle.plan(exhibits, cover_pages + doc_pages + index_pages, lang)
                    if index_start != (cover_pages + index_pages, p.total):
                        index_ctx = frontmatter.index_context(case, p.entries, as_of=as_of,
                                                              link_scheme=bundle.LINK_SCHEME, total_pages=p.total,
                                                              volume_of=volume_of)
                        with timed("index"):
                            new_index = frontmatter.render_index(index_ctx, index_pdf, lang=lang, case_root=folder.root)
                        index_start = (cover_pages + index_pages, p.total)
                    if cover_job is not None:
                        new_cover = cover_job.result()
                if (new_cover, new_index) == (cover_pages, index_pages):
                    break
                cover_pages, index_pages = new_cover, new_index
            else:  # pragma: no cover - the lengths oscillate: a template whose length depends on a number
                raise RuntimeError("the cover and index lengths do not settle; check the templates")
            return p, cover_pages, index_pages  # the plan of the lengths that settled

        p, cover_pages, index_pages = render_front(None)
        progress.advance()

        meta = {
            "tool": f"recouvre-docs {__version__}",
            "versions": _versions(),
            "case": case.case.reference,
            "procedure": procedure,
            "language": lang,
            "as_of": as_of.isoformat(),
        }
        if statement is not None:  # the rate tables the claim used, by content: a changed table shows here
            meta["rates"] = claim.tables_used(statement, folder.root)
            meta["rate_versions"] = _rate_versions(meta["rates"], folder.root)
        meta["case_files"] = case_files(folder.root)
        if prof is not None:
            meta["profile"] = prof.to_json()
        originals, attachment_exhibits = _originals(exhibits)  # manifest.json is attached by assemble
        rep = case.representative
        title = f"{case.case.reference} — {i18n.text(lang, 'cover.title')}"
        bundle_tmp = work / f"{case.case.reference}.pdf"

        def assemble(p: bundle.Plan) -> dict[str, Any]:
            manifest = bundle.manifest(p, exhibits, meta)
            if skipped:  # the files build --force left out, and why (verify knows them: not "added after the build")
                manifest["left_out"] = skipped
            assembly = bundle.Assembly(
                cover=cover_pdf,
                index=index_pdf,
                documents=documents,
                lang=lang,
                reference=case.case.reference,
                title=title,
                author=(rep.firm or rep.name) if rep else case.creditor.name,
                subject=procedures.load(procedure).title[lang] if procedure else i18n.text(lang, "cover.title"),
                as_of=as_of,
                attachments=originals,
                attachment_exhibits=attachment_exhibits,
                manifest=manifest,
                attach_originals=attach,
                cache=cache.root,
            )
            with timed("pdf"):
                bundle.assemble(p, assembly, bundle_tmp, work, exhibits=merging)
            return manifest

        # its SHA-256 read while it is written (not for a bundle signed afterwards: read again then)
        hashing_bundle = bundle.HashWhileSaved(bundle_tmp) if options.sign is None else None
        try:
            manifest = assemble(p)
        finally:
            if hashing_bundle is not None:
                hashing_bundle.stop()
        parts: list[volumes.Part] = []
        split = prof.split_bytes if prof is not None and prof.layout == "bundle" else None
        if split and bundle_tmp.stat().st_size > split:
            front_files = [cover_pdf, *[pdf for _, pdf in documents], index_pdf]
            p, manifest, parts = _split(split, p, manifest, render_front, assemble, bundle_tmp, work, front_files, folder,
                                        lang, title, attach, originals, attachment_exhibits, case)
        elif prof is not None and prof.layout == "exhibits":
            index_range = (cover_pages + doc_pages + 1, p.front)
            parts = volumes.write_exhibits(bundle_tmp, p, index_range, manifest, work, prof.id, lang=lang, title=title,
                                           embed=attach, pattern=prof.value("file_names") or "{label} – {title}")
        file_limit = prof.split_bytes if prof is not None else None
        for part in volumes.over_limit(parts, file_limit) if file_limit else []:
            log.warning("%s is %s bytes, over the limit of %s: the exhibit on its pages %d-%d exceeds it alone "
                        "(reduce that document, or file it separately)", part.name, f"{part.path.stat().st_size:,}",
                        f"{file_limit:,}", *part.pages)
        if options.sign is not None:
            from . import sign as sign_mod

            for part in parts:
                sign_mod.sign(part.path, Path(options.sign), reason=case.case.reference, location=None)

            where = rep.address[-1] if rep and rep.address else (case.creditor.address[-1] if case.creditor.address else None)
            sign_mod.sign(bundle_tmp, Path(options.sign), reason=f"{case.case.reference} — {i18n.text(lang, 'cover.title')}",
                          location=where)
        progress.advance(2)

        # the files' SHA-256 read by a thread while the other process finishes the documents' own files
        from concurrent.futures import ThreadPoolExecutor

        try:
            with ThreadPoolExecutor(1) as hasher:
                # the bundle's read as it was saved, unless it was written again since (split, signed)
                saved = hashing_bundle.result() if hashing_bundle is not None and not parts else None
                hashing = hasher.submit(lambda: {f: casefolder._sha256(f) for f in
                                                 [*([] if saved else [bundle_tmp]), *[part.path for part in parts]]})
                if generated:
                    with timed("documents.side"):
                        side.finish(generated, renders)
                with timed("sha256"):
                    sha = hashing.result()
                    if saved:
                        sha[bundle_tmp] = saved
        except OSError as err:
            raise OutputError(f"cannot write {work}: {err.strerror or err}", path=out,
                              hint="Check free space and permissions of the output folder.") from err
        manifest_tmp = work / "manifest.json"
        full_manifest = dict(manifest)
        full_manifest["bundle"] = {"file": bundle_tmp.name, "sha256": sha[bundle_tmp], "size": bundle_tmp.stat().st_size}
        entries = [part.entry(sha[part.path]) for part in parts]
        if parts and parts[0].kind == "volume":
            full_manifest["volumes"] = entries
        elif parts:
            full_manifest["files"] = entries
        channel: list[str] = []
        if prof is not None:
            sent = entries or [full_manifest["bundle"]]
            groups = volumes.messages([e["size"] for e in sent], prof)
            full_manifest["messages"] = [{"files": [sent[i]["file"] for i in g], "size": sum(sent[i]["size"] for i in g)}
                                         for g in groups]
            channel = _channel_summary(prof, sent, groups, options.profile is None)
        manifest_tmp.write_text(json.dumps(full_manifest, ensure_ascii=False, indent=2) + "\n", "utf-8")

        report_tmp = work / "report.json"
        if report is not None:
            report_tmp.write_text(report.dumps(), "utf-8")

        # publish: everything is complete in the work folder; move each file into place
        final_bundle, final_manifest = out / bundle_tmp.name, out / "manifest.json"
        final_report = out / "report.json" if report is not None else None
        try:
            with timed("publish"):
                if generated:
                    from .documents import generate as doc_generate

                    doc_generate.publish(generated, out)
                side.close()
                if final_report is not None:
                    os.replace(report_tmp, final_report)
                os.replace(manifest_tmp, final_manifest)
                for old in [*out.glob(f"{case.case.reference}-{volumes.WORD.get(lang, 'volume')}-*.pdf"),
                            *[f for pid in volumes.profile_ids() for f in (out / pid).glob("*.pdf")]]:
                    old.unlink()  # a previous split must not linger beside the new one
                for pid in volumes.profile_ids():
                    if (out / pid).is_dir() and not any((out / pid).iterdir()):
                        (out / pid).rmdir()
                for part in parts:
                    (out / part.name).parent.mkdir(parents=True, exist_ok=True)
                    os.replace(part.path, out / part.name)
                os.replace(bundle_tmp, final_bundle)
                merging.keep()  # a rebuild with the same exhibits does not merge them again
                bundle.remember_stamps(cache.root, merging, p)
                _remember_inputs(cache.root, inputs)
        except OSError as err:
            raise OutputError(f"cannot write {out}: {err.strerror or err}", path=out,
                              hint="Check free space and permissions of the output folder.") from err
        progress.advance()
    except BaseException as err:
        side.cancel()
        if merging is not None:
            merging.cancel()
        bundle.discard_assembler()
        renders.__exit__(type(err), err, err.__traceback__)
        raise
    else:
        renders.__exit__(None, None, None)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        progress.done()
    from .documents.generate import to_complete

    return BuildResult(bundle=final_bundle, manifest=final_manifest, pages=p.total, exhibits=exhibits,
                       report=final_report, check=report,
                       volumes=[out / part.name for part in parts if part.kind == "volume"],
                       files=[out / part.name for part in parts if part.kind != "volume"], channel=channel,
                       to_complete=to_complete(generated), notes=[n for g in generated for n in g.notes])


def _profile(options: BuildOptions) -> volumes.Profile | None:
    """The filing profile of the build: --profile, or --max-mb alone (the CLI refuses both together)."""
    if options.profile and options.max_bytes:
        raise UsageError("--profile and --max-mb cannot be combined",
                         hint="A profile carries its channel's size limit; use --max-mb alone for another limit.")
    if options.max_bytes is not None and options.max_bytes <= 0:
        raise UsageError(f"--max-mb must be above 0 (got {options.max_bytes / 1_000_000:g})",
                         hint="Give the size limit in megabytes, e.g. --max-mb 4.")
    if options.profile:
        return volumes.profile(options.profile)
    if options.max_bytes:
        return volumes.limit_profile(options.max_bytes)
    return None


def _split(limit: int, p: bundle.Plan, manifest: dict[str, Any], render_front, assemble, bundle_tmp: Path, work: Path,
           front_files: list[Path], folder: casefolder.CaseFolder, lang: str, title: str, attach: bool, originals,
           attachment_exhibits, case) -> tuple[bundle.Plan, dict[str, Any], list[volumes.Part]]:
    """Split the bundle into volumes of at most ``limit`` bytes.

    The volumes are planned from the sizes of the exhibits' cached PDFs (and of their embedded
    originals) before the index is laid out again, so that the index says which volume holds each
    exhibit; then the bundle is assembled and cut. A volume that still exceeds the limit while it
    holds more than one exhibit makes the plan tighter (at most 6 rounds); an exhibit alone over the
    limit keeps a volume of its own (the build warns).
    """
    extra: dict[int, int] = {}
    if attach:
        for name, data, _mime, _description in originals:
            if attachment_exhibits.get(name) is not None:
                extra[attachment_exhibits[name]] = extra.get(attachment_exhibits[name], 0) + len(data)
    sizes = volumes.exhibit_bytes(p, extra)
    # Each volume carries the stamp fonts, the manifest and a cover (about 40 kB, measured on the sample);
    # volume 1 the front documents as rendered (the drawn index's own copy of the stamp fonts, which the
    # bundle drops, included: an overestimate).
    overhead = 40_000 + (len(bundle.manifest_bytes(manifest)) if attach else 0)
    front = overhead + sum(f.stat().st_size for f in front_files)
    # the estimate against the real bundle: plan with the budget scaled by what the merge really weighs
    estimate = front + sum(n for _, n in sizes)
    budget = min(limit * 0.95 * estimate / bundle_tmp.stat().st_size, estimate - 1)
    done: list[list[int]] | None = None
    parts: list[volumes.Part] = []
    for attempt in range(6):
        groups = volumes.plan_groups(sizes, front, budget, overhead)
        if groups != done:
            p, _cover_pages, _index_pages = render_front(volumes.volume_of(groups))
            manifest = assemble(p)
            done = groups
        covers = None
        if len(groups) > 1:
            ranges = volumes.page_ranges(p, groups)
            covers = work / "volume-covers.pdf"
            rows = [{"number": n, "first": ranges[n - 1][0], "last": ranges[n - 1][1],
                     "exhibits": i18n.text(lang, "volumes.exhibits_one", first=g[0]) if len(g) == 1
                     else i18n.text(lang, "volumes.exhibits_range", first=g[0], last=g[-1])}
                    for n, g in enumerate(groups, start=1) if n > 1]
            ctx = frontmatter.volume_covers_context(case, lang=lang, volumes=rows, volume_count=len(groups),
                                                    total_pages=p.total)
            with timed("volume covers"):
                frontmatter.render_to_pdf("volume.html", ctx, covers, lang=lang, case_root=folder.root)
        for part in parts:
            part.path.unlink(missing_ok=True)
        parts = volumes.write_volumes(bundle_tmp, p, groups, manifest, lang=lang, reference=case.case.reference,
                                      title=title, embed=attach, covers=covers)
        if not volumes.crowded(parts, limit) or attempt == 5:
            break
        biggest = max(part.path.stat().st_size for part in parts)
        budget *= min(0.85, limit / biggest)
    return p, manifest, parts


class _Side:
    """Renders the bundle does not wait for — or not at once — done by one other process while this one
    goes on (a second core halves that part of a build: PERF.md, WeasyPrint is the slow part): the
    statement of account while the documents are laid out, then the documents' own files (DOCX, the
    copy with notes to the lawyer) while the bundle is assembled. On one core, or where processes
    cannot be forked, each is rendered here when it is asked for."""

    def __init__(self) -> None:
        self.pool = None
        self.jobs: list = []
        self.jobs_future = None

    def _executor(self):
        if self.pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            from .evidence import workers

            if workers.cores() < 2 or "fork" not in multiprocessing.get_all_start_methods() \
                    or multiprocessing.current_process().daemon:
                return None
            # Ctrl-C is this process's to handle (cancel() kills the other): no traceback from it
            self.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"), initializer=_ignore_sigint)
        return self.pool

    def call(self, func, *args):
        """``func(*args)`` (which returns ("ok", (value, cache keys used)) or ("error", data)), in the
        other process: a future; or here: a completed one."""
        from concurrent.futures import Future

        pool = self._executor()
        if pool is not None:
            return pool.submit(func, *args)
        done: Future = Future()
        done.set_result(func(*args))
        return done

    @staticmethod
    def result(future, renders):
        from .errors import CheckFailedError, TemplateError, rebuild

        status, value = future.result()
        if status == "error":
            raise rebuild(value, fallback=TemplateError, demote=(CheckFailedError.__name__,))
        result, used = value
        renders.used |= used
        return result

    def start(self, jobs: list) -> None:
        self.jobs = jobs
        if jobs and self._executor() is not None:  # on one core they wait until finish()
            self.jobs_future = self.call(_run_side, jobs)

    def finish(self, generated: list, renders) -> None:
        if not self.jobs:
            return
        future = self.jobs_future or self.call(_run_side, self.jobs)
        pages = self.result(future, renders)
        by_name = {g.name: g for g in generated}
        for job, count in zip(self.jobs, pages):
            if count is not None:
                by_name[job.name].pages = count
        self.jobs, self.jobs_future = [], None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None

    def cancel(self) -> None:
        if self.pool is not None:
            for process in list((getattr(self.pool, "_processes", None) or {}).values()):
                process.kill()
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def _ignore_sigint() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _guarded(func, *args) -> tuple[str, Any]:
    """("ok", (func's result, the render-cache entries it used)) or ("error", the RecouvreError as data:
    keyword-only constructors do not unpickle)."""
    from .errors import RecouvreError, error_data

    cache = render_pdf.current_cache()
    before = set(cache.used) if cache is not None else set()
    try:
        value = func(*args)
    except RecouvreError as err:
        return "error", error_data(err)
    return "ok", (value, (set(cache.used) - before) if cache is not None else set())


def _render_statement(statement, case, lang: str, target: Path, root: Path) -> tuple[str, Any]:
    return _guarded(claim_render.to_pdf, statement, case, lang, target, root)


def _run_side(jobs: list) -> tuple[str, Any]:
    from .documents import generate as doc_generate

    return _guarded(doc_generate.run_side, jobs)


def _originals(exhibits: list[Exhibit]) -> tuple[list[tuple[str, bytes, str, str]], dict[str, int]]:
    """The original e-mails and e-invoice XML, attached to the PDF (DESIGN.md §5), and the exhibit
    each belongs to (the manifest records it: volumes and verify never read it from the name)."""
    out: list[tuple[str, bytes, str, str]] = []
    owner: dict[str, int] = {}
    for ex in exhibits:
        label = f"{ex.number:03d}"
        if "email" in ex.facts:
            mime = "application/vnd.ms-outlook" if ex.piece.path.suffix.lower() == ".msg" else "message/rfc822"
            out.append((f"{label}-{Path(ex.piece.rel).name}", ex.piece.path.read_bytes(), mime,
                        f"Original e-mail of exhibit {ex.number}"))
            owner[out[-1][0]] = ex.number
        einv = ex.facts.get("einvoice") or {}
        if einv.get("xml"):
            out.append((f"{label}-{einv.get('xml_name', 'invoice.xml')}", einv["xml"].encode("utf-8"), "text/xml",
                        f"E-invoice XML of exhibit {ex.number}"))
            owner[out[-1][0]] = ex.number
    return out, owner


def case_files(root: Path) -> dict[str, str]:
    """SHA-256 of what the case folder holds besides the evidence and changes the build: case.toml,
    its own rate tables (rates/*.csv) and its template overrides (templates/), with the discovery's
    skip rules (hidden files, Thumbs.db, Office lock files are not the case's)."""
    out = {casefolder.CASE_FILE: casefolder._sha256(root / casefolder.CASE_FILE)}
    for sub in ("rates", "templates"):
        if (root / sub).is_dir():
            for path in casefolder._walk(root / sub):
                out[path.relative_to(root).as_posix()] = casefolder._sha256(path)
    return out


def _versions() -> dict[str, str]:
    """The versions of the programs that shape the output (the same versions give the same bytes)."""
    import pikepdf

    # WeasyPrint's from its package metadata: importing it (0.75 s) for its version is not worth it
    return {"recouvre-docs": __version__, "pikepdf": pikepdf.__version__, "qpdf": pikepdf.__libqpdf_version__,
            "qpdf-cli": bundle.qpdf_version(), "weasyprint": render_pdf.package_version("weasyprint")}


def _rate_versions(tables: dict[str, str], root: Path) -> dict[str, str | None]:
    """Each rate table's version for a reader: the last effective date it holds (read by the claim's
    own parser: the packaged tables are already in its cache)."""
    out: dict[str, str | None] = {}
    for label in tables:
        if not label.endswith(".csv"):
            continue
        if label.startswith("case:"):
            path = root / label[len("case:"):]
            rows = claim._read_series(path.read_text("utf-8"), label) if path.is_file() else None
        else:
            rows = claim._packaged(Path(label).stem) or None
        if rows is None:
            continue
        dates = [r.effective for r in rows if r.status != "missing"]
        out[label] = max(dates).isoformat() if dates else None
    return out


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.0f} kB"


def _channel_summary(prof: volumes.Profile, sent: list[dict[str, Any]], groups: list[list[int]], plain: bool) -> list[str]:
    """What the sender must do for the channel, in a few lines for the build summary (English, like
    every message of the command line)."""
    limit, count = prof.value("transmission_bytes"), prof.value("transmission_files")
    lines = []
    if plain:  # --max-mb: a size per file, nothing known about messages
        return lines
    what = {"volume": "volumes", "exhibit": "files", "index": "files"}.get(sent[0].get("kind", ""), "")
    bounds = " and ".join(x for x in (f"at most {_mb(limit)}" if limit else "",
                                      f"at most {count:,} files" if count else "") if x)
    if not limit and not count:
        lines.append(f"{prof.title}: no size or file-count limit is known for this channel, so nothing was split.")
    elif len(sent) == 1:
        lines.append(f"{prof.title}: the bundle ({_mb(sent[0]['size'])}) fits in one message ({bounds} a message).")
    elif len(groups) == 1:
        lines.append(f"{prof.title}: {len(sent)} {what}: send them in one message ({bounds} a message).")
    else:
        def names(g: list[int]) -> str:
            labels = [Path(sent[i]["file"]).stem for i in g]
            return labels[0] if len(labels) == 1 else f"{labels[0]} … {labels[-1]}"

        listing = "; ".join(f"{n}) {names(g)} ({_mb(sum(sent[i]['size'] for i in g))})" for n, g in enumerate(groups, start=1))
        lines.append(f"{prof.title}: {len(sent)} {what} ({bounds} a message): send them in {len(groups)} separate "
                     f"messages: {listing}.")
    words = {"transmission_bytes": "the size limit of a message", "file_bytes": "the size limit of a file",
             "transmission_files": "the number of files a message may carry", "file_names": "the file-name rule"}
    unconfirmed = prof.unconfirmed()
    if unconfirmed:
        lines.append(f"Not confirmed for {prof.title}: {', '.join(words[r] for r in unconfirmed)} "
                     "(check the channel's current rules before filing).")
    if not prof.attach_originals:
        lines.append(f"{prof.title} takes no embedded files: the originals and manifest.json are not inside the PDF; "
                     "manifest.json is written beside it.")
    lines.append("No image recompressed.")
    return lines
