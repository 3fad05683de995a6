"""This package's own helper processes (merge_job, render.server, assemble_job): their command and
environment — ``python -P -m MODULE``, -P so that a ``recouvre_docs`` folder in the current directory
is never the one imported, and PYTHONPATH naming the folder this package was imported from, so that a
source checkout that is not installed works too — and the messages they exchange with the build."""

from __future__ import annotations

import logging
import os
import pickle
import struct
import sys
import traceback
from pathlib import Path

log = logging.getLogger(__name__)

_HOME = str(Path(__file__).resolve().parent.parent)


def enabled() -> bool:
    """Whether the render and stamping passes run in processes of their own: not where this interpreter
    cannot be started again, nor under RECOUVRE_IN_PROCESS=1 (everything in one process: a profiler)."""
    return bool(sys.executable) and os.environ.get("RECOUVRE_IN_PROCESS") != "1"


def command(module: str, *args: str) -> list[str]:
    return [sys.executable, "-P", "-m", module, *args]


def environment() -> dict[str, str]:
    paths = [_HOME, *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != _HOME]]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


# ----------------------------------------------------------------------------------------------
# How the build and its helper processes (render.server, assemble_job) talk: a message is a pickle
# preceded by its length (8 bytes, big-endian), so that a reader never waits for the end of a pipe
# that forked workers may hold open too. Both ends are this package: the pickles are trusted.

_HEADER = struct.Struct(">Q")


def write_message(stream, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def read_message(stream) -> object | None:
    """The next message, or None at the end of the stream (or of a message cut short)."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    return pickle.loads(data) if len(data) == size else None


def outcome(func, *args, **kwargs) -> tuple:
    """What a helper process answers: ("ok", func's value), ("error", errors.error_data) for a
    RecouvreError, or ("crash", the traceback) for anything else."""
    from .errors import RecouvreError, error_data

    try:
        return "ok", func(*args, **kwargs)
    except RecouvreError as err:
        return "error", error_data(err)
    except Exception:  # noqa: BLE001 - the caller raises it
        return "crash", traceback.format_exc()


def value(answer: tuple, *, fallback: type, doing: str):
    """The value of an outcome(), or its error raised here: a RecouvreError as it was (``fallback`` for a
    class this side does not know), a crash as a RuntimeError with the traceback's last line (the whole
    traceback at debug level: ``-v``)."""
    from .errors import rebuild

    status, data = answer
    if status == "ok":
        return data
    if status == "error":
        raise rebuild(data, fallback=fallback, demote=())
    log.debug("traceback of %s:\n%s", doing, data)
    raise RuntimeError(f"{doing} failed: {data.strip().splitlines()[-1]}")
