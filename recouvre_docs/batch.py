"""A portfolio of cases: build (or check) every case folder under a directory, each isolated, in
parallel on local processes or on a Dask distributed cluster, then summarise.

``run()`` never prints: it reports each finished case to a callback (the CLI's progress bar) and
returns the rows and the portfolio figures; ``write()`` publishes summary.csv / summary.json /
portfolio.json / portfolio.html atomically. One case's failure (an invalid case.toml, an unreadable
file, even a crashed worker) is that case's row; the others go on.

Portfolio figures (what a collection agency steers by), all computed from each case's own data:

- aged balance: the principal still owed on each invoice at the case's ``as_of``, by days past its
  due date: not yet due, 0–30, 31–60, 61–90, over 90 (one table per currency);
- claimed (the statement's total: principal, interest and fixed compensation still owed) and
  already paid, per currency;
- promises (``[[event]]`` kind ``promise`` with ``until``): kept when a payment is dated between the
  promise and its ``until`` date, both included; broken when ``until`` has passed without one;
  pending otherwise. A promise carries no amount in case.toml, so any payment in the window keeps it;
- cases blocked by each finding code (findings of severity ``error``);
- cases whose prescription falls within 90 days (``prescription-near``) or has passed (``prescribed``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import multiprocessing
import os
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from . import casefolder
from .evidence import workers
from .errors import ExitCode, OutputError, RecouvreError, ToolMissingError

STATUS = {
    ExitCode.OK: "ok",
    ExitCode.CHECK_FAILED: "blocked",
    ExitCode.CASE_INVALID: "invalid",
    ExitCode.EVIDENCE_UNREADABLE: "unreadable",
    ExitCode.TOOL_MISSING: "tool-missing",
    ExitCode.OUTPUT_ERROR: "output-error",
    ExitCode.INTERNAL: "crashed",
}
BUCKETS = ("not_due", "0-30", "31-60", "61-90", "90+")
SUMMARY_COLUMNS = ("case", "folder", "status", "exit_code", "procedure", "errors", "warnings", "info", "codes",
                   "currency", "principal", "paid", "total_claimed", "pages", "seconds", "message")


@dataclass(frozen=True)
class BatchOptions:
    check_only: bool = False
    procedure: str | None = None
    as_of: dt.date | None = None
    force: bool = False


def find_cases(root: Path) -> list[Path]:
    """Every folder under ``root`` holding a case.toml (not looking inside a case folder), sorted."""
    root = Path(root)
    if not root.is_dir():
        raise RecouvreError(f"{root} is not a folder", path=root, hint="Give the folder that holds the case folders.")
    found: list[Path] = []
    for current, dirs, files in os.walk(root):
        here = Path(current)
        if casefolder.CASE_FILE in files:
            found.append(here)
            dirs[:] = []  # a case folder's evidence/ and out/ hold no other case
            continue
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
    return sorted(found)


# ----------------------------------------------------------------------------------------------
# one case (runs in a worker process: plain data in, plain data out, never raises)


def _row(folder: str, **values: Any) -> dict[str, Any]:
    """A row of the summary, "ok" until something says otherwise."""
    return {"folder": folder, "case": Path(folder).name, "status": "ok", "exit_code": 0, "procedure": None,
            "findings": [], "pages": None, "message": "", "figures": None, **values}


def _crashed(folder: str, message: str) -> dict[str, Any]:
    return _row(folder, status="crashed", exit_code=int(ExitCode.INTERNAL), seconds=None, message=message)


def _findings(report) -> list[dict[str, str]]:
    return [{"code": f.code, "severity": f.severity, "subject": f.subject, "message": f.message}
            for f in report.findings]


def run_case(folder: str, options: BatchOptions) -> dict[str, Any]:
    """Build or check one case folder; its row of the summary, with what the portfolio needs."""
    from . import api, check, claim

    start = time.perf_counter()
    row = _row(folder)
    try:
        case_folder = casefolder.load_case(folder)
        case = case_folder.case
        as_of = options.as_of or case.case.as_of or dt.date.today()
        row.update(case=case.case.reference, as_of=as_of.isoformat(), procedure=options.procedure or case.case.procedure)
        report = None
        try:
            if options.check_only:
                if row["procedure"]:
                    report = check.run(folder, procedure=options.procedure, as_of=as_of, folder=case_folder)
                else:
                    row["message"] = "no procedure: nothing to check against"
            else:
                result = api.build(folder, api.BuildOptions(procedure=options.procedure, as_of=as_of,
                                                            force=options.force))
                report, row["pages"] = result.check, result.pages
        except RecouvreError as err:
            report = getattr(err, "report", None)  # build stopped by the check: its findings still count
            row.update(status=STATUS.get(err.exit_code, "crashed"), exit_code=int(err.exit_code), message=err.message)
        if report is not None:
            row["findings"] = _findings(report)
            if not report.ok and row["status"] == "ok":
                row["status"], row["exit_code"] = "blocked", int(ExitCode.CHECK_FAILED)
        if row["status"] in ("ok", "blocked"):  # a blocked case still counts in the portfolio's balances
            try:
                statement = report.statement if report is not None else None  # the check computed it
                if statement is None and case.invoice:
                    statement = claim.compute(case, as_of, case_folder.root)
                row["figures"] = _figures(case, statement, as_of)
            except RecouvreError:
                if row["status"] == "ok":
                    raise
    except RecouvreError as err:
        row.update(status=STATUS.get(err.exit_code, "crashed"), exit_code=int(err.exit_code), message=err.message)
    except Exception as err:  # noqa: BLE001 - a bug in one case must not stop the portfolio
        row.update(status="crashed", exit_code=int(ExitCode.INTERNAL), message=f"internal error ({type(err).__name__}: {err})")
    row["seconds"] = round(time.perf_counter() - start, 3)
    return row


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"  # decimal strings, never floats (as claim --format json)


def _figures(case, statement, as_of: dt.date) -> dict[str, Any]:
    """The case's share of the portfolio figures (amounts as decimal strings)."""
    figures: dict[str, Any] = {"currency": None, "principal": None, "paid": None, "claimed": None,
                               "aged": {}, "promises": _promises(case, as_of)}
    if statement is None:
        return figures
    aged = {b: Decimal(0) for b in BUCKETS}
    for inv in statement.invoices:
        if inv.balance <= 0:
            continue
        late = (as_of - inv.due).days
        bucket = "not_due" if late <= 0 else "0-30" if late <= 30 else "31-60" if late <= 60 else "61-90" if late <= 90 else "90+"
        aged[bucket] += inv.balance
    figures.update(currency=statement.currency, principal=_money(statement.principal), paid=_money(statement.paid),
                   claimed=_money(statement.total), aged={b: _money(v) for b, v in aged.items()})
    return figures


