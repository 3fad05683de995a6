"""A form (a document of kind "form": the list of exhibits, the requête) drawn as PDF operators, without WeasyPrint.

The list of exhibits a build writes into out/documents/ (bordereau de communication de pièces, list of
exhibits, Anlagenverzeichnis) has a row per exhibit, and the requête en injonction de payer a row per
invoice and per interest period: 13 and 8 pages on the bench's large case, 1.4 s and 0.9 s of
WeasyPrint's CPU, in every build and again in a rebuild after an edit of any value they state. They
are blocks of short texts in one font, as the index is (render/drawn.py), so they are drawn the same
way: the page, margins, sizes, colours, rules, running header and page numbers that
templates/shared/document.html and style.css give a form (``@page document``, ``body.document``,
``h2``, ``p.para``, ``ul.doc-list``, ``table.doc-fields``, ``table.doc-table``, ``.signature``): CSS's
automatic table layout for the columns (each its widest text, the room left shared in proportion),
the table's header row repeated on every page, justified paragraphs hyphenated as WeasyPrint
hyphenates them (pyphen's dictionaries, hyphens: auto), orphans and widows, a heading kept with what
follows it, the last paragraph kept with the signature; in the stamp fonts (Liberation Sans, embedded,
with a ToUnicode map: the text can be searched and copied, and the bundle keeps one copy of them).

Against WeasyPrint's layout of the same documents (the bench's 453 lines on 13 pages and 270 on 8; the
sample's bundle): every line breaks and every page ends where WeasyPrint's do, each line within
0.6 pt of its place (WeasyPrint's kerning, which these widths leave out, and its collapsed borders);
some 0.05 s a document.

Drawn only a form whose blocks are those of BLOCKS (not a note to the lawyer), without a value to
complete (printed in italics, which the stamp fonts lack), whose texts the WinAnsi fonts hold, whose
rows all fit on a page, and only with the shipped document.html and style.css (documents.render_pdf).
Anything else is laid out by WeasyPrint: ``draw_form`` then returns None and writes nothing.

The design is written twice, in style.css and in the constants here: change them together (tests
compare the drawn documents with WeasyPrint's, line by line).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

from .. import __version__
from ..stamp import NAVY
from ..stamp import kerned_width as text_width  # every text here is drawn kerned, as WeasyPrint's
from . import frontmatter as fm
from .drawn import ASCENT, DESCENT, INK, MUTED, PAGE, RULE, SOFT, _Ops, _plain, drawable
from .frontmatter import MM

BLOCKS = frozenset(("small", "fields", "paragraph", "table", "signature", "heading", "strong", "list"))
LIST_INDENT = 6 * MM  # ul.doc-list { padding-left: 6mm }
MARKER = "\u2022 "  # li's disc, outside: it ends where the item's text begins

# @page document { margin: 20mm 20mm 22mm 22mm }, the body's own margin (8 px) inside it
TOP, RIGHT, BOTTOM, LEFT = 20 * MM, 20 * MM, 22 * MM, 22 * MM
BODY = fm.BODY
X0, X1 = LEFT + BODY, PAGE[0] - RIGHT - BODY
WIDTH = X1 - X0
FLOOR = PAGE[1] - BOTTOM  # the lowest a box may reach (from the page's top)
LINE = 1.45  # body.document's line-height
PAD = 1.2 * MM  # the tables' cells: padding 1.2 mm (by 1.5 mm in a doc-table, by 2 mm after a field's label)
CELL_X = 1.5 * MM
HEAD_RULE, ROW_RULE = 1.2, 0.5
SIGNATURE_X = 95 * MM  # .signature { margin-left: 95mm }


def _baseline(top: float, size: float, line: float = LINE) -> float:
    """The baseline of a line box that begins ``top`` points below the page's top."""
    return top + (line * size - (ASCENT + DESCENT) * size) / 2 + ASCENT * size


class _Undrawable(Exception):
    """What the drawn form does not draw (a row taller than a page: WeasyPrint splits it): laid out by
    WeasyPrint instead."""


class _Page:
    def __init__(self, number: int) -> None:
        self.ops = _Ops()
        self.number = number

    def text(self, value: str, x: float, top: float, size: float, *, bold: bool = False, color: tuple = INK,
             spacing: float = 0.0, words: float = 0.0, line: float = LINE) -> None:
        self.ops.text(value, x, PAGE[1] - _baseline(top, size, line), size, bold, color, spacing, words, kerned=True)

    def rule(self, x0: float, x1: float, y: float, width: float, color: tuple) -> None:
        self.ops.rule(x0, x1, PAGE[1] - y, width, color)


