"""End to end: the sample case (samples/case-42) built once with the real CLI, checked as a lawyer
would look at it."""

from __future__ import annotations

import hashlib
import json
import subprocess

import pikepdf
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from conftest import tree_digest
from recouvre_docs.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample(sample_build):
    pdf_path = sample_build["pdf"]
    manifest = json.loads((pdf_path.parent / "manifest.json").read_text("utf-8"))
    return {**sample_build, "manifest": manifest, "reader": PdfReader(str(pdf_path))}


def _source_pages(case, item) -> int:
    path = case / item["file"]
    if path.suffix.lower() == ".pdf":
        with pikepdf.open(path) as pdf:
            return len(pdf.pages)
    if path.suffix.lower() in (".jpg", ".jpeg", ".png"):
        return 1
    return item["pages"][1] - item["pages"][0] + 1  # e-mails: rendered pages


def test_pages_are_cover_index_and_every_exhibit_page(sample):
    case, manifest, reader = sample["case"], sample["manifest"], sample["reader"]
    exhibit_pages = 0
    for item in manifest["exhibits"]:
        exhibit_pages += _source_pages(case, item)
        for att in item["attachments"]:
            exhibit_pages += att["pages"][1] - att["pages"][0] + 1
    # the cover, the request (injonction de payer, its own page count), the statement of account, a one-page index
    request = manifest["front_pages"] - 3
    assert request >= 1 and "Requête en injonction de payer" in reader.pages[1].extract_text()
    assert "Décompte des sommes dues" in reader.pages[1 + request].extract_text()
    assert "Bordereau de pièces" in reader.pages[2 + request].extract_text()
    assert len(reader.pages) == manifest["front_pages"] + exhibit_pages == manifest["pages"]


def test_the_build_summary_counts_the_findings_of_report_json(sample):
    report = json.loads((sample["pdf"].parent / "report.json").read_text("utf-8"))
    severities = [f["severity"] for f in report["findings"]]
    words = {"error": ("error", "errors"), "warning": ("warning", "warnings"), "info": ("info", "info")}
    expected = ", ".join(f"{severities.count(s)} {words[s][severities.count(s) != 1]}"
                         for s in ("error", "warning", "info") if severities.count(s))
    assert severities and f"Check: {expected} (in report.json" in sample["result"].stderr


def test_the_pieces_are_classified_and_ordered(sample):
    got = [(e["exhibit"], e["kind"], e["file"]) for e in sample["manifest"]["exhibits"]]
    assert got == [
        (1, "contract", "evidence/contrat-cadre-2026-01-12.pdf"),
        (2, "terms", "evidence/CGV-Atelier-Dupont-2026.pdf"),  # undated: right after the contract
        (3, "purchase-order", "evidence/commandes/BC-2026-0211.pdf"),
        (4, "delivery-note", "evidence/bons-de-livraison/BL-2026-0225-signe.jpg"),
        (5, "invoice", "evidence/factures/F2026-0117.pdf"),
        (6, "invoice", "evidence/factures/F2026-0142.pdf"),
        (7, "reminder", "evidence/correspondance/2026-05-05-relance.eml"),
        (8, "formal-notice", "evidence/mise-en-demeure-2026-06-01.pdf"),
        (9, "proof-of-receipt", "evidence/AR-mise-en-demeure-2026-06-03.pdf"),
    ]
    reminder = sample["manifest"]["exhibits"][6]
    assert [a["name"] for a in reminder["attachments"]] == ["Relevé-de-compte-2026-05-05.pdf"]


def test_one_bookmark_per_exhibit_with_label_and_title(sample):
    manifest = sample["manifest"]
    with pikepdf.open(sample["pdf"]) as pdf, pdf.open_outline() as outline:
        items = [i for i in outline.root if i.title.startswith("Pièce n° ")]
        assert len(items) == len(manifest["exhibits"])
        for item, ex in zip(items, manifest["exhibits"]):
            assert item.title == f"Pièce n° {ex['exhibit']} — {ex['title']}"
            assert pikepdf.Page(item.destination[0]).index == ex["pages"][0] - 1
            assert [c.title for c in item.children] == [f"Pièce n° {a['exhibit']} — {a['name']}" for a in ex["attachments"]]


