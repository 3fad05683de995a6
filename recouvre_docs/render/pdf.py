"""HTML -> PDF with WeasyPrint: the only module that imports it.

No network access, ever: the URL fetcher serves files under the template folders, ``cid:`` parts
of the e-mail being rendered, and ``data:`` URLs; anything else (http, https, ftp, file: elsewhere) is
refused and recorded, and the page is rendered without it.
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import hashlib
import json
import logging
import mimetypes
import os
import shutil
import sys
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from ..errors import ToolMissingError
from ..resources import template_folders, templates_root

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
    held_links: list[str] = field(default_factory=list)  # hold_last_page: the URLs its links went to


def _fetcher_class():
    weasyprint, _ = _weasyprint()

    class SafeFetcher(weasyprint.URLFetcher):
        """Serves local template files, cid: and data: URLs; refuses everything else."""

        def __init__(self, roots: list[Path], parts: dict[str, tuple[bytes, str]], lang: str = "fr"):
            super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=1)
            self.roots = [r.resolve() for r in roots]
            self.parts = parts
            self.blocked: list[str] = []
            # A file the shipped templates name (style.css, fonts/…: relative to templates/shared) is
            # taken from the first folder that has it, as templates are (resources.template_folders).
            packaged = templates_root().resolve()
            self.shared = packaged / "shared"
            case_templates = next((r for r in self.roots if r != packaged), None)  # frontmatter._roots
            self.overlay = [d.resolve() for d in template_folders(lang, case_templates.parent if case_templates else None)]

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
                if path.is_relative_to(self.shared):
                    rel = path.relative_to(self.shared)
                    path = next((c for c in (d / rel for d in self.overlay) if c.is_file()), path).resolve()
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


# ----------------------------------------------------------------------------------------------
# A cache of rendered pages. WeasyPrint is the slow part of a build (PERF.md: ~0.4 s a page of
# table), and its output depends only on the HTML, the files it may load (style sheets, fonts,
# images under the template roots, cid: parts) and its version: a rebuild after an edit of
# case.toml that leaves a document's HTML unchanged reuses its PDF, byte for byte.

_CACHE: contextvars.ContextVar["cached | None"] = contextvars.ContextVar("render_cache", default=None)


def current_cache() -> "cached | None":
    return _CACHE.get()


class cached:  # noqa: N801 - used as a context manager: `with render.pdf.cached(folder):`
    """Renders inside this block are looked up in, and stored into, ``root``; the entries this
    block did not use are removed when it ends without an error (the cache holds one build)."""

    def __init__(self, root: Path):
        self.root = root
        self.used: set[str] = set()
        self._token: contextvars.Token | None = None
        self._fingerprints: dict[tuple[Path, ...], str] = {}  # once per build: templates may change between two

    def fingerprint(self, roots: list[Path]) -> str:
        key = tuple(r.resolve() for r in roots)
        if key not in self._fingerprints:
            self._fingerprints[key] = _roots_fingerprint(key)
        return self._fingerprints[key]

    def lookup(self, key: str, suffix: str, target: Path) -> bool:
        """Copy the entry ``key`` to ``target``, if there is one; the entry is kept either way."""
        self.used.add(key)
        try:
            shutil.copyfile(self.root / f"{key}{suffix}", target)
            return True
        except OSError:
            return False

    def store(self, key: str, suffix: str, source: Path) -> bool:
        """Keep a copy of ``source`` as the entry ``key`` (False if the cache cannot be written: it
        only costs time)."""
        stored = self.root / f"{key}{suffix}"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, stored.with_name(stored.name + ".tmp"))
            os.replace(stored.with_name(stored.name + ".tmp"), stored)
            return True
        except OSError as err:
            log.debug("render cache not written: %s", err)
            return False

    def __enter__(self) -> "cached":
        self._token = _CACHE.set(self)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._token is not None:
            _CACHE.reset(self._token)
            self._token = None
        if exc_type is None and self.root.is_dir():
            for path in self.root.iterdir():
                if path.name.split(".")[0] not in self.used:
                    path.unlink(missing_ok=True)


def _roots_fingerprint(roots: tuple[Path, ...]) -> str:
    """SHA-256 over every file a render may load from the template roots (names and contents)."""
    h = hashlib.sha256()
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            h.update(str(path.relative_to(root)).encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


_RENDER_VERSION = 3  # bump when what _render makes of the same HTML changes (2: made PDF/A-safe; 3: a firm's style.css used)


@lru_cache(maxsize=8)
def package_version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:  # pragma: no cover - a source tree without metadata
        return "?"


def _render_key(html: str, fingerprint: str, parts: dict[str, tuple[bytes, str]], base_dir: Path) -> str:
    from .. import __version__

    h = hashlib.sha256()
    # the version from the package metadata: a build whose renders are all cached never imports WeasyPrint
    h.update(f"{__version__}\0{_RENDER_VERSION}\0{package_version('weasyprint')}\0{base_dir}\0".encode())
    h.update(fingerprint.encode())  # every file the templates' folders hold
    for cid in sorted(parts):
        data, mime = parts[cid]
        h.update(cid.encode() + b"\0" + mime.encode() + b"\0" + hashlib.sha256(data).digest())
    h.update(html.encode("utf-8"))
    return h.hexdigest()[:40]


def html_to_pdf(
    html: str,
    target: Path,
    *,
    base_dir: Path,
    roots: list[Path],
    parts: dict[str, tuple[bytes, str]] | None = None,
    lang: str = "fr",
    hold_last_page: bool = False,
) -> RenderResult:
    """Render ``html`` to the PDF file ``target``; relative URLs resolve against ``base_dir``.
    ``hold_last_page``: write every page but the last (if there are two or more and the last has
    links), and say where the last one's links went (frontmatter.render_index).

    Inside ``cached(…)``, an identical render is copied from the cache instead."""
    request = dict(html=html, target=target, base_dir=base_dir, roots=roots, parts=parts, lang=lang,
                   hold_last_page=hold_last_page)
    cache = _CACHE.get()
    if cache is None:
        return render(**request)
    key = _render_key(html + ("\0hold-last-page" if hold_last_page else ""), cache.fingerprint(roots), parts or {},
                      base_dir)
    meta = cache.root / f"{key}.json"
    if cache.lookup(key, ".pdf", target) and meta.is_file():
        try:
            data = json.loads(meta.read_text("utf-8"))
            return RenderResult(pages=data["pages"], blocked=data["blocked"], held_links=data.get("held_links", []))
        except (OSError, ValueError, KeyError):
            pass  # a damaged entry: render again
    result = render(**request)
    if cache.store(key, ".pdf", target):
        try:
            meta.write_text(json.dumps({"pages": result.pages, "blocked": result.blocked,
                                        "held_links": result.held_links}), "utf-8")
        except OSError as err:
            log.debug("render cache not written: %s", err)
    return result


def cached_file(material: bytes, suffix: str, target: Path, produce: Callable[[Path], None]) -> None:
    """``produce(target)``, or inside ``cached(…)`` a copy of what it produced before from the same
    ``material`` (every input of the file, as bytes): the DOCX of an unchanged document, for one."""
    cache = _CACHE.get()
    if cache is None:
        produce(target)
        return
    key = hashlib.sha256(material).hexdigest()[:40]
    if not cache.lookup(key, suffix, target):
        produce(target)
        cache.store(key, suffix, target)


# ----------------------------------------------------------------------------------------------
# The renders are made by a process of their own (render.server), started by start_server() (build
# does so first thing, so that WeasyPrint's import is made while the evidence is read) or at the first
# render: WeasyPrint and its layouts never weigh on the process that holds the case and later the
# merge of the exhibits (issue 8: peak RSS of any process). The worker processes a build forks (the
# conversion of e-mails, the side renders) send their renders to the same one, over its socket.
# Where no such process can be started (no fork, no Unix sockets), the render is made here.

class _Server:
    def __init__(self) -> None:
        from .. import early

        self.owner = os.getpid()
        # the one the command started before importing the build's modules (launch.py), or a new one
        self.folder, self.address, self.proc = early.take_server() or early.spawn_server()
        self.warmed = False  # told to warm up (warm)

    def warm(self) -> None:
        """Ask the process to import WeasyPrint and warm up now (once; only its owner can)."""
        if self.owner != os.getpid() or self.warmed:
            return
        self.warmed = True
        with contextlib.suppress(OSError, ValueError):
            self.proc.stdin.write(b"warm\n")
            self.proc.stdin.flush()

    def call(self, request: dict) -> RenderResult:
        import socket

        from .. import subprocesses

        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn, _in_flight(conn):
                try:
                    conn.connect(self.address)
                except OSError as err:  # not the layout's fault: the process itself is gone
                    status = f", exit status {self.proc.poll()}" if self.owner == os.getpid() else ""
                    raise RuntimeError(f"the render process (recouvre_docs.render.server) is not running "
                                       f"({err.strerror or err}{status}); its own messages, if any, are above") from None
                with conn.makefile("rwb") as stream:
                    subprocesses.write_message(stream, request)
                    answer = subprocesses.read_message(stream)
        except OSError:
            answer = None
        if answer is None:  # the child laying it out died (out of memory, a crash in a native library)
            from ..errors import EvidenceError

            raise EvidenceError("the layout of this page stopped abnormally (the process laying it out ended "
                                "without an answer)", hint="Run the build again; if it recurs, report it with the file.")
        return subprocesses.value(answer, fallback=ToolMissingError, doing="WeasyPrint in the render process")

    def close(self) -> None:
        """Stop the process and wait for it (its peak memory then counts among this process's children's);
        only by the process that started it (a forked child inherits this object, not the process).
        Every render asked for has been answered (calls wait for their answer): it is told to stop, and
        terminated if it has not answered by then — a rebuild whose renders all came from the cache
        would otherwise wait for WeasyPrint's import to end (0.3 s of a 1 s rebuild)."""
        if self.owner != os.getpid():
            return
        with contextlib.suppress(OSError, ValueError):
            self.proc.stdin.write(b"stop\n")
            self.proc.stdin.close()
        with contextlib.suppress(Exception):
            self.proc.wait(timeout=0.05)
        if self.proc.poll() is None:
            self.proc.terminate()
            with contextlib.suppress(Exception):
                self.proc.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