class _Flow:
    """Boxes put one under the other, a new page when one does not fit; vertical margins collapse as
    CSS makes them (the larger of two that meet); what continues on a new page (a table's rows, a
    paragraph's lines) begins at its top."""

    def __init__(self) -> None:
        self.pages = [_Page(0)]
        self.y = TOP + BODY  # the body's top margin, on the first page only
        self.margin = 0.0  # the bottom margin of the last box, not yet given
        self.at_top = True

    @property
    def page(self) -> _Page:
        return self.pages[-1]

    def new_page(self) -> None:
        self.pages.append(_Page(len(self.pages)))
        self.y, self.margin, self.at_top = TOP, 0.0, True

    def _gap(self, margin_top: float) -> float:
        """The space above a box that begins here: its top margin collapsed with the one above; at the
        top of a page but the first, its own margin, which WeasyPrint keeps for a child of the body
        (its layout/block.py truncates only margins adjoining others there)."""
        if not self.at_top:
            return max(self.margin, margin_top)
        return margin_top if self.page.number else 0.0

    def room(self, margin_top: float) -> float:
        return FLOOR - self.y - self._gap(margin_top)

    def open(self, margin_top: float) -> None:
        self.y += self._gap(margin_top)
        self.margin = 0.0

    def put(self, height: float, draw: Callable[[_Page, float], None], margin_top: float = 0.0) -> None:
        """A box that is not split: on this page if it fits, else on the next; one taller than a page
        is not drawn (_Undrawable)."""
        if height > FLOOR - TOP:
            raise _Undrawable
        if not self.at_top and height > self.room(margin_top):
            self.new_page()
        self.open(margin_top)
        draw(self.page, self.y)
        self.y += height
        self.at_top = False

    def close(self, margin_bottom: float) -> None:
        self.margin = margin_bottom


