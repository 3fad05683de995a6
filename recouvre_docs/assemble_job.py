"""The stamping pass of a build (bundle.finish), in a process of its own.

    python -P -m recouvre_docs.assemble_job REQUEST ANSWER

REQUEST is a pickle of bundle.finish's arguments and the caller's log level, written by
bundle.assemble; ANSWER receives ("ok", the manifest as finish left it), ("error", errors data:
workers.error_data) for a RecouvreError, or ("crash", the traceback). Timing lines (``build -v``) go
to standard error as the caller's would. A process started afresh, not forked: it holds pikepdf, this
package's PDF modules and the merged file, not the case, its evidence and its check (issue 8).
Both files are the caller's, in its private work folder: the pickle is trusted.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
import traceback
from pathlib import Path


def main(argv: list[str]) -> int:
    request, answer = Path(argv[0]), Path(argv[1])
    p, a, target, merged, table, level = pickle.loads(request.read_bytes())
    # as cli.py formats them: with the logger's name under -v
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
                        if level <= logging.DEBUG else "%(levelname)s: %(message)s")
    from . import bundle
    from .errors import RecouvreError

    try:
        bundle.finish(p, a, target, merged, table)
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
    sys.exit(main(sys.argv[1:]))
