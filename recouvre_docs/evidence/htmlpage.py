"""An HTML file (a saved web page, an exported statement) -> PDF, offline.

The page is sanitised exactly like an e-mail body (nh3: no script, no style sheet, no remote or local
URL; only data: images survive), then laid out by WeasyPrint with the fetcher that refuses everything
outside the packaged templates. A remote reference is counted, and the page says it was not loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..render import environment
from ..render import pdf as render_pdf
from ..resources import templates_root
from .email import sanitize, truncate_html


def _decode(data: bytes) -> str:
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def to_pdf(data: bytes, target: Path, *, name: str, lang: str, case_root: Path | None) -> dict[str, Any]:
    clean, remote = sanitize(_decode(data))
    clean, truncated = truncate_html(clean)  # a huge page: its beginning, and the page says so
    page = environment.render("htmlpage.html", {"body": Markup(clean), "name": name, "remote_blocked": remote,
                                                "truncated": truncated}, lang, case_root)
    root = templates_root()
    result = render_pdf.html_to_pdf(page, target, base_dir=root / "shared", roots=[root], lang=lang)
    facts = {"pages": result.pages, "remote_blocked": remote + len(result.blocked)}
    if truncated:
        facts["body_truncated"] = True
    return facts
