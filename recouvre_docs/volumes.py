"""Filing profiles, and the files a channel receives: volumes of the bundle, or one PDF per exhibit.

A profile (data/profiles.toml) carries what LEGAL.md says a channel accepts, each rule with its
source and status: the size of a message and of a file, the number of files a message may carry, the
PDF/A parts, whether embedded files are welcome, how files are named.

Volumes (layout "bundle"): a bundle over the size limit is split at exhibit boundaries. The split is
planned before the index is laid out, from the sizes of the exhibits' cached PDFs (plan_groups), so
that the index can say which volume holds each exhibit; the build checks the volumes it wrote and plans
again, tighter, when one holding several exhibits is still over the limit. Each volume holds whole
exhibits (an exhibit is never split: one that alone exceeds the limit gets a volume of its own, which
the build reports), keeps the bundle's page numbers (the stamps are in the pages, and the page labels
continue), and its own bookmarks (the front documents in volume 1, an e-mail's attachments nested under
it). Every volume after the first starts with a one-page volume cover that bears no bundle number:
its page label is the volume's name ("Tome 2 sur 4"), so that the stamps and labels of every other
page stay those of the whole bundle. Links of the index into another volume are removed, since a PDF
cannot point into another file reliably.

Exhibit files (layout "exhibits", RPVA): one PDF per exhibit, its stamped pages taken from the bundle,
named after the channel's rule ("Pièce n° 3 – Facture n° F2026-0117"), plus the bordereau (the index
pages of the bundle), in out/<profile>/.

Every such file embeds the manifest with a "part" entry (its kind, its pages in the bundle, the
digests of its own pages), so that verify checks it alone, and the originals of its exhibits; on a
channel that wants no embedded files (beA) it embeds nothing, and manifest.json beside it holds the
same entries.
"""

from __future__ import annotations

import contextlib

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name

from . import digest, i18n, pdfa
from .bundle import Plan, manifest_bytes, save as save_pdf, set_attachment
from .errors import CaseFileError
from .resources import data_path

WORD = {"fr": "tome", "en": "volume", "de": "band"}
RULES = ("transmission_bytes", "file_bytes", "transmission_files", "pdfa", "attachments", "recompress_images",
         "file_names")
TITLE_CHARS = 120  # a title in a file name is cut here (ours, not a channel's rule: profiles.toml)
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


# ----------------------------------------------------------------------------------------------
# profiles


@dataclass(frozen=True)
class Rule:
    value: Any
    status: str  # confirmed | unconfirmed | missing
    source: str

    @property
    def known(self) -> bool:
        return self.value is not None and self.status != "missing"


@dataclass(frozen=True)
class Profile:
    id: str
    title: str
    layout: str  # "bundle" | "exhibits"
    rules: dict[str, Rule]

    def value(self, name: str, default: Any = None) -> Any:
        rule = self.rules.get(name)
        return rule.value if rule is not None and rule.known else default

    @property
    def split_bytes(self) -> int | None:
        """The size no file may exceed: a file must fit in one message."""
        known = [v for v in (self.value("file_bytes"), self.value("transmission_bytes")) if v]
        return min(known) if known else None

    @property
    def attach_originals(self) -> bool:
        return self.value("attachments", True) is not False

    def unconfirmed(self) -> list[str]:
        """The rules applied although LEGAL.md does not confirm them."""
        return [name for name, r in self.rules.items() if r.known and r.status == "unconfirmed"
                and name in ("transmission_bytes", "file_bytes", "transmission_files", "file_names")]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "layout": self.layout,
                "rules": {name: {"value": r.value, "status": r.status, "source": r.source}
                          for name, r in self.rules.items()},
                "images_recompressed": "no image recompressed"}


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return tomllib.loads(data_path("profiles.toml").read_text("utf-8"))


def profile_ids() -> list[str]:
    """Every id --profile accepts: the profiles and their aliases."""
    data = _data()
    return list(data) + [alias for d in data.values() for alias in d.get("aliases", [])]


def profile(profile_id: str) -> Profile:
    data = _data()
    pid = next((k for k, d in data.items() if profile_id == k or profile_id in d.get("aliases", [])), None)
    if pid is None:
        raise CaseFileError(f"unknown filing profile {profile_id!r}", hint=f"Choose one of: {', '.join(profile_ids())}.")
    d = data[pid]
    rules = {name: Rule(d[name].get("value"), d[name]["status"], d[name]["source"]) for name in RULES if name in d}
    return Profile(pid, d["title"], d.get("layout", "bundle"), rules)


