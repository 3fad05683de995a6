"""Ingestion: every piece of evidence -> a PDF in the cache, and the facts it carries.

One module per input format (pdf, image, email, einvoice). Converted PDFs are cached under
``out/.cache`` by the SHA-256 of the original (and the case language, which e-mail rendering uses),
so a rebuild does not convert again. Evidence files are only ever read. A file that is not in the
cache is converted in a worker process with a time limit (workers.py); an e-mail's attachments are
kept as a tree (an attached e-mail's own attachments under it), numbered by path: 5.1, 5.2, 5.2.1.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import i18n
from ..errors import EvidenceError
from ..models import Part, Piece
from . import einvoice_xml
from . import email as email_mod
from . import htmlpage, image, office, pdf, workers

log = logging.getLogger(__name__)

# bump when the conversion of a format changes: the cache is then rebuilt (6: HTML pages, .msg and XML
# e-invoices are laid out with labels in the case language: keyed by it, as e-mails were; 7: a PDF's
# facts count its LZW streams that do not decode)
INGEST_VERSION = 7
EMAIL_SUFFIXES = {".eml"}
_HEADER_START = (b"received:", b"from:", b"return-path:", b"mime-version:", b"delivered-to:", b"message-id:", b"date:", b"subject:")


@dataclass
class Ingested:
    main: Part
    children: list[Part] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Outlook .msg (and old Office files)


def sniff(path: Path, head: bytes) -> str:
    """'pdf' | 'image' | 'email' | 'msg' | 'unsupported', from the content first, then the name."""
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(OLE2_MAGIC) and path.suffix.lower() == ".msg":
        return "msg"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and (
            b"CrossIndustryInvoice" in head or b"CrossIndustryDocument" in head
            or b"urn:oasis:names:specification:ubl:schema:xsd:Invoice" in head
            or b"urn:oasis:names:specification:ubl:schema:xsd:CreditNote" in head
            or b"urn:un:unece:uncefact:data:standard:CBFBUY:5" in head):
        return "einvoice-xml"
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*")) or image.is_heif(head):
        return "image"
    suffix = path.suffix.lower()
    if suffix in EMAIL_SUFFIXES or head.lstrip().lower().startswith(_HEADER_START):
        return "email"
    if suffix in image.IMAGE_SUFFIXES:
        return "image"
    if suffix in office.OFFICE_SUFFIXES:
        return "office"
    if suffix in (".html", ".htm"):
        return "html"
    if suffix == ".pdf":
        return "pdf"  # not a PDF inside: pikepdf says why, and the user is told the file is damaged
    return "unsupported"


class Cache:
    def __init__(self, root: Path):
        self.root = root

    def paths(self, key: str) -> tuple[Path, Path]:
        return self.root / f"{key}.pdf", self.root / f"{key}.json"

    def load(self, key: str) -> dict | None:
        pdf_path, meta_path = self.paths(key)
        if not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        needed = [pdf_path] + [self.root / f"{c['key']}.pdf" for _, c in walk(meta.get("children", []))]
        return meta if all(p.is_file() for p in needed) else None

    def store(self, key: str, meta: dict) -> None:
        _, meta_path = self.paths(key)
        tmp = meta_path.with_suffix(f".{os.getpid()}.json.tmp")  # workers may store the same entry at once
        tmp.write_text(json.dumps(meta, ensure_ascii=False, sort_keys=True, indent=1), "utf-8")
        tmp.replace(meta_path)


def walk(children: list[dict], prefix: str = "") -> Iterator[tuple[str, dict]]:
    """(path, child) of a tree of attachments, depth first: ('1', a), ('2', b), ('2.1', c)…"""
    for n, child in enumerate(children, start=1):
        key = f"{prefix}{n}"
        yield key, child
        yield from walk(child.get("children", []), f"{key}.")


_LAID_OUT_IN_LANGUAGE = {"email", "msg", "html", "einvoice-xml"}  # pages written with labels in ``lang``


def _key(sha: str, kind: str, lang: str) -> str:
    return f"{sha[:40]}-{lang}-v{INGEST_VERSION}" if kind in _LAID_OUT_IN_LANGUAGE else f"{sha[:40]}-v{INGEST_VERSION}"


def _password(piece: Piece) -> str | None:
    if not piece.password_env:
        return None
    value = os.environ.get(piece.password_env)
    if value is None:
        raise EvidenceError(
            f"{piece.rel}: case.toml says its password is in the environment variable {piece.password_env}, which is not set",
            path=piece.path,
            hint=f"Set it before running recouvre-docs: export {piece.password_env}='…'",
        )
    return value


def ingest(piece: Piece, cache: Cache, *, lang: str, case_root: Path | None = None) -> Ingested:
    """Convert ``piece`` (cached) and return its PDF part(s) and facts. Raises EvidenceError."""
    [result] = ingest_all([piece], cache, lang=lang, case_root=case_root)
    if isinstance(result, Exception):
        raise result
    return result


def ingest_all(pieces: list[Piece], cache: Cache, *, lang: str, case_root: Path | None = None,
               advance: Callable[[], None] | None = None) -> list[Ingested | EvidenceError]:
    """Every piece converted (cached), in the order given: its Ingested, or the EvidenceError that says
    why it cannot be used. The pieces not in the cache are converted in worker processes, each within
    the time limit (workers.py); a warm cache starts no process. Other errors (a tool missing: exit 5;
    a bug) are raised."""
    results: list[Ingested | EvidenceError | None] = [None] * len(pieces)
    todo: dict[str, list[int]] = {}  # cache key -> the pieces it converts (identical files: once)
    jobs: list[workers.Job] = []
    for i, piece in enumerate(pieces):
        try:
            with piece.path.open("rb") as f:
                head = f.read(2048)
            kind = sniff(piece.path, head)
            key = _key(piece.sha256, kind, lang)
            meta = cache.load(key)
            if meta is not None:
                results[i] = _ingested(piece, cache, key, meta)
            elif key in todo:
                todo[key].append(i)
            else:
                todo[key] = [i]
                jobs.append(workers.Job(_convert_job, (piece, kind, key, cache.root, lang, case_root, _password(piece)),
                                        shown_as=piece.rel, path=piece.path))
        except EvidenceError as err:
            results[i] = err
        except OSError as err:
            results[i] = EvidenceError(f"{piece.rel}: cannot be read ({err.strerror or err})", path=piece.path,
                                       hint="Check that the file is there and readable.")
        if results[i] is not None and advance:
            advance()
    if jobs:
        cache.root.mkdir(parents=True, exist_ok=True)
        if any(job.args[1] in _LAID_OUT_IN_LANGUAGE for job in jobs):  # laid out by WeasyPrint: one render
            from ..render import pdf as render_pdf                     # process for all the workers

            render_pdf.start_server(warm=True)
    keys = list(todo)

    def done(j: int) -> None:
        if advance:
            for _ in todo[keys[j]]:
                advance()

    for j, outcome in enumerate(workers.run(jobs, on_done=done)):
        for i in todo[keys[j]]:
            if isinstance(outcome, EvidenceError):
                first = pieces[todo[keys[j]][0]].rel  # an identical file: the same error, under its own name
                results[i] = outcome if pieces[i].rel == first else type(outcome)(
                    outcome.message.replace(first, pieces[i].rel, 1), path=pieces[i].path, hint=outcome.hint)
            elif isinstance(outcome, Exception):  # a tool missing (exit 5): stops everything
                raise outcome
            else:
                results[i] = _ingested(pieces[i], cache, keys[j], outcome)
    return results  # type: ignore[return-value]


def _ingested(piece: Piece, cache: Cache, key: str, meta: dict) -> Ingested:
    main = Part(
        pdf=cache.paths(key)[0],
        pages=meta["pages"],
        title=piece.title,
        source=piece.rel,
        sha256=piece.sha256,
        size=piece.size,
        note=meta.get("note"),
    )
    children, sources = [], {"": piece.rel}
    for path, c in walk(meta.get("children", [])):
        parent = path.rpartition(".")[0]
        sources[path] = f"{sources[parent]} › {c['title']}"
        children.append(Part(pdf=cache.paths(c["key"])[0], pages=c["pages"], title=c["title"], source=sources[path],
                             sha256=c["sha256"], size=c["size"], key=path))
    return Ingested(main=main, children=children, facts=meta.get("facts", {}))


def _convert_job(piece: Piece, kind: str, key: str, root: Path, lang: str, case_root: Path | None,
                 password: str | None) -> dict:
    """In a worker process: convert one piece into the cache, and store its metadata."""
    cache = Cache(root)
    meta = _convert(piece, kind, key, cache, lang=lang, case_root=case_root, password=password)
    cache.store(key, meta)
    return meta


def _convert(piece: Piece, kind: str, key: str, cache: Cache, *, lang: str, case_root: Path | None,
             password: str | None = None) -> dict:
    """Convert into a name of this process's own, renamed into place once complete (identical files,
    or the same attachment in two e-mails, may be converted by two workers at once)."""
    cache.root.mkdir(parents=True, exist_ok=True)
    final = cache.paths(key)[0]
    target = final.with_name(f"{final.stem}.{os.getpid()}.part.pdf")
    try:
        meta = _convert_into(piece, kind, target, cache, lang=lang, case_root=case_root, password=password)
        os.replace(target, final)
    finally:
        target.unlink(missing_ok=True)
    return meta


def _convert_into(piece: Piece, kind: str, target: Path, cache: Cache, *, lang: str, case_root: Path | None,
                  password: str | None) -> dict:
    if kind == "pdf":
        facts = pdf.normalize(piece.path, target, shown_as=piece.rel, password=password)
        note = "repaired" if facts.pop("repaired", False) else None
        return {"pages": facts.pop("pages"), "facts": facts, "note": note}
    if kind == "image":
        facts = image.to_pdf(piece.path.read_bytes(), target, shown_as=piece.rel)
        return {"pages": facts.pop("pages"), "facts": facts}
    if kind == "email":
        return _convert_email(piece.path.read_bytes(), target, cache, shown_as=piece.rel, lang=lang, case_root=case_root)
    if kind == "html":  # sanitised like an e-mail body and laid out offline
        facts = htmlpage.to_pdf(piece.path.read_bytes(), target, name=piece.path.name, lang=lang, case_root=case_root)
        return {"pages": facts.pop("pages"), "facts": facts}
    if kind == "office":
        facts = office.to_pdf(piece.path, target, shown_as=piece.rel)
        note = "repaired" if facts.pop("repaired", False) else None
        return {"pages": facts.pop("pages"), "facts": facts, "note": note}
    if kind == "einvoice-xml":  # an XML-only e-invoice (XRechnung, UBL, CII): rendered to a readable page
        facts = einvoice_xml.render(piece.path.read_bytes(), target, shown_as=piece.rel, name=piece.path.name,
                                    lang=lang, case_root=case_root)
        return {"pages": facts.pop("pages"), "facts": facts}
    if kind == "msg":  # an Outlook message: turned into the RFC 822 message it stands for, then as an e-mail
        eml = email_mod.msg_to_eml(piece.path.read_bytes(), shown_as=piece.rel)
        return _convert_email(eml, target, cache, shown_as=piece.rel, lang=lang, case_root=case_root)
    raise EvidenceError(
        f"{piece.rel}: this kind of file ({piece.path.suffix or 'no extension'}) cannot be converted to PDF yet",
        path=piece.path,
        hint="Print it to PDF and put the PDF in evidence/ instead, or move the file out of evidence/. "
        "PDF, JPEG, PNG, TIFF, e-mails (.eml, .msg), XML e-invoices and office files (Word, Excel, PowerPoint, "
        "OpenDocument, RTF, text; with LibreOffice) are converted.",
    )


def _convert_email(data: bytes, target: Path, cache: Cache, *, shown_as: str, lang: str, case_root: Path | None, depth: int = 0) -> dict:
    _msg, facts, attachments, cids = email_mod.read(data, shown_as)
    children: list[dict] = []
    notes: list[str | None] = []
    not_reproduced: list[dict] = []
    for att in attachments:
        where = f"{shown_as} › {att.name}"
        sha = hashlib.sha256(att.data).hexdigest()
        if att.kind == "other" or (att.kind == "email" and depth >= email_mod.MAX_DEPTH):
            notes.append(i18n.text(lang, "email.attachment_not_appended"))
            continue
        child_key = _key(sha, att.kind, lang)
        child_meta = cache.load(child_key)
        try:
            if child_meta is None:
                final = cache.paths(child_key)[0]
                child_target = final.with_name(f"{final.stem}.{os.getpid()}.part.pdf")
                try:
                    if att.kind == "pdf":
                        tmp_src = cache.root / f"{sha[:40]}.{os.getpid()}.src.tmp"
                        tmp_src.write_bytes(att.data)
                        try:
                            f = pdf.normalize(tmp_src, child_target, shown_as=where)
                        finally:
                            tmp_src.unlink(missing_ok=True)
                        child_meta = {"pages": f["pages"], "facts": {k: v for k, v in f.items() if k != "pages"}}
                    elif att.kind == "image":
                        f = image.to_pdf(att.data, child_target, shown_as=where)
                        child_meta = {"pages": f["pages"], "facts": {}}
                    else:  # a forwarded or attached e-mail: rendered, its own attachments nested under it
                        child_meta = _convert_email(att.data, child_target, cache, shown_as=where, lang=lang,
                                                    case_root=case_root, depth=depth + 1)
                    os.replace(child_target, final)
                finally:
                    child_target.unlink(missing_ok=True)
                cache.store(child_key, child_meta)
        except EvidenceError as err:
            log.warning("%s (attachment listed in the e-mail, not reproduced)", err.message)
            notes.append(i18n.text(lang, "email.attachment_unreadable"))
            not_reproduced.append({"name": where, "reason": err.message.removeprefix(f"{where}: ")})
            continue
        notes.append(i18n.text(lang, "email.attachment_appended"))
        children.append({"key": child_key, "pages": child_meta["pages"], "title": att.name, "sha256": sha,
                         "size": len(att.data), "children": child_meta.get("children", [])})
        not_reproduced += (child_meta.get("facts", {}).get("email") or {}).get("not_reproduced", [])
    pages = email_mod.render_message(facts, attachments, cids, target, lang=lang, notes=notes, case_root=case_root)
    public = {k: v for k, v in facts.items() if not k.startswith("_")}
    if not_reproduced:
        public["not_reproduced"] = not_reproduced
    return {"pages": pages, "facts": {"email": public}, "children": children}
