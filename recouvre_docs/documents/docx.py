"""DOCX through docxtpl: the firm's layout is templates/shared/document.docx (header with the
sender, footer with page numbers, styles); the blocks become a sub-document of literal text runs."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_COLOR_INDEX
from docx.shared import Mm, Pt
from docxtpl import DocxTemplate

from ..errors import TemplateError
from ..resources import templates_root
from . import Document, _fixed_zip


def template_path(lang: str, case_root: Path | None) -> Path:
    candidates = []
    if case_root is not None:
        candidates += [case_root / "templates" / lang / "document.docx", case_root / "templates" / "document.docx"]
    candidates += [templates_root() / lang / "document.docx", templates_root() / "shared" / "document.docx"]
    for path in candidates:
        if path.is_file():
            return path
    raise TemplateError("document.docx not found", hint="Reinstall recouvre-docs.")


def _para(sub, text: str = "", *, bold: bool = False, size: float | None = None, align=None, space_after: float = 6,
          italic: bool = False):
    p = sub.add_paragraph()
    if text:
        run = p.add_run(text)
        run.bold = bold
        run.italic = italic
        if size:
            run.font.size = Pt(size)
    if align is not None:
        p.alignment = align
    p.paragraph_format.space_after = Pt(space_after)
    return p


def render(doc: Document, c: dict[str, Any], target: Path, case_root: Path | None, as_of: dt.date) -> None:
    tpl = DocxTemplate(str(template_path(doc.lang, case_root)))
    sub = tpl.new_subdoc()
    for b in doc.blocks:
        if b.type == "recipient":
            for i, line in enumerate(b.lines):
                p = _para(sub, line, bold=(i == 0), space_after=0)
                p.paragraph_format.left_indent = Mm(95)
            _para(sub, space_after=6)
        elif b.type == "place-date":
            _para(sub, b.text, align=WD_ALIGN_PARAGRAPH.RIGHT, space_after=12)
        elif b.type == "mention":
            _para(sub, b.text, bold=True, size=9.5)
        elif b.type == "subject":
            _para(sub, b.text, bold=True, space_after=10)
        elif b.type == "heading":
            p = _para(sub, b.text, bold=True, size=12, space_after=4)
            p.paragraph_format.space_before = Pt(10)
            p.paragraph_format.keep_with_next = True
        elif b.type == "strong":
            p = _para(sub, b.text, bold=True)
            p.paragraph_format.keep_with_next = b.keep
        elif b.type == "small":
            _para(sub, b.text, size=8.5, italic=True)
        elif b.type == "paragraph":
            p = _para(sub, b.text)
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            p.paragraph_format.keep_with_next = b.keep
        elif b.type == "note":  # a note to the lawyer: labelled and highlighted, to delete before sending
            p = _para(sub, space_after=6)
            label = p.add_run(f"{c['note_label']} : " if doc.lang == "fr" else f"{c['note_label']}: ")
            label.bold = True
            label.font.size = Pt(8.5)
            label.font.highlight_color = WD_COLOR_INDEX.YELLOW
            run = p.add_run(b.text)
            run.italic = True
            run.font.size = Pt(9)
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW
            p.paragraph_format.left_indent = Mm(4)
        elif b.type == "list":
            for i, line in enumerate(b.lines):
                p = _para(sub, f"–\u00a0{line}", space_after=2)
                p.paragraph_format.left_indent = Mm(6)
                p.paragraph_format.keep_with_next = b.keep or i < len(b.lines) - 1
            _para(sub, space_after=4).paragraph_format.keep_with_next = b.keep
        elif b.type in ("table", "fields"):
            header = b.columns if b.type == "table" else []
            rows = b.rows
            width = len(header) if header else (len(rows[0]) if rows else 2)
            table = sub.add_table(rows=0, cols=width)
            table.style = "Table Grid"
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            if header:
                cells = table.add_row().cells
                for cell, text in zip(cells, header, strict=True):
                    cell.text = ""
                    run = cell.paragraphs[0].add_run(text)
                    run.bold = True
                    run.font.size = Pt(9)
            for i, row in enumerate(rows):
                cells = table.add_row().cells
                for k, (cell, text) in enumerate(zip(cells, row, strict=True)):
                    cell.text = ""
                    run = cell.paragraphs[0].add_run(str(text))
                    run.font.size = Pt(9)
                    run.bold = b.type == "fields" and k == 0
                    if b.type == "fields" and k == 1 and b.todo and b.todo[i]:  # to be completed before signing
                        run.bold = run.italic = True
                        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
                    if b.align and k < len(b.align) and b.align[k] == "right":
                        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _para(sub, space_after=6)
        elif b.type == "signature":  # the closing, the place and date, the signatory: one unit on one page
            if b.closing:
                q = _para(sub, b.closing)
                q.paragraph_format.keep_with_next = True
            p = _para(sub, b.text or "", space_after=30)
            p.paragraph_format.left_indent = Mm(95)
            p.paragraph_format.space_before = Pt(12)
            p.paragraph_format.keep_with_next = True
            lines = [x for x in (c.get("signatory_name"), c.get("signatory_title")) if x]
            for k, line in enumerate(lines):
                q = _para(sub, line, bold=line == c.get("signatory_name"), space_after=0)
                q.paragraph_format.left_indent = Mm(95)
                q.paragraph_format.keep_with_next = k < len(lines) - 1
        elif b.type == "page-break":
            sub.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    tpl.render({"c": c, "title": doc.title if doc.kind == "form" else "", "body": sub}, autoescape=True)
    props = tpl.docx.core_properties
    stamp = dt.datetime(as_of.year, as_of.month, as_of.day)
    props.created = props.modified = stamp
    props.last_printed = stamp
    props.title = doc.title
    props.author = c.get("sender_name") or ""
    props.last_modified_by = "recouvre-docs"
    props.revision = 1
    buf = io.BytesIO()
    tpl.save(buf)
    target.write_bytes(_fixed_zip(buf.getvalue()))
