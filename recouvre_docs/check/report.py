"""Findings and the report: the JSON of DESIGN.md §2, and the text a case handler reads."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from .. import i18n
from .procedures import SEVERITIES

# DESIGN.md §2 fixes these codes (add, never rename). The last group was added by the check itself.
CODES = (
    "missing-evidence", "missing-event", "notice-too-recent", "not-due", "prescribed", "prescription-near",
    "amount-mismatch", "invalid-identifier", "not-cross-border", "wrong-jurisdiction", "threshold-exceeded",
    "deadline-passed", "translation-needed", "unclassified-evidence", "unreadable-evidence", "duplicate-evidence",
    "missing-field",
    # added by recouvre-docs (see the README's list of finding codes)
    "overpaid", "unconfirmed-rule", "collective-proceedings", "deadline-near",
    "missing-mention", "missing-clause", "jurisdiction-clause", "unverified-mentions", "no-reminder",
    "escalation-due", "promise-pending", "disputed", "wrong-currency", "missing-rate", "fonts-not-embedded",
    "pdfa-normalised", "no-notice", "not-in-default", "prescription-unchecked", "event-after-as-of",
    "attachment-not-reproduced", "einvoice-unreadable", "stream-not-decodable",
)


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    subject: str
    message: str
    source: str
    fix: str

    def __post_init__(self) -> None:
        assert self.code in CODES, self.code
        assert self.severity in SEVERITIES, self.severity


@dataclass
class Report:
    case: str
    procedure: str
    as_of: dt.date
    language: str
    findings: list[Finding] = field(default_factory=list)
    statement: Any = field(default=None, compare=False, repr=False)  # the claim the check computed (build reuses it)
    REPEAT = 5  # in the text report, findings of one code shown before the rest are counted (JSON has all)

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def sorted(self) -> list[Finding]:
        rank = {s: i for i, s in enumerate(SEVERITIES)}
        return sorted(self.findings, key=lambda f: rank[f.severity])  # stable: rule order within a severity

    def to_json(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "procedure": self.procedure,
            "as_of": self.as_of.isoformat(),
            "ok": self.ok,
            "findings": [asdict(f) for f in self.sorted()],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n"

    def to_text(self, title: str) -> str:
        lang = self.language
        t = lambda key, **kw: i18n.text(lang, key, **kw)  # noqa: E731
        lines = [t("report.heading", case=self.case, procedure=title, date=i18n.format_date(self.as_of, lang))]
        if not self.findings:
            lines += ["", t("report.nothing")]
        for severity in SEVERITIES:
            group = [f for f in self.findings if f.severity == severity]
            if not group:
                continue
            lines += ["", t(f"report.{severity}", n=len(group))]
            shown: dict[str, int] = {}
            for f in group:
                # a finding repeated for many files (400 unclassified scans): the first ones, then a count
                shown[f.code] = shown.get(f.code, 0) + 1
                if shown[f.code] > self.REPEAT:
                    continue
                lines.append(f"  • {f.message}")
                if f.source:  # no line for a finding that rests on no rule (a file that cannot be read)
                    colon = " :" if lang == "fr" else ":"
                    lines.append(f"    {t('report.source')}{colon} {f.source}")
                lines.append(f"    → {f.fix}")
            for code, n in shown.items():
                if n > self.REPEAT:
                    lines.append(f"  • {t('report.more', n=n - self.REPEAT, code=code)}")
        lines += ["", t("report.ok") if self.ok else t("report.blocked", n=self.count("error"))]
        return "\n".join(lines) + "\n"
