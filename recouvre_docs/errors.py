"""Exit codes and the one exception hierarchy of recouvre-docs.

Every error a user can cause or fix is a :class:`RecouvreError` carrying its exit code, the file it is
about and a hint saying how to fix it. Library errors are translated into these where the library is
called. This module imports nothing from Click, so the API can be used from scripts.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """The exit codes of every command (stable: scripts rely on them; see README)."""

    OK = 0
    CHECK_FAILED = 1  # the check found blocking problems
    USAGE = 2  # Click's own usage errors
    CASE_INVALID = 3  # case.toml (or the case folder) is invalid
    EVIDENCE_UNREADABLE = 4  # an evidence file cannot be read or converted
    TOOL_MISSING = 5  # a required external tool is missing
    OUTPUT_ERROR = 6  # output cannot be written
    INTERNAL = 9  # a bug
    INTERRUPTED = 130


class RecouvreError(Exception):
    """Base of every error recouvre-docs reports to the user."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, *, path: Path | str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.hint = hint


class UsageError(RecouvreError):
    """Options that cannot go together or a value out of range, when the API is called directly
    (the CLI refuses them first, as Click does: exit 2)."""

    exit_code = ExitCode.USAGE


class CaseFileError(RecouvreError):
    """case.toml is missing, unparsable, or fails validation; a path leaves the case folder."""

    exit_code = ExitCode.CASE_INVALID

    def __init__(self, message: str, *, path=None, hint=None, problems: list[str] | None = None):
        super().__init__(message, path=path, hint=hint)
        self.problems = problems or []


class EvidenceError(RecouvreError):
    """An evidence file cannot be read or converted to PDF."""

    exit_code = ExitCode.EVIDENCE_UNREADABLE


class EncryptedEvidenceError(EvidenceError):
    """An evidence PDF is encrypted and no (right) password was given."""


class ToolMissingError(RecouvreError):
    """A required external program or native library is missing."""

    exit_code = ExitCode.TOOL_MISSING


class OutputError(RecouvreError):
    """The output folder or a file in it cannot be written."""

    exit_code = ExitCode.OUTPUT_ERROR


class TemplateError(RecouvreError):
    """A template is missing or fails to render (a bug in a packaged template, or a bad override)."""

    exit_code = ExitCode.CASE_INVALID


class CheckFailedError(RecouvreError):
    """The check found blocking problems: build stops unless --force (exit 1)."""

    exit_code = ExitCode.CHECK_FAILED

    def __init__(self, message: str, *, report: object, text: str, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.report = report
        self.text = text


def error_data(err: RecouvreError) -> tuple:
    """A RecouvreError as plain data, to cross from a process to another (keyword-only constructors do
    not unpickle): rebuilt by rebuild(). The worker processes, the render process and the stamping
    process send their errors so."""
    return type(err).__name__, err.message, str(err.path) if err.path else None, err.hint


def rebuild(data: tuple, *, fallback: type[RecouvreError] = EvidenceError,
            demote: tuple[str, ...] = ("CaseFileError", "CheckFailedError")) -> RecouvreError:
    """The error error_data() described; as ``fallback`` when its class is unknown, takes other
    arguments, or is one of ``demote`` (a conversion's case-file error is an unreadable file here)."""
    name, message, path, hint = data
    cls = globals().get(name)
    if not (isinstance(cls, type) and issubclass(cls, RecouvreError)) or name in demote:
        cls = fallback
    try:
        return cls(message, path=path, hint=hint)
    except TypeError:
        return fallback(message, path=path, hint=hint)
