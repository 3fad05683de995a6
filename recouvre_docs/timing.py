"""How long each stage of a build takes, at debug level (``-v``): bench/run reads these lines."""

from __future__ import annotations

import logging
import resource
import sys
import time
from contextlib import contextmanager

log = logging.getLogger("recouvre_docs.timing")


@contextmanager
def timed(stage: str):
    start = time.perf_counter()
    try:
        yield
    finally:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
        log.debug("timing %s: %.3f s (peak RSS so far %.0f MiB)", stage, time.perf_counter() - start, peak)