_server: _Server | None = None
_server_lock = threading.Lock()


def start_server(warm: bool = False) -> _Server | None:
    """The render process this process sends its renders to (its own, or the one of the process it was
    forked from), started if need be; None where none can be. ``warm``: have it import WeasyPrint and
    warm up now, while this process does other work (layouts are expected); otherwise its first
    layout does it."""
    global _server
    with _server_lock:
        if _server is not None and (_server.owner != os.getpid() or _server.proc.poll() is None):
            if warm:
                _server.warm()
            return _server  # a forked child cannot poll its parent's child: it is told when it asks
        from .. import subprocesses

        if not subprocesses.enabled() or not hasattr(os, "fork"):
            return None
        try:
            _server = _Server()
        except (OSError, AttributeError) as err:  # AttributeError: no AF_UNIX
            log.debug("no render process (%s): rendering in this one", err)
            return None
        atexit.register(_server.close)
        if warm:
            _server.warm()
        mp = sys.modules.get("multiprocessing")
        if mp is not None and mp.parent_process() is not None:  # a worker ends without atexit: by its finalizers
            mp.util.Finalize(None, _server.close, exitpriority=10)
        return _server


class RenderScope:
    """The connections to the render process that wait for an answer, of the renders asked for in this
    scope (render_scope(), or beside() of the scope itself)."""

    def __init__(self) -> None:
        self.calls: set = set()
        self.lock = threading.Lock()
        self.aborted = False

    def abort(self) -> None:
        """Stop the layouts asked for in this scope and not answered yet (from other threads: an
        interrupted build), and those asked for from now on. Their connections are shut: each child
        laying one out sees it and ends (render.server), and the threads waiting get no answer at once
        instead of at the layout's end."""
        with self.lock:
            self.aborted = True
            for conn in list(self.calls):
                _shut(conn)

    def beside(self, func, *args):
        """beside(func, *args), its renders in this scope (as well as in those it is called in)."""
        token = _SCOPES.set((*_SCOPES.get(), self))
        try:
            return beside(func, *args)
        finally:
            _SCOPES.reset(token)


