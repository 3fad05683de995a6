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

A value the law requires and case.toml lacks is printed, in a form's fields, as a visible "À compléter"
/ "to be completed" / "zu ergänzen" (``Document.missing`` names the case.toml fields, for the summary
of generate and build); a row marked ``optional`` is left out instead. Notes to the lawyer (block type
``note``, and any block with ``draft = true``) are in the documents of out/documents/, boxed and
labelled, and left out of the copy that goes into the bundle.
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
               "list", "signature", "page-break", "small", "note", "closing")

# A placeholder's field in case.toml, where its name does not say it (creditor_street: creditor.address).
_FIELD_OF = {"street": "address", "postcode": "address", "city": "address", "address_lines": "address",
             "signatory_name": "signatory", "signatory_title": "signatory", "signatory_surname": "signatory",
             "signatory_first_name": "signatory", "country_code": "country"}


def case_field(key: str) -> str:
    """The case.toml field behind a placeholder: creditor_legal_form -> creditor.legal_form."""
    if key == "court":
        return "case.court"
    for section in ("creditor", "debtor", "representative", "insolvency", "translation"):
        if key.startswith(section + "_"):
            rest = key[len(section) + 1:]
            return f"{section}.{_FIELD_OF.get(rest, rest)}"
    return key


class MissingValue(CaseFileError):
    """A document needs a value case.toml does not give."""

    key: str = ""


@dataclass
class Block:
    type: str
    text: str = ""
    lines: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    align: list[str] = field(default_factory=list)
    todo: list[bool] = field(default_factory=list)  # fields: the rows whose value is to be completed
    draft: bool = False  # a note to the lawyer: not in the bundle's copy
    closing: str = ""  # signature: the closing formula that stays with it on the page
    keep: bool = False  # stays on the page of the next block (the last paragraph before the signature)


@dataclass
class Document:
    name: str
    lang: str
    title: str
    blocks: list[Block]
    kind: str = "letter"  # letter | form: a form has no letterhead recipient layout
    missing: list[str] = field(default_factory=list)  # case.toml fields printed "to be completed"

    @property
    def has_draft(self) -> bool:
        return any(b.draft for b in self.blocks)

    def final(self) -> "Document":
        """The copy for the bundle: without the notes to the lawyer."""
        return Document(name=self.name, lang=self.lang, title=self.title, kind=self.kind, missing=self.missing,
                        blocks=_keep_signature([b for b in self.blocks if not b.draft]))


@dataclass
class Generated:
    name: str
    title: str
    pdf: Path
    docx: Path
    pages: int
    missing: list[str] = field(default_factory=list)  # case.toml fields the documents left to complete
    notes: list[str] = field(default_factory=list)  # warnings for the user (stderr)
    final_pdf: Path | None = None  # the bundle's copy (without the notes to the lawyer), if it differs
    final_pages: int | None = None


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
            err = MissingValue(
                f"{self.where} needs {{{key}}} ({case_field(key)} in case.toml), which case.toml does not give",
                hint=f"Fill in {case_field(key)} in case.toml (for instance debtor_address is [debtor] address), "
                "or use a document that does not need it.",
            )
            err.key = key
            raise err
        return value


def _fill(text: str, values: _Values) -> str:
    return string.Formatter().vformat(text, (), values)


def _shown(spec: dict[str, Any], ctx: dict[str, Any]) -> bool:
    """``when``: a context key (or a list of keys) that must all be set; ``unless``: keys none of which may be."""
    def keys(value: Any) -> list[str]:
        return [value] if isinstance(value, str) else list(value)

    if "when" in spec and not all(ctx.get(k) for k in keys(spec["when"])):
        return False
    return not ("unless" in spec and any(ctx.get(k) for k in keys(spec["unless"])))


def _keep_signature(blocks: list[Block]) -> list[Block]:
    """The closing formula goes into the signature block, and the paragraph before them stays on their
    page: a signature never stands alone at the top of a page."""
    out: list[Block] = []
    for b in blocks:
        if b.type == "signature" and out and out[-1].type == "closing":
            b = Block(**{**b.__dict__, "closing": out.pop().text})
        if b.type == "signature" and out and out[-1].type in ("paragraph", "strong", "list", "table", "fields"):
            out[-1] = Block(**{**out[-1].__dict__, "keep": True})
        out.append(b)
    return [Block(**{**b.__dict__, "type": "paragraph"}) if b.type == "closing" else b for b in out]


