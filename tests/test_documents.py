"""The generated documents: every procedure and language, PDF and DOCX read back and compared,
user data kept literal, the documents in the bundle."""

from __future__ import annotations

import re
import shutil

import docx
import pikepdf
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from conftest import SAMPLE
from recouvre_docs.check import procedures
from recouvre_docs.cli import main
from recouvre_docs.documents import generate

# What each language must offer (issue: the documents each procedure uses in that language)
EXPECTED = {
    "fr": {"formal-notice", "injonction-request", "claim-declaration", "eop-application", "translation-request",
           "exhibit-list", "handover-summary"},
    "en": {"formal-notice", "letter-of-claim", "eop-application", "translation-request", "exhibit-list", "handover-summary"},
    "de": {"formal-notice", "mahnbescheid-data", "eop-application", "translation-request", "exhibit-list", "handover-summary"},
}
INSOLVENCY = """
[insolvency]
kind = "redressement judiciaire"
judgment = 2026-10-01
published = 2026-10-15
administrator = "Maître Léa Bernard, mandataire judiciaire, 8 rue de la Bourse, 69002 Lyon"
"""


@pytest.fixture(scope="module")
def sample_case(tmp_path_factory):
    root = tmp_path_factory.mktemp("docs") / "case-42"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("out"))
    (root / "case.toml").write_text((root / "case.toml").read_text("utf-8") + INSOLVENCY, "utf-8")
    return root


def flat(text: str) -> str:
    """PDF and DOCX text compared alike: hyphenation undone, every kind of space one space."""
    text = re.sub(r"-\n(?=\w)", "", text)
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


def pdf_text(path) -> str:
    return flat("\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages))


def docx_text(path) -> str:
    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    for section in d.sections:
        parts += [p.text for p in section.header.paragraphs]
    return flat("\n".join(parts))


def generated_for(case_dir, procedure: str, lang: str):
    return generate.run(case_dir, procedure=procedure, lang=lang, as_of=None)


@pytest.mark.parametrize("lang", ["fr", "en", "de"])
def test_every_document_in_both_formats_with_the_same_facts(sample_case, lang):
    seen = set()
    total = {"fr": "22 432,68 €", "en": "€22,432.68", "de": "22.432,68 €"}[lang]
    for procedure in procedures.ids():
        for g in generated_for(sample_case, procedure, lang):
            seen.add(g.name)
            assert g.pdf.is_file() and g.docx.is_file()
            with pikepdf.open(g.pdf) as pdf:
                assert len(pdf.pages) == g.pages >= 1
            in_pdf, in_docx = pdf_text(g.pdf), docx_text(g.docx)
            for text, fmt in ((in_pdf, "pdf"), (in_docx, "docx")):
                for marker in ("{{", "{%", "[[", "{debtor", "{creditor", "{total"):
                    assert marker not in text, (g.name, fmt, marker)
                for word in ("None", "nan", "NaN", "null", "undefined"):
                    assert not re.search(rf"\b{word}\b", text), (g.name, fmt, word)
            facts = ["CASE-42", "Boulangeries Martin & Fils SARL"]
            if g.name not in ("exhibit-list", "translation-request"):
                facts.append("Atelier Dupont SAS")
            if g.name in ("formal-notice", "injonction-request", "claim-declaration", "handover-summary", "letter-of-claim"):
                facts.append(total)
            for fact in facts:
                assert fact in in_pdf, (g.name, "pdf", fact)
                assert fact in in_docx, (g.name, "docx", fact)
    assert EXPECTED[lang] <= seen, EXPECTED[lang] - seen


def test_the_translation_pack_holds_just_the_documents_to_translate(sample_case):
    root = sample_case.parent / "german-debtor"
    shutil.copytree(sample_case, root, ignore=shutil.ignore_patterns("out"))
    toml = (root / "case.toml").read_text("utf-8")
    (root / "case.toml").write_text(toml.replace('language = "fr"\nconsumer', 'language = "de"\nconsumer'), "utf-8")
    docs = {g.name: g for g in generate.run(root, procedure="eu-order-for-payment", lang="fr", as_of=None)}
    letter = pdf_text(docs["translation-request"].pdf)
    assert "allemand" in letter
    pack = root / "out" / "documents" / "translation-pack.pdf"
    from recouvre_docs import api, casefolder
    from recouvre_docs.evidence import Cache
    from recouvre_docs.progress import NullProgress

    exhibits = api.prepare_exhibits(casefolder.load_case(root), Cache(root / "out" / ".cache"), "fr", NullProgress())
    with pikepdf.open(pack) as pdf:
        # the application, then every exhibit (all in French; the debtor reads German)
        assert len(pdf.pages) == docs["eop-application"].pages + sum(ex.main.pages for ex in exhibits)
    assert "exhibit-list" not in letter  # the lawyer's own list is not sent for translation


def test_user_data_is_never_template_code(tmp_path):
    root = tmp_path / "case-42"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("out"))
    evil = "Dupont & Fils <SARL> {{ evil }} {% raw %} {debtor_name}"
    toml = (root / "case.toml").read_text("utf-8").replace('name = "Boulangeries Martin & Fils SARL"', f'name = "{evil}"')
    (root / "case.toml").write_text(toml, "utf-8")
    result = CliRunner().invoke(main, ["generate", str(root), "--procedure", "fr-mise-en-demeure"])
    assert result.exit_code == 0, result.stderr
    out = root / "out" / "documents"
    assert evil in pdf_text(out / "formal-notice.pdf")
    assert evil in docx_text(out / "formal-notice.docx")