def _promises(case, as_of: dt.date) -> dict[str, int]:
    out = {"kept": 0, "broken": 0, "pending": 0}
    for event in case.event:
        if event.kind != "promise" or event.until is None:
            continue
        kept = any(event.date <= p.date <= event.until for p in case.payment)
        out["kept" if kept else "pending" if event.until >= as_of else "broken"] += 1
    return out


# ----------------------------------------------------------------------------------------------
# the portfolio


def run(root: Path | str, options: BatchOptions = BatchOptions(), *, jobs: int | None = None,
        scheduler: str | None = None, on_done: Callable[[dict[str, Any]], None] | None = None,
        cases: list[Path] | None = None) -> list[dict[str, Any]]:
    """Run every case under ``root``; the rows in the order of the case folders."""
    folders = [str(p) for p in (cases if cases is not None else find_cases(Path(root)))]
    done = on_done or (lambda row: None)
    if scheduler:
        rows = _on_dask(folders, options, scheduler, done)
    else:
        rows = _on_processes(folders, options, jobs or workers.cores(), done)  # its cgroup's quota too
    order = {f: i for i, f in enumerate(folders)}
    return sorted(rows, key=lambda r: order[r["folder"]])


def _context():
    # forkserver: each worker starts from a small clean process (no inherited state, no threads of
    # the parent), and can be replaced after some cases so that a long batch does not grow in memory.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


