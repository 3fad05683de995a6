"""Exhibit stamps: a small content stream per page, in an embedded font, in a band added below the
page so that the stamp never covers the page's own content.

The band is added at the page's *visual* bottom: for a page with ``/Rotate 90`` that is the right edge
of its MediaBox, and the text is drawn rotated so that it reads upright on screen and on paper. The
original content is wrapped in ``q … Q`` so that its graphics state cannot leak into the stamp.
Annotations keep their coordinates: the page box only grows.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

from .resources import packed, read_cached, templates_root, unpacked, user_cache, write_cached

BAND = 20.0  # points added at the visual bottom of every page
MARGIN = 18.0
SIZE = 8.5
NAVY = (0.122, 0.227, 0.373)
GREY = (0.36, 0.39, 0.44)
FONT_NAMES = {"bold": "/RDStampB", "regular": "/RDStampR"}
_FILES = {"bold": "LiberationSans-Bold.ttf", "regular": "LiberationSans-Regular.ttf"}
# WinAnsiEncoding (cp1252) codes 32..255 that are defined.
_CODES = [c for c in range(32, 256) if c != 127 and c not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)]


@dataclass(frozen=True)
class FontProgram:
    data: bytes
    name: str
    widths: tuple[int, ...]  # for codes 32..255, in 1/1000 em
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    cap_height: int


_PROGRAMS: dict[str, FontProgram] = {}


# What the subsets are made with besides the font file and fontTools: bumped when _subset changes.
_SUBSET_FORMAT = 2


def font_program(style: str, cache: Path | None = None) -> FontProgram:
    """A WinAnsi subset of Liberation Sans (deterministic: no timestamp is recomputed). Subsetting takes
    about 0.35 s a font, the same for every case: the result is kept for the process, and in this
    user's cache (resources.user_cache), else in ``cache`` (a build's out/.cache), keyed by the font
    file, the codes, the fontTools version and _SUBSET_FORMAT. A stored subset that is not what
    _subset makes (cut short, edited) is made again."""
    if style in _PROGRAMS:
        return _PROGRAMS[style]
    import fontTools

    path = templates_root() / "shared" / "fonts" / _FILES[style]
    material = path.read_bytes() + bytes(_CODES) + f"\0{fontTools.version}\0{_SUBSET_FORMAT}".encode()
    name = f"stamp-font-{style}-{hashlib.sha256(material).hexdigest()[:20]}.json"
    folders = [f for f in (user_cache(), cache) if f is not None]
    program = read_cached(name, folders, _stored_program)
    if program is not None:
        _PROGRAMS[style] = program
        return program
    _PROGRAMS[style] = program = _subset(path)
    write_cached(name, {**dataclasses.asdict(program), **packed(program.data)}, folders)
    return program


def _stored_program(fields: dict) -> FontProgram:
    """The FontProgram of a cache file's fields; ValueError if they are not the shape _subset gives."""
    data = unpacked(fields)
    widths, bbox = tuple(fields["widths"]), tuple(fields["bbox"])
    numbers = (*widths, *bbox, fields["ascent"], fields["descent"], fields["cap_height"])
    if (len(widths) != len(range(32, 256)) or len(bbox) != 4
            or not isinstance(fields["name"], str) or not all(type(n) is int for n in numbers)):
        raise ValueError("not a stamp font subset")
    return FontProgram(data=data, name=fields["name"], widths=widths, bbox=bbox, ascent=fields["ascent"],
                       descent=fields["descent"], cap_height=fields["cap_height"])


def font_programs(cache: Path | None) -> list[FontProgram]:
    """Both stamp fonts' programs (font_program), in a fixed order."""
    return [font_program(style, cache) for style in _FILES]


def _subset(path: Path) -> FontProgram:
    from .pdfa import font_metrics, liberation_subset

    font = liberation_subset(path, [ord(bytes([c]).decode("cp1252")) for c in _CODES])
    cmap = font.getBestCmap()
    hmtx = font["hmtx"]
    scale = 1000 / font["head"].unitsPerEm
    widths = []
    for code in range(32, 256):
        glyph = cmap.get(ord(bytes([code]).decode("cp1252", "replace"))) if code in _CODES else None
        widths.append(round(hmtx[glyph][0] * scale) if glyph else 0)
    out = io.BytesIO()
    font.save(out, reorderTables=True)
    metrics = font_metrics(font)  # after the save, which sets the subset's bounding box
    return FontProgram(
        data=out.getvalue(),
        name=font["name"].getDebugName(6) or "LiberationSans",
        widths=tuple(widths),
        bbox=tuple(metrics["bbox"]),  # type: ignore[arg-type]
        ascent=metrics["ascent"],
        descent=metrics["descent"],
        cap_height=metrics["cap_height"],
    )


@lru_cache(maxsize=1)
def to_unicode_cmap() -> bytes:
    """A ToUnicode CMap for the WinAnsi codes the stamp fonts carry, so that every reader extracts the
    stamp's text (label, reference, page number) the same way, whatever it guesses from the encoding."""
    from .pdfa import to_unicode_cmap as cmap

    return cmap({c: ord(bytes([c]).decode("cp1252")) for c in _CODES})


