"""The case file: plan (pure: page numbers, labels, links), then assemble with qpdf and pikepdf.

Assembly follows ../shared/PERF.md: the qpdf command line concatenates the cover, the index and every
exhibit's cached PDF into one temporary file (``--keep-files-open=y``), then one pikepdf pass over
that single file adds the stamps (content streams), the links of the index, the bookmarks, the page
labels, the metadata and the embedded manifest. The Python process never holds the sources open, so
memory does not grow with the bundle.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import pikepdf
from pikepdf import Array, Dictionary, Name

from . import __version__, digest, i18n, pdfa, stamp, subprocesses
from .resources import replace_text
from .errors import EvidenceError, ToolMissingError
if TYPE_CHECKING:  # the assembling process (assemble_job) does without pydantic
    from .models import Exhibit
from .timing import timed

log = logging.getLogger(__name__)

LINK_SCHEME = "recouvre:exhibit/"


@dataclass(frozen=True)
class Entry:
    """One line of the index and one bookmark: an exhibit, or an attachment nested under it."""

    key: str  # "3", "5.1" for the first appended attachment of exhibit 5, "5.2.1" for the first of 5.2
    label: str  # "Pièce n° 3"
    title: str
    date: dt.date | None
    kind: str
    first: int  # first page in the bundle, 1-based
    pages: int
    level: int  # 0 exhibit, 1 attachment, 2 an attachment's attachment…
    source: str
    pdf: Path
    ocr: tuple[int, ...] = ()  # pages (1-based, in this entry) whose text OCR recognised

    @property
    def last(self) -> int:
        return self.first + self.pages - 1


@dataclass(frozen=True)
class Plan:
    front: int  # pages before the first exhibit (cover, index)
    total: int
    entries: list[Entry]

    def entry_of_page(self) -> list[Entry | None]:
        """For each bundle page (0-based), the entry it belongs to (None for the front pages)."""
        owners: list[Entry | None] = [None] * self.total
        for e in self.entries:
            for p in range(e.first - 1, e.last):
                owners[p] = e
        return owners


def plan(exhibits: list[Exhibit], front: int, lang: str) -> Plan:
    """Page numbers and labels of every exhibit after ``front`` pages. Pure."""
    entries: list[Entry] = []
    page = front + 1
    for ex in exhibits:
        key = str(ex.number)
        entries.append(Entry(key, i18n.exhibit_label(lang, key), ex.piece.title, ex.piece.date, ex.piece.kind,
                             page, ex.main.pages, 0, ex.piece.rel, ex.main.pdf, tuple(ex.main.ocr_pages)))
        page += ex.main.pages
        for child in ex.children:  # depth first, numbered by path (Part.key)
            ckey = f"{ex.number}.{child.key}"
            entries.append(Entry(ckey, i18n.exhibit_label(lang, ckey), child.title, None, "attachment",
                                 page, child.pages, child.level, child.source, child.pdf, tuple(child.ocr_pages)))
            page += child.pages
    return Plan(front=front, total=page - 1, entries=entries)


# ----------------------------------------------------------------------------------------------


@dataclass
class Assembly:
    """What the assembler needs beyond the plan: rendered front pages and document metadata."""

    cover: Path
    index: Path
    lang: str
    reference: str
    title: str
    author: str
    subject: str
    as_of: dt.date
    attachments: list[tuple[str, bytes, str, str]] = field(default_factory=list)  # name, data, mime, description
    attachment_exhibits: dict[str, int] = field(default_factory=dict)  # attachment name -> its exhibit number
    documents: list[tuple[str, Path]] = field(default_factory=list)  # generated documents after the cover: title, PDF
    manifest: dict[str, Any] | None = None  # completed with each page's hash, then attached as manifest.json
    # False for a channel that wants no attachments (beA: no portfolios): neither the originals nor
    # manifest.json are embedded; the manifest is only written beside the PDF.
    attach_originals: bool = True
    cache: Path | None = None  # the build's out/.cache: the stamp fonts' subsets are kept there


def qpdf_path() -> str:
    path = shutil.which("qpdf")
    if path is None:
        raise ToolMissingError(
            "the qpdf program is required to merge the case file, and it is not installed",
            hint="Install it: 'apt-get install qpdf' (Debian/Ubuntu), 'dnf install qpdf' (Fedora), "
            "'brew install qpdf' (macOS), 'choco install qpdf' (Windows); or run 'make demo', which installs it.",
        )
    return path


@lru_cache(maxsize=1)
def qpdf_version() -> str:
    """The qpdf program's version (it merges the exhibits; pikepdf's libqpdf does the rest)."""
    proc = subprocess.run([qpdf_path(), "--version"], capture_output=True, text=True)
    first = proc.stdout.splitlines()[0] if proc.stdout else ""
    return first.removeprefix("qpdf version ").strip() or "?"


class Merge:
    """``qpdf --empty --pages … -- target`` running in the background, every input kept open (PERF.md:
    2.25x faster past 200 files). build() starts the exhibits' merge as soon as they are converted,
    and runs the check and lays out the documents and the index while qpdf works.

    ``streams``: qpdf is run by ``python -m recouvre_docs.merge_job``, which says qpdf's exit
    status on its standard output as soon as qpdf ends, then reads the merged file's stream table
    (digest.stream_table: the hash of every stream's data, and which streams the PDF/A pass must
    rewrite), so that the pass that stamps the pages does not read 200 MB of stream data again (1 s
    of the PDF step on 4,000 pages). No thread: build forks worker processes meanwhile. The table is
    an optimisation only: when it cannot be had, the pass reads the data itself."""

    key: str | None = None  # what names the converted files merged (merge_exhibits), when it was computed

    @classmethod
    def kept(cls, kept: Path, work: Path, pages: int) -> Merge | None:
        """A merge done by an earlier build (merge_exhibits' ``cache``), or None if it cannot be used.

        Its file and its stream table are hard-linked into ``work``, so that another build of the
        same case replacing it (Merge.keep) cannot take it away; a file that does not open without
        repair, or does not hold ``pages`` pages, is deleted (the exhibits are then merged again)."""
        link = work / "exhibits.pdf"
        try:
            work.mkdir(parents=True, exist_ok=True)
            os.link(kept, link)
        except OSError as err:  # gone meanwhile, or another file system
            log.debug("merged exhibits not taken from the cache: %s", err)
            return None
        try:
            with pikepdf.open(link, attempt_recovery=False) as pdf:
                ok = len(pdf.pages) == pages
        except (pikepdf.PdfError, OSError, ValueError):
            ok = False
        if not ok:
            log.warning("%s: damaged, deleted (the exhibits are merged again)", kept.name)
            for path in (link, kept, _table_path(kept)):
                path.unlink(missing_ok=True)
            return None
        merge = cls.__new__(cls)
        merge.target, merge.table_path, merge.done, merge.driver = link, _table_path(link), True, False
        merge.proc, merge.stderr, merge.keep_as, merge.table_checked = None, None, None, True
        merge.table_ready = None
        try:  # linked too: the pass that stamps the pages reads it (none when it was not ready when kept)
            os.link(_table_path(kept), merge.table_path)
            merge.table_ready = merge.table_path
        except OSError as err:
            log.debug("stream table not taken from the cache: %s", err)
        return merge

    def __init__(self, inputs: list[Path], target: Path, work: Path, *, deterministic: bool = True,
                 streams: bool = False, keep_as: Path | None = None):
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        keep = "--keep-files-open=y" if len(inputs) + 64 < soft else f"--keep-files-open-threshold={max(soft - 64, 16)}"
        # --deterministic-id hashes the whole output once more (+50 % on the bench's 4,000 pages): only
        # for a file that is published as it is, not for the intermediate file assemble() rewrites anyway
        args = [keep, *(["--deterministic-id"] if deterministic else []), "--empty", "--pages",
                *[str(p) for p in inputs], "--", str(target)]
        work.mkdir(parents=True, exist_ok=True)
        argfile = work / f"{target.name}.qpdf-args"
        argfile.write_text("\n".join(args) + "\n", "utf-8")
        qpdf = [qpdf_path(), f"@{argfile}"]
        self.target = target
        self.table_path = _table_path(target)
        self.keep_as = keep_as  # where keep() puts the merged file and its table for the next build
        self.table_ready: Path | None = None  # table_file(): looked at once
        self.table_checked = False
        self.done = False
        self.stderr = tempfile.TemporaryFile()  # qpdf's messages (the driver passes its own stderr on)
        self.driver = False
        if streams and sys.executable:
            try:  # -P: never a recouvre_docs of the current directory
                self.proc = subprocess.Popen(subprocesses.command("recouvre_docs.merge_job", *qpdf, str(target),
                                                                  str(self.table_path)),
                                             stdout=subprocess.PIPE, stderr=self.stderr, env=subprocesses.environment())
                self.driver = True
                return
            except OSError as err:
                log.debug("stream table not started: %s", err)
        self.proc = subprocess.Popen(qpdf, stdout=subprocess.DEVNULL, stderr=self.stderr)

    def _qpdf_code(self) -> int:
        if not self.driver:
            return self.proc.wait()
        line = self.proc.stdout.readline().strip()  # written when qpdf ends, before the table is read
        if line.lstrip(b"-").isdigit():
            return int(line)
        return self.proc.wait() or -1  # the driver died before qpdf ended: a failed merge

    def wait(self) -> Path:
        if self.done:
            return self.target
        code = self._qpdf_code()
        self.stderr.seek(0)
        message = self.stderr.read().decode("utf-8", "replace").strip()
        if not self.driver:
            self.stderr.close()
        if code not in (0, 3):  # 3: succeeded with warnings
            self.cancel()
            raise EvidenceError(
                f"qpdf could not merge the exhibits: {message[:500]}",
                hint="This is unexpected for files recouvre-docs already converted: please report it with the files.",
            )
        if code == 3:
            log.info("qpdf warnings while merging: %s", message[:500])
        self.done = True
        return self.target

    def settle(self) -> Path:
        """wait(), and for the reading of the stream table too: table_file() then keeps it."""
        target = self.wait()
        if self.driver and not self.table_checked and self.proc is not None:
            self.proc.wait()
        return target

    def table_file(self) -> Path | None:
        """The merged file's stream table (digest.stream_table, as write_table wrote it), or None if it
        was not written, or is not written yet: reading the data in the stamping pass is then sooner than
        waiting (a rebuild, whose documents come from the cache, needs the merged file about as soon as
        qpdf has written it)."""
        self.wait()
        if self.table_checked:  # kept from an earlier build, or asked before (a split build assembles again)
            return self.table_ready
        self.table_checked = True
        if not self.driver:
            return None
        code = self.proc.poll()
        if code is None:
            self.cancel()
            log.debug("stream table not ready: the stamping pass reads the stream data itself")
            return None
        self.proc.stdout.close()
        self.table_ready = self.table_path if code == 0 and self.table_path.is_file() else None
        return self.table_ready

    def keep(self) -> None:
        """After a build that succeeded: keep the merged file (and its table, if it was read to the
        end) in the cache, in place of any earlier one, so that a rebuild with the same exhibits (after
        an edit of case.toml) does not merge them again."""
        if self.keep_as is None or self.proc is None or not self.done or not self.target.is_file():
            return
        try:
            for old in self.keep_as.parent.glob(f"{MERGED_PREFIX}*"):
                old.unlink()
            if self.driver and self.proc.poll() == 0 and self.table_path.is_file():  # written whole, or not at all
                os.replace(self.table_path, _table_path(self.keep_as))
            os.replace(self.target, self.keep_as)
        except OSError as err:  # the cache is an optimisation
            log.debug("merged exhibits not kept: %s", err)

    def cancel(self) -> None:
        """Stop qpdf (and the driver, which then stops qpdf: SIGTERM) if still running."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate() if self.driver else self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.stderr):
            if stream is not None and not stream.closed:
                stream.close()


def concatenate(inputs: list[Path], target: Path, work: Path, *, deterministic: bool = True) -> None:
    """qpdf --empty --pages … -- target, with every input kept open (PERF.md: 2.25x faster)."""
    Merge(inputs, target, work, deterministic=deterministic).wait()


def _pdf_date(day: dt.date) -> str:
    return f"D:{day:%Y%m%d}000000Z"


MERGED_PREFIX = "merged-"


def _merged_name(key: str) -> str:
    """The file in the case's cache of the merged exhibits whose converted files ``key`` names."""
    return f"{MERGED_PREFIX}{key}.pdf"


def _table_path(merged: Path) -> Path:
    return merged.with_name(merged.name + ".streams")


def merge_exhibits(p: Plan, work: Path, *, streams: bool = True, cache: Path | None = None) -> Merge:
    """Start merging the exhibits' PDFs, in their order, in the background (the plan's page numbers
    do not matter: only the order of its entries). ``cache``: the case's cache folder, where the
    merge of the same converted files (named by their content) kept by an earlier build is taken
    instead, and where Merge.keep() leaves this one."""
    inputs = [e.pdf for e in p.entries]
    keep_as = key = None
    if cache is not None and streams:
        try:
            h = hashlib.sha256(f"merge 1\0{qpdf_version()}\0".encode())
            for path in inputs:  # converted files are named by their content's key
                h.update(f"{path.name}\0{path.stat().st_size}\n".encode())
            key = h.hexdigest()[:40]
            keep_as = cache / _merged_name(key)
            if keep_as.is_file():
                kept = Merge.kept(keep_as, work, sum(e.pages for e in p.entries))
                if kept is not None:
                    kept.key = key
                    return kept
        except OSError as err:
            log.debug("no merged exhibits from the cache: %s", err)
            keep_as = None
    merge = Merge(inputs, work / "exhibits.pdf", work, deterministic=False, streams=streams, keep_as=keep_as)
    merge.key = key if keep_as is not None else None
    return merge


def assemble(p: Plan, a: Assembly, target: Path, work: Path, exhibits: Merge | None = None) -> None:
    """Finish the case file into ``target`` (a temporary path the caller publishes): the front pages
    (cover, documents, index) put before the exhibits merged by ``exhibits`` (merge_exhibits), or
    merged here. ``a.manifest`` receives the pages' digests and what the file says of itself.

    The pass is made by a process of its own (assemble_job), which imports pikepdf and this module
    only: the merged file's objects (some 16 KiB a page) then do not add to the memory of the process
    that holds the case, its evidence and its check (issue 8: peak RSS of any process)."""
    own = exhibits is None  # a merge of the caller's may be used again (volumes lay the bundle out anew)
    with timed("pdf.merge"):
        merge = exhibits or merge_exhibits(p, work, streams=False)  # needed at once: no table
        merged = merge.wait()
        table = merge.table_file()
    try:
        if not _assemble_elsewhere(p, a, target, merged, table, merge.key):
            finish(p, a, target, merged, table, merge.key)
    finally:
        if own:
            merged.unlink(missing_ok=True)


class _Assembler(threading.local):
    """The process start_assembler() started, for the next assemble() of this thread: each build its
    own (batch on a Dask worker runs builds in threads of one process)."""

    process: tuple[int, subprocess.Popen] | None = None  # (the pid that started it, the process)
    prepared = False  # asked to stamp the exhibits' pages ahead (prepare_assembly)


_helper = _Assembler()


def start_assembler() -> None:
    """Start the process of the next assemble() now: it imports pikepdf and the PDF modules (0.25 s)
    while the build does other work, then waits for its request on its standard input."""
    if _helper.process is not None and _helper.process[0] == os.getpid() or not subprocesses.enabled():
        return
    from . import early

    try:  # the one the command started before importing the build's modules (launch.py), or a new one
        proc = early.take_assembler() or early.spawn_assembler()
    except OSError as err:
        log.debug("no assembling process (%s)", err)
        return
    _helper.process, _helper.prepared = (os.getpid(), proc), False


def discard_assembler() -> None:
    """End the process start_assembler() started, if no assemble() took it (a build that failed)."""
    if _helper.process is None or _helper.process[0] != os.getpid():
        return
    proc, prepared = _helper.process[1], _helper.prepared
    _helper.process, _helper.prepared = None, False
    from . import early

    if prepared:  # busy stamping pages that will not be used: no need to wait for it
        early.end(proc)
        return
    with contextlib.suppress(OSError, ValueError):
        subprocesses.write_message(proc.stdin, None)  # no request: it ends
        proc.stdin.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
    proc.stdout.close()


STAMPED_FILE = "stamped.json"  # how the last build stamped the exhibits' pages (remember_stamps)


def stamping(p: Plan) -> tuple:
    """What the stamps of the exhibits' pages depend on in a plan: the front pages' count, the total,
    and each entry's key, label, first page and length (ExhibitPages)."""
    return p.front, p.total, tuple((e.key, e.label, e.first, e.pages) for e in p.entries)


def _stamping_plan(front: int, total: int, entries: Iterable, pdf: Path) -> Plan:
    """A plan that stamps as stamping() says (its entries without title, date or kind)."""
    return Plan(front=int(front), total=int(total), entries=[
        Entry(key=str(key), label=str(label), title="", date=None, kind="", first=int(first), pages=int(pages),
              level=0, source="", pdf=pdf) for key, label, first, pages in entries])


def remember_stamps(cache: Path, merge: Merge, p: Plan) -> None:
    """After a build that succeeded: keep how it stamped the exhibits' pages (stamping), with the merged
    file's name, for prepare_assembly."""
    if merge.key is None:
        return
    front, total, entries = stamping(p)
    stamped = {"merge": merge.key, "front": front, "total": total, "entries": entries}
    if not replace_text(cache / STAMPED_FILE, json.dumps(stamped, ensure_ascii=False) + "\n"):  # an optimisation
        log.debug("how the pages were stamped not kept")


def prepare_assembly(cache: Path, reference: str) -> bool:
    """Have the process start_assembler() started stamp the exhibits' pages now (ExhibitPages), as the
    last build stamped them (remember_stamps), from the merged file that build kept: a rebuild after
    an edit of case.toml, whose exhibits are the same, then finds them stamped when its front pages
    are laid out, and its PDF step inserts and stamps the front pages only. finish() uses them if
    they are the same merged file (merge_exhibits takes it from the cache) and its plan stamps them
    alike (stamping), and stamps them again otherwise. True if asked."""
    started = _helper.process
    if started is None or started[0] != os.getpid() or _helper.prepared:
        return False
    try:
        data = json.loads((cache / STAMPED_FILE).read_text("utf-8"))
        if not re.fullmatch(r"[0-9a-f]{40}", data["merge"]):  # a name in the cache, nothing else
            return False
        merged = cache / _merged_name(data["merge"])
        if not merged.is_file():
            return False
        p = _stamping_plan(data["front"], data["total"], data["entries"], merged)
    except Exception:  # noqa: BLE001 - a damaged or planted file (OverflowError, RecursionError…) costs time only
        return False
    table = _table_path(merged)
    return _ask_ahead(started[1], p, merged, table if table.is_file() else None, reference, cache, digests=False)


def _ask_ahead(proc: subprocess.Popen, p: Plan, merged: Path, table: Path | None, reference: str,
               cache: Path | None, *, digests: bool) -> bool:
    """Ask the assembling process to stamp the exhibits' pages of ``merged`` as ``p`` stamps them (and
    to digest them, if ``digests``) now: assemble_job's "prepare" request. True if asked."""
    try:
        subprocesses.write_message(proc.stdin, ("prepare", _stamping_plan(*stamping(p), merged), merged, table,
                                                reference, cache, log.getEffectiveLevel(), digests))
    except OSError as err:  # it ended: assemble() starts another
        log.debug("exhibits' pages not stamped ahead: %s", err)
        return False
    _helper.prepared = True
    return True


def stamp_ahead(merge: Merge, p: Plan, reference: str, cache: Path | None) -> bool:
    """A first build (or a rebuild that asked nothing of prepare_assembly): have the process
    start_assembler() started stamp and digest the exhibits' pages for ``p`` now, while the cover and
    the index are laid out. ``p``: the plan the front pages' lengths are expected to make (the
    documents' known, the index's estimate, a one-page cover); finish() stamps them again if the plan
    that settles stamps them otherwise. True if asked.

    It waits for the merge (Merge.settle; its failure is raised): on the bench's 4,000 pages the merge
    has long ended when the documents are laid out, and where it has not, the stamps wait for it
    anyway, and take longer than the cover and the index (0.5-0.9 s against 0.5 s)."""
    started = _helper.process
    if started is None or started[0] != os.getpid() or _helper.prepared:
        return False
    merged = merge.settle()
    # and their digests: no build before kept them (_page_digests), unlike a rebuild's
    return _ask_ahead(started[1], p, merged, merge.table_file(), reference, cache, digests=True)


def _assemble_elsewhere(p: Plan, a: Assembly, target: Path, merged: Path, table: Path | None,
                        merge_key: str | None) -> bool:
    """finish(…) in ``python -P -m recouvre_docs.assemble_job`` (the one start_assembler() started, or a
    new one); False where no process can be started, or subprocesses.enabled() says none."""
    if not subprocesses.enabled():
        return False
    if _helper.process is None or _helper.process[0] != os.getpid() or _helper.process[1].poll() is not None:
        discard_assembler()
        start_assembler()
        if _helper.process is None:
            return False
    proc = _helper.process[1]
    _helper.process, _helper.prepared = None, False
    try:
        with proc.stdin, proc.stdout:
            try:
                subprocesses.write_message(proc.stdin, (p, a, target, merged, table, merge_key, log.getEffectiveLevel()))
            except OSError:
                pass  # it ended: said below
            answer = subprocesses.read_message(proc.stdout)
        proc.wait()
    except BaseException:  # not handed over (Ctrl-C, a pickling error): it must not wait for ever
        proc.kill()
        proc.wait()
        raise
    if answer is None:
        raise RuntimeError(f"the process assembling the case file ended unexpectedly (exit status "
                           f"{proc.returncode}); run the build again, and report it if it recurs")
    manifest = subprocesses.value(answer, fallback=EvidenceError, doing="assembling the case file")
    if a.manifest is not None:
        a.manifest.clear()
        a.manifest.update(manifest)
    return True


class ExhibitPages:
    """The first half of finish(): the merged exhibits opened, their fonts gone through (PageFonts),
    every page stamped for the plan's page numbers, and their streams' ends made unambiguous. Always
    the same steps in the same order, whether a rebuild makes them ahead (prepare_assembly: while the
    evidence is read, the check runs and the documents come from the render cache, as the build
    before stamped them) or finish() makes them: the file is the same either way."""

    def __init__(self, merged: Path, table: Path | None):
        before = _files(merged, table)  # the files these pages are of (matches): as read, or none
        self.known = None
        if table is not None:
            try:
                self.known = digest.read_table(table)
            except (OSError, ValueError) as err:  # then the pass reads the stream data itself
                log.debug("stream table not read: %s", err)
        self.pdf = pikepdf.open(merged)
        self.files = before if _files(merged, table) == before else None
        self.plan: Plan | None = None
        self.reference: str | None = None
        self.unembedded: dict[str, set[str]] = {}  # entry key -> fonts its pages use without carrying them
        self.changed: set[tuple[int, int]] = set()  # the streams whose end was made unambiguous
        self.ends_done = 0  # how many of the file's objects (pdf.objects) were gone through for their ends
        self.digests: list[str] | None = None  # of the stamped pages, once final (digest_pages)

    def stamp(self, p: Plan, reference: str, cache: Path | None) -> None:
        pdf = self.pdf
        if len(pdf.pages) != p.total - p.front:
            raise EvidenceError(f"the merged file has {len(pdf.pages)} pages, the plan {p.total - p.front}: "
                                "please report this bug")
        with timed("pdf.fonts"):
            self.stamper = stamp.Stamper(pdf, cache)
        # Every page was made PDF/A-safe where it was made (exhibits when converted, WeasyPrint's pages
        # when rendered: pdfa.make_safe), but for the standard fonts of the exhibits that had no other
        # fault, embedded here (PageFonts, which also keeps once the fonts exhibits carry alike); what is
        # left to know is whether a font could not be replaced.
        self.fonts = PageFonts(pdf, self.known)
        owners = p.entry_of_page()
        with timed("pdf.pages"):
            for i, page in enumerate(pdf.pages, start=p.front):
                self.page(page, owners[i], i, p.total, reference)
        with timed("pdf.stream-ends"):
            self._stream_ends()
        self.plan, self.reference = p, reference

    def digest_pages(self) -> None:
        """The digests of the stamped pages, made ahead (stamp_ahead): nothing finish() does after the
        stamps changes them (the front pages are put before them, whose count the plan gave; links,
        outline, attachments and the PDF/A metadata are elsewhere in the file), and a reference to a
        page is digested as its position in the bundle."""
        with timed("pdf.digests-ahead"):
            self.digests = list(digest.Digester(self.pdf, self.known, frozenset(self.changed),
                                                offset=self.plan.front).pages())

    def page(self, page: pikepdf.Page, entry: Entry | None, i: int, total: int, reference: str) -> None:
        missing = self.fonts.page(page)  # before the stamp: its fonts are embedded, and used by every page
        if missing:
            self.unembedded.setdefault(entry.key if entry else "", set()).update(missing)
        self.stamper.stamp(page, left=entry.label if entry else "", center=reference, right=f"{i + 1} / {total}")

    def _stream_ends(self) -> None:
        """pdfa.unambiguous_stream_ends for the objects made since the last call: qpdf lists a file's
        objects by number, and numbers a new one after every other, so they are the list's end."""
        objects = self.pdf.objects
        count = len(objects)
        self.changed |= pdfa.unambiguous_stream_ends(
            self.pdf, self.known, None if self.ends_done == 0 else (objects[i] for i in range(self.ends_done, count)))
        self.ends_done = count

    def matches(self, merged: Path, table: Path | None, p: Plan, reference: str) -> bool:
        """Whether these are the pages of ``merged`` and its stream table ``table`` (the same files,
        inode for inode, as they were when read: merge_exhibits links them from the cache), stamped as
        ``p`` stamps them."""
        return (self.files is not None and self.files == _files(merged, table) and self.plan is not None
                and stamping(self.plan) == stamping(p) and self.reference == reference)

    def close(self) -> None:
        self.pdf.close()


def _files(*paths: Path | None) -> tuple | None:
    """The device and inode of each file (None for no path), or None if one cannot be read."""
    ids = []
    for path in paths:
        if path is None:
            ids.append(None)
            continue
        try:
            st = os.stat(path)
        except OSError:
            return None
        ids.append((st.st_dev, st.st_ino))
    return tuple(ids)


def finish(p: Plan, a: Assembly, target: Path, merged: Path, table: Path | None, merge_key: str | None = None,
           prepared: ExhibitPages | None = None) -> None:
    """The pass of assemble(): front pages inserted, every page stamped, links, outline, PDF/A, the
    pages' digests into ``a.manifest``, the file saved once to ``target``. ``merge_key``: what names the
    merged exhibits (Merge.key): their pages' digests are then kept for a build that stamps them alike.
    ``prepared``: the exhibits' pages stamped ahead (ExhibitPages), used if stamped for this plan."""
    exhibit_first: dict[str, int] = {e.key: e.first - 1 for e in p.entries}
    if prepared is not None and not prepared.matches(merged, table, p, a.reference):
        log.debug("the pages stamped ahead were stamped for another plan: stamped again")
        prepared.close()
        prepared = None
    if prepared is not None:
        log.debug("the exhibits' pages stamped ahead are used")
    # the front files stay open until the bundle is saved: qpdf copies their stream data at the save
    with contextlib.ExitStack() as sources:
        ex = prepared or ExhibitPages(merged, table)
        sources.callback(ex.close)
        if prepared is None:
            ex.stamp(p, a.reference, a.cache)
        pdf, known, fonts = ex.pdf, ex.known, ex.fonts
        with timed("pdf.front"):
            at, starts = 0, []  # starts: the first page of each front file (cover, documents…, index)
            for path in [a.cover, *[doc for _, doc in a.documents], a.index]:
                part = sources.enter_context(pikepdf.open(path))
                starts.append(at)
                for page in part.pages:  # a few pages, copied with what they use; the exhibits stay as merged
                    pdf.pages.insert(at, page)
                    at += 1
        if len(pdf.pages) != p.total:
            raise EvidenceError(f"the merged file has {len(pdf.pages)} pages, the plan {p.total}: please report this bug")
        for i, page in zip(range(p.front), pdf.pages):  # after the exhibits' pages (ExhibitPages), in both cases
            ex.page(page, None, i, p.total, a.reference)
        unembedded = ex.unembedded
        owners = p.entry_of_page()
        if fonts.replaced:
            log.debug("%d font objects replaced by an identical one already in the bundle", fonts.replaced)
        with timed("pdf.links"):
            _link_index(pdf, p, exhibit_first)
            _outline(pdf, p, a, [(title, start) for (title, _), start in zip(a.documents, starts[1:])], starts[-1])
        pdf.Root.PageLabels = Dictionary(Nums=Array([0, Dictionary(S=Name.D, St=1)]))
        pdf.Root.PageMode = Name.UseOutlines
        pdf.Root.Lang = pikepdf.String(a.lang)
        pdf.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
        date = _pdf_date(a.as_of)
        pdf.docinfo = pdf.make_indirect(
            Dictionary(
                Title=pikepdf.String(a.title),
                Author=pikepdf.String(a.author),
                Subject=pikepdf.String(a.subject),
                Keywords=pikepdf.String(a.reference),
                Creator=pikepdf.String(f"recouvre-docs {__version__}"),
                Producer=pikepdf.String(f"recouvre-docs {__version__} (pikepdf {pikepdf.__version__}, qpdf)"),
                CreationDate=pikepdf.String(date),
                ModDate=pikepdf.String(date),
            )
        )
        attachments = list(a.attachments) if a.attach_originals else []
        if a.manifest is not None:
            a.manifest["document"] = {"title": a.title, "author": a.author, "subject": a.subject,
                                      "keywords": a.reference, "language": a.lang}
            a.manifest["embedded"] = [{"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                                       "exhibit": a.attachment_exhibits.get(name)}
                                      for name, data, _mime, _description in attachments]
            if a.attach_originals:  # its content is set below, once every page is final
                attachments.insert(0, ("manifest.json", b"{}", "application/json",
                                       "Integrity manifest: SHA-256 of every original and of every page as bundled"))
        for name, data, mime, description in attachments:
            pdf.attachments[name] = pikepdf.AttachedFileSpec(
                pdf, data, description=description, filename=name, mime_type=mime, creation_date=date, mod_date=date,
                relationship=Name.Source if name != "manifest.json" else Name.Supplement,
            )
        undecodable = _undecodable_forbidden(pdf, known, owners)
        conformance = pdfa_status(p, unembedded, part="3" if attachments else "2",  # -3 carries files, -2 none
                                  undecodable=undecodable)
        _pdfa(pdf, a, conformance["part"])
        with timed("pdf.stream-ends"):
            ex._stream_ends()  # of the objects made since the exhibits' (the front pages', the attachments')
        changed = ex.changed
        identity = None  # what the file's /ID is derived from: its manifest
        if a.manifest is not None:  # the pages are final only now (the PDF/A step may touch them)
            a.manifest["pdfa"] = conformance
            a.manifest["document"]["pdfa"] = pdfa_claim(pdf)
            with timed("pdf.digests"):
                a.manifest["page_sha256"] = _page_digests(pdf, p, a, known, changed, merge_key, conformance["part"],
                                                          fonts.substitutes.streams, ex.digests)
            identity = manifest_bytes(a.manifest)
            if a.attach_originals:
                set_attachment(pdf, "manifest.json", identity)
        with timed("pdf.save"):
            save(pdf, target, identity)


class PageFonts:
    """The fonts of the bundle's pages, page by page, in one walk of what each page draws
    (pdfa.page_contexts: its content, forms, patterns, soft masks, Type 3 glyphs, annotations):

    - kept once when several exhibits carry them alike. Each exhibit is a PDF of its own, and qpdf's
      merge keeps each one's fonts: the same standard font not embedded (Helvetica, in 246 of the
      bench's 400 exhibits), or the same embedded substitute in an exhibit converted for another
      fault as well (the bench's bundle carried 354 copies of two font programs, 9 MB). A font is
      replaced by the first one met with the same digest (in the order finish() goes through the
      pages: the exhibits', then the front pages') (digest.Digester: everything
      it holds, by value, streams by their data): the pages show the same thing, their digests do
      not change, and the copies are no longer written;
    - embedded when it is a standard font the page does not carry (pdfa.FontPass: once, for every
      exhibit that uses it);
    - and page() says which fonts are still not carried (no substitute: Calibri, Symbol)."""

    def __init__(self, pdf: pikepdf.Pdf, known: dict | None = None):
        self.digester = digest.Digester(pdf, known)
        self.substitutes = pdfa.FontPass(pdf)
        self.first: dict[bytes, pikepdf.Object] = {}
        self.seen: set = set()  # the forms and resources gone through (pdfa.page_contexts)
        self.replaced = 0

    def page(self, page: pikepdf.Page) -> set[str]:
        missing: set[str] = set()
        for ctx in pdfa.page_contexts(page.obj, self.seen):
            fonts = ctx.resources.get("/Font") if isinstance(ctx.resources, Dictionary) else None
            if not isinstance(fonts, Dictionary):
                continue
            for name in list(fonts.keys()):
                font = fonts.get(name)
                if isinstance(font, Dictionary) and font.is_indirect:
                    key = self.digester.object_digest(font)  # of what it was merged as: the same for the copies
                    kept = self.first.setdefault(key, font) if key is not None else font
                    if kept.objgen != font.objgen:
                        fonts[name] = font = kept
                        self.replaced += 1
                if not pdfa.embedded(font):
                    self.substitutes.font(font)
                    if not pdfa.embedded(font):
                        missing.add(pdfa.font_name(font))
        return missing


# The exhibits' pages, merged from the same converted files and stamped with the same labels and page
# numbers, have the digests they had in the build before: a rebuild after an edit of case.toml that
# leaves the front pages' count alone keeps them (0.45 s on the bench's 4,035 pages), and digests the
# front pages only, or none when their files too are those of the build before (0.1-0.15 s: the
# index's hundreds of links). What the key names: the merged files (Merge.key), every exhibit's label, key and
# pages (hence every stamp and every page's position, which a link's digest holds), the reference in
# the stamps, the PDF/A part, the stamp fonts' programs, the fonts embedded by this pass (PageFonts:
# their programs' SHA-256, which the fontTools version and the Liberation files decide), and the
# versions (this package, pikepdf, libqpdf) and sources of the code that makes and digests pages.
DIGESTS_PREFIX = "digests-"
FRONT_DIGESTS_PREFIX = "front-digests-"  # and those of the front pages, keyed by their files as well
_DIGEST_CODE = ("bundle.py", "digest.py", "pdfa.py", "stamp.py")


def _page_digests(pdf: pikepdf.Pdf, p: Plan, a: Assembly, known: dict | None, changed: set, merge_key: str | None,
                  part: str | None, substitutes: Iterable[str] = (), ahead: list[str] | None = None) -> list[str]:
    """Every page's digest: the exhibits' pages' as the build before kept them, or as made ahead
    (``ahead``: ExhibitPages.digest_pages), or made here."""
    keep = None
    if merge_key is not None and a.cache is not None:
        h = hashlib.sha256(f"page digests 1\0{__version__}\0{pikepdf.__version__}\0{pikepdf.__libqpdf_version__}\0"
                           f"{merge_key}\0{a.reference}\0{part}\0{p.front}\0{p.total}\n".encode())
        for program in stamp.font_programs(a.cache):  # the stamps' fonts as embedded (loaded for them anyway)
            h.update(hashlib.sha256(program.data).digest() + repr(program.widths).encode())
        h.update(" ".join(sorted(substitutes)).encode() + b"\n")  # the fonts embedded here (PageFonts), by SHA-256
        for e in p.entries:
            h.update(f"{e.key}\0{e.label}\0{e.first}\0{e.pages}\n".encode())
        here = Path(__file__).parent
        for name in _DIGEST_CODE:
            h.update(hashlib.sha256((here / name).read_bytes()).digest())
        keep = a.cache / f"{DIGESTS_PREFIX}{h.hexdigest()[:40]}.txt"
        for path in [a.cover, *[doc for _, doc in a.documents], a.index]:  # and the front pages, as laid out
            h.update(hashlib.sha256(path.read_bytes()).digest())
        keep_front = a.cache / f"{FRONT_DIGESTS_PREFIX}{h.hexdigest()[:40]}.txt"
        kept, kept_front = _kept_digests(keep, p.total - p.front), _kept_digests(keep_front, p.front)
        if kept is not None:
            if kept_front is None:
                digester = digest.Digester(pdf, known, changed)
                kept_front = [digester.page(n, page.obj) for n, page in zip(range(p.front), pdf.pages)]
                _keep_digests(keep_front, FRONT_DIGESTS_PREFIX, kept_front)
            return kept_front + kept
    if ahead is not None and len(ahead) == p.total - p.front:
        digester = digest.Digester(pdf, known, changed)
        digests = [digester.page(n, page.obj) for n, page in zip(range(p.front), pdf.pages)] + ahead
    else:
        digests = list(digest.page_digests(pdf, known, changed))
    if keep is not None:
        _keep_digests(keep, DIGESTS_PREFIX, digests[p.front:])
        _keep_digests(keep_front, FRONT_DIGESTS_PREFIX, digests[:p.front])
    return digests


def _kept_digests(path: Path, count: int) -> list[str] | None:
    try:
        kept = path.read_text("ascii").split()
    except (OSError, ValueError):
        return None
    return kept if len(kept) == count and all(len(d) == 64 for d in kept) else None


def _keep_digests(path: Path, prefix: str, digests: list[str]) -> None:
    try:
        for old in path.parent.glob(f"{prefix}*"):  # one per case, as the merged exhibits
            old.unlink()
    except OSError as err:  # the cache is an optimisation
        log.debug("page digests not kept: %s", err)
        return
    if not replace_text(path, "\n".join(digests) + "\n", "ascii"):
        log.debug("page digests not kept")


@lru_cache(maxsize=1)
def srgb_profile() -> bytes:
    """An sRGB ICC profile (LittleCMS through Pillow), its creation date and ID zeroed so that the same
    bundle always carries the same bytes (a zero ID means 'not computed', which ICC allows)."""
    from PIL import ImageCms

    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    icc[24:36] = bytes(12)  # dateTimeNumber
    icc[84:100] = bytes(16)  # profile ID
    return bytes(icc)


def pdfa_status(p: Plan, unembedded: dict[str, set[str]], part: str,
                undecodable: dict[str, int] | None = None) -> dict[str, Any]:
    """The conformance the bundle claims: PDF/A-3b when it carries attached files (the manifest, the
    original e-mails and e-invoices: ISO 19005-3 allows any file, -2 only PDF/A files), PDF/A-2b when it
    carries none; and no claim at all when a page uses a font that is not embedded and could not be
    replaced by a metric-compatible one (pdfa.py), with which exhibit and which fonts, or holds a
    stream in a coding PDF/A forbids that qpdf cannot decode to write it anew (``undecodable``: how
    many, by entry key; _undecodable_forbidden)."""
    by_key = {e.key: e for e in p.entries}
    undecodable = undecodable or {}
    reasons = []
    order = lambda k: [int(n) for n in k.split(".")] if k else [0]  # noqa: E731
    for key in sorted(set(unembedded) | set(undecodable), key=order):
        entry = by_key.get(key)
        reason: dict[str, Any] = {
            "exhibit": key or None,
            "label": entry.label if entry else None,
            "file": entry.source if entry else None,
        }
        if key in unembedded:
            reason["fonts_not_embedded"] = sorted(unembedded[key])
        if key in undecodable:
            reason["streams_not_decodable"] = undecodable[key]
        reasons.append(reason)
    if reasons:
        return {"claimed": None, "part": None, "not_claimed_because": reasons}
    return {"claimed": f"PDF/A-{part}b", "part": part, "not_claimed_because": []}




def _undecodable_forbidden(pdf: pikepdf.Pdf, known: dict | None, owners: list[Entry | None]) -> dict[str, int]:
    """The streams qpdf will write in a coding PDF/A forbids (their data does not decode: a damaged
    file), counted by the entry whose pages reach them ("" for none). The stream table says which
    streams did not decode; without it every stream's coding is looked at. Rare: the pages are only
    gone through when there is one."""
    if known is not None:
        candidates = (pdf.get_object(og) for og, k in known.items() if not k.decoded)
    else:
        candidates = (obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream))
    found: set[tuple[int, int]] = set()
    for obj in candidates:
        if not isinstance(obj, pikepdf.Stream):
            continue
        if pdfa.undecodable_forbidden(obj):  # else qpdf writes it anew
            found.add(obj.objgen)
    if not found:
        return {}
    counts: dict[str, int] = {}
    positions = {page.obj.objgen for page in pdf.pages}
    for n, page in enumerate(pdf.pages):
        reached = _reaching(page.obj, found, positions)
        if reached:
            key = owners[n].key if owners[n] else ""
            counts[key] = counts.get(key, 0) + len(reached)
            found -= reached
            if not found:
                break
    if found:  # reached from no page (the catalog, an attachment): the file's, not an exhibit's
        counts[""] = counts.get("", 0) + len(found)
    return counts


def _reaching(page: pikepdf.Object, targets: set[tuple[int, int]], pages: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which of ``targets`` (object numbers) the page's objects lead to (other pages not followed)."""
    reached, seen, stack = set(), set(), [page]
    while stack:
        obj = stack.pop()
        if isinstance(obj, pikepdf.Object) and obj.is_indirect:
            og = obj.objgen
            if og in seen or (og in pages and og != page.objgen):
                continue
            seen.add(og)
            if og in targets:
                reached.add(og)
        if isinstance(obj, pikepdf.Stream):
            stack.extend(v for k, v in obj.stream_dict.items() if k != "/Parent")
        elif isinstance(obj, pikepdf.Dictionary):
            stack.extend(v for k, v in obj.items() if k != "/Parent")
        elif isinstance(obj, pikepdf.Array):
            stack.extend(obj)
    return reached


def _pdfa(pdf: pikepdf.Pdf, a: Assembly, part: str | None) -> None:
    """PDF/A-3b (ISO 19005-3; -3 because the originals are attached), or -2b without attachments: an
    sRGB output intent, XMP metadata that repeats the document information with the conformance claim,
    the attachments listed in the catalog's /AF with their relationship. Fonts, annotations, actions
    and colour spaces of the exhibits are made conformant when they are ingested (pdfa.py); stamp fonts
    are embedded subsets, nothing is encrypted. ``part`` None: everything but the claim (a font could
    not be embedded)."""
    profile = pdf.make_stream(srgb_profile())
    profile.N = 3
    intent = pdf.make_indirect(Dictionary(
        Type=Name.OutputIntent, S=Name.GTS_PDFA1, OutputConditionIdentifier=pikepdf.String("sRGB IEC61966-2.1"),
        Info=pikepdf.String("sRGB IEC61966-2.1"), DestOutputProfile=profile))
    pdf.Root.OutputIntents = Array([intent])
    pdf.Root.AF = Array([spec.obj for spec in pdf.attachments.values()])  # the name tree, flat or with /Kids
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta.load_from_docinfo(pdf.docinfo, delete_missing=True)
        if part is not None:
            meta["pdfaid:part"] = part
            meta["pdfaid:conformance"] = "B"
        stamp = f"{a.as_of.isoformat()}T00:00:00Z"
        meta["xmp:MetadataDate"] = stamp


def pdfa_claim(pdf: pikepdf.Pdf) -> str | None:
    """The PDF/A conformance the XMP metadata claims ("3B"), None without one."""
    if "/Metadata" not in pdf.Root:
        return None
    meta = pdf.open_metadata()
    part = meta.get("pdfaid:part")
    return f"{part}{meta.get('pdfaid:conformance') or ''}" if part else None


_STATIC_ID = b"<31415926535897932384626433832795>"  # what qpdf writes for save(static_id=True)
_ID_PATTERN = b"/ID [" + _STATIC_ID + _STATIC_ID + b"]"
_TRAILER_TAIL = 1 << 20  # the trailer (or cross-reference stream) qpdf writes last, with its /ID


def save(pdf: pikepdf.Pdf, target: Path, identity: bytes | None) -> None:
    """Save ``pdf`` (object streams, streams compressed) with an /ID derived from its content.

    qpdf's deterministic ID hashes the whole output in a second pass (0.5 s on a 4,000-page bundle,
    a third of the PDF step). Here the file is written once, with qpdf's static ID, which is then
    replaced in place (same length: no offset moves) by the first 16 bytes of the SHA-256 of
    ``identity`` (the manifest: every page's digest, every embedded file's SHA-256, the document
    information, the versions) and of the file's last cross-reference section (the offset of every
    object: a change of any object's length changes it). Where the static ID is not found exactly
    once in that section, or with no ``identity``: qpdf's deterministic ID."""
    if "/ID" in pdf.trailer:  # qpdf keeps the first half of an existing /ID: derive it all from content
        del pdf.trailer["/ID"]
    options = {"object_stream_mode": pikepdf.ObjectStreamMode.generate, "compress_streams": True}
    if identity is not None:
        pdf.save(target, static_id=True, **options)
        with open(target, "r+b") as f:
            start = max(0, f.seek(0, 2) - _TRAILER_TAIL)
            f.seek(start)
            tail = f.read()
            end = tail.rfind(b"startxref")
            found = re.match(rb"startxref\s+(\d+)\s+%%EOF\s*$", tail[end:]) if end >= 0 else None
            section = int(found.group(1)) - start if found else -1  # the last xref section (or stream)
            at = tail.find(_ID_PATTERN, section) if section >= 0 else -1
            if 0 <= at < end and tail.find(_ID_PATTERN, at + 1) < 0 and _ID_PATTERN not in tail[:section]:
                ident = hashlib.sha256(identity + b"\0" + tail[section:]).hexdigest()[:32].upper().encode()
                f.seek(start + at + len(b"/ID ["))
                f.write(b"<" + ident + b"><" + ident + b">")
                return
        log.debug("%s: qpdf's static /ID not found once in the trailer: saved with a deterministic ID", target.name)
    pdf.save(target, deterministic_id=True, **options)


class HashWhileSaved:
    """The SHA-256 of the file save() writes to ``target`` (in assemble_job, or in this process under
    RECOUVRE_IN_PROCESS=1), read as it grows by a thread of this process, which otherwise waits for the
    stamping meanwhile: once the file is
    written only its last MiB is left to read (save() writes the /ID into it), instead of 219 MB
    after the save (0.18 s of a 2.5-second rebuild of the bench's large case).

    qpdf writes a file from its start to its end, once (no linearization); a byte more than
    _TRAILER_TAIL before the end of what is written already is final. result() is None, and the caller
    reads the file whole, if the file at ``target`` is not the one followed (save() wrote it again
    with a deterministic ID, through a temporary file: another inode) or could not be read."""

    def __init__(self, target: Path):
        self.target = target
        self.sha = hashlib.sha256()
        self.read = 0
        self.identity: tuple[int, int] | None = None
        self.failed = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="hash-while-saved", daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        f = None
        try:
            while not self._stop.is_set():
                if f is None:
                    try:
                        f = open(self.target, "rb")
                    except FileNotFoundError:
                        self._stop.wait(0.01)
                        continue
                    st = os.fstat(f.fileno())
                    self.identity = (st.st_dev, st.st_ino)
                final = os.fstat(f.fileno()).st_size - _TRAILER_TAIL  # what may no longer change
                if final - self.read <= 0:
                    self._stop.wait(0.005)
                    continue
                data = f.read(min(final - self.read, 1 << 20))
                self.sha.update(data)
                self.read += len(data)
        except OSError:
            self.failed = True
        finally:
            if f is not None:
                f.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def result(self) -> str | None:
        """The file's SHA-256, once it is saved (None: read it whole)."""
        self.stop()
        if self.failed or self.identity is None:
            return None
        try:
            with open(self.target, "rb") as f:
                st = os.fstat(f.fileno())
                if (st.st_dev, st.st_ino) != self.identity or st.st_size < self.read:
                    return None
                f.seek(self.read)
                while chunk := f.read(1 << 20):
                    self.sha.update(chunk)
        except OSError:
            return None
        return self.sha.hexdigest()


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def set_attachment(pdf: pikepdf.Pdf, name: str, data: bytes) -> None:
    """Replace the data of the embedded file ``name`` in place (its file specification, listed in the
    catalog's /AF, stays the same object). Written compressed, its end unambiguous: it is set after
    pdfa.unambiguous_stream_ends has looked at every stream (left to qpdf's compression at the save, one
    manifest in 256 ended with a CR, and the file failed PDF/A's stream-length rule)."""
    stream = pdf.attachments[name].obj.EF.F
    stream.write(pdfa.flate_unambiguous(data), filter=Name.FlateDecode)
    stream.Params.Size = len(data)
    stream.Params.CheckSum = pikepdf.String(hashlib.md5(data).digest())


def _link_index(pdf: pikepdf.Pdf, p: Plan, exhibit_first: dict[str, int]) -> None:
    """Turn the index's ``recouvre:exhibit/N`` links into links to the exhibit's first page."""
    pages = [page.obj for page in pdf.pages]  # pdf.pages[i] costs 0.2 ms a call on 4,000 pages
    for i in range(p.front):
        page = pikepdf.Page(pages[i])
        for annot in page.obj.get("/Annots", Array()):
            action = annot.get("/A")
            if action is None or action.get("/S") != Name.URI:
                continue
            uri = str(action.get("/URI", ""))
            if not uri.startswith(LINK_SCHEME):
                continue
            key = uri[len(LINK_SCHEME):]
            if key not in exhibit_first:
                continue
            del annot["/A"]
            annot.Dest = Array([pages[exhibit_first[key]], Name.XYZ, None, None, None])


def _outline(pdf: pikepdf.Pdf, p: Plan, a: Assembly, documents: list[tuple[str, int]], index_page: int) -> None:
    """Bookmarks: each document (title, first page index), the index, each exhibit (attachments nested)."""
    pages = [page.obj for page in pdf.pages]  # an item given a page number looks it up: 1 s on 10,000 pages

    def fit(n: int) -> Array:  # what pikepdf makes of a page number: [page /Fit]
        return Array([pages[n], Name.Fit])

    with pdf.open_outline() as outline:
        outline.root.clear()
        for title, page in documents:
            outline.root.append(pikepdf.OutlineItem(title, fit(page)))
        outline.root.append(pikepdf.OutlineItem(i18n.text(a.lang, "index.title"), fit(index_page)))
        parents: list[pikepdf.OutlineItem] = []  # the open item at each level
        for e in p.entries:
            item = pikepdf.OutlineItem(f"{e.label} — {e.title}", fit(e.first - 1))
            del parents[e.level:]
            (parents[-1].children if parents else outline.root).append(item)
            parents.append(item)


def manifest(p: Plan, exhibits: list[Exhibit], case_meta: dict[str, Any]) -> dict[str, Any]:
    """The integrity manifest: every original file's SHA-256, size and exhibit number."""
    by_key = {e.key: e for e in p.entries}
    items = []
    for ex in exhibits:
        e = by_key[str(ex.number)]
        items.append(
            {
                "exhibit": ex.number,
                "label": e.label,
                "title": ex.piece.title,
                "kind": ex.piece.kind,
                "date": ex.piece.date.isoformat() if ex.piece.date else None,
                "file": ex.piece.rel,
                "sha256": ex.piece.sha256,
                "size": ex.piece.size,
                "pages": [e.first, e.last],
                "ocr_pages": [e.first + n - 1 for n in ex.main.ocr_pages],  # bundle pages whose text OCR read
                "repaired": ex.main.note == "repaired",  # a damaged PDF qpdf repaired (the original is unchanged)
                "fonts_not_embedded": ex.facts.get("fonts_not_embedded", []),  # no PDF/A claim then (pdfa_status)
                "pdfa_changes": pdfa.describe(ex.facts, "en"),  # what the ingestion changed to make it PDF/A-safe
                "attachments": [  # depth first; "5.2.1" is the first attachment of 5.2
                    {
                        "exhibit": f"{ex.number}.{child.key}",
                        "name": child.title,
                        "level": child.level,
                        "sha256": child.sha256,
                        "size": child.size,
                        "pages": [by_key[f"{ex.number}.{child.key}"].first, by_key[f"{ex.number}.{child.key}"].last],
                        "ocr_pages": [by_key[f"{ex.number}.{child.key}"].first + n - 1 for n in child.ocr_pages],
                    }
                    for child in ex.children
                ],
            }
        )
    ocr = sorted(n for item in items for n in item["ocr_pages"] + [m for a in item["attachments"] for m in a["ocr_pages"]])
    return {**case_meta, "pages": p.total, "front_pages": p.front, "ocr_pages": ocr, "exhibits": items}
