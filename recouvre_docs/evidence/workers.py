"""Conversions in worker processes, each with a time limit.

A damaged or hostile file can make a converter run for minutes or eat gigabytes (a 15,000-row HTML
table laid out by WeasyPrint, a PDF whose repair loops, an image that decompresses to gigapixels).
Every file that is not already in the cache is therefore converted in a worker process of a
``concurrent.futures.ProcessPoolExecutor`` ('fork' context where the system has it): as many workers
as cores, never more than files to convert, and none at all when everything is cached. A file that is
not done within the limit (``TIMEOUT`` seconds, or ``RECOUVRE_CONVERT_TIMEOUT``) has its worker
killed, with everything that worker started (LibreOffice, Tesseract: each worker leads its own
process group), and becomes an EvidenceError naming the file and the limit; the pool is re-created
and the other files go on. A worker that dies (out of memory, a crash in a native library) is found
out by converting the files it held again one at a time.

The results do not depend on the number of workers or on the order in which they finish: each
conversion writes only its own cache entries (under names unique to the process, renamed into place),
and the results are returned in the order of the jobs. Log records of the workers are sent back and
emitted by the calling process, in the order of the jobs.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import shutil
import signal
import tempfile
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..errors import EvidenceError, RecouvreError, error_data, rebuild

log = logging.getLogger(__name__)

TIMEOUT = 120.0  # seconds per file; RECOUVRE_CONVERT_TIMEOUT overrides it
TIMEOUT_ENV = "RECOUVRE_CONVERT_TIMEOUT"
WORKERS_ENV = "RECOUVRE_CONVERT_WORKERS"  # at most this many workers (default: the cores)


def timeout() -> float:
    raw = os.environ.get(TIMEOUT_ENV)
    if raw:
        try:
            value = float(raw)
            if value > 0:
                return value
        except ValueError:
            pass
        log.warning("%s=%r is not a number of seconds above 0: the default limit of %g s per file applies",
                    TIMEOUT_ENV, raw, TIMEOUT)
    return TIMEOUT


def cores() -> int:
    """The CPUs this process may use: those it may run on (its affinity), capped by its cgroup's CPU
    quota. A container started with --cpus=2 (or a systemd unit with CPUQuota=200%) sees every CPU of
    its host but gets two CPUs' worth of time: a worker, a batch case or an index part per host CPU
    would each take its memory for no gain."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        n = os.cpu_count() or 1
    quota = cgroup_cpu_quota()
    if quota is not None:
        n = min(n, math.ceil(quota))
    return max(1, n)


def cgroup_cpu_quota(root: Path = Path("/sys/fs/cgroup"), own: Path = Path("/proc/self/cgroup")) -> float | None:
    """CPUs' worth of time this process may use by its cgroups' quotas (quota / period: the smallest
    of its own cgroup's and every parent's), or None without a quota. cgroup v2: cpu.max ("200000
    100000"; "max 100000" is no quota) from the process's own cgroup up to the mount's root (in a
    container, its own cgroup); else cgroup v1: cpu.cfs_quota_us and cpu.cfs_period_us (-1: no quota),
    the same way, in the cpu controller's hierarchy mounted under ``root``."""
    try:
        lines = own.read_text().splitlines()
    except OSError:
        lines = []
    v2 = [line[4:] for line in lines if line.startswith("0::/")]
    v1 = [line.split(":", 2)[2].lstrip("/") for line in lines
          if line.count(":") >= 2 and "cpu" in line.split(":", 2)[1].split(",")]
    quotas = []
    for folder in _up_to(root, v2[0] if v2 else ""):
        try:
            quota, period = (folder / "cpu.max").read_text().split()[:2]
            if quota != "max" and int(period) > 0:
                quotas.append(int(quota) / int(period))
        except (OSError, ValueError):
            continue
    if not quotas:
        for mount in (root / "cpu", root / "cpu,cpuacct", root / "cpuacct,cpu"):
            for folder in _up_to(mount, v1[0] if v1 else ""):
                try:
                    quota_us = int((folder / "cpu.cfs_quota_us").read_text())
                    period_us = int((folder / "cpu.cfs_period_us").read_text())
                except (OSError, ValueError):
                    continue
                if quota_us > 0 and period_us > 0:
                    quotas.append(quota_us / period_us)
    return min(quotas) if quotas else None


