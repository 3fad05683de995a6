"""The API: plain data in, results out. Never prints, never exits; raises RecouvreError subclasses.

``build()`` runs: load case.toml -> discover evidence -> ingest (cached) -> number the exhibits ->
render cover and index -> merge, stamp, link, bookmark -> publish atomically into the output folder.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, bundle, casefolder, i18n
from .errors import CaseFileError, OutputError
from .evidence import Cache, ingest
from .models import Exhibit, Piece
from .progress import NullProgress, Progress
from .render import frontmatter


_ROWS_FIRST_PAGE, _ROWS_PER_PAGE = 30, 37  # index rows on its first and next pages (one-line titles)


@dataclass(frozen=True)
class BuildOptions:
    procedure: str | None = None
    lang: str | None = None
    as_of: dt.date | None = None
    output: Path | None = None  # default: CASE_DIR/out


@dataclass
class BuildResult:
    bundle: Path
    manifest: Path
    pages: int
    exhibits: list[Exhibit]
    warnings: list[str] = field(default_factory=list)


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


def prepare_exhibits(folder: casefolder.CaseFolder, cache: Cache, lang: str, progress: Progress) -> list[Exhibit]:
    """Discover, convert (cached), classify and number every piece of evidence."""
    pieces = casefolder.discover(folder)
    if not pieces:
        raise CaseFileError(
            f"no evidence found in {folder.root / casefolder.EVIDENCE_DIR}",
            path=folder.root / casefolder.EVIDENCE_DIR,
            hint="Put the contract, invoices, delivery notes, letters… in the case folder's evidence/ folder.",
        )
    progress.stage("Converting evidence", len(pieces))
    converted: dict[Path, tuple[Piece, object]] = {}
    for piece in pieces:
        result = ingest(piece, cache, lang=lang, case_root=folder.root)
        final = casefolder.refine(piece, result.facts, lang)
        converted[final.path] = (final, result)
        progress.advance()
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
    exhibits = prepare_exhibits(folder, cache, lang, progress)

    work = Path(tempfile.mkdtemp(prefix=".work-", dir=out))
    try:
        progress.stage("Assembling the case file", 4)
        cover_pdf, index_pdf = work / "cover.pdf", work / "index.pdf"
        exhibit_pages = sum(ex.pages for ex in exhibits)
        # The cover states the page count, and the index the page of every exhibit: both depend on
        # the index's own length. Start from an estimate of it (WeasyPrint is the slow part of a
        # build: PERF.md) and render again only while the estimate is wrong.
        rows = len(exhibits) + sum(len(ex.children) for ex in exhibits)
        index_pages, cover_pages = 1 + -(-max(0, rows - _ROWS_FIRST_PAGE) // _ROWS_PER_PAGE), 1
        for _attempt in range(4):
            total = cover_pages + index_pages + exhibit_pages
            cover_ctx = frontmatter.cover_context(case, lang=lang, procedure=procedure, as_of=as_of,
                                                  exhibits=len(exhibits), pages=total, findings=[])
            new_cover = frontmatter.render_to_pdf("cover.html", cover_ctx, cover_pdf, lang=lang, case_root=folder.root)
            p = bundle.plan(exhibits, new_cover + index_pages, lang)
            index_ctx = frontmatter.index_context(case, p.entries, as_of=as_of, link_scheme=bundle.LINK_SCHEME,
                                                  total_pages=p.total)
            new_index = frontmatter.render_to_pdf("index.html", index_ctx, index_pdf, lang=lang, case_root=folder.root)
            if (new_cover, new_index) == (cover_pages, index_pages):
                break
            cover_pages, index_pages = new_cover, new_index
        progress.advance()

        p = bundle.plan(exhibits, cover_pages + index_pages, lang)
        meta = {
            "tool": f"recouvre-docs {__version__}",
            "case": case.case.reference,
            "procedure": procedure,
            "language": lang,
            "as_of": as_of.isoformat(),
        }
        manifest = bundle.manifest(p, exhibits, meta)
        manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8") + b"\n"
        attachments = [("manifest.json", manifest_bytes, "application/json", "Integrity manifest (SHA-256 of every original)")]
        attachments += _originals(exhibits)
        rep = case.representative
        assembly = bundle.Assembly(
            cover=cover_pdf,
            index=index_pdf,
            lang=lang,
            reference=case.case.reference,
            title=f"{case.case.reference} — {i18n.text(lang, 'cover.title')}",
            author=(rep.firm or rep.name) if rep else case.creditor.name,
            subject=i18n.text(lang, f"procedure.{procedure}") if procedure else i18n.text(lang, "cover.title"),
            as_of=as_of,
            attachments=attachments,
        )
        bundle_tmp = work / f"{case.case.reference}.pdf"
        bundle.assemble(p, assembly, bundle_tmp, work)
        progress.advance(2)

        manifest_tmp = work / "manifest.json"
        full_manifest = dict(manifest)
        full_manifest["bundle"] = {"file": bundle_tmp.name, "sha256": casefolder._sha256(bundle_tmp), "size": bundle_tmp.stat().st_size}
        manifest_tmp.write_text(json.dumps(full_manifest, ensure_ascii=False, indent=2) + "\n", "utf-8")

        # publish: everything is complete in the work folder; move each file into place
        final_bundle, final_manifest = out / bundle_tmp.name, out / "manifest.json"
        try:
            os.replace(manifest_tmp, final_manifest)
            os.replace(bundle_tmp, final_bundle)
        except OSError as err:
            raise OutputError(f"cannot write {out}: {err.strerror or err}", path=out,
                              hint="Check free space and permissions of the output folder.") from err
        progress.advance()
    finally:
        shutil.rmtree(work, ignore_errors=True)
        progress.done()
    return BuildResult(bundle=final_bundle, manifest=final_manifest, pages=p.total, exhibits=exhibits)


def _originals(exhibits: list[Exhibit]) -> list[tuple[str, bytes, str, str]]:
    """The original e-mails and e-invoice XML, attached to the PDF (DESIGN.md §5)."""
    out: list[tuple[str, bytes, str, str]] = []
    for ex in exhibits:
        label = f"{ex.number:03d}"
        if "email" in ex.facts:
            out.append((f"{label}-{Path(ex.piece.rel).name}", ex.piece.path.read_bytes(), "message/rfc822",
                        f"Original e-mail of exhibit {ex.number}"))
        einv = ex.facts.get("einvoice") or {}
        if einv.get("xml"):
            out.append((f"{label}-{einv.get('xml_name', 'invoice.xml')}", einv["xml"].encode("utf-8"), "text/xml",
                        f"E-invoice XML of exhibit {ex.number}"))
    return out
