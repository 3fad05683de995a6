"""A case folder made of real files nobody on the team wrote (a subset of ../shared/corpus/, copied
into tests/resources): it builds, and every file is in the bundle or named in a finding with why."""

from __future__ import annotations

import json
import shutil

import pikepdf
import pytest

from conftest import RESOURCES

# corpus files the other tests already use, under their resource names
KNOWN = {
    "pdf": ["damaged-unrepairable.pdf", "damaged-trailer-bad7.pdf", "damaged-repairable.pdf", "encrypted-rc4.pdf",
            "owner-password-only-aes.pdf", "password-openpassword.pdf", "libreoffice-form.pdf", "rotated-180.pdf",
            "smile.jpg", "smile.png", "smile-lzw.tiff"],
    "email": ["forwarded-message.eml", "image-attachment.eml", "charset-ks-c-5601.eml", "broken-pdf-attachment.eml"],
    "msg": ["attachment_test_msg.msg", "example_received_regular.msg", "HTMLBodyBinary_CP1251.msg", "keywords.msg"],
}
# what cannot be used, and why (no password is given for the protected ones)
UNREADABLE = {
    "evidence/pdf/damaged-unrepairable.pdf": "not a readable PDF, and qpdf could not repair it",
    "evidence/pdf/encrypted-rc4.pdf": "the PDF is encrypted",
    "evidence/pdf/password-openpassword.pdf": "the PDF is encrypted",
}


@pytest.fixture(scope="module")
def corpus_case(tmp_path_factory):
    from click.testing import CliRunner

    from conftest import CASE_TOML
    from recouvre_docs.cli import main

    root = tmp_path_factory.mktemp("corpus") / "case"
    for folder, names in KNOWN.items():
        for name in names:
            (root / "evidence" / folder).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(RESOURCES / name, root / "evidence" / folder / name)
    shutil.copytree(RESOURCES / "corpus", root / "evidence", dirs_exist_ok=True)
    shutil.copytree(RESOURCES / "einvoices", root / "evidence" / "einvoice", dirs_exist_ok=True)
    (root / "case.toml").write_text(CASE_TOML.format(lang="fr", extra=""), "utf-8")
    runner = CliRunner()
    built = runner.invoke(main, ["build", str(root), "--force", "--procedure", "agency-handover"])
    checked = runner.invoke(main, ["check", str(root), "--procedure", "agency-handover", "--format", "json"])
    return root, built, checked


def test_every_corpus_file_is_in_the_bundle_or_named_with_its_reason(corpus_case):
    root, built, checked = corpus_case
    assert built.exit_code == 0, built.stderr
    assert checked.exit_code == 1  # the unreadable files are blocking findings
    files = sorted(p.relative_to(root).as_posix() for p in (root / "evidence").rglob("*") if p.is_file())
    assert len(files) >= 60
    manifest = json.loads((root / "out" / "manifest.json").read_text())
    bundled = {e["file"] for e in manifest["exhibits"]}
    findings = json.loads(checked.stdout)["findings"]
    unreadable = {f["subject"]: f["message"] for f in findings if f["code"] == "unreadable-evidence"}
    assert [f for f in files if f not in bundled and f not in unreadable] == []
    assert bundled.isdisjoint(unreadable)
    assert sorted(unreadable) == sorted(UNREADABLE)
    for rel, reason in UNREADABLE.items():
        assert reason in unreadable[rel]
    assert {item["file"]: item["reason"].split(" (")[0] for item in manifest["left_out"]} == {
        rel: unreadable[rel].split(" (", 1)[1].split(" (")[0] for rel in UNREADABLE}
    assert len(bundled) == len(files) - len(UNREADABLE)

    # the bundle holds what its manifest says (one test: the build is made once per test process)
    with pikepdf.open(root / "out" / "T-100.pdf") as pdf:
        assert len(pdf.pages) == manifest["pages"]
        attached = set(pdf.attachments)
    assert "manifest.json" in attached and len(attached) > 33  # past qpdf's 32-entry name-tree leaf
    by_file = {e["file"]: e for e in manifest["exhibits"]}
    # repaired PDFs say so; forwarded e-mails carry their nested attachments
    assert by_file["evidence/pdf/damaged-trailer-bad7.pdf"]["repaired"] is True
    assert by_file["evidence/pdf/qpdf-damaged-stream.pdf"]["repaired"] is True
    assert by_file["evidence/email/forwarded-message.eml"]["attachments"][0]["exhibit"].endswith(".1")
    kinds = {e["kind"] for e in manifest["exhibits"]}
    assert {"invoice", "correspondence"} <= kinds
    # the e-mails in odd charsets are decoded, not replaced by question marks
    japanese = by_file["evidence/email/multi_charset_japanese_iso_2022.eml"]
    assert japanese["title"] == "まみむめも"
    assert "まみむめも" in by_file["evidence/email/multi_charset_japanese_attachment_long_name.eml"]["title"]
    assert "Wrote" in built.stderr and f"{len(manifest['exhibits'])} exhibits" in built.stderr
