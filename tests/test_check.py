"""The pre-flight check: one small real case folder per procedure and per rule, built by a fixture.

Each case is complete for its procedure; a test changes one fact (a missing piece, a date, an
amount, an identifier) and asserts the finding a lawyer would get: its code, severity and subject.
"""

from __future__ import annotations

import json
import shutil
import textwrap

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from conftest import RESOURCES, SAMPLE, make_pdf
from recouvre_docs import check
from recouvre_docs.check import procedures
from recouvre_docs.cli import main

# Per procedure: the countries, currency and debtor details of a case that is complete for it.
PARTIES = {
    "fr-mise-en-demeure": ("FR", "FR", "EUR"),
    "fr-injonction-de-payer": ("FR", "FR", "EUR"),
    "fr-refere-provision": ("FR", "FR", "EUR"),
    "fr-declaration-de-creance": ("FR", "FR", "EUR"),
    "eu-order-for-payment": ("FR", "DE", "EUR"),
    "de-mahnverfahren": ("DE", "DE", "EUR"),
    "uk-letter-of-claim": ("GB", "GB", "GBP"),
    "ch-poursuite": ("CH", "CH", "CHF"),
    "agency-handover": ("FR", "FR", "EUR"),
}
IDS = {  # registration, vat, iban per country (valid check digits)
    "FR": ('"812345676"', '"FR19812345676"', '"FR7614508006910002184790333"'),
    "DE": ('"HRB 123456, Amtsgericht München"', '"DE129273398"', '"DE89370400440532013000"'),
    "GB": ('"01234567"', '"GB980780684"', '"GB29NWBK60161331926819"'),
    "CH": ('"CHE-116.281.710"', '"CHE-116.281.710 MWST"', '"CH9300762011623852957"'),
}
LANG = {"FR": "fr", "DE": "de", "GB": "en", "CH": "fr"}

INVOICE_TEXT = ("Facture F1 - echeance le 01/04/2026 - commande BC-1 - penalites de retard au taux BCE majore de 10 points"
                " - indemnite forfaitaire de 40 euros pour frais de recouvrement")
CONTRACT_TEXT = ("Contrat-cadre - penalites de retard exigibles de plein droit - reserve de propriete jusqu'au paiement"
                 " integral - attribution de juridiction : Tribunal de commerce de Lyon seul competent.")


def case_toml(procedure: str, *, debtor_country: str | None = None, consumer: bool = False, extra: str = "",
              court: str = "Tribunal de commerce de Lyon") -> str:
    cred, debt, currency = PARTIES[procedure]
    debt = debtor_country or debt
    creg, cvat, ciban = IDS[cred]
    dreg, dvat, _ = IDS[debt]
    insolvency = ""
    if procedure == "fr-declaration-de-creance":
        insolvency = ('[insolvency]\nkind = "redressement"\njudgment = 2026-10-01\npublished = 2026-10-15\n'
                      'administrator = "Maître Léa Bernard, mandataire judiciaire"\n')
    return f"""schema = 1
[case]
reference = "R-1"
procedure = "{procedure}"
language = "fr"
as_of = 2026-11-23
court = "{court}"

[creditor]
name = "Atelier Dupont SAS"
legal_form = "SAS"
registration = {creg}
vat = {cvat}
address = ["12 rue des Forges", "69002 Lyon"]
country = "{cred}"
iban = {ciban}

[debtor]
name = "Boulangeries Martin SARL"
legal_form = "SARL"
registration = {dreg}
vat = {dvat}
address = ["45 avenue Roger Salengro", "69100 Villeurbanne"]
country = "{debt}"
language = "{LANG[debt] if not consumer else 'fr'}"
consumer = {"true" if consumer else "false"}

[[invoice]]
number = "F1"
issued = 2026-03-02
due = 2026-04-01
amount = 1200.00
currency = "{currency}"
file = "evidence/factures/F1.pdf"

[[event]]
date = 2026-05-05
kind = "reminder"
channel = "email"

[[event]]
date = 2026-06-01
kind = "formal-notice"
channel = "registered-letter"
file = "evidence/mise-en-demeure-2026-06-01.pdf"
received = 2026-06-03
{insolvency}
{textwrap.dedent(extra)}"""


@pytest.fixture
def case(tmp_path):
    """case(procedure, drop=[...], extra="", files={...}, **toml) -> a complete case folder for procedure."""

    def factory(procedure: str, *, drop: tuple[str, ...] = (), files: dict | None = None, **toml) -> object:
        root = tmp_path / procedure
        if root.exists():
            shutil.rmtree(root)
        pieces = {
            "evidence/contrat-cadre.pdf": [{"text": CONTRACT_TEXT}],
            "evidence/commandes/BC-1.pdf": [{"text": "Bon de commande BC-1"}],
            "evidence/bons-de-livraison/BL-1.pdf": [{"text": "Bon de livraison BL-1 signe"}],
            "evidence/factures/F1.pdf": [{"text": INVOICE_TEXT}],
            "evidence/mise-en-demeure-2026-06-01.pdf": [{"text": "Mise en demeure"}],
            "evidence/AR-2026-06-03.pdf": [{"text": "Avis de reception"}],
        }
        pieces.update(files or {})
        for rel, spec in pieces.items():
            if rel in drop:
                continue
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(spec, bytes):
                target.write_bytes(spec)
            elif hasattr(spec, "read_bytes"):
                shutil.copyfile(spec, target)
            else:
                make_pdf(target, spec)
        (root / "case.toml").write_text(case_toml(procedure, **toml), "utf-8")
        return root

    return factory


# Findings that rest on no legal rule (a file, an identifier's check digits, case.toml's own sums): no
# source. Every other finding cites a rule or, where there is none, practice.
NO_RULE = {"jurisdiction-clause", "overpaid", "unreadable-evidence", "unclassified-evidence", "invalid-identifier",
           "missing-rate", "event-after-as-of", "prescription-unchecked", "missing-clause"}
INTERNAL = ("LEGAL.md", "DESIGN.md", "not in LEGAL", "recouvre-docs practice", "recouvre-docs convention",
            "recouvre_docs/", "python-stdnum", "SHA-256", "🟡", "❌", "✅", "http", "@practice", "case.toml")


def assert_user_facing(report) -> None:
    """What a lawyer reads: a message and a fix in the report language, a legal citation (or practice,
    or nothing for what no rule governs) as the source, and no internal reference anywhere."""
    practice = {"fr": "usage professionnel", "en": "practice", "de": "Praxis"}[report.language]
    for f in report.findings:
        assert f.message and f.fix, f
        assert f.source or f.code in NO_RULE, f
        assert not any(word in f.source for word in INTERNAL), f.source
        assert not any(word in f.message for word in INTERNAL[:-1]), f.message
        assert f.source == practice or not f.source or any(c.isdigit() for c in f.source) or "Act" in f.source, f.source
        colon = " : " if report.language == "fr" else ": "
        assert all(sentence.count(colon) <= 1 for sentence in f.message.split(". ")), f.message  # no two colons in a row


def findings(report, code: str | None = None) -> list[tuple[str, str, str]]:
    return [(f.code, f.severity, f.subject) for f in report.findings if code is None or f.code == code]


def errors(report) -> list[tuple[str, str, str]]:
    return [(f.code, f.severity, f.subject) for f in report.findings if f.severity == "error"]


# ----------------------------------------------------------------------------------------------
# Complete cases pass, for every procedure


@pytest.mark.parametrize("procedure", sorted(PARTIES))
def test_a_complete_case_passes(case, procedure):
    report = check.run(case(procedure))
    assert report.ok, [f"{f.code}: {f.message}" for f in report.findings if f.severity == "error"]
    assert errors(report) == []
    # what a lawyer reads is in the case language, with the article behind each finding
    assert_user_facing(report)


