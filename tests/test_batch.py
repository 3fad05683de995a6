"""recouvre-docs batch: a portfolio of real case folders, checked on local processes and on a real
Dask LocalCluster, built in a smaller run; the summary and the portfolio figures checked against the
facts each case was made with."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import RESOURCES, make_pdf
from recouvre_docs import casefolder, claim
from recouvre_docs.cli import main

AS_OF = dt.date(2026, 11, 23)
DAYS_LATE = (15, 45, 75, 200)  # one invoice in each bucket: 0-30, 31-60, 61-90, 90+


def _case(root: Path, k: int) -> dict:
    """Case folder number k; returns what it was made with (the test's own expectations)."""
    folder = root / f"case-{k:02d}"
    ev = folder / "evidence"
    make_pdf(ev / "contrat-cadre-2026-01-05.pdf", 2, text="Contrat")
    if k % 10 != 7:
        make_pdf(ev / "bons-de-livraison" / "BL-2026-02-01.pdf", 1, text="BL")
    notice = AS_OF - dt.timedelta(days=10)
    make_pdf(ev / f"mise-en-demeure-{notice}.pdf", 1, text="Mise en demeure")
    make_pdf(ev / f"AR-mise-en-demeure-{notice + dt.timedelta(days=1)}.pdf", 1, text="AR")
    if k % 10 == 9:
        (ev / "correspondance").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(RESOURCES / "encrypted-rc4.pdf", ev / "correspondance" / "releve-protege.pdf")
    late = [DAYS_LATE[k % 4], DAYS_LATE[(k + 1) % 4]]
    amounts = [Decimal(1000 + 37 * k) + Decimal("0.25"), Decimal(400 + 11 * k)]
    invoices = ""
    for n, (days, amount) in enumerate(zip(late, amounts), start=1):
        due = AS_OF - dt.timedelta(days=days)
        number = f"F{k:02d}-{n}"
        make_pdf(ev / "factures" / f"{number}.pdf", 1, text=f"Facture {number}")
        invoices += (f'\n[[invoice]]\nnumber = "{number}"\nissued = {due - dt.timedelta(days=30)}\ndue = {due}\n'
                     f'amount = {amount}\nfile = "evidence/factures/{number}.pdf"\n')
    if k % 10 == 5:  # five years run out on 2026-12-10: within 90 days
        invoices += '\n[[invoice]]\nnumber = "F2021-9"\nissued = 2021-11-10\ndue = 2021-12-10\namount = 300.00\n'
        amounts.append(Decimal("300.00"))
    extra = ""
    paid = Decimal(0)
    if k % 3 == 0:
        extra += f"\n[[payment]]\ndate = {AS_OF - dt.timedelta(days=5)}\namount = 100.00\n"
        paid += 100
    promise = None
    if k % 4 == 1:
        extra += (f'\n[[event]]\ndate = {AS_OF - dt.timedelta(days=20)}\nkind = "promise"\nuntil = {AS_OF - dt.timedelta(days=12)}\n'
                  f"\n[[payment]]\ndate = {AS_OF - dt.timedelta(days=14)}\namount = 50.00\n")
        paid += 50
        promise = "kept"
    elif k % 4 == 2:
        extra += f'\n[[event]]\ndate = {AS_OF - dt.timedelta(days=20)}\nkind = "promise"\nuntil = {AS_OF - dt.timedelta(days=12)}\n'
        promise = "broken"
    elif k % 8 == 7:
        extra += f'\n[[event]]\ndate = {AS_OF - dt.timedelta(days=2)}\nkind = "promise"\nuntil = {AS_OF + dt.timedelta(days=10)}\n'
        promise = "pending"
    bad = '\n[debtor.x]\n' if k % 10 == 3 else ""
    (folder / "case.toml").write_text(f"""schema = 1
[case]
reference = "PF-{k:02d}"
procedure = "fr-injonction-de-payer"
language = "fr"
as_of = {AS_OF}
court = "Tribunal de commerce de Lyon"

[creditor]
name = "Atelier Dupont SAS"
legal_form = "SAS"
registration = "812345676"
address = ["12 rue des Forges", "69002 Lyon"]
country = "FR"

[debtor]
name = "Client {k} SARL"
legal_form = "SARL"
address = ["45 avenue Roger Salengro", "69100 Villeurbanne"]
country = "FR"
{bad}{invoices}
[[event]]
date = {AS_OF - dt.timedelta(days=30)}
kind = "reminder"
channel = "email"

[[event]]
date = {notice}
kind = "formal-notice"
channel = "registered-letter"
file = "evidence/mise-en-demeure-{notice}.pdf"
received = {notice + dt.timedelta(days=1)}
{extra}""", "utf-8")
    status = "invalid" if k % 10 == 3 else "blocked" if k % 10 in (7, 9) else "ok"
    return {"folder": folder, "status": status, "principal": sum(amounts), "paid": paid, "promise": promise,
            "near": k % 10 == 5, "code": {7: "missing-evidence", 9: "unreadable-evidence"}.get(k % 10)}


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory):
    root = tmp_path_factory.mktemp("portfolio")
    cases = [_case(root / "cases", k) for k in range(50)]
    return root, cases


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _expected(cases: list[dict]) -> dict:
    """The portfolio figures computed here from each case's own statement of account."""
    buckets = {"not_due": Decimal(0), "0-30": Decimal(0), "31-60": Decimal(0), "61-90": Decimal(0), "90+": Decimal(0)}
    claimed = Decimal(0)
    for c in cases:
        if c["status"] == "invalid":
            continue
        folder = casefolder.load_case(c["folder"])
        st = claim.compute(folder.case, AS_OF, folder.root)
        claimed += st.total
        for inv in st.invoices:
            late = (AS_OF - inv.due).days
            key = "0-30" if late <= 30 else "31-60" if late <= 60 else "61-90" if late <= 90 else "90+"
            buckets[key] += inv.balance
    return {"claimed": f"{claimed:.2f}", "aged": {k: f"{v:.2f}" for k, v in buckets.items()}}


