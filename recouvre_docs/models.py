"""The case and its parts, as read from case.toml, and the plain data the stages pass along.

Everything read from disk is validated here (pydantic, ``extra="forbid"``), so that a misspelt key is an
error naming the key, never a silently missing value. Amounts are ``Decimal`` (case.toml is read with
``parse_float=Decimal``), dates are ``datetime.date``: a date written as a string is refused.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .resources import data_path

# One vocabulary of evidence kinds, in the code and the rules (DESIGN.md §3). The order is the
# conventional order of a bundle and breaks ties when exhibits are sorted.
EVIDENCE_KINDS: tuple[str, ...] = (
    "contract",
    "terms",
    "quote",
    "purchase-order",
    "delivery-note",
    "acceptance-report",
    "invoice",
    "statement",
    "correspondence",
    "reminder",
    "formal-notice",
    "proof-of-receipt",
    "acknowledgment",
    "payment-promise",
    "dispute",
    "company-record",
    "power-of-attorney",
    "other",
)
EVENT_KINDS = ("reminder", "call", "formal-notice", "acknowledgment", "promise", "dispute")
CHANNELS = ("email", "letter", "registered-letter", "phone", "bailiff")
# One procedure per file of recouvre_docs/data/procedures/ (adding a procedure is adding a file).
PROCEDURES = tuple(sorted(p.stem for p in data_path("procedures").glob("*.toml")))
LANGUAGES = ("fr", "en", "de")
# The kind of evidence an event's file is, when no [[evidence]] entry says otherwise.
EVENT_EVIDENCE_KIND = {
    "reminder": "reminder",
    "call": "correspondence",
    "formal-notice": "formal-notice",
    "acknowledgment": "acknowledgment",
    "promise": "payment-promise",
    "dispute": "dispute",
}


def _strict_date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        raise PydanticCustomError(
            "date_with_time",
            "expected a date such as 2026-03-02, found a date and time ({value}); drop the time",
            {"value": value.isoformat()},
        )
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        raise PydanticCustomError(
            "date_as_string",
            'expected a TOML date such as 2026-03-02 (without quotes), found the string "{value}"',
            {"value": value},
        )
    raise PydanticCustomError(
        "date_type", "expected a TOML date such as 2026-03-02, found {value}", {"value": repr(value)}
    )


def _amount(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        if isinstance(value, str):
            raise PydanticCustomError(
                "amount_as_string",
                'expected a number such as 18450.00 (without quotes), found the string "{value}"',
                {"value": value},
            )
        raise PydanticCustomError(
            "amount_type", "expected a number such as 18450.00, found {value}", {"value": repr(value)}
        )
    amount = Decimal(value)
    if not amount.is_finite():
        raise PydanticCustomError("amount_type", "expected a finite amount", {})
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise PydanticCustomError(
            "amount_precision", "expected at most 2 decimals, found {value}", {"value": str(value)}
        )
    return amount


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise PydanticCustomError("amount_positive", "expected an amount above 0, found {value}", {"value": str(value)})
    return value


def _one_of(choices: tuple[str, ...], what: str):
    def check(value: Any) -> Any:
        if not isinstance(value, str) or value not in choices:
            raise PydanticCustomError(
                "not_in_vocabulary",
                "unknown {what} {value}; expected one of: {choices}",
                {"what": what, "value": repr(value), "choices": ", ".join(choices)},
            )
        return value

    return check


Date = Annotated[dt.date, BeforeValidator(_strict_date)]
Amount = Annotated[Decimal, BeforeValidator(_amount), AfterValidator(_positive)]
EvidenceKind = Annotated[str, BeforeValidator(_one_of(EVIDENCE_KINDS, "evidence kind"))]
EventKind = Annotated[str, BeforeValidator(_one_of(EVENT_KINDS, "event kind"))]
Channel = Annotated[str, BeforeValidator(_one_of(CHANNELS, "channel"))]
Procedure = Annotated[str, BeforeValidator(_one_of(PROCEDURES, "procedure"))]
Language = Annotated[str, BeforeValidator(_one_of(LANGUAGES, "language"))]
NonEmpty = Annotated[str, Field(min_length=1)]


def _country(value: Any) -> Any:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{2}", value):
        raise PydanticCustomError(
            "country", "expected an ISO 3166-1 alpha-2 country code such as FR or DE, found {value}", {"value": repr(value)}
        )
    return value


def _currency(value: Any) -> Any:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
        raise PydanticCustomError(
            "currency", "expected an ISO 4217 currency code such as EUR, found {value}", {"value": repr(value)}
        )
    return value


Country = Annotated[str, BeforeValidator(_country)]
Currency = Annotated[str, BeforeValidator(_currency)]
# A path as written in case.toml; casefolder.py resolves it and refuses one that leaves the folder.
RelPath = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class CaseInfo(_Strict):
    reference: NonEmpty
    procedure: Procedure | None = None
    language: Language
    as_of: Date | None = None
    court: str | None = None

    @field_validator("reference")
    @classmethod
    def _reference_is_a_file_name(cls, value: str) -> str:
        # The reference names the output file (<reference>.pdf).
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._ -]{0,79}", value) or value.endswith("."):
            raise PydanticCustomError(
                "reference",
                "expected letters, digits, '-', '_', '.' or spaces (it names the output file), found {value}",
                {"value": repr(value)},
            )
        return value


class Party(_Strict):
    name: NonEmpty
    legal_form: str | None = None
    registration: str | None = None
    vat: str | None = None
    address: list[str] = Field(default_factory=list)
    country: Country | None = None
    email: str | None = None
    phone: str | None = None
    iban: str | None = None
    bic: str | None = None
    signatory: str | None = None
    # a natural person: the surname and first name(s) where a form asks for them apart (Form A, the
    # Mahnantrag); without them the documents split ``name`` at its last word (the surname)
    surname: str | None = None
    first_name: str | None = None


class Creditor(Party):
    # a natural person not acting for professional needs: the French taux légal "particuliers" applies
    private: bool = False


class Debtor(Party):
    language: Language | None = None
    # a natural person not acting for its trade: consumer interest rules, no fixed compensation
    consumer: bool = False
    # a natural person trading in its own name (sole trader, entrepreneur individuel, Einzelkaufmann):
    # a business debtor for interest and fixed compensation, but an individual for the documents (the
    # English Pre-Action Protocol for Debt Claims, a person's name and domicile in a French request)
    sole_trader: bool = False

    @model_validator(mode="after")
    def _one_kind_of_person(self) -> "Debtor":
        if self.consumer and self.sole_trader:
            raise ValueError(
                "consumer and sole_trader are both true: a sole trader acts for its business (consumer = false, "
                "sole_trader = true); a private individual is consumer = true, sole_trader = false"
            )
        return self


class Representative(_Strict):
    name: NonEmpty
    firm: str | None = None
    address: list[str] = Field(default_factory=list)
    bar: str | None = None
    email: str | None = None
    phone: str | None = None
    reference: str | None = None


class Invoice(_Strict):
    number: NonEmpty
    issued: Date
    due: Date
    amount: Amount
    currency: Currency = "EUR"
    file: RelPath | None = None


class Payment(_Strict):
    date: Date
    amount: Amount
    currency: Currency | None = None
    invoice: str | None = None
    reference: str | None = None


class Event(_Strict):
    date: Date
    kind: EventKind
    channel: Channel | None = None
    file: RelPath | None = None
    received: Date | None = None
    until: Date | None = None  # a promise: the date by which the debtor promised to pay
    note: str | None = None


class EvidenceEntry(_Strict):
    file: RelPath
    kind: EvidenceKind | None = None
    title: str | None = None
    date: Date | None = None
    language: Language | None = None
    number: int | None = Field(default=None, ge=1)  # a fixed exhibit number (never renumber)
    password_env: str | None = None


class Insolvency(_Strict):
    kind: NonEmpty
    judgment: Date | None = None
    published: Date | None = None
    administrator: str | None = None
    court: str | None = None


class Translation(_Strict):
    """The sworn translation the translator's letter (translation-request) orders."""

    translator: str | None = None  # name (and title) of the translator the letter is addressed to
    address: list[str] = Field(default_factory=list)
    language: Language | None = None  # the target language; default: the debtor's (the court's abroad)
    deadline: Date | None = None  # the date the translations are wanted by
    days: int | None = Field(default=None, ge=1, le=365)  # or: so many days after the letter (default 15)

    @model_validator(mode="after")
    def _one_deadline(self) -> "Translation":
        if self.deadline is not None and self.days is not None:
            raise ValueError("give either deadline (a date) or days (a number of days after the letter), not both")
        if self.address and not self.translator:
            raise ValueError("address is given without translator: add translator = \"name of the translator\"")
        return self


