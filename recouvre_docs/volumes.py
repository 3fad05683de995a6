"""Volumes: a bundle larger than a filing channel allows, split at exhibit boundaries.

Each volume holds whole exhibits (an exhibit is split only when it alone exceeds the limit, which the
build then reports), keeps the bundle's page numbers (the stamps are in the pages; the page labels
start at the volume's first bundle page) and its own bookmarks; links of the index to pages in another
volume are removed, since a PDF cannot point into another file reliably. Every volume embeds the
manifest, with the range of bundle pages it holds, so that verify can check it alone; the original of
an exhibit is attached to the volume that holds the exhibit.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name

from . import i18n
from .bundle import Plan
from .errors import CaseFileError
from .resources import data_path

WORD = {"fr": "tome", "en": "volume", "de": "band"}


@dataclass(frozen=True)
class Profile:
    id: str
    title: str
    max_bytes: int
    status: str
    source: str


def profile(profile_id: str) -> Profile:
    data = tomllib.loads(data_path("profiles.toml").read_text("utf-8"))
    if profile_id not in data:
        raise CaseFileError(f"unknown filing profile {profile_id!r}", hint=f"Choose one of: {', '.join(data)}.")
    d = data[profile_id]
    return Profile(profile_id, d["title"], int(d["max_bytes"]), d["status"], d["source"])


def _ranges(p: Plan, sizes: dict[str, int], budget: int, front_bytes: int) -> list[tuple[int, int]]:
    """Page ranges (1-based, inclusive) of the volumes: whole exhibits, greedily, within ``budget``."""
    tops = [e for e in p.entries if e.level == 0]
    groups = []  # (first page, last page, bytes) per exhibit with its attachments
    for i, e in enumerate(tops):
        last = (tops[i + 1].first - 1) if i + 1 < len(tops) else p.total
        nbytes = sum(sizes.get(x.key, 0) for x in p.entries if x.key == e.key or x.key.startswith(f"{e.key}."))
        groups.append((e.first, last, nbytes))
    ranges, start, used = [], 1, front_bytes
    for first, last, nbytes in groups:
        if used + nbytes > budget and used > (front_bytes if not ranges else 0):
            ranges.append((start, first - 1))
            start, used = first, 0
        used += nbytes
    ranges.append((start, p.total))
    return ranges


def _write(src: Path, target: Path, pages: tuple[int, int], p: Plan, manifest: dict[str, Any], lang: str,
           title: str, number: int, count: int) -> None:
    a, b = pages
    with pikepdf.open(src) as pdf:
        keep = {pdf.pages[i].objgen for i in range(a - 1, b)}
        for i in range(a - 1, b):  # links into another volume cannot work: drop them
            page = pdf.pages[i]
            annots = page.obj.get("/Annots")
            if annots is None:
                continue
            kept = Array([x for x in annots if not ("/Dest" in x and x.Dest[0].objgen not in keep)])
            page.obj.Annots = kept
        for i in reversed(range(len(pdf.pages))):
            if not a - 1 <= i < b:
                del pdf.pages[i]
        pdf.Root.PageLabels = Dictionary(Nums=Array([0, Dictionary(S=Name.D, St=a)]))
        with pdf.open_outline() as outline:
            outline.root.clear()
            for e in p.entries:
                if e.level == 0 and a <= e.first <= b:
                    outline.root.append(pikepdf.OutlineItem(f"{e.label} — {e.title}", e.first - a))
        numbers = {int(name[:3]) for name in pdf.attachments if name[:3].isdigit()}
        held = {int(e.key) for e in p.entries if e.level == 0 and a <= e.first <= b}
        for name in list(pdf.attachments):
            if name[:3].isdigit() and int(name[:3]) in numbers - held:
                del pdf.attachments[name]
        vol_manifest = dict(manifest, volume={"number": number, "of": count, "pages": [a, b]})
        pdf.attachments["manifest.json"] = pikepdf.AttachedFileSpec(
            pdf, json.dumps(vol_manifest, ensure_ascii=False, indent=2).encode() + b"\n",
            filename="manifest.json", mime_type="application/json", description="Integrity manifest",
            relationship=Name.Supplement)
        label = i18n.text(lang, "volumes.label", n=number, of=count)
        pdf.docinfo["/Title"] = f"{title} — {label}"
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["dc:title"] = f"{title} — {label}"
        # the name tree, not its flat /Names: qpdf writes /Kids once it holds more than 32 files
        pdf.Root.AF = Array([spec.obj for spec in pdf.attachments.values()])
        if "/ID" in pdf.trailer:
            del pdf.trailer["/ID"]
        pdf.save(target, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate,
                 compress_streams=True)


def split(bundle: Path, p: Plan, manifest: dict[str, Any], limit: int, *, lang: str, reference: str,
          title: str) -> list[tuple[Path, tuple[int, int]]]:
    """Write the volumes beside ``bundle`` (temporary names the caller publishes); [] if it fits."""
    if bundle.stat().st_size <= limit:
        return []
    sizes = {e.key: e.pdf.stat().st_size for e in p.entries}
    front_bytes = max(0, bundle.stat().st_size - sum(sizes.values()))
    budget = limit
    for attempt in range(8):
        ranges = _ranges(p, sizes, int(budget * 0.92), front_bytes)
        paths = []
        for n, pages in enumerate(ranges, start=1):
            target = bundle.with_name(f"{reference}-{WORD.get(lang, 'volume')}-{n}.pdf")
            _write(bundle, target, pages, p, manifest, lang, title, n, len(ranges))
            paths.append((target, pages))
        # a volume over the limit that holds more than one exhibit: split tighter (one exhibit alone
        # over the limit stays whole, and the build reports it)
        crowded = [1 for path, (a, b) in paths if path.stat().st_size > limit
                   and sum(1 for e in p.entries if e.level == 0 and a <= e.first <= b) > 1]
        if not crowded or attempt == 7:
            return paths
        for path, _ in paths:
            path.unlink()
        budget *= 0.8
    return []
