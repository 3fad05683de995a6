"""The cover page and the index (bordereau de pièces / list of exhibits / Anlagenverzeichnis)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
from collections import defaultdict
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..check import procedures
from ..models import Case
from ..resources import templates_root
from . import environment
from .pdf import cached_file, html_to_pdf

log = logging.getLogger(__name__)


def _roots(case_root: Path | None) -> list[Path]:
    roots = [templates_root()]
    if case_root is not None and (case_root / "templates").is_dir():
        roots.append(case_root / "templates")
    return roots


def render_to_pdf(name: str, context: dict[str, Any], target: Path, *, lang: str, case_root: Path | None) -> int:
    html = environment.render(name, context, lang, case_root)
    base = templates_root() / "shared"
    return html_to_pdf(html, target, base_dir=base, roots=_roots(case_root), lang=lang).pages


# The shipped index is drawn (render.drawn: some 0.1 s for 400 rows). What follows is for the index
# WeasyPrint lays out: a firm's own index.html or style.css, or a text the stamp fonts lack.
#
# A long index is laid out in parts of INDEX_PART_ROWS rows, each by a render of its own: WeasyPrint
# holds every box of a document until it is written (some 120 KiB a row of the index: 50 MiB for 400
# rows, 25 MiB a part), and the memory of one part is freed before the next (issue 8: peak RSS, flat from 4,000 to
# 10,000 pages). Each part but the last is written without its last page, whose rows begin the next
# part: every page is then laid out as one long table would be — full pages, the header row repeated.
#
# Where a part begins is known once the part before it is laid out, which would make the parts one
# after the other, on one core. They are laid out side by side instead, each from the row the
# estimate below (_page_starts) says its previous part's last page begins with. The guess is checked
# against the real layout: a part that began at another row is laid out again from the right one,
# so the index is the same either way; only the time differs (the estimate is exact on the bench's
# 400 and 1,000 exhibits).
INDEX_PART_ROWS = 200


def shipped(name: str, lang: str, case_root: Path | None) -> bool:
    """Whether the template ``name`` a render would use is the one recouvre-docs ships (not a firm's)."""
    return environment.template_path(name, lang, case_root) == templates_root() / "shared" / name


def render_index(context: dict[str, Any], target: Path, *, lang: str, case_root: Path | None) -> int:
    """The index (index_context) into ``target``; its page count."""
    rows = context["rows"]
    shipped_index = shipped("index.html", lang, case_root)
    if shipped_index and shipped("style.css", lang, case_root):  # the design drawn is that of both
        from . import drawn

        pages = drawn.draw_index(context, target, lang=lang)
        if pages is not None:
            log.debug("index drawn: %d rows, pages: %d", len(rows), pages)
            return pages
        log.debug("index: a text is not in the fonts' WinAnsi characters: laid out by WeasyPrint")
    if len(rows) <= INDEX_PART_ROWS or not shipped_index:  # a firm's own index.html may not know head and foot
        return render_to_pdf("index.html", context, target, lang=lang, case_root=case_root)
    from concurrent.futures import Future

    from .. import bundle
    from .pdf import RenderScope, concurrent_renders, render_scope

    where = {r["href"]: i for i, r in enumerate(rows)}
    base = templates_root() / "shared"

    def part_file(start: int, stop: int) -> Path:
        return target.with_name(f"{target.stem}.rows{start}-{stop}.pdf")

    def lay_out(start: int, stop: int) -> tuple[Path, Any]:
        last = stop == len(rows)
        html = environment.render("index.html", {**context, "rows": rows[start:stop], "head": start == 0,
                                                 "foot": last}, lang, case_root)
        part = part_file(start, stop)
        return part, html_to_pdf(html, part, base_dir=base, roots=_roots(case_root), lang=lang, hold_last_page=not last)

    workers = concurrent_renders()
    chain: list[tuple[int, int]] = []  # the parts (first row, row after the last) where the estimate puts them
    if workers > 1:
        start = 0
        starts = _page_starts([(r["title"], r["kind"], r["level"]) for r in rows], lang, context["volumes"])[0]
        while start < len(rows):
            stop = min(start + INDEX_PART_ROWS, len(rows))
            chain.append((start, stop))
            last_page = [i for i in starts if start < i < stop]  # where the page of the part's last rows begins
            start = max(last_page) if last_page and stop < len(rows) else stop
    guesses = RenderScope()  # the parts laid out ahead, as many as there are cores: stopped if not taken
    laid_out: dict[tuple[int, int], Future] = {}

    def send_ahead(position: int) -> None:
        for key in chain[position:position + workers]:
            if key not in laid_out:
                laid_out[key] = guesses.beside(lay_out, *key)

    parts: list[Path] = []
    pages = 0
    with render_scope():  # an error or Ctrl-C here stops the parts under way
        try:
            start = 0
            send_ahead(0)
            while start < len(rows):
                stop = min(start + INDEX_PART_ROWS, len(rows))
                future = laid_out.pop((start, stop), None)
                if future is not None:
                    part, result = future.result()
                else:  # the estimate was wrong here (or there is no guessing): from now on one part at a time
                    chain.clear()
                    guesses.abort()
                    part, result = lay_out(start, stop)
                parts.append(part)
                pages += result.pages
                held = [where[h] for h in result.held_links if where.get(h, -1) > start]
                start = min(held) if held else stop  # the held page's first row opens the next part
                if len(parts) < len(chain) and chain[len(parts)][0] == start:  # guessed right: more sent ahead
                    send_ahead(len(parts))
            guesses.abort()
            for key, future in laid_out.items():  # the guesses not taken: stopped, or laid out before the abort
                future.exception()  # its end, either way
                part_file(*key).unlink(missing_ok=True)
            # joined by qpdf (no PDF objects in this process); a rebuild whose parts are unchanged takes the
            # joined file from the render cache (0.15 s of qpdf on 400 rows)
            from .. import __version__

            material = hashlib.sha256(f"index parts 1\0{__version__}\0{bundle.qpdf_version()}\0".encode())
            for part in parts:
                material.update(hashlib.sha256(part.read_bytes()).digest())

            def join(into: Path) -> None:
                tmp = into.with_name(into.name + ".tmp")
                bundle.concatenate(parts, tmp, into.parent)
                os.replace(tmp, into)

            cached_file(material.digest(), ".pdf", target, join)
        finally:
            for part in parts:
                part.unlink(missing_ok=True)
    return pages


def volume_covers_context(case: Case, *, lang: str, volumes: list[dict[str, Any]], volume_count: int,
                          total_pages: int) -> dict[str, Any]:
    """The covers of volumes 2, 3…: ``volumes`` holds number, exhibits (text), first and last page."""
    return {"case": case.case, "creditor": case.creditor, "debtor": case.debtor, "volumes": volumes,
            "volume_count": volume_count, "total_pages": total_pages}


def amounts(case: Case) -> dict[str, dict[str, Decimal]]:
    """Invoiced, paid and outstanding principal per currency (plain arithmetic, no interest)."""
    currency_of = {inv.number: inv.currency for inv in case.invoice}
    default = case.invoice[0].currency if case.invoice else "EUR"
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"invoiced": Decimal("0.00"), "paid": Decimal("0.00")})
    for inv in case.invoice:
        totals[inv.currency]["invoiced"] += inv.amount
    for pay in case.payment:
        cur = pay.currency or currency_of.get(pay.invoice or "", default)
        totals[cur]["paid"] += pay.amount
    for t in totals.values():
        t["balance"] = t["invoiced"] - t["paid"]
    return dict(sorted(totals.items()))


