"""The case folder: case.toml -> Case; evidence/ -> classified pieces.

Reading is strict: a TOML syntax error, a missing required field, a value of the wrong type, an
unknown key, a file that does not exist or that leaves the case folder are all reported together, each
with the line of case.toml, the key, what was expected and what was found (exit 3).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import hashlib
import json
import os
import re
import time
import tomllib
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from . import i18n
from .errors import CaseFileError
from .models import EVENT_EVIDENCE_KIND, EVIDENCE_KINDS, Case, Piece
from .resources import data_path, replace_text

CASE_FILE = "case.toml"
EVIDENCE_DIR = "evidence"
OUTPUT_DIR = "out"
# Files that are never evidence: system litter and office lock files.
_IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}


@dataclass(frozen=True)
class CaseFolder:
    root: Path  # resolved
    case: Case
    text: str  # case.toml as read, for messages


# ----------------------------------------------------------------------------------------------
# case.toml


def load_case(case_dir: Path | str) -> CaseFolder:
    """Read and validate ``case_dir/case.toml``. Raises CaseFileError listing every problem."""
    root = Path(case_dir)
    if not root.is_dir():
        raise CaseFileError(
            f"{root} is not a folder",
            hint="Give the path of a case folder: the folder that holds case.toml and evidence/.",
        )
    root = root.resolve()
    toml_path = root / CASE_FILE
    if not toml_path.is_file():
        raise CaseFileError(
            f"{CASE_FILE} not found in {root}",
            path=toml_path,
            hint="A case folder holds a case.toml describing the parties and invoices; see the README.",
        )
    raw = toml_path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise CaseFileError(
            f"{CASE_FILE}:{line}: the file is not UTF-8 text",
            path=toml_path,
            hint="Save case.toml as UTF-8 (any modern editor can: 'Save with encoding…').",
        ) from err
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as err:
        raise CaseFileError(
            f"{CASE_FILE}: TOML syntax error: {err}",
            path=toml_path,
            hint="Fix the syntax at that line. Strings need double quotes; dates are written without quotes.",
        ) from err

    problems: list[str] = []
    case: Case | None = None
    try:
        case = Case.model_validate(data)
    except ValidationError as err:
        for e in err.errors():
            problems.append(_describe(e, text))
    if case is not None:
        problems.extend(_cross_check(case, root, text))
    if problems:
        raise CaseFileError(
            f"{CASE_FILE} is invalid ({len(problems)} problem{'s' if len(problems) > 1 else ''}):\n  "
            + "\n  ".join(problems),
            path=toml_path,
            hint="Fix each line above in case.toml, then run the command again.",
            problems=problems,
        )
    assert case is not None
    return CaseFolder(root=root, case=case, text=text)


def _loc_text(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + str(part)
    return out.replace("schema_", "schema").replace("from_", "from")


def _field_names(loc: tuple) -> list[str]:
    """The keys allowed in the table at ``loc`` (for 'did you mean' on unknown keys)."""
    model: Any = Case
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) or next(
            (f for f in model.model_fields.values() if f.alias == part), None
        )
        if field is None:
            return []
        model = _model_of(field.annotation)
        if model is None:
            return []
    return sorted(f.alias or n for n, f in model.model_fields.items())


def _model_of(annotation: Any):
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _describe(e: dict, text: str) -> str:
    loc = tuple(e["loc"])
    kind = e["type"]
    where = f"{CASE_FILE}:{_line_of(text, loc)}" if _line_of(text, loc) else CASE_FILE
    key = _loc_text(loc)
    if kind == "extra_forbidden":
        allowed = _field_names(loc[:-1])
        near = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"; did you mean '{near[0]}'?" if near else ""
        return f"{where}: {key}: unknown key{hint} (allowed here: {', '.join(allowed)})"
    if kind == "missing":
        return f"{where}: {key}: required, but missing"
    if kind == "literal_error" and loc == ("schema",):
        return f"{where}: schema: expected schema = 1, found {e.get('input')!r}"
    if kind in ("model_type", "dict_type"):
        return f"{where}: {key}: expected a table ([{key}]), found {e.get('input')!r}"
    if kind == "list_type":
        return f"{where}: {key}: expected a list, found {e.get('input')!r}"
    if kind in ("string_type",):
        return f"{where}: {key}: expected a string in double quotes, found {e.get('input')!r}"
    if kind in ("bool_type", "bool_parsing"):
        return f"{where}: {key}: expected true or false, found {e.get('input')!r}"
    if kind == "string_too_short":
        return f"{where}: {key}: must not be empty"
    msg = e["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return f"{where}: {key}: {msg}"


_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]\]?")


def _line_of(text: str, loc: tuple) -> int | None:
    """Best-effort line number in case.toml for an error at ``loc`` (None if unknown)."""
    lines = text.splitlines()
    table: list[Any] = []
    counts: dict[str, int] = {}
    target_table = [p for p in loc[:-1]] if len(loc) > 1 else []
    key = loc[-1] if loc else None
    header_line: int | None = None
    for i, line in enumerate(lines, start=1):
        m = _HEADER.match(line)
        if m:
            name = m.group(2)
            if m.group(1) == "[[":
                counts[name] = counts.get(name, -1) + 1
                table = [name, counts[name]]
            else:
                table = name.split(".")
            if table == list(loc):
                return i  # the error is about the table itself
            if table == target_table:
                header_line = i
            continue
        if table == target_table and isinstance(key, str):
            stripped = line.split("#", 1)[0]
            if re.match(rf'^\s*"?{re.escape(key.rstrip("_"))}"?\s*=', stripped):
                return i
    return header_line


def _inside(root: Path, rel: str, what: str, loc: str, text: str, tloc: tuple) -> tuple[Path | None, str | None]:
    where = f"{CASE_FILE}:{_line_of(text, tloc) or '?'}"
    if rel.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", rel):
        return None, f"{where}: {loc}: {rel!r} is an absolute path; write it relative to the case folder (e.g. evidence/…)"
    full = (root / rel).resolve()
    try:
        inner = full.relative_to(root)
    except ValueError:
        return None, f"{where}: {loc}: {rel!r} leaves the case folder; every file must be inside {root}"
    if inner.parts and inner.parts[0] == OUTPUT_DIR:
        return None, f"{where}: {loc}: {rel!r} is in out/, which recouvre-docs writes; move the file to evidence/"
    if not full.exists():
        near = _near_file(root, rel)
        return None, f"{where}: {loc}: {what} {rel!r} does not exist" + (
            f"; did you mean {near!r}?" if near else "; if it was removed, delete this entry from case.toml")
    if not full.is_file():
        return None, f"{where}: {loc}: {rel!r} is not a file"
    return full, None


def _near_file(root: Path, rel: str) -> str | None:
    """The file ``rel`` was probably meant to name: the same name in another folder (moved), or a name
    in the same folder that differs by a typo. Never a file of another folder whose path merely looks
    alike ("evidence/commandes/BC-2026-0211.pdf" for a deleted "evidence/bons-de-livraison/BL-….jpg")."""
    candidates = [p.relative_to(root).as_posix() for p in _walk(root / EVIDENCE_DIR)] if (root / EVIDENCE_DIR).is_dir() else []
    wanted = rel.replace("\\", "/").lstrip("./")
    folder, _, name = wanted.rpartition("/")
    moved = [c for c in candidates if c.rpartition("/")[2].lower() == name.lower()]
    if moved:
        return moved[0]
    beside = {c.rpartition("/")[2]: c for c in candidates if c.rpartition("/")[0] == folder}
    near = difflib.get_close_matches(name, list(beside), n=1, cutoff=0.8)
    return beside[near[0]] if near else None


def _cross_check(case: Case, root: Path, text: str) -> list[str]:
    problems: list[str] = []

    def where(loc: tuple) -> str:
        line = _line_of(text, loc)
        return f"{CASE_FILE}:{line}" if line else CASE_FILE

    for i, inv in enumerate(case.invoice):
        if inv.due < inv.issued:
            problems.append(f"{where(('invoice', i, 'due'))}: invoice[{i + 1}].due: {inv.due} is before the issue date {inv.issued}")
    numbers = [inv.number for inv in case.invoice]
    for n in sorted({n for n in numbers if numbers.count(n) > 1}):
        i = len(numbers) - 1 - numbers[::-1].index(n)
        first = numbers.index(n)
        problems.append(f"{where(('invoice', i, 'number'))}: invoice[{i + 1}].number: {n!r} appears twice (also invoice[{first + 1}]); "
                        "list each invoice once: the check would otherwise claim it twice")
    for i, pay in enumerate(case.payment):
        if pay.invoice is not None and pay.invoice not in numbers:
            near = difflib.get_close_matches(pay.invoice, numbers, n=1)
            problems.append(
                f"{where(('payment', i, 'invoice'))}: payment[{i + 1}].invoice: no invoice numbered {pay.invoice!r}"
                + (f"; did you mean {near[0]!r}?" if near else f" (invoices: {', '.join(numbers) or 'none'})")
            )
    for i, ev in enumerate(case.event):
        if ev.received is not None and ev.received < ev.date:
            problems.append(f"{where(('event', i, 'received'))}: event[{i + 1}].received: {ev.received} is before the date it was sent, {ev.date}")
        if ev.kind == "promise" and ev.until is None:
            problems.append(f"{where(('event', i))}: event[{i + 1}].until: a promise needs until = YYYY-MM-DD, the date by "
                            "which the debtor promised to pay")

    seen: dict[Path, str] = {}
    fixed: dict[int, str] = {}
    for section, items in (("invoice", case.invoice), ("event", case.event), ("evidence", case.evidence)):
        for i, item in enumerate(items):
            if item.file is None:
                continue
            loc = f"{section}[{i + 1}].file"
            full, problem = _inside(root, item.file, "file", loc, text, (section, i, "file"))
            if problem:
                problems.append(problem)
                continue
            if section == "evidence":
                if full in seen and seen[full].startswith("evidence"):
                    problems.append(f"{where((section, i, 'file'))}: {loc}: {item.file!r} is described twice (also {seen[full]})")
                number = getattr(item, "number", None)
                if number is not None:
                    if number in fixed:
                        problems.append(f"{where((section, i, 'number'))}: evidence[{i + 1}].number: exhibit {number} is also given to {fixed[number]}")
                    fixed[number] = item.file
            seen.setdefault(full, loc)
    return problems


# ----------------------------------------------------------------------------------------------
# evidence discovery and classification


def _walk(top: Path):
    """Every evidence file below ``top``, sorted, skipping hidden files, litter and office lock files."""
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith((".", "~$")) or name.lower() in _IGNORED_NAMES:
                continue
            yield Path(dirpath) / name


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _sha256_all(paths: list[Path]) -> dict[Path, str]:
    """The SHA-256 of each file, two at a time: hashlib and the reads release the GIL (the 221 MB of the
    bench's large case: 0.33 s one by one, in a rebuild whose conversions all come from the cache)."""
    from concurrent.futures import ThreadPoolExecutor

    files = [p for p in dict.fromkeys(paths) if p.is_file()]
    if len(files) < 8:
        return {p: _sha256(p) for p in files}
    with ThreadPoolExecutor(2) as pool:
        return dict(zip(files, pool.map(_sha256, files)))


# A file's SHA-256 is taken again only if its size, times, inode or device changed since it was
# last read (as make and git decide that a file changed: the change time cannot be set back without
# setting the clock back). Kept in the case's cache, out/.cache/HASHES; a file changed less than
# _SETTLED ns before it was read is not kept (its next change could fall in the same clock tick).
HASHES = "evidence-sha256.json"
_HASHES_FORMAT = 1
_SETTLED = 2_000_000_000


def _stat_key(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def _sha256_known(paths: list[Path], store: Path | None) -> dict[Path, str]:
    """_sha256_all, with the hashes of the files unchanged since ``store`` was written taken from it
    (a rebuild of the bench's large case read its 221 MB of evidence again: 0.3 s, seconds from a
    cold disk). ``store`` is rewritten when a hash was taken (atomically; an unwritable one costs time)."""
    if store is None:
        return _sha256_all(paths)
    try:
        saved = json.loads(store.read_text("utf-8"))
        known = saved["files"] if saved.get("format") == _HASHES_FORMAT and isinstance(saved.get("files"), dict) else {}
    except (OSError, ValueError, AttributeError):
        known = {}
    hashes: dict[Path, str] = {}
    stats: dict[Path, os.stat_result] = {}
    for path in dict.fromkeys(paths):
        try:
            stats[path] = st = path.stat()
        except OSError:
            continue
        entry = known.get(str(path))
        if (isinstance(entry, list) and len(entry) == 6 and entry[:5] == _stat_key(st) and isinstance(entry[5], str)
                and len(entry[5]) == 64):
            hashes[path] = entry[5]
    todo = [p for p in stats if p not in hashes]
    if not todo:
        return hashes
    now = time.time_ns()
    hashes.update(_sha256_all(todo))
    files = {str(p): [*_stat_key(st), hashes[p]] for p, st in stats.items()
             if p in hashes and now - max(st.st_mtime_ns, st.st_ctime_ns) > _SETTLED}
    with contextlib.suppress(OSError):
        store.parent.mkdir(parents=True, exist_ok=True)
    replace_text(store, json.dumps({"format": _HASHES_FORMAT, "files": files}))
    return hashes


def normalize_words(name: str) -> str:
    """'BL-2026_0225 Signé' -> 'bl 2026 0225 signe' (for keyword matching)."""
    text = unicodedata.normalize("NFKD", name.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("ß", "ss").replace("æ", "ae").replace("œ", "oe")
    return " ".join(re.split(r"[^a-z0-9&]+", text)).strip()


@lru_cache(maxsize=1)
def _keyword_table() -> list[tuple[str, re.Pattern, frozenset[str]]]:
    """For each kind of kinds.toml, in its order: one pattern that finds any of its keywords as whole
    words (one search a kind, not one a keyword: 400 file names went through 200 patterns each), and
    the keywords themselves."""
    data = tomllib.loads(data_path("kinds.toml").read_text("utf-8"))
    table = []
    for kind, spec in data.items():
        assert kind in EVIDENCE_KINDS, kind
        words = [normalize_words(k) for k in spec["keywords"]]
        any_of = "|".join(re.escape(w) for w in words)
        table.append((kind, re.compile(rf"(?<![a-z0-9])(?:{any_of})(?![a-z0-9])"), frozenset(words)))
    return table


def kind_from_name(name: str) -> str | None:
    words = normalize_words(name)
    for kind, pattern, _keywords in _keyword_table():
        if pattern.search(words):
            return kind
    return None


_DATE_IN_NAME = (
    # 2026-06-01, 2026_06_01, 20260601 (the same separator twice, not glued to a letter: F2026-0117 is no date)
    (re.compile(r"(?<![A-Za-z0-9])(20\d\d)([-_.]?)(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])(?!\d)"), (1, 3, 4)),
    (re.compile(r"(?<![A-Za-z0-9])(0[1-9]|[12]\d|3[01])([-_.])(0[1-9]|1[0-2])\2(20\d\d)(?!\d)"), (4, 3, 1)),
)


def date_from_name(name: str) -> dt.date | None:
    for pattern, (y, m, d) in _DATE_IN_NAME:
        match = pattern.search(name)
        if match:
            try:
                return dt.date(int(match.group(y)), int(match.group(m)), int(match.group(d)))
            except ValueError:
                continue
    return None


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def discover(folder: CaseFolder, hashes: Path | None = None) -> list[Piece]:
    """Every evidence file of the case, with kind, title, date and language from case.toml and names.

    Content-based classification (a Factur-X PDF is an invoice, an e-mail is correspondence) and
    content dates and titles come later, from what ingestion reads: see :func:`refine`. ``hashes``:
    the file where the SHA-256 of unchanged files are kept from one run to the next (_sha256_known).
    """
    root, case = folder.root, folder.case
    lang = case.language
    entries = {(root / e.file).resolve(): e for e in case.evidence}
    invoices = {(root / inv.file).resolve(): inv for inv in case.invoice if inv.file}
    events = {(root / ev.file).resolve(): ev for ev in case.event if ev.file}

    paths: list[Path] = []
    evidence_dir = root / EVIDENCE_DIR
    if evidence_dir.is_dir():
        paths.extend(_walk(evidence_dir))
    resolved = {p: p.resolve() for p in paths}  # once: a few system calls a file (400 files: 0.04 s each time)
    # Files named in case.toml outside evidence/ are evidence too.
    found = set(resolved.values())
    for extra in list(entries) + list(invoices) + list(events):
        if extra not in found:
            paths.append(extra)
            resolved[extra] = extra
            found.add(extra)

    pieces: list[Piece] = []
    problems: list[str] = []
    seen: set[Path] = set()
    hashes = _sha256_known([r for r in (resolved[p] for p in paths) if r.is_relative_to(root)], hashes)  # none outside
    for path in paths:
        real = resolved[path]
        try:
            real.relative_to(root)
        except ValueError:
            problems.append(f"{_rel(root, path)}: is a link to {real}, outside the case folder; copy the file in instead")
            continue
        if real in seen or not real.is_file():
            continue
        seen.add(real)
        rel = _rel(root, path)
        entry, invoice, event = entries.get(real), invoices.get(real), events.get(real)

        kind, source = None, None
        if entry is not None and entry.kind:
            kind, source = entry.kind, "entry"
        elif invoice is not None:
            kind, source = "invoice", "invoice"
        elif event is not None:
            kind, source = EVENT_EVIDENCE_KIND[event.kind], "event"
        else:
            kind = kind_from_name(path.stem)
            source = "filename" if kind else None
            if kind is None:
                for parent in reversed(Path(rel).parts[1:-1] if rel.startswith(EVIDENCE_DIR + "/") else Path(rel).parts[:-1]):
                    kind = kind_from_name(parent)
                    if kind:
                        source = "folder"
                        break

        title = entry.title if entry is not None and entry.title else None
        if title is None and invoice is not None:
            title = i18n.text(lang, "title.invoice", number=invoice.number)
        if title is None and event is not None:
            title = i18n.text(lang, f"title.event.{event.kind}", date=i18n.format_date(event.date, lang))

        date = entry.date if entry is not None and entry.date else None
        if date is None and invoice is not None:
            date = invoice.issued
        if date is None and event is not None:
            date = event.date

        pieces.append(
            Piece(
                path=real,
                rel=rel,
                kind=kind or "other",
                kind_source=source or "default",
                title=title or "",
                date=date,
                language=(entry.language if entry is not None and entry.language else None) or lang,
                number=entry.number if entry is not None else None,
                password_env=entry.password_env if entry is not None else None,
                sha256=hashes[real],
                size=real.stat().st_size,
            )
        )
    if problems:
        raise CaseFileError(
            "evidence/ holds links that leave the case folder:\n  " + "\n  ".join(problems),
            path=root / EVIDENCE_DIR,
            hint="Evidence must be inside the case folder: replace each link by a copy of the file.",
        )
    return pieces


def _title_from_name(path: Path, kind: str, lang: str) -> str:
    """'Bon de livraison — BL-2026-0225-signe'; just the kind's name when the file name says no more."""
    if kind == "other":
        return path.name
    label = i18n.kind_label(kind, lang)
    words = normalize_words(path.stem)
    if not words or kind_from_name(path.stem) == kind and any(words in keywords for k, _, keywords in _keyword_table() if k == kind):
        return label
    return f"{label} — {path.stem}"


def refine(piece: Piece, facts: dict[str, Any], lang: str) -> Piece:
    """Complete a piece's kind, title and date with what its content says (after ingestion)."""
    update: dict[str, Any] = {}
    if piece.kind_source == "default":
        if facts.get("einvoice"):
            update.update(kind="invoice", kind_source="content")
        elif facts.get("email"):
            update.update(kind="correspondence", kind_source="content")
    kind = update.get("kind", piece.kind)
    if not piece.title:
        einv = facts.get("einvoice") or {}
        mail = facts.get("email") or {}
        if kind == "invoice" and einv.get("number"):
            from .evidence.einvoice import CREDIT_NOTE_CODES

            credit = str(einv.get("type_code")) in CREDIT_NOTE_CODES  # an e-invoice that is a credit note
            update["title"] = i18n.text(lang, "title.credit_note" if credit else "title.invoice", number=einv["number"])
        elif mail.get("subject"):
            update["title"] = mail["subject"]
        else:
            update["title"] = _title_from_name(Path(piece.rel), kind, lang)
    if piece.date is None:
        content_date = (facts.get("einvoice") or {}).get("date") or (facts.get("email") or {}).get("date")
        if content_date:
            update["date"] = dt.date.fromisoformat(content_date)
        else:
            named = date_from_name(Path(piece.rel).name)
            if named:
                update["date"] = named
    mail_lang = (facts.get("email") or {}).get("language")
    if mail_lang and piece.language == lang and mail_lang in ("fr", "en", "de") and piece.kind_source != "entry":
        update["language"] = mail_lang
    return piece.model_copy(update=update) if update else piece


def order(pieces: list[Piece]) -> list[tuple[int, Piece]]:
    """Exhibit numbers: explicit numbers first; the others by date, then kind, then path.

    A piece without a date keeps its place in the story of a case, which is the order of
    EVIDENCE_KINDS (contract, terms, ..., purchase order, delivery note, invoice, ..., formal notice,
    proof of receipt): it goes right after the last dated piece of the same or an earlier kind, so
    that undated general terms follow the contract and an undated delivery note comes before the
    invoices, rather than all of them landing at the end of the bundle.
    """
    rank = {k: i for i, k in enumerate(EVIDENCE_KINDS)}
    kind_rank = lambda p: rank.get(p.kind, len(rank))  # noqa: E731
    taken = {p.number for p in pieces if p.number is not None}
    unnumbered = [p for p in pieces if p.number is None]
    rest = sorted((p for p in unnumbered if p.date is not None), key=lambda p: (p.date, kind_rank(p), p.rel))
    for piece in sorted((p for p in unnumbered if p.date is None), key=lambda p: (kind_rank(p), p.rel)):
        at = 0
        for i, other in enumerate(rest):
            if kind_rank(other) <= kind_rank(piece):
                at = i + 1
        rest.insert(at, piece)
    numbered: list[tuple[int, Piece]] = [(p.number, p) for p in pieces if p.number is not None]  # type: ignore[misc]
    n = 1
    for piece in rest:
        while n in taken:
            n += 1
        numbered.append((n, piece))
        taken.add(n)
    return sorted(numbered, key=lambda item: item[0])