# A worker runs at most this many cases before it is replaced (a long batch must not grow in memory:
# docxtpl keeps about 1.5 MiB per letter, PERF.md). Done by waves of pools rather than with
# ProcessPoolExecutor(max_tasks_per_child=…), which can hang on Python 3.11 when a worker retires.
CASES_PER_WORKER = 20


def _on_processes(folders: list[str], options: BatchOptions, jobs: int, done) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if jobs <= 1 or len(folders) <= 1:
        for folder in folders:
            row = run_case(folder, options)
            rows.append(row)
            done(row)
        return rows
    pending = list(folders)
    while pending:
        wave, pending = pending[:jobs * CASES_PER_WORKER], pending[jobs * CASES_PER_WORKER:]
        suspects: list[str] = []  # cases that were running when a worker died
        with ProcessPoolExecutor(max_workers=min(jobs, len(wave)), mp_context=_context()) as pool:
            futures = {pool.submit(run_case, f, options): f for f in wave}
            try:
                while futures:
                    finished, _ = wait(futures, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        futures.pop(fut)
                        row = fut.result()
                        rows.append(row)
                        done(row)
            except BrokenProcessPool:
                # a worker died (a crash in a native library): the cases not finished are run again,
                # one at a time, so that the one that kills its process is found and reported
                suspects = list(futures.values())
        for folder in suspects:
            row = _alone(folder, options)
            rows.append(row)
            done(row)
    return rows


def _alone(folder: str, options: BatchOptions) -> dict[str, Any]:
    with ProcessPoolExecutor(max_workers=1, mp_context=_context()) as pool:
        try:
            return pool.submit(run_case, folder, options).result()
        except BrokenProcessPool:
            return _crashed(folder, "the process converting this case died (a crash in a native library): please report it")


def _on_dask(folders: list[str], options: BatchOptions, address: str, done) -> list[dict[str, Any]]:
    try:
        from distributed import Client, as_completed
    except ImportError as err:
        raise ToolMissingError(
            "--scheduler needs Dask's distributed package, which is not installed",
            hint="pip install 'recouvre-docs[dask]' (or: pip install distributed), on this machine and on the workers.",
        ) from err
    rows: list[dict[str, Any]] = []
    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError) as err:
        raise ToolMissingError(f"cannot reach the Dask scheduler at {address}: {err}",
                               hint="Check the address (tcp://host:8786) and that the scheduler runs.") from err
    with client:
        futures = client.map(run_case, folders, options=options, pure=False, key=[f"case-{i}" for i in range(len(folders))])
        by_key = {fut.key: folder for fut, folder in zip(futures, folders)}
        for fut in as_completed(futures):
            folder = by_key[fut.key]
            try:
                row = fut.result()
            except Exception as err:  # noqa: BLE001 - a worker lost (KilledWorker…): that case only
                row = _crashed(folder, f"the Dask worker failed: {type(err).__name__}: {err}")
            rows.append(row)
            done(row)
    return rows