def test_every_procedure_file_is_complete():
    assert procedures.ids() == sorted(PARTIES)
    for proc in procedures.all_procedures():
        assert set(proc.title) == {"fr", "en", "de"}
        assert proc.sources and all(s.ref for s in proc.sources)
        for rule in proc.evidence + proc.event:
            assert rule.source, (proc.id, rule)


# ----------------------------------------------------------------------------------------------
# Required evidence and events


def test_a_missing_delivery_note_blocks_the_injonction_de_payer(case):
    report = check.run(case("fr-injonction-de-payer", drop=("evidence/bons-de-livraison/BL-1.pdf",)))
    assert not report.ok
    assert errors(report) == [("missing-evidence", "error", "delivery-note")]
    finding = report.findings[0] if report.findings[0].code == "missing-evidence" else None
    finding = next(f for f in report.findings if f.code == "missing-evidence")
    assert "bon de livraison" in finding.message and finding.source == "CPC art. 1405, 1407"


def test_a_missing_delivery_note_is_only_a_warning_for_a_hand_over(case):
    report = check.run(case("agency-handover", drop=("evidence/bons-de-livraison/BL-1.pdf",)))
    assert report.ok
    assert ("missing-evidence", "warning", "delivery-note") in findings(report)


def test_no_invoice_at_all(case):
    root = case("fr-mise-en-demeure", drop=("evidence/factures/F1.pdf",))
    toml = (root / "case.toml").read_text()
    start = toml.index("[[invoice]]")
    (root / "case.toml").write_text(toml[:start] + toml[toml.index("[[event]]"):])
    report = check.run(root)
    assert errors(report) == [("missing-evidence", "error", "invoice")]
    assert next(f for f in report.findings if f.code == "missing-evidence").source == "C. civ. art. 1344"


def test_a_formal_notice_received_too_recently(case):
    root = case("fr-injonction-de-payer")
    toml = (root / "case.toml").read_text().replace("received = 2026-06-03", "received = 2026-11-20")
    (root / "case.toml").write_text(toml)
    report = check.run(root)
    assert findings(report, "notice-too-recent") == [("notice-too-recent", "warning", "formal-notice")]
    assert "il y a 3 jours" in report.findings[0].message or any("3 jours" in f.message for f in report.findings)


def test_no_formal_notice_at_all(case):
    root = case("fr-injonction-de-payer")
    toml = (root / "case.toml").read_text()
    toml = toml.replace('kind = "formal-notice"', 'kind = "call"').replace("received = 2026-06-03\n", "")
    (root / "case.toml").write_text(toml)
    report = check.run(root)
    assert ("missing-event", "error", "formal-notice") in errors(report)


# ----------------------------------------------------------------------------------------------
# Invoices, payments, prescription


def test_an_invoice_not_yet_due(case):
    root = case("fr-injonction-de-payer")
    (root / "case.toml").write_text((root / "case.toml").read_text().replace("due = 2026-04-01", "due = 2026-12-31"))
    assert errors(check.run(root)) == [("not-due", "error", "F1")]


def test_payments_above_the_invoice(case):
    extra = """
    [[payment]]
    date = 2026-05-15
    amount = 1500.00
    invoice = "F1"
    """
    report = check.run(case("fr-injonction-de-payer", extra=extra))
    assert errors(report) == [("overpaid", "error", "F1"), ("overpaid", "error", "payment")]


def test_an_invoice_twice_is_refused_with_the_case_file(case, cli):
    root = case("fr-injonction-de-payer", extra="""
    [[invoice]]
    number = "F1"
    issued = 2026-03-02
    due = 2026-04-01
    amount = 1200.00
    """)
    result = cli("check", root)
    assert result.exit_code == 3  # no invoice twice: case.toml is refused before any check (README, "check")
    assert "invoice[2].number: 'F1' appears twice (also invoice[1]); list each invoice once" in result.stderr


def test_a_prescribed_invoice(case):
    root = case("fr-injonction-de-payer")
    toml = (root / "case.toml").read_text().replace("issued = 2026-03-02\ndue = 2026-04-01",
                                                    "issued = 2020-12-15\ndue = 2021-01-15")
    (root / "case.toml").write_text(toml)
    report = check.run(root)
    assert ("prescribed", "error", "F1") in errors(report)
    prescribed = next(f for f in report.findings if f.code == "prescribed")
    assert prescribed.source == "C. com. art. L110-4" and "15 janvier 2026" in prescribed.message
    # the five-year rule is 🟡 in LEGAL.md: the finding that depends on it says so
    assert ("unconfirmed-rule", "warning", "C. com. art. L110-4") in findings(report)


def test_a_consumer_debtor_has_two_years_a_business_five(case):
    def run(consumer):
        root = case("fr-mise-en-demeure", consumer=consumer)
        toml = (root / "case.toml").read_text().replace("issued = 2026-03-02\ndue = 2026-04-01",
                                                        "issued = 2024-04-02\ndue = 2024-05-02")
        (root / "case.toml").write_text(toml)
        return check.run(root)

    consumer = run(True)
    assert ("prescribed", "error", "F1") in errors(consumer)
    assert next(f for f in consumer.findings if f.code == "prescribed").source == "C. consom. art. L218-2"
    assert findings(run(False), "prescribed") == []


def test_prescription_near_and_the_german_end_of_year_rule(case):
    root = case("de-mahnverfahren")
    toml = (root / "case.toml").read_text().replace("issued = 2026-03-02\ndue = 2026-04-01",
                                                    "issued = 2023-02-01\ndue = 2023-03-01")
    (root / "case.toml").write_text(toml)
    report = check.run(root)
    # 3 years from the end of 2023 (BGB §§ 195, 199): 31 December 2026, 38 days after as_of
    near = next(f for f in report.findings if f.code == "prescription-near")
    assert (near.severity, near.subject, near.source) == ("warning", "F1", "BGB §§ 195, 199")
    assert "31 décembre 2026" in near.message and "38 jours" in near.message


def test_an_acknowledgment_of_debt_is_named_but_never_silently_saves_a_claim(case):
    root = case("fr-injonction-de-payer", extra="""
    [[event]]
    date = 2024-06-01
    kind = "acknowledgment"
    """)
    toml = (root / "case.toml").read_text().replace("issued = 2026-03-02\ndue = 2026-04-01",
                                                    "issued = 2020-12-15\ndue = 2021-01-15")
    (root / "case.toml").write_text(toml)
    report = check.run(root)
    prescribed = next(f for f in report.findings if f.code == "prescribed")
    assert prescribed.severity == "warning"  # only the acknowledgment keeps it alive: a lawyer confirms
    assert "1er juin 2024" in prescribed.message and "1er juin 2029" in prescribed.message
    assert "C. civ. art. 2240" in prescribed.source


# ----------------------------------------------------------------------------------------------
# The e-invoice, identifiers


def test_an_amount_that_differs_from_the_einvoice(case):
    einvoice = SAMPLE / "evidence" / "factures" / "F2026-0117.pdf"
    root = case("fr-injonction-de-payer", files={"evidence/factures/F1.pdf": einvoice})
    toml = (root / "case.toml").read_text().replace('number = "F1"', 'number = "F2026-0117"')
    toml = toml.replace("amount = 1200.00", "amount = 18540.00")  # the e-invoice says 18,450.00
    toml = toml.replace("issued = 2026-03-02\ndue = 2026-04-01", "issued = 2026-03-02\ndue = 2026-04-01")
    (root / "case.toml").write_text(toml)
    report = check.run(root)
    mismatches = findings(report, "amount-mismatch")
    assert ("amount-mismatch", "error", "F2026-0117.amount") in mismatches
    msg = next(f.message for f in report.findings if f.subject == "F2026-0117.amount")
    assert "18\u202f540,00\u00a0€" in msg and "18\u202f450,00\u00a0€" in msg
    # the parties differ too (the sample's e-invoice is addressed to Boulangeries Martin & Fils SARL)
    assert ("amount-mismatch", "error", "F2026-0117.buyer") in mismatches
    assert ("amount-mismatch", "error", "F2026-0117.number") not in mismatches