def test_a_missing_value_names_the_document_and_field(tmp_path):
    root = tmp_path / "case-42"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("out"))
    toml = (root / "case.toml").read_text("utf-8")
    toml = toml.replace('address = ["45 avenue Roger Salengro", "69100 Villeurbanne"]\n', "")
    (root / "case.toml").write_text(toml, "utf-8")
    result = CliRunner().invoke(main, ["generate", str(root), "--procedure", "fr-mise-en-demeure"])
    assert result.exit_code == 3
    assert "formal-notice" in result.stderr and "debtor_address" in result.stderr
    assert not (root / "out" / "documents" / "formal-notice.pdf").exists()


def test_build_puts_the_documents_before_the_statement_and_the_index(tmp_path):
    root = tmp_path / "case-42"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("out"))
    result = CliRunner().invoke(main, ["build", str(root)])
    assert result.exit_code == 0, result.stderr
    with pikepdf.open(root / "out" / "CASE-42.pdf") as pdf, pdf.open_outline() as outline:
        titles = [item.title for item in outline.root][:3]
    assert titles[0].startswith("Requête en injonction de payer")
    assert titles[1:] == ["Décompte des sommes dues", "Bordereau de pièces"]
    assert (root / "out" / "documents" / "injonction-request.docx").is_file()
    assert (root / "out" / "documents" / "exhibit-list.pdf").is_file()  # written, but not in the bundle


def test_the_same_case_gives_the_same_documents(tmp_path):
    root = tmp_path / "case-42"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("out"))
    digests = []
    for _ in range(2):
        docs = generate.run(root, procedure="fr-mise-en-demeure", lang="fr", as_of=None)
        digests.append([(d.pdf.read_bytes(), d.docx.read_bytes()) for d in docs])
    assert digests[0] == digests[1]


def test_a_firm_overrides_the_wording_and_the_layout(tmp_path):
    root = tmp_path / "case-42"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("out"))
    (root / "templates" / "fr" / "documents").mkdir(parents=True)
    (root / "templates" / "fr" / "documents" / "formal-notice.toml").write_text(
        'title = "Mise en demeure"\n[[block]]\ntype = "paragraph"\ntext = "Wording of the firm for {debtor_name}: {total}."\n', "utf-8")
    layout = (generate.templates_root() / "shared" / "document.html").read_text("utf-8")
    (root / "templates" / "document.html").write_text(layout.replace('<div class="letterhead">', '<div class="letterhead">FIRM LETTERHEAD'), "utf-8")
    docs = generate.run(root, procedure="fr-mise-en-demeure", lang="fr", as_of=None)
    text = pdf_text(docs[0].pdf)
    assert "Wording of the firm for Boulangeries Martin & Fils SARL: 22 432,68 €." in text
    assert "FIRM LETTERHEAD" in text
    assert "Wording of the firm" in docx_text(docs[0].docx)