def draw_form(doc: Any, values: dict[str, Any], target: Path, *, lang: str) -> int | None:
    """Draw ``doc`` (documents.Document, kind "form") with the layout values ``values``
    (documents._layout_values) into ``target``; its page count, or None if it cannot be drawn."""
    if doc.kind != "form" or any(b.type not in BLOCKS for b in doc.blocks) \
            or any(any(b.todo) for b in doc.blocks if b.type == "fields"):
        return None
    sender = _plain(values.get("sender_name") or "")
    sender_lines = _plain(" — ".join(values.get("sender_lines") or []))
    title = _plain(doc.title)
    running = _plain(f"{values.get('reference') or ''} — {doc.title}")
    signatory = [_plain(values.get(k) or "") for k in ("signatory_name", "signatory_title")]
    blocks = [_PlainBlock(b) for b in doc.blocks]
    texts = [sender, sender_lines, title, running, *signatory]
    for b in blocks:
        texts += [b.text, b.closing, *b.columns, *b.lines, *(c for row in b.rows for c in row)]
    if not drawable(*texts):
        return None
    for b in blocks:  # a row of another length than the others, or empty: as HTML shows it, by WeasyPrint
        count = len(b.columns) or (len(b.rows[0]) if b.rows else 0)
        if b.type == "table" and any(len(row) != count or not row for row in b.rows) \
                or b.type == "fields" and any(len(row) != 2 for row in b.rows):
            return None
    try:
        flow = _lay_out(blocks, sender, sender_lines, title, signatory, lang)
    except _Undrawable:
        return None

    import pikepdf
    from pikepdf import Dictionary

    from ..stamp import FONT_NAMES, add_fonts

    pdf = pikepdf.new()
    try:
        fonts = add_fonts(pdf)
        resources = pdf.make_indirect(Dictionary(Font=Dictionary({FONT_NAMES[s]: f for s, f in fonts.items()})))
        total = len(flow.pages)
        for page in flow.pages:
            # @top-right: the reference and the title, from the second page; @bottom-right: "n / N" (8 pt, muted,
            # in the middle of the margin, with the page's line-height of 1.35)
            if page.number:
                page.text(running, PAGE[0] - RIGHT - text_width(running, "regular", 8.0), (TOP - 8 * fm.LINE) / 2,
                          8.0, color=MUTED, line=fm.LINE)
            folio = f"{page.number + 1} / {total}"
            page.text(folio, PAGE[0] - RIGHT - text_width(folio, "regular", 8.0),
                      FLOOR + (BOTTOM - 8 * fm.LINE) / 2, 8.0, color=MUTED, line=fm.LINE)
            pdf_page = pdf.add_blank_page(page_size=PAGE)
            pdf_page.obj.Resources = resources
            pdf_page.obj.Contents = pdf.make_stream(page.ops.data())
        pdf.Root.Lang = pikepdf.String(lang)
        pdf.docinfo = pdf.make_indirect(Dictionary(Title=pikepdf.String(doc.title),
                                                   Producer=pikepdf.String(f"recouvre-docs {__version__}")))
        pdf.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
        pdf.save(target, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
    finally:
        pdf.close()
    return total


def _lay_out(blocks: list["_PlainBlock"], sender: str, sender_lines: str, title: str, signatory: list[str],
             lang: str) -> "_Flow":
    flow = _Flow()
    _letterhead(flow, sender, sender_lines)
    # h1.doc-title: 16 pt bold navy, letter-spacing 0.2 pt, margin-bottom 5 mm
    lines = _spaced_lines(title, WIDTH, 16.0, 0.2)
    flow.put(len(lines) * 16 * LINE, lambda page, y: [page.text(t, X0, y + n * 16 * LINE, 16.0, bold=True, color=NAVY,
                                                                spacing=0.2) for n, t in enumerate(lines)])
    flow.close(5 * MM)
    for i, b in enumerate(blocks):
        after = blocks[i + 1] if i + 1 < len(blocks) else None
        if b.type == "small":  # p.small.muted: 8.5 pt, the p's margins of 1 em
            _paragraph(flow, b.text, 8.5, MUTED, 8.5, 8.5, justify=False, lang=lang)
        elif b.type == "paragraph":  # p.para: justified, margin 0 0 3 mm, orphans and widows 2
            keep = _first_box(after, signatory, lang) if b.keep and after is not None else None
            _paragraph(flow, b.text, 10.5, INK, 0.0, 3 * MM, justify=True, lang=lang, keep=keep, hyphens=True)
        elif b.type == "strong":  # p.strong: bold, the p's margins of 1 em
            keep = _first_box(after, signatory, lang) if b.keep and after is not None else None
            _paragraph(flow, b.text, 10.5, INK, 10.5, 10.5, justify=False, lang=lang, keep=keep, bold=True)
        elif b.type == "heading":  # h2: 11.5 pt bold navy, margin 6 mm 0 2 mm, never last on its page
            _heading(flow, b.text, _first_box(after, signatory, lang) if after is not None else None, lang)
        elif b.type == "list":  # ul.doc-list: margin 0 0 3 mm, padding-left 6 mm, a disc before each item
            for n, item in enumerate(b.lines):
                last = n == len(b.lines) - 1
                keep = _first_box(after, signatory, lang) if last and b.keep and after is not None else None
                _paragraph(flow, item, 10.5, INK, 0.0, 3 * MM if last else 0.0, justify=False, lang=lang, keep=keep,
                           indent=LIST_INDENT, marker=MARKER)
        elif b.type == "fields":
            _fields(flow, b, lang)
        elif b.type == "table":
            _table(flow, b, lang)
        elif b.type == "signature":
            _signature(flow, b, signatory, lang)
    return flow


def _heading(flow: _Flow, text: str, keep: tuple[float, float] | None, lang: str) -> None:
    lines = lines_of(text, WIDTH, 11.5, bold=True, lang=lang)
    height = len(lines) * 11.5 * LINE
    if keep is not None and not flow.at_top:  # page-break-after: avoid: with the next block's first lines
        box, box_margin = keep
        if height + max(2 * MM, box_margin) + box > flow.room(6 * MM):
            flow.new_page()
    flow.put(height, lambda page, y: [page.text(t, X0, y + n * 11.5 * LINE, 11.5, bold=True, color=NAVY)
                                      for n, t in enumerate(lines)], margin_top=6 * MM)
    flow.close(2 * MM)


def _first_box(b: "_PlainBlock", signatory: list[str], lang: str) -> tuple[float, float]:
    """What of block ``b`` must be on the page of the block before it, when that one is kept with it
    (break-after: avoid): its height, and its top margin. Two lines of a paragraph (orphans), the
    header and first row of a table, a field, a heading with what it is kept with, the signature."""
    step = 10.5 * LINE
    if b.type == "signature":
        return _signature_box(b, signatory, lang)
    if b.type in ("paragraph", "strong", "small", "list"):
        size = 8.5 if b.type == "small" else 10.5
        text = b.lines[0] if b.type == "list" and b.lines else b.text
        width = WIDTH - (LIST_INDENT if b.type == "list" else 0.0)
        count = min(2, len(lines_of(text, width, size, bold=b.type == "strong", lang=lang))) if text else 0
        margin = {"strong": 10.5, "small": 8.5}.get(b.type, 0.0)
        return count * size * LINE, margin
    if b.type == "heading":
        return len(lines_of(b.text, WIDTH, 11.5, bold=True, lang=lang)) * 11.5 * LINE + 2 * MM + 2 * step, 6 * MM
    if b.type == "fields":
        return (_field_lines(*b.rows[0], lang)[2] if b.rows else 0.0), 1 * MM
    if b.type == "table":
        _right, _widths, _header, header_height, _laid, heights = _table_layout(b, lang)
        return header_height + (heights[0] if heights else 0.0), 2 * MM
    return 0.0, 0.0


class _PlainBlock:
    """A block's texts made plain once (drawn._plain), as they are measured and drawn."""

    def __init__(self, b: Any) -> None:
        self.type, self.keep, self.align = b.type, b.keep, list(b.align)
        self.text, self.closing = _plain(b.text), _plain(b.closing)
        self.columns = [_plain(c) for c in b.columns]
        self.rows = [[_plain(str(c)) for c in row] for row in b.rows]
        self.lines = [_plain(line) for line in b.lines]
        self.laid: tuple | None = None  # a table's layout (_table_layout)


def _spaced_lines(text: str, width: float, size: float, spacing: float) -> list[str]:
    """The lines of a bold text with a letter-spacing (the title), broken at spaces."""
    lines, line = [], ""
    for word in text.split(" "):
        wider = f"{line} {word}" if line else word
        if line and text_width(wider, "bold", size) + spacing * len(wider) > width:
            lines.append(line)
            line = word
        else:
            line = wider
    return [*lines, line]


def _wrap(text: str, width: float, size: float, bold: bool = False, break_words: bool = True,
          lang: str | None = None) -> list[str]:
    """frontmatter.wrap's lines, measured kerned (as they are drawn), a word too long hyphenated."""
    return fm.wrap(text, width, size, bold=bold, break_words=break_words, lang=lang, kerned=True)


def _letterhead(flow: _Flow, sender: str, lines: str) -> None:
    """.letterhead: the sender (13 pt bold navy), its lines (8.5 pt muted), padding-bottom 2 mm, a
    1.2 pt navy rule, margin-bottom 8 mm."""
    names = _wrap(sender, WIDTH, 13.0, bold=True) if sender else []
    rest = _wrap(lines, WIDTH, 8.5) if lines else []
    height = len(names) * 13 * LINE + len(rest) * 8.5 * LINE + 2 * MM + HEAD_RULE

    def draw(page: _Page, y: float) -> None:
        for t in names:
            page.text(t, X0, y, 13.0, bold=True, color=NAVY)
            y += 13 * LINE
        for t in rest:
            page.text(t, X0, y, 8.5, color=MUTED)
            y += 8.5 * LINE
        page.rule(X0, X1, y + 2 * MM + HEAD_RULE / 2, HEAD_RULE, NAVY)

    flow.put(height, draw)
    flow.close(8 * MM)


_WORD = re.compile(r"^([^\w]*(?:[^\W\d_]+['’])?)([^\W\d_]+)(?![\w'’])")


def lines_of(text: str, width: float, size: float, *, bold: bool = False, lang: str, hyphens: bool = False) -> list[str]:
    """frontmatter.wrap's lines; ``hyphens`` (hyphens: auto, as p.para has it): a word that does not fit
    at a line's end is hyphenated where the language allows, as WeasyPrint does it (the longest start
    that fits with its hyphen, of a word of 5 letters or more, 2 at least on each side). What is left
    after a line is cut from the text itself, never joined again from lines: a line that ends after a
    hyphen (« sous- / traitance ») is followed by no space."""
    lines = _wrap(text, width, size, bold=bold, break_words=True, lang=lang)
    if not hyphens or len(lines) < 2:
        return lines
    style = "bold" if bold else "regular"
    out: list[str] = []
    rest = fm.collapse(text)
    while len(lines) > 1:
        line = lines[0]
        taken = line if rest.startswith(line) else line[:-1]  # a long word cut with a hyphen of its own
        if not rest.startswith(taken):  # pragma: no cover - wrap's lines are the text's own
            return out + lines
        after = rest[len(taken):]
        gap = " " if after.startswith(" ") else ""
        after = after.lstrip(" ")
        head = after.split(" ", 1)[0]
        # the word: its letters, after what comes before them (a parenthesis, an elision: « d'intérêts »),
        # up to a space, a punctuation mark or a hyphen of its own (« dommages-intérêts »: « dom-mages-… »)
        found = _WORD.match(head)
        lead, core = (found.group(1), found.group(2)) if found else ("", "")
        if taken == line and len(core) >= 5 and core.isalpha():
            for start, _end in fm.hyphenator(lang).iterate(core):
                if text_width(f"{line}{gap}{lead}{start}-", style, size) <= width:
                    line = f"{line}{gap}{lead}{start}-"
                    after = after[len(lead) + len(start):]
                    break
        out.append(line)
        rest = after
        lines = _wrap(rest, width, size, bold=bold, break_words=True, lang=lang)
    return out + lines


def _paragraph(flow: _Flow, text: str, size: float, color: tuple, margin_top: float, margin_bottom: float, *,
               justify: bool, lang: str, keep: tuple[float, float] | None = None, bold: bool = False,
               indent: float = 0.0, marker: str = "", hyphens: bool = False) -> None:
    """A paragraph, its lines split over pages with two at least on each (orphans, widows); ``keep``:
    the height and top margin of what follows it, which its last lines stay with (break-after: avoid).
    ``indent``: its lines begin that far right (a list's items), ``marker`` before the first one."""
    width = WIDTH - indent
    lines = lines_of(text, width, size, bold=bold, lang=lang, hyphens=hyphens) if text else []
    step = size * LINE
    style = "bold" if bold else "regular"
    if not lines:
        flow.open(margin_top)
        flow.close(max(margin_top, margin_bottom))  # an empty p: its margins collapse through it
        return
    if not flow.at_top and min(2, len(lines)) * step > flow.room(margin_top):  # not even two lines here (orphans)
        flow.new_page()
    flow.open(margin_top)
    start = 0
    while start < len(lines):
        left = len(lines) - start
        fits = min(left, int((FLOOR - flow.y + 0.01) // step))
        if fits == left and flow.y + left * step + margin_bottom > FLOOR + 0.01 and not flow.at_top:
            fits = left - 1  # its last line with its bottom margin does not fit: WeasyPrint breaks before it
        if keep is not None and fits >= left:
            box, box_margin = keep
            if flow.y + left * step + max(margin_bottom, box_margin) + box > FLOOR:
                fits = left - 2 if left > 3 else 0  # its last lines go with what follows
        if fits < left:  # orphans and widows: two lines at least on each side of a break
            fits = min(fits, left - 2)
            if fits < 2:
                fits = 0
        if fits == 0 and flow.at_top:
            fits = left  # an empty page takes what comes
        if fits == 0:
            flow.new_page()
            continue
        for n in range(start, start + fits):
            last = n == len(lines) - 1
            words = (width - text_width(lines[n], style, size)) / lines[n].count(" ") \
                if justify and not last and lines[n].count(" ") else 0.0
            if n == 0 and marker:
                flow.page.text(marker, X0 + indent - text_width(marker, "regular", size), flow.y, size, color=color)
            flow.page.text(lines[n], X0 + indent, flow.y, size, bold=bold, color=color, words=words)
            flow.y += step
        flow.at_top = False
        start += fits
        if start < len(lines):
            flow.new_page()
    flow.close(margin_bottom)


FIELD_LABEL = 0.38  # table.doc-fields th { width: 38% }


def _field_lines(label: str, value: str, lang: str) -> tuple[list[str], list[str], float]:
    """A row of fields: its label's lines, its value's (bold), its height."""
    labels = _wrap(label, WIDTH * FIELD_LABEL - 2 * MM, 9.5, break_words=True, lang=lang)
    values = _wrap(value, WIDTH * (1 - FIELD_LABEL), 9.5, bold=True, break_words=True, lang=lang)
    return labels, values, 2 * PAD + max(len(labels), len(values)) * 9.5 * LINE + ROW_RULE


def _fields(flow: _Flow, b: _PlainBlock, lang: str) -> None:
    """table.doc-fields (9.5 pt, margin 1 mm 0 4 mm): the label (38 %, #3b4450, padding-right 2 mm),
    the value in bold; a light rule under each row, rows not split."""
    size, step = 9.5, 9.5 * LINE
    laid = [_field_lines(label, value, lang) for label, value in b.rows]
    if laid and not flow.at_top and laid[0][2] > flow.room(1 * MM):  # its top margin on the next page too
        flow.new_page()
    flow.open(1 * MM)
    for labels, values, height in laid:

        def draw(page: _Page, y: float, labels=labels, values=values, height=height) -> None:
            for n, t in enumerate(labels):
                page.text(t, X0, y + PAD + n * step, size, color=SOFT)
            # the label at the top (th: vertical-align: top), the value in the middle (td's default)
            shift = max(0, len(labels) - len(values)) * step / 2
            for n, t in enumerate(values):
                page.text(t, X0 + WIDTH * FIELD_LABEL, y + PAD + shift + n * step, size, bold=True)
            page.rule(X0, X1, y + height - ROW_RULE / 2, ROW_RULE, RULE)

        flow.put(height, draw)
    flow.close(4 * MM)


def column_widths(columns: list[str], rows: list[list[str]], nowrap: list[bool], size: float,
                  width: float) -> list[float]:
    """CSS's automatic table layout, as WeasyPrint does it for a table 100 % wide: each column's
    widest text with its paddings (max-content); when they fit, the room left shared in proportion to
    them; else each column between its longest word and its widest text, in proportion to the gap."""
    count = len(columns) or (len(rows[0]) if rows else 0)
    widest, longest = [0.0] * count, [0.0] * count
    for row in [columns, *rows]:
        for k, cell in enumerate(row[:count]):
            w = text_width(cell, "regular", size)
            word = w if nowrap[k] else max((text_width(p, "regular", size) for p in cell.split(" ")), default=0.0)
            widest[k] = max(widest[k], w + 2 * CELL_X)
            longest[k] = max(longest[k], word + 2 * CELL_X)
    total = sum(widest)
    if total and total <= width:
        return [w * width / total for w in widest]
    gap = sum(w - m for w, m in zip(widest, longest))
    if sum(longest) < width and gap:
        return [m + (w - m) * (width - sum(longest)) / gap for w, m in zip(widest, longest)]
    return longest


def _table_layout(b: _PlainBlock, lang: str) -> tuple:
    """A doc-table's right-aligned columns, column widths, header lines and height, each row's cell
    lines and height (9 pt); made once a table (a heading before it measures its first row)."""
    if b.laid is None:
        b.laid = _lay_table(b, lang)
    return b.laid


def _lay_table(b: _PlainBlock, lang: str) -> tuple:
    size, step = 9.0, 9.0 * LINE
    count = len(b.columns) or (len(b.rows[0]) if b.rows else 0)
    right = [k < len(b.align) and b.align[k] == "right" for k in range(count)]
    widths = column_widths(b.columns, b.rows, right, size, WIDTH)

    def cell_lines(row: list[str]) -> list[list[str]]:
        return [[cell] if right[k] else _wrap(cell, widths[k] - 2 * CELL_X, size, break_words=True, lang=lang)
                for k, cell in enumerate(row[:count])]

    header = cell_lines(b.columns) if b.columns else None
    header_height = 2 * PAD + max(map(len, header)) * step + HEAD_RULE if header else 0.0
    laid_rows = [cell_lines(row) for row in b.rows]
    heights = [2 * PAD + max(map(len, laid)) * step + ROW_RULE for laid in laid_rows]
    return right, widths, header, header_height, laid_rows, heights


def _table(flow: _Flow, b: _PlainBlock, lang: str) -> None:
    """table.doc-table (9 pt, margin 2 mm 0 4 mm): the header row (muted, a 1.2 pt navy rule) repeated
    at the top of every page the table runs over; cells padded 1.2 mm by 1.5 mm, top-aligned, a light
    rule under each row; a right-aligned column does not wrap. Rows are not split."""
    size, step = 9.0, 9.0 * LINE
    right, widths, header, header_height, laid_rows, heights = _table_layout(b, lang)
    starts = [X0 + sum(widths[:k]) for k in range(len(widths))]

    def draw_row(page: _Page, y: float, laid: list[list[str]], color: tuple) -> None:
        for k, lines in enumerate(laid):
            for n, t in enumerate(lines):
                x = starts[k] + widths[k] - CELL_X - text_width(t, "regular", size) if right[k] else starts[k] + CELL_X
                page.text(t, x, y + PAD + n * step, size, color=color)

    def put_header() -> None:
        def draw(page: _Page, y: float) -> None:
            draw_row(page, y, header, MUTED)
            page.rule(X0, X1, y + header_height - HEAD_RULE / 2, HEAD_RULE, NAVY)
        flow.put(header_height, draw)

    first = heights[0] if heights else 0.0
    if not flow.at_top and header_height + first > flow.room(2 * MM):  # the header never alone at a page's foot
        flow.new_page()
    flow.open(2 * MM)
    if header:
        put_header()
    if heights and max(heights) > FLOOR - TOP - header_height:  # WeasyPrint splits such a row: not drawn here
        raise _Undrawable
    for laid, height in zip(laid_rows, heights):
        if height > FLOOR - flow.y and flow.y > TOP + header_height + 0.01:
            flow.new_page()
            # where the table goes on, WeasyPrint's collapsed borders (measured): the rows 0.35 pt nearer
            # the repeated header than on the table's first page, or 0.5 pt below the page's top
            if header:
                put_header()
                flow.y -= (HEAD_RULE - ROW_RULE) / 2
            else:
                flow.y += ROW_RULE

        def draw(page: _Page, y: float, laid=laid, height=height) -> None:
            draw_row(page, y, laid, INK)
            page.rule(X0, X1, y + height - ROW_RULE / 2, ROW_RULE, RULE)

        flow.open(0.0)
        draw(flow.page, flow.y)
        flow.y += height
        flow.at_top = False
    flow.close(4 * MM)


def _signature_lines(b: Any, signatory: list[str], lang: str) -> tuple[list[str], list[str], list[str]]:
    width = X1 - X0 - SIGNATURE_X
    closing = _wrap(b.closing, WIDTH, 10.5, break_words=True, lang=lang) if b.closing else []
    text = _wrap(b.text, width, 10.5, break_words=True, lang=lang) if b.text else []
    names = [(line, bold) for value, bold in zip(signatory, (True, False)) if value
             for line in _wrap(value, width, 10.5, bold=bold, break_words=True, lang=lang)]
    return closing, text, names


def _signature_box(b: _PlainBlock, signatory: list[str], lang: str) -> tuple[float, float]:
    """The sign-off's height and its top margin."""
    closing, text, names = _signature_lines(b, signatory, lang)
    step = 10.5 * LINE
    height = len(closing) * step + (6 * MM if closing else 0.0) + len(text) * step + 18 * MM + len(names) * step
    return height, 0.0 if closing else 6 * MM


def _signature(flow: _Flow, b: _PlainBlock, signatory: list[str], lang: str) -> None:
    """.sign-off, never split: the closing (a justified paragraph), then .signature (margin 6 mm 0 0
    95 mm): the place and date, 18 mm of room to sign, the signatory's name in bold and title."""
    closing, text, names = _signature_lines(b, signatory, lang)
    step = 10.5 * LINE
    height, margin_top = _signature_box(b, signatory, lang)

    def draw(page: _Page, y: float) -> None:
        for n, t in enumerate(closing):
            words = (WIDTH - text_width(t, "regular", 10.5)) / t.count(" ") if n < len(closing) - 1 and t.count(" ") else 0.0
            page.text(t, X0, y, 10.5, words=words)
            y += step
        if closing:
            y += 6 * MM
        for t in text:
            page.text(t, X0 + SIGNATURE_X, y, 10.5)
            y += step
        y += 18 * MM
        for t, bold in names:
            page.text(t, X0 + SIGNATURE_X, y, 10.5, bold=bold)
            y += step

    flow.put(height, draw, margin_top=margin_top)
    flow.close(0.0)