def _shut(conn) -> None:
    import socket

    try:
        conn.shutdown(socket.SHUT_RDWR)  # before connect(): the request then fails to be sent (EPIPE)
    except OSError:
        pass


_SCOPES: contextvars.ContextVar[tuple[RenderScope, ...]] = contextvars.ContextVar("render_scopes", default=())


@contextlib.contextmanager
def render_scope():
    """A scope for the renders asked for inside it, by this thread and by the threads it starts in a copy
    of its context (beside: the index's parts, the cover beside them). Left by an exception (Ctrl-C, a
    part that cannot be laid out), it aborts those still under way instead of leaving them to run;
    those of another build in another thread of the same process are not touched."""
    scope = RenderScope()
    token = _SCOPES.set((*_SCOPES.get(), scope))
    try:
        yield scope
    except BaseException:
        scope.abort()
        raise
    finally:
        _SCOPES.reset(token)


@contextlib.contextmanager
def _in_flight(conn):
    scopes = _SCOPES.get()
    for scope in scopes:
        with scope.lock:
            scope.calls.add(conn)
            if scope.aborted:  # asked for after the abort (a thread that was about to): not laid out
                _shut(conn)
    try:
        yield
    finally:
        for scope in scopes:
            with scope.lock:
                scope.calls.discard(conn)


