"""The pre-flight check: the case against the rules of a procedure (DESIGN.md §2).

run() reads the case folder, classifies and opens every piece (the conversions are cached in
out/.cache and reused by build), and runs the procedure's requirements and named checks. Findings
are data (report.Finding); report.Report renders them as the JSON of DESIGN.md §2 or as text in the
case language.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
from pathlib import Path

from .. import casefolder
from ..errors import CaseFileError, EvidenceError
from ..evidence import Cache, ingest_all, text
from ..progress import NullProgress, Progress
from . import procedures, rules
from .report import Finding, Report

log = logging.getLogger(__name__)

__all__ = ["Finding", "Report", "run", "procedures"]


def default_procedure(folder: casefolder.CaseFolder, procedure: str | None) -> str:
    chosen = procedure or folder.case.case.procedure
    if chosen is None:
        raise CaseFileError(
            "no procedure chosen: case.toml has no [case] procedure and --procedure was not given",
            path=folder.root / casefolder.CASE_FILE,
            hint="Add procedure = \"fr-injonction-de-payer\" (for example) under [case], or pass --procedure; "
            "`recouvre-docs procedures` lists them.",
        )
    return chosen


def gather(folder: casefolder.CaseFolder, cache: Cache, lang: str, progress: Progress) -> list[rules.PieceInfo]:
    """Every piece, converted (cached) and classified; a piece that cannot be read is kept with its error.
    ``lang`` is the documents' language: a piece's language, hence the findings, never depends on the
    language the report is read in."""
    pieces = casefolder.discover(folder, cache.root / casefolder.HASHES)
    progress.stage("Reading evidence", len(pieces))
    # converted in worker processes, each file within the time limit (evidence/workers.py)
    outcomes = ingest_all(pieces, cache, lang=lang, case_root=folder.root, advance=progress.advance)
    infos = [piece_info(piece, result, lang) for piece, result in zip(pieces, outcomes)]
    return infos


# The kinds whose text the rules read: the clauses of contracts, terms, orders and quotes, the
# mentions of invoices.
def read_texts(infos: list[rules.PieceInfo]) -> None:
    """Read (and cache) the text of the pieces the rules will read, in worker processes: PDFium takes
    about 1.6 ms a page, and a case of 400 exhibits has a thousand pages of orders (PDFium is not
    thread-safe: processes, not threads). Already cached texts cost nothing."""
    from ..evidence import workers

    todo = [i for i in infos if i.error is None and i.pdf is not None and i.piece.kind in rules.TEXT_KINDS
            and i.text_cache is not None and not text.is_cached(i.text_cache)]
    if len(todo) < 8:  # a few pages: not worth the processes (they are read when needed)
        return
    jobs = [workers.Job(text.for_check, (i.pdf, i.text_cache), shown_as=i.piece.rel, path=i.piece.path,
                        action="reading its text") for i in todo]
    for info, outcome in zip(todo, workers.run(jobs)):
        if isinstance(outcome, str):
            info._raw = outcome.replace("\f", " ")
        else:  # over the time limit, or PDFium crashed on it: the rules read no text of it
            log.warning("%s (its text is not read by the check)", getattr(outcome, "message", outcome))
            info._raw = ""


def piece_info(piece, result, lang: str) -> rules.PieceInfo:
    """What the rules know of a piece: its conversion (refined kind, facts, PDF), or why it cannot be read."""
    if isinstance(result, EvidenceError):
        return rules.PieceInfo(piece=piece, error=_without_path(result.message, piece.rel), hint=result.hint)
    return rules.PieceInfo(piece=casefolder.refine(piece, result.facts, lang), facts=result.facts,
                           pdf=result.main.pdf, text_cache=text.beside(result.main.pdf))


def _without_path(message: str, rel: str) -> str:
    prefix = f"{rel}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def run(
    case_dir: Path | str,
    *,
    procedure: str | None = None,
    lang: str | None = None,
    as_of: dt.date | None = None,
    folder: casefolder.CaseFolder | None = None,
    cache: Cache | None = None,
    progress: Progress | None = None,
    documents_lang: str | None = None,
    infos: list[rules.PieceInfo] | None = None,
) -> Report:
    """``lang``: the language of the report; ``documents_lang``: the language the documents are written
    in (case.language by default; build --lang writes them in another). The findings depend on the
    second only: `check --lang de` reads the same findings in German. ``infos``: the pieces as a
    build already converted them (piece_info), so that they are not discovered and hashed again."""
    folder = folder or casefolder.load_case(case_dir)
    case = folder.case
    proc = procedures.load(default_procedure(folder, procedure))
    lang = lang or case.language
    documents_lang = documents_lang or case.language
    as_of = as_of or case.case.as_of or dt.date.today()
    progress = progress or NullProgress()
    temporary: Path | None = None
    if cache is None:
        out = folder.root / casefolder.OUTPUT_DIR
        try:
            (out / ".cache").mkdir(parents=True, exist_ok=True)
            cache = Cache(out / ".cache")
        except OSError:  # a read-only case folder: convert into a temporary cache, removed at the end
            temporary = Path(tempfile.mkdtemp(prefix="recouvre-check-"))
            cache = Cache(temporary)
    try:
        if infos is None:
            infos = gather(folder, cache, documents_lang, progress)
        read_texts(infos)
        ctx = rules.Context(case=case, procedure=proc, lang=lang, as_of=as_of, pieces=infos, doc_lang=documents_lang)
        rules.evidence_hygiene(ctx)
        rules.required_evidence(ctx)
        rules.required_events(ctx)
        for name, params in proc.checks.items():
            rules.CHECKS[name](ctx, params)
        statement = rules.claim_rates(ctx, folder.root)
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
    progress.done()
    return Report(case=case.case.reference, procedure=proc.id, as_of=as_of, language=lang, findings=ctx.findings,
                  statement=statement)
