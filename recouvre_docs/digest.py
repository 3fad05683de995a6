"""Page digests: the SHA-256 of everything a page shows, recomputable from the PDF alone.

A page shows more than its content streams: the exhibit's own content sits in form XObjects and
images, its text in fonts, its look in graphics states, patterns and shadings, and its links and
annotations in their dictionaries and appearance streams. The digest covers the page's whole object
tree, recursively: its boxes, rotation and other keys (inherited ones included), its content, its
resources and its annotations, each stream by its decoded data. It is independent of how the file was
saved (object numbers, object streams, compression), so that ``verify`` can recompute it on the
file a recipient holds.

- A reference to a page (a link's destination, an annotation's /P) is hashed as that page's position
  in the file, never followed: retargeting a link changes the digest of the page holding it.
- The page tree, the catalog and the structure tree are not followed (they reach every page).
- An indirect object reached twice is hashed once (a bounded cache keyed by object number, so that a
  font shared by 400 pages is read once, and memory does not grow with the bundle); an object met
  again while it is being hashed (a cycle, e.g. a widget and its field) is hashed as a back-reference.
- Dictionary keys are taken in sorted order; every value is tagged with its type and length, so two
  different trees never feed the same bytes. Numbers are hashed by value (20 and 20.0 are the same
  number to a PDF reader, and a writer may print either).
- An invisible signature widget (a /Sig field with an empty rectangle, as ``build --sign`` adds) is
  left out: it shows nothing, and the signature it carries is checked on its own.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
from collections import OrderedDict
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Iterator, NamedTuple

import pikepdf
from pikepdf import Name

from . import __version__

_INHERITABLE = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")
_NOT_FOLLOWED = {"/Pages", "/Catalog", "/StructTreeRoot", "/StructElem", "/Outlines"}
_CODING = {"/Filter", "/DecodeParms", "/DL"}  # how stream data is coded: not what it is
_MAX_DEPTH = 200
_NUMBERS = re.compile(rb"\[( [-+]?[0-9]*\.?[0-9]+)* \]")  # qpdf's syntax of an array holding only numbers
_CACHE_SIZE = 4096


class DigestError(ValueError):
    """A page whose object tree cannot be hashed (nested deeper than any real PDF is)."""


@lru_cache(maxsize=_CACHE_SIZE)
def _real(value: int | Decimal | float) -> bytes:  # 20 and 20.0 are equal keys: they give the same bytes
    number = Decimal(str(value)).normalize()
    return str(number if number != 0 else Decimal(0)).encode()  # -0 is 0


def _numbers(raw: bytes) -> bytes | None:
    """What an array of numbers feeds the hash (each number by its value), or None if ``raw`` (its
    PDF syntax) holds anything else. Short ones cached: 4,000 pages repeat the same boxes and matrices."""
    if not _NUMBERS.fullmatch(raw):
        return None
    return _numbers_cached(raw) if len(raw) <= 256 else _numbers_fed(raw)


def _numbers_fed(raw: bytes) -> bytes:
    numbers = raw[1:-1].split()
    return b"[" + str(len(numbers)).encode() + b":" + b"".join(map(_number, numbers)) + b"]"


@lru_cache(maxsize=_CACHE_SIZE)
def _number(token: bytes) -> bytes:  # a font's 224 widths take a few dozen values
    return b"R" + _real(Decimal(token.decode())) + b";"


_numbers_cached = lru_cache(maxsize=_CACHE_SIZE)(_numbers_fed)


def _tagged(tag: bytes, data: bytes) -> bytes:
    return tag + str(len(data)).encode() + b":" + data


def _is_invisible_signature(annot: pikepdf.Object) -> bool:
    if not isinstance(annot, pikepdf.Dictionary) or annot.get("/Subtype") != Name.Widget:
        return False
    field = annot if "/FT" in annot else annot.get("/Parent")
    if not isinstance(field, pikepdf.Dictionary) or field.get("/FT") != Name.Sig:
        return False
    rect = annot.get("/Rect")
    if rect is None or len(rect) != 4:
        return True
    x0, y0, x1, y1 = (float(v) for v in rect)
    return abs(x1 - x0) < 1e-6 or abs(y1 - y0) < 1e-6


class Known(NamedTuple):
    """What stream_table read of one stream of a file, ahead of the pass that digests its pages."""

    data: bytes  # the SHA-256 of the data Digester hashes: decoded, or as coded where qpdf cannot decode it
    decoded: bool
    unfiltered: bool  # no /Filter: pdfa.unambiguous_stream_ends compresses it
    ends_cr: bool  # its coded data ends with a carriage return: unambiguous_stream_ends appends a LF


def _stream_data(obj: pikepdf.Stream) -> tuple[bytes, bool]:
    try:
        return obj.read_bytes(), True
    except pikepdf.PdfError:  # an image coding (DCT, JBIG2, JPX…): hashed as coded, with its filters
        return obj.read_raw_bytes(), False


class Digester:
    """Digests of the pages of one open PDF (one instance per pass, pages in any order).

    ``known``: stream_table of the file ``pdf`` was opened from, read by another process while this
    one did other work: the data of a stream in it is not read again, unless its object number is in
    ``changed`` (its data was rewritten since)."""

    def __init__(self, pdf: pikepdf.Pdf, known: dict[tuple[int, int], Known] | None = None,
                 changed: set[tuple[int, int]] | frozenset = frozenset(), offset: int = 0):
        self.pdf = pdf
        self.known = known or {}
        self.changed = changed
        # a reference to a page is digested as its position: ``offset``, the pages that will come
        # before these (the exhibits' pages digested before the front pages are put before them)
        self.positions = {page.obj.objgen: n + offset for n, page in enumerate(pdf.pages)}
        self.cache: OrderedDict[tuple[int, int], bytes] = OrderedDict()
        self.on_stack: dict[tuple[int, int], int] = {}
        self.lowest = _MAX_DEPTH + 1  # the highest ancestor a back-reference of the current subtree points to

    # ------------------------------------------------------------------------------------------
    def page(self, index: int, obj: pikepdf.Object | None = None) -> str:
        obj = self.pdf.pages[index].obj if obj is None else obj
        h = hashlib.sha256(b"recouvre-docs page digest 2\n")
        keys = set(obj.keys()) - {"/Parent", "/Type"}
        for key in _INHERITABLE:
            if key not in keys and self._inherited(obj, key) is not None:
                keys.add(key)
        self.on_stack[obj.objgen] = 0
        try:
            for key in sorted(keys):
                value = obj.get(key) if key in obj else self._inherited(obj, key)
                if key == "/Annots" and isinstance(value, pikepdf.Array):
                    shown = [a for a in value if not _is_invisible_signature(a)]
                    if not shown:
                        continue  # no annotation left: as if the page had none
                    h.update(_tagged(b"K", key.encode()) + b"[" + str(len(shown)).encode() + b":")
                    for annot in shown:
                        self._feed(h, annot, 1)
                    h.update(b"]")
                    continue
                h.update(_tagged(b"K", key.encode()))
                self._feed(h, value, 1)
        finally:
            del self.on_stack[obj.objgen]
        return h.hexdigest()

    def object_digest(self, obj: pikepdf.Object) -> bytes | None:
        """The digest of the indirect object ``obj`` by value, as a page's digest holds it, or None when
        it is a page or depends on where it is reached from (a reference back to an ancestor): two
        objects with the same digest show the same thing wherever they are used."""
        if not obj.is_indirect or obj.objgen in self.positions:
            return None
        self._indirect(obj, 1)
        return self.cache.get(obj.objgen)  # cached only when it holds in any context

    def pages(self) -> Iterator[str]:
        for n, page in enumerate(self.pdf.pages):  # pdf.pages[n] costs 0.2 ms a call: iterate once
            yield self.page(n, page.obj)

    # ------------------------------------------------------------------------------------------
    @staticmethod
    def _inherited(obj: pikepdf.Object, key: str):
        node, seen = obj.get("/Parent"), set()
        while isinstance(node, pikepdf.Dictionary) and node.objgen not in seen:
            seen.add(node.objgen)
            if key in node:
                return node.get(key)
            node = node.get("/Parent")
        return None

    def _feed(self, h, obj, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise DigestError("the page's objects are nested too deeply to be checked")
        if isinstance(obj, pikepdf.Object) and obj.is_indirect:
            h.update(self._indirect(obj, depth))
            return
        self._direct(h, obj, depth)

    def _indirect(self, obj: pikepdf.Object, depth: int) -> bytes:
        og = obj.objgen
        if og in self.positions:
            return b"P" + str(self.positions[og]).encode() + b";"
        if og in self.on_stack:  # a cycle: say how far up, deterministically
            self.lowest = min(self.lowest, self.on_stack[og])
            return b"C" + str(depth - self.on_stack[og]).encode() + b";"
        cached = self.cache.get(og)
        if cached is not None:
            self.cache.move_to_end(og)
            return b"O" + cached
        self.on_stack[og] = depth
        outer, self.lowest = self.lowest, _MAX_DEPTH + 1
        try:
            sub = hashlib.sha256()
            self._direct(sub, obj, depth)
            digest = sub.digest()
        finally:
            del self.on_stack[og]
        inner = self.lowest
        if inner >= depth:  # no back-reference above this object: its digest holds in any context
            self.cache[og] = digest
            if len(self.cache) > _CACHE_SIZE:
                self.cache.popitem(last=False)
            inner = _MAX_DEPTH + 1
        self.lowest = min(outer, inner)
        return b"O" + digest

    def _direct(self, h, obj, depth: int) -> None:
        if isinstance(obj, bool):
            h.update(b"B1;" if obj else b"B0;")
        elif isinstance(obj, (int, Decimal, float)):  # 20 and 20.0 are one number (a writer may print either)
            h.update(b"R" + _real(obj) + b";")
        elif obj is None:
            h.update(b"Z;")
        elif isinstance(obj, pikepdf.Name):
            h.update(_tagged(b"N", str(obj).encode()))
        elif isinstance(obj, pikepdf.String):
            h.update(_tagged(b"S", bytes(obj)))
        elif isinstance(obj, pikepdf.Array):
            raw = obj.unparse()  # one call for an array of numbers (a font's widths, a box): the same bytes
            numbers = _numbers(raw)
            if numbers is not None:
                h.update(numbers)
                return
            h.update(b"[" + str(len(obj)).encode() + b":")
            for item in obj:
                self._feed(h, item, depth + 1)
            h.update(b"]")
        elif isinstance(obj, pikepdf.Stream):
            known = self.known.get(obj.objgen) if self.known else None
            if known is not None and obj.objgen not in self.changed:
                data_digest, decoded = known.data, known.decoded
            else:
                data, decoded = _stream_data(obj)
                data_digest = hashlib.sha256(data).digest()
            # decoded data is hashed without its coding; coded data with its filters
            self._dictionary(h, obj.stream_dict, depth, _CODING | {"/Length"} if decoded else {"/Length"}, tag=b"T")
            h.update(_tagged(b"D", data_digest))
        elif isinstance(obj, pikepdf.Dictionary):
            kind = obj.get("/Type")
            if kind is not None and str(kind) in _NOT_FOLLOWED:
                h.update(_tagged(b"X", str(kind).encode()))
                return
            self._dictionary(h, obj, depth, set(), tag=b"<")
        else:  # an operator or anything pikepdf may add: its PDF syntax
            h.update(_tagged(b"?", repr(obj).encode()))

    def _dictionary(self, h, obj, depth: int, drop: set[str], *, tag: bytes) -> None:
        keys = sorted(k for k in obj.keys() if k not in drop)
        h.update(tag + str(len(keys)).encode() + b":")
        for key in keys:
            h.update(_tagged(b"K", key.encode()))
            self._feed(h, obj.get(key), depth + 1)
        h.update(b">")


def page_digests(pdf: pikepdf.Pdf, known: dict[tuple[int, int], Known] | None = None,
                 changed: set[tuple[int, int]] | frozenset = frozenset()) -> Iterator[str]:
    """The digest of every page of ``pdf``, in order, one page at a time (``known``, ``changed``: Digester's)."""
    return Digester(pdf, known, changed).pages()


# ----------------------------------------------------------------------------------------------
# The stream table: reading and hashing the data of every stream is most of the cost of the digests
# (and of pdfa.unambiguous_stream_ends, which reads every stream's coded data). build has it read by
# another process (recouvre_docs.merge_job) on the exhibits qpdf merged, while it lays the documents
# out; the pass that stamps that same file (same object numbers) reads the table instead of the data.

_RECORD = struct.Struct(">IHB32s")
_MAGIC = f"recouvre-docs {__version__} stream table 1\n".encode()


def stream_table(pdf: pikepdf.Pdf) -> dict[tuple[int, int], Known]:
    table = {}
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream):
            data, decoded = _stream_data(obj)
            raw = data if "/Filter" not in obj.stream_dict else obj.read_raw_bytes() if decoded else data
            table[obj.objgen] = Known(hashlib.sha256(data).digest(), decoded, "/Filter" not in obj.stream_dict,
                                      raw.endswith(b"\r"))
    return table


def write_table(table: dict[tuple[int, int], Known], target: Path) -> None:
    tmp = target.with_name(target.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(_MAGIC)
        for (num, gen), k in table.items():
            f.write(_RECORD.pack(num, gen, k.decoded | k.unfiltered << 1 | k.ends_cr << 2, k.data))
    os.replace(tmp, target)


def read_table(path: Path) -> dict[tuple[int, int], Known]:
    blob = path.read_bytes()
    if not blob.startswith(_MAGIC) or (len(blob) - len(_MAGIC)) % _RECORD.size:
        raise ValueError(f"{path}: not a stream table")
    return {(num, gen): Known(data, bool(flags & 1), bool(flags & 2), bool(flags & 4))
            for num, gen, flags, data in _RECORD.iter_unpack(blob[len(_MAGIC):])}
