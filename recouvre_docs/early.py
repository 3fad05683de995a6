"""The build's two helper processes, started before the build's own modules are imported.

``recouvre-docs build`` imports pydantic, pikepdf, Jinja and the rest of this package for some
0.45 s, on one core, before it can start anything. Its helpers (render.server, which imports
WeasyPrint, and assemble_job, which imports pikepdf and, on a rebuild, stamps the exhibits' pages
ahead) do not need any of it. The command's entry point (launch.entry) therefore starts them first,
from this module, which imports nothing but the standard library and subprocesses.py; the build then
takes them over (render.pdf.start_server, bundle.start_assembler: take_server, take_assembler).

Helpers started and never taken (``build --help``, a usage error, a case.toml that does not load)
are killed at the exit, and the render folder removed. Where they are not started here (the Python
API, the tests' CliRunner, batch's workers), the build starts them itself, with the same functions.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess

from . import subprocesses

_server: tuple[int, str, str, subprocess.Popen] | None = None  # (owner pid, folder, socket address, process)
_assembler: tuple[int, subprocess.Popen] | None = None  # (owner pid, process)


def spawn_server() -> tuple[str, str, subprocess.Popen]:
    """Start ``python -P -m recouvre_docs.render.server FD`` on a listening socket of its own: the
    folder (0700: nobody else connects) that holds the socket and its temporary files, the socket's
    address, the process. Requests may be sent at once: the socket listens before the process runs."""
    import socket
    import tempfile

    folder = tempfile.mkdtemp(prefix="recouvre-render-")
    if len(os.fsencode(folder)) > 90 and os.path.isdir("/tmp"):  # a socket's path: 104 bytes at most
        os.rmdir(folder)
        folder = tempfile.mkdtemp(prefix="recouvre-render-", dir="/tmp")
    address = os.path.join(folder, "socket")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(address)
        listener.listen(64)
        # its temporary files (WeasyPrint's copies of the fonts, 2.3 MB a layout) in this folder, which
        # the build removes even if the process was stopped before it could remove them itself
        proc = subprocess.Popen([*subprocesses.command("recouvre_docs.render.server"), str(listener.fileno())],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, pass_fds=[listener.fileno()],
                                env={**subprocesses.environment(), "TMPDIR": folder})
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        listener.close()
    return folder, address, proc


def spawn_assembler() -> subprocess.Popen:
    """Start ``python -P -m recouvre_docs.assemble_job``, which waits for its requests on its standard input."""
    return subprocess.Popen(subprocesses.command("recouvre_docs.assemble_job"), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=subprocesses.environment())


def start() -> None:
    """Start both helpers now, for this process to take over (take_server, take_assembler)."""
    global _server, _assembler
    if not subprocesses.enabled() or not hasattr(os, "fork") or _server is not None:
        return
    atexit.register(_discard)  # first: whatever was started is ended if not taken
    try:
        folder, address, proc = spawn_server()
        _server = (os.getpid(), folder, address, proc)
        _assembler = (os.getpid(), spawn_assembler())
    except (OSError, AttributeError):  # AttributeError: no AF_UNIX; the build then starts what it can itself
        return


def take_server() -> tuple[str, str, subprocess.Popen] | None:
    """The render process start() started, if it is this process's and still running (once)."""
    global _server
    started, _server = _server, None
    if started is None or started[0] != os.getpid():  # a forked child's copy: its parent's, not to touch
        return None
    if started[3].poll() is None:
        return started[1], started[2], started[3]
    end(started[3], started[1])
    return None


def take_assembler() -> subprocess.Popen | None:
    """The assembling process start() started, if it is this process's and still running (once)."""
    global _assembler
    started, _assembler = _assembler, None
    if started is None or started[0] != os.getpid():  # a forked child's copy: its parent's, not to touch
        return None
    if started[1].poll() is None:
        return started[1]
    end(started[1])
    return None


def end(proc: subprocess.Popen, folder: str | None = None) -> None:
    """Kill ``proc`` if still running, reap it, close its pipes; remove ``folder`` if given."""
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            try:
                stream.close()
            except OSError:
                pass
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def _discard() -> None:
    """At the exit: the helpers nobody took are killed (they may still be importing), the folder removed."""
    global _server, _assembler
    if _server is not None and _server[0] == os.getpid():
        end(_server[3], _server[1])
    if _assembler is not None and _assembler[0] == os.getpid():
        end(_assembler[1])
    _server = _assembler = None