def test_a_bad_siren_and_iban_but_a_german_register_number_is_accepted(case):
    root = case("eu-order-for-payment")
    toml = (root / "case.toml").read_text()
    toml = toml.replace('registration = "812345676"', 'registration = "812345677"')
    toml = toml.replace('iban = "FR7614508006910002184790333"', 'iban = "FR7614508006910002184790334"')
    (root / "case.toml").write_text(toml)
    report = check.run(root)
    assert findings(report, "invalid-identifier") == [
        ("invalid-identifier", "warning", "creditor.registration"),
        ("invalid-identifier", "warning", "creditor.iban"),
    ]  # and nothing about "HRB 123456, Amtsgericht München", a format the validator does not know
    assert report.ok


# ----------------------------------------------------------------------------------------------
# Jurisdiction, collective proceedings, translation


def test_a_same_country_european_order_for_payment(case):
    report = check.run(case("eu-order-for-payment", debtor_country="FR"))
    assert errors(report) == [("not-cross-border", "error", "debtor.country")]
    assert next(f for f in report.findings if f.code == "not-cross-border").source == "Règl. 1896/2006 art. 3"


def test_a_european_order_against_a_debtor_in_denmark(case):
    root = case("eu-order-for-payment")
    (root / "case.toml").write_text((root / "case.toml").read_text().replace('country = "DE"', 'country = "DK"'))
    assert ("wrong-jurisdiction", "error", "debtor.country") in errors(check.run(root))


def test_a_french_injonction_against_a_foreign_debtor(case):
    report = check.run(case("fr-injonction-de-payer", debtor_country="DE"))
    assert ("wrong-jurisdiction", "error", "debtor.country") in errors(report)
    assert next(f for f in report.findings if f.code == "wrong-jurisdiction").source == "CPC art. 1406"


def test_a_late_claim_in_collective_proceedings(case):
    root = case("fr-declaration-de-creance")
    (root / "case.toml").write_text((root / "case.toml").read_text().replace("published = 2026-10-15", "published = 2026-08-01"))
    report = check.run(root)
    assert errors(report) == [("deadline-passed", "error", "insolvency.published")]
    passed = next(f for f in report.findings if f.code == "deadline-passed")
    assert "1er octobre 2026" in passed.message and passed.source == "C. com. art. R622-24"


def test_a_creditor_outside_metropolitan_france_has_two_more_months(case):
    root = case("fr-declaration-de-creance")
    toml = (root / "case.toml").read_text().replace("published = 2026-10-15", "published = 2026-08-01")
    toml = toml.replace('country = "FR"\niban', 'country = "DE"\niban', 1)
    (root / "case.toml").write_text(toml)
    report = check.run(root)
    assert report.ok
    assert ("deadline-near", "warning", "insolvency.published") in findings(report)  # 1 December 2026


def test_an_injonction_against_a_debtor_in_collective_proceedings(case):
    report = check.run(case("fr-injonction-de-payer", extra="""
    [insolvency]
    kind = "liquidation judiciaire"
    judgment = 2026-09-01
    published = 2026-09-10
    """))
    assert ("collective-proceedings", "error", "insolvency") in errors(report)


def test_a_german_debtor_needs_the_european_application_translated(case):
    report = check.run(case("eu-order-for-payment"))
    needed = next(f for f in report.findings if f.code == "translation-needed")
    assert needed.severity == "warning" and needed.subject == "documents"
    assert "allemand" in needed.message and "formulaire A" in needed.message


def test_evidence_in_english_filed_before_a_french_court(case):
    root = case("fr-injonction-de-payer", files={"evidence/terms.pdf": [{"text": "General terms"}]})
    toml = (root / "case.toml").read_text() + '\n[[evidence]]\nfile = "evidence/terms.pdf"\nkind = "terms"\nlanguage = "en"\n'
    (root / "case.toml").write_text(toml)
    report = check.run(root)
    needed = next(f for f in report.findings if f.code == "translation-needed")
    assert needed.subject == "evidence" and "evidence/terms.pdf" in needed.message


def test_missing_court_for_a_filing(case):
    report = check.run(case("fr-injonction-de-payer", court=""))
    # an empty court is refused by case.toml's own validation? no: it is optional, and the request needs it
    assert ("missing-field", "error", "case.court") in errors(report)


# ----------------------------------------------------------------------------------------------
# Evidence hygiene, invoice mentions, clauses, timeline


def test_unreadable_duplicate_and_unclassified_evidence_are_findings_not_crashes(case):
    files = {
        "evidence/avenant.pdf": RESOURCES / "encrypted-rc4.pdf",
        "evidence/copie-BL-1.pdf": [{"text": "Bon de livraison BL-1 signe"}],
        "evidence/scan-0042.pdf": [{"text": "?"}],
    }
    root = case("fr-injonction-de-payer", files=files)
    # the copy has the same bytes as the delivery note: make_pdf is deterministic
    report = check.run(root)
    assert ("unreadable-evidence", "error", "evidence/avenant.pdf") in errors(report)
    unreadable = next(f for f in report.findings if f.code == "unreadable-evidence")
    assert "chiffr" in unreadable.message or "encrypted" in unreadable.message
    duplicate = next(f for f in report.findings if f.code == "duplicate-evidence")
    assert duplicate.severity == "warning"
    assert "evidence/bons-de-livraison/BL-1.pdf" in duplicate.message and "evidence/copie-BL-1.pdf" in duplicate.message
    assert ("unclassified-evidence", "info", "evidence/scan-0042.pdf") in findings(report)


def test_invoice_mentions_of_article_l441_9(case):
    root = case("fr-injonction-de-payer", files={"evidence/factures/F1.pdf": [{"text": "Facture F1 - total 1200 EUR"}]})
    report = check.run(root)
    assert report.ok  # warnings only: the penalties are due by law anyway
    subjects = {(f.code, f.subject, f.message.split(" ne ")[1][:20]) for f in report.findings if f.code == "missing-mention"}
    assert len(subjects) == 4  # due date, penalty rate, 40 EUR indemnity, order number BC-1
    assert all(f.source == "C. com. art. L441-9" for f in report.findings if f.code == "missing-mention")
    assert any("BC-1" in f.message for f in report.findings if f.code == "missing-mention")


def test_the_einvoice_data_answers_for_the_mentions(case):
    einvoice = SAMPLE / "evidence" / "factures" / "F2026-0117.pdf"
    root = case("fr-injonction-de-payer", files={"evidence/factures/F1.pdf": einvoice})
    report = check.run(root)
    assert findings(report, "missing-mention") == []


def test_clauses_of_the_terms(case):
    root = case("fr-injonction-de-payer", files={"evidence/contrat-cadre.pdf": [{"text": "Contrat-cadre de fourniture"}]})
    report = check.run(root)
    assert sorted(f.subject for f in report.findings if f.code == "missing-clause") == ["jurisdiction", "penalty", "retention"]
    complete = check.run(case("fr-refere-provision"))
    clause = next(f for f in complete.findings if f.code == "jurisdiction-clause")
    assert "Tribunal de commerce de Lyon" in clause.message and clause.severity == "info"


def test_the_dunning_timeline(case):
    extra = """
    [[event]]
    date = 2026-11-10
    kind = "promise"
    until = 2026-12-15

    [[event]]
    date = 2026-11-12
    kind = "dispute"
    note = "livraison incomplète"
    """
    root = case("fr-injonction-de-payer", extra=extra)
    toml = (root / "case.toml").read_text().replace('date = 2026-05-05\nkind = "reminder"', 'date = 2026-06-20\nkind = "reminder"')
    (root / "case.toml").write_text(toml)
    report = check.run(root)
    assert ("no-reminder", "warning", "formal-notice") in findings(report)
    assert ("promise-pending", "warning", "promise") in findings(report)
    disputed = next(f for f in report.findings if f.code == "disputed")
    assert disputed.severity == "warning" and "livraison incomplète" in disputed.message and "rejet" in disputed.message


