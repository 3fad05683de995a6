"""The index drawn as PDF operators: the shipped index.html and style.css's design, without WeasyPrint.

WeasyPrint lays out an index row in about 6 ms (PERF.md: 2.35 s for the 400 rows of the bench's large
case, 3.4 s of CPU in the build), the longest stage of a large build and the one issue 8 says must not
dominate it. An index is one table of short texts in one font, so it is drawn here instead: the same
page, margins, columns, sizes, colours and rules as style.css gives (table.index), the same line breaks
(frontmatter.wrap, the rule its estimate uses: at spaces, after a hyphen before a letter) and page
breaks (frontmatter.page_starts), in the stamp fonts (Liberation Sans, embedded, with a ToUnicode map:
the text can be searched and copied, and the bundle keeps one copy of the fonts it shares with the
stamps). 400 rows take some 0.1 s.

Each row is one link to its exhibit's first page (``recouvre:exhibit/KEY``, resolved by the bundle as
WeasyPrint's links are), over the whole row rather than over three of its cells.

The stamp fonts hold the WinAnsi characters (cp1252: Western European languages). An index with a text
they do not hold (a Polish or Czech name, for a European order for payment) is laid out by WeasyPrint:
``draw_index`` then returns None. So is one whose index.html or style.css a firm has replaced
(frontmatter.render_index does not draw it).

The design is written twice, in style.css (table.index, .index-head, .index-foot) and in the constants
here and in frontmatter (Layout, HEAD, THEAD…): change them together. A test lays the same 70 rows out
both ways and compares the rows on each page and the links.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

from .. import i18n
from ..stamp import FONT_NAMES, NAVY, _literal, _num, add_fonts, text_width
from . import frontmatter as fm
from .frontmatter import BODY, LINE, MM, PAD_X, PAD_Y, ROW_RULE

PAGE = (595.2756, 841.8898)  # A4
TOP, RIGHT, LEFT = 22 * MM, 20 * MM, 20 * MM  # @page margin
X0, X1 = LEFT + BODY, PAGE[0] - RIGHT - BODY  # the table's edges
HEAD_RULE = 1.2
ASCENT, DESCENT = 0.905, 0.212  # Liberation Sans, em
# a line box of LINE em puts the baseline at
BASELINE = (LINE - ASCENT - DESCENT) / 2 + ASCENT  # em below the line's top

INK = (0.106, 0.122, 0.141)  # #1b1f24 (NAVY, #1f3a5f, is the stamps')
MUTED = (0.357, 0.392, 0.439)  # #5b6470
SOFT = (0.231, 0.267, 0.314)  # #3b4450 (td.kind, tr.child)
RULE = (0.835, 0.855, 0.878)  # #d5dae0

# Characters Babel and the strings may write that the WinAnsi fonts lack, and what stands for them;
# control characters (a title's line break) are spaces, as HTML makes them, and a soft hyphen is dropped.
_STAND_INS = str.maketrans({"\u202f": "\u00a0", "\u2009": " ", "\u00ad": None, "\x7f": None,
                            **{chr(c): " " for c in range(32)}})


def _plain(text: str) -> str:
    """``text`` as the page shows it: composed (NFC), the stand-ins put in, white space collapsed as
    HTML does. Every text is made plain once, before it is measured or drawn."""
    return fm.collapse(unicodedata.normalize("NFC", text).translate(_STAND_INS))


def drawable(*texts: str) -> bool:
    """Whether the stamp fonts (WinAnsi) hold every character of ``texts``."""
    try:
        for t in texts:
            t.translate(_STAND_INS).encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def draw_index(context: dict[str, Any], target: Path, *, lang: str) -> int | None:
    """Draw the index (frontmatter.index_context) into ``target``; its page count, or None when a text
    of it is not WinAnsi (nothing is written then)."""
    t = lambda key, **kw: i18n.text(lang, key, **kw)  # noqa: E731
    rows = context["rows"]
    volumes = context["volumes"]
    case, creditor, debtor = context["case"], context["creditor"], context["debtor"]
    head = [t("index.title"),
            f"{case.reference} — {case.court}" if case.court else case.reference,
            f"{creditor.name} / {debtor.name}",
            t("index.subtitle")]
    columns = [t("index.number"), t("index.piece"), t("index.date"), t("index.kind"), t("index.pages")]
    if volumes:
        columns.append(t("volumes.column"))
    foot = [f"{t('cover.exhibits_value', n=context['exhibit_count'], pages=context['total_pages'])} — "
            f"{t('cover.date', date=i18n.format_date(context['as_of'], lang, 'long'))}"]
    if context["ocr_pages"]:
        foot.append(t("index.ocr", pages=context["ocr_pages"]))
    rep = context["representative"]
    if rep:
        foot.append(", ".join(x for x in (rep.name, rep.firm, rep.bar) if x))
    cells = []
    for r in rows:
        kind = t("index.attachment") if r["child"] else i18n.kind_label(r["kind"], lang)
        pages = (t("index.page_range", first=r["first"], last=r["last"]) if r["last"] > r["first"]
                 else t("index.page_single", first=r["first"]))
        date = i18n.format_date(r["date"], lang, "medium") if r["date"] else ""
        volume = str(r["volume"]) if volumes and r["volume"] is not None else ""
        cells.append((r["label"], r["title"], date, kind, pages, volume))
    head, columns, foot = ([_plain(x) for x in xs] for xs in (head, columns, foot))
    cells = [tuple(_plain(c) for c in row) for row in cells]
    if not drawable(*head, *columns, *foot, *(c for row in cells for c in row)):
        return None

    layout = fm.Layout(volumes=volumes, deep=context["deep"])

    def lines(text: str, size: float) -> list[str]:
        return fm.wrap(text, X1 - X0, size, break_words=True, lang=lang)

    ref_lines = [line for text in head[1:3] for line in lines(text, 10.0)]
    head_height = fm.HEAD + (len(ref_lines) - 2) * 10.0 * LINE  # a court's or a party's long name wraps
    laid = [fm.row_lines(c[1], c[3], r["level"], layout, break_words=True, lang=lang) for r, c in zip(rows, cells)]
    starts, room = fm.page_starts([height for _, _, height in laid], head=head_height)
    foot_lines = [line for text in foot for line in lines(text, 8.5)]
    foot_on_new_page = room < fm.FOOT_MARGIN + len(foot_lines) * fm.FOOT_LINE

    import pikepdf
    from pikepdf import Array, Dictionary, Name

    pdf = pikepdf.new()
    fonts = add_fonts(pdf)
    resources = pdf.make_indirect(Dictionary(Font=Dictionary({FONT_NAMES[s]: f for s, f in fonts.items()})))
    columns_at = layout.cells(X0)
    bounds = starts[1:] + [len(rows)]
    pages: list[tuple[bytes, list]] = []
    for number, (first, stop) in enumerate(zip(starts, bounds)):
        ops = _Ops()
        y = PAGE[1] - TOP
        if number == 0:  # the head (HEAD: WeasyPrint's, the body's own top margin included)
            y = _draw_head(ops, head[0], ref_lines, lines(head[3], 8.5), y, head_height)
        y = _draw_header_row(ops, columns_at, columns, y)
        links = []
        for i in range(first, stop):
            height = _draw_row(ops, columns_at, rows[i]["level"], cells[i], laid[i], y)
            links.append((rows[i]["href"], [X0, y - height, X1, y]))
            y -= height
        if number == len(starts) - 1 and not foot_on_new_page:
            _draw_foot(ops, foot_lines, y - fm.FOOT_MARGIN)
        pages.append((ops.data(), links))
    if foot_on_new_page:
        ops = _Ops()
        _draw_foot(ops, foot_lines, PAGE[1] - TOP)
        pages.append((ops.data(), []))
    for content, links in pages:
        page = pdf.add_blank_page(page_size=PAGE)
        page.obj.Resources = resources
        page.obj.Contents = pdf.make_stream(content)
        if links:
            page.obj.Annots = pdf.make_indirect(Array([pdf.make_indirect(Dictionary(
                Type=Name.Annot, Subtype=Name.Link, Rect=Array([round(v, 2) for v in rect]), F=4,
                Border=Array([0, 0, 0]), A=Dictionary(S=Name.URI, URI=pikepdf.String(href)),
            )) for href, rect in links]))
    try:  # into the build's own temporary folder, as WeasyPrint's pages are
        pdf.save(target, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
    finally:
        pdf.close()
    return len(pages)


class _Ops:
    """A page's content stream, written as bytes (as stamp.py writes the stamps)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def text(self, value: str, x: float, baseline: float, size: float, bold: bool, color: tuple,
             spacing: float = 0.0, words: float = 0.0, kerned: bool = False) -> None:
        """``spacing``: letter-spacing (Tc); ``words``: what each space is widened by (Tw: justified
        text). Both are graphics state, which BT and ET keep: saved and restored around the text.
        ``kerned``: with the font's kerning (stamp.kerning), as WeasyPrint draws text."""
        if not value:
            return
        font = FONT_NAMES["bold" if bold else "regular"]
        if kerned:
            from ..stamp import kerned_array

            shown = kerned_array(value, "bold" if bold else "regular") + b" TJ\n"
        else:
            shown = _literal(value) + b" Tj\n"
        state = (f"{_num(spacing)} Tc\n" if spacing else "") + (f"{_num(round(words, 3))} Tw\n" if words else "")
        self.parts.append(
            f"{'q' + chr(10) if state else ''}BT\n{' '.join(map(_num, color))} rg\n{state}{font} {_num(size)} Tf\n"
            f"1 0 0 1 {_num(round(x, 2))} {_num(round(baseline, 2))} Tm\n".encode() + shown
            + (b"ET\nQ\n" if state else b"ET\n"))

    def rule(self, x0: float, x1: float, y: float, width: float, color: tuple) -> None:
        self.parts.append(f"{' '.join(map(_num, color))} RG\n{_num(width)} w\n{_num(round(x0, 2))} {_num(round(y, 2))} m\n"
                          f"{_num(round(x1, 2))} {_num(round(y, 2))} l\nS\n".encode())

    def data(self) -> bytes:
        return b"".join(self.parts)


