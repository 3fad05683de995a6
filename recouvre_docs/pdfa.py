"""Make an exhibit PDF/A-safe (ISO 19005-2 and -3, level b), once, when it is ingested.

The bundle claims PDF/A-3b (bundle.py); whatever an exhibit carries that PDF/A forbids would make the
claim false. ``make_safe`` rewrites, in the exhibit's cached copy (never the original):

- annotations: the Print flag set and the hiding flags cleared; those that do not show on screen
  (Hidden, NoView), those without an appearance (Link and Popup excepted, as the standard allows),
  and the forbidden kinds (Sound, Movie, Screen, 3D, RichMedia, unknown; FileAttachment, whose file
  would be an embedded file) dropped; appearance dictionaries reduced to their normal appearance;
- actions: every kind PDF/A forbids removed (JavaScript, Launch, Hide, Named other than page
  navigation, …), walking ``/Next`` chains, in the catalog, pages, annotations, outline items and
  form fields; additional-actions (``/AA``) dictionaries removed;
- embedded files (file attachment annotations, the catalog's EmbeddedFiles, associated files,
  portfolios) removed: the original is in the case folder, and an e-invoice's XML is attached to the
  bundle by the build;
- fonts: a standard font used without being embedded (Helvetica/Arial, Times, Courier) embedded as
  the metric-compatible Liberation font (Sans, Serif, Mono), with the font's own encoding and widths,
  so the text does not move. Symbol, ZapfDingbats and other fonts are left as they are: the build then
  does not claim PDF/A and says why;
- colour: DeviceCMYK given a ``DefaultCMYK`` (the exhibit's own CMYK output intent profile when it has
  one, else iccprofile's), CMYK transparency groups an ICC-based blending space; the samples are not
  touched;
- images and graphics states: ``Interpolate`` false, ``Alternates``/``OPI``/PostScript removed, transfer
  functions and halftone phases removed.

It returns what it changed, as plain data for the cached facts; ``describe`` turns that into lines in
a language. Only pikepdf: Ghostscript's pdfwrite would re-encode everything and bake ``/Rotate`` into
the content.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator

import pikepdf
from pikepdf import Array, Dictionary, Name

from . import iccprofile
from .resources import packed, read_cached, templates_root, unpacked, user_cache, write_cached

log = logging.getLogger(__name__)

INVISIBLE, HIDDEN, PRINT, NOVIEW, TOGGLENOVIEW = 1, 2, 4, 32, 256

# ISO 19005-2 6.3.1: types of ISO 32000-1 only, and not 3D, Sound, Screen, Movie. FileAttachment is
# allowed by -3, but its file would have to be declared: it is dropped with its file.
ANNOTATION_TYPES = {
    "/Text", "/Link", "/FreeText", "/Line", "/Square", "/Circle", "/Polygon", "/PolyLine", "/Highlight",
    "/Underline", "/Squiggly", "/StrikeOut", "/Stamp", "/Caret", "/Ink", "/Popup", "/Widget", "/PrinterMark",
    "/TrapNet", "/Watermark", "/Redact",
}
# ISO 19005-2 6.5.1: the other types are forbidden. SubmitForm is allowed by PDF/A but is active
# content a court bundle must not carry (ERVB), and GoToE would point at a removed embedded file.
ACTION_TYPES = {"/GoTo", "/GoToR", "/Thread", "/URI"}
NAMED_ACTIONS = {"/NextPage", "/PrevPage", "/FirstPage", "/LastPage"}

# Standard fonts and their metric-compatible Liberation family (same advance widths by design).
FAMILIES = {
    "helvetica": "Sans", "arial": "Sans", "nimbussans": "Sans", "nimbussansl": "Sans", "liberationsans": "Sans",
    "times": "Serif", "timesroman": "Serif", "timesnewroman": "Serif", "nimbusroman": "Serif",
    "nimbusromno9l": "Serif", "liberationserif": "Serif",
    "courier": "Mono", "couriernew": "Mono", "nimbusmono": "Mono", "nimbusmonol": "Mono", "liberationmono": "Mono",
}
_STYLE_WORDS = ("bolditalic", "boldoblique", "bold", "italic", "oblique", "regular", "roman", "normal", "book")


def make_safe(pdf: pikepdf.Pdf, *, reattached: Iterable[str] = (), touched: set[str] | None = None) -> dict[str, Any]:
    """Make ``pdf`` PDF/A-safe in place; return ``{"pdfa": changes}`` (empty when nothing changed).

    ``reattached``: names of embedded files the build attaches to the bundle in another way (an
    e-invoice's XML), whose removal from the exhibit is not worth reporting. ``touched``: where the
    name of each change made is added, those not worth reporting too (an appearance reduced to its
    normal one, a page's associated files): the file needs saving unless it only holds "fonts_embedded"."""
    changes: dict[str, Any] = {}
    silent: set[str] = set()
    _embedded_files(pdf, changes, {n.lower() for n in reattached}, silent)
    _annotations(pdf, changes, silent)
    _actions(pdf, changes)
    contexts = list(_contexts(pdf))
    _fonts(pdf, contexts, changes)
    _colour(pdf, contexts, changes)
    _objects(contexts, changes)
    if touched is not None:
        touched.update(changes, silent)
    return {"pdfa": changes} if changes else {}


def describe(facts: dict[str, Any], lang: str) -> list[str]:
    """What the ingestion changed in an exhibit (``facts``: its cached facts), one line per kind of
    change, in ``lang`` (the texts are in templates/<lang>/findings.toml)."""
    from . import i18n

    def text(key: str, **values: Any) -> str:
        return i18n.finding(lang, "pdfa-normalised.change", key, **values)

    changes = facts.get("pdfa") or {}
    lines = []
    if changes.get("fonts_embedded"):
        lines.append(text("fonts", fonts=", ".join(f"{a} → {b}" for a, b in changes["fonts_embedded"])))
    for key in ("annotations_hidden", "annotations_without_appearance", "annotations_adjusted"):
        if changes.get(key):
            lines.append(text(key, n=changes[key]))
    if changes.get("annotations_forbidden"):
        kinds = changes["annotations_forbidden"]
        lines.append(text("annotations_forbidden", n=sum(kinds.values()), kinds=", ".join(sorted(kinds))))
    if changes.get("actions_removed"):
        kinds = changes["actions_removed"]
        lines.append(text("actions_removed", n=sum(kinds.values()), kinds=", ".join(sorted(kinds))))
    if facts.get("form_flattened"):
        lines.append(text("form_flattened"))
    if changes.get("embedded_files_removed"):
        lines.append(text("embedded_files_removed", files=", ".join(changes["embedded_files_removed"])))
    if changes.get("colour"):
        lines.append(text("colour_" + changes["colour"]))
    if changes.get("objects_adjusted"):
        lines.append(text("objects_adjusted", n=changes["objects_adjusted"]))
    return lines


def _already(obj: Any, seen: set) -> bool:
    """True for an indirect object met before (it is then noted). A direct object is never shared,
    so it is never 'seen': its wrapper's id() could be reused by Python and must not be a key."""
    if not obj.is_indirect:
        return False
    if obj.objgen in seen:
        return True
    seen.add(obj.objgen)
    return False


# ----------------------------------------------------------------------------------------------
# Embedded files


def _file_name(spec: Any) -> str | None:
    if not isinstance(spec, Dictionary):
        return None
    for key in ("/UF", "/F"):
        if key in spec:
            try:
                return str(spec[key])
            except (ValueError, TypeError):  # an undecodable name: still a file
                return "?"
    return "?"


def _embedded_files(pdf: pikepdf.Pdf, changes: dict[str, Any], reattached: set[str], silent: set[str]) -> None:
    removed: list[str] = []
    root = pdf.Root
    names = root.get("/Names")
    if isinstance(names, Dictionary) and "/EmbeddedFiles" in names:
        try:
            listed = list(pdf.attachments.keys())
        except (pikepdf.PdfError, KeyError, TypeError, ValueError):
            listed = ["?"]
        removed += [n for n in listed if n.lower() not in reattached]
        del names["/EmbeddedFiles"]
        silent.add("embedded_files")
    for key in ("/AF", "/Collection"):
        if key in root:
            del root[key]
            silent.add("embedded_files")
    for page in pdf.pages:
        if "/AF" in page.obj:
            del page.obj["/AF"]
            silent.add("embedded_files")
        for annot in page.obj.get("/Annots") or []:
            if isinstance(annot, Dictionary) and annot.get("/Subtype") == Name.FileAttachment:
                removed.append(_file_name(annot.get("/FS")) or "?")
    if removed:
        changes["embedded_files_removed"] = sorted(set(removed))


# ----------------------------------------------------------------------------------------------
# Annotations


def _flags(annot: Dictionary) -> int:
    try:
        return int(annot.get("/F", 0))
    except (TypeError, ValueError):
        return 0


def _field_type(annot: Dictionary) -> str | None:
    node, depth = annot, 0
    while isinstance(node, Dictionary) and depth < 32:
        if "/FT" in node:
            return str(node.FT)
        node, depth = node.get("/Parent"), depth + 1
    return None


def _appearance(annot: Dictionary, silent: set[str] | None = None) -> bool:
    """Reduce ``/AP`` to its normal appearance (6.3.3); False when the annotation has none."""
    ap = annot.get("/AP")
    if not isinstance(ap, Dictionary) or "/N" not in ap:
        return False
    normal = ap.N
    button = annot.get("/Subtype") == Name.Widget and _field_type(annot) == "/Btn"
    if isinstance(normal, Dictionary) and not isinstance(normal, pikepdf.Stream) and not button:
        state = annot.get("/AS")
        chosen = normal.get(state) if isinstance(state, Name) else None
        if not isinstance(chosen, pikepdf.Stream):
            return False
        normal = chosen
    if not isinstance(normal, (pikepdf.Stream, Dictionary)):
        return False
    if set(ap.keys()) != {"/N"} or normal is not ap.N:
        annot.AP = Dictionary(N=normal)
        if silent is not None:
            silent.add("appearances")
    return True


def _annotations(pdf: pikepdf.Pdf, changes: dict[str, Any], silent: set[str]) -> None:
    forbidden: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        if not isinstance(annots, Array):
            del page.obj["/Annots"]
            silent.add("annotations")
            continue
        kept: list[Dictionary] = []
        dropped: set[tuple[int, int]] = set()
        for annot in annots:
            if not isinstance(annot, Dictionary):
                continue
            subtype = str(annot.get("/Subtype", ""))
            flags = _flags(annot)
            if subtype not in ANNOTATION_TYPES:
                forbidden[subtype.lstrip("/") or "?"] += 1
            elif subtype == "/Popup":
                kept.append(annot)
                continue
            elif flags & (HIDDEN | NOVIEW):  # not shown on screen: making it print would add to the page
                counts["annotations_hidden"] += 1
            elif subtype != "/Link" and not _appearance(annot, silent):
                counts["annotations_without_appearance"] += 1
            else:
                wanted = (flags | PRINT) & ~(INVISIBLE | HIDDEN | NOVIEW | TOGGLENOVIEW)
                if wanted != flags or "/F" not in annot:
                    annot.F = wanted
                    counts["annotations_adjusted"] += 1
                if subtype == "/Link" and "/AP" in annot and not _appearance(annot, silent):
                    del annot["/AP"]  # a link may go without appearance, not with a broken one
                    silent.add("appearances")
                kept.append(annot)
                continue
            if annot.is_indirect:
                dropped.add(annot.objgen)
        final = []
        for annot in kept:
            parent = annot.get("/Parent")
            if annot.get("/Subtype") == Name.Popup:
                if isinstance(parent, Dictionary) and parent.is_indirect and parent.objgen in dropped:
                    continue
                if "/F" in annot and (_flags(annot) & (INVISIBLE | HIDDEN | NOVIEW | TOGGLENOVIEW) or not _flags(annot) & PRINT):
                    del annot["/F"]  # a popup may go without flags; with them, they must print
                    silent.add("annotations")
            popup = annot.get("/Popup")
            if isinstance(popup, Dictionary) and popup.is_indirect and popup.objgen in dropped:
                del annot["/Popup"]
                silent.add("annotations")
            final.append(annot)
        if len(final) != len(annots):
            page.obj.Annots = Array(final)
            silent.add("annotations")
    if forbidden:
        changes["annotations_forbidden"] = dict(sorted(forbidden.items()))
    changes.update(sorted(counts.items()))


# ----------------------------------------------------------------------------------------------
# Actions


def _action_allowed(action: Dictionary) -> bool:
    kind = str(action.get("/S", ""))
    if kind == "/Named":
        return str(action.get("/N", "")) in NAMED_ACTIONS
    return kind in ACTION_TYPES


def _action_name(action: Dictionary) -> str:
    kind = str(action.get("/S", "?")).lstrip("/")
    return f"Named {str(action.get('/N', '?')).lstrip('/')}" if kind == "Named" else kind


def _clean_chain(value: Any, removed: Counter[str], seen: set, depth: int = 0) -> Any:
    """An action (or array of actions) with every forbidden action taken out of its /Next chain;
    None when nothing is left."""
    if depth > 64:
        return None
    if isinstance(value, Array):
        kept: list[Any] = []
        for item in value:
            cleaned = _clean_chain(item, removed, seen, depth + 1)
            if isinstance(cleaned, Array):
                kept.extend(cleaned)
            elif cleaned is not None:
                kept.append(cleaned)
        return Array(kept) if len(kept) > 1 else (kept[0] if kept else None)
    if not isinstance(value, Dictionary):
        return None
    if _already(value, seen):  # a /Next cycle: cut it here
        return None
    following = _clean_chain(value.get("/Next"), removed, seen, depth + 1) if "/Next" in value else None
    if not _action_allowed(value):
        removed[_action_name(value)] += 1
        return following
    if following is None:
        if "/Next" in value:
            del value["/Next"]
    else:
        value.Next = following
    return value


def _clean_action_key(holder: Dictionary, key: str, removed: Counter[str]) -> None:
    if key not in holder:
        return
    value = holder[key]
    if key == "/OpenAction" and isinstance(value, Array):
        return  # a destination, not an action
    cleaned = _clean_chain(value, removed, set())
    if cleaned is None:
        del holder[key]
    elif not (isinstance(cleaned, Dictionary) and cleaned.is_indirect and isinstance(value, Dictionary)
              and value.is_indirect and cleaned.objgen == value.objgen):
        holder[key] = cleaned


def _drop_aa(holder: Any, removed: Counter[str]) -> None:
    if isinstance(holder, Dictionary) and "/AA" in holder:
        triggers = holder.AA
        if isinstance(triggers, Dictionary):
            for action in triggers.values():
                probe: Counter[str] = Counter()
                _clean_chain(action, probe, set())
                removed.update(probe)
                if not probe:  # an allowed action on a trigger: PDF/A forbids the trigger itself
                    removed["additional action"] += 1
        del holder["/AA"]


def _actions(pdf: pikepdf.Pdf, changes: dict[str, Any]) -> None:
    removed: Counter[str] = Counter()
    root = pdf.Root
    _clean_action_key(root, "/OpenAction", removed)
    _drop_aa(root, removed)
    names = root.get("/Names")
    if isinstance(names, Dictionary) and "/JavaScript" in names:
        del names["/JavaScript"]
        removed["JavaScript"] += 1
    for page in pdf.pages:
        _drop_aa(page.obj, removed)
        for annot in page.obj.get("/Annots") or []:
            if isinstance(annot, Dictionary):
                _clean_action_key(annot, "/A", removed)
                _drop_aa(annot, removed)
                parent, depth = annot.get("/Parent"), 0
                while isinstance(parent, Dictionary) and depth < 32:  # the form field of a widget
                    _clean_action_key(parent, "/A", removed)
                    _drop_aa(parent, removed)
                    parent, depth = parent.get("/Parent"), depth + 1
    outlines = root.get("/Outlines")
    stack = [outlines.get("/First")] if isinstance(outlines, Dictionary) else []
    seen: set = set()
    while stack:
        item = stack.pop()
        if not isinstance(item, Dictionary) or (item.is_indirect and item.objgen in seen):
            continue
        if item.is_indirect:
            seen.add(item.objgen)
        _clean_action_key(item, "/A", removed)
        stack += [item.get("/Next"), item.get("/First")]
    form = root.get("/AcroForm")
    if isinstance(form, Dictionary):
        stack = list(form.get("/Fields") or [])
        while stack:
            field = stack.pop()
            if isinstance(field, Dictionary) and not (field.is_indirect and field.objgen in seen):
                if field.is_indirect:
                    seen.add(field.objgen)
                _clean_action_key(field, "/A", removed)
                _drop_aa(field, removed)
                stack += list(field.get("/Kids") or [])
    if removed:
        changes["actions_removed"] = dict(sorted(removed.items()))


# ----------------------------------------------------------------------------------------------
# Where resources are used: pages, form XObjects, patterns, Type 3 fonts, annotation appearances


class Context:
    """A resource dictionary and the content streams drawn with it."""

    def __init__(self, resources: Dictionary | None, streams: list[pikepdf.Stream]):
        self.resources = resources
        self.streams = streams


def _page_resources(page: Dictionary) -> Dictionary:
    if "/Resources" not in page:  # inherited from the page tree: made the page's own
        node, depth = page.get("/Parent"), 0
        while isinstance(node, Dictionary) and depth < 64:
            if "/Resources" in node:
                page.Resources = node.Resources
                break
            node, depth = node.get("/Parent"), depth + 1
        else:
            page.Resources = Dictionary()
    return page.Resources


def _contexts(pdf: pikepdf.Pdf) -> Iterator[Context]:
    seen: set = set()
    for page in pdf.pages:
        yield from page_contexts(page.obj, seen)


def page_contexts(page: Dictionary, seen: set) -> Iterator[Context]:
    """The contexts of one page: its own, then those of what it draws (forms, patterns, soft masks,
    Type 3 glyphs) and of its annotations' appearances. ``seen``: the indirect objects already gone
    through, shared across the pages of a file so that a form used on every page is read once."""
    pending: list[tuple[Any, Dictionary | None]] = []  # (stream or dict with /Resources, inherited)
    resources = _page_resources(page)
    contents = page.get("/Contents")
    streams = [s for s in (contents if isinstance(contents, Array) else [contents]) if isinstance(s, pikepdf.Stream)]
    yield Context(resources, streams)
    pending.append((resources, None))
    for annot in page.get("/Annots") or []:
        ap = annot.get("/AP") if isinstance(annot, Dictionary) else None
        for state in ap.values() if isinstance(ap, Dictionary) else []:
            if isinstance(state, pikepdf.Stream):
                pending.append((state, None))
            elif isinstance(state, Dictionary):
                pending += [(s, None) for s in state.values() if isinstance(s, pikepdf.Stream)]
    while pending:
        obj, inherited = pending.pop()
        if isinstance(obj, pikepdf.Stream):
            if _already(obj, seen):
                continue
            own = obj.get("/Resources")
            res = own if isinstance(own, Dictionary) else inherited
            yield Context(res, [obj])
            if isinstance(own, Dictionary):
                pending.append((own, None))
            continue
        if not isinstance(obj, Dictionary) or _already(obj, seen):
            continue
        for xobj in (obj.get("/XObject") or {}).values():
            if isinstance(xobj, pikepdf.Stream) and xobj.get("/Subtype") == Name.Form:
                pending.append((xobj, obj))
        for pattern in (obj.get("/Pattern") or {}).values():
            if isinstance(pattern, pikepdf.Stream):  # a tiling pattern draws with its own resources
                pending.append((pattern, obj))
        for gs in (obj.get("/ExtGState") or {}).values():
            smask = gs.get("/SMask") if isinstance(gs, Dictionary) else None
            if isinstance(smask, Dictionary) and isinstance(smask.get("/G"), pikepdf.Stream):
                pending.append((smask.G, obj))
        for font in (obj.get("/Font") or {}).values():
            if isinstance(font, Dictionary) and font.get("/Subtype") == Name.Type3 and not _already(font, seen):
                procs = font.get("/CharProcs")
                own = font.get("/Resources")
                res = own if isinstance(own, Dictionary) else obj
                yield Context(res, [s for s in (procs.values() if isinstance(procs, Dictionary) else [])
                                    if isinstance(s, pikepdf.Stream)])
                if isinstance(own, Dictionary):
                    pending.append((own, None))


# ----------------------------------------------------------------------------------------------
# Fonts


def embedded(font: Any) -> bool:
    if not isinstance(font, Dictionary):
        return True
    subtype = font.get("/Subtype")
    if subtype == Name.Type3:
        return True
    if subtype == Name.Type0:
        return all(embedded(d) for d in (font.get("/DescendantFonts") or []))
    descriptor = font.get("/FontDescriptor")
    return isinstance(descriptor, Dictionary) and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def match(base_font: str) -> tuple[str, bool, bool] | None:
    """('Sans' | 'Serif' | 'Mono', bold, italic) for a standard font's name, else None."""
    name = base_font.lstrip("/")
    if len(name) > 7 and name[6] == "+" and name[:6].isalpha() and name[:6].isupper():
        name = name[7:]  # a subset tag
    parts = re.split(r"[,-]", name, maxsplit=1)
    family = parts[0].lower().replace(" ", "")
    style = parts[1].lower().replace(" ", "") if len(parts) > 1 else ""
    for suffix in ("psmt", "mt", "ps"):
        if family.endswith(suffix) and family[: -len(suffix)] in FAMILIES:
            family = family[: -len(suffix)]
        if style.endswith(suffix):
            style = style[: -len(suffix)]
    if family not in FAMILIES:
        return None
    rest = style
    for word in _STYLE_WORDS:
        rest = rest.replace(word, "")
    if rest.strip(",-"):  # Narrow, Light, Condensed, Black…: other metrics
        return None
    return FAMILIES[family], "bold" in style, "italic" in style or "oblique" in style


def _font_file(family: str, bold: bool, italic: bool) -> str:
    style = ("Bold" if bold else "") + ("Italic" if italic else "")
    return f"Liberation{family}-{style or 'Regular'}.ttf"


@lru_cache(maxsize=1)
def _standard_names() -> dict[str, list[str | None]]:
    from fontTools import agl
    from fontTools.encodings.MacRoman import MacRoman
    from fontTools.encodings.StandardEncoding import StandardEncoding

    win: list[str | None] = []
    for code in range(256):
        try:
            char = bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            win.append(None)
            continue
        win.append(agl.UV2AGL.get(ord(char)) if code >= 32 else None)
    win[0xA0], win[0xAD] = "space", "hyphen"  # as ISO 32000-1 Annex D has them
    clean = lambda names: [None if n in (".notdef", None) else n for n in names]  # noqa: E731
    return {"/WinAnsiEncoding": win, "/MacRomanEncoding": clean(MacRoman), "/StandardEncoding": clean(StandardEncoding)}


def _glyph_names(font: Dictionary) -> list[str | None] | None:
    """The glyph name of each code (None: no glyph), or None when the encoding cannot be read
    without the missing font program (a symbolic font, MacExpert)."""
    tables = _standard_names()
    encoding = font.get("/Encoding")
    descriptor = font.get("/FontDescriptor")
    flags = int(descriptor.get("/Flags", 32)) if isinstance(descriptor, Dictionary) else 32
    if encoding is None:
        if font.get("/Subtype") == Name.TrueType and flags & 4:
            return None  # symbolic TrueType: codes index the missing font's own cmap
        return list(tables["/StandardEncoding"])
    if isinstance(encoding, Name):
        return list(tables[str(encoding)]) if str(encoding) in tables else None
    if not isinstance(encoding, Dictionary):
        return None
    base = encoding.get("/BaseEncoding")
    if base is not None and str(base) not in tables:
        return None
    names = list(tables[str(base) if base is not None else "/StandardEncoding"])
    code = None
    for item in encoding.get("/Differences") or []:
        if isinstance(item, int):
            code = item
        elif isinstance(item, Name) and code is not None:
            if 0 <= code < 256:
                names[code] = str(item)[1:]
            code += 1
    return names


# What the substitutes are made with besides the font file, the codes, the widths and fontTools:
# bumped when _make_program changes.
_PROGRAM_FORMAT = 1


@lru_cache(maxsize=32)
def _program(file: str, codes: tuple[tuple[int, int], ...], advances: tuple[tuple[int, int], ...]) -> tuple[bytes, dict[str, Any]]:
    """_make_program's font, kept for the process and in this user's cache (resources.user_cache):
    making one takes about 0.4 s (fontTools' import and the subset) in every process that needs it,
    the conversion workers of every case and the pass that assembles a bundle, for the same few fonts
    (Helvetica in WinAnsi, mostly). A stored one that is not what _make_program gives (cut short,
    edited) is made again."""
    import fontTools

    path = templates_root() / "shared" / "fonts" / file
    material = hashlib.sha256(path.read_bytes())
    material.update(f"\0{codes}\0{advances}\0{fontTools.version}\0{_PROGRAM_FORMAT}".encode())
    name = f"substitute-font-{material.hexdigest()[:24]}.json"
    folders = [folder for folder in (user_cache(),) if folder is not None]
    stored = read_cached(name, folders, _stored_substitute)
    if stored is not None:
        return stored
    data, metrics = _make_program(path, codes, advances)
    write_cached(name, {**packed(data), **metrics, "widths": sorted(metrics["widths"].items())}, folders)
    return data, metrics


def _stored_substitute(fields: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
    """A substitute font from a cache file's fields; ValueError if they are not what _program stores."""
    data = unpacked(fields)
    widths = {int(code): width for code, width in fields["widths"]}
    numbers = (*widths.values(), *fields["bbox"], fields["ascent"], fields["descent"], fields["cap_height"])
    if (len(fields["bbox"]) != 4
            or not isinstance(fields["name"], str) or not all(type(n) is int for n in numbers)
            or type(fields["italic_angle"]) not in (int, float)):
        raise ValueError("not a substitute font")
    return data, {"name": fields["name"], "widths": widths, "bbox": list(fields["bbox"]), "ascent": fields["ascent"],
                  "descent": fields["descent"], "cap_height": fields["cap_height"],
                  "italic_angle": float(fields["italic_angle"])}


def _make_program(path: Path, codes: tuple[tuple[int, int], ...], advances: tuple[tuple[int, int], ...]) -> tuple[bytes, dict[str, Any]]:
    """A subset of the Liberation font ``path`` for the (code, unicode) pairs of a simple font, as a
    symbolic TrueType font whose only cmap, (3,0), maps each code (U+F000 + code) to its glyph: every
    reader then finds the same glyph for a code, whatever it makes of glyph names. Advance widths are
    set to the PDF's (code, width in 1/1000 em) where it fixes them. Returns the bytes and metrics."""
    from fontTools.ttLib.tables._c_m_a_p import CmapSubtable

    font = liberation_subset(path, sorted({uv for _code, uv in codes}), glyph_names=True)
    by_unicode = font.getBestCmap()
    glyphs = {code: by_unicode[uv] for code, uv in codes if uv in by_unicode}
    table = CmapSubtable.newSubtable(4)
    table.platformID, table.platEncID, table.language = 3, 0, 0
    table.cmap = {0xF000 + code: glyph for code, glyph in glyphs.items()}
    font["cmap"].tables = [table]
    upem = font["head"].unitsPerEm
    hmtx = font["hmtx"]
    for code, width in advances:
        if code in glyphs:
            hmtx[glyphs[code]] = (round(width * upem / 1000), hmtx[glyphs[code]][1])
    scale = 1000 / upem
    out = io.BytesIO()
    font.save(out, reorderTables=True)
    return out.getvalue(), {
        "name": font["name"].getDebugName(6) or path.stem,
        "widths": {code: round(hmtx[g][0] * scale) for code, g in glyphs.items()},
        **font_metrics(font),
    }


def liberation_subset(path: Path, unicodes: list[int], *, glyph_names: bool = False):
    """The shipped Liberation font ``path`` subset to ``unicodes`` (a fontTools TTFont): no layout
    tables, a .notdef outline, fixed timestamps (the same bytes every time). Used by the substituted
    fonts of the exhibits and by the stamps."""
    logging.getLogger("fontTools").setLevel(logging.ERROR)  # "FFTM NOT subset" is not news
    from fontTools import subset  # 33 MB and 0.15 s: only when a subset is not cached
    from fontTools.ttLib import TTFont

    font = TTFont(str(path), recalcTimestamp=False)
    options = subset.Options()
    options.recalc_timestamp = False
    options.notdef_outline = True
    options.layout_features = []
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
    options.glyph_names = glyph_names
    options.drop_tables += ["DSIG", "GSUB", "GPOS", "GDEF", "kern", "hdmx", "VDMX", "LTSH"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    return font


def font_metrics(font) -> dict[str, Any]:
    """A TrueType font's descriptor metrics in 1/1000 em (bbox, ascent, descent, cap height, italic angle);
    of a subset, once saved (the save computes its bounding box)."""
    scale = 1000 / font["head"].unitsPerEm
    head, os2 = font["head"], font["OS/2"]
    return {
        "bbox": [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)],
        "ascent": round(os2.sTypoAscender * scale),
        "descent": round(os2.sTypoDescender * scale),
        "cap_height": round(getattr(os2, "sCapHeight", 0) * scale) or 700,
        "italic_angle": float(font["post"].italicAngle),
    }


def _substitute(pdf: pikepdf.Pdf, font: Dictionary, streams: dict) -> str | None:
    """Embed a Liberation font in place of the missing standard font; its display name, or None.

    The font keeps its codes and widths: each code's glyph is the one its encoding named, looked up
    by Unicode in the Liberation font; a ToUnicode CMap keeps the text extractable."""
    from fontTools import agl

    if font.get("/Subtype") not in (Name.Type1, Name.TrueType):
        return None
    target = match(str(font.get("/BaseFont", "")))
    if target is None:
        return None
    names = _glyph_names(font)
    if names is None:
        return None
    family, bold, italic = target
    win = _standard_names()["/WinAnsiEncoding"]
    # a code the encoding leaves undefined would show .notdef (6.2.11.8 forbids it): such bytes come from
    # a generator that wrote Windows/Latin-1 text without declaring it, so they take their WinAnsi glyph
    names = [name if name is not None else win[code] for code, name in enumerate(names)]
    by_code: dict[int, int] = {}
    for code, glyph in enumerate(names):
        if glyph is None:
            continue
        text = agl.toUnicode(glyph)
        if len(text) != 1:
            return None  # a glyph name the substitute cannot be asked for
        by_code[code] = ord(text)
    if not by_code:
        return None
    widths_given: dict[int, int] = {}
    if isinstance(font.get("/Widths"), Array) and "/FirstChar" in font:
        first = int(font.FirstChar)
        for i, w in enumerate(font.Widths):
            widths_given[first + i] = round(float(w))
    advances = tuple(sorted((c, w) for c, w in widths_given.items() if c in by_code and w > 0))
    file = _font_file(family, bold, italic)
    data, metrics = _program(file, tuple(sorted(by_code.items())), advances)
    key = hashlib.sha256(data).hexdigest()
    if key not in streams:
        stream = pikepdf.Stream(pdf, data)
        stream.Length1 = len(data)
        streams[key] = pdf.make_indirect(stream)
    tag = "".join(chr(65 + b % 26) for b in bytes.fromhex(key)[:6])
    base = Name("/" + tag + "+" + metrics["name"].replace(" ", ""))
    flags = 4 | (1 if family == "Mono" else 0) | (2 if family == "Serif" else 0) | (64 if italic else 0)
    descriptor = Dictionary(
        Type=Name.FontDescriptor, FontName=base, Flags=flags, FontBBox=Array(metrics["bbox"]),
        ItalicAngle=metrics["italic_angle"], Ascent=metrics["ascent"], Descent=metrics["descent"],
        CapHeight=metrics["cap_height"], StemV=120 if bold else 80, FontFile2=streams[key])
    old = font.get("/FontDescriptor")
    if isinstance(old, Dictionary) and "/MissingWidth" in old:
        descriptor.MissingWidth = old.MissingWidth
    font.Subtype = Name.TrueType
    font.BaseFont = base
    font.FontDescriptor = pdf.make_indirect(descriptor)
    if not widths_given:
        codes = sorted(metrics["widths"]) or sorted(by_code)
        first, last = codes[0], codes[-1]
        font.FirstChar, font.LastChar = first, last
        font.Widths = Array([metrics["widths"].get(c, 0) for c in range(first, last + 1)])
    if "/Encoding" in font:  # 6.2.11.6: a symbolic TrueType font has none
        del font["/Encoding"]
    if "/ToUnicode" not in font:
        font.ToUnicode = pdf.make_stream(to_unicode_cmap(by_code))
    return f"Liberation {family}" + (" Bold" if bold else "") + (" Italic" if italic else "")


def to_unicode_cmap(by_code: dict[int, int]) -> bytes:
    """A ToUnicode CMap mapping one-byte codes to Unicode (a substituted font's, the stamp fonts'), so
    that every reader extracts the text the same way, whatever it guesses from the encoding."""
    pairs = sorted(by_code.items())
    lines = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
             "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
             "1 begincodespacerange", "<00> <FF>", "endcodespacerange"]
    for start in range(0, len(pairs), 100):
        block = pairs[start:start + 100]
        lines.append(f"{len(block)} beginbfchar")
        lines += [f"<{c:02X}> <{u:04X}>" for c, u in block]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return ("\n".join(lines) + "\n").encode("ascii")


class FontPass:
    """Missing standard fonts embedded one at a time, each font object tried once (make_safe's, for an
    exhibit's copy; bundle.PageFonts's, for the bundle's pages: an exhibit whose only PDF/A fault was
    such a font is merged as it came, evidence/pdf.py, and one substitute then serves every exhibit
    that used that font). ``streams``: the substitutes' programs, by their SHA-256 (hex)."""

    def __init__(self, pdf: pikepdf.Pdf):
        self.pdf = pdf
        self.done: set = set()  # the fonts tried
        self.streams: dict = {}

    def font(self, font: Any) -> str | None:
        """Embed a Liberation font in ``font``'s place if it is a standard font not embedded; the
        substitute's display name, or None (nothing to do, tried before, or no substitute)."""
        if not isinstance(font, Dictionary) or embedded(font) or _already(font, self.done):
            return None
        try:
            return _substitute(self.pdf, font, self.streams)
        except (pikepdf.PdfError, KeyError, ValueError, TypeError, OSError) as err:  # OSError: a font file missing
            log.info("font %s not replaced: %s", str(font.get("/BaseFont", "?")).lstrip("/"), err)
            return None


def _fonts(pdf: pikepdf.Pdf, contexts: list[Context], changes: dict[str, Any]) -> None:
    substitutes = FontPass(pdf)
    replaced: set[tuple[str, str]] = set()
    for ctx in contexts:
        fonts = ctx.resources.get("/Font") if isinstance(ctx.resources, Dictionary) else None
        for font in (fonts.values() if isinstance(fonts, Dictionary) else []):
            original = font_name(font)
            name = substitutes.font(font)
            if name:
                replaced.add((original, name))
    if replaced:
        changes["fonts_embedded"] = [list(pair) for pair in sorted(replaced)]


def font_name(font: Any) -> str:
    return str(font.get("/BaseFont", "?")).lstrip("/") if isinstance(font, Dictionary) else "?"


def page_unembedded_fonts(page: pikepdf.Page, seen: set) -> set[str]:
    """The fonts a page draws without carrying them (in its content, what that draws, and its
    annotations' appearances: page_contexts), for the decision to claim PDF/A or not. ``seen``: as
    page_contexts's, shared across the pages of a file."""
    found: set[str] = set()
    for ctx in page_contexts(page.obj, seen):
        fonts = ctx.resources.get("/Font") if isinstance(ctx.resources, Dictionary) else None
        for font in (fonts.values() if isinstance(fonts, Dictionary) else []):
            if not embedded(font):
                found.add(font_name(font))
    return found


# ----------------------------------------------------------------------------------------------
# Colour

_CMYK_OPERATOR = re.compile(rb"(?<![^\s\]\)>])[kK](?![^\s\[\(<\/])")
# Every byte that may stand before or after the operator, made a space: a stream without " k " or " K "
# once translated cannot match _CMYK_OPERATOR (6 times faster than the regex alone; it confirms).
_AROUND_OPERATOR = bytes(32 if c in b" \t\n\r\x0b\f\x00[]()<>/" else c for c in range(256))


def _cmyk_operator(data: bytes) -> bool:
    spaced = b" " + data.translate(_AROUND_OPERATOR) + b" "
    return (b" k " in spaced or b" K " in spaced) and _CMYK_OPERATOR.search(data) is not None


def _is_cmyk(space: Any, depth: int = 0) -> bool:
    if depth > 8:
        return False
    if isinstance(space, Name):
        return space == Name.DeviceCMYK
    if isinstance(space, Array):
        return any(_is_cmyk(item, depth + 1) for item in space if isinstance(item, (Name, Array)))
    return False


def _uses_cmyk(contexts: list[Context]) -> bool:
    for ctx in contexts:
        res = ctx.resources
        if isinstance(res, Dictionary):
            for group in ("/ColorSpace", "/Shading"):
                for value in (res.get(group) or {}).values():
                    space = value.get("/ColorSpace") if isinstance(value, Dictionary) else value
                    if _is_cmyk(space):
                        return True
            for xobj in (res.get("/XObject") or {}).values():
                if isinstance(xobj, pikepdf.Stream) and xobj.get("/Subtype") == Name.Image and _is_cmyk(xobj.get("/ColorSpace")):
                    return True
            for pattern in (res.get("/Pattern") or {}).values():
                shading = pattern.get("/Shading") if isinstance(pattern, Dictionary) else None
                if isinstance(shading, Dictionary) and _is_cmyk(shading.get("/ColorSpace")):
                    return True
        for stream in ctx.streams:
            try:
                data = stream.read_bytes()
            except pikepdf.PdfError:
                continue
            if b"CMYK" in data or _cmyk_operator(data):
                return True
    return False


def _own_profile(pdf: pikepdf.Pdf) -> pikepdf.Stream | None:
    """The exhibit's own CMYK output intent profile: what its DeviceCMYK meant to its author."""
    for intent in pdf.Root.get("/OutputIntents") or []:
        profile = intent.get("/DestOutputProfile") if isinstance(intent, Dictionary) else None
        if isinstance(profile, pikepdf.Stream) and int(profile.get("/N", 0)) == 4:
            return profile
    return None


def _colour(pdf: pikepdf.Pdf, contexts: list[Context], changes: dict[str, Any]) -> None:
    groups = [p.obj.get("/Group") for p in pdf.pages]
    for ctx in contexts:
        for stream in ctx.streams:
            groups.append(stream.get("/Group"))
    cmyk_groups = [g for g in groups if isinstance(g, Dictionary) and _is_cmyk(g.get("/CS"))]
    if not cmyk_groups and not _uses_cmyk(contexts):
        return
    profile = _own_profile(pdf)
    changes["colour"] = "intent" if profile is not None else "naive"
    if profile is None:
        profile = pdf.make_stream(iccprofile.cmyk_profile())
        profile.N = 4
        profile.Alternate = Name.DeviceCMYK
    space = pdf.make_indirect(Array([Name.ICCBased, profile]))
    for group in cmyk_groups:
        group.CS = space
    done: set = set()
    for ctx in contexts:
        res = ctx.resources
        if not isinstance(res, Dictionary):
            continue
        if _already(res, done):
            continue
        spaces = res.get("/ColorSpace")
        if not isinstance(spaces, Dictionary):
            res.ColorSpace = spaces = Dictionary()
        if "/DefaultCMYK" not in spaces:
            spaces.DefaultCMYK = space


# ----------------------------------------------------------------------------------------------
# Images, forms and graphics states


def _objects(contexts: list[Context], changes: dict[str, Any]) -> None:
    adjusted = 0
    done: set = set()
    for ctx in contexts:
        res = ctx.resources
        if not isinstance(res, Dictionary):
            continue
        for xobj in (res.get("/XObject") or {}).values():
            if not isinstance(xobj, pikepdf.Stream) or xobj.objgen in done:
                continue
            done.add(xobj.objgen)
            for key in ("/Alternates", "/OPI", "/PS", "/Subtype2", "/Ref"):
                if key in xobj:
                    del xobj[key]
                    adjusted += 1
            if xobj.get("/Interpolate") is not None and bool(xobj.Interpolate):
                xobj.Interpolate = False
                adjusted += 1
            smask = xobj.get("/SMask")
            if isinstance(smask, pikepdf.Stream) and smask.get("/Interpolate") is not None and bool(smask.Interpolate):
                smask.Interpolate = False
                adjusted += 1
        for gs in (res.get("/ExtGState") or {}).values():
            if not isinstance(gs, Dictionary):
                continue
            for key in ("/TR", "/HTP", "/HTO"):
                if key in gs:
                    del gs[key]
                    adjusted += 1
            if "/TR2" in gs and gs.TR2 != Name.Default:
                gs.TR2 = Name.Default
                adjusted += 1
    if adjusted:
        changes["objects_adjusted"] = adjusted


# ----------------------------------------------------------------------------------------------
# Stream ends


def filter_names(stream: pikepdf.Stream) -> list[str]:
    """The names of the filters a stream's data is coded with, in order ([] for none)."""
    filters = stream.stream_dict.get("/Filter")
    return [str(f) for f in (filters if isinstance(filters, Array) else [filters] if filters is not None else [])]


def flate_unambiguous(data: bytes) -> bytes:
    """``data`` Flate-compressed, with a LF after the compressed data if it ends with a CR (the
    Adler-32 checksum ends it; decoders ignore what follows): the stream's Length is then read right
    (ISO 19005-2 6.1.7.1, unambiguous_stream_ends)."""
    import zlib

    packed = zlib.compress(data, 6)
    return packed + b"\n" if packed.endswith(b"\r") else packed


# Codings PDF/A forbids (ISO 19005-2 6.1.7.2: LZWDecode). qpdf decodes such a stream when it saves and
# writes it Flate-compressed, unless its data does not decode: then it is written as it is.
FORBIDDEN_FILTERS = {"/LZWDecode"}


def undecodable_forbidden(obj: pikepdf.Object) -> bool:
    """Whether ``obj`` is a stream in a coding PDF/A forbids whose data does not decode: qpdf keeps it
    so in every file it writes (the exhibit's copy, the bundle), and the bundle claims no PDF/A."""
    if not isinstance(obj, pikepdf.Stream) or not FORBIDDEN_FILTERS.intersection(filter_names(obj)):
        return False
    try:
        obj.read_bytes()
        return False
    except pikepdf.PdfError:
        return True


def unambiguous_stream_ends(pdf: pikepdf.Pdf, known: dict | None = None,
                            objects: Iterable[pikepdf.Object] | None = None) -> set[tuple[int, int]]:
    """No stream's data may end with a carriage return: qpdf writes ``data LF endstream``, which then
    reads as ``CR LF endstream`` and a Length one byte too long (ISO 19005-2 6.1.7.1). One compressed
    stream in 256 ends so (its last byte is part of a checksum). Such data gets a LF after the end of its
    compressed data, which every decoder ignores (after a Flate or DCT end). Streams
    qpdf would compress on saving are compressed here, so that their final bytes are known. Reads one
    stream at a time; returns the object numbers of the streams it rewrote. The decoded data never
    changes: an embedded file keeps its bytes (and the SHA-256 the manifest gives).

    ``known``: digest.stream_table of the file ``pdf`` was opened from: a stream it lists as filtered
    and not ending with a CR is not read again. ``objects``: those to go through (all of them if None)."""

    changed: set[tuple[int, int]] = set()
    for obj in pdf.objects if objects is None else objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        seen = known.get(obj.objgen) if known else None
        if seen is not None and not seen.unfiltered and not seen.ends_cr:
            continue
        filters = obj.get("/Filter")
        if filters is None and obj.get("/Type") != Name.Metadata:  # XMP stays uncompressed (6.6.2.1)
            obj.write(flate_unambiguous(obj.read_bytes()), filter=Name.FlateDecode)
            changed.add(obj.objgen)
            continue
        raw = obj.read_raw_bytes()
        if not raw.endswith(b"\r"):
            continue
        last = filters[-1] if isinstance(filters, Array) and len(filters) else filters
        if last is None or last in (Name.FlateDecode, Name.DCTDecode):
            obj.write(raw + b"\n", filter=filters, decode_parms=obj.get("/DecodeParms"))
            changed.add(obj.objgen)
    return changed
