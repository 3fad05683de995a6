"""--ocr: make scanned pages searchable with OCRmyPDF (Tesseract), in the case's languages.

Only pages without a text layer are recognised (skip_text); the result is cached beside the
converted PDF under a key that names the languages, so a rebuild does not recognise again. Which pages
were recognised is recorded (Part.ocr_pages): the manifest and the index say so, because a court or a
reader must know that the text of those pages is machine-read.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path


from ..errors import EvidenceError, ToolMissingError
from ..models import Part

log = logging.getLogger(__name__)

TESSERACT = {"fr": "fra", "en": "eng", "de": "deu"}


def check_tools() -> None:
    try:
        import ocrmypdf  # noqa: F401
    except ImportError as err:
        raise ToolMissingError("--ocr needs OCRmyPDF, which is not installed",
                               hint="pip install 'recouvre-docs[ocr]' (or make test, which installs it).") from err
    if shutil.which("tesseract") is None:
        raise ToolMissingError(
            "--ocr needs the Tesseract OCR engine, which is not installed",
            hint="Install it: 'apt-get install tesseract-ocr tesseract-ocr-fra tesseract-ocr-deu tesseract-ocr-eng' "
            "(Debian/Ubuntu), 'brew install tesseract tesseract-lang' (macOS).",
        )


def _textless(path: Path) -> list[int]:
    """The pages (1-based) with (almost) no text layer: a scan."""
    from . import text

    return [i + 1 for i, page in enumerate(text.of(path).split("\f")) if len(page.strip()) < 20]


PAGES_PER_LIMIT = 10  # OCR is slow: the time limit per file (workers.timeout) applies to each 10 pages


def _target(part: Part, languages: list[str]) -> tuple[list[str], Path]:
    codes = sorted({TESSERACT[lang] for lang in languages if lang in TESSERACT}) or ["eng"]
    return codes, part.pdf.with_name(f"{part.pdf.stem}-ocr-{'+'.join(codes)}.pdf")


def cached(part: Part, languages: list[str]) -> Part | None:
    """The part as already recognised by a previous build, or None."""
    _codes, target = _target(part, languages)
    meta = target.with_suffix(".json")
    if not meta.is_file():
        return None
    recognised = json.loads(meta.read_text())["ocr_pages"]
    if not recognised:  # every page had its text: nothing to recognise, the part as it is
        return part
    return part.model_copy(update={"pdf": target, "ocr_pages": recognised}) if target.is_file() else None


def apply(part: Part, languages: list[str]) -> Part:
    """The part with its text-less pages recognised (cached); unchanged when every page has text."""
    done = cached(part, languages)
    if done is not None:
        return done
    codes, target = _target(part, languages)
    meta = target.with_suffix(".json")
    pages = _textless(part.pdf)
    if not pages:
        _write_meta(meta, [])
        return part
    import ocrmypdf

    tmp = target.with_suffix(f".{os.getpid()}.tmp.pdf")
    logging.getLogger("ocrmypdf").setLevel(logging.ERROR)
    try:
        ocrmypdf.ocr(part.pdf, tmp, language=codes, output_type="pdf", skip_text=True, optimize=0,
                     progress_bar=False, deskew=False, rotate_pages=False)
    except ocrmypdf.exceptions.ExitCodeException as err:
        tmp.unlink(missing_ok=True)
        raise EvidenceError(f"{part.source}: OCR failed ({err.__class__.__name__}: {str(err)[:160]})",
                            hint="Build without --ocr, or replace the scan with a cleaner copy.") from err
    recognised = [n for n in pages if n not in _textless(tmp)]
    if not recognised:  # Tesseract found no text: the part stays as it was
        tmp.unlink(missing_ok=True)
        _write_meta(meta, [])
        return part
    tmp.replace(target)
    _write_meta(meta, recognised)
    return part.model_copy(update={"pdf": target, "ocr_pages": recognised})


def _write_meta(meta: Path, recognised: list[int]) -> None:
    tmp = meta.with_suffix(f".{os.getpid()}.json.tmp")
    tmp.write_text(json.dumps({"ocr_pages": recognised}), "utf-8")
    tmp.replace(meta)