def test_escalation_is_due_after_a_fruitless_notice(case):
    report = check.run(case("fr-mise-en-demeure"))
    escalation = next(f for f in report.findings if f.code == "escalation-due")
    assert escalation.severity == "warning" and "173 jours" in escalation.message


def test_a_swiss_poursuite_in_euros(case):
    root = case("ch-poursuite")
    (root / "case.toml").write_text((root / "case.toml").read_text().replace('currency = "CHF"', 'currency = "EUR"'))
    assert ("wrong-currency", "warning", "F1") in findings(check.run(root))


# ----------------------------------------------------------------------------------------------
# Languages, the CLI, the JSON of DESIGN.md §2, build


@pytest.mark.parametrize("lang, words", [("en", "delivery note"), ("de", "Lieferschein")])
def test_findings_read_in_the_report_language(case, lang, words):
    report = check.run(case("fr-injonction-de-payer", drop=("evidence/bons-de-livraison/BL-1.pdf",)), lang=lang)
    finding = next(f for f in report.findings if f.code == "missing-evidence")
    assert words in finding.message


def test_check_the_sample_exits_0(tmp_path):
    sample = tmp_path / "case-42"
    shutil.copytree(SAMPLE, sample, ignore=shutil.ignore_patterns("out"))
    result = CliRunner().invoke(main, ["check", str(sample)])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "aucun point bloquant" in result.stdout


def test_check_the_sample_without_its_delivery_note(tmp_path):
    sample = tmp_path / "case-42"
    shutil.copytree(SAMPLE, sample, ignore=shutil.ignore_patterns("out"))
    shutil.rmtree(sample / "evidence" / "bons-de-livraison")
    toml = (sample / "case.toml").read_text()
    toml = toml.replace('[[evidence]]\nfile = "evidence/bons-de-livraison/BL-2026-0225-signe.jpg"\ndate = 2026-02-25\n\n', "")
    (sample / "case.toml").write_text(toml)
    result = CliRunner().invoke(main, ["check", str(sample)])
    assert result.exit_code == 1
    assert "bon de livraison" in result.stdout and "CPC art. 1405, 1407" in result.stdout
    assert "1 point bloquant" in result.stdout

    as_json = CliRunner().invoke(main, ["check", str(sample), "--format", "json"])
    assert as_json.exit_code == 1
    data = json.loads(as_json.stdout)
    assert list(data) == ["case", "procedure", "as_of", "ok", "findings"]
    assert (data["case"], data["procedure"], data["as_of"], data["ok"]) == ("CASE-42", "fr-injonction-de-payer", "2026-11-23", False)
    first = data["findings"][0]
    assert list(first) == ["code", "severity", "subject", "message", "source", "fix"]
    assert (first["code"], first["severity"], first["subject"]) == ("missing-evidence", "error", "delivery-note")
    assert data["ok"] == (not any(f["severity"] == "error" for f in data["findings"]))


def test_build_refuses_on_an_error_unless_forced(case, tmp_path, monkeypatch):
    root = case("fr-injonction-de-payer", drop=("evidence/bons-de-livraison/BL-1.pdf",))
    from recouvre_docs import bundle

    started = []
    real_start = bundle.start_assembler
    monkeypatch.setattr(bundle, "start_assembler", lambda: real_start() or started.append(bundle._helper.process[1]))
    refused = CliRunner().invoke(main, ["build", str(root)])
    assert refused.exit_code == 1
    assert "bon de livraison" in refused.stderr and "--force" in refused.stderr
    assert not (root / "out" / "R-1.pdf").exists() and not (root / "out" / "report.json").exists()
    # the process started ahead for the stamping pass was told to end, and has ended
    assert [proc.returncode for proc in started] == [0] and bundle._helper.process is None

    forced = CliRunner().invoke(main, ["build", str(root), "--force"])
    assert forced.exit_code == 0, forced.stderr
    cover = PdfReader(str(root / "out" / "R-1.pdf")).pages[0].extract_text()
    assert "Points à vérifier avant tout dépôt" in cover
    assert "aucune des pièces suivantes" in cover
    report = json.loads((root / "out" / "report.json").read_text())
    assert report["ok"] is False and report["findings"][0]["subject"] == "delivery-note"


def test_procedures_command(tmp_path):
    listing = CliRunner().invoke(main, ["procedures"])
    assert listing.exit_code == 0
    assert len([line for line in listing.stdout.splitlines() if line.startswith("  ")]) == 9
    one = CliRunner().invoke(main, ["procedures", "fr-injonction-de-payer", "--lang", "fr"])
    assert one.exit_code == 0
    assert "Requête en injonction de payer" in one.stdout and "bon de livraison" in one.stdout.lower()
    assert "CPC art. 1406" in one.stdout
    de = CliRunner().invoke(main, ["procedures", "eu-order-for-payment", "--lang", "de"])
    assert "Europäischer Zahlungsbefehl" in de.stdout and "Règl. 1896/2006 art. 3" in de.stdout
    unknown = CliRunner().invoke(main, ["procedures", "fr-unknown"])
    assert unknown.exit_code == 2


def test_adding_a_procedure_is_adding_a_file(case, tmp_path, monkeypatch):
    """The README's example procedure file, dropped beside the others, is listed and checked."""
    import re

    from conftest import ROOT

    readme = (ROOT / "README.md").read_text("utf-8")
    block = re.search(r"```toml\n(id = \"be-injonction-de-payer\".*?)```", readme, re.S).group(1)
    folder = tmp_path / "procedures"
    shutil.copytree(procedures.procedures_dir(), folder)
    (folder / "be-injonction-de-payer.toml").write_text(block, "utf-8")
    monkeypatch.setattr(procedures, "procedures_dir", lambda: folder)
    procedures.load.cache_clear()
    try:
        assert "be-injonction-de-payer" in procedures.ids()
        assert procedures.load("be-injonction-de-payer").title["fr"].startswith("Procédure sommaire")
        root = case("fr-injonction-de-payer", drop=("evidence/commandes/BC-1.pdf", "evidence/contrat-cadre.pdf"))
        toml = (root / "case.toml").read_text().replace("amount = 1200.00", "amount = 2400.00")
        (root / "case.toml").write_text(toml)
        report = check.run(root, procedure="be-injonction-de-payer")
        assert report.procedure == "be-injonction-de-payer"
        assert ("missing-evidence", "error", "purchase-order") in errors(report)
        assert ("threshold-exceeded", "error", "principal") in errors(report)
    finally:
        procedures.load.cache_clear()


# ----------------------------------------------------------------------------------------------
# German and compact invoice mentions on a real PDF

def test_german_due_date_and_a_40_euro_indemnity_written_without_a_space(case):
    text = "Rechnung F1 - Fällig am 01.04.2026 - Bestellung BC-1 - Verzugszinsen 9 Prozentpunkte - 40,00 € je Rechnung"
    root = case("fr-injonction-de-payer", files={"evidence/factures/F1.pdf": [{"text": text}]})
    read = PdfReader(str(root / "evidence/factures/F1.pdf")).pages[0].extract_text()
    assert "Fällig" in read and "40,00 €" in read
    assert findings(check.run(root), "missing-mention") == []
    compact = case("fr-injonction-de-payer", files={"evidence/factures/F1.pdf": [{"text": INVOICE_TEXT.replace(
        "indemnite forfaitaire de 40 euros pour frais de recouvrement", "40€ par facture")}]})
    assert "40€" in PdfReader(str(compact / "evidence/factures/F1.pdf")).pages[0].extract_text()
    assert findings(check.run(compact), "missing-mention") == []
    total = case("fr-injonction-de-payer", files={"evidence/factures/F1.pdf": [{"text": INVOICE_TEXT.replace(
        "indemnite forfaitaire de 40 euros pour frais de recouvrement", "total 1240 EUR")}]})
    assert findings(check.run(total), "missing-mention") == [("missing-mention", "warning", "F1")]  # 1240 EUR is no indemnity



