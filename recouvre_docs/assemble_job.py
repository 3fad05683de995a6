"""The stamping pass of a build (bundle.finish), in a process of its own.

    python -P -m recouvre_docs.assemble_job

imports what it needs, then reads its request on standard input (bundle.start_assembler starts it
ahead of time): first, on a rebuild, a request to stamp the exhibits' pages ahead
(bundle.prepare_assembly), or on a first build to stamp them and digest them (bundle.stamp_ahead),
then bundle.finish's arguments and the caller's log level, as subprocesses.write_message
writes them (None: the build failed meanwhile, and this process ends). Its answer, on standard output,
is the subprocesses.outcome of the pass: the manifest as finish left it, or the error. Timing lines
(``build -v``) go to standard error as the caller's would. A process started afresh, not forked: it
holds pikepdf, this package's PDF modules and the merged file, not the case, its evidence and its
check (issue 8).
"""

from __future__ import annotations

import logging
import os
import sys


def main() -> int:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build's, which then kills this process
    from . import bundle, subprocesses

    answers, sys.stdout = sys.stdout.buffer, sys.stderr  # a stray print must not corrupt the answer
    request = subprocesses.read_message(sys.stdin.buffer)
    prepared = None
    if isinstance(request, tuple) and request[0] == "prepare":  # bundle.prepare_assembly: a rebuild
        _, plan, merged, table, reference, cache, level, digests = request
        _log(level)
        try:
            prepared = bundle.ExhibitPages(merged, table)
            prepared.stamp(plan, reference, cache)
            if digests:  # a first build (bundle.stamp_ahead): no build before kept them
                prepared.digest_pages()
        except Exception as err:  # noqa: BLE001 - finish() does it again, and says what fails
            logging.getLogger(__name__).debug("exhibits' pages not stamped ahead: %s", err)
            if prepared is not None:
                prepared.close()
                prepared = None
        request = subprocesses.read_message(sys.stdin.buffer)
    if request is None:
        return 0
    p, a, target, merged, table, merge_key, level = request
    _log(level)

    def finish() -> dict | None:
        bundle.finish(p, a, target, merged, table, merge_key, prepared=prepared)
        return a.manifest

    subprocesses.write_message(answers, subprocesses.outcome(finish))
    return 0


def _log(level: int) -> None:
    # as cli.py formats them: with the logger's name under -v
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
                        if level <= logging.DEBUG else "%(levelname)s: %(message)s")


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    os._exit(code)  # the answers are written and flushed: no teardown of WeasyPrint or pikepdf to wait for