def cover_context(case: Case, *, lang: str, procedure: str | None, as_of: dt.date, exhibits: int, pages: int,
                  findings: list[str], claim: Any = None) -> dict[str, Any]:
    rep = case.representative
    prepared_by = (f"{rep.name}, {rep.firm}" if rep.firm else rep.name) if rep else case.creditor.name
    return {
        "case": case.case,
        "creditor": case.creditor,
        "debtor": case.debtor,
        "representative": rep,
        "invoices": case.invoice,
        "amounts": amounts(case),
        "procedure_title": procedures.load(procedure).title[lang] if procedure else None,
        "as_of": as_of,
        "exhibit_count": exhibits,
        "page_count": pages,
        "prepared_by": prepared_by,
        "findings": findings,
        "claim": None if claim is None else {
            "currency": claim.currency, "as_of": claim.as_of, "principal": claim.principal_outstanding,
            "interest": claim.interest_outstanding, "fixed": claim.fixed_outstanding, "total": claim.total,
        },
    }


def index_context(case: Case, entries: list[Any], *, as_of: dt.date, link_scheme: str, total_pages: int,
                  volume_of: dict[str, int] | None = None) -> dict[str, Any]:
    """``volume_of``: exhibit number -> volume, when the bundle is split (the index then says where each is)."""
    return {
        "case": case.case,
        "creditor": case.creditor,
        "debtor": case.debtor,
        "representative": case.representative,
        "as_of": as_of,
        "rows": [
            {
                "key": e.key,
                "label": e.label,
                "title": e.title,
                "date": e.date,
                "kind": e.kind,
                "first": e.first,
                "last": e.last,
                "child": e.level > 0,
                "level": e.level,
                "href": link_scheme + e.key,
                "volume": (volume_of or {}).get(e.key.split(".")[0]),
            }
            for e in entries
        ],
        "volumes": bool(volume_of),
        "deep": any(e.level > 1 for e in entries),  # attachments of attachments: a wider first column
        "head": True,  # render_index lays a long index out in parts: the title on the first only
        "foot": True,  # and the closing lines on the last
        "exhibit_count": sum(1 for e in entries if e.level == 0),
        "exhibit_pages": sum(e.pages for e in entries),
        "total_pages": total_pages,
        "ocr_pages": ", ".join(str(e.first + n - 1) for e in entries for n in getattr(e, "ocr", ())),
    }


