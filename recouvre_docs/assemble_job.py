"""The stamping pass of a build (bundle.finish), in a process of its own.

    python -P -m recouvre_docs.assemble_job

imports what it needs, then reads its request on standard input (bundle.start_assembler starts it
ahead of time): its length (8 bytes, big-endian), then a pickle of bundle.finish's arguments, the caller's log level and the ANSWER file,
which receives ("ok", the manifest as finish left it), ("error", errors data:
workers.error_data) for a RecouvreError, or ("crash", the traceback). Timing lines (``build -v``) go
to standard error as the caller's would. A process started afresh, not forked: it holds pikepdf, this
package's PDF modules and the merged file, not the case, its evidence and its check (issue 8).
The request comes from the process that started this one, the answer goes to its private work
folder: the pickle is trusted. An empty request (the build failed meanwhile) ends it.
"""

from __future__ import annotations

import logging
import os
import pickle
import struct
import sys
import traceback


def main() -> int:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build's, which then kills this process
    from . import bundle
    from .errors import RecouvreError

    header = sys.stdin.buffer.read(8)  # its length first: the end of the input may never come (workers
    size = struct.unpack(">Q", header)[0] if len(header) == 8 else 0  # the build forked hold the pipe too)
    request = sys.stdin.buffer.read(size)
    if not size or len(request) < size:
        return 0
    p, a, target, merged, table, merge_key, level, answer = pickle.loads(request)
    # as cli.py formats them: with the logger's name under -v
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
                        if level <= logging.DEBUG else "%(levelname)s: %(message)s")

    try:
        bundle.finish(p, a, target, merged, table, merge_key)
        result: tuple = ("ok", a.manifest)
    except RecouvreError as err:
        result = ("error", (type(err).__name__, err.message, str(err.path) if err.path else None, err.hint))
    except Exception:  # noqa: BLE001 - the caller raises it
        result = ("crash", traceback.format_exc())
    tmp = answer.with_name(answer.name + ".tmp")
    tmp.write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(tmp, answer)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    os._exit(code)  # the answers are written and flushed: no teardown of WeasyPrint or pikepdf to wait for
