"""The command and environment of this package's own helper processes (merge_job, render.server,
assemble_job): ``python -P -m MODULE``, -P so that a ``recouvre_docs`` folder in the current directory
is never the one imported, and PYTHONPATH naming the folder this package was imported from, so that a
source checkout that is not installed works too."""

from __future__ import annotations

import os
import sys
from pathlib import Path

_HOME = str(Path(__file__).resolve().parent.parent)


def command(module: str, *args: str) -> list[str]:
    return [sys.executable, "-P", "-m", module, *args]


def environment() -> dict[str, str]:
    paths = [_HOME, *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != _HOME]]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