def _up_to(root: Path, relative: str) -> list[Path]:
    """``root / relative`` and each of its parents up to ``root`` (a container sees its own cgroup as
    the root: a path that is not under it is only the root)."""
    folders, folder = [root], root
    for name in [n for n in relative.split("/") if n and n not in (".", "..")]:
        folder = folder / name
        folders.append(folder)
    return folders[::-1]


def max_workers(jobs: int) -> int:
    limit = cores()
    raw = os.environ.get(WORKERS_ENV)
    if raw:
        try:
            limit = max(1, int(raw))
        except ValueError:
            log.warning("%s=%r is not a whole number: %d worker(s) are used", WORKERS_ENV, raw, limit)
    return max(1, min(limit, jobs))


@dataclass(frozen=True)
class Job:
    """One conversion: ``func(*args)`` for the file the user knows as ``shown_as``."""

    func: Callable[..., Any]
    args: tuple
    shown_as: str
    path: Path | None = None
    limit: float | None = None  # seconds; default: the limit of the run
    action: str = "converting it"  # for the message: "<file>: converting it took longer than…"


# ----------------------------------------------------------------------------------------------
# in the worker


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))


def _init_worker(level: int, scratch: str | None = None) -> None:
    if hasattr(os, "setpgrp"):
        os.setpgrp()  # its own process group: a timeout kills the worker with what it started
    if scratch is not None:  # its temporary files, and those of the programs it runs, where the pool removes them
        tempfile.tempdir = os.environ["TMPDIR"] = tempfile.mkdtemp(dir=scratch)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle (it kills the workers)
    logger = logging.getLogger("recouvre_docs")
    logger.handlers[:] = []
    logger.setLevel(level)
    logger.propagate = False


def _run_job(func: Callable[..., Any], args: tuple) -> tuple[str, Any, list]:
    """('ok', result, logs) or ('error', (class name, message, path, hint), logs). Bugs are raised."""
    logger = logging.getLogger("recouvre_docs")
    collect = _Collect()
    logger.addHandler(collect)
    try:
        return "ok", func(*args), collect.records
    except RecouvreError as err:  # rebuilt by the parent (keyword-only constructors do not unpickle)
        return "error", error_data(err), collect.records
    finally:
        logger.removeHandler(collect)


# ----------------------------------------------------------------------------------------------
# in the calling process


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


class _Pool:
    """A ProcessPoolExecutor whose workers can be killed (with their children) and re-created.

    Its workers make their temporary files (and Tesseract, OCRmyPDF, LibreOffice theirs) in a folder
    of the pool's, removed when the pool is closed or killed: a worker killed at the time limit cannot
    remove its own (OCRmyPDF's page images, LibreOffice's profile)."""

    def __init__(self, workers: int):
        self.workers = workers
        self.executor: ProcessPoolExecutor | None = None
        self.scratch: str | None = None

    def submit(self, job: Job) -> Future:
        if self.executor is None:
            level = logging.getLogger("recouvre_docs").getEffectiveLevel()
            self.scratch = tempfile.mkdtemp(prefix="recouvre-convert-")
            self.executor = ProcessPoolExecutor(self.workers, mp_context=_context(), initializer=_init_worker,
                                                initargs=(level, self.scratch))
        return self.executor.submit(_run_job, job.func, job.args)

    def _remove_scratch(self) -> None:
        scratch, self.scratch = self.scratch, None
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)

    def kill(self) -> None:
        executor, self.executor = self.executor, None
        if executor is None:  # none yet (Ctrl-C while the first was being made): its folder may be there
            self._remove_scratch()
            return
        # Python 3.14 has executor.kill_workers(); before it, the processes are only reachable here
        processes = list((getattr(executor, "_processes", None) or {}).values())
        for process in processes:
            try:
                os.killpg(process.pid, signal.SIGKILL)  # the worker and what it started
            except (AttributeError, OSError):  # no process groups here, or not yet its own group
                try:
                    process.kill()
                except OSError:
                    pass
        try:
            executor.shutdown(wait=True, cancel_futures=True)
        except RuntimeError:  # "cannot join thread before it is started": Ctrl-C came while submit() started
            for process in processes:  # the executor's manager thread; its killed workers are reaped here
                process.join(timeout=10)
        self._remove_scratch()

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True)
            self.executor = None
        self._remove_scratch()


