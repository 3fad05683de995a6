"""WeasyPrint in a process of its own, which every process of a build asks for its renders.

    python -P -m recouvre_docs.render.server FD

FD is a listening Unix socket, bound and passed on by the build (render.pdf.start_server), so that a
request may be sent before this process is ready. Each request comes on a connection of its own, is
answered by a child forked for it (on Linux; elsewhere by this process, see _FORK), and the connection
is then closed. Messages as subprocesses.write_message writes them: a request, the keyword arguments
of render.pdf._render; the answer, its subprocesses.outcome (a RenderResult, or the error). On
standard input, "warm" has it import WeasyPrint and make a first layout now (render.pdf.start_server:
a build that expects layouts; otherwise the first request does it), any other line (or the end)
stops it.

Why: WeasyPrint and the layout of a long table take some 90 MiB that the process holding the case,
its evidence and later the merge of 4,000 pages would otherwise keep to its end (issue 8: peak RSS of
any process). Here WeasyPrint is imported once (its 0.5 s while the build does other work, and once
for the build's worker processes too; not at all for a rebuild whose layouts all come from the
cache), and each layout's memory goes with the child that made it.
Messages are trusted: the socket is in a folder only this user can enter, made by the build.

Temporary files: WeasyPrint copies the fonts of a layout into a folder of its own (2.3 MB), which it
removes when the layout's objects are freed; a child ends without freeing them (os._exit). Each child
therefore makes its temporary files in a folder of its own, removed by this process when the child
has ended (however it ended), and this process's own are in the folder the build gave it (TMPDIR),
which the build removes.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import socket
import sys
import tempfile
import threading
from pathlib import Path

from .. import subprocesses


def _answer(request: dict) -> tuple:
    from . import pdf

    return subprocesses.outcome(pdf._render, **request)


def _serve(conn: socket.socket, *, forked: bool = True) -> None:
    """A connection's request answered: in the child forked for it, which ends if its caller goes."""
    with conn, conn.makefile("rwb") as stream:
        request = subprocesses.read_message(stream)
        if request is not None:
            if forked:
                threading.Thread(target=_watch, args=(conn,), daemon=True).start()
            subprocesses.write_message(stream, _answer(request))


def _watch(conn: socket.socket) -> None:
    """End this child as soon as its caller is gone (a conversion stopped at its time limit, a build
    interrupted): nobody would read the answer, and the layout would go on using a core."""
    import time

    with contextlib.suppress(OSError):
        while conn.recv(1, socket.MSG_PEEK):  # the caller sends nothing more: data here is not expected
            time.sleep(0.1)
    os._exit(1)


def _warm_up() -> None:
    """A first render here, once: what WeasyPrint loads at its first layout (its user-agent style
    sheets, Fontconfig's configuration) is then shared by every forked child, not loaded by each."""
    from . import pdf

    with tempfile.TemporaryDirectory(prefix="warm-up-") as tmp:
        with contextlib.suppress(Exception):  # a failure shows again in the real render, with its message
            pdf._render("<p>.</p>", Path(tmp) / "warm.pdf", base_dir=Path(tmp), roots=[], parts=None, lang="fr")


def _ldconfig_only() -> None:
    """WeasyPrint finds Pango, HarfBuzz and Fontconfig by trying several names each; cffi asks
    ctypes.util.find_library for every name it cannot open, which on Linux runs ldconfig, then gcc,
    then ld (22 names, 0.2 s of a 0.6 s import). The dynamic loader reads ldconfig's cache: the names
    it cannot find there, gcc and ld would only find in the folders the loader does not search. So
    here find_library asks ldconfig only (ctypes' own first method)."""
    import ctypes.util

    lookup = getattr(ctypes.util, "_findSoname_ldconfig", None)
    if sys.platform.startswith("linux") and lookup is not None:
        ctypes.util.find_library = lookup


# A child per layout on Linux only: on macOS, Pango lays text out with CoreText, and a process that
# has used the Objective-C runtime may crash in a child it forks. There, the layouts are made here,
# one at a time (still apart from the build's process).
_FORK = sys.platform.startswith("linux")


_TEMP = tempfile.gettempdir()


def main(argv: list[str]) -> int:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build's: it stops this process itself
    listener = socket.socket(fileno=int(argv[0]))
    sys.stdout = sys.stderr  # a stray print must not reach anyone
    _ldconfig_only()
    warm = not _FORK  # WeasyPrint imported and warmed up: when the build says so, or at the first request
    children: set[int] = set()
    with selectors.DefaultSelector() as selector:
        selector.register(listener, selectors.EVENT_READ)
        selector.register(sys.stdin, selectors.EVENT_READ)
        stopping = False
        while not stopping:
            for key, _events in selector.select(timeout=1.0):
                if key.fileobj is sys.stdin:
                    lines = os.read(sys.stdin.fileno(), 256).split(b"\n")
                    if lines[0] == b"warm" and lines[1:] in ([b""], []):  # layouts expected (pdf.start_server)
                        if not warm:
                            _warm_up()
                            warm = True
                        continue
                    stopping = True  # "stop" (after "warm" or not), or the build is gone (the end)
                    break
                if not warm:  # a layout asked for before the build said: the warm-up first, shared by all
                    _warm_up()
                    warm = True
                conn, _address = listener.accept()
                if not _FORK:  # one layout at a time, here
                    with contextlib.suppress(OSError):
                        _serve(conn, forked=False)
                    continue
                pid = os.fork()
                if pid == 0:  # the child: answer, and end without this process's exit handlers
                    code = 0
                    try:
                        listener.close()
                        os.mkdir(_scratch(os.getpid()), 0o700)
                        tempfile.tempdir = _scratch(os.getpid())
                        _serve(conn)
                    except BaseException:  # noqa: BLE001 - the caller sees a connection closed unanswered
                        code = 1
                    os._exit(code)
                conn.close()
                children.add(pid)
            children -= _reaped(children, block=False)
    listener.close()
    _reaped(children, block=True)  # waited for: their peak memory counts in this process's children's
    return 0


def _scratch(pid: int) -> str:
    """The folder of a child's temporary files (in this process's own temporary folder)."""
    return os.path.join(_TEMP, f"layout-{pid}")


def _reaped(children: set[int], *, block: bool) -> set[int]:
    done = set()
    for pid in children:
        try:
            if os.waitpid(pid, 0 if block else os.WNOHANG)[0] == pid:
                done.add(pid)
        except ChildProcessError:
            done.add(pid)
    for pid in done:
        shutil.rmtree(_scratch(pid), ignore_errors=True)
    return done


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stderr.flush()
    os._exit(code)  # the answers are written and flushed: no teardown of WeasyPrint or pikepdf to wait for