def add_fonts(pdf: pikepdf.Pdf, cache: Path | None = None) -> dict[str, pikepdf.Object]:
    """Embed the stamp fonts once in ``pdf``; returns the indirect font dictionaries by style."""
    fonts = {}
    to_unicode = pdf.make_indirect(pikepdf.Stream(pdf, to_unicode_cmap()))
    for style in ("bold", "regular"):
        prog = font_program(style, cache)
        stream = pikepdf.Stream(pdf, prog.data)
        stream.Length1 = len(prog.data)
        base = Name("/RDSTMP+" + prog.name.replace(" ", ""))
        descriptor = pdf.make_indirect(
            Dictionary(
                Type=Name.FontDescriptor,
                FontName=base,
                Flags=32,
                FontBBox=Array(list(prog.bbox)),
                ItalicAngle=0,
                Ascent=prog.ascent,
                Descent=prog.descent,
                CapHeight=prog.cap_height,
                StemV=120 if style == "bold" else 80,
                FontFile2=pdf.make_indirect(stream),
            )
        )
        fonts[style] = pdf.make_indirect(
            Dictionary(
                Type=Name.Font,
                Subtype=Name.TrueType,
                BaseFont=base,
                FirstChar=32,
                LastChar=255,
                Widths=Array(list(prog.widths)),
                Encoding=Name.WinAnsiEncoding,
                FontDescriptor=descriptor,
                ToUnicode=to_unicode,
            )
        )
    return fonts


def encode(text: str) -> bytes:
    return text.encode("cp1252", "replace")


@lru_cache(maxsize=4096)
def text_width(text: str, style: str, size: float) -> float:
    prog = font_program(style)
    return sum(prog.widths[b - 32] if b >= 32 else 0 for b in encode(text)) * size / 1000


@lru_cache(maxsize=2)
def kerning(style: str) -> dict[tuple[int, int], int]:
    """The kerning pairs of the stamp font ``style``, by WinAnsi codes, in 1/1000 em: Liberation Sans's
    'kern' table (the pairs WeasyPrint's HarfBuzz applies), for the text drawn without WeasyPrint
    (render/drawn_form.py). Some 0.07 s a font, once a process."""
    from fontTools.ttLib import TTFont

    font = TTFont(templates_root() / "shared" / "fonts" / _FILES[style], lazy=True)
    cmap = font.getBestCmap()
    glyph_code = {}
    for code in _CODES:
        glyph = cmap.get(ord(bytes([code]).decode("cp1252")))
        if glyph is not None:
            glyph_code.setdefault(glyph, []).append(code)
    scale = 1000 / font["head"].unitsPerEm
    pairs: dict[tuple[int, int], int] = {}
    for table in font["kern"].kernTables if "kern" in font else []:
        for (left, right), value in getattr(table, "kernTable", {}).items():
            for a in glyph_code.get(left, ()):
                for b in glyph_code.get(right, ()):
                    pairs[(a, b)] = round(value * scale)
    return pairs


@lru_cache(maxsize=4096)
def kerned_width(text: str, style: str, size: float) -> float:
    """text_width with the font's kerning (kerning)."""
    pairs = kerning(style)
    raw = encode(text)
    return text_width(text, style, size) + sum(pairs.get(ab, 0) for ab in zip(raw, raw[1:])) * size / 1000


def kerned_array(text: str, style: str) -> bytes:
    """``text`` as the operand of TJ: its strings, with the kerning between them (in 1/1000 em, the
    other way round: TJ moves the next glyph left by a positive number)."""
    pairs = kerning(style)
    raw = encode(text)
    parts, start = [], 0
    for i in range(1, len(raw)):
        value = pairs.get((raw[i - 1], raw[i]))
        if value:
            parts.append(_escaped(raw[start:i]) + f" {-value} ".encode())
            start = i
    parts.append(_escaped(raw[start:]))
    return b"[" + b"".join(parts) + b"]"


def _escaped(raw: bytes) -> bytes:
    """A PDF literal string of the bytes ``raw``."""
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)").replace(b"\r", b"\\r") + b")"


def _box(page: pikepdf.Page, key: str) -> list[float] | None:
    value = page.obj.get(key)
    if value is None:
        return None
    x0, y0, x1, y1 = (float(v) for v in value)
    return [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]


@lru_cache(maxsize=4096)
def _fit(text: str, style: str, size: float, room: float) -> str:
    if text_width(text, style, size) <= room:
        return text
    while text and text_width(text + "…", style, size) > room:
        text = text[:-1]
    return text.rstrip() + "…" if text else ""