def test_every_exhibit_page_carries_its_label_and_n_of_N(sample):
    reader, manifest = sample["reader"], sample["manifest"]
    total = len(reader.pages)
    owners = {}
    for ex in manifest["exhibits"]:
        for n in range(ex["pages"][0], ex["pages"][1] + 1):
            owners[n] = ex["label"]
        for att in ex["attachments"]:
            for n in range(att["pages"][0], att["pages"][1] + 1):
                owners[n] = f"Pièce n° {att['exhibit']}"
    assert sorted(owners) == list(range(manifest["front_pages"] + 1, total + 1))
    for n, label in owners.items():
        text = reader.pages[n - 1].extract_text(orientations=(0, 90, 180, 270))
        assert label in text, (n, label)
        assert f"{n} / {total}" in text, n


def test_every_index_link_lands_on_its_exhibits_first_page(sample):
    manifest = sample["manifest"]
    firsts = {ex["pages"][0] - 1 for ex in manifest["exhibits"]}
    firsts |= {a["pages"][0] - 1 for ex in manifest["exhibits"] for a in ex["attachments"]}
    with pikepdf.open(sample["pdf"]) as pdf:
        index_page = manifest["front_pages"] - 1  # the index is the last page before the exhibits
        targets = {pikepdf.Page(a.Dest[0]).index for a in pdf.pages[index_page].obj.Annots}
    assert targets == firsts
    index_text = sample["reader"].pages[index_page].extract_text()
    assert "Bordereau de pièces" in index_text and "Facture n° F2026-0117" in index_text


def test_cover_states_parties_and_principal(sample):
    text = sample["reader"].pages[0].extract_text()
    assert "CASE-42" in text and "Requête en injonction de payer" in text
    assert "Atelier Dupont SAS" in text and "Boulangeries Martin & Fils SARL" in text
    # the claim of the statement of account (see test_claim.py), as Babel writes it in French
    assert "Total dû au 23 novembre 2026" in text and "22\u202f432,68\u00a0€" in text
    assert "20\u202f956,23\u00a0€" in text  # principal after the payment paid the interest first
    assert "Maître Sophie Lambert" in text


def test_the_landscape_annex_is_stamped_below_its_content(sample):
    manifest, reader = sample["manifest"], sample["reader"]
    contract = manifest["exhibits"][0]
    last = contract["pages"][1]
    with pikepdf.open(sample["pdf"]) as pdf:
        page = pdf.pages[last - 1]
        x0, y0, x1, y1 = (float(v) for v in page.mediabox)
        assert x1 - x0 > y1 - y0  # landscape
        assert y0 == pytest.approx(-20.0)  # the band is added below: nothing of the page is covered
    assert "Pièce n° 1" in reader.pages[last - 1].extract_text()


