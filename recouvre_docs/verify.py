"""`recouvre-docs verify BUNDLE.pdf [CASE_DIR]`: is the bundle the one that was built, and are the
originals the ones it was built from?

The manifest embedded in the bundle holds the SHA-256 of every original and of every page as bundled
(bundle.page_digest: boxes, rotation, decoded content). verify recomputes the pages' digests from the
bundle alone, compares the bundle's own SHA-256 with the manifest.json written beside it when there is
one, and with a case folder compares every original, and looks for files that were added.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from . import bundle, casefolder


@dataclass
class Verification:
    bundle: Path
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify(bundle_path: Path | str, case_dir: Path | str | None = None) -> Verification:
    path = Path(bundle_path)
    v = Verification(bundle=path)
    beside = path.with_name("manifest.json")
    if beside.is_file():
        written = json.loads(beside.read_text("utf-8"))
        built = [written.get("bundle") or {}] + list(written.get("volumes") or [])
        mine = next((b for b in built if b.get("file") == path.name), None)
        if mine is not None:
            if mine["sha256"] != _sha256(path):
                v.problems.append(f"{path.name}: the file differs from the one built (SHA-256 in {beside.name}): "
                                  "it was edited or re-saved after the build")
            v.checked.append(f"the file's SHA-256 against {beside.name}")
    try:
        pdf = pikepdf.open(path)
    except (pikepdf.PdfError, OSError) as err:
        v.problems.append(f"{path.name}: the bundle cannot be opened as a PDF ({err})")
        return v
    with pdf:
        if "manifest.json" not in pdf.attachments:
            v.problems.append(f"{path.name}: no embedded manifest.json: not a recouvre-docs bundle, or it was rewritten")
            return v
        manifest = json.loads(pdf.attachments["manifest.json"].get_file().read_bytes())
        expected = manifest.get("page_sha256", [])
        first, last = (manifest.get("volume") or {}).get("pages", [1, manifest.get("pages")])
        expected = expected[first - 1:last]  # a volume holds a range of the bundle's pages
        if len(pdf.pages) != last - first + 1:
            v.problems.append(f"{path.name}: {len(pdf.pages)} pages, but {last - first + 1} were bundled")
        changed = [first + n for n, page in enumerate(pdf.pages) if n < len(expected) and bundle.page_digest(page) != expected[n]]
        if changed:
            v.problems.append(f"{path.name}: pages edited after the build: {', '.join(map(str, changed[:20]))}"
                              + (" …" if len(changed) > 20 else ""))
        v.checked.append(f"{len(pdf.pages)} pages against their digests")
    if case_dir is not None:
        root = Path(case_dir)
        listed = set()
        for ex in manifest.get("exhibits", []):
            listed.add(ex["file"])
            original = root / ex["file"]
            if not original.is_file():
                v.problems.append(f"{ex['file']}: missing from the case folder (exhibit {ex['exhibit']})")
            elif _sha256(original) != ex["sha256"]:
                v.problems.append(f"{ex['file']}: changed since the build (exhibit {ex['exhibit']})")
        for item in manifest.get("left_out", []):  # unreadable files build --force left out: known, not added
            listed.add(item["file"])
            original = root / item["file"]
            if original.is_file() and item.get("sha256") and _sha256(original) != item["sha256"]:
                v.problems.append(f"{item['file']}: changed since the build (left out of it as unreadable)")
        evidence = root / casefolder.EVIDENCE_DIR
        added = sorted(
            p.relative_to(root).as_posix() for p in evidence.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
            and p.relative_to(root).as_posix() not in listed
        ) if evidence.is_dir() else []
        v.problems += [f"{rel}: added to the case folder after the build" for rel in added]
        v.checked.append(f"{len(listed)} originals in {root}")
    return v
