"""An XML-only e-invoice (XRechnung, UBL, Factur-X/ZUGFeRD CII without its PDF) as a readable page.

The facts are read by einvoice.read_xml (lxml, no network, no entities); the page is rendered from
them by WeasyPrint with templates/shared/einvoice.html. The XML itself is attached to the bundle as the
original (api._originals), so the page is a reading aid and the XML remains the evidence.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from .. import i18n
from ..errors import EvidenceError
from . import einvoice
from .email import MAX_BODY_ROWS


_SHOWN = ("number", "date", "due", "type_code", "seller", "seller_address", "seller_vat", "buyer", "buyer_address",
          "buyer_vat", "order", "profile", "lines", "net_total", "tax_total", "total", "due_payable", "currency", "iban")


def render(data: bytes, target: Path, *, shown_as: str, name: str, lang: str, case_root: Path | None) -> dict[str, Any]:
    facts = einvoice.read_xml(data)
    if facts.get("error") or not facts.get("number"):
        raise EvidenceError(
            f"{shown_as}: an XML file that is not a readable e-invoice ({facts.get('error', 'no invoice number')})",
            hint="Put the invoice's PDF in evidence/ instead, or check the file with its sender.",
        )
    from ..render import frontmatter

    facts["xml"] = data.decode("utf-8", "replace")
    facts["xml_name"] = name
    shown = dict.fromkeys(_SHOWN) | facts  # every key the template may show, None when the XML lacks it
    shown["lines_total"] = None
    if len(shown.get("lines") or []) > MAX_BODY_ROWS:  # the first lines; the XML, attached, holds them all
        shown["lines_total"] = len(shown["lines"])
        shown["lines"] = shown["lines"][:MAX_BODY_ROWS]
    for key in ("date", "due"):  # dates as the case language writes them
        if shown[key]:
            shown[key] = i18n.format_date(dt.date.fromisoformat(shown[key]), lang)
    pages = frontmatter.render_to_pdf("einvoice.html", {"f": shown, "file": name}, target, lang=lang, case_root=case_root)
    return {"einvoice": facts, "pages": pages}