@lru_cache(maxsize=256)
def _band(x0: float, y0: float, x1: float, y1: float, rotate: int) -> tuple[bytes, float]:
    """The start of a stamp (its white band and rule) for a band from (x0, y0) to (x1, y1) on a page
    turned by ``rotate``, and the band's width: the same for most pages of a bundle (made once)."""
    # user-space origin and axes of the band's visual coordinates (u to the right, v up, on screen)
    width = (x1 - x0) if rotate in (0, 180) else (y1 - y0)
    matrix = {
        0: (1, 0, 0, 1, x0, y0),
        90: (0, 1, -1, 0, x1, y0),
        180: (-1, 0, 0, -1, x1, y1),
        270: (0, -1, 1, 0, x0, y1),
    }[rotate]
    navy = " ".join(map(_num, NAVY))
    return (b"\nQ\nq\n"
            + f"{' '.join(map(_num, matrix))} cm\n1 1 1 rg\n0 0 {_num(width)} {_num(BAND)} re\nf\n".encode()
            + f"{navy} RG\n0.5 w\n{_num(MARGIN)} {_num(BAND - 0.5)} m\n{_num(width - MARGIN)} {_num(BAND - 0.5)} l\nS\n".encode(),
            width)


@lru_cache(maxsize=4096)
def _text(value: str, style: str, size: float, x: float, color: str) -> bytes:
    """The text operators of one of a stamp's three parts ('' writes nothing)."""
    if not value:
        return b""
    rgb = " ".join(map(_num, NAVY if color == "navy" else GREY))
    baseline = _num(round((BAND - SIZE * 0.7) / 2, 2))
    return (f"BT\n{rgb} rg\n{FONT_NAMES[style]} {_num(size)} Tf\n1 0 0 1 {_num(round(x, 2))} {baseline} Tm\n".encode()
            + _literal(value) + b" Tj\nET\n")


def _num(value: float) -> str:
    """A number as content streams write it: at most 4 decimals, no trailing zeros, no '-0'."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _literal(text: str) -> bytes:
    """A PDF literal string of the cp1252 bytes of ``text``."""
    return _escaped(encode(text))


def stamp_page(pdf: pikepdf.Pdf, page: pikepdf.Page, *, left: str, center: str, right: str,
               push: pikepdf.Object | None = None) -> None:
    """Grow ``page`` by a band at its visual bottom and write ``left | center | right`` in it.

    The content is written as bytes directly (PERF.md: content-stream stamps cost about 0.04 ms a
    page). ``push``: the ``q`` stream put before the page's own content, one for every page of a PDF
    (Stamper makes it once)."""
    media = _box(page, "/MediaBox") or [0.0, 0.0, 612.0, 792.0]
    crop = _box(page, "/CropBox")
    if crop is not None:  # the visible area is the crop box, clipped to the media box
        crop = [max(crop[0], media[0]), max(crop[1], media[1]), min(crop[2], media[2]), min(crop[3], media[3])]
        if crop[2] <= crop[0] or crop[3] <= crop[1]:
            crop = None
    box = list(crop or media)
    rotate = int(page.obj.get("/Rotate", 0)) % 360
    x0, y0, x1, y1 = box
    if rotate == 0:
        y0 -= BAND
    elif rotate == 90:
        x1 += BAND
    elif rotate == 180:
        y1 += BAND
    else:
        x0 -= BAND
    new = [x0, y0, x1, y1]
    page.obj.MediaBox = Array([min(media[0], x0), min(media[1], y0), max(media[2], x1), max(media[3], y1)])
    if crop is not None:
        page.obj.CropBox = Array(new)
    prefix, width = _band(x0, y0, x1, y1, rotate)
    room = (width - 2 * MARGIN) / 3
    left = _fit(left, "bold", SIZE, room * 1.2)
    right = _fit(right, "regular", SIZE, room * 0.8)
    center = _fit(center, "regular", SIZE - 0.5, room)
    parts = [
        prefix,
        _text(left, "bold", SIZE, MARGIN, "navy"),
        _text(center, "regular", SIZE - 0.5, (width - text_width(center, "regular", SIZE - 0.5)) / 2, "grey"),
        _text(right, "regular", SIZE, width - MARGIN - text_width(right, "regular", SIZE), "navy"),
        b"Q\n",
    ]
    page.contents_add(push if push is not None else pikepdf.Stream(pdf, b"q\n"), prepend=True)
    page.contents_add(pikepdf.Stream(pdf, b"".join(parts)), prepend=False)


class Stamper:
    """Stamps the pages of one PDF: the fonts embedded once, one shared ``q`` stream."""

    def __init__(self, pdf: pikepdf.Pdf, cache: Path | None = None):
        self.pdf = pdf
        self.fonts = add_fonts(pdf, cache)
        self.push = pdf.make_indirect(pikepdf.Stream(pdf, b"q\n"))

    def stamp(self, page: pikepdf.Page, *, left: str, center: str, right: str) -> None:
        install_fonts(page, self.fonts)
        stamp_page(self.pdf, page, left=left, center=center, right=right, push=self.push)


def install_fonts(page: pikepdf.Page, fonts: dict[str, pikepdf.Object]) -> None:
    for style, font in fonts.items():
        page.add_resource(font, Name.Font, Name(FONT_NAMES[style]))
