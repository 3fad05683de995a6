"""HTML -> PDF with WeasyPrint: the only module that imports it.

No network access, ever: the URL fetcher serves files under the template folders, ``cid:`` parts
of the e-mail being rendered, and ``data:`` URLs; anything else (http, https, ftp, file: elsewhere) is
refused and recorded, and the page is rendered without it.
"""

from __future__ import annotations

import contextlib
import logging
import mimetypes
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from ..errors import ToolMissingError

log = logging.getLogger(__name__)


def _weasyprint():
    try:
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration
    except OSError as err:  # the native libraries (Pango, HarfBuzz) are missing
        raise ToolMissingError(
            f"WeasyPrint cannot load its native libraries: {err}",
            hint="Install Pango: 'apt-get install libpango-1.0-0 libpangoft2-1.0-0' (Debian/Ubuntu), "
            "'brew install pango' (macOS); see https://doc.courtbouillon.org/weasyprint/stable/first_steps.html",
        ) from err
    return weasyprint, FontConfiguration


@dataclass
class RenderResult:
    pages: int
    blocked: list[str] = field(default_factory=list)  # URLs refused by the fetcher


def _fetcher_class():
    weasyprint, _ = _weasyprint()

    class SafeFetcher(weasyprint.URLFetcher):
        """Serves local template files, cid: and data: URLs; refuses everything else."""

        def __init__(self, roots: list[Path], parts: dict[str, tuple[bytes, str]]):
            super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=1)
            self.roots = [r.resolve() for r in roots]
            self.parts = parts
            self.blocked: list[str] = []

        def fetch(self, url, headers=None):
            scheme = urlsplit(url).scheme.lower()
            if scheme == "cid":
                key = unquote(url[4:]).strip("<>")
                if key in self.parts:
                    data, mime = self.parts[key]
                    return weasyprint.urls.URLFetcherResponse(url, data, {"Content-Type": mime})
            elif scheme == "data":
                return super().fetch(url, headers)
            elif scheme == "file":
                path = Path(url2pathname(urlsplit(url).path)).resolve()
                if any(path.is_relative_to(root) for root in self.roots) and path.is_file():
                    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return weasyprint.urls.URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
            self.blocked.append(url)
            raise ValueError(f"recouvre-docs does not load {url!r} (no network access, no files outside the templates)")

    return SafeFetcher


# fontTools (which WeasyPrint uses to subset fonts) stamps "now" into each font's head table unless
# SOURCE_DATE_EPOCH is set (reproducible-builds.org): a fixed value keeps the output byte-identical.
_FIXED_EPOCH = "1767225600"  # 2026-01-01T00:00:00Z


@contextlib.contextmanager
def reproducible():
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    if previous is None:
        os.environ["SOURCE_DATE_EPOCH"] = _FIXED_EPOCH
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)


def html_to_pdf(
    html: str,
    target: Path,
    *,
    base_dir: Path,
    roots: list[Path],
    parts: dict[str, tuple[bytes, str]] | None = None,
    lang: str = "fr",
) -> RenderResult:
    """Render ``html`` to the PDF file ``target``; relative URLs resolve against ``base_dir``."""
    weasyprint, FontConfiguration = _weasyprint()
    fetcher = _fetcher_class()(roots, parts or {})
    fonts = FontConfiguration()
    # WeasyPrint logs each refused URL as a warning; they are reported to the user our way.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    with reproducible():
        document = weasyprint.HTML(string=html, base_url=base_dir.as_uri() + "/", url_fetcher=fetcher).render(
            font_config=fonts
        )
        document.write_pdf(target, pdf_identifier=b"recouvre-docs", uncompressed_pdf=False)
    return RenderResult(pages=len(document.pages), blocked=list(fetcher.blocked))