def test_qpdf_check_and_every_font_embedded(sample):
    check = subprocess.run(["qpdf", "--check", str(sample["pdf"])], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    fonts = subprocess.run(["pdffonts", str(sample["pdf"])], capture_output=True, text=True, check=True).stdout
    lines = fonts.splitlines()
    # pdffonts prints fixed-width columns whose widths the dashes of its second line give
    starts = [i for i, ch in enumerate(lines[1]) if ch == "-" and (i == 0 or lines[1][i - 1] == " ")]
    emb_at = starts[3]  # name, type, encoding, emb
    rows = lines[2:]
    assert rows, fonts
    for row in rows:
        assert row[emb_at:emb_at + 3] == "yes", f"font not embedded: {row}"


def test_evidence_unchanged_and_manifest_hashes(sample):
    case = sample["case"]
    assert tree_digest(case) == sample["before"]
    for ex in sample["manifest"]["exhibits"]:
        assert ex["sha256"] == hashlib.sha256((case / ex["file"]).read_bytes()).hexdigest()
    assert sample["manifest"]["bundle"]["sha256"] == hashlib.sha256(sample["pdf"].read_bytes()).hexdigest()
    with pikepdf.open(sample["pdf"]) as pdf:
        names = sorted(pdf.attachments)
    assert names == ["005-factur-x.xml", "007-2026-05-05-relance.eml", "manifest.json"]


def test_two_builds_are_byte_identical(sample, tmp_path):
    first = hashlib.sha256(sample["pdf"].read_bytes()).hexdigest()
    # again in place (cache warm), and into a fresh folder (cache cold)
    again = CliRunner().invoke(main, ["build", str(sample["case"])], catch_exceptions=False)
    assert again.exit_code == 0
    assert hashlib.sha256(sample["pdf"].read_bytes()).hexdigest() == first
    fresh = CliRunner().invoke(main, ["build", str(sample["case"]), "-o", str(tmp_path / "o")], catch_exceptions=False)
    assert fresh.exit_code == 0
    assert hashlib.sha256((tmp_path / "o" / "CASE-42.pdf").read_bytes()).hexdigest() == first
    assert tree_digest(sample["case"]) == sample["before"]


def test_the_bundle_is_pdfa_3b_for_a_validator(sample):
    """page (a PDF/A validator that passes the veraPDF and Isartor corpora) finds no rule broken."""
    import page

    report = page.validate_pdf(str(sample["pdf"]), profile="3b")
    assert [(f.rule_id, f.message) for f in report.failures] == []
    assert report.is_compliant and report.rules.failed == 0 and report.rules.total > 100
    assert sample["manifest"]["pdfa"] == {"claimed": "PDF/A-3b", "part": "3", "not_claimed_because": []}


def test_pdfa_properties_of_the_bundle(sample):
    """PDF/A-3b property by property (the validator above judges them all): conformance claim and
    metadata in XMP equal to the document information, an sRGB output intent, attachments declared
    with their relationship, nothing encrypted, no JavaScript, every font embedded (test above), every
    annotation printable, the stamp fonts with a ToUnicode map."""
    info = subprocess.run(["pdfinfo", str(sample["pdf"])], capture_output=True, text=True, check=True).stdout
    assert "Encrypted:       no" in info and "JavaScript:      no" in info and "Metadata Stream: yes" in info
    with pikepdf.open(sample["pdf"]) as pdf:
        meta = pdf.open_metadata()
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("3", "B")
        assert meta["dc:title"] == str(pdf.docinfo["/Title"])
        assert meta["pdf:Producer"] == str(pdf.docinfo["/Producer"])
        assert meta["xmp:CreateDate"].startswith("2026-11-23T00:00:00")
        [intent] = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFA1" and "sRGB" in str(intent.OutputConditionIdentifier)
        icc = intent.DestOutputProfile.read_bytes()
        assert intent.DestOutputProfile.N == 3 and icc[36:40] == b"acsp" and icc[16:20] == b"RGB "
        assert "/Encrypt" not in pdf.trailer
        specs = list(pdf.Root.AF)
        assert len(specs) == len(pdf.attachments) == 3
        assert {str(s.AFRelationship) for s in specs} == {"/Source", "/Supplement"}
        assert all("/Subtype" in s.EF.F for s in specs)  # each embedded file says its MIME type
        annots = [a for p in pdf.pages for a in p.obj.get("/Annots") or []]
        assert annots and all(int(a.F) & 4 and not int(a.F) & (1 | 2 | 32 | 256) for a in annots)  # index links too
    fonts = subprocess.run(["pdffonts", str(sample["pdf"])], capture_output=True, text=True, check=True).stdout
    stamps = [row for row in fonts.splitlines() if row.startswith("RDSTMP+")]
    assert len(stamps) == 2 and all(row.split()[-3] == "yes" for row in stamps), fonts  # the 'uni' column