# ----------------------------------------------------------------------------------------------
# case.toml: a deleted piece, a promise without its date

def test_a_listed_piece_that_was_deleted_names_no_unrelated_file(tmp_path, cli):
    sample = tmp_path / "case-42"
    shutil.copytree(SAMPLE, sample, ignore=shutil.ignore_patterns("out"))
    (sample / "evidence" / "bons-de-livraison" / "BL-2026-0225-signe.jpg").unlink()
    result = cli("check", sample)
    assert result.exit_code == 3  # a path of case.toml that does not exist: the case file is invalid (DESIGN.md §2)
    assert "'evidence/bons-de-livraison/BL-2026-0225-signe.jpg' does not exist; if it was removed, delete this entry" in result.stderr
    assert "did you mean" not in result.stderr



def test_a_promise_needs_its_date(case, cli):
    root = case("fr-injonction-de-payer", extra="""
    [[event]]
    date = 2026-11-10
    kind = "promise"
    """)
    result = cli("check", root)
    assert result.exit_code == 3
    assert "event[3].until: a promise needs until = YYYY-MM-DD, the date by which the debtor promised to pay" in result.stderr



# ----------------------------------------------------------------------------------------------
# Identifiers: VAT numbers, SIREN written with its register


def edit(root, *pairs: tuple[str, str]):
    """Replace text in the case's case.toml (each old text must be there)."""
    toml = (root / "case.toml").read_text("utf-8")
    for old, new in pairs:
        assert old in toml, old
        toml = toml.replace(old, new, 1)
    (root / "case.toml").write_text(toml, "utf-8")
    return root



def only(report, code: str):
    found = [f for f in report.findings if f.code == code]
    assert len(found) == 1, [(f.code, f.subject, f.message) for f in report.findings]
    return found[0]



@pytest.mark.parametrize("old, vat, subject", [
    ('vat = "FR19812345676"', "FR20812345676", "creditor.vat"),
    ('vat = "DE129273398"', "DE129273399", "debtor.vat"),
])
def test_a_vat_number_with_wrong_check_digits(case, old, vat, subject):
    root = edit(case("eu-order-for-payment"), (old, f'vat = "{vat}"'))
    finding = only(check.run(root), "invalid-identifier")
    assert (finding.code, finding.severity, finding.subject) == ("invalid-identifier", "warning", subject)
    assert f"le numéro de TVA intracommunautaire « {vat} » est invalide (clé de contrôle erronée)" in finding.message



def test_vat_numbers_the_validators_know_or_not(case):
    # a British number is checked by python-stdnum's gb.vat; a number from outside Europe is accepted as written
    root = edit(case("uk-letter-of-claim"), ('vat = "GB980780684"', 'vat = "GB980780685"'))
    assert findings(check.run(root), "invalid-identifier") == [("invalid-identifier", "warning", "creditor.vat")]
    root = edit(case("eu-order-for-payment"), ('country = "FR"\niban', 'country = "US"\niban'),
                ('vat = "FR19812345676"', 'vat = "US-12-3456789"'))
    assert findings(check.run(root), "invalid-identifier") == []



@pytest.mark.parametrize("registration, invalid", [("812345676 R.C.S. Lyon", False), ("RCS Lyon B 812 345 676", False),
                                                   ("812345677 R.C.S. Lyon", True)])
def test_a_siren_written_with_its_register(case, registration, invalid):
    root = edit(case("fr-injonction-de-payer"), ('registration = "812345676"', f'registration = "{registration}"'))
    expected = [("invalid-identifier", "warning", "creditor.registration")] if invalid else []
    assert findings(check.run(root), "invalid-identifier") == expected


# ----------------------------------------------------------------------------------------------
# The audit of the check (issue 3): one case per rule, each failing before its fix


def without_events(root):
    """The case with no reminder and no formal notice at all."""
    toml = (root / "case.toml").read_text("utf-8")
    start, end = toml.index("[[event]]"), toml.index("received = 2026-06-03\n") + len("received = 2026-06-03\n")
    (root / "case.toml").write_text(toml[:start] + toml[end:], "utf-8")
    return root


# 2. The end of the limitation period is the last day the claim can be brought

def test_a_claim_is_not_time_barred_on_the_last_day_of_the_period(case):
    root = edit(case("fr-injonction-de-payer"), ("issued = 2026-03-02\ndue = 2026-04-01", "issued = 2021-10-23\ndue = 2021-11-23"))
    report = check.run(root)
    assert findings(report, "prescribed") == []
    near = only(report, "prescription-near")
    assert (near.severity, near.subject) == ("warning", "F1")
    assert near.message == "La créance au titre de la facture F1 se prescrit le 23 novembre 2026 à minuit (aujourd'hui)."


def test_a_claim_is_time_barred_the_day_after(case):
    root = edit(case("fr-injonction-de-payer"), ("issued = 2026-03-02\ndue = 2026-04-01", "issued = 2021-10-22\ndue = 2021-11-22"))
    prescribed = only(check.run(root), "prescribed")
    assert (prescribed.severity, prescribed.subject) == ("error", "F1")
    assert prescribed.message == ("La créance au titre de la facture F1 est prescrite : le délai de 5 ans courant à compter "
                                  "du 22 novembre 2021 a expiré le 22 novembre 2026 à minuit.")
    english = only(check.run(root, lang="en"), "prescribed")
    assert "expired at the end of 22 November 2026" in english.message


# 3. Acknowledgments of debt: chained, and for near as well as prescribed, where LEGAL.md names the rule

def test_acknowledgments_chain_each_restarting_the_period(case):
    extra = """
    [[event]]
    date = 2023-06-01
    kind = "acknowledgment"

    [[event]]
    date = 2026-03-01
    kind = "acknowledgment"
    """
    root = edit(case("fr-injonction-de-payer", extra=extra),
                ("issued = 2026-03-02\ndue = 2026-04-01", "issued = 2018-12-15\ndue = 2019-01-15"))
    report = check.run(root)
    saved = only(report, "prescribed")
    assert (saved.severity, saved.subject) == ("warning", "F1")  # FR: the rule is named but not verified (LEGAL.md §1.8 ❌)
    assert saved.message == ("La créance au titre de la facture F1 aurait été prescrite le 15 janvier 2024 à minuit, sauf si la "
                             "reconnaissance de dette du 1er mars 2026 a fait courir un nouveau délai, qui expirerait alors le "
                             "1er mars 2031 à minuit (C. civ. art. 2240, 2231).")
    assert ("unconfirmed-rule", "warning", "C. civ. art. 2240, 2231") in findings(report)


def test_an_acknowledgment_made_after_the_end_revives_nothing(case):
    extra = """
    [[event]]
    date = 2024-06-01
    kind = "acknowledgment"
    """
    root = edit(case("fr-injonction-de-payer", extra=extra),
                ("issued = 2026-03-02\ndue = 2026-04-01", "issued = 2018-12-15\ndue = 2019-01-15"))
    assert ("prescribed", "error", "F1") in errors(check.run(root))


def test_an_acknowledgment_changes_prescription_near_too(case):
    extra = """
    [[event]]
    date = 2024-06-01
    kind = "acknowledgment"
    """
    root = edit(case("fr-injonction-de-payer", extra=extra),
                ("issued = 2026-03-02\ndue = 2026-04-01", "issued = 2021-11-15\ndue = 2021-12-15"))
    near = only(check.run(root), "prescription-near")
    assert (near.severity, near.subject) == ("warning", "F1")
    assert "sauf si la reconnaissance de dette du 1er juin 2024 a fait courir un nouveau délai" in near.message
    assert "1er juin 2029 à minuit" in near.message and "C. civ. art. 2240" in near.source