# ----------------------------------------------------------------------------------------------
# The index's length before it is laid out. The page of every exhibit, printed in the index, depends
# on the index's own length: a wrong guess costs a second layout (with WeasyPrint, PERF.md: 0.17-0.4 s
# a page, 2.4 s for 400 rows). The guess below lays the rows out the way the shipped style.css does —
# column widths, font sizes, padding, a line broken at spaces and after a hyphen before a letter
# (UAX #14) — with the metrics of Liberation Sans; the drawn index (render.drawn) is laid out by the
# same functions, so its guess is its layout. A firm's own index.html or style.css may lay it out
# otherwise: the guess is then only a guess, and the loop in api.build lays the index out again.

MM = 72 / 25.4
_PAGE_HEIGHT = (297 - 22 - 20) * MM  # @page A4, margins 22 mm and 20 mm
_TEXT_WIDTH = (210 - 20 - 20) * MM
_FIXED_COLUMNS = {"no": 24, "date": 23, "kind": 30, "pages": 15}  # mm (table.index th.* in style.css)
_DEEP_NUMBER_COLUMN = 34  # mm: table.index.deep th.no
_VOLUME_COLUMN = 12  # mm: table.index th.volume
PAD_X, PAD_Y, ROW_RULE = 1.5 * MM, 1.8 * MM, 0.5  # table.index td's padding and rule
BODY = 6.0  # the body's own margin (8 px) on each side: what the title column loses besides the others
LINE = 1.35  # line-height
_WHITE = re.compile(r"[ \t\r\n\f]+")
HEAD = 96.0  # title, reference lines and subtitle above the table (pt), measured on the shipped style
THEAD = 20.0  # the repeated header row (its 1.2 pt rule collapses with the first row's: measured)
FOOT_MARGIN, FOOT_LINE = 4 * MM, 8.5 * LINE  # .index-foot: the lines below the table


