"""qpdf's merge of the exhibits, then the merged file's stream table, in one background process.

    python -P -m recouvre_docs.merge_job QPDF @ARGS MERGED TABLE

runs ``QPDF @ARGS`` (its messages on this process's standard error, which bundle.Merge keeps), writes
qpdf's exit status on standard output as soon as qpdf ends (build waits for that line only), then,
if the merge succeeded, writes digest.stream_table of MERGED into TABLE. SIGTERM stops qpdf too.
Only the standard library is imported before qpdf starts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    *qpdf, merged, table = argv
    proc = subprocess.Popen(qpdf, stdout=subprocess.DEVNULL)

    def stop(_signum, _frame) -> None:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os._exit(1)

    signal.signal(signal.SIGTERM, stop)
    code = proc.wait()
    sys.stdout.write(f"{code}\n")
    sys.stdout.flush()
    if code not in (0, 3):  # 3: qpdf succeeded with warnings
        return 1
    import pikepdf

    from . import digest

    with pikepdf.open(merged) as pdf:
        digest.write_table(digest.stream_table(pdf), Path(table))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
