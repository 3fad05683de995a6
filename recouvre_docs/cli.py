"""The command line: parse, call the API, print, map errors to exit codes. Click lives only here.

stdout carries data only; messages, warnings and progress go to stderr.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sys
import traceback
from pathlib import Path

import click

from . import __version__, api, check, volumes
from .errors import CaseFileError, CheckFailedError, ExitCode, RecouvreError
from .models import LANGUAGES, PROCEDURES

log = logging.getLogger("recouvre_docs")


class ClickProgress:
    """A progress bar on stderr when stderr is a terminal; nothing otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None

    def stage(self, name: str, total: int) -> None:
        self.done()
        if self.enabled:
            self.bar = click.progressbar(length=total, label=name.ljust(26), file=sys.stderr, show_pos=True)
            self.bar.__enter__()

    def advance(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def done(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else logging.DEBUG if verbose else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s" if not verbose else "%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("recouvre_docs")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    for name in ("pyhanko", "pyhanko_certvalidator"):  # their tracebacks only with -v (sign.py keeps them quiet)
        other = logging.getLogger(name)
        other.handlers[:] = [handler] if verbose else []
        other.setLevel(logging.DEBUG if verbose else logging.NOTSET)
        other.propagate = not verbose


def _fail(err: RecouvreError) -> None:
    message = f"Error: {err.message}"
    if err.hint:
        message += f"\n\n{err.hint}"
    click.echo(message, err=True)
    sys.exit(int(err.exit_code))


def _run(ctx: click.Context, func):
    verbose = ctx.obj.get("verbose", 0) if ctx.obj else 0
    try:
        return func()
    except RecouvreError as err:
        if verbose:
            traceback.print_exc(file=sys.stderr)
        _fail(err)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(int(ExitCode.INTERRUPTED))
    except Exception:  # noqa: BLE001 - a bug: say so, and show the traceback with -v
        if verbose:
            traceback.print_exc(file=sys.stderr)
        else:
            exc = sys.exc_info()[1]
            click.echo(f"Error: internal error ({type(exc).__name__}: {exc})", err=True)
        click.echo(
            "\nThis is a bug in recouvre-docs. Please report it with the command you ran and the output of "
            "the same command with -v (remove any confidential data first).",
            err=True,
        )
        sys.exit(int(ExitCode.INTERNAL))


def _as_of(_ctx, _param, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def _verbosity_options(command):
    """-v/-q after the command name too (``build CASE -q``), as well as before it."""

    def set_verbose(ctx: click.Context, _param, value: int) -> int:
        if value:
            ctx.ensure_object(dict)
            ctx.obj["verbose"] = max(ctx.obj.get("verbose", 0), value)
            _setup_logging(ctx.obj["verbose"], ctx.obj.get("quiet", False))
        return value

    def set_quiet(ctx: click.Context, _param, value: bool) -> bool:
        if value:
            ctx.ensure_object(dict)
            ctx.obj["quiet"] = True
            _setup_logging(ctx.obj.get("verbose", 0), True)
        return value

    command = click.option("-q", "--quiet", "quiet_", is_flag=True, expose_value=False, callback=set_quiet,
                           help="Only errors.")(command)
    return click.option("-v", "--verbose", "verbose_", count=True, expose_value=False, callback=set_verbose,
                        help="Say more (debug messages, tracebacks).")(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="recouvre-docs")
@click.option("-v", "--verbose", count=True, help="Say more (debug messages, tracebacks).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Turn an unpaid-invoice case folder into one filing-ready, indexed PDF.

    Exit codes: 0 done, 1 blocking findings, 2 usage error, 3 invalid case.toml or case folder,
    4 unreadable evidence, 5 missing external tool, 6 output not writable, 9 internal error,
    130 interrupted.
    """
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    ctx.obj["quiet"] = quiet
    _setup_logging(verbose, quiet)


@main.command()
@click.argument("case_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--procedure", type=click.Choice(PROCEDURES), help="Procedure (default: [case] procedure in case.toml).")
@click.option("--lang", type=click.Choice(LANGUAGES), help="Language of the case file (default: [case] language).")
@click.option("--as-of", "as_of", callback=_as_of, metavar="YYYY-MM-DD", help="Date of the case file (default: [case] as_of, else today).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Output folder (default: CASE_DIR/out).")
@click.option("--force", is_flag=True, help="Build despite blocking findings of the check (listed on the cover); unreadable evidence is left out.")
@click.option("--ocr", is_flag=True, help="Recognise the text of scanned pages (OCRmyPDF with Tesseract, in the case's languages).")
@click.option("--sign", "sign_p12", type=click.Path(path_type=Path, dir_okay=False, exists=True), metavar="CERT.p12",
              help="Sign the bundle (PAdES, pyHanko); the certificate's password in RECOUVRE_SIGN_PASSWORD.")
@click.option("--profile", type=click.Choice(volumes.profile_ids()),
              help="Filing channel (limits in data/profiles.toml): volumes or one file per exhibit, as the channel takes them.")
@click.option("--max-mb", type=click.FloatRange(min=0, min_open=True), metavar="N",
              help="Split into volumes of at most N megabytes (10^6 bytes); not with --profile.")
@_verbosity_options
@click.pass_context
def build(ctx: click.Context, case_dir: Path, procedure, lang, as_of, output, force, ocr, sign_p12, profile, max_mb) -> None:
    """Check the case, then build the indexed, stamped case file CASE_DIR/out/<reference>.pdf.

    Without a procedure (--procedure or [case] procedure) the case is built without a check.
    """
    quiet = ctx.obj.get("quiet", False)
    progress = ClickProgress(enabled=sys.stderr.isatty() and not quiet)
    options = api.BuildOptions(procedure=procedure, lang=lang, as_of=as_of, output=output, force=force, ocr=ocr, sign=sign_p12,
                               profile=profile, max_bytes=int(max_mb * 1_000_000) if max_mb else None)

    def run():
        try:
            return api.build(case_dir, options, progress)
        except CheckFailedError as err:
            progress.done()
            click.echo(err.text, err=True)
            raise

    result = _run(ctx, run)
    if quiet:
        return
    click.echo(
        f"Wrote {result.bundle} ({len(result.exhibits)} exhibits, {result.pages} pages) and {result.manifest.name}"
        + (f", {result.report.name}" if result.report else ""),
        err=True,
    )
    if result.volumes:
        click.echo(f"Split into {len(result.volumes)} volumes: {', '.join(v.name for v in result.volumes)}", err=True)
    if result.files:
        click.echo(f"Wrote {len(result.files)} files into {result.files[0].parent}: the bordereau and one PDF per exhibit",
                   err=True)
    for line in result.channel:
        click.echo(line, err=True)
    if result.check is not None and result.check.findings:
        plural = {"error": "errors", "warning": "warnings", "info": "info"}
        counts = ", ".join(f"{n} {s if n == 1 else plural[s]}"
                           for s in ("error", "warning", "info") if (n := result.check.count(s)))
        click.echo(f"Check: {counts} (in {result.report.name}; `recouvre-docs check` prints them)", err=True)
    elif result.check is None:
        click.echo("Note: no procedure chosen, so the case was not checked (--procedure or [case] procedure).", err=True)
    if result.check is not None:
        _note_unavailable(result.check.procedure, result.check.language, case_dir)
    _note_documents(result.to_complete, result.notes)


def _note_documents(to_complete: list[str], notes: list[str]) -> None:
    """What the documents left to complete (a value the law requires and case.toml lacks) and their warnings."""
    if to_complete:
        click.echo("To complete before signing (printed \"to be completed\" in the documents; fill in case.toml and "
                   "generate again, or complete the DOCX):\n  " + "\n  ".join(to_complete), err=True)
    for note in notes:
        click.echo(f"Warning: {note}", err=True)


@main.command("check")
@click.argument("case_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--procedure", type=click.Choice(PROCEDURES), help="Procedure (default: [case] procedure in case.toml).")
@click.option("--lang", type=click.Choice(LANGUAGES), help="Language of the report (default: [case] language).")
@click.option("--as-of", "as_of", callback=_as_of, metavar="YYYY-MM-DD", help="Date of the check (default: [case] as_of, else today).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for a person, json for a script (DESIGN.md §2).")
@_verbosity_options
@click.pass_context
def check_command(ctx: click.Context, case_dir: Path, procedure, lang, as_of, fmt) -> None:
    """Pre-flight: what is missing or wrong in CASE_DIR for the procedure. Exit 1 on a blocking finding."""
    quiet = ctx.obj.get("quiet", False)
    progress = ClickProgress(enabled=sys.stderr.isatty() and not quiet and fmt == "text")
    report = _run(ctx, lambda: check.run(case_dir, procedure=procedure, lang=lang, as_of=as_of, progress=progress))
    if fmt == "json":
        click.echo(report.dumps(), nl=False)
    else:
        click.echo(report.to_text(check.procedures.load(report.procedure).title[report.language]), nl=False)
    sys.exit(int(ExitCode.OK if report.ok else ExitCode.CHECK_FAILED))


@main.command("procedures")
@click.argument("procedure_id", required=False, type=click.Choice(PROCEDURES), metavar="[ID]")
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True, help="Language of the listing.")
@_verbosity_options
@click.pass_context
def procedures_command(ctx: click.Context, procedure_id: str | None, lang: str) -> None:
    """List the procedures, or print one procedure's requirements."""
    from .check import describe

    click.echo(describe.listing(lang) if procedure_id is None else describe.requirements(procedure_id, lang), nl=False)


@main.command("claim")
@click.argument("case_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--lang", type=click.Choice(LANGUAGES), help="Language of the statement (default: [case] language).")
@click.option("--as-of", "as_of", callback=_as_of, metavar="YYYY-MM-DD", help="Date of the statement (default: [case] as_of, else today).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for a person, json for a script (amounts as decimal strings).")
@_verbosity_options
@click.pass_context
def claim_command(ctx: click.Context, case_dir: Path, lang, as_of, fmt) -> None:
    """Statement of account: principal, interest by period and rate, fixed compensation, payments."""
    import json

    from . import casefolder, claim
    from .claim import render

    def run():
        folder = casefolder.load_case(case_dir)
        day = as_of or folder.case.case.as_of or dt.date.today()
        return folder, claim.compute(folder.case, day, folder.root)

    folder, statement = _run(ctx, run)
    if fmt == "json":
        click.echo(json.dumps(statement.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(render.to_text(statement, folder.case, lang or folder.case.language), nl=False)


def _note_unavailable(procedure: str | None, lang: str, case_dir: Path, only: str | None = None) -> None:
    from .documents import generate

    if not procedure:
        return
    missing = [n for n in generate.unavailable(procedure, lang, Path(case_dir)) if only in (None, n)]
    if missing:
        click.echo(f"Note: no {lang} wording for {', '.join(missing)} (written in another language with --lang, "
                   f"or add templates/{lang}/documents/<name>.toml to the case folder).", err=True)


@main.command("generate")
@click.argument("case_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--procedure", type=click.Choice(PROCEDURES), help="Procedure (default: [case] procedure in case.toml).")
@click.option("--lang", type=click.Choice(LANGUAGES), help="Language of the documents (default: [case] language).")
@click.option("--as-of", "as_of", callback=_as_of, metavar="YYYY-MM-DD", help="Date of the documents (default: [case] as_of, else today).")
@click.option("--only", metavar="NAME", help="One document (e.g. formal-notice); `recouvre-docs procedures ID` lists them.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Output folder (default: CASE_DIR/out).")
@_verbosity_options
@click.pass_context
def generate_command(ctx: click.Context, case_dir: Path, procedure, lang, as_of, only, output) -> None:
    """Write the procedure's documents as PDF and DOCX into CASE_DIR/out/documents/."""
    from . import casefolder
    from .check import default_procedure
    from .documents import generate

    folder = _run(ctx, lambda: casefolder.load_case(case_dir))
    if only is not None:  # a document that is not written in this language: a usage error, before any work
        proc_id = _run(ctx, lambda: default_procedure(folder, procedure))
        code = lang or folder.case.language
        if proc_id and only in generate.documents_of(proc_id) and only in generate.unavailable(proc_id, code, folder.root):
            langs = generate.languages_of(only, folder.root)
            raise click.UsageError(f"--only {only}: this document is not written in {code}; it exists in "
                                   f"{', '.join(langs) or 'no language'} (--lang {langs[0] if langs else code}).")
    docs = _run(ctx, lambda: generate.run(case_dir, procedure=procedure, lang=lang, as_of=as_of, output=output, only=only))
    for d in docs:
        click.echo(f"{d.pdf}\n{d.docx}")
    if not ctx.obj.get("quiet"):
        _note_unavailable(procedure or folder.case.case.procedure, lang or folder.case.language, case_dir, only)
        _note_documents(generate.to_complete(docs), [n for d in docs for n in d.notes])
    if not ctx.obj.get("quiet") and not docs:
        click.echo("No document of this procedure exists in this language yet.", err=True)


@main.command("init")
@click.argument("case_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--from-invoices", "from_invoices", type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="A folder of e-invoices (Factur-X/ZUGFeRD PDF, XRechnung/UBL/CII XML): copied into evidence/ and drafted as [[invoice]].")
@click.option("--lang", type=click.Choice(LANGUAGES), default="fr", show_default=True, help="Language of the case.")
@click.option("--reference", help="Case reference (default: the folder's name).")
@_verbosity_options
@click.pass_context
def init_command(ctx: click.Context, case_dir: Path, from_invoices, lang, reference) -> None:
    """Create CASE_DIR with evidence/ and a commented case.toml (drafted from e-invoices if given)."""
    from . import init

    toml = _run(ctx, lambda: init.run(case_dir, from_invoices=from_invoices, language=lang, reference=reference))
    if not ctx.obj.get("quiet"):
        click.echo(f"Wrote {toml}: complete every TO COMPLETE, check every TO CHECK, then run recouvre-docs check.", err=True)


@main.command("batch")
@click.argument("cases_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--check-only", is_flag=True, help="Check every case instead of building it.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Cases run at once on this machine (default: the cores this process may use, a CPU quota counted).")
@click.option("--scheduler", metavar="ADDRESS", help="Run on an existing Dask distributed cluster (tcp://host:8786) instead.")
@click.option("--procedure", type=click.Choice(PROCEDURES), help="Procedure for every case (default: each case's [case] procedure).")
@click.option("--as-of", "as_of", callback=_as_of, metavar="YYYY-MM-DD", help="Date for every case (default: each case's as_of, else today).")
@click.option("--force", is_flag=True, help="Build cases despite blocking findings (as build --force).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Folder of the summary and portfolio report (default: CASES_DIR/batch-report).")
@click.option("--report-lang", type=click.Choice(LANGUAGES), default="en", show_default=True, help="Language of portfolio.html.")
@click.pass_context
def batch_command(ctx: click.Context, cases_dir: Path, check_only, jobs, scheduler, procedure, as_of, force, output, report_lang) -> None:
    """Build (or check) every case folder under CASES_DIR, in parallel; write summary.csv/.json and a
    portfolio report (portfolio.html/.json). Exit 0 when every case is ready, 1 when any is not."""
    from . import batch

    if jobs and scheduler:
        raise click.UsageError("--jobs and --scheduler exclude each other: the cluster decides how many run at once")
    quiet = ctx.obj.get("quiet", False)
    out = output or cases_dir / "batch-report"
    options = batch.BatchOptions(check_only=check_only, procedure=procedure, as_of=as_of, force=force)

    def run():
        cases = batch.find_cases(cases_dir)
        if not cases:
            raise CaseFileError(f"no case folder (a folder with a case.toml) under {cases_dir}", path=cases_dir,
                                hint="Give the folder that holds the case folders; `recouvre-docs init` creates one.")
        bar = click.progressbar(length=len(cases), label="Cases".ljust(26), file=sys.stderr, show_pos=True) \
            if sys.stderr.isatty() and not quiet else None
        with bar if bar is not None else contextlib.nullcontext():
            rows = batch.run(cases_dir, options, jobs=jobs, scheduler=scheduler, cases=cases,
                             on_done=lambda row: bar.update(1) if bar is not None else None)
        return rows, batch.write(rows, out, lang=report_lang)

    rows, written = _run(ctx, run)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    if not quiet:
        for row in rows:
            if row["status"] not in ("ok", "blocked"):
                click.echo(f"{row['case']}: {row['status']}: {row['message']}", err=True)
        verb = "Checked" if check_only else "Built"
        click.echo(f"{verb} {len(rows)} cases: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
                   + f". Summary: {written['summary.csv']}; report: {written['portfolio.html']}", err=True)
    sys.exit(int(ExitCode.OK if counts.keys() <= {"ok"} else ExitCode.CHECK_FAILED))


@main.command("verify")
@click.argument("bundle_pdf", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.argument("case_dir", required=False, type=click.Path(path_type=Path, file_okay=False, exists=True))
@_verbosity_options
@click.pass_context
def verify_command(ctx: click.Context, bundle_pdf: Path, case_dir: Path | None) -> None:
    """Check a bundle against its manifest, and the case folder's originals if given. Exit 1 if anything changed."""
    from . import verify

    result = _run(ctx, lambda: verify.verify(bundle_pdf, case_dir))
    from . import sign as sign_mod

    for sig in [] if result.damaged else _run(ctx, lambda: sign_mod.signatures(bundle_pdf)):
        state = "intact, covers the whole file" if sig["intact"] and sig["whole_file"] else "BROKEN or partial"
        click.echo(f"Signed by {sig['signer']}: {state}"
                   + ("" if sig["trusted"] else " (certificate not checked against a trust list)"))
        if not (sig["intact"] and sig["whole_file"]):
            result.problems.append(f"the signature of {sig['signer']} does not hold")
        else:
            result.checked.append(f"the signature of {sig['signer']}")
    for problem in result.problems:
        click.echo(f"CHANGED  {problem}")
    if result.ok:
        click.echo(f"Intact: {'; '.join(result.checked)}.")
    elif result.checked:
        click.echo(f"Checked: {'; '.join(result.checked)}.")
    for item in result.not_checked:
        click.echo(f"Not checked: {item}.")
    sys.exit(int(ExitCode.OK if result.ok else ExitCode.CHECK_FAILED))


def entry() -> None:
    """The ``recouvre-docs`` command: main(), then an exit that skips the interpreter's teardown.

    A build holds pikepdf, WeasyPrint's imports and thousands of objects; freeing them one by one
    at exit took 0.09 s of a 1-second rebuild, for nothing the process still needs. The exit
    handlers (the render process closed, temporary folders removed, multiprocessing's finalizers)
    run as at a normal exit, and the output is flushed, then the process ends. Only when no other
    thread is left (a thread still running is waited for by a normal exit), and when no profiler or
    tracer runs (pyinstrument, cProfile and coverage write their results after the program's end)."""
    import atexit
    import os
    import threading

    try:
        main()
        code: int | str | None = 0
    except SystemExit as done:
        code = done.code
    if threading.active_count() > 1 or sys.gettrace() is not None or sys.getprofile() is not None:
        sys.exit(code)  # a thread to wait for, or a profiler or coverage tool that reports at the exit
    if not isinstance(code, int):  # as the interpreter does: None is 0, anything else is printed, 1
        if code is not None:
            print(code, file=sys.stderr)
        code = 0 if code is None else 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (recouvre-docs … | head)
            pass
    os._exit(code)