def _without_seconds(rows):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


@pytest.fixture(scope="module")
def local(portfolio):
    root, cases = portfolio
    out = root / "report-local"
    result = _run("batch", root / "cases", "--check-only", "--jobs", "2", "-o", out)
    return result, out


def test_every_case_is_checked_in_isolation_and_summarised(portfolio, local):
    root, cases = portfolio
    result, out = local
    assert result.exit_code == 1  # some cases are not ready
    with (out / "summary.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["folder"] for r in rows] == [str(c["folder"]) for c in cases]
    for row, c in zip(rows, cases):
        assert row["status"] == c["status"], (row["folder"], row["message"])
        if c["status"] == "invalid":
            assert row["exit_code"] == "3" and "debtor.x" in row["message"]
            continue
        assert Decimal(row["principal"]) == c["principal"]
        assert Decimal(row["paid"]) == c["paid"]
        assert Decimal(row["total_claimed"]) >= Decimal(row["principal"]) - c["paid"]  # interest and the 40 € on top
        if c["code"]:
            assert c["code"] in row["codes"] and int(row["errors"]) >= 1
        else:
            assert row["errors"] == "0"
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert [r["case"] for r in summary["cases"]] == [r["case"] for r in rows]
    assert "50 cases: 10 blocked, 5 invalid, 35 ok" in result.stderr


def test_the_portfolio_figures(portfolio, local):
    root, cases = portfolio
    _, out = local
    p = json.loads((out / "portfolio.json").read_text("utf-8"))
    valid = [c for c in cases if c["status"] != "invalid"]
    eur = p["currencies"]["EUR"]
    assert eur["cases"] == len(valid)
    assert Decimal(eur["principal"]) == sum(c["principal"] for c in valid)
    assert Decimal(eur["paid"]) == sum(c["paid"] for c in valid)
    assert {"claimed": eur["claimed"], "aged": eur["aged"]} == _expected(cases)
    assert all(Decimal(eur["aged"][b]) > 0 for b in ("0-30", "31-60", "61-90", "90+"))
    for state in ("kept", "broken", "pending"):
        assert p["promises"][state] == sum(1 for c in valid if c["promise"] == state), state
    assert p["blocked_by"]["missing-evidence"]["list"] == [f"PF-{k:02d}" for k in range(50) if k % 10 == 7]
    assert p["blocked_by"]["unreadable-evidence"]["cases"] == 5
    near = sorted({f["case"] for f in p["prescription"] if f["code"] == "prescription-near"})
    assert near == [f"PF-{k:02d}" for k in range(50) if k % 10 == 5]
    html = (out / "portfolio.html").read_text("utf-8")
    assert "Aged balance" in html and "PF-07" in html and "missing-evidence" in html


def test_the_same_portfolio_on_a_dask_local_cluster(portfolio, local):
    distributed = pytest.importorskip("distributed")
    root, _ = portfolio
    _, local_out = local
    out = root / "report-dask"
    import dask

    # the cluster's scratch space (dask-scratch-space, its lock files) in the test's folder, not in /tmp
    with dask.config.set({"temporary-directory": str(root / "dask")}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                     local_directory=str(root / "dask")) as cluster:
        result = _run("batch", root / "cases", "--check-only", "--scheduler", cluster.scheduler_address, "-o", out)
    assert result.exit_code == 1, result.stderr
    got = json.loads((out / "summary.json").read_text("utf-8"))["cases"]
    want = json.loads((local_out / "summary.json").read_text("utf-8"))["cases"]
    assert _without_seconds(got) == _without_seconds(want)
    assert json.loads((out / "portfolio.json").read_text("utf-8"))["currencies"] == \
        json.loads((local_out / "portfolio.json").read_text("utf-8"))["currencies"]


def test_a_batch_build_writes_each_case_file_and_isolates_failures(tmp_path):
    cases = [_case(tmp_path / "cases", k) for k in (0, 7, 9)]  # ready, blocked, unreadable evidence
    result = _run("batch", tmp_path / "cases", "--jobs", "2", "-o", tmp_path / "report")
    assert result.exit_code == 1
    rows = {r["case"]: r for r in json.loads((tmp_path / "report" / "summary.json").read_text("utf-8"))["cases"]}
    assert rows["PF-00"]["status"] == "ok" and rows["PF-00"]["pages"] > 5
    assert (cases[0]["folder"] / "out" / "PF-00.pdf").is_file()
    assert rows["PF-07"]["status"] == "blocked" and "missing-evidence" in rows["PF-07"]["codes"]
    assert not (cases[1]["folder"] / "out" / "PF-07.pdf").exists()
    assert rows["PF-09"]["status"] == "unreadable" and "releve-protege.pdf" in rows["PF-09"]["message"]


def test_batch_usage_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    assert _run("batch", tmp_path / "empty").exit_code == 3
    assert _run("batch", tmp_path / "empty", "--jobs", "2", "--scheduler", "tcp://127.0.0.1:1").exit_code == 2