def summary_row(row: dict[str, Any]) -> dict[str, Any]:
    findings = row.get("findings") or []
    figures = row.get("figures") or {}
    return {
        "case": row["case"],
        "folder": row["folder"],
        "status": row["status"],
        "exit_code": row["exit_code"],
        "procedure": row.get("procedure") or "",
        "errors": sum(1 for f in findings if f["severity"] == "error"),
        "warnings": sum(1 for f in findings if f["severity"] == "warning"),
        "info": sum(1 for f in findings if f["severity"] == "info"),
        "codes": ";".join(sorted({f["code"] for f in findings if f["severity"] in ("error", "warning")})),
        "currency": figures.get("currency") or "",
        "principal": figures.get("principal") or "",
        "paid": figures.get("paid") or "",
        "total_claimed": figures.get("claimed") or "",
        "pages": row.get("pages") if row.get("pages") is not None else "",
        "seconds": row.get("seconds") if row.get("seconds") is not None else "",
        "message": row.get("message") or "",
    }


def portfolio(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of the whole portfolio (per currency where they are amounts)."""
    status: dict[str, int] = {}
    by_currency: dict[str, dict[str, Any]] = {}
    promises = {"kept": 0, "broken": 0, "pending": 0}
    blocked: dict[str, list[str]] = {}
    prescription: list[dict[str, str]] = []
    for row in rows:
        status[row["status"]] = status.get(row["status"], 0) + 1
        figures = row.get("figures") or {}
        for k, v in (figures.get("promises") or {}).items():
            promises[k] += v
        currency = figures.get("currency")
        if currency:
            cur = by_currency.setdefault(currency, {"cases": 0, "principal": Decimal(0), "paid": Decimal(0),
                                                    "claimed": Decimal(0), "aged": {b: Decimal(0) for b in BUCKETS}})
            cur["cases"] += 1
            for key in ("principal", "paid", "claimed"):
                cur[key] += Decimal(figures[key])
            for b, v in figures["aged"].items():
                cur["aged"][b] += Decimal(v)
        for code in sorted({f["code"] for f in row.get("findings") or [] if f["severity"] == "error"}):
            blocked.setdefault(code, []).append(row["case"])
        for f in row.get("findings") or []:
            if f["code"] in ("prescription-near", "prescribed"):
                prescription.append({"case": row["case"], "code": f["code"], "subject": f["subject"], "message": f["message"]})
    return {
        "cases": len(rows),
        "status": dict(sorted(status.items())),
        "currencies": {c: {"cases": v["cases"], "principal": _money(v["principal"]), "paid": _money(v["paid"]),
                           "claimed": _money(v["claimed"]), "aged": {b: _money(x) for b, x in v["aged"].items()}}
                       for c, v in sorted(by_currency.items())},
        "promises": promises,
        "blocked_by": {code: {"cases": len(names), "list": names} for code, names in sorted(blocked.items())},
        "prescription": prescription,
    }


def write(rows: list[dict[str, Any]], out: Path, *, lang: str = "en", generated: dt.date | None = None) -> dict[str, Path]:
    """summary.csv, summary.json, portfolio.json and portfolio.html into ``out``, each atomically."""
    from .render.environment import render

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create {out}: {err.strerror or err}", path=out,
                          hint="Choose another folder with -o/--output.") from err
    summary = [summary_row(r) for r in rows]
    figures = portfolio(rows)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=SUMMARY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(summary)
    day = generated or dt.date.today()
    files = {
        "summary.csv": buf.getvalue(),
        "summary.json": json.dumps({"generated": day.isoformat(), "cases": summary}, ensure_ascii=False, indent=2) + "\n",
        "portfolio.json": json.dumps({"generated": day.isoformat(), **figures, "rows": rows}, ensure_ascii=False,
                                     indent=2) + "\n",
        "portfolio.html": render("portfolio.html", {"p": figures, "rows": summary, "generated": day,
                                                    "buckets": BUCKETS}, lang),
    }
    written = {}
    for name, text in files.items():
        target = out / name
        try:
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=out, prefix=f".{name}.", delete=False) as tmp:
                tmp.write(text)
            os.replace(tmp.name, target)
        except OSError as err:
            raise OutputError(f"cannot write {target}: {err.strerror or err}", path=target,
                              hint="Check free space and permissions of the output folder.") from err
        written[name] = target
    return written