def _right(text: str, x: float, width: float, size: float) -> float:
    """Where a right-aligned text begins; one wider than its cell overflows to the right, as in CSS
    (white-space: nowrap), over the cell's padding rather than over the column before it."""
    return x + max(0.0, width - text_width(text, "regular", size))


def _draw_head(ops: _Ops, title: str, refs: list[str], subtitle: list[str], y: float, height: float) -> float:
    """The title, the reference lines and the subtitle (.index-head): the table's top below them."""
    top = y
    ops.text(title, X0, y - BASELINE * 20, 20.0, True, NAVY, spacing=0.2)  # h1: 20 pt, letter-spacing 0.2 pt
    y -= 20 * LINE + 4 * MM
    for line in refs:
        ops.text(line, X0, y - BASELINE * 10, 10.0, False, MUTED)
        y -= 10 * LINE
    y -= 1.5 * MM
    for line in subtitle:
        ops.text(line, X0, y - BASELINE * 8.5, 8.5, False, MUTED)
        y -= 8.5 * LINE
    return top - height


def _draw_header_row(ops: _Ops, columns_at: list, columns: list[str], y: float) -> float:
    """The repeated header row (th: 8.5 pt, muted, a navy rule under it)."""
    baseline = y - PAD_X - BASELINE * 8.5  # th padding: 1.5 mm all round
    for (x, width, right), label in zip(columns_at, columns):
        ops.text(label, _right(label, x, width, 8.5) if right else x, baseline, 8.5, False, MUTED)
    bottom = y - fm.THEAD
    ops.rule(X0, X1, bottom + HEAD_RULE / 2, HEAD_RULE, NAVY)
    return bottom