def test_no_restart_where_legal_md_has_no_rule(case):
    # Germany: LEGAL.md §3 names only the Hemmung of § 204 BGB, not the Neubeginn of § 212: not applied
    extra = """
    [[event]]
    date = 2024-06-01
    kind = "acknowledgment"
    """
    root = edit(case("de-mahnverfahren", extra=extra), ("issued = 2026-03-02\ndue = 2026-04-01", "issued = 2022-02-01\ndue = 2022-03-01"))
    report = check.run(root, lang="de")
    prescribed = only(report, "prescribed")
    assert (prescribed.severity, prescribed.subject, prescribed.source) == ("error", "F1", "BGB §§ 195, 199")
    assert "mit Ablauf des 31. Dezember 2025" in prescribed.message and "Schuldanerkenntnis vom 1. Juni 2024" in prescribed.message
    assert not any("212" in f.source for f in report.findings)


def test_an_acknowledgment_in_england(case):
    extra = """
    [[event]]
    date = 2023-01-10
    kind = "acknowledgment"
    """
    root = edit(case("uk-letter-of-claim", extra=extra), ("issued = 2026-03-02\ndue = 2026-04-01", "issued = 2019-12-01\ndue = 2020-01-01"))
    saved = only(check.run(root, lang="en"), "prescribed")
    assert (saved.severity, saved.subject) == ("warning", "F1")
    assert saved.message.startswith("The claim under invoice F1 would have been time-barred at the end of 1 January 2026")
    assert "Limitation Act 1980 ss. 29–30" in saved.source


# 4. Cross-border (Reg. 1896/2006 art. 3): a party in a Member State other than the court's; not Denmark

def test_a_us_creditor_against_a_german_debtor_before_a_german_court(case):
    root = edit(case("eu-order-for-payment", court="Amtsgericht Wedding"), ('country = "FR"\niban', 'country = "US"\niban'))
    finding = only(check.run(root), "not-cross-border")
    assert (finding.severity, finding.subject, finding.source) == ("error", "debtor.country", "Règl. 1896/2006 art. 3")
    assert finding.message == ("L'injonction de payer européenne exige un litige transfrontalier : le débiteur est établi en "
                               "Allemagne, comme la juridiction saisie, et le créancier l'est aux États-Unis, où le règlement "
                               "ne s'applique pas.")
    assert "de-mahnverfahren" in finding.fix


def test_a_danish_creditor_against_a_german_debtor_at_the_debtors_court(case):
    root = edit(case("eu-order-for-payment", court=""), ('country = "FR"\niban', 'country = "DK"\niban'))
    finding = only(check.run(root), "not-cross-border")
    assert (finding.severity, finding.subject) == ("error", "debtor.country")
    assert "le créancier l'est au Danemark, où le règlement ne s'applique pas" in finding.message


def test_a_french_creditor_against_a_german_debtor_is_cross_border(case):
    for court in ("Amtsgericht Wedding", "", "Tribunal de commerce de Lyon"):
        assert findings(check.run(case("eu-order-for-payment", court=court)), "not-cross-border") == []


@pytest.mark.parametrize("country, lang, words", [
    ("LU", "fr", "tous deux établis au Luxembourg"),
    ("NL", "fr", "tous deux établis aux Pays-Bas"),
    ("NL", "de", "beide ihren Sitz in den Niederlanden"),
])
def test_the_country_reads_with_its_preposition(case, country, lang, words):
    root = edit(case("eu-order-for-payment", court=""), ('country = "FR"\niban', f'country = "{country}"\niban'),
                ('country = "DE"', f'country = "{country}"'))
    assert words in only(check.run(root, lang=lang), "not-cross-border").message


# 5. A creditor outside metropolitan France: abroad, overseas by its ISO code, or "FR" with an overseas postcode

@pytest.mark.parametrize("creditor, late", [
    ('country = "FR"\niban', True),
    ('country = "RE"\niban', False),
    ('country = "DE"\niban', False),
])
def test_the_four_months_of_a_creditor_outside_metropolitan_france(case, creditor, late):
    root = edit(case("fr-declaration-de-creance"), ("published = 2026-10-15", "published = 2026-08-01"),
                ('country = "FR"\niban', creditor))
    report = check.run(root)
    if late:
        assert ("deadline-passed", "error", "insolvency.published") in errors(report)
    else:
        near = only(report, "deadline-near")
        assert (near.severity, near.subject, near.source) == ("warning", "insolvency.published", "C. com. art. R622-24")
        assert "1er décembre 2026" in near.message and "hors de France métropolitaine" in near.message


def test_a_creditor_in_reunion_written_fr_with_its_postcode(case):
    root = edit(case("fr-declaration-de-creance"), ("published = 2026-10-15", "published = 2026-08-01"),
                ('address = ["12 rue des Forges", "69002 Lyon"]', 'address = ["12 rue de Paris", "97400 Saint-Denis"]'))
    report = check.run(root)
    assert report.ok and findings(report, "deadline-passed") == []
    assert ("deadline-near", "warning", "insolvency.published") in findings(report)
    corsica = edit(case("fr-declaration-de-creance"), ("published = 2026-10-15", "published = 2026-08-01"),
                   ('address = ["12 rue des Forges", "69002 Lyon"]', 'address = ["2 cours Napoléon", "20000 Ajaccio"]'))
    assert ("deadline-passed", "error", "insolvency.published") in errors(check.run(corsica))  # Corsica is metropolitan


# 6. Each finding cites the law of its own country and procedure

def test_a_german_contract_without_penalty_clause_cites_german_law(case):
    root = case("de-mahnverfahren", files={"evidence/contrat-cadre.pdf": [{"text": "Rahmenvertrag - Eigentumsvorbehalt - Gerichtsstand ist Muenchen."}]})
    finding = only(check.run(root, lang="de"), "missing-clause")
    assert (finding.severity, finding.subject, finding.source) == ("warning", "penalty", "§ 288 Abs. 2 BGB")
    assert "§ 288 Abs. 2 BGB" in finding.fix and "L441-10" not in finding.fix and "französisch" not in finding.fix


@pytest.mark.parametrize("procedure, source, words", [
    ("eu-order-for-payment", "Règl. 1896/2006 art. 16", "opposition dans les 30 jours"),
    ("de-mahnverfahren", "§ 692 Abs. 1 Nr. 3 ZPO", "Widerspruch"),
    ("fr-refere-provision", "CPC art. 835 al. 2", "Si cette contestation est sérieuse, le juge des référés ne peut pas accorder de provision."),
    ("ch-poursuite", "LP art. 69, 82", "opposition au commandement de payer dans les 10 jours"),
])
def test_a_dispute_cites_the_rule_of_the_procedure(case, procedure, source, words):
    extra = """
    [[event]]
    date = 2026-11-12
    kind = "dispute"
    note = "livraison incomplète"
    """
    disputed = only(check.run(case(procedure, extra=extra)), "disputed")
    assert (disputed.severity, disputed.subject, disputed.source) == ("warning", "dispute", source)
    assert words in disputed.message and "CPC art. 1405" not in disputed.source
    assert disputed.message.startswith("Le débiteur a contesté la créance le 12 novembre 2026\u00a0: «\u00a0livraison incomplète\u00a0». ")
    if procedure == "fr-refere-provision":
        assert "rejet" not in disputed.message


def test_the_letter_of_claim_translation_cites_no_french_rule(case):
    needed = only(check.run(case("uk-letter-of-claim")), "translation-needed")  # written in French, for an English debtor
    assert (needed.severity, needed.subject, needed.source) == ("warning", "documents", "usage professionnel")