def beside(func, *args):
    """``func(*args)`` (which renders) started in a thread of its own while the caller renders
    something else, when the render process can lay both out at once (concurrent_renders); else
    called now. Either way a Future: ``.result()`` gives its value or raises its error. If the caller
    is interrupted before asking for it, the abort() of the render_scope() it runs in stops the layout."""
    from concurrent.futures import Future

    future: Future = Future()
    if concurrent_renders() < 2:
        try:
            future.set_result(func(*args))
        except Exception as err:  # noqa: BLE001 - handed to the caller (Ctrl-C is not: it stops the caller now)
            future.set_exception(err)
        return future

    def run() -> None:
        try:
            future.set_result(func(*args))
        except BaseException as err:  # noqa: BLE001 - handed to the caller
            future.set_exception(err)

    # a daemon thread: an interrupted build does not wait for it at exit (its scope's abort() ends its layout)
    threading.Thread(target=contextvars.copy_context().run, args=(run,), daemon=True, name="beside").start()
    return future


def concurrent_renders() -> int:
    """How many renders are worth asking for at once: one per core (evidence.workers.cores, at most 4) where the render
    process lays each out in a child of its own (render.server, on Linux); else one, for they would
    wait for each other (and without a render process, a layout in a thread could not be interrupted)."""
    from ..evidence.workers import cores
    from . import server

    if not server._FORK or start_server() is None:
        return 1
    return min(cores(), 4)


def render(**request) -> RenderResult:
    """_render(**request), in the render process when there is one."""
    server = start_server()
    if server is None:
        return _render(**request)
    return server.call(request)


def _render(html: str, target: Path, *, base_dir: Path, roots: list[Path], parts: dict[str, tuple[bytes, str]] | None,
            lang: str, hold_last_page: bool = False) -> RenderResult:
    weasyprint, FontConfiguration = _weasyprint()
    fetcher = _fetcher_class()(roots, parts or {}, lang)
    fonts = FontConfiguration()
    # WeasyPrint logs each refused URL as a warning; they are reported to the user our way.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    try:
        with reproducible():
            document = weasyprint.HTML(string=html, base_url=base_dir.as_uri() + "/", url_fetcher=fetcher).render(
                font_config=fonts
            )
            held: list[str] = []
            if hold_last_page and len(document.pages) > 1:
                held = [link for kind, link, *_ in document.pages[-1].links if kind == "external"]
                if held:
                    document = document.copy(document.pages[:-1])
            document.write_pdf(target, pdf_identifier=b"recouvre-docs", uncompressed_pdf=False)
    finally:
        # WeasyPrint copies the fonts of the layout into a temporary folder (2.3 MB), removed when
        # the configuration is freed: never, in a process that then ends at once (a render child, the
        # command's exit). Removed here, once the file is written.
        folder = getattr(fonts, "_folder", None)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
            fonts._folder = None
    _pdfa_safe(target)
    return RenderResult(pages=len(document.pages), blocked=list(fetcher.blocked), held_links=held)


def _pdfa_safe(target: Path) -> None:
    """What PDF/A asks of WeasyPrint's output, done where it is made (pdfa.make_safe, as for the
    exhibits): its links get the Print flag, a CMYK image of an e-mail its profile."""
    import pikepdf

    from .. import pdfa

    with pikepdf.open(target) as pdf:
        if not pdfa.make_safe(pdf):
            return
        tmp = target.with_name(target.name + ".pdfa.tmp")
        pdf.save(tmp, deterministic_id=True)
    os.replace(tmp, target)
