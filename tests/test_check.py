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
    for f in report.findings:
        assert f.message and f.fix and f.source


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


def test_build_refuses_on_an_error_unless_forced(case, tmp_path):
    root = case("fr-injonction-de-payer", drop=("evidence/bons-de-livraison/BL-1.pdf",))
    refused = CliRunner().invoke(main, ["build", str(root)])
    assert refused.exit_code == 1
    assert "bon de livraison" in refused.stderr and "--force" in refused.stderr
    assert not (root / "out" / "R-1.pdf").exists() and not (root / "out" / "report.json").exists()

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