def limit_profile(limit: int) -> Profile:
    """--max-mb N: volumes of at most N MB, nothing else known about the channel."""
    rule = Rule(limit, "confirmed", "--max-mb")
    return Profile("max-mb", f"{limit / 1_000_000:g} MB per file", "bundle", {"file_bytes": rule})


# ----------------------------------------------------------------------------------------------
# planning


def _exhibits(p: Plan) -> dict[int, list]:
    """Each exhibit's entries (the exhibit, then its nested attachments), by exhibit number, in order."""
    out: dict[int, list] = {}
    for e in p.entries:
        out.setdefault(int(e.key.split(".")[0]), []).append(e)
    return out


def exhibit_bytes(p: Plan, extra: dict[int, int] | None = None) -> list[tuple[int, int]]:
    """(exhibit number, bytes) of each exhibit with its nested attachments and its embedded originals."""
    extra = extra or {}
    return [(n, sum(x.pdf.stat().st_size for x in entries) + extra.get(n, 0)) for n, entries in _exhibits(p).items()]


def plan_groups(sizes: list[tuple[int, int]], front_bytes: int, budget: float, overhead: int = 0) -> list[list[int]]:
    """The exhibits of each volume, greedily, whole exhibits within ``budget`` bytes a volume.

    Volume 1 holds the front documents (cover, documents, index) and may hold no exhibit when the
    first one would take it over the budget; a later volume always holds at least one exhibit.
    """
    groups: list[list[int]] = [[]]
    used = front_bytes
    for number, nbytes in sizes:
        if used + nbytes > budget and (groups[-1] or len(groups) == 1):
            groups.append([])
            used = overhead
        groups[-1].append(number)
        used += nbytes
    return groups


def page_ranges(p: Plan, groups: list[list[int]]) -> list[tuple[int, int]]:
    """The bundle pages (1-based, inclusive) of each volume of ``groups``."""
    spans = _exhibits(p)
    ranges = []
    for n, group in enumerate(groups):
        first = 1 if n == 0 else spans[group[0]][0].first
        last = spans[group[-1]][-1].last if group else p.front
        ranges.append((first, last))
    return ranges


def volume_of(groups: list[list[int]]) -> dict[str, int]:
    """Index key ("3", "5.1") prefix -> volume number, for the index's volume column."""
    return {str(number): n for n, group in enumerate(groups, start=1) for number in group}


def messages(sizes: list[int], prof: Profile) -> list[list[int]]:
    """The files (indexes into ``sizes``) of each message, in order, within the channel's limits."""
    limit, count = prof.value("transmission_bytes"), prof.value("transmission_files")
    out: list[list[int]] = []
    used = 0
    for i, size in enumerate(sizes):
        if not out or (limit and used + size > limit) or (count and len(out[-1]) >= count):
            out.append([])
            used = 0
        out[-1].append(i)
        used += size
    return out


def file_name(text: str) -> str:
    """``text`` as a file name: characters file systems refuse replaced, spaces tidied, title length cut."""
    name = _FORBIDDEN.sub("-", re.sub(r"\s+", " ", text))
    name = name.strip().rstrip(". ")
    return name or "-"


# ----------------------------------------------------------------------------------------------
# writing


@dataclass
class Part:
    """One file written for a channel: a volume, an exhibit, or the bordereau."""

    path: Path  # where it was written (a temporary folder the caller publishes)
    name: str  # its path relative to the output folder
    kind: str  # "volume" | "exhibit" | "index"
    pages: tuple[int, int]  # the bundle pages it holds
    exhibits: list[int]
    cover: bool = False
    title: str = ""  # its document title (set when written)
    page_sha256: list[str] = field(default_factory=list)

    def entry(self, sha256: str) -> dict[str, Any]:
        return {"file": self.name, "kind": self.kind, "sha256": sha256, "size": self.path.stat().st_size,
                "pages": list(self.pages), "exhibits": self.exhibits, "cover": self.cover, "title": self.title,
                "page_sha256": self.page_sha256}


def _outline_tree(pdf: pikepdf.Pdf) -> list[tuple[str, int, list]]:
    """(title, page index, children) of every bookmark of ``pdf``."""
    index = {page.obj.objgen: n for n, page in enumerate(pdf.pages)}

    def page_of(item) -> int | None:
        dest = item.destination
        if isinstance(dest, int):
            return dest
        if isinstance(dest, pikepdf.Array) and len(dest) and isinstance(dest[0], pikepdf.Dictionary):
            return index.get(dest[0].objgen)
        return None

    def walk(items) -> list[tuple[str, int, list]]:
        return [(item.title, page_of(item), walk(item.children)) for item in items]

    with pdf.open_outline() as outline:
        return walk(outline.root)


