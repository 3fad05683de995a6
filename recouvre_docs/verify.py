"""`recouvre-docs verify BUNDLE.pdf [CASE_DIR]`: is the bundle the one that was built, and are the
originals the ones it was built from?

What is checked, and from what:

1. The whole file, byte for byte: its SHA-256 against the manifest.json written beside it (or in the
   folder above, for the files of out/rpva/). That manifest is found by content, not only by name: a
   bundle cannot hold its own hash, but the manifest it embeds is the beside manifest without the
   files' hashes, so a renamed bundle is still matched with its build. When no manifest of this build
   is beside the file, the whole-file check cannot be made, and verify says so.
2. Every page, from the file alone: its digest (digest.py: the page's whole object tree, fonts,
   images, XObjects, annotations, link targets) against the manifest's. An edited page is named.
3. Every embedded file (the original e-mails, the e-invoice XML) against the SHA-256 the manifest
   records; one missing or added is named.
4. The title, author, subject, keywords and language against the manifest.
5. With CASE_DIR: every original, case.toml, the case's own rate tables and template overrides
   against the manifest; files added to evidence/, rates/ or templates/ since the build (with the
   discovery's skip rules: Thumbs.db, hidden files, Office lock files are no evidence).

The pages are read one at a time, and shared resources are hashed once (digest.py), so memory does
not grow with the bundle.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf

from . import bundle, casefolder, digest, volumes

_FILE_KEYS = ("bundle", "volumes", "files", "messages")  # only in manifest.json beside the PDF


@dataclass
class Verification:
    bundle: Path
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)
    damaged: bool = False  # not a complete PDF: nothing else (signatures) can be read from it

    @property
    def ok(self) -> bool:
        return not self.problems


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _beside(path: Path) -> tuple[Path, dict[str, Any]] | None:
    candidates = [path.with_name("manifest.json")]
    if path.parent.name in volumes.profile_ids():  # out/rpva/…: the build's manifest is in out/
        candidates.append(path.parent.parent / "manifest.json")
    for candidate in candidates:
        if candidate.is_file():
            try:
                return candidate, json.loads(candidate.read_text("utf-8"))
            except (OSError, ValueError):
                continue
    return None


def _entries(full: dict[str, Any]) -> list[dict[str, Any]]:
    """The files a build wrote, as manifest.json beside them lists them."""
    bundle = dict(full.get("bundle") or {}, kind="bundle")
    return [bundle, *(full.get("volumes") or []), *(full.get("files") or [])]


def _same_build(embedded: dict[str, Any], full: dict[str, Any]) -> bool:
    mine = {k: v for k, v in embedded.items() if k != "part"}
    return mine == {k: v for k, v in full.items() if k not in _FILE_KEYS}


def _match(embedded: dict[str, Any] | None, full: dict[str, Any], path: Path, sha: str) -> dict[str, Any] | None:
    """The entry of manifest.json for this file: by its hash, else by the part it says it is, else by name."""
    entries = _entries(full)
    for entry in entries:
        if entry.get("sha256") == sha:
            return entry
    if embedded is not None and _same_build(embedded, full):
        part = embedded.get("part")
        for entry in entries:
            if part is None and entry["kind"] == "bundle":
                return entry
            if part is not None and entry.get("kind") == part.get("kind") and entry.get("pages") == part.get("pages"):
                return entry
    return next((e for e in entries if Path(e.get("file", "")).name == path.name), None)


def verify(bundle_path: Path | str, case_dir: Path | str | None = None) -> Verification:
    path = Path(bundle_path)
    v = Verification(bundle=path)
    try:
        pdf = pikepdf.open(path, attempt_recovery=False)  # a file qpdf must repair is not the one built
    except pikepdf.PdfError as err:
        v.damaged = True
        v.problems.append(f"{path.name}: the file is damaged, it is not a complete PDF (it was cut short or "
                          f"corrupted after the build; qpdf: {err}): get the file again from its sender")
        return v
    except OSError as err:
        v.problems.append(f"{path.name}: the file cannot be read ({err.strerror or err})")
        return v
    with pdf:
        embedded = None
        if "manifest.json" in pdf.attachments:
            try:
                embedded = json.loads(pdf.attachments["manifest.json"].get_file().read_bytes())
            except ValueError:
                v.problems.append(f"{path.name}: its embedded manifest.json is not valid JSON: it was edited")
                return v
        beside = _beside(path)
        sha = casefolder._sha256(path)
        entry = _match(embedded, beside[1], path, sha) if beside else None

        # 1. the whole file
        if entry is not None:
            where = beside[0].name if beside[0].parent == path.parent else f"{beside[0].parent.name}/{beside[0].name}"
            if entry.get("sha256") == sha:
                v.checked.append(f"the whole file against its SHA-256 in {where}")
            else:
                v.problems.append(f"{path.name}: the file differs from the one built (SHA-256 in {where}): "
                                  "it was edited or re-saved after the build")
            if embedded is not None and not _same_build(embedded, beside[1]):
                v.problems.append(f"{path.name}: its embedded manifest differs from {where}: the manifest was "
                                  "edited, or the two come from different builds")
        else:
            why = ("no manifest.json beside it" if beside is None
                   else f"the {beside[0].name} beside it is not from the build of this file")
            v.not_checked.append(f"the whole file, byte for byte ({why}): a change outside the pages, the "
                                 "embedded files and the document information would not be seen")

        manifest = embedded if embedded is not None else (beside[1] if entry is not None else None)
        if manifest is None:
            v.problems.append(f"{path.name}: no embedded manifest.json and none beside it from its build: it is not "
                              "a recouvre-docs file, it was rewritten, or it was built for a channel that takes no "
                              "embedded files (then put the build's manifest.json beside it)")
            return v
        part = manifest.get("part") if embedded is not None else (None if entry["kind"] == "bundle" else entry)

        # 2. the pages
        expected = (part or {}).get("page_sha256") if part else manifest.get("page_sha256", [])
        expected = expected or []
        if len(pdf.pages) != len(expected):
            v.problems.append(f"{path.name}: {_plural(len(pdf.pages), 'page')}, but {len(expected)} were built")
        changed, unreadable = [], []
        first = part["pages"][0] if part else 1
        cover = bool(part and part.get("cover"))
        digester = digest.Digester(pdf)
        for n, page in zip(range(len(expected)), pdf.pages):  # pdf.pages[n] costs 0.2 ms a call: iterate once
            try:
                if digester.page(n, page.obj) != expected[n]:
                    changed.append(n)
            except digest.DigestError:
                unreadable.append(n)

        def label(n: int) -> str:  # the number the page bears (a volume cover bears none)
            if cover:
                return "cover" if n == 0 else str(first + n - 1)
            return str(first + n)

        if changed:
            v.problems.append(f"{path.name}: {'page' if len(changed) == 1 else 'pages'} edited after the build: "
                              + ", ".join(label(n) for n in changed[:20]) + (" …" if len(changed) > 20 else ""))
        if unreadable:
            v.problems.append(f"{path.name}: pages that cannot be checked (objects nested too deeply): "
                              + ", ".join(label(n) for n in unreadable[:20]))
        v.checked.append(f"{_plural(len(pdf.pages), 'page')} against "
                         + ("its digest" if len(pdf.pages) == 1 else "their digests"))

        # 3. the embedded files
        held = set(part.get("exhibits") or []) if part else None
        listed = {e["name"]: e for e in manifest.get("embedded", [])
                  if held is None or e.get("exhibit") in held}
        present = [name for name in pdf.attachments if name != "manifest.json"]
        for name in present:
            if name not in listed:
                v.problems.append(f"{path.name}: embedded file {name!r} added after the build")
                continue
            data = pdf.attachments[name].get_file().read_bytes()
            if hashlib.sha256(data).hexdigest() != listed[name]["sha256"]:
                v.problems.append(f"{path.name}: embedded file {name!r} changed since the build"
                                  + (f" (exhibit {listed[name]['exhibit']})" if listed[name].get("exhibit") else ""))
        for name in sorted(set(listed) - set(present)):
            v.problems.append(f"{path.name}: embedded file {name!r} missing (removed after the build)")
        if "embedded" in manifest:
            v.checked.append(f"{_plural(len(listed), 'embedded file')} against "
                             + ("its SHA-256" if len(listed) == 1 else "their SHA-256") if listed
                             else "no embedded file, as built")

        # 4. the document information
        document = manifest.get("document")
        if document:
            title = (part or {}).get("title") or document.get("title")
            wanted = {"/Title": title, "/Author": document.get("author"), "/Subject": document.get("subject"),
                      "/Keywords": document.get("keywords")}
            info = pdf.docinfo
            differ = [key[1:].lower() for key, value in wanted.items()
                      if value is not None and str(info.get(key, "")) != value]
            if str(pdf.Root.get("/Lang", "")) != document.get("language"):
                differ.append("language")
            if "/Metadata" in pdf.Root:
                xmp_title = pdf.open_metadata().get("dc:title")
                if xmp_title is not None and xmp_title != title and "title" not in differ:
                    differ.append("title (XMP)")
            if "pdfa" in document and bundle.pdfa_claim(pdf) != document["pdfa"]:
                differ.append(f"PDF/A claim (built {document['pdfa'] or 'none'}, now {bundle.pdfa_claim(pdf) or 'none'})")
            if differ:
                v.problems.append(f"{path.name}: document information changed since the build: {', '.join(differ)}")
            v.checked.append("title and document information" + (f" (PDF/A-{document['pdfa']} claim kept)"
                                                                  if document.get("pdfa") else ""))
        else:
            v.not_checked.append("the title and document information (the manifest does not record them)")

    if case_dir is not None:
        _case(v, Path(case_dir), manifest)
    return v


def _case(v: Verification, root: Path, manifest: dict[str, Any]) -> None:
    listed = set()
    exhibits = manifest.get("exhibits", [])
    hashes = casefolder._sha256_all([root / ex["file"] for ex in exhibits])  # two at a time (missing: none)
    for ex in exhibits:
        listed.add(ex["file"])
        original = root / ex["file"]
        if original not in hashes:
            v.problems.append(f"{ex['file']}: missing from the case folder (exhibit {ex['exhibit']})")
        elif hashes[original] != ex["sha256"]:
            v.problems.append(f"{ex['file']}: changed since the build (exhibit {ex['exhibit']})")
    for item in manifest.get("left_out", []):  # unreadable files build --force left out: known, not added
        listed.add(item["file"])
        original = root / item["file"]
        if original.is_file() and item.get("sha256") and casefolder._sha256(original) != item["sha256"]:
            v.problems.append(f"{item['file']}: changed since the build (left out of it as unreadable)")
    evidence = root / casefolder.EVIDENCE_DIR
    if evidence.is_dir():
        for p in casefolder._walk(evidence):
            rel = p.relative_to(root).as_posix()
            if rel not in listed:
                v.problems.append(f"{rel}: added to the case folder after the build")
    v.checked.append(f"{_plural(len(listed), 'original')} in {root}")
    files = manifest.get("case_files")
    if files is None:
        v.not_checked.append("case.toml, rates/ and templates/ (the manifest does not record them)")
        return
    for rel, sha in files.items():
        path = root / rel
        if not path.is_file():
            v.problems.append(f"{rel}: missing from the case folder (it was used by the build)")
        elif casefolder._sha256(path) != sha:
            v.problems.append(f"{rel}: changed since the build")
    for sub in ("rates", "templates"):
        if (root / sub).is_dir():
            for p in casefolder._walk(root / sub):
                rel = p.relative_to(root).as_posix()
                if rel not in files:
                    v.problems.append(f"{rel}: added to the case folder after the build")
    v.checked.append(", ".join(files) if len(files) <= 3 else _plural(len(files), "case file") + " (case.toml, rates/, templates/)")
