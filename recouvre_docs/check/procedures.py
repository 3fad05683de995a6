"""Procedures as data: one TOML file per procedure in recouvre_docs/data/procedures/.

A procedure file names its title (fr/en/de), the countries where it applies, its legal sources, the
evidence it requires (groups of kinds, each all-of or any-of, with a severity and the article behind
it), the events it requires, the named checks it runs with their parameters, and the documents it
generates. Adding a procedure is adding a file (README, "Adding a procedure"); this module only
reads and validates them.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..models import EVENT_KINDS, EVIDENCE_KINDS, LANGUAGES
from ..resources import data_path

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[str, ...] = ("error", "warning", "info")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    ref: str
    url: str = ""
    note: str = ""


class EvidenceRule(_Strict):
    all_of: list[str] = Field(default_factory=list)
    any_of: list[str] = Field(default_factory=list)
    severity: Severity = "error"
    source: str
    basis: str = ""

    @model_validator(mode="after")
    def _kinds(self) -> "EvidenceRule":
        if bool(self.all_of) == bool(self.any_of):
            raise ValueError("an [[evidence]] group has either all_of or any_of")
        unknown = [k for k in self.all_of + self.any_of if k not in EVIDENCE_KINDS]
        if unknown:
            raise ValueError(f"unknown evidence kinds {unknown}")
        return self


class EventRule(_Strict):
    kind: str
    severity: Severity = "error"
    source: str
    basis: str = ""
    min_days: int | None = None  # notice-too-recent below this many days since receipt
    min_days_source: str = ""
    min_days_basis: str = ""

    @model_validator(mode="after")
    def _kind(self) -> "EventRule":
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}")
        return self


# The named checks a procedure may run; rules.py implements one function per name.
CHECK_NAMES = ("due", "payments", "prescription", "einvoice", "identifiers", "fields", "forum", "cross_border",
               "insolvency", "declaration", "translation", "hygiene", "mentions", "clauses", "timeline",
               "default_de", "currency", "threshold")


class Procedure(_Strict):
    id: str
    stage: Literal["amicable", "filing", "insolvency", "handover"]
    jurisdictions: list[str]
    court_language: str | None = None
    documents: list[str] = Field(default_factory=list)
    title: dict[str, str]
    short: dict[str, str] = Field(default_factory=dict)  # the name inside a sentence; the title if absent
    sources: list[Source]
    evidence: list[EvidenceRule] = Field(default_factory=list)
    event: list[EventRule] = Field(default_factory=list)
    checks: dict[str, dict[str, Any]] = Field(default_factory=dict)
    path: Path | None = None

    def name(self, lang: str) -> str:
        """The procedure inside a sentence ("requête en injonction de payer")."""
        return self.short.get(lang) or self.title[lang]

    @model_validator(mode="after")
    def _complete(self) -> "Procedure":
        missing = [lang for lang in LANGUAGES if not self.title.get(lang)]
        if missing:
            raise ValueError(f"title missing in {missing}")
        unknown = [name for name in self.checks if name not in CHECK_NAMES]
        if unknown:
            raise ValueError(f"unknown checks {unknown}; known: {', '.join(CHECK_NAMES)}")
        return self


def procedures_dir() -> Path:
    return data_path("procedures")


@lru_cache(maxsize=None)
def load(procedure_id: str) -> Procedure:
    path = procedures_dir() / f"{procedure_id}.toml"
    if not path.is_file():
        raise KeyError(procedure_id)
    data = tomllib.loads(path.read_text("utf-8"))
    try:
        proc = Procedure(**data, path=path)
    except ValidationError as err:  # a broken data file is a bug of the package, not of the case
        raise RuntimeError(f"{path}: invalid procedure file: {err}") from err
    if proc.id != path.stem:
        raise RuntimeError(f"{path}: id {proc.id!r} differs from the file name")
    return proc


def ids() -> list[str]:
    return sorted(p.stem for p in procedures_dir().glob("*.toml"))


def all_procedures() -> list[Procedure]:
    return [load(i) for i in ids()]