def _draw_row(ops: _Ops, columns_at: list, level: int, cells: tuple[str, ...], laid: tuple, y: float) -> float:
    """One row (td: padding 1.8 mm by 1.5 mm, top-aligned, a light rule under it), its title and
    kind in the lines fm.row_lines broke them into; its height."""
    size = 9.0 if level else 10.0
    label, _title, date, _kind, pages, volume = cells
    titles, kinds, height = laid
    (nx, _, _), (tx, _, _), (dx, _, _), (kx, _, _), (px, pages_width, _), *vol = columns_at
    title_indent = fm.title_indent(level)
    baseline = y - PAD_Y - BASELINE * size
    step = size * LINE
    number_indent = (5 + 2.5 * (level - 1)) * MM - PAD_X if level else 0.0  # tr.child td.no, deeper levels
    ops.text(label, nx + number_indent, baseline, size, not level, NAVY)
    for n, line in enumerate(titles):
        ops.text(line, tx + title_indent, baseline - n * step, size, False, NAVY)
    ops.text(date, dx, baseline, size, False, SOFT if level else INK)
    for n, line in enumerate(kinds):
        ops.text(line, kx, baseline - n * step, size, False, SOFT)
    ops.text(pages, _right(pages, px, pages_width, size), baseline, size, False, NAVY)
    if vol:
        vx, vw, _ = vol[0]
        ops.text(volume, _right(volume, vx, vw, size), baseline, size, False, SOFT if level else INK)
    ops.rule(X0, X1, y - height + ROW_RULE / 2, ROW_RULE, RULE)
    return height


def _draw_foot(ops: _Ops, lines: list[str], y: float) -> None:
    """The lines under the table (.index-foot: 8.5 pt, muted)."""
    for line in lines:
        ops.text(line, X0, y - BASELINE * 8.5, 8.5, False, MUTED)
        y -= 8.5 * LINE
