"""Babel wrappers and the user-facing words of the case languages (fr, en, de).

Dates and amounts are formatted here only, in the case's language, never the machine's locale. The
words live in ``templates/<lang>/strings.toml`` (data), the kind names in ``data/kinds.toml``.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.numbers import format_currency as _babel_currency
from babel.numbers import format_decimal as _babel_decimal

from .resources import data_path, templates_root

LOCALES = {"fr": "fr_FR", "en": "en_GB", "de": "de_DE"}


@lru_cache(maxsize=None)
def strings(lang: str) -> dict[str, Any]:
    return tomllib.loads((templates_root() / lang / "strings.toml").read_text("utf-8"))


def text(lang: str, key: str, **values: Any) -> str:
    """The string ``key`` (dotted) in ``lang``, formatted with ``values``.

    A string that depends on a count is a table of CLDR plural categories (``one``, ``other``...):
    the category of ``values["n"]`` in ``lang`` picks the form ("1 pièce", "2 pièces").
    """
    node: Any = strings(lang)
    for part in key.split("."):
        node = node[part]
    if isinstance(node, dict):
        form = Locale.parse(LOCALES[lang]).plural_form(values["n"])
        node = node.get(form, node["other"])
    return str(node).format(**values)


@lru_cache(maxsize=1)
def _kinds() -> dict[str, Any]:
    return tomllib.loads(data_path("kinds.toml").read_text("utf-8"))


def kind_label(kind: str, lang: str) -> str:
    return _kinds()[kind][lang]


def format_date(value: dt.date | None, lang: str, fmt: str = "long") -> str:
    if value is None:
        return ""
    text = _babel_date(value, format=fmt, locale=LOCALES[lang])
    if lang == "fr" and fmt == "long" and value.day == 1 and text.startswith("1 "):
        text = "1er" + text[1:]  # French writes the first of the month as an ordinal: "1er juin 2026"
    return text


def format_money(amount: Decimal, currency: str, lang: str) -> str:
    return _babel_currency(amount, currency, locale=LOCALES[lang])


def format_number(value: Any, lang: str) -> str:
    return _babel_decimal(value, locale=LOCALES[lang])


def exhibit_label(lang: str, number: str | int) -> str:
    """'Pièce n° 3', 'Exhibit 3', 'Anlage K 3' (LEGAL.md Part 1, exhibit labels)."""
    return text(lang, "exhibit.label", n=number)


@lru_cache(maxsize=None)
def _findings(lang: str) -> dict[str, Any]:
    return tomllib.loads((templates_root() / lang / "findings.toml").read_text("utf-8"))


def finding(lang: str, key: str, part: str, **values: Any) -> str:
    """The ``message`` or ``fix`` of the finding ``key`` (``code`` or ``code.variant``) in ``lang``."""
    node: Any = _findings(lang)
    for name in key.split("."):
        node = node[name]
    return str(node[part]).format(**values)


def join(items: list[str], lang: str, style: str = "and") -> str:
    """'a, b et c' / 'a, b ou c' in the case language (Babel's CLDR list patterns)."""
    from babel.lists import format_list

    if not items:
        return ""
    return format_list(list(items), style="standard" if style == "and" else "or", locale=LOCALES[lang])


def country(code: str, lang: str) -> str:
    return Locale.parse(LOCALES[lang]).territories.get(code, code)


def language(code: str, lang: str) -> str:
    return Locale.parse(LOCALES[lang]).languages.get(code, code)


def format_rate(value: Decimal, lang: str) -> str:
    """An interest rate: '12,15 %' (fr, de: with a non-breaking space), '12.15%' (en)."""
    number = _babel_decimal(value, format="#,##0.00", locale=LOCALES[lang])
    return f"{number}%" if lang == "en" else f"{number}\u00a0%"


PRACTICE = "@practice"  # in a data file: a requirement that rests on professional practice, not on a rule


def source(value: str, lang: str) -> str:
    """A finding's or requirement's basis as the reader sees it: the legal citation as written, or
    "usage professionnel" / "practice" / "Praxis" for the data files' "@practice"."""
    return text(lang, "report.practice") if value == PRACTICE else value


def language_the(code: str, lang: str) -> str:
    """A language as the subject of a sentence: "l'allemand", "le français"; "German", "Deutsch"."""
    name = language(code, lang)
    if lang == "fr":
        return f"l'{name}" if name[:1].lower() in "aeiouyéèê" else f"le {name}"
    return name


def language_in(code: str, lang: str) -> str:
    """"Written in a language": "en allemand", "in German", "in deutscher Sprache"."""
    name = language(code, lang)
    if lang == "fr":
        return f"en {name}"
    if lang == "de":
        # "Deutsch", "Französisch", "Niederländisch"…: the adjective declines ("in deutscher Sprache")
        return f"in {name.lower()}er Sprache" if name.endswith("sch") else f"in der Sprache „{name}“"
    return f"in {name}"