def run(jobs: list[Job], *, limit: float | None = None, on_done: Callable[[int], None] | None = None) -> list[Any]:
    """Run every job in worker processes; return, in the order of ``jobs``, each result or the
    RecouvreError it raised (a time limit exceeded, a crash: EvidenceError). No job: no process."""
    limit = timeout() if limit is None else limit
    results: list[Any] = [None] * len(jobs)
    logs: list[list] = [[] for _ in jobs]
    if not jobs:
        return results
    if multiprocessing.current_process().daemon:
        # a daemonic process may not start processes (a Dask worker under its nanny, by default): the
        # files are converted here, one after the other, without the time limit (README, batch)
        log.debug("converting in this process (a daemonic process has no workers): no time limit per file")
        for i, job in enumerate(jobs):
            try:
                results[i] = job.func(*job.args)
            except RecouvreError as err:
                results[i] = err if isinstance(err, EvidenceError) else rebuild(error_data(err))
            if on_done:
                on_done(i)
        return results
    pool = _Pool(max_workers(len(jobs)))
    pending: deque[tuple[int, bool]] = deque((i, False) for i in range(len(jobs)))  # (job, alone after a crash)
    running: dict[Future, tuple[int, bool, float]] = {}
    try:
        while pending or running:
            while pending and len(running) < pool.workers:
                if running and (pending[0][1] or any(a for _, a, _ in running.values())):
                    break  # a suspect of a crash runs alone
                i, alone = pending.popleft()
                running[pool.submit(jobs[i])] = (i, alone, time.monotonic() + (jobs[i].limit or limit))
            soonest = min(deadline for _, _, deadline in running.values())
            done, _ = wait(list(running), timeout=max(0.0, soonest - time.monotonic()), return_when=FIRST_COMPLETED)
            broken: list[tuple[int, bool]] = []
            for future in done:
                i, alone, _deadline = running.pop(future)
                try:
                    status, value, records = future.result()
                except BrokenProcessPool:
                    broken.append((i, alone))
                    continue
                logs[i] = records
                results[i] = value if status == "ok" else rebuild(value)
                if on_done:
                    on_done(i)
            if broken:  # a worker died: every file it may have held is converted again, alone
                broken += [(i, alone) for i, alone, _ in running.values()]
                running.clear()
                pool.kill()
                for i, alone in sorted(broken, reverse=True):
                    if alone:
                        results[i] = EvidenceError(
                            f"{jobs[i].shown_as}: the conversion stopped abnormally (the converter crashed or ran out of memory)",
                            path=jobs[i].path,
                            hint="Print it to PDF and put the PDF in evidence/ instead; please report the file if you can.")
                        if on_done:
                            on_done(i)
                    else:
                        pending.appendleft((i, True))
                continue
            now = time.monotonic()
            expired = [f for f, (_, _, deadline) in running.items() if deadline <= now and not f.done()]
            if expired:
                for future in expired:
                    i, _alone, _ = running.pop(future)
                    results[i] = EvidenceError(
                        f"{jobs[i].shown_as}: {jobs[i].action} took longer than the limit of {jobs[i].limit or limit:g} s, "
                        "and was stopped",
                        path=jobs[i].path,
                        hint="Print it to PDF (or split it) and put the PDF in evidence/ instead; or allow more time "
                        f"per file with the environment variable {TIMEOUT_ENV}=<seconds>.")
                    if on_done:
                        on_done(i)
                # the others on the killed pool start again on a new one
                again = sorted(((i, alone) for i, alone, _ in running.values()), reverse=True)
                running.clear()
                pool.kill()
                for item in again:
                    pending.appendleft(item)
    finally:
        if running or pending:  # interrupted (Ctrl-C) or a bug: nothing is left running
            pool.kill()
        else:
            pool.close()
    for records in logs:
        for name, level, message in records:
            logging.getLogger(name).log(level, "%s", message)
    return results
