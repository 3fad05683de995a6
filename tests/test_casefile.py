"""case.toml: loading, validation, and the messages a user gets (exit 3, no output written)."""

from __future__ import annotations

import pytest

from recouvre_docs.casefolder import load_case
from recouvre_docs.errors import CaseFileError, ExitCode

INVOICE = """
[[invoice]]
number = "F2026-0117"
issued = 2026-03-02
due = 2026-04-01
amount = 18450.00
file = "evidence/contrat.pdf"
"""


def problems(case_dir) -> list[str]:
    with pytest.raises(CaseFileError) as info:
        load_case(case_dir)
    assert info.value.exit_code == ExitCode.CASE_INVALID
    return info.value.problems or [info.value.message]


def test_full_case_file_with_every_section_loads(make_case):
    case_dir = make_case(
        INVOICE
        + """
[representative]
name = "Maître Sophie Lambert"
firm = "Lambert Avocats"
bar = "Barreau de Lyon"

[[payment]]
date = 2026-05-15
amount = 5000
invoice = "F2026-0117"

[[event]]
date = 2026-06-01
kind = "formal-notice"
channel = "registered-letter"
received = 2026-06-03

[[evidence]]
file = "evidence/contrat.pdf"
kind = "contract"
title = "Contrat-cadre"
date = 2026-01-12
language = "fr"
number = 4

[insolvency]
kind = "redressement"
judgment = 2026-03-30
published = 2026-04-10
administrator = "Maître Léa Bernard"

[interest]
rate = 12.0
from = "formal-notice"
"""
    )
    folder = load_case(case_dir)
    case = folder.case
    assert case.invoice[0].amount == __import__("decimal").Decimal("18450.00")
    assert str(case.payment[0].amount) == "5000"
    assert case.event[0].received.isoformat() == "2026-06-03"
    assert case.evidence[0].number == 4
    assert case.insolvency.kind == "redressement"
    assert case.interest.from_ == "formal-notice"
    assert case.representative.firm == "Lambert Avocats"


def test_date_written_as_a_string_names_line_key_expected_and_found(make_case):
    case_dir = make_case(INVOICE.replace("issued = 2026-03-02", 'issued = "2026-03-02"'))
    [msg] = problems(case_dir)
    line = (case_dir / "case.toml").read_text().splitlines().index('issued = "2026-03-02"') + 1
    assert msg.startswith(f"case.toml:{line}: invoice[1].issued:")
    assert "expected a TOML date such as 2026-03-02 (without quotes)" in msg
    assert 'found the string "2026-03-02"' in msg


def test_unknown_evidence_kind_lists_the_vocabulary(make_case):
    case_dir = make_case('[[evidence]]\nfile = "evidence/contrat.pdf"\nkind = "delivery-slip"\n')
    [msg] = problems(case_dir)
    assert "evidence[1].kind: unknown evidence kind 'delivery-slip'" in msg
    assert "delivery-note" in msg and "purchase-order" in msg


def test_missing_creditor_name(make_case):
    case_dir = make_case()
    text = (case_dir / "case.toml").read_text().replace('name = "Dupont & Fils SARL"\n', "")
    (case_dir / "case.toml").write_text(text)
    [msg] = problems(case_dir)
    line = text.splitlines().index("[creditor]") + 1
    assert msg == f"case.toml:{line}: creditor.name: required, but missing"


def test_unknown_key_is_reported_with_a_suggestion(make_case):
    case_dir = make_case()
    path = case_dir / "case.toml"
    path.write_text(path.read_text().replace("address = [\"1 rue", "adress = [\"1 rue"))
    [msg] = problems(case_dir)
    assert "creditor.adress: unknown key; did you mean 'address'?" in msg


def test_unknown_section_is_reported(make_case):
    case_dir = make_case("[claimant]\nname = 'x'\n")
    [msg] = problems(case_dir)
    assert "claimant: unknown key" in msg


