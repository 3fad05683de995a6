"""The documents a lawyer signs, from one wording, in two formats.

A document is a definition file, ``templates/<lang>/documents/<name>.toml``: its title and a list of
blocks (recipient, place and date, subject, paragraphs, tables, key/value fields, a signature…) whose
texts hold ``{placeholders}`` of the context (context.py). The same blocks are laid out twice: as
HTML turned into PDF by WeasyPrint (``templates/shared/document.html``: the firm's letterhead) and as
DOCX through docxtpl (``templates/shared/document.docx``, editable in Word). A case folder overrides
either the wording (``CASE/templates/<lang>/documents/<name>.toml``) or the layout (``CASE/templates/
document.html`` / ``document.docx``).

User data only ever enters as values: str.format_map inserts them into the wording, Jinja escapes
them in HTML, python-docx writes them as literal text runs. None of them is ever read as a template.
"""

from __future__ import annotations

import datetime as dt
import io
import string
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CaseFileError, TemplateError
from ..resources import templates_root

BLOCK_TYPES = ("recipient", "place-date", "mention", "subject", "heading", "paragraph", "strong", "table", "fields",
               "list", "signature", "page-break", "small")


class MissingValue(CaseFileError):
    """A document needs a value case.toml does not give."""


@dataclass
class Block:
    type: str
    text: str = ""
    lines: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    align: list[str] = field(default_factory=list)


@dataclass
class Document:
    name: str
    lang: str
    title: str
    blocks: list[Block]
    kind: str = "letter"  # letter | form: a form has no letterhead recipient layout


@dataclass
class Generated:
    name: str
    title: str
    pdf: Path
    docx: Path
    pages: int


def definition_path(name: str, lang: str, case_root: Path | None) -> Path:
    candidates = []
    if case_root is not None:
        candidates += [case_root / "templates" / lang / "documents" / f"{name}.toml",
                       case_root / "templates" / "documents" / f"{name}.toml"]
    candidates.append(templates_root() / lang / "documents" / f"{name}.toml")
    for path in candidates:
        if path.is_file():
            return path
    raise TemplateError(
        f"no {name!r} document in {lang!r}",
        hint=f"recouvre-docs writes this document in other languages; choose one with --lang, or add "
        f"templates/{lang}/documents/{name}.toml to the case folder.",
    )


def available(name: str, lang: str) -> bool:
    return (templates_root() / lang / "documents" / f"{name}.toml").is_file()


class _Values(dict):
    """format_map values: a missing or empty value stops with the document and the field named."""

    def __init__(self, ctx: dict[str, Any], where: str):
        super().__init__(ctx)
        self.where = where

    def __missing__(self, key: str) -> Any:
        raise TemplateError(f"{self.where}: unknown placeholder {{{key}}}",
                            hint="Check the placeholder against the context (recouvre_docs/documents/context.py).")

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        if value is None or value == "":
            raise MissingValue(
                f"{self.where} needs {{{key}}}, which case.toml does not give",
                hint=f"Fill in the field behind {key} in case.toml (for instance debtor_address is [debtor] address), "
                "or use a document that does not need it.",
            )
        return value


def _fill(text: str, values: _Values) -> str:
    return string.Formatter().vformat(text, (), values)


def load(name: str, lang: str, ctx: dict[str, Any], case_root: Path | None = None) -> Document:
    """The definition of ``name`` in ``lang``, its blocks filled with the context."""
    path = definition_path(name, lang, case_root)
    data = tomllib.loads(path.read_text("utf-8"))
    where = f"the document {name} ({lang})"
    values = _Values(ctx, where)
    blocks: list[Block] = []
    for raw in data.get("block", []):
        kind = raw.get("type")
        if kind not in BLOCK_TYPES:
            raise TemplateError(f"{path}: unknown block type {kind!r}", hint=f"Use one of: {', '.join(BLOCK_TYPES)}.")
        if "when" in raw and not ctx.get(raw["when"]):
            continue
        if "unless" in raw and ctx.get(raw["unless"]):
            continue
        block = Block(type=kind)
        if "text" in raw:
            block.text = _fill(raw["text"], values)
        if kind == "recipient" or "lines" in raw:
            for line in raw.get("lines", []):
                if line.startswith("@"):  # a list of the context: the address lines
                    items = values[line[1:]]
                    if not items and not raw.get("optional_lines"):
                        raise MissingValue(
                            f"{where} needs {{{line[1:]}}}, which case.toml does not give",
                            hint=f"Fill in the field behind {line[1:]} in case.toml (debtor_address_lines is "
                            "[debtor] address = [\"street\", \"postcode city\"]).",
                        )
                    block.lines += [str(x) for x in items]
                else:
                    try:
                        block.lines.append(_fill(line, values))
                    except MissingValue:
                        if not raw.get("optional_lines"):
                            raise
        if kind == "table":
            block.columns = list(raw.get("columns", []))
            block.rows = [list(r) for r in values[raw["rows"]]] if raw.get("rows") else []
            block.align = list(raw.get("align", []))
        if kind in ("fields", "list"):
            for item in raw.get("items", []):
                if isinstance(item, dict):  # {when=…, label=…, value=…}
                    if "when" in item and not ctx.get(item["when"]):
                        continue
                    item = [item["label"], item["value"]] if "label" in item else [item["text"]]
                if kind == "fields":
                    label, value = item
                    try:
                        block.rows.append([_fill(label, values), _fill(value, values)])
                    except MissingValue:
                        if not raw.get("optional_values"):
                            raise
                else:
                    block.lines.append(_fill(item[0] if isinstance(item, list) else item, values))
        blocks.append(block)
    return Document(name=name, lang=lang, title=_fill(data["title"], values), blocks=blocks, kind=data.get("kind", "letter"))


def render_pdf(doc: Document, ctx: dict[str, Any], target: Path, case_root: Path | None) -> int:
    from ..render import frontmatter

    return frontmatter.render_to_pdf("document.html", {"doc": doc, "c": _layout_values(ctx)}, target, lang=doc.lang,
                                     case_root=case_root)


def _layout_values(ctx: dict[str, Any]) -> dict[str, Any]:
    keys = ("sender_name", "sender_lines", "creditor_name", "creditor_email", "creditor_phone", "creditor_registration",
            "creditor_vat", "representative_bar", "reference", "signatory_name", "signatory_title")
    return {k: ctx.get(k) for k in keys}


def render_docx(doc: Document, ctx: dict[str, Any], target: Path, case_root: Path | None, as_of: dt.date) -> None:
    from . import docx as docx_render

    docx_render.render(doc, _layout_values(ctx), target, case_root, as_of)


def _fixed_zip(data: bytes) -> bytes:
    """Rewrite a DOCX (zip) with fixed member dates, so that the same case gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: (i.filename != "[Content_Types].xml", i.filename)):
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()
