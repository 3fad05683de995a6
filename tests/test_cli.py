"""The command line: one test per exit code, stdout/stderr discipline, no half-written output."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

from conftest import RESOURCES, ROOT
from recouvre_docs.errors import ExitCode


def test_exit_codes_are_the_documented_ones():
    assert {c.name: c.value for c in ExitCode} == {
        "OK": 0, "CHECK_FAILED": 1, "USAGE": 2, "CASE_INVALID": 3, "EVIDENCE_UNREADABLE": 4,
        "TOOL_MISSING": 5, "OUTPUT_ERROR": 6, "INTERNAL": 9, "INTERRUPTED": 130,
    }
    readme = (ROOT / "README.md").read_text("utf-8")
    for code in ExitCode:
        assert f"| {code.value} |" in readme, f"exit code {code.value} is not in the README's table"


def test_build_ok_prints_nothing_on_stdout(make_case, cli):
    case_dir = make_case(files={"evidence/contrat.pdf": 2, "evidence/factures/F1.pdf": 1})
    result = cli("build", case_dir)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith(f"Wrote {case_dir / 'out' / 'T-100.pdf'} (2 exhibits, 5 pages)")
    assert "Converting" not in result.stderr  # no progress bar when not on a terminal
    assert sorted(p.name for p in (case_dir / "out").iterdir()) == [".cache", "T-100.pdf", "manifest.json"]
    quiet = cli("-q", "build", case_dir)
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_usage_error_is_2(cli, tmp_path):
    result = cli("build", tmp_path, "--lang", "it")
    assert result.exit_code == 2
    assert "Invalid value for '--lang'" in result.stderr
    assert cli("build", tmp_path, "--as-of", "23/11/2026").exit_code == 2


def test_encrypted_evidence_is_4_and_leaves_the_previous_output_alone(make_case, cli):
    case_dir = make_case(files={"evidence/contrat.pdf": 2})
    assert cli("build", case_dir).exit_code == 0
    previous = hashlib.sha256((case_dir / "out" / "T-100.pdf").read_bytes()).hexdigest()
    (case_dir / "evidence" / "avenant.pdf").write_bytes((RESOURCES / "encrypted-rc4.pdf").read_bytes())
    result = cli("build", case_dir)
    assert result.exit_code == 4
    assert result.stdout == ""
    assert result.stderr.startswith("Error: evidence/avenant.pdf: the PDF is encrypted (password-protected)")
    assert "password_env" in result.stderr
    assert hashlib.sha256((case_dir / "out" / "T-100.pdf").read_bytes()).hexdigest() == previous
    assert not [p for p in (case_dir / "out").iterdir() if p.name.startswith(".work-")]


def test_missing_qpdf_is_5_with_install_advice(make_case, cli, monkeypatch, tmp_path):
    case_dir = make_case()
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    result = cli("build", case_dir)
    assert result.exit_code == 5
    assert "the qpdf program is required" in result.stderr
    assert "apt-get install qpdf" in result.stderr and "brew install qpdf" in result.stderr
    assert not (case_dir / "out").exists()


def test_output_not_writable_is_6(make_case, cli, tmp_path):
    case_dir = make_case()
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = cli("build", case_dir, "-o", blocker)
    assert result.exit_code == 6
    assert result.stderr.startswith(f"Error: cannot write to the output folder {blocker}")
    inside = cli("build", case_dir, "-o", case_dir / "evidence" / "out")
    assert inside.exit_code == 6 and "inside evidence/" in inside.stderr


def test_options_override_case_toml(make_case, cli):
    case_dir = make_case(files={"evidence/contrat.pdf": 1})
    result = cli("build", case_dir, "--lang", "en", "--as-of", "2026-12-01", "-o", case_dir / "elsewhere")
    assert result.exit_code == 0, result.stderr
    from pypdf import PdfReader

    reader = PdfReader(str(case_dir / "elsewhere" / "T-100.pdf"))
    assert "List of exhibits" in reader.pages[1].extract_text()
    assert "Exhibit 1" in reader.pages[2].extract_text()
    assert "1 December 2026" in reader.pages[0].extract_text()


def test_python_dash_m_and_help():
    proc = subprocess.run([sys.executable, "-m", "recouvre_docs", "build", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "Check the case, then build the indexed, stamped case file" in proc.stdout
    assert "--procedure [agency-handover|ch-poursuite|de-mahnverfahren|" in proc.stdout
    assert "--force" in proc.stdout


def test_the_command_s_quick_exit_keeps_exit_codes_output_and_cleanup(make_case, tmp_path):
    """The command ends without the interpreter's teardown (cli.entry): its exit code, its output
    (to a file and to a pipe), and what exit handlers remove are as at a normal exit."""
    case = make_case()
    run = lambda *args: subprocess.run([sys.executable, "-m", "recouvre_docs", *args],  # noqa: E731
                                       capture_output=True, text=True, cwd=tmp_path)
    missing = run("check", str(tmp_path / "nowhere"))
    assert missing.returncode == ExitCode.CASE_INVALID and "is not a folder" in missing.stderr
    assert run("frobnicate").returncode == 2
    checked = run("check", str(case), "--format", "json", "--procedure", "agency-handover")
    assert checked.returncode in (0, 1) and json.loads(checked.stdout)["case"] == "T-100"
    built = run("-q", "build", str(case), "--force")
    assert built.returncode == 0, built.stderr
    out = case / "out"
    assert (out / "T-100.pdf").is_file()
    assert not [p.name for p in out.iterdir() if p.name.startswith(".work")]  # the work folder removed
    # under a profiler, which writes its results after the program's end, the exit is a normal one
    profiled = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(tmp_path / "profile"), "-m", "recouvre_docs",
                               "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert profiled.returncode == 0 and "recouvre-docs, version" in profiled.stdout
    assert (tmp_path / "profile").stat().st_size > 0


def test_build_force_leaves_unreadable_evidence_out_and_names_it(make_case, cli):
    files = {
        "evidence/contrat.pdf": 2,
        "evidence/avenant.pdf": RESOURCES / "encrypted-rc4.pdf",
        "evidence/casse.pdf": RESOURCES / "damaged-unrepairable.pdf",
    }
    case_dir = make_case("", files=files)
    assert cli("build", case_dir).exit_code == 4  # without --force: the first unreadable file stops the build
    result = cli("build", case_dir, "--procedure", "agency-handover", "--force")
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    assert [e["file"] for e in manifest["exhibits"]] == ["evidence/contrat.pdf"]
    report = json.loads((case_dir / "out" / "report.json").read_text())
    named = {f["subject"] for f in report["findings"] if f["code"] == "unreadable-evidence"}
    assert named == {"evidence/avenant.pdf", "evidence/casse.pdf"}
