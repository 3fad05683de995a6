"""The claim: LEGAL.md's worked examples to the cent, the rules of each jurisdiction, properties of
the arithmetic (hypothesis), the statement as text, JSON and PDF."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tomllib
from decimal import Decimal

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from conftest import SAMPLE
from recouvre_docs import claim
from recouvre_docs.claim import render
from recouvre_docs.cli import main
from recouvre_docs.errors import CaseFileError
from recouvre_docs.models import Case

D = Decimal


def case(country="FR", invoices=(), payments=(), notices=(), consumer=False, extra="", private=False) -> Case:
    """A Case read the way case.toml is read (TOML with Decimal floats)."""
    text = f'''schema = 1
[case]
reference = "WE"
language = "fr"
[creditor]
name = "Créancier SAS"
country = "{country}"
private = {str(private).lower()}
[debtor]
name = "Débiteur SARL"
country = "{country}"
consumer = {str(consumer).lower()}
'''
    for number, issued, due, amount, currency in invoices:
        text += f'[[invoice]]\nnumber = "{number}"\nissued = {issued}\ndue = {due}\namount = {amount}\ncurrency = "{currency}"\n'
    for p in payments:
        date, amount, *invoice = p
        text += f"[[payment]]\ndate = {date}\namount = {amount}\n" + (f'invoice = "{invoice[0]}"\n' if invoice else "")
    for date, received in notices:
        text += f'[[event]]\ndate = {date}\nkind = "formal-notice"\nreceived = {received}\n'
    return Case.model_validate(tomllib.loads(text + extra, parse_float=Decimal))


def lines(statement):
    return [(str(ln.start), str(ln.end), ln.days, str(ln.rate), str(ln.interest)) for ln in statement.lines]


# ----------------------------------------------------------------------------------------------
# LEGAL.md Part 1: the worked examples, to the cent


def test_we1_france_business_across_a_half_year():
    s = claim.compute(case("FR", [("F", "2024-05-01", "2024-05-31", "5000.00", "EUR")]), dt.date(2024, 9, 30))
    assert lines(s) == [("2024-06-01", "2024-06-30", 30, "14.50", "59.59"), ("2024-07-01", "2024-09-30", 92, "14.25", "179.59")]
    assert (s.interest, s.fixed_compensation, s.total) == (D("239.18"), D("40.00"), D("5279.18"))
    assert s.source == "C. com. art. L441-10" and s.fixed_source == "C. com. art. D441-5"


def test_we2_france_partial_payment_imputed_to_interest_first():
    s = claim.compute(case("FR", [("F", "2025-01-01", "2025-01-31", "10000.00", "EUR")], payments=[("2025-03-02", "4000.00")]),
                      dt.date(2025, 4, 30))
    assert lines(s) == [("2025-02-01", "2025-03-02", 30, "13.15", "108.08"), ("2025-03-03", "2025-04-30", 59, "13.15", "129.83")]
    assert s.payments[0].parts == [{"invoice": "F", "costs": D(0), "interest": D("108.08"), "principal": D("3891.92")}]
    assert (s.principal_outstanding, s.interest_outstanding, s.fixed_outstanding, s.total) == (
        D("6108.08"), D("129.83"), D("40.00"), D("6277.91"))
    assert s.imputation_source == "C. civ. art. 1343-1"


def test_we3_germany_business():
    # due 15 May 2024: default at the latest on the 31st day after it, 15 June 2024 (§ 286 Abs. 3 BGB)
    s = claim.compute(case("DE", [("R", "2024-05-01", "2024-05-15", "8000.00", "EUR")]), dt.date(2025, 1, 31))
    assert lines(s) == [("2024-06-15", "2024-06-30", 16, "12.62", "44.26"), ("2024-07-01", "2024-12-31", 184, "12.37", "498.87"),
                        ("2025-01-01", "2025-01-31", 31, "11.27", "76.57")]
    assert (s.interest, s.fixed_compensation, s.total) == (D("619.70"), D("40.00"), D("8659.70"))
    # the Basiszinssatz of 1 July 2024 is only derived in LEGAL.md (🟡): the statement names it
    assert [(r.file, str(r.effective)) for r in s.unconfirmed] == [("recouvre_docs/data/rates/de-basiszins.csv", "2024-07-01")]


def test_we4_england_rate_fixed_for_the_life_of_the_debt():
    s = claim.compute(case("GB", [("INV", "2024-01-30", "2024-02-29", "2500.00", "GBP")]), dt.date(2024, 5, 31))
    assert lines(s) == [("2024-03-01", "2024-05-31", 92, "13.25", "83.49")]
    assert (s.interest, s.fixed_compensation, s.total, s.currency) == (D("83.49"), D("70.00"), D("2653.49"), "GBP")
    later = claim.compute(case("GB", [("INV", "2024-01-30", "2024-02-29", "2500.00", "GBP")]), dt.date(2025, 3, 31))
    assert {ln.rate for ln in later.lines} == {D("13.25")}  # no re-indexing by half-year


def test_we5_france_consumer_from_the_formal_notice():
    s = claim.compute(case("FR", [("F", "2024-09-01", "2024-09-30", "1200.00", "EUR")], notices=[("2024-10-10", "2024-10-15")],
                           consumer=True), dt.date(2025, 2, 28))
    assert lines(s) == [("2024-10-16", "2024-12-31", 77, "4.92", "12.46"), ("2025-01-01", "2025-02-28", 59, "3.71", "7.20")]
    assert (s.interest, s.fixed_compensation, s.total) == (D("19.66"), D("0.00"), D("1219.66"))


# ----------------------------------------------------------------------------------------------
# Rules of each jurisdiction


def test_a_consumer_without_formal_notice_owes_no_interest():
    s = claim.compute(case("FR", [("F", "2024-09-01", "2024-09-30", "1200.00", "EUR")], consumer=True), dt.date(2025, 2, 28))
    assert s.lines == [] and s.total == D("1200.00") and s.notes


def test_a_private_creditor_takes_the_particuliers_column():
    s = claim.compute(case("FR", [("F", "2024-09-01", "2024-09-30", "1200.00", "EUR")], notices=[("2024-10-10", "2024-10-15")],
                           consumer=True, private=True), dt.date(2024, 12, 31))
    assert {ln.rate for ln in s.lines} == {D("8.16")}


def test_a_contractual_rate_and_the_french_floor():
    base = [("F", "2025-01-01", "2025-01-31", "10000.00", "EUR")]
    s = claim.compute(case("FR", base, extra="[interest]\nrate = 15.0\n"), dt.date(2025, 3, 31))
    assert {ln.rate for ln in s.lines} == {D("15.0")}
    low = claim.compute(case("FR", base, extra="[interest]\nrate = 5.0\n"), dt.date(2025, 3, 31))
    assert {ln.rate for ln in low.lines} == {D("11.13")}  # 3 × 3.71 (taux légal 2025 S1, autres cas)
    assert "L441-10 II" in low.lines[0].source


def test_germany_consumer_is_five_points_and_needs_a_notice():
    invoices = [("R", "2025-01-01", "2025-01-15", "1000.00", "EUR")]
    none = claim.compute(case("DE", invoices, consumer=True), dt.date(2025, 6, 30))
    assert none.lines == [] and none.fixed_compensation == 0
    s = claim.compute(case("DE", invoices, consumer=True, notices=[("2025-02-01", "2025-02-03")]), dt.date(2025, 6, 30))
    assert lines(s)[0][:4] == ("2025-02-04", "2025-06-30", 147, "7.27")  # 2.27 + 5 (§ 288 Abs. 1 BGB)


def test_switzerland_five_percent_from_the_notice_no_fixed_sum():
    s = claim.compute(case("CH", [("F", "2025-01-01", "2025-01-31", "1000.00", "CHF")], notices=[("2025-03-01", "2025-03-04")]),
                      dt.date(2025, 12, 31))
    assert lines(s) == [("2025-03-05", "2025-12-31", 302, "5", "41.37")]
    assert s.fixed_compensation == 0 and s.source == "CO art. 104 al. 1"


def test_other_eu_business_is_ecb_plus_eight():
    s = claim.compute(case("BE", [("F", "2025-01-01", "2025-01-31", "1000.00", "EUR")]), dt.date(2025, 3, 31))
    assert {ln.rate for ln in s.lines} == {D("11.15")} and s.fixed_compensation == D("40.00")
    assert s.rule == "EU.business"


def test_england_fixed_sums_by_band():
    def fixed(amount):
        return claim.compute(case("GB", [("I", "2024-01-01", "2024-02-29", amount, "GBP")]), dt.date(2024, 3, 31)).fixed_compensation

    assert (fixed("999.99"), fixed("1000.00"), fixed("9999.99"), fixed("10000.00")) == (D("40.00"), D("70.00"), D("70.00"), D("100.00"))


def test_unnamed_payments_go_to_the_oldest_invoice_and_overflow_to_the_next():
    s = claim.compute(case("FR", [("B", "2025-02-01", "2025-02-28", "500.00", "EUR"), ("A", "2025-01-01", "2025-01-31", "300.00", "EUR")],
                           payments=[("2025-01-20", "600.00")]), dt.date(2025, 3, 31))
    assert [p["invoice"] for p in s.payments[0].parts] == ["A", "B"]
    assert {i.number: i.balance for i in s.invoices} == {"A": D("0.00"), "B": D("200.00")}
    assert s.fixed_compensation == D("40.00")  # A was paid before its due date: only B is late


def test_a_date_beyond_the_last_known_rate_names_the_series(tmp_path):
    c = case("FR", [("F", "2026-01-01", "2026-01-31", "1000.00", "EUR")])
    with pytest.raises(claim.RateMissingError) as err:
        claim.compute(c, dt.date(2027, 2, 1))
    assert "ecb-mro" in err.value.message and "2027-01-01" in err.value.message
    assert "rates/ecb-mro.csv" in err.value.hint
    # the case folder may add the row itself, saying how far it is known (data/rates/series.toml)
    (tmp_path / "rates").mkdir()
    (tmp_path / "rates" / "ecb-mro.csv").write_text(
        "effective,rate,status,source,note,known_until\n2026-12-16,2.65,confirmed,https://www.ecb.europa.eu/,,2027-02-01\n")
    s = claim.compute(c, dt.date(2027, 2, 1), tmp_path)
    assert s.lines[-1].rate == D("12.65")


def test_the_french_taux_legal_of_2026_s2_is_missing():
    c = case("FR", [("F", "2026-05-01", "2026-05-31", "1000.00", "EUR")], notices=[("2026-06-05", "2026-06-08")], consumer=True)
    with pytest.raises(claim.RateMissingError) as err:
        claim.compute(c, dt.date(2026, 8, 1))
    assert "fr-taux-legal" in err.value.message and "2026 S2" in err.value.message


# ----------------------------------------------------------------------------------------------
# Properties (hypothesis)

DAYS = st.integers(min_value=0, max_value=900)
AMOUNTS = st.decimals(min_value=D("1.00"), max_value=D("99999.99"), places=2)
START = dt.date(2023, 1, 1)


def _one(amount, due_offset, as_of_offset, payments=()):
    due = START + dt.timedelta(days=due_offset)
    return case("FR", [("F", START, due, amount, "EUR")], payments=payments), START + dt.timedelta(days=as_of_offset)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(AMOUNTS, st.integers(0, 200), st.integers(0, 1200), st.integers(1, 1200))
def test_splitting_a_period_changes_the_total_by_at_most_one_rounding_per_split(amount, due_offset, split, length):
    c, as_of = _one(amount, due_offset, due_offset + length)
    whole = claim.compute(c, as_of)
    rule = claim.rule_for(c)
    rates = claim._Rates(c, rule, None)
    inv = claim.InvoiceState(number="F", issued=START, due=c.invoice[0].due, amount=amount,
                             start=claim.interest_start(c, rule, c.invoice[0].due), balance=amount)
    claim._accrue(inv, min(as_of, START + dt.timedelta(days=due_offset + split)), rates, "actual/365")
    claim._accrue(inv, as_of, rates, "actual/365")
    splits = len(inv.lines) - len(whole.lines)
    assert splits in (0, 1)
    assert abs(inv.interest - whole.interest) <= D("0.01") * splits


@settings(max_examples=60, deadline=None)
@given(AMOUNTS, st.integers(0, 200), DAYS, DAYS)
def test_interest_grows_with_time(amount, due_offset, a, b):
    c, _ = _one(amount, due_offset, 0)
    early, late = sorted((a, b))
    first = claim.compute(c, START + dt.timedelta(days=due_offset + early))
    second = claim.compute(c, START + dt.timedelta(days=due_offset + late))
    assert first.interest <= second.interest and first.total <= second.total


@settings(max_examples=40, deadline=None)
@given(AMOUNTS, st.integers(1, 200), st.integers(0, 200), DAYS)
def test_an_invoice_paid_before_its_due_date_bears_nothing(amount, due_offset, paid_before, after):
    paid_on = START + dt.timedelta(days=max(0, due_offset - paid_before))
    c, as_of = _one(amount, due_offset, due_offset + after, payments=[(paid_on, amount)])
    s = claim.compute(c, as_of)
    assert s.interest == 0 and s.fixed_compensation == 0 and s.total == 0


@settings(max_examples=60, deadline=None)
@given(AMOUNTS, st.integers(0, 200), st.lists(st.tuples(st.integers(0, 900), AMOUNTS), max_size=4), st.integers(0, 900))
def test_a_payment_never_makes_a_balance_negative(amount, due_offset, pays, after):
    payments = [(START + dt.timedelta(days=d), a) for d, a in pays]
    c, as_of = _one(amount, due_offset, due_offset + after, payments=payments)
    s = claim.compute(c, as_of)
    for inv in s.invoices:
        assert inv.balance >= 0 and inv.interest - inv.interest_paid >= 0 and inv.fixed - inv.fixed_paid >= 0
    assert all(p.unused >= 0 for p in s.payments)
    assert s.total >= 0
    assert s.total == s.principal + s.interest + s.fixed_compensation - s.paid


# ----------------------------------------------------------------------------------------------
# The statement: CLI text, JSON, PDF in the bundle


@pytest.fixture
def sample(tmp_path):
    root = tmp_path / "case-42"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("out"))
    return root


def test_claim_of_the_sample_reads_as_a_french_statement(sample):
    result = CliRunner().invoke(main, ["claim", str(sample)])
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert text.startswith("Décompte des sommes dues — CASE-42 — arrêté au 23 novembre 2026")
    assert "imputé sur la facture F2026-0117\u00a0: intérêts 270,23\u00a0€, principal 4\u202f729,77\u00a0€" in text
    assert "F2026-0117  02/04/2026  15/05/2026     44  18\u202f450,00\u00a0€  12,15\u00a0%  270,23\u00a0€" in text
    assert "Total dû au 23 novembre 2026" in text and "22\u202f432,68\u00a0€" in text
    assert "Taux à confirmer avant signature" in text  # the 2026 ECB rates are secondary-source only


def test_claim_json_matches_the_design(sample):
    result = CliRunner().invoke(main, ["claim", str(sample), "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    for key in ("currency", "as_of", "principal", "paid", "interest", "fixed_compensation", "total", "lines"):
        assert key in data
    assert (data["currency"], data["as_of"], data["principal"], data["paid"]) == ("EUR", "2026-11-23", "25686.00", "5000.00")
    assert (data["interest"], data["fixed_compensation"], data["total"]) == ("1666.68", "80.00", "22432.68")
    assert data["lines"][0] == {"invoice": "F2026-0117", "from": "2026-04-02", "to": "2026-05-15", "days": 44,
                                "base": "18450.00", "rate": "12.15", "interest": "270.23", "source": "C. com. art. L441-10",
                                # added keys: how the rate was found
                                "basis": "statutory", "series": "ecb-mro", "reference_rate": "2.15", "margin": "10"}
    assert all(isinstance(v, str) for v in (data["principal"], data["interest"], data["total"]))  # never floats


def test_claim_beyond_the_known_rates_is_exit_3(sample):
    result = CliRunner().invoke(main, ["claim", str(sample), "--as-of", "2027-02-01"])
    assert result.exit_code == 3
    assert "ecb-mro" in result.stderr and "rates/ecb-mro.csv" in result.stderr


def test_the_statement_is_in_the_bundle_after_the_cover(sample):
    result = CliRunner().invoke(main, ["build", str(sample)])
    assert result.exit_code == 0, result.stderr
    reader = PdfReader(str(sample / "out" / "CASE-42.pdf"))
    texts = [page.extract_text() for page in reader.pages[:12]]  # however long the documents before it
    at = next(i for i, text in enumerate(texts) if "Décompte des sommes dues" in text and "Jours" in text)
    page = texts[at]
    assert "CASE-42 — arrêté au 23 novembre 2026" in page
    assert "1\u202f666,68\u00a0€" in page and "22\u202f432,68\u00a0€" in page
    assert "Taux appliqués" in page and "en vigueur au 1er janvier 2026, soit 2,15\u00a0%" in page
    assert "Taux à confirmer" not in page  # a note to the lawyer (the check warns), not for the court
    assert "Bordereau de pièces" in texts[at + 1]  # after the documents and the statement comes the index


def test_an_english_consumer_debt_bears_no_statutory_interest_but_a_contractual_rate_applies():
    invoices = [("I", "2025-01-01", "2025-01-31", "1000.00", "GBP")]
    none = claim.compute(case("GB", invoices, consumer=True), dt.date(2025, 3, 31))
    assert none.lines == [] and none.fixed_compensation == 0 and none.total == D("1000.00")
    assert [n.text("en", "GBP") for n in none.notes] == [
        "Invoice I: no statutory interest, as the Act applies to debts between businesses only "
        "(Late Payment of Commercial Debts (Interest) Act 1998 s. 1)"]
    agreed = claim.compute(case("GB", invoices, consumer=True, extra="[interest]\nrate = 8.0\n"), dt.date(2025, 3, 31))
    assert lines(agreed) == [("2025-02-01", "2025-03-31", 59, "8.0", "12.93")]
    elsewhere = claim.compute(case("US", invoices, extra="[interest]\nrate = 8.0\n"), dt.date(2025, 3, 31))
    assert elsewhere.rule == "contract" and elsewhere.interest == D("12.93")


# ----------------------------------------------------------------------------------------------
# Audit fixes (each test failed before its fix)


def test_a_payment_after_as_of_is_left_out_and_the_statement_says_so():
    c = case("FR", [("F", "2025-01-01", "2025-01-31", "10000.00", "EUR")], payments=[("2025-06-01", "4000.00")])
    s = claim.compute(c, dt.date(2025, 4, 30))
    # 10,000.00 × 13.15 % × 89 / 365 = 320.64, plus the 40.00 of D441-5: the payment of June is not yet made
    assert lines(s) == [("2025-02-01", "2025-04-30", 89, "13.15", "320.64")]
    assert (s.paid, s.principal_outstanding, s.total) == (D("0"), D("10000.00"), D("10360.64"))
    text = render.to_text(s, c, "fr")
    assert "1 règlement postérieur au 30 avril 2025 non pris en compte" in text
    assert "Règlement du 1er juin 2025" not in text
    data = s.to_json()
    assert (data["paid"], data["total"], data["payments"]) == ("0.00", "10360.64", [])
    assert data["notes"] == ["1 règlement postérieur au 30 avril 2025 non pris en compte (4\u202f000,00\u00a0€)"]
    assert "1 payment made after 30 April 2025 not taken into account" in render.to_text(s, c, "en")
    # the same payment, as of a later date, counts
    later = claim.compute(c, dt.date(2025, 6, 30))
    assert later.paid == D("4000.00") and later.notes == []


def test_a_row_the_case_folder_adds_is_known_only_as_far_as_it_says(tmp_path):
    c = case("FR", [("F", "2026-01-01", "2026-01-31", "1000.00", "EUR")])
    (tmp_path / "rates").mkdir()
    local = tmp_path / "rates" / "ecb-mro.csv"
    # the row the error hint asks for: a change of the ECB rate on 16 December 2026, nothing said of later
    local.write_text("effective,rate,status,source,note\n2026-12-16,2.65,confirmed,https://www.ecb.europa.eu/,\n")
    with pytest.raises(claim.RateMissingError) as err:
        claim.compute(c, dt.date(2030, 12, 31), tmp_path)
    assert "ecb-mro" in err.value.message and "2027-01-01" in err.value.message
    assert "known up to 2026-12-16" in err.value.message
    assert "rates/ecb-mro.csv" in err.value.hint and "known_until" in err.value.hint
    # known_until: the last day the rate is known to be in force; not one day more
    local.write_text("effective,rate,status,source,note,known_until\n"
                     "2026-12-16,2.65,confirmed,https://www.ecb.europa.eu/,,2027-02-01\n")
    s = claim.compute(c, dt.date(2027, 6, 30), tmp_path)
    assert [ln.rate for ln in s.lines][-1] == D("12.65")  # 2027 H1: the rate in force on 1 January 2027
    with pytest.raises(claim.RateMissingError) as err:
        claim.compute(c, dt.date(2030, 12, 31), tmp_path)
    assert "2027-07-01" in err.value.message and "known up to 2027-02-01" in err.value.message


def test_a_half_yearly_row_covers_its_own_half_year_only(tmp_path):
    c = case("DE", [("R", "2026-01-01", "2026-01-15", "1000.00", "EUR")])
    (tmp_path / "rates").mkdir()
    (tmp_path / "rates" / "de-basiszins.csv").write_text(
        "effective,rate,status,source,note\n2027-01-01,1.77,confirmed,https://www.bundesbank.de/,\n")
    s = claim.compute(c, dt.date(2027, 6, 30), tmp_path)
    assert lines(s)[-1][:4] == ("2027-01-01", "2027-06-30", 181, "10.77")
    with pytest.raises(claim.RateMissingError) as err:
        claim.compute(c, dt.date(2027, 7, 1), tmp_path)
    assert "de-basiszins" in err.value.message and "2027-07-01" in err.value.message


def test_cli_a_single_added_row_does_not_silence_the_missing_rate(sample):
    (sample / "rates").mkdir()
    (sample / "rates" / "ecb-mro.csv").write_text("effective,rate,status,source,note\n2026-12-16,2.65,confirmed,https://www.ecb.europa.eu/,\n")
    result = CliRunner().invoke(main, ["claim", str(sample), "--as-of", "2030-12-31"])
    assert result.exit_code == 3, result.stdout
    assert "ecb-mro" in result.stderr and "2027-01-01" in result.stderr and "known_until" in result.stderr


@pytest.mark.parametrize("country", ["CZ", "DK", "HU", "PL", "RO", "SE"])
def test_other_eu_business_outside_the_euro_area_is_not_given_the_ecb_rate(country):
    c = case(country, [("F", "2025-01-01", "2025-01-31", "1000.00", "EUR")])
    with pytest.raises(CaseFileError) as err:
        claim.compute(c, dt.date(2025, 3, 31))
    assert "national central bank" in err.value.message and country in err.value.message
    assert f"rates/ncb-{country.lower()}.csv" in err.value.hint
    assert err.value.exit_code == 3


def test_a_state_that_joined_the_euro_takes_the_ecb_rate_from_the_day_it_joined():
    # Croatia joined on 1 January 2023 (data/jurisdictions.toml): 2023 H1 is ECB + 8, 2022 H2 is not
    s = claim.compute(case("HR", [("F", "2023-01-01", "2023-01-31", "1000.00", "EUR")]), dt.date(2023, 3, 31))
    assert {ln.rate for ln in s.lines} == {D("10.50")} and s.rule == "EU.business"  # 2.50 on 1 January 2023 + 8
    with pytest.raises(CaseFileError) as err:
        claim.compute(case("HR", [("F", "2022-10-01", "2022-10-31", "1000.00", "EUR")]), dt.date(2023, 3, 31))
    assert "national central bank" in err.value.message and "2022-07-01" in err.value.message


def test_a_case_folder_may_give_the_national_reference_rate(tmp_path):
    (tmp_path / "rates").mkdir()
    (tmp_path / "rates" / "ncb-pl.csv").write_text(
        "effective,rate,status,source,note,known_until\n2024-10-03,5.75,confirmed,https://www.nbp.pl/,,2025-06-30\n")
    c = case("PL", [("F", "2025-01-01", "2025-01-31", "1000.00", "EUR")])
    s = claim.compute(c, dt.date(2025, 3, 31), tmp_path)
    assert lines(s) == [("2025-02-01", "2025-03-31", 59, "13.75", "22.23")]
    assert s.series == ["ncb-pl"]
    assert (f"13,75\u00a0%\u00a0= taux de référence de la banque centrale nationale (Pologne) en vigueur au 1er janvier 2025, "
            f"soit 5,75\u00a0%, majoré de 8\u00a0points") in render.to_text(s, c, "fr")


def test_cli_a_polish_creditor_is_exit_3_with_the_series_to_add(tmp_path):
    root = tmp_path / "pl"
    (root / "evidence").mkdir(parents=True)
    (root / "case.toml").write_text('''schema = 1
[case]
reference = "PL-1"
language = "en"
as_of = 2025-03-31
[creditor]
name = "Dostawca sp. z o.o."
country = "PL"
[debtor]
name = "Buyer GmbH"
country = "DE"
[[invoice]]
number = "F1"
issued = 2025-01-01
due = 2025-01-31
amount = 1000.00
currency = "EUR"
''')
    result = CliRunner().invoke(main, ["claim", str(root)])
    assert result.exit_code == 3, result.stdout
    assert "national central bank" in result.stderr and "rates/ncb-pl.csv" in result.stderr


def test_a_fixed_sum_in_another_currency_than_the_invoices_is_refused_not_added():
    # England and Wales, an invoice in EUR: s. 5A's 40/70/100 GBP cannot be added to a EUR total
    with pytest.raises(CaseFileError) as err:
        claim.compute(case("GB", [("INV-7", "2024-01-30", "2024-02-29", "2500.00", "EUR")]), dt.date(2024, 5, 31))
    assert "INV-7" in err.value.message and "GBP" in err.value.message and "EUR" in err.value.message
    assert err.value.exit_code == 3
    # France, an invoice in USD: D441-5's 40 EUR is not 40 USD
    with pytest.raises(CaseFileError) as err:
        claim.compute(case("FR", [("F-9", "2025-01-01", "2025-01-31", "1000.00", "USD")]), dt.date(2025, 3, 31))
    assert "F-9" in err.value.message and "40.00 EUR" in err.value.message and "USD" in err.value.message
    # no fixed sum is due (paid on time; a consumer): nothing to refuse
    on_time = claim.compute(case("FR", [("F", "2025-01-01", "2025-01-31", "1000.00", "USD")],
                                 payments=[("2025-01-20", "1000.00")]), dt.date(2025, 3, 31))
    assert on_time.total == 0
    consumer = claim.compute(case("GB", [("I", "2025-01-01", "2025-01-31", "1000.00", "EUR")], consumer=True), dt.date(2025, 3, 31))
    assert consumer.total == D("1000.00") and consumer.currency == "EUR"


def test_cli_a_gbp_fixed_sum_on_a_eur_invoice_is_exit_3(sample):
    text = (sample / "case.toml").read_text("utf-8").replace('country = "FR"\nemail', 'country = "GB"\nemail', 1)
    (sample / "case.toml").write_text(text, "utf-8")
    result = CliRunner().invoke(main, ["claim", str(sample), "--format", "json"])
    assert result.exit_code == 3 and result.stdout == ""
    assert "GBP" in result.stderr and "F2026-0117" in result.stderr


NB = "\u00a0"


def test_the_sample_statement_shows_the_working_in_french_with_no_internal_reference(sample):
    text = CliRunner().invoke(main, ["claim", str(sample)]).stdout
    assert "LEGAL.md" not in text and "[interest]" not in text
    assert f"Règlement du 15 mai 2026{NB}: 5\u202f000,00{NB}€" in text
    assert "Règlements reçus, imputés sur les intérêts, puis sur le principal (C. civ. art. 1343-1)" in text
    assert f"Taux appliqués{NB}:" in text
    assert (f"12,15{NB}%{NB}= taux de la BCE (opérations principales de refinancement) en vigueur au 1er janvier 2026, "
            f"soit 2,15{NB}%, majoré de 10{NB}points") in text
    assert f"12,40{NB}%{NB}= taux de la BCE (opérations principales de refinancement) en vigueur au 1er juillet 2026" in text
    # the unconfirmed ECB rate of 17 June 2026 rests on secondary files only: said in French, not as "LEGAL.md"
    assert (f"taux de la BCE (opérations principales de refinancement) de 2,40{NB}%, en vigueur depuis le 17 juin 2026{NB}: "
            "source secondaire, à vérifier sur la publication officielle") in text
    assert f"2 factures impayées à l'échéance{NB}: 2 × 40,00{NB}€ = 80,00{NB}€" in text


def test_a_contractual_rate_is_shown_as_contractual_and_the_floor_is_explained():
    base = [("F", "2026-01-01", "2026-01-31", "10000.00", "EUR")]
    c = case("FR", base, extra="[interest]\nrate = 15.0\n")
    text = render.to_text(claim.compute(c, dt.date(2026, 3, 31)), c, "fr")
    assert "Intérêts de retard (taux conventionnel)" in text and "L441-10)" not in text
    assert (f"15,00{NB}%{NB}= taux conventionnel, au moins égal au minimum légal de 3{NB}× 2,62{NB}% = 7,86{NB}% "
            "(C. com. art. L441-10 II)") in text
    low = case("FR", base, extra="[interest]\nrate = 5.0\n")
    s = claim.compute(low, dt.date(2026, 3, 31))
    assert {ln.rate for ln in s.lines} == {D("7.86")}
    text = render.to_text(s, low, "fr")
    assert "Intérêts de retard (C. com. art. L441-10 II)" in text
    assert (f"7,86{NB}%{NB}= 3{NB}× taux de l'intérêt légal applicable aux créanciers autres que les particuliers, "
            f"premier semestre 2026, soit 3{NB}× 2,62{NB}%{NB}: minimum légal, le taux conventionnel de 5,00{NB}% "
            "lui étant inférieur") in text
    assert s.to_json()["lines"][0]["basis"] == "floor"


def test_rules_without_a_statutory_imputation_source_cite_none_and_name_no_internal_file():
    gb = case("GB", [("INV", "2024-01-30", "2024-02-29", "2500.00", "GBP")], payments=[("2024-04-01", "500.00")])
    s = claim.compute(gb, dt.date(2024, 5, 31))
    text = render.to_text(s, gb, "en")
    assert "LEGAL.md" not in text and "LEGAL.md" not in json.dumps(s.to_json())
    assert "Payments received, applied to principal\n" in text
    assert ("13.25% = Bank of England reference rate, first half of 2024, 5.25%, plus 8 percentage points, "
            "fixed for the life of the debt") in text
    be = case("BE", [("F", "2025-01-01", "2025-01-31", "1000.00", "EUR")], payments=[("2025-03-01", "100.00")])
    s = claim.compute(be, dt.date(2025, 3, 31))
    assert "LEGAL.md" not in render.to_text(s, be, "fr") + json.dumps(s.to_json())
    us = case("US", [("I", "2025-01-01", "2025-01-31", "1000.00", "USD")], extra="[interest]\nrate = 8.0\n")
    s = claim.compute(us, dt.date(2025, 3, 31))
    text = render.to_text(s, us, "en")
    assert "Late-payment interest (contractual rate)" in text and "[interest]" not in text
    assert s.to_json()["lines"][0]["source"] == "contract"


def test_the_german_statement_shows_basiszinssatz_plus_points():
    c = case("DE", [("R", "2024-05-01", "2024-05-15", "8000.00", "EUR")])
    text = render.to_text(claim.compute(c, dt.date(2025, 1, 31)), c, "de")
    assert f"12,62{NB}% = Basiszinssatz, 1. Halbjahr 2024, 3,62{NB}%, zuzüglich 9 Prozentpunkte" in text
    assert "Eingegangene Zahlungen" not in text  # no payment, no heading
    assert "Verzugszinsen (§ 288 Abs. 2 BGB)" in text


@pytest.mark.parametrize("country, name", [("RE", "La Réunion"), ("GP", "Guadeloupe"), ("MQ", "Martinique"),
                                           ("GF", "Guyane française"), ("YT", "Mayotte")])
def test_a_creditor_in_an_overseas_department_takes_the_french_rules_and_the_statement_says_so(country, name):
    c = case(country, [("F", "2024-05-01", "2024-05-31", "5000.00", "EUR")])
    s = claim.compute(c, dt.date(2024, 9, 30))  # LEGAL.md WE1, to the cent
    assert lines(s) == [("2024-06-01", "2024-06-30", 30, "14.50", "59.59"), ("2024-07-01", "2024-09-30", 92, "14.25", "179.59")]
    assert (s.rule, s.total) == ("FR.business", D("5279.18"))
    text = render.to_text(s, c, "fr")
    assert f"Pays du créancier{NB}: {name} — règles du droit français appliquées" in text
    assert "Constitution, art. 73" in text and "no late-payment" not in text
    consumer = claim.compute(case(country, [("F", "2024-09-01", "2024-09-30", "1200.00", "EUR")], consumer=True,
                                  notices=[("2024-10-10", "2024-10-15")]), dt.date(2025, 2, 28))
    assert (consumer.rule, consumer.total) == ("FR.consumer", D("1219.66"))  # LEGAL.md WE5


@pytest.mark.parametrize("country", ["PM", "BL", "MF", "NC", "PF", "WF"])
def test_a_creditor_in_an_overseas_collectivity_gets_a_clear_error_not_a_guess(country):
    c = case(country, [("F", "2024-05-01", "2024-05-31", "5000.00", "EUR")])
    with pytest.raises(CaseFileError) as err:
        claim.compute(c, dt.date(2024, 9, 30))
    assert country in err.value.message and "overseas collectivit" in err.value.message
    assert "[interest] rate" in err.value.hint and err.value.exit_code == 3
    agreed = claim.compute(case(country, [("F", "2024-05-01", "2024-05-31", "5000.00", "EUR")], extra="[interest]\nrate = 10.0\n"),
                           dt.date(2024, 9, 30))
    assert agreed.rule == "contract" and agreed.interest == D("167.12")  # 5,000 × 10 % × 122 / 365


@pytest.mark.parametrize("content, where, expected", [
    ("effective,rate,source\n2026-12-16,2.65,https://www.ecb.europa.eu/\n", "rates/ecb-mro.csv:1", "status"),
    ("effective,rate,status,source,note\n2026-12-16,2.65,confirmed,https://www.ecb.europa.eu/,\n16/12/2026,2.65,confirmed,x,\n",
     "rates/ecb-mro.csv:3", "2026-12-16"),
    ("# a comment\neffective,rate,status,source,note\n2026-12-16,\"2,65\",confirmed,https://www.ecb.europa.eu/,\n",
     "rates/ecb-mro.csv:3", "2.65"),
    ("effective,rate,status,source,note\n2026-12-16,2.65,sure,https://www.ecb.europa.eu/,\n", "rates/ecb-mro.csv:2", "confirmed"),
    ("effective,rate,status,source,note,known_until\n2026-12-16,2.65,confirmed,https://www.ecb.europa.eu/,,31.12.2026\n",
     "rates/ecb-mro.csv:2", "known_until"),
])
def test_a_bad_case_folder_rates_csv_is_exit_3_naming_file_line_and_format(sample, content, where, expected):
    (sample / "rates").mkdir()
    (sample / "rates" / "ecb-mro.csv").write_text(content)
    result = CliRunner().invoke(main, ["claim", str(sample)])
    assert result.exit_code == 3, (result.exit_code, result.stderr)
    assert where in result.stderr and expected in result.stderr and "internal error" not in result.stderr


def test_actual_actual_counts_366_days_in_2024_splits_at_31_december_and_says_so():
    c = case("FR", [("F", "2024-11-01", "2024-11-30", "10000.00", "EUR")], extra='[interest]\nday_count = "actual/actual"\n')
    s = claim.compute(c, dt.date(2025, 1, 31))
    # 10,000 × 14.25 % × 31 / 366 = 120.70 (121.03 on 365 days); 10,000 × 13.15 % × 31 / 365 = 111.68
    assert lines(s) == [("2024-12-01", "2024-12-31", 31, "14.25", "120.70"), ("2025-01-01", "2025-01-31", 31, "13.15", "111.68")]
    text = render.to_text(s, c, "fr")
    assert "année de 365 jours, ou de 366 jours pour une année bissextile" in text
    assert "year of 365 days, or 366 days in a leap year" in render.to_text(s, c, "en")
    assert s.to_json()["day_count"] == "actual/actual"
    plain = case("FR", [("F", "2024-11-01", "2024-11-30", "10000.00", "EUR")])
    text = render.to_text(claim.compute(plain, dt.date(2025, 1, 31)), plain, "fr")
    assert "année de 365 jours, chaque ligne" in text and "bissextile" not in text


def test_a_payment_naming_an_unknown_invoice_is_a_case_toml_error(sample):
    text = (sample / "case.toml").read_text("utf-8").replace('invoice = "F2026-0117"', 'invoice = "F2026-0171"', 1)
    (sample / "case.toml").write_text(text, "utf-8")
    result = CliRunner().invoke(main, ["claim", str(sample)])
    assert result.exit_code == 3 and result.stdout == ""
    assert "payment[1].invoice: no invoice numbered 'F2026-0171'; did you mean 'F2026-0117'?" in result.stderr


def test_each_line_is_rounded_half_up_to_the_cent():
    # 1,000.50 CHF × 5 % × 73 / 365 = 10.005 exactly: half-up gives 10.01 (half-even would give 10.00)
    c = case("CH", [("F", "2025-01-01", "2025-01-31", "1000.50", "CHF")], notices=[("2025-03-01", "2025-03-04")])
    s = claim.compute(c, dt.date(2025, 5, 16))
    assert lines(s) == [("2025-03-05", "2025-05-16", 73, "5", "10.01")]


def test_interest_toml_numbers_are_read_as_decimal(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('[XX.business]\nmargin = 8.1\nfixed = { amount = 40.10 }\n')
    data = claim._load_toml(path)
    assert data["XX"]["business"]["margin"] == D("8.1") and isinstance(data["XX"]["business"]["fixed"]["amount"], D)
    assert all(isinstance(v, (str, D, list, dict, bool)) for rule in claim._rules().values() for r in rule.values()
               for v in r.values())


# Properties in every jurisdiction, with payments (hypothesis)

LAWS = st.sampled_from([("FR", "EUR"), ("DE", "EUR"), ("GB", "GBP"), ("CH", "CHF")])
PAYMENTS = st.lists(st.tuples(st.integers(0, 900), st.decimals(min_value=D("0.01"), max_value=D("20000.00"), places=2)), max_size=3)


def _law_case(law, amount, due_offset, pays=()):
    """One invoice under ``law``; a formal notice received 10 days after the due date (CH needs one)."""
    country, currency = law
    due = START + dt.timedelta(days=due_offset)
    notice = (due + dt.timedelta(days=5), due + dt.timedelta(days=10))
    payments = sorted((START + dt.timedelta(days=d), a) for d, a in pays)
    return case(country, [("F", START, due, amount, currency)], payments=payments, notices=[notice])


def _replay(c, as_of, split=None):
    """compute()'s own steps for one invoice, with an optional extra cut of the accrual on ``split``."""
    rule = claim.rule_for(c)
    rates = claim._Rates(c, rule, None)
    inv_in = c.invoice[0]
    inv = claim.InvoiceState(number="F", issued=inv_in.issued, due=inv_in.due, amount=inv_in.amount,
                             start=claim.interest_start(c, rule, inv_in.due), balance=inv_in.amount)
    cut = split is not None and split <= as_of
    for pay in sorted((p for p in c.payment if p.date <= as_of), key=lambda p: p.date):
        if cut and split < pay.date:
            claim._accrue(inv, split, rates, "actual/365")
            cut = False
        claim._accrue(inv, pay.date, rates, "actual/365")
        if inv.start is not None and pay.date >= inv.start and inv.fixed == 0:
            inv.fixed = claim._fixed(rule, inv, inv_in.currency)
        claim._apply(inv, pay.amount, rule["imputation"], pay.date)
    if cut:
        claim._accrue(inv, split, rates, "actual/365")
    claim._accrue(inv, as_of, rates, "actual/365")
    return inv


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LAWS, AMOUNTS, st.integers(0, 200), PAYMENTS, st.integers(0, 1000), st.integers(1, 900))
def test_splitting_a_period_anywhere_in_any_law_with_payments(law, amount, due_offset, pays, split, length):
    c = _law_case(law, amount, due_offset, pays)
    as_of = START + dt.timedelta(days=due_offset + length)
    whole = claim.compute(c, as_of)
    assert _replay(c, as_of).lines == whole.lines  # the replay is compute()'s arithmetic
    cut = _replay(c, as_of, START + dt.timedelta(days=split))
    splits = len(cut.lines) - len(whole.lines)
    assert splits in (0, 1)
    if claim.rule_for(c)["imputation"] == "principal" or not c.payment:
        # the cut changes one line into two: at most the rounding of one line
        assert abs(cut.interest - sum(ln.interest for ln in whole.lines)) <= D("0.01") * splits
    else:
        # a payment after the cut may then impute one cent differently, each later line moving by a cent at most
        later = sum(1 for ln in cut.lines if ln.start > START + dt.timedelta(days=split))
        assert abs(cut.interest - sum(ln.interest for ln in whole.lines)) <= D("0.01") * (splits + later)


