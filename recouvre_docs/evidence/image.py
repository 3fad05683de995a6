"""Scans and photos (JPEG, PNG, TIFF incl. multi-page) -> PDF, losslessly, with img2pdf.

img2pdf embeds JPEG data as is and PNG/TIFF without re-compression loss. The page takes the image's
physical size when its resolution is plausible (a 200 dpi A4 scan gives an A4 page); an image with no
or an implausible resolution (a phone photo at 72 dpi would be a metre wide) is fitted into an A4
page in its orientation. An alpha channel is flattened on white (lossless for the colour data).
"""

from __future__ import annotations

import logging

import io
from pathlib import Path


logging.getLogger("img2pdf").setLevel(logging.ERROR)  # its notes (alpha channel…) are not the user's concern
import pikepdf
from PIL import Image, UnidentifiedImageError

from .. import pdfa
from ..errors import EvidenceError

_MM = 72 / 25.4  # img2pdf.mm_to_pt, without importing img2pdf (30 MB, 0.1 s) before a scan needs it
A4 = (210 * _MM, 297 * _MM)
_MAX_SIDE_PT = 430 * _MM  # a bit over A3: larger is a photo with a wrong resolution
_MIN_SIDE_PT = 70 * _MM

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".heic", ".heif"}
HEIF_BRANDS = (b"ftypheic", b"ftypheix", b"ftyphevc", b"ftypmif1", b"ftypmsf1")  # bytes 4-12 of an HEIF file


def is_heif(data: bytes) -> bool:
    return data[4:12] in HEIF_BRANDS


def _heif_to_png(data: bytes) -> bytes:
    """A phone photo in HEIF/HEIC (pillow-heif reads it), turned upright by its EXIF orientation and
    kept lossless as PNG, since img2pdf cannot embed HEIF."""
    import pillow_heif
    from PIL import ImageOps

    pillow_heif.register_heif_opener()
    with Image.open(io.BytesIO(data)) as im:
        upright = ImageOps.exif_transpose(im).convert("RGB")
        dpi = im.info.get("dpi")
    out = io.BytesIO()
    upright.save(out, format="PNG", **({"dpi": dpi} if dpi else {}))
    return out.getvalue()


def _layout(data: bytes):
    import img2pdf

    with Image.open(io.BytesIO(data)) as im:
        dpi = im.info.get("dpi")
        width, height = im.size
    if dpi and dpi[0] and dpi[1] and float(dpi[0]) >= 50:
        w_pt, h_pt = width * 72 / float(dpi[0]), height * 72 / float(dpi[1])
        if _MIN_SIDE_PT <= max(w_pt, h_pt) <= _MAX_SIDE_PT:
            return img2pdf.get_fixed_dpi_layout_fun((float(dpi[0]), float(dpi[1])))
    return img2pdf.get_layout_fun(pagesize=A4, fit=img2pdf.FitMode.into, auto_orient=True)


def _flatten(data: bytes) -> bytes:
    """Every frame on white, as PNG (lossless): for images img2pdf refuses (alpha, odd modes)."""
    out = io.BytesIO()
    with Image.open(io.BytesIO(data)) as im:
        frames = []
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            frame = im.convert("RGBA")
            white = Image.new("RGBA", frame.size, (255, 255, 255, 255))
            frames.append(Image.alpha_composite(white, frame).convert("RGB"))
        dpi = im.info.get("dpi")
    extra = {"dpi": dpi} if dpi else {}
    if len(frames) == 1:
        frames[0].save(out, format="PNG", **extra)
    else:
        frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_adobe_deflate", **extra)
    return out.getvalue()


def to_pdf(data: bytes, target: Path, *, shown_as: str) -> dict:
    import img2pdf

    if is_heif(data):
        try:
            data = _heif_to_png(data)
        except Exception as err:  # noqa: BLE001 - any failure of the HEIF decoder is an unreadable photo
            raise EvidenceError(
                f"{shown_as}: this HEIF/HEIC photo cannot be read ({err})",
                hint="Export it from the phone or photo application as JPEG and put the JPEG in evidence/.",
            ) from err
    try:
        layout = _layout(data)
    except UnidentifiedImageError as err:  # its message names a memory address: said plainly instead
        raise EvidenceError(
            f"{shown_as}: not a readable image (its format is not recognised, or the file is damaged)",
            hint="Open it in an image viewer; if it does not open, ask for a new copy or scan it again.",
        ) from err
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        raise EvidenceError(
            f"{shown_as}: not a readable image ({err})",
            hint="Open it in an image viewer; if it does not open, ask for a new copy or scan it again.",
        ) from err
    options = dict(layout_fun=layout, nodate=True, rotation=img2pdf.Rotation.ifvalid, engine=img2pdf.Engine.internal)
    try:
        pdf_bytes = img2pdf.convert(data, **options)
    except (img2pdf.AlphaChannelError, img2pdf.UnsupportedColorspaceError, img2pdf.JpegColorspaceError, ValueError):
        try:
            pdf_bytes = img2pdf.convert(_flatten(data), **options)
        except Exception as err:  # noqa: BLE001 - any failure here is an unreadable image
            raise EvidenceError(
                f"{shown_as}: the image cannot be converted to PDF ({err})",
                hint="Save it again as PNG or JPEG with an image editor, or scan it again.",
            ) from err
    except Exception as err:  # noqa: BLE001
        raise EvidenceError(
            f"{shown_as}: the image cannot be converted to PDF ({err})",
            hint="Save it again as PNG or JPEG with an image editor, or scan it again.",
        ) from err
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        pages = len(pdf.pages)
        changes = pdfa.make_safe(pdf)  # a CMYK scan: its DefaultCMYK (the samples are kept)
        if changes:
            out = io.BytesIO()
            pdf.save(out, deterministic_id=True)
            pdf_bytes = out.getvalue()
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(pdf_bytes)
    tmp.replace(target)
    return {"pages": pages, "scan": True, **changes}