def test_file_that_does_not_exist_suggests_the_near_one(make_case):
    case_dir = make_case(INVOICE.replace("evidence/contrat.pdf", "evidence/contrats.pdf"))
    [msg] = problems(case_dir)
    assert "invoice[1].file: file 'evidence/contrats.pdf' does not exist; did you mean 'evidence/contrat.pdf'?" in msg


@pytest.mark.parametrize("path", ["../outside.pdf", "evidence/../../outside.pdf", "/etc/passwd"])
def test_path_leaving_the_case_folder_is_refused(make_case, tmp_path, path):
    (tmp_path / "outside.pdf").write_bytes(b"%PDF-1.4\n")
    case_dir = make_case(f'[[evidence]]\nfile = "{path}"\n')
    [msg] = problems(case_dir)
    assert "evidence[1].file" in msg
    assert ("leaves the case folder" in msg) or ("absolute path" in msg)


def test_several_problems_are_reported_together(make_case):
    case_dir = make_case(
        INVOICE.replace("amount = 18450.00", 'amount = "18450"').replace("due = 2026-04-01", "due = 2026-02-01")
        + '[[payment]]\ndate = 2026-05-15\namount = 10.005\ninvoice = "F2026-0118"\n'
    )
    msgs = problems(case_dir)
    joined = "\n".join(msgs)
    assert len(msgs) == 2, msgs  # the amount and the payment are type errors: cross-checks wait for them
    assert 'invoice[1].amount: expected a number such as 18450.00 (without quotes), found the string "18450"' in joined
    assert "payment[1].amount: expected at most 2 decimals, found 10.005" in joined


def test_cross_checks_due_before_issue_and_unknown_invoice(make_case):
    case_dir = make_case(
        INVOICE.replace("due = 2026-04-01", "due = 2026-02-01")
        + '[[payment]]\ndate = 2026-05-15\namount = 10\ninvoice = "F2026-0118"\n'
    )
    joined = "\n".join(problems(case_dir))
    assert "invoice[1].due: 2026-02-01 is before the issue date 2026-03-02" in joined
    assert "payment[1].invoice: no invoice numbered 'F2026-0118'; did you mean 'F2026-0117'?" in joined


def test_toml_syntax_error_gives_the_line(make_case):
    case_dir = make_case('[[invoice]]\nnumber = F2026\n')
    with pytest.raises(CaseFileError) as info:
        load_case(case_dir)
    assert "TOML syntax error" in info.value.message and "line" in info.value.message


def test_wrong_schema_and_missing_case_file(make_case, tmp_path):
    case_dir = make_case()
    path = case_dir / "case.toml"
    path.write_text(path.read_text().replace("schema = 1", "schema = 2"))
    assert "schema: expected schema = 1, found 2" in problems(case_dir)[0]
    with pytest.raises(CaseFileError, match="case.toml not found"):
        load_case(tmp_path)


def test_reference_must_be_usable_as_a_file_name(make_case):
    case_dir = make_case()
    path = case_dir / "case.toml"
    path.write_text(path.read_text().replace('"T-100"', '"../../etc/x"'))
    assert "case.reference: expected letters, digits" in problems(case_dir)[0]


def test_cli_exit_3_names_the_file_and_writes_nothing(make_case, cli):
    case_dir = make_case(INVOICE.replace("issued = 2026-03-02", 'issued = "2026-03-02"'))
    result = cli("build", case_dir)
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith("Error: case.toml is invalid (1 problem):")
    assert "invoice[1].issued" in result.stderr
    assert "Fix each line above in case.toml" in result.stderr
    assert not (case_dir / "out").exists()


def test_cli_exit_3_for_a_path_leaving_the_folder(make_case, cli):
    case_dir = make_case('[[evidence]]\nfile = "../../../etc/hostname"\n')
    result = cli("build", case_dir)
    assert result.exit_code == 3
    assert "leaves the case folder" in result.stderr
    assert not (case_dir / "out").exists()