@settings(max_examples=80, deadline=None)
@given(LAWS, AMOUNTS, st.integers(0, 200), PAYMENTS, DAYS, DAYS)
def test_interest_grows_with_time_in_any_law_with_payments(law, amount, due_offset, pays, a, b):
    c = _law_case(law, amount, due_offset, pays)
    early, late = sorted((a, b))
    first = claim.compute(c, START + dt.timedelta(days=due_offset + early))
    second = claim.compute(c, START + dt.timedelta(days=due_offset + late))
    assert first.interest <= second.interest
    if not any(first.as_of < p.date <= second.as_of for p in c.payment):  # no payment between: the debt only grows
        assert first.total <= second.total


@settings(max_examples=40, deadline=None)
@given(LAWS, AMOUNTS, st.integers(1, 200), st.integers(0, 200), DAYS)
def test_an_invoice_paid_before_its_due_date_bears_nothing_in_any_law(law, amount, due_offset, paid_before, after):
    paid_on = max(0, due_offset - paid_before)
    c = _law_case(law, amount, due_offset, [(paid_on, amount)])
    s = claim.compute(c, START + dt.timedelta(days=due_offset + after))
    assert s.interest == 0 and s.fixed_compensation == 0 and s.total == 0


@settings(max_examples=60, deadline=None)
@given(LAWS, AMOUNTS, st.integers(0, 200), PAYMENTS, st.integers(0, 900))
def test_a_payment_never_makes_a_balance_negative_in_any_law(law, amount, due_offset, pays, after):
    c = _law_case(law, amount, due_offset, pays)
    s = claim.compute(c, START + dt.timedelta(days=due_offset + after))
    for inv in s.invoices:
        assert inv.balance >= 0 and inv.interest - inv.interest_paid >= 0 and inv.fixed - inv.fixed_paid >= 0
    assert all(p.unused >= 0 for p in s.payments) and s.total >= 0
    assert s.total == s.principal + s.interest + s.fixed_compensation - s.paid
