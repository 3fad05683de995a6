"""Office files (Word, Excel, PowerPoint, OpenDocument, RTF, plain text) -> PDF with LibreOffice.

LibreOffice runs headless, in a fresh profile of its own (nothing of the user's settings, no lock
files, no recovery), on a copy of the file under a neutral name, with a time limit, and — where
Linux allows an unprivileged network namespace (unshare -rn) — with no network at all, so that a
linked image or a remote template in a document cannot be fetched. The PDF it writes then goes
through the same normalisation as any PDF evidence (pdf.normalize).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import EvidenceError, ToolMissingError
from . import pdf, workers

log = logging.getLogger(__name__)

OFFICE_SUFFIXES = {".doc", ".docx", ".odt", ".rtf", ".txt", ".xls", ".xlsx", ".ods", ".csv", ".ppt", ".pptx", ".odp"}

# Never update links or load remote content when a document opens (belt and braces with the network
# namespace, for the systems that do not have one).
_REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Writer/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>2</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>2</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
</oor:items>
"""


def soffice() -> str:
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if path is None:
        raise ToolMissingError(
            "LibreOffice is required to convert Word, Excel, PowerPoint and OpenDocument files, and it is not installed",
            hint="Install it: 'apt-get install libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui' "
            "(Debian/Ubuntu), 'brew install --cask libreoffice' (macOS); or print the file to PDF and put the PDF in evidence/.",
        )
    return path


@lru_cache(maxsize=1)
def _isolation() -> list[str]:
    """The prefix that runs a command without network, when this system can (Linux user namespaces)."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-rn", "true"], capture_output=True).returncode == 0:
        return [unshare, "-rn"]
    log.info("no network namespace available: LibreOffice runs with link updates disabled only")
    return []


def to_pdf(src: Path, target: Path, *, shown_as: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="recouvre-office-") as tmp:
        work = Path(tmp)
        profile = work / "profile"
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(_REGISTRY, "utf-8")
        source = work / f"evidence{src.suffix.lower()}"  # a neutral name: the user's name never reaches the command line
        shutil.copyfile(src, source)
        out = work / "out"
        cmd = [*_isolation(), soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible",
               "--norestore", "--nolockcheck", "--nodefault", "--nologo", "--convert-to", "pdf", "--outdir", str(out),
               str(source)]
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ")}
        env.update(HOME=str(work), TMPDIR=str(work), SAL_USE_VCLPLUGIN="svp")
        limit = workers.timeout()  # the worker that runs this is stopped at the same limit, LibreOffice with it
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=limit, env=env, cwd=work)
        except subprocess.TimeoutExpired as err:
            raise EvidenceError(
                f"{shown_as}: LibreOffice did not finish converting it within {limit:g} s",
                path=src, hint="Open it in its application and export it to PDF, then put the PDF in evidence/.",
            ) from err
        produced = out / "evidence.pdf"
        if proc.returncode != 0 or not produced.is_file():
            detail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no PDF written"]
            raise EvidenceError(
                f"{shown_as}: LibreOffice could not convert it ({detail[0][:200]})",
                path=src, hint="The file may be damaged or protected: open it in its application and export it to PDF.",
            )
        return pdf.normalize(produced, target, shown_as=shown_as)
