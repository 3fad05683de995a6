"""How long each stage of a build takes, at debug level (``-v``): bench/run reads these lines."""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager

log = logging.getLogger("recouvre_docs.timing")


@contextmanager
def timed(stage: str):
    start = time.perf_counter()
    try:
        yield
    finally:
        log.debug("timing %s: %.3f s", stage, time.perf_counter() - start)