class Layout:
    """The columns of the index table (table.index in style.css, table-layout: fixed): N°, Pièce, Date,
    Nature, Pages, and Tome when the bundle is split; ``deep``: attachments of attachments, a wider N°."""

    def __init__(self, *, volumes: bool, deep: bool):
        fixed = dict(_FIXED_COLUMNS, no=_DEEP_NUMBER_COLUMN) if deep else dict(_FIXED_COLUMNS)
        if volumes:
            fixed["volume"] = _VOLUME_COLUMN
        others = sum(w * MM + 2 * PAD_X for w in fixed.values())
        self.title_width = _TEXT_WIDTH - 2 * BODY - others - 2 * PAD_X  # what the title column's text has
        self.kind_width = _FIXED_COLUMNS["kind"] * MM  # a th's width is its content's: the padding comes on top
        self._widths = [fixed["no"] * MM, self.title_width, fixed["date"] * MM, self.kind_width,
                        fixed["pages"] * MM] + ([fixed["volume"] * MM] if volumes else [])
        self._right = [False, False, False, False, True, True]

    def cells(self, x0: float) -> list[tuple[float, float, bool]]:
        """(x of the text, width of the text, aligned right) of each column, for a table from ``x0``."""
        out, x = [], x0
        for width, right in zip(self._widths, self._right):
            out.append((x + PAD_X, width, right))
            x += width + 2 * PAD_X
        return out


def title_indent(level: int) -> float:
    """What an attachment of an attachment's title is indented by (index.html: its padding-left)."""
    return 3 * (level - 1) * MM if level > 1 else 0.0


def row_height(lines: int, size: float) -> float:
    return lines * size * LINE + 2 * PAD_Y + ROW_RULE


def collapse(text: str) -> str:
    """White space as HTML shows it: each run one space, none at the ends (a no-break space kept)."""
    return _WHITE.sub(" ", text).strip(" ")


def row_lines(title: str, kind: str, level: int, layout: Layout, *, break_words: bool = False,
              lang: str | None = None) -> tuple[list[str], list[str], float]:
    """A row's title and kind (as printed) broken into lines, and the row's height."""
    size = 9.0 if level else 10.0
    titles = wrap(title, layout.title_width - title_indent(level), size, break_words=break_words, lang=lang)
    kinds = wrap(kind, layout.kind_width, size, break_words=break_words, lang=lang)
    return titles, kinds, row_height(max(len(titles), len(kinds)), size)


@lru_cache(maxsize=4)
def hyphenator(lang: str) -> Any:
    """pyphen's dictionary for ``lang``, as WeasyPrint hyphenates (hyphenate-limit-chars: auto: two
    letters at least on each side of a break), once a process."""
    import pyphen

    return pyphen.Pyphen(lang={"fr": "fr_FR", "en": "en_GB", "de": "de_DE"}.get(lang, lang), left=2, right=2)


def _break_word(piece: str, room: float, style: str, size: float, lang: str | None,
                text_width: Any = None) -> tuple[str, str]:
    """The start of a word too wide for ``room`` that fits it (with a hyphen where the language's
    hyphenation dictionary, pyphen's, allows one), and the rest; else cut where the width is full."""
    if text_width is None:
        from ..stamp import text_width

    word = piece.rstrip()
    if lang is not None:
        for start, rest in hyphenator(lang).iterate(word):  # the longest start first
            if text_width(start + "-", style, size) <= room:
                return start + "-", piece[len(start):]
    cut = 1
    while cut < len(piece) and text_width(piece[:cut + 1], style, size) <= room:
        cut += 1
    return piece[:cut], piece[cut:]