def test_the_european_application_translation_cites_what_legal_md_gives(case):
    report = check.run(case("eu-order-for-payment", court="Amtsgericht Wedding"))
    served = next(f for f in report.findings if f.subject == "documents")
    assert served.source == "Règl. 1896/2006 art. 21(2)(b)" and "7(5)" not in served.source
    filed = next(f for f in report.findings if f.subject == "court-documents")  # Form A in French for a German court
    assert (filed.code, filed.severity, filed.source) == ("translation-needed", "warning", "Règl. délégué (UE) 2017/1260, annexe I")
    assert "seront rédigés en français, alors qu'elle statue en allemand" in filed.message


def test_a_german_insolvency_is_not_sent_to_a_french_procedure(case):
    report = check.run(case("de-mahnverfahren", extra="""
    [insolvency]
    kind = "Insolvenzverfahren"
    judgment = 2026-09-01
    """), lang="de")
    finding = only(report, "collective-proceedings")
    assert (finding.severity, finding.subject, finding.source) == ("error", "insolvency", "Praxis")
    assert "in Deutschland ein Insolvenzverfahren eröffnet" in finding.message
    assert "fr-declaration-de-creance" not in finding.fix and "mandataire" not in finding.fix


def test_escalation_from_an_english_letter_of_claim(case):
    escalation = only(check.run(case("uk-letter-of-claim"), lang="en"), "escalation-due")
    assert escalation.severity == "warning" and escalation.source == "practice"
    assert "fr-injonction-de-payer" not in escalation.fix and "agency-handover" in escalation.fix
    french = only(check.run(case("fr-mise-en-demeure")), "escalation-due")
    assert french.fix == ("Passez à l'étape suivante : requête en injonction de payer (fr-injonction-de-payer) ou "
                          "transmission du dossier à un partenaire (agency-handover).")


# 7. German default (§ 286 BGB): the invoice's own notice, the 30 days, a reminder after maturity

CONSUMER_NOTICE = ("Rechnung F1 - faellig am 01.04.2026 - Sie kommen spaetestens 30 Tage nach Fälligkeit und Zugang "
                   "dieser Rechnung in Verzug (§ 286 Abs. 3 BGB).")


def test_a_german_consumer_without_a_reminder(case):
    root = without_events(case("de-mahnverfahren", consumer=True, drop=("evidence/mise-en-demeure-2026-06-01.pdf",)))
    missing = only(check.run(root), "missing-event")
    assert (missing.severity, missing.subject, missing.source) == ("error", "F1", "§ 286 Abs. 1, 3 BGB")
    assert "règle des 30 jours" in missing.message


def test_the_notice_on_the_invoice_puts_a_german_consumer_in_default(case):
    root = without_events(case("de-mahnverfahren", consumer=True, files={"evidence/factures/F1.pdf": [{"text": CONSUMER_NOTICE}]},
                               drop=("evidence/mise-en-demeure-2026-06-01.pdf",)))
    assert "Fälligkeit" in PdfReader(str(root / "evidence/factures/F1.pdf")).pages[0].extract_text()
    report = check.run(root)
    assert findings(report, "missing-event") == [] and findings(report, "not-in-default") == []


def test_a_reminder_before_the_due_date_is_no_mahnung(case):
    root = edit(case("de-mahnverfahren", consumer=True), ("date = 2026-05-05", "date = 2026-03-20"),
                ('kind = "formal-notice"', 'kind = "call"'))
    missing = only(check.run(root), "missing-event")
    assert (missing.severity, missing.subject) == ("error", "F1")
    assert "la relance du 20 mars 2026 précède l'échéance de la facture F1 (1er avril 2026)" in missing.message


def test_a_german_business_debtor_is_in_default_thirty_days_after_maturity(case):
    root = without_events(edit(case("de-mahnverfahren"), ("issued = 2026-03-02\ndue = 2026-04-01", "issued = 2026-10-15\ndue = 2026-11-01")))
    pending = only(check.run(root), "not-in-default")
    assert (pending.severity, pending.subject, pending.source) == ("warning", "F1", "§ 286 Abs. 3 BGB")
    assert "que le 2 décembre 2026" in pending.message


# 8. The notice before a filing that does not require one

@pytest.mark.parametrize("procedure, words", [
    ("eu-order-for-payment", "avant le dépôt de la demande"),
    ("de-mahnverfahren", "avant la demande de Mahnbescheid"),
    ("ch-poursuite", "avant la réquisition de poursuite"),
])
def test_no_notice_before_the_filing(case, procedure, words):
    report = check.run(without_events(case(procedure, drop=("evidence/mise-en-demeure-2026-06-01.pdf", "evidence/AR-2026-06-03.pdf"))))
    finding = only(report, "no-notice")
    assert (finding.severity, finding.subject, finding.source) == ("warning", "formal-notice", "usage professionnel")
    assert words in finding.message and "l'usage est" in finding.fix
    assert findings(check.run(case(procedure)), "no-notice") == []  # with the reminder and the notice of the fixture


# 9. The findings do not depend on the language the report is read in

def test_the_report_language_changes_the_words_not_the_findings(tmp_path, case):
    sample = tmp_path / "case-42"
    shutil.copytree(SAMPLE, sample, ignore=shutil.ignore_patterns("out"))
    runs = {lang: json.loads(CliRunner().invoke(main, ["check", str(sample), "--format", "json", "--lang", lang]).stdout)
            for lang in ("fr", "de", "en")}
    shapes = {lang: [(f["code"], f["severity"], f["subject"]) for f in data["findings"]] for lang, data in runs.items()}
    assert shapes["fr"] == shapes["de"] == shapes["en"]
    assert "translation-needed" not in {code for code, _, _ in shapes["de"]}
    eop = case("eu-order-for-payment")  # written in French for a German debtor, whatever the report's language
    assert [findings(check.run(eop, lang=lang), "translation-needed") for lang in ("fr", "de")] == \
        [[("translation-needed", "warning", "documents")]] * 2


# 11. Wording

def test_french_wording(case):
    report = check.run(case("eu-order-for-payment"))
    served = next(f for f in report.findings if f.code == "translation-needed")
    assert served.message == ("La langue du débiteur est l'allemand, mais ces documents seront rédigés en français : "
                              "le formulaire A de demande d'injonction de payer européenne.")
    root = edit(case("eu-order-for-payment"), ('iban = "FR7614508006910002184790333"', 'iban = "FR7614508006910002184790334"'))
    assert only(check.run(root), "invalid-identifier").message == \
        "Créancier : l'IBAN « FR7614508006910002184790334 » est invalide (clé de contrôle erronée)."


def test_german_wording(case, cli):
    root = edit(case("fr-injonction-de-payer"), ("issued = 2026-03-02\ndue = 2026-04-01", "issued = 2020-12-15\ndue = 2021-01-15"))
    prescribed = only(check.run(root, lang="de"), "prescribed")
    assert "ein Neubeginn oder eine Hemmung der Verjährung" in prescribed.fix and "Unterbrechung" not in prescribed.fix
    handover = check.run(case("agency-handover", debtor_country="DE", court="Landgericht München I"), lang="de")
    evidence = next(f for f in handover.findings if f.code == "translation-needed" and f.subject == "evidence")
    assert evidence.message.startswith("Einige Anlagen sind nicht in deutscher Sprache abgefasst, der Sprache des Gerichts: ")
    assert evidence.source == "§ 184 GVG; § 142 Abs. 3 ZPO"
    listing = cli("procedures", "fr-injonction-de-payer", "--lang", "de").stdout
    assert "Antrag auf Erlass eines Mahnbescheids" in listing and "Zahlungsbefehl" not in listing
    assert "die Anlage „Rechnung“" in listing and "jede von" not in listing


