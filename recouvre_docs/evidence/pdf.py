"""PDF evidence: open (decrypting with the given password, letting qpdf repair what it can), count
pages, read what the file carries (an embedded e-invoice), and write a clean, unencrypted copy."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import pikepdf

from .. import pdfa
from ..errors import EncryptedEvidenceError, EvidenceError
from . import einvoice

log = logging.getLogger(__name__)


def normalize(src: Path | str, target: Path, *, shown_as: str, password: str | None = None) -> dict[str, Any]:
    """Write a readable, unencrypted copy of the PDF ``src`` to ``target``; return its facts.

    ``shown_as`` is how the user knows the file (its path in the case folder), for messages.
    """
    try:
        pdf = pikepdf.open(src, password=password or "")
    except pikepdf.PasswordError as err:
        if password:
            raise EncryptedEvidenceError(
                f"{shown_as}: the PDF is encrypted and the password given does not open it",
                path=src,
                hint="Check the password in the environment variable named by password_env in case.toml.",
            ) from err
        raise EncryptedEvidenceError(
            f"{shown_as}: the PDF is encrypted (password-protected)",
            path=src,
            hint="Either save an unprotected copy of it (print to PDF, or 'qpdf --decrypt --password=… in.pdf out.pdf'), "
            "or add an [[evidence]] entry with file = \"" + shown_as + "\" and password_env = \"NAME\", "
            "and export NAME=<the password> before running recouvre-docs.",
        ) from err
    except pikepdf.PdfError as err:
        raise EvidenceError(
            f"{shown_as}: not a readable PDF, and qpdf could not repair it ({_short(err, src)})",
            path=src,
            hint="Ask the sender for a new copy, or re-create the PDF (print it to PDF again) and replace the file.",
        ) from err
    with pdf:
        try:
            pages = len(pdf.pages)
        except pikepdf.PdfError as err:
            raise EvidenceError(
                f"{shown_as}: the PDF's page tree is damaged beyond repair ({_short(err, src)})",
                path=src,
                hint="Ask the sender for a new copy, or re-create the PDF and replace the file.",
            ) from err
        if pages == 0:
            raise EvidenceError(f"{shown_as}: the PDF has no pages", path=src, hint="Replace it with the real document.")
        facts: dict[str, Any] = {}
        invoice = einvoice.read_from_pdf(pdf)
        if invoice:
            facts["einvoice"] = invoice
        title = str(pdf.docinfo.get("/Title", "")) if "/Title" in pdf.docinfo else ""
        if title.strip():
            facts["pdf_title"] = title.strip()
        # a PDF that needs no change is copied as it is (a save costs 9 ms a file: seconds for a case of
        # 400): not when it is encrypted, was repaired, carries files, scripts, a form or PDF/A faults
        warnings = list(pdf.get_warnings())  # qpdf's list is emptied by each read: kept here
        as_is = not pdf.is_encrypted and not warnings and not (
            "/Names" in pdf.Root and "/EmbeddedFiles" in pdf.Root.Names)
        if "/AcroForm" in pdf.Root:
            _flatten_form(pdf, shown_as)
            facts["form_flattened"] = True
        touched: set[str] = set()  # every change make_safe made, reported or not
        facts.update(pdfa.make_safe(pdf, reattached=einvoice.XML_NAMES, touched=touched))  # what PDF/A forbids, and what was done
        recoded, undecodable = _codings(pdf)
        warnings += pdf.get_warnings()
        as_is = as_is and "form_flattened" not in facts and not warnings and (
            not touched
            # a standard font that is not embedded is not worth a copy of its own: the bundle embeds the
            # same substitute once for every exhibit that uses it (bundle.PageFonts); facts still say it.
            # Not when a stream has a filter qpdf's save decodes (LZW, ASCII…): the save repairs its
            # damage, and says so (it was saved for the font before, and repaired with it)
            or touched == {"fonts_embedded"} and not recoded)
        tmp = target.with_suffix(".tmp")
        if as_is:
            shutil.copyfile(src, tmp)
        else:
            _rewrite(pdf, src, tmp, pages, facts, shown_as)
        warnings += pdf.get_warnings()
        seen: set = set()  # the fonts PDF/A forbids (pdfa.py could not replace them), as the bundle sees them
        missing = sorted(set().union(*(pdfa.page_unembedded_fonts(page, seen) for page in pdf.pages)))
    rebuilt = facts.pop("rebuilt", False)  # the pages copied into a new PDF: a repair too
    if warnings or rebuilt:
        facts["repaired"] = True
        log.warning("%s: damaged PDF repaired by qpdf (%d warnings, first: %s)", shown_as, len(warnings),
                    _short(Exception(warnings[0]), src) if warnings else "none")
    tmp.replace(target)
    if missing:  # PDF/A forbids them; said in the manifest and by the check (not yet normalised)
        facts["fonts_not_embedded"] = missing
    if undecodable:  # kept as they are, LZW, which PDF/A forbids: the bundle claims no PDF/A (the check says so)
        facts["streams_not_decodable"] = undecodable
    facts["pages"] = pages
    return facts


# The filters qpdf decodes when it saves (its "generalized" level), re-encoding the data with Flate.
_RECODED = {"/LZWDecode", "/ASCIIHexDecode", "/ASCII85Decode", "/RunLengthDecode"}


def _codings(pdf: pikepdf.Pdf) -> tuple[bool, int]:
    """In one pass over the streams: whether one has a filter qpdf's save decodes and writes anew
    (_RECODED), and how many are in a coding PDF/A forbids and do not decode (pdfa.undecodable_forbidden:
    kept so by every save, which the bundle reports)."""
    recoded, undecodable = False, 0
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream):
            recoded = recoded or bool(_RECODED.intersection(pdfa.filter_names(obj)))
            undecodable += pdfa.undecodable_forbidden(obj)
    return recoded, undecodable


def _save_pages_only(pdf: pikepdf.Pdf, target: Path) -> None:
    """A new PDF holding the pages of ``pdf`` (and its title), without anything of its damaged trailer
    or catalog. Outlines and attachments are lost; the e-invoice was read before."""
    fresh = pikepdf.new()
    fresh.pages.extend(pdf.pages)
    title = pdf.docinfo.get("/Title") if "/Title" in pdf.docinfo else None
    if title is not None:
        fresh.docinfo["/Title"] = pikepdf.String(str(title))
    if "/Lang" in pdf.Root:
        fresh.Root.Lang = pikepdf.String(str(pdf.Root.Lang))
    fresh.save(target, deterministic_id=True, encryption=False, object_stream_mode=pikepdf.ObjectStreamMode.generate)


def _rewrite(pdf: pikepdf.Pdf, src: Path | str, tmp: Path, pages: int, facts: dict[str, Any], shown_as: str) -> None:
    """Save the changed (or decrypted, or repaired) ``pdf`` to ``tmp``, in a form qpdf reads back without
    repairing it. Its ID need not be deterministic: the bundle derives its own."""
    try:
        pdf.remove_unreferenced_resources()
        pdf.save(tmp, deterministic_id=False, encryption=False, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        if not _reads_back(tmp, pages):
            # a damaged source can carry broken cross-reference settings into the copy: write it again
            # with a classic cross-reference table, and give up only if that fails too
            if "/ID" in pdf.trailer:
                del pdf.trailer["/ID"]
            pdf.save(tmp, deterministic_id=False, encryption=False, object_stream_mode=pikepdf.ObjectStreamMode.disable,
                     fix_metadata_version=False)
            if not _reads_back(tmp, pages):
                # the damaged trailer itself is copied (qpdf keeps its keys): the pages, into a new PDF
                _save_pages_only(pdf, tmp)
                facts["rebuilt"] = True
                if not _reads_back(tmp, pages):
                    raise pikepdf.PdfError("the repaired copy cannot be read back")
    except (pikepdf.PdfError, RuntimeError) as err:
        tmp.unlink(missing_ok=True)
        raise EvidenceError(
            f"{shown_as}: the PDF is damaged and cannot be rewritten ({_short(err, src)})",
            path=src,
            hint="Ask the sender for a new copy, or re-create the PDF and replace the file.",
        ) from err


def _short(err: Exception, src: Path | str) -> str:
    """qpdf's message, without the (possibly temporary) file name it starts with."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    text = text.replace(f"{src}: ", "").replace(str(src), "the file")
    return text[:200]


def _flatten_form(pdf: pikepdf.Pdf, shown_as: str) -> None:
    """Print the form's values into the pages (their appearance generated when the form asked the
    viewer to do it), so that what was filled in shows in every viewer and nothing stays editable."""
    try:
        pdf.generate_appearance_streams()
    except (pikepdf.PdfError, RuntimeError) as err:  # a malformed form: flatten what has appearances
        log.warning("%s: form appearances could not all be generated (%s)", shown_as, err)
    pdf.flatten_annotations(mode="all")
    if "/AcroForm" in pdf.Root:
        del pdf.Root["/AcroForm"]


def _reads_back(path: Path, pages: int) -> bool:
    """The copy opens without qpdf having to repair it, with all its pages (what the merge will need)."""
    try:
        with pikepdf.open(path) as check:
            return len(check.pages) == pages and not check.get_warnings()
    except pikepdf.PdfError:
        return False
