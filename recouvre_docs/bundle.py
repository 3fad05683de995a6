"""The case file: plan (pure: page numbers, labels, links), then assemble with qpdf and pikepdf.

Assembly follows ../shared/PERF.md: the qpdf command line concatenates the cover, the index and every
exhibit's cached PDF into one temporary file (``--keep-files-open=y``), then one pikepdf pass over
that single file adds the stamps (content streams), the links of the index, the bookmarks, the page
labels, the metadata and the embedded manifest. The Python process never holds the sources open, so
memory does not grow with the bundle.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import resource
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pikepdf
from pikepdf import Array, Dictionary, Name

from . import __version__, i18n, stamp
from .errors import EvidenceError, ToolMissingError
from .models import Exhibit

log = logging.getLogger(__name__)

LINK_SCHEME = "recouvre:exhibit/"


@dataclass(frozen=True)
class Entry:
    """One line of the index and one bookmark: an exhibit, or an attachment nested under it."""

    key: str  # "3", "5.1" for the first appended attachment of exhibit 5, "5.2.1" for the first of 5.2
    label: str  # "Pièce n° 3"
    title: str
    date: dt.date | None
    kind: str
    first: int  # first page in the bundle, 1-based
    pages: int
    level: int  # 0 exhibit, 1 attachment, 2 an attachment's attachment…
    source: str
    pdf: Path
    ocr: tuple[int, ...] = ()  # pages (1-based, in this entry) whose text OCR recognised

    @property
    def last(self) -> int:
        return self.first + self.pages - 1


@dataclass(frozen=True)
class Plan:
    front: int  # pages before the first exhibit (cover, index)
    total: int
    entries: list[Entry]

    def entry_of_page(self) -> list[Entry | None]:
        """For each bundle page (0-based), the entry it belongs to (None for the front pages)."""
        owners: list[Entry | None] = [None] * self.total
        for e in self.entries:
            for p in range(e.first - 1, e.last):
                owners[p] = e
        return owners


def plan(exhibits: list[Exhibit], front: int, lang: str) -> Plan:
    """Page numbers and labels of every exhibit after ``front`` pages. Pure."""
    entries: list[Entry] = []
    page = front + 1
    for ex in exhibits:
        key = str(ex.number)
        entries.append(Entry(key, i18n.exhibit_label(lang, key), ex.piece.title, ex.piece.date, ex.piece.kind,
                             page, ex.main.pages, 0, ex.piece.rel, ex.main.pdf, tuple(ex.main.ocr_pages)))
        page += ex.main.pages
        for child in ex.children:  # depth first, numbered by path (Part.key)
            ckey = f"{ex.number}.{child.key}"
            entries.append(Entry(ckey, i18n.exhibit_label(lang, ckey), child.title, None, "attachment",
                                 page, child.pages, child.level, child.source, child.pdf, tuple(child.ocr_pages)))
            page += child.pages
    return Plan(front=front, total=page - 1, entries=entries)


# ----------------------------------------------------------------------------------------------


@dataclass
class Assembly:
    """What the assembler needs beyond the plan: rendered front pages and document metadata."""

    cover: Path
    index: Path
    lang: str
    reference: str
    title: str
    author: str
    subject: str
    as_of: dt.date
    attachments: list[tuple[str, bytes, str, str]] = field(default_factory=list)  # name, data, mime, description
    documents: list[tuple[str, Path]] = field(default_factory=list)  # generated documents after the cover: title, PDF
    manifest: dict[str, Any] | None = None  # completed with each page's hash, then attached as manifest.json


def qpdf_path() -> str:
    path = shutil.which("qpdf")
    if path is None:
        raise ToolMissingError(
            "the qpdf program is required to merge the case file, and it is not installed",
            hint="Install it: 'apt-get install qpdf' (Debian/Ubuntu), 'dnf install qpdf' (Fedora), "
            "'brew install qpdf' (macOS), 'choco install qpdf' (Windows); or run 'make demo', which installs it.",
        )
    return path


def concatenate(inputs: list[Path], target: Path, work: Path) -> None:
    """qpdf --empty --pages … -- target, with every input kept open (PERF.md: 2.25x faster)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    keep = "--keep-files-open=y" if len(inputs) + 64 < soft else f"--keep-files-open-threshold={max(soft - 64, 16)}"
    args = [keep, "--deterministic-id", "--empty", "--pages", *[str(p) for p in inputs], "--", str(target)]
    argfile = work / "qpdf.args"
    argfile.write_text("\n".join(args) + "\n", "utf-8")
    proc = subprocess.run([qpdf_path(), f"@{argfile}"], capture_output=True, text=True)
    if proc.returncode not in (0, 3):  # 3: succeeded with warnings
        raise EvidenceError(
            f"qpdf could not merge the exhibits: {proc.stderr.strip()[:500]}",
            hint="This is unexpected for files recouvre-docs already converted: please report it with the files.",
        )
    if proc.returncode == 3:
        log.info("qpdf warnings while merging: %s", proc.stderr.strip()[:500])


