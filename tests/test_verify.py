"""recouvre-docs verify: one changed byte in an original, one in the bundle, an edited page, an added file."""

from __future__ import annotations

import shutil

import pikepdf
import pytest
from click.testing import CliRunner

from conftest import SAMPLE
from recouvre_docs.cli import main


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    case = tmp_path_factory.mktemp("verify") / "case-42"
    shutil.copytree(SAMPLE, case, ignore=shutil.ignore_patterns("out"))
    result = CliRunner().invoke(main, ["build", str(case)])
    assert result.exit_code == 0, result.stderr
    return case


def run(*args):
    return CliRunner().invoke(main, ["verify", *map(str, args)])


def copy_case(built, tmp_path):
    case = tmp_path / "case-42"
    shutil.copytree(built, case)
    return case, case / "out" / "CASE-42.pdf"


def test_an_intact_bundle_and_case(built):
    result = run(built / "out" / "CASE-42.pdf", built)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith("Intact: ") and "21 pages against their digests" in result.stdout


def test_one_changed_byte_in_an_original(built, tmp_path):
    case, pdf = copy_case(built, tmp_path)
    original = case / "evidence" / "factures" / "F2026-0142.pdf"
    data = bytearray(original.read_bytes())
    data[len(data) // 2] ^= 0x01
    original.write_bytes(bytes(data))
    (case / "evidence" / "note.txt").write_text("ajoutée après coup")
    result = run(pdf, case)
    assert result.exit_code == 1
    assert "CHANGED  evidence/factures/F2026-0142.pdf: changed since the build (exhibit 6)" in result.stdout
    assert "evidence/note.txt: added to the case folder after the build" in result.stdout


def test_one_changed_byte_in_the_bundle(built, tmp_path):
    _, pdf = copy_case(built, tmp_path)
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, anywhere
    pdf.write_bytes(bytes(data))
    result = run(pdf)
    assert result.exit_code == 1
    assert "the file differs from the one built" in result.stdout


def test_a_page_edited_and_resaved_without_the_manifest_beside(built, tmp_path):
    alone = tmp_path / "sent-by-mail.pdf"  # the bundle alone, as a recipient gets it
    with pikepdf.open(built / "out" / "CASE-42.pdf") as pdf:
        page = pdf.pages[10]
        page.contents_add(pdf.make_stream(b"BT /F1 40 Tf 100 400 Td (PAYE) Tj ET"))
        pdf.save(alone)
    result = run(alone)
    assert result.exit_code == 1
    assert "pages edited after the build: 11" in result.stdout