def test_the_count_of_findings_not_shown_has_its_plural(case):
    scans = {f"evidence/scan-{i:04d}.pdf": [{"text": f"? {i}"}] for i in range(6)}
    report = check.run(case("fr-injonction-de-payer", files=scans))
    text = report.to_text("Requête en injonction de payer")
    assert "… et 1 autre constat du même type (unclassified-evidence) :" in text and "1 autres" not in text
    scans[f"evidence/scan-{6:04d}.pdf"] = [{"text": "? 6"}]
    assert "… et 2 autres constats du même type" in check.run(case("fr-injonction-de-payer", files=scans)).to_text("x")
    english = check.run(case("fr-injonction-de-payer", files={k: v for k, v in list(scans.items())[:6]}), lang="en").to_text("x")
    assert "… and 1 more finding of the same kind" in english


# 12. No internal reference reaches the user

def test_no_internal_reference_in_any_finding(case, tmp_path):
    reports = [check.run(case("de-mahnverfahren", extra="""
    [insolvency]
    kind = "Insolvenzverfahren"
    judgment = 2026-09-01
    """))]
    reports.append(check.run(edit(case("fr-injonction-de-payer"), ("issued = 2026-03-02\ndue = 2026-04-01",
                                                                  "issued = 2020-12-15\ndue = 2021-01-15"))))
    reports.append(check.run(case("agency-handover", debtor_country="DE", files={"evidence/contrat-cadre.pdf": [{"text": "Contrat"}]})))
    reports.append(check.run(case("uk-letter-of-claim"), lang="en"))
    reports.append(check.run(case("ch-poursuite"), lang="de"))
    for report in reports:
        assert_user_facing(report)
    unconfirmed = next(f for f in reports[1].findings if f.code == "unconfirmed-rule")
    assert unconfirmed.message == "Ce résultat repose sur une règle établie seulement par des sources secondaires : C. com. art. L110-4."
    sample = tmp_path / "case-42"
    shutil.copytree(SAMPLE, sample, ignore=shutil.ignore_patterns("out"))
    sample_report = check.run(sample)
    assert_user_facing(sample_report)
    rates = [f for f in sample_report.findings if f.code == "unconfirmed-rule"]
    assert [f.source for f in rates] == ["ECB, monetary policy decision of June 2025; Deutsche Bundesbank, Basiszinssatz zum 1. Januar 2026",
                                         "ECB, Governing Council monetary policy decision of 11 June 2026"]
    text = sample_report.to_text("Requête en injonction de payer")
    assert "Fondement : evidence/" not in text and "http" not in text
    described = CliRunner().invoke(main, ["procedures", "agency-handover", "--lang", "fr"]).stdout
    assert "recouvre-docs convention" not in described and "@practice" not in described and "usage professionnel" in described


# ----------------------------------------------------------------------------------------------
# Smaller points of the audit


def test_a_notice_known_only_by_its_sending_date(case):
    root = edit(case("fr-injonction-de-payer"), ("date = 2026-06-01\nkind = \"formal-notice\"", "date = 2026-11-20\nkind = \"formal-notice\""),
                ("received = 2026-06-03\n", ""))
    recent = only(check.run(root), "notice-too-recent")
    assert (recent.severity, recent.subject) == ("warning", "formal-notice")
    assert recent.message.startswith("La mise en demeure a été envoyée le 20 novembre 2026, il y a 3 jours, et sa date de "
                                     "réception n'est pas connue")


def test_a_notice_dated_after_the_check(case):
    root = edit(case("fr-injonction-de-payer"), ("received = 2026-06-03", "received = 2026-12-03"),
                ("date = 2026-06-01\nkind = \"formal-notice\"", "date = 2026-12-01\nkind = \"formal-notice\""))
    report = check.run(root)
    future = only(report, "event-after-as-of")
    assert (future.severity, future.subject) == ("warning", "formal-notice")
    assert future.message == "La mise en demeure a été reçue le 3 décembre 2026, après la date du contrôle (23 novembre 2026)."
    assert not any("-10 jours" in f.message or "il y a -" in f.message for f in report.findings)


def test_a_creditor_whose_country_has_no_limitation_rule(case):
    root = edit(case("eu-order-for-payment"), ('country = "FR"\niban', 'country = "IT"\niban'))
    unchecked = only(check.run(root), "prescription-unchecked")
    assert (unchecked.severity, unchecked.subject) == ("info", "prescription")
    assert unchecked.message == ("La prescription n'a pas été contrôlée : aucun délai n'est enregistré pour le droit d'un "
                                 "créancier établi en Italie.")


def test_months_are_added_with_the_calendar():
    import datetime as dt

    from recouvre_docs.check.rules import add_months

    assert add_months(dt.date(2026, 8, 31), 1) == dt.date(2026, 9, 30)
    assert add_months(dt.date(2023, 12, 31), 2) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2099, 12, 31), 2) == dt.date(2100, 2, 28)  # 2100 is not a leap year
    assert add_months(dt.date(2026, 10, 15), 4) == dt.date(2027, 2, 15)


def test_a_check_of_a_case_folder_it_cannot_write_to_leaves_no_temporary_files(make_case, tmp_path):
    """Where out/.cache cannot be made (here out is a file), the check converts into a temporary
    folder, and removes it: nothing is left in the temporary directory."""
    import os
    import subprocess
    import sys

    case = make_case()
    (case / "out").write_text("not a folder")
    temp = tmp_path / "tmp"
    temp.mkdir()
    checked = subprocess.run([sys.executable, "-m", "recouvre_docs", "check", str(case), "--procedure", "agency-handover",
                              "--format", "json"], capture_output=True, text=True, env={**os.environ, "TMPDIR": str(temp)})
    assert checked.returncode in (0, 1), checked.stderr
    assert json.loads(checked.stdout)["case"] == "T-100"
    assert sorted(p.name for p in temp.iterdir()) == []


def test_the_folded_text_is_kept_beside_the_text_and_made_again_when_it_does_not_match(case, monkeypatch):
    """The rules read each piece's text lower-cased without accents (text.normalize), kept beside its
    text in the cache: a check reads it there; a folded text that is not the one of this text (another
    text, a damaged file) is made again. The findings are the same every time."""
    from recouvre_docs.evidence import text

    root = case("fr-refere-provision")
    first = check.run(root)
    clause = next(f for f in first.findings if f.code == "jurisdiction-clause")
    assert "Tribunal de commerce de Lyon" in clause.message
    kept = sorted((root / "out" / ".cache").glob(f"*{text.FOLDED_SUFFIX}"))
    assert kept, "no folded text kept"
    contract = next(k for k in kept if "tribunal de commerce de lyon" in k.read_text("utf-8"))
    head, _, body = contract.read_text("utf-8").partition("\n")
    assert "tribunal de commerce de lyon" in body and "Tribunal" not in body

    real = text.normalize
    folded_now = []
    monkeypatch.setattr(text, "normalize", lambda raw: folded_now.append(len(raw)) or real(raw))
    again = check.run(root)
    assert folded_now == [] and again.dumps() == first.dumps()  # every folded text read from the cache

    contract.write_text(head.rsplit(" ", 1)[0] + " " + "0" * 32 + "\n" + body, "utf-8")  # kept for another text
    damaged = next(k for k in kept if k != contract)
    damaged.write_text(damaged.read_text("utf-8")[:-5], "utf-8")  # cut short
    third = check.run(root)
    assert len(folded_now) == 2 and third.dumps() == first.dumps()
    assert contract.read_text("utf-8").partition("\n")[0] == head


def test_normalize_folds_each_character_to_one():
    from recouvre_docs.evidence import text

    raw = "Tribunal de Commerce — ÉVRY\u00a0Straße Œuvre ﬁn\t½"
    folded = text.normalize(raw)
    assert folded == "tribunal de commerce — evry straße œuvre fn 1" and len(folded) == len(raw)