def _dest_page(annot: pikepdf.Object):
    dest = annot.get("/Dest")
    action = annot.get("/A")
    if dest is None and isinstance(action, pikepdf.Dictionary) and action.get("/S") == Name.GoTo:
        dest = action.get("/D")
    if isinstance(dest, pikepdf.Array) and len(dest) and isinstance(dest[0], pikepdf.Dictionary):
        return dest[0]
    return None


class Source:
    """The bundle, opened once for all the parts written from it, with its bookmarks."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self) -> "Source":
        self.pdf = pikepdf.open(self.path)
        self.tree = _outline_tree(self.pdf)
        self.pages = list(self.pdf.pages)  # (pdf.pages[i] costs 0.2 ms a call on 4,000 pages)
        return self

    def __exit__(self, *exc) -> None:
        self.pdf.close()


def write_part(source: Source, part: Part, manifest: dict[str, Any], *, title: str, embed: bool,
               cover: tuple[Path, int, str] | None = None) -> None:
    """Write ``part`` (its pages taken from the bundle of ``source``) to ``part.path``.

    ``cover``: (PDF, page index, label) of the volume cover to put first, unnumbered.
    """
    a, b = part.pages
    held = set(part.exhibits)
    owner = {item["name"]: item["exhibit"] for item in manifest.get("embedded", [])}
    bundle, tree = source.pdf, source.tree
    with pikepdf.open(cover[0]) if cover else contextlib.nullcontext() as cover_pdf:
        held_pages = source.pages[a - 1:b]
        keep = {page.obj.objgen for page in held_pages}
        for page in held_pages:  # links into another file cannot work: drop them
            annots = page.obj.get("/Annots")
            if annots is None:
                continue
            kept = [x for x in annots if (target := _dest_page(x)) is None or target.objgen in keep]
            if len(kept) != len(annots):
                page.obj.Annots = Array(kept)
        # a new file with just these pages (qpdf copies what they use, and keeps links between them):
        # deleting the other pages of the bundle took 0.7 s a part on 4,000 pages
        pdf = pikepdf.new()
        offset = 0
        if cover is not None:
            pdf.pages.append(cover_pdf.pages[cover[1]])
            offset = 1
        pdf.pages.extend(held_pages)
        _copy_catalog(bundle, pdf)
        if cover is not None:
            pdf.Root.PageLabels = Dictionary(Nums=Array([0, Dictionary(P=pikepdf.String(cover[2])),
                                                         1, Dictionary(S=Name.D, St=a)]))
        else:
            pdf.Root.PageLabels = Dictionary(Nums=Array([0, Dictionary(S=Name.D, St=a)]))

        def rebuild(items, parent) -> None:
            for text, page, children in items:
                if page is not None and a - 1 <= page < b:
                    item = pikepdf.OutlineItem(text, page - (a - 1) + offset)
                    parent.append(item)
                    rebuild(children, item.children)
                else:  # the bookmark is elsewhere; its children may be here
                    rebuild(children, parent)

        with pdf.open_outline() as outline:
            outline.root.clear()
            if cover is not None:
                outline.root.append(pikepdf.OutlineItem(cover[2], 0))
            rebuild(tree, outline.root)

        if embed:  # the manifest, and the originals of the exhibits this part holds
            for name, spec in bundle.attachments.items():
                if name == "manifest.json" or owner.get(name) in held:
                    _attach_copy(pdf, name, spec)
        specs = [spec.obj for spec in pdf.attachments.values()]
        if specs:
            pdf.Root.AF = Array(specs)
        elif "/AF" in pdf.Root:
            del pdf.Root["/AF"]
        pdf.docinfo["/Title"] = pikepdf.String(title)
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["dc:title"] = title
        part.title = title
        pdfa.unambiguous_stream_ends(pdf)  # the volume cover comes from WeasyPrint, not from the bundle
        part.page_sha256 = list(digest.page_digests(pdf))
        info = {"kind": part.kind, "pages": [a, b], "exhibits": part.exhibits, "cover": part.cover,
                "title": title, "page_sha256": part.page_sha256}
        identity = manifest_bytes(dict(manifest, part=info))
        if embed:
            set_attachment(pdf, "manifest.json", identity)
        save_pdf(pdf, part.path, identity)


def _copy_catalog(bundle: pikepdf.Pdf, pdf: pikepdf.Pdf) -> None:
    """What the bundle's catalog says of the whole file, for a part of it: PDF/A output intent and XMP
    metadata, language, viewer settings, document information."""
    for key in ("/OutputIntents", "/Metadata", "/ViewerPreferences"):
        if key in bundle.Root:
            value = bundle.Root[key]
            pdf.Root[key] = pdf.copy_foreign(value) if value.is_indirect else _copy_direct(value, pdf)
    for key in ("/Lang", "/PageMode"):
        if key in bundle.Root:
            pdf.Root[key] = bundle.Root[key]
    pdf.docinfo = pdf.make_indirect(Dictionary({k: pikepdf.String(str(v)) for k, v in bundle.docinfo.items()}))


def _copy_direct(obj: Any, pdf: pikepdf.Pdf) -> Any:
    """A direct array or dictionary of another file, its indirect members copied into ``pdf``."""
    if isinstance(obj, Array):
        return Array([pdf.copy_foreign(x) if isinstance(x, pikepdf.Object) and x.is_indirect else _copy_direct(x, pdf)
                      for x in obj])
    if isinstance(obj, Dictionary):
        return Dictionary({k: pdf.copy_foreign(v) if isinstance(v, pikepdf.Object) and v.is_indirect
                           else _copy_direct(v, pdf) for k, v in obj.items()})
    return obj


def _attach_copy(pdf: pikepdf.Pdf, name: str, spec: Any) -> None:
    """The embedded file ``name`` of another file (its file specification, stream and dates) in ``pdf``."""
    names = pdf.Root.get("/Names")
    if names is None:
        pdf.Root.Names = names = Dictionary()
    if "/EmbeddedFiles" not in names:
        names.EmbeddedFiles = pikepdf.NameTree.new(pdf).obj
    tree = pikepdf.NameTree(names.EmbeddedFiles)
    tree[name] = pdf.copy_foreign(spec.obj)


def write_volumes(bundle: Path, p: Plan, groups: list[list[int]], manifest: dict[str, Any], *, lang: str,
                  reference: str, title: str, embed: bool, covers: Path | None) -> list[Part]:
    """Write the volumes of ``groups`` beside ``bundle``; ``covers`` holds the cover of volume 2, 3… in order."""
    ranges = page_ranges(p, groups)
    parts = []
    with Source(bundle) as source:
        for n, (group, pages) in enumerate(zip(groups, ranges), start=1):
            name = file_name(f"{reference}-{WORD.get(lang, 'volume')}-{n}") + ".pdf"
            part = Part(bundle.with_name(name), name, "volume", pages, list(group), cover=n > 1)
            label = i18n.text(lang, "volumes.label", n=n, of=len(groups))
            write_part(source, part, manifest, title=f"{title} — {label}", embed=embed,
                       cover=(covers, n - 2, label) if n > 1 and covers is not None else None)
            parts.append(part)
    return parts


def write_exhibits(bundle: Path, p: Plan, index_pages: tuple[int, int], manifest: dict[str, Any], folder: Path,
                   subdir: str, *, lang: str, title: str, embed: bool, pattern: str = "{label} – {title}") -> list[Part]:
    """One PDF per exhibit (with its nested attachments) and the bordereau, into ``folder``/``subdir``."""
    target = folder / subdir
    target.mkdir(parents=True, exist_ok=True)
    index_title = i18n.text(lang, "index.title")
    name = file_name(index_title) + ".pdf"
    parts = [Part(target / name, f"{subdir}/{name}", "index", index_pages, [])]
    with Source(bundle) as source:
        write_part(source, parts[0], manifest, title=f"{title} — {index_title}", embed=embed)
        for entries in _exhibits(p).values():
            e, last = entries[0], max(x.last for x in entries)
            cut = e.title if len(e.title) <= TITLE_CHARS else e.title[:TITLE_CHARS - 1].rstrip() + "…"
            name = file_name(pattern.format(label=e.label, title=cut)) + ".pdf"
            part = Part(target / name, f"{subdir}/{name}", "exhibit", (e.first, last), [int(e.key)])
            write_part(source, part, manifest, title=f"{title} — {e.label}", embed=embed)
            parts.append(part)
    return parts


def over_limit(parts: list[Part], limit: int) -> list[Part]:
    return [part for part in parts if part.path.stat().st_size > limit]


def crowded(parts: list[Part], limit: int) -> bool:
    """A volume over the limit that holds more than one exhibit (or the front and an exhibit)."""
    return any(part.path.stat().st_size > limit and len(part.exhibits) + (1 if n == 0 else 0) > 1
               for n, part in enumerate(parts))