class InterestTerms(_Strict):
    rate: Annotated[Decimal, BeforeValidator(_amount)] | None = None
    from_: Literal["due", "formal-notice"] = Field(default="due", alias="from")
    day_count: Literal["actual/365", "actual/actual"] = "actual/365"

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)


class Case(_Strict):
    schema_: Literal[1] = Field(alias="schema")
    case: CaseInfo
    creditor: Creditor
    representative: Representative | None = None
    debtor: Debtor
    invoice: list[Invoice] = Field(default_factory=list)
    payment: list[Payment] = Field(default_factory=list)
    event: list[Event] = Field(default_factory=list)
    evidence: list[EvidenceEntry] = Field(default_factory=list)
    insolvency: Insolvency | None = None
    interest: InterestTerms | None = None
    translation: Translation | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)

    @property
    def language(self) -> str:
        return self.case.language


# ----------------------------------------------------------------------------------------------
# Plain data passed between the stages (not read from case.toml, so plain dataclass-like models).


class Piece(BaseModel):
    """One evidence file found in the case folder, classified."""

    model_config = ConfigDict(frozen=True)

    path: Path  # absolute, resolved, inside the case folder
    rel: str  # relative to the case folder, with forward slashes (what the user sees)
    kind: str
    kind_source: str  # entry | invoice | event | folder | filename | content | default
    title: str
    date: dt.date | None
    language: str
    number: int | None = None  # an explicit exhibit number from [[evidence]]
    password_env: str | None = None
    sha256: str
    size: int