def _pdf_date(day: dt.date) -> str:
    return f"D:{day:%Y%m%d}000000Z"


def assemble(p: Plan, a: Assembly, target: Path, work: Path, progress: Callable[[int], None] | None = None) -> None:
    """Merge and finish the case file into ``target`` (a temporary path the caller publishes)."""
    merged = work / "merged.pdf"
    concatenate([a.cover, *[pdf for _, pdf in a.documents], a.index, *[e.pdf for e in p.entries]], merged, work)
    owners = p.entry_of_page()
    exhibit_first: dict[str, int] = {e.key: e.first - 1 for e in p.entries}
    with pikepdf.open(merged) as pdf:
        if len(pdf.pages) != p.total:
            raise EvidenceError(f"the merged file has {len(pdf.pages)} pages, the plan {p.total}: please report this bug")
        fonts = stamp.add_fonts(pdf)
        for i, page in enumerate(pdf.pages):
            entry = owners[i]
            stamp.install_fonts(page, fonts)
            stamp.stamp_page(pdf, page, left=entry.label if entry else "", center=a.reference, right=f"{i + 1} / {p.total}")
        _link_index(pdf, p, exhibit_first)
        _outline(pdf, p, a, _document_starts(a))
        pdf.Root.PageLabels = Dictionary(Nums=Array([0, Dictionary(S=Name.D, St=1)]))
        pdf.Root.PageMode = Name.UseOutlines
        pdf.Root.Lang = pikepdf.String(a.lang)
        pdf.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
        date = _pdf_date(a.as_of)
        pdf.docinfo = pdf.make_indirect(
            Dictionary(
                Title=pikepdf.String(a.title),
                Author=pikepdf.String(a.author),
                Subject=pikepdf.String(a.subject),
                Keywords=pikepdf.String(a.reference),
                Creator=pikepdf.String(f"recouvre-docs {__version__}"),
                Producer=pikepdf.String(f"recouvre-docs {__version__} (pikepdf {pikepdf.__version__}, qpdf)"),
                CreationDate=pikepdf.String(date),
                ModDate=pikepdf.String(date),
            )
        )
        attachments = list(a.attachments)
        if a.manifest is not None:
            a.manifest["page_sha256"] = [page_digest(page) for page in pdf.pages]
            data = json.dumps(a.manifest, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
            attachments.insert(0, ("manifest.json", data, "application/json",
                                   "Integrity manifest: SHA-256 of every original and of every page as bundled"))
        for name, data, mime, description in attachments:
            pdf.attachments[name] = pikepdf.AttachedFileSpec(
                pdf, data, description=description, filename=name, mime_type=mime, creation_date=date, mod_date=date,
                relationship=Name.Source if name != "manifest.json" else Name.Supplement,
            )
        _pdfa(pdf, a)
        if "/ID" in pdf.trailer:  # qpdf keeps the first half of an existing /ID: derive it all from content
            del pdf.trailer["/ID"]
        pdf.save(
            target,
            deterministic_id=True,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
            compress_streams=True,
            progress=progress,
        )
    merged.unlink(missing_ok=True)


def srgb_profile() -> bytes:
    """An sRGB ICC profile (LittleCMS through Pillow), its creation date and ID zeroed so that the same
    bundle always carries the same bytes (a zero ID means 'not computed', which ICC allows)."""
    from PIL import ImageCms

    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    icc[24:36] = bytes(12)  # dateTimeNumber
    icc[84:100] = bytes(16)  # profile ID
    return bytes(icc)


def _pdfa(pdf: pikepdf.Pdf, a: Assembly) -> None:
    """PDF/A-3b (ISO 19005-3; -3 because the originals are attached): an sRGB output intent, XMP metadata
    that repeats the document information with the conformance claim, the attachments listed in the
    catalog's /AF with their relationship. Fonts, encryption and scripts are handled upstream (stamp
    fonts are embedded subsets, nothing is encrypted, evidence loses its JavaScript)."""
    profile = pdf.make_stream(srgb_profile())
    profile.N = 3
    intent = pdf.make_indirect(Dictionary(
        Type=Name.OutputIntent, S=Name.GTS_PDFA1, OutputConditionIdentifier=pikepdf.String("sRGB IEC61966-2.1"),
        Info=pikepdf.String("sRGB IEC61966-2.1"), DestOutputProfile=profile))
    pdf.Root.OutputIntents = Array([intent])
    # the name tree, not its flat /Names: qpdf writes /Kids once it holds more than 32 files
    pdf.Root.AF = Array([spec.obj for spec in pdf.attachments.values()])
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta.load_from_docinfo(pdf.docinfo, delete_missing=True)
        meta["pdfaid:part"] = "3"
        meta["pdfaid:conformance"] = "B"
        stamp = f"{a.as_of.isoformat()}T00:00:00Z"
        meta["xmp:MetadataDate"] = stamp


def page_digest(page: pikepdf.Page) -> str:
    """SHA-256 of what a page shows: its boxes, rotation and decoded content streams (stamp included).
    Independent of how the file is saved, so verify can recompute it from the bundle alone."""
    h = hashlib.sha256()
    h.update(repr([round(float(v), 3) for v in page.mediabox]).encode())
    h.update(str(int(page.obj.get("/Rotate", 0))).encode())
    for stream in page.obj.Contents if isinstance(page.obj.get("/Contents"), pikepdf.Array) else [page.obj.Contents]:
        h.update(stream.read_bytes())
        h.update(b"\x00")
    return h.hexdigest()


def _link_index(pdf: pikepdf.Pdf, p: Plan, exhibit_first: dict[str, int]) -> None:
    """Turn the index's ``recouvre:exhibit/N`` links into links to the exhibit's first page."""
    for i in range(p.front):
        page = pdf.pages[i]
        for annot in page.obj.get("/Annots", Array()):
            action = annot.get("/A")
            if action is None or action.get("/S") != Name.URI:
                continue
            uri = str(action.get("/URI", ""))
            if not uri.startswith(LINK_SCHEME):
                continue
            key = uri[len(LINK_SCHEME):]
            if key not in exhibit_first:
                continue
            del annot["/A"]
            annot.Dest = Array([pdf.pages[exhibit_first[key]].obj, Name.XYZ, None, None, None])


def _document_starts(a: Assembly) -> tuple[list[tuple[str, int]], int]:
    """(title, first page index) of each generated document, and the index's first page index."""
    page = _pages(a.cover)
    starts = []
    for title, pdf in a.documents:
        starts.append((title, page))
        page += _pages(pdf)
    return starts, page


def _pages(path: Path) -> int:
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def _outline(pdf: pikepdf.Pdf, p: Plan, a: Assembly, starts: tuple[list[tuple[str, int]], int]) -> None:
    documents, index_page = starts
    with pdf.open_outline() as outline:
        outline.root.clear()
        for title, page in documents:
            outline.root.append(pikepdf.OutlineItem(title, page))
        outline.root.append(pikepdf.OutlineItem(i18n.text(a.lang, "index.title"), index_page))
        parents: list[pikepdf.OutlineItem] = []  # the open item at each level
        for e in p.entries:
            item = pikepdf.OutlineItem(f"{e.label} — {e.title}", e.first - 1)
            del parents[e.level:]
            (parents[-1].children if parents else outline.root).append(item)
            parents.append(item)


def manifest(p: Plan, exhibits: list[Exhibit], case_meta: dict[str, Any]) -> dict[str, Any]:
    """The integrity manifest: every original file's SHA-256, size and exhibit number."""
    by_key = {e.key: e for e in p.entries}
    items = []
    for ex in exhibits:
        e = by_key[str(ex.number)]
        items.append(
            {
                "exhibit": ex.number,
                "label": e.label,
                "title": ex.piece.title,
                "kind": ex.piece.kind,
                "date": ex.piece.date.isoformat() if ex.piece.date else None,
                "file": ex.piece.rel,
                "sha256": ex.piece.sha256,
                "size": ex.piece.size,
                "pages": [e.first, e.last],
                "ocr_pages": [e.first + n - 1 for n in ex.main.ocr_pages],  # bundle pages whose text OCR read
                "repaired": ex.main.note == "repaired",  # a damaged PDF qpdf repaired (the original is unchanged)
                "fonts_not_embedded": ex.facts.get("fonts_not_embedded", []),  # breaks PDF/A: to normalise
                "attachments": [  # depth first; "5.2.1" is the first attachment of 5.2
                    {
                        "exhibit": f"{ex.number}.{child.key}",
                        "name": child.title,
                        "level": child.level,
                        "sha256": child.sha256,
                        "size": child.size,
                        "pages": [by_key[f"{ex.number}.{child.key}"].first, by_key[f"{ex.number}.{child.key}"].last],
                        "ocr_pages": [by_key[f"{ex.number}.{child.key}"].first + n - 1 for n in child.ocr_pages],
                    }
                    for child in ex.children
                ],
            }
        )
    ocr = sorted(n for item in items for n in item["ocr_pages"] + [m for a in item["attachments"] for m in a["ocr_pages"]])
    return {**case_meta, "pages": p.total, "front_pages": p.front, "ocr_pages": ocr, "exhibits": items}