def load(name: str, lang: str, ctx: dict[str, Any], case_root: Path | None = None) -> Document:
    """The definition of ``name`` in ``lang``, its blocks filled with the context."""
    from .. import i18n

    path = definition_path(name, lang, case_root)
    data = tomllib.loads(path.read_text("utf-8"))
    where = f"the document {name} ({lang})"
    values = _Values(ctx, where)
    marker = i18n.text(lang, "document_marks.to_complete")
    missing: list[str] = []

    def record(dotted: str) -> None:
        if dotted not in missing:
            missing.append(dotted)

    blocks: list[Block] = []
    for raw in data.get("block", []):
        kind = raw.get("type")
        if kind not in BLOCK_TYPES:
            raise TemplateError(f"{path}: unknown block type {kind!r}", hint=f"Use one of: {', '.join(BLOCK_TYPES)}.")
        if not _shown(raw, ctx):
            continue
        block = Block(type=kind, draft=bool(raw.get("draft")) or kind == "note")
        if "missing" in raw:  # a block that stands for a value case.toml lacks ("court: to be completed")
            record(raw["missing"])
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
                optional = bool(raw.get("optional_values"))
                if isinstance(item, dict):  # {when=…, unless=…, label=…, value=…, optional=true}
                    if not _shown(item, ctx):
                        continue
                    optional = bool(item.get("optional", optional))
                    if "todo" in item:  # a value case.toml cannot hold: always to be completed, named as given
                        block.rows.append([_fill(item["label"], values), marker])
                        block.todo.append(True)
                        record(item["todo"])
                        continue
                    item = [item["label"], item["value"]] if "label" in item else [item["text"]]
                if kind == "fields":
                    label, value = item
                    label = _fill(label, values)
                    try:
                        block.rows.append([label, _fill(value, values)])
                        block.todo.append(False)
                    except MissingValue as err:
                        if optional:
                            continue
                        # a value the document requires: shown to be completed, and named in the summary
                        block.rows.append([label, marker])
                        block.todo.append(True)
                        record(case_field(err.key))
                else:
                    block.lines.append(_fill(item[0] if isinstance(item, list) else item, values))
        blocks.append(block)
    return Document(name=name, lang=lang, title=_fill(data["title"], values), blocks=_keep_signature(blocks),
                    kind=data.get("kind", "letter"), missing=missing)


def render_pdf(doc: Document, ctx: dict[str, Any], target: Path, case_root: Path | None) -> int:
    """The PDF of ``doc``: laid out by WeasyPrint from document.html, or for a form the shipped
    templates lay out, drawn (render/drawn_form.py: the 400 rows of a list of exhibits in 0.1 s)."""
    from ..render import frontmatter

    values = _layout_values(ctx, doc.lang)
    if doc.kind == "form" and frontmatter.shipped("document.html", doc.lang, case_root) \
            and frontmatter.shipped("style.css", doc.lang, case_root):
        from ..render import drawn_form

        pages = drawn_form.draw_form(doc, values, target, lang=doc.lang)
        if pages is not None:
            return pages
    return frontmatter.render_to_pdf("document.html", {"doc": doc, "c": values}, target,
                                     lang=doc.lang, case_root=case_root)


def _layout_values(ctx: dict[str, Any], lang: str) -> dict[str, Any]:
    from .. import i18n

    keys = ("sender_name", "sender_lines", "creditor_name", "creditor_email", "creditor_phone", "creditor_registration",
            "creditor_vat", "representative_bar", "reference", "signatory_name", "signatory_title")
    values = {k: ctx.get(k) for k in keys}
    values["note_label"] = i18n.text(lang, "document_marks.note")
    return values


def render_docx(doc: Document, ctx: dict[str, Any], target: Path, case_root: Path | None, as_of: dt.date) -> None:
    """The DOCX of ``doc``; inside a build's render cache, an unchanged document is not built again
    (python-docx takes about 1.5 s for a 400-row list of exhibits)."""
    import dataclasses
    import json

    from ..render import pdf as rendering
    from . import docx as docx_render

    values = _layout_values(ctx, doc.lang)
    if rendering.current_cache() is None:  # outside a build (generate): nothing to look up
        docx_render.render(doc, values, target, case_root, as_of)
        return
    template = docx_render.template_path(doc.lang, case_root)
    material = json.dumps({"doc": dataclasses.asdict(doc), "values": values, "as_of": as_of.isoformat(),
                           "versions": [rendering.package_version(p) for p in ("docxtpl", "python-docx", "recouvre-docs")]},
                          sort_keys=True, default=str).encode() + template.read_bytes()
    rendering.cached_file(material, ".docx", target, lambda path: docx_render.render(doc, values, path, case_root, as_of))


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