class Part(BaseModel):
    """A converted piece (or an attachment of one): a PDF in the cache and what it says."""

    model_config = ConfigDict(frozen=True)

    pdf: Path
    pages: int
    title: str
    source: str  # what the user knows it by: the relative path, or "mail.eml › attachment.pdf"
    sha256: str  # of the original bytes
    size: int
    note: str | None = None  # e.g. "repaired by qpdf"
    ocr_pages: list[int] = Field(default_factory=list)  # pages (1-based, in this part) whose text OCR recognised
    key: str = ""  # an attachment's place under its exhibit, by path: "2" (the second), "2.1" (the first of that one)

    @property
    def level(self) -> int:
        """0 for an exhibit's own PDF, 1 for its attachments, 2 for an attachment's attachments…"""
        return self.key.count(".") + 1 if self.key else 0


class Exhibit(BaseModel):
    """A numbered exhibit: a piece, its converted PDF, and nested attachments."""

    model_config = ConfigDict(frozen=True)

    number: int
    piece: Piece
    main: Part
    children: list[Part] = Field(default_factory=list)  # every attachment, depth first (Part.key: 1, 2, 2.1, 3)
    facts: dict[str, Any] = Field(default_factory=dict)

    @property
    def pages(self) -> int:
        return self.main.pages + sum(c.pages for c in self.children)