# No line break before these, even after a space (Unicode's line breaking, UAX #14 rule LB13, as Pango
# breaks WeasyPrint's lines): « échéant : 02 », « en cause ; », « (1) ».
_NO_BREAK_BEFORE = frozenset(";:!?,./)]}")


def wrap(text: str, width: float, size: float, bold: bool = False, break_words: bool = False,
         lang: str | None = None, kerned: bool = False) -> list[str]:
    """The lines ``text`` takes in ``width`` points, broken greedily at spaces and after a hyphen that a
    letter follows; white space collapsed as HTML does. A word longer than the width overflows on its
    line, as WeasyPrint lets it with style.css (overflow-wrap: normal); ``break_words`` (the drawn
    index): unless it would reach the next column's text (past the cells' paddings), where it is
    hyphenated as ``lang`` hyphenates it, else cut where it fills the width (a long reference).
    "Zahlungserinnerung" in 30 mm is not broken; "Geschäftsbedingungen" is "Geschäftsbedin-gungen".
    ``kerned``: measured with the font's kerning (render/drawn_form.py draws it so)."""
    from ..stamp import kerned_width, text_width

    if kerned:
        text_width = kerned_width

    style = "bold" if bold else "regular"
    text = collapse(text)
    pieces, current = [], ""
    for i, ch in enumerate(text):
        current += ch
        after = text[i + 1] if i + 1 < len(text) else ""
        if ch == " " and after not in _NO_BREAK_BEFORE or (ch == "-" and after.isalpha()):
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    lines: list[str] = []
    line, used = "", 0.0
    for piece in pieces:
        # kerned: the line measured whole (the kerning between a space and a word's first letter: " A")
        wider = text_width((line + piece).rstrip(), style, size) if kerned else used + text_width(piece.rstrip(), style, size)
        if line and wider > width:
            lines.append(line.rstrip())
            line, used = "", 0.0
        while break_words and not line and len(piece) > 1 and text_width(piece.rstrip(), style, size) > width + 2 * PAD_X:
            start, piece = _break_word(piece, width, style, size, lang, text_width)
            lines.append(start)
        line += piece
        used += text_width(piece, style, size)
    if line or not lines:
        lines.append(line.rstrip())
    return lines


def estimate_index_pages(entries: list[Any], lang: str, volumes: bool = False, foot_lines: int = 2) -> int:
    """How many pages the index of ``entries`` (bundle.plan's) takes with the shipped templates;
    ``foot_lines``: the lines below the table (counts and date; OCR pages; who prepared it)."""
    rows = [(e.title, e.kind, e.level) for e in entries]
    starts, room = _page_starts(rows, lang, volumes)
    return len(starts) + (1 if room < FOOT_MARGIN + foot_lines * FOOT_LINE else 0)


def _page_starts(rows: list[tuple[str, str, int]], lang: str, volumes: bool) -> tuple[list[int], float]:
    """The row each page of the index of ``rows`` (title, kind, level) begins with, and the room left
    on the last page (attachments of attachments: a wider number column, as index_context's "deep")."""
    from ..i18n import kind_label, text

    layout = Layout(volumes=volumes, deep=any(level > 1 for _, _, level in rows))
    heights = [row_lines(title, text(lang, "index.attachment") if level else kind_label(kind, lang), level, layout)[2]
               for title, kind, level in rows]
    return page_starts(heights)


def page_starts(heights: list[float], head: float = HEAD) -> tuple[list[int], float]:
    """The row each page begins with, for rows of ``heights`` below a head of ``head`` points, and
    the room left on the last page. A row taller than a page (a title of some 50 lines) is not split:
    it runs past the page's foot."""
    starts, room = [0], _PAGE_HEIGHT - head - THEAD
    for i, height in enumerate(heights):
        if height > room:
            starts.append(i)
            room = _PAGE_HEIGHT - THEAD
        room -= height
    return starts, room
