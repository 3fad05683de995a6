"""Ingestion of real files: PDFs (damaged, encrypted), scans, e-mails; cache; no network, ever."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import os
import re
import shutil
import tempfile
import threading
from email.message import EmailMessage
from email.utils import make_msgid

import pikepdf
import pytest
from PIL import Image
from pypdf import PdfReader

from conftest import RESOURCES, make_pdf
from recouvre_docs.casefolder import discover, load_case
from recouvre_docs.errors import EncryptedEvidenceError, EvidenceError, ExitCode
from recouvre_docs.evidence import Cache, ingest, sniff


def ingest_one(case_dir, rel, lang="fr"):
    folder = load_case(case_dir)
    [piece] = [p for p in discover(folder) if p.rel == rel]
    return ingest(piece, Cache(case_dir / "out" / ".cache"), lang=lang, case_root=folder.root)


def page_text(path, index=0) -> str:
    return PdfReader(str(path)).pages[index].extract_text()


# --- PDF -------------------------------------------------------------------------------------


def test_damaged_pdf_is_repaired_and_used(make_case):
    case_dir = make_case(files={"evidence/broken.pdf": RESOURCES / "damaged-repairable.pdf"})
    result = ingest_one(case_dir, "evidence/broken.pdf")
    assert result.main.pages == 1
    assert result.main.note == "repaired"
    with pikepdf.open(result.main.pdf) as pdf:
        assert len(pdf.pages) == 1


def test_unrepairable_pdf_is_exit_4_naming_the_file(make_case):
    case_dir = make_case(files={"evidence/factures/F9.pdf": RESOURCES / "damaged-unrepairable.pdf"})
    with pytest.raises(EvidenceError) as info:
        ingest_one(case_dir, "evidence/factures/F9.pdf")
    assert info.value.exit_code == ExitCode.EVIDENCE_UNREADABLE
    assert info.value.message.startswith("evidence/factures/F9.pdf: not a readable PDF")
    assert "new copy" in info.value.hint


def test_encrypted_pdf_without_password(make_case):
    case_dir = make_case(files={"evidence/contrat.pdf": RESOURCES / "encrypted-rc4.pdf"})
    with pytest.raises(EncryptedEvidenceError) as info:
        ingest_one(case_dir, "evidence/contrat.pdf")
    assert info.value.exit_code == 4
    assert "evidence/contrat.pdf: the PDF is encrypted" in info.value.message
    assert "password_env" in info.value.hint


def test_password_from_environment(make_case, monkeypatch):
    extra = '[[evidence]]\nfile = "evidence/contrat.pdf"\npassword_env = "CASE_PDF_PASSWORD"\n'
    case_dir = make_case(extra, files={"evidence/contrat.pdf": RESOURCES / "password-openpassword.pdf"})
    with pytest.raises(EvidenceError, match="CASE_PDF_PASSWORD, which is not set"):
        ingest_one(case_dir, "evidence/contrat.pdf")
    monkeypatch.setenv("CASE_PDF_PASSWORD", "wrong")
    with pytest.raises(EncryptedEvidenceError, match="password given does not open it"):
        ingest_one(case_dir, "evidence/contrat.pdf")
    monkeypatch.setenv("CASE_PDF_PASSWORD", "openpassword")
    result = ingest_one(case_dir, "evidence/contrat.pdf")
    with pikepdf.open(result.main.pdf) as pdf:  # the cached copy opens without a password
        assert not pdf.is_encrypted and len(pdf.pages) == result.main.pages


def test_owner_password_only_opens(make_case):
    case_dir = make_case(files={"evidence/contrat.pdf": RESOURCES / "owner-password-only-aes.pdf"})
    assert ingest_one(case_dir, "evidence/contrat.pdf").main.pages == 30


def test_facturx_is_read(make_case):
    case_dir = make_case(files={"evidence/scan0001.pdf": RESOURCES / "facturx-basicwl.pdf"})
    facts = ingest_one(case_dir, "evidence/scan0001.pdf").facts["einvoice"]
    assert facts["xml_name"] == "factur-x.xml"
    assert facts["number"] == "FA-2017-0010"
    assert facts["date"] == "2017-11-13"
    assert facts["currency"] == "EUR"
    assert "<rsm:CrossIndustryInvoice" in facts["xml"]


def test_unsupported_file_is_exit_4_with_advice(make_case):
    case_dir = make_case(files={"evidence/plan.dwg": b"AC1032 not a document"})
    with pytest.raises(EvidenceError) as info:
        ingest_one(case_dir, "evidence/plan.dwg")
    assert "evidence/plan.dwg: this kind of file (.dwg) cannot be converted" in info.value.message
    assert "Print it to PDF" in info.value.hint


def test_sniff_by_content_first():
    from pathlib import Path

    assert sniff(Path("a.txt"), b"%PDF-1.7") == "pdf"
    assert sniff(Path("a.pdf"), b"\xff\xd8\xff\xe0") == "image"
    assert sniff(Path("mail"), b"Received: from x\r\nFrom: a") == "email"
    assert sniff(Path("a.docx"), b"PK\x03\x04") == "office"  # LibreOffice converts it
    assert sniff(Path("a.dwg"), b"AC1032") == "unsupported"


# --- images ----------------------------------------------------------------------------------


def _jpeg(size, dpi=None, color=(200, 200, 190)) -> bytes:
    out = io.BytesIO()
    im = Image.new("RGB", size, color)
    im.save(out, format="JPEG", quality=90, **({"dpi": dpi} if dpi else {}))
    return out.getvalue()


def test_scan_keeps_its_physical_size_and_jpeg_bytes(make_case):
    data = _jpeg((1654, 2339), dpi=(200, 200))  # A4 at 200 dpi
    case_dir = make_case(files={"evidence/BL-1.jpg": data})
    result = ingest_one(case_dir, "evidence/BL-1.jpg")
    with pikepdf.open(result.main.pdf) as pdf:
        page = pdf.pages[0]
        w, h = float(page.mediabox[2]), float(page.mediabox[3])
        assert abs(w - 595.4) < 1 and abs(h - 842.0) < 1
        [image] = page.obj.Resources.XObject.values()
        assert image.Filter == pikepdf.Name.DCTDecode
        assert image.read_raw_bytes() == data  # lossless: the JPEG is embedded as is


def test_photo_without_resolution_fits_a4_landscape(make_case):
    case_dir = make_case(files={"evidence/photo.png": _png((4000, 3000), alpha=True)})
    result = ingest_one(case_dir, "evidence/photo.png")
    with pikepdf.open(result.main.pdf) as pdf:
        w, h = float(pdf.pages[0].mediabox[2]), float(pdf.pages[0].mediabox[3])
    assert w > h and abs(w - 841.9) < 1


def _png(size, alpha=False) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA" if alpha else "RGB", size, (10, 20, 30, 128) if alpha else (10, 20, 30)).save(out, format="PNG")
    return out.getvalue()


def test_multipage_tiff_gives_one_page_per_frame(make_case):
    out = io.BytesIO()
    frames = [Image.new("L", (850, 1100), c) for c in (255, 200, 150)]
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:], dpi=(100, 100), compression="tiff_lzw")
    case_dir = make_case(files={"evidence/fax.tiff": out.getvalue()})
    result = ingest_one(case_dir, "evidence/fax.tiff")
    assert result.main.pages == 3
    with pikepdf.open(result.main.pdf) as pdf:
        assert len(pdf.pages) == 3
        assert abs(float(pdf.pages[0].mediabox[2]) - 612) < 1  # 8.5 in at 100 dpi


# --- e-mail ----------------------------------------------------------------------------------


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        _CountingHandler.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/gif")
        self.end_headers()
        self.wfile.write(b"GIF89a")

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    """A real HTTP server on loopback that counts requests: e-mail rendering must send none."""
    _CountingHandler.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _CountingHandler.hits
    server.shutdown()
    server.server_close()


def make_email(remote_base: str, attachment_pdf: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Comptabilité <compta@atelier-dupont.example>"
    msg["To"] = "j.martin@boulangeries-martin.example"
    msg["Date"] = "Tue, 05 May 2026 09:12:00 +0200"
    msg["Subject"] = "Relance — factures F2026-0117 et F2026-0142 échues"
    msg["Message-ID"] = make_msgid(domain="atelier-dupont.example")
    msg.set_content("Madame, Monsieur,\n\nSauf erreur de notre part, les factures restent impayées.\n")
    logo_cid = "logo@atelier"
    msg.add_alternative(
        f"""<html><head><style>body {{ background: url({remote_base}/bg.png) }}</style>
        <script>alert(1)</script><link rel="stylesheet" href="{remote_base}/x.css"></head>
        <body><p>Madame, Monsieur,</p><p>Sauf erreur de notre part, <b>2 factures</b> restent impayées.</p>
        <img src="{remote_base}/open.gif?u=42" width="1" height="1">
        <img src="cid:{logo_cid}" alt="logo">
        <a href="{remote_base}/pay">Payer en ligne</a>
        <table><tr><td>F2026-0117</td><td>18 450,00 €</td></tr></table></body></html>""",
        subtype="html",
    )
    logo = io.BytesIO()
    Image.new("RGB", (40, 20), (31, 58, 95)).save(logo, format="PNG")
    msg.get_payload()[1].add_related(logo.getvalue(), maintype="image", subtype="png", cid=f"<{logo_cid}>")
    msg.add_attachment(attachment_pdf, maintype="application", subtype="pdf", filename="Relevé de compte.pdf")
    msg.add_attachment(b"col1;col2\n", maintype="text", subtype="csv", filename="export.csv")
    return msg.as_bytes()


def test_email_rendered_without_any_network_access(make_case, tmp_path, http_server):
    base, hits = http_server
    attachment = make_pdf(tmp_path / "att.pdf", 2, text="Releve").read_bytes()
    case_dir = make_case(files={"evidence/correspondance/2026-05-05-relance.eml": make_email(base, attachment)})
    result = ingest_one(case_dir, "evidence/correspondance/2026-05-05-relance.eml")
    assert hits == []  # not one request reached the server
    mail = result.facts["email"]
    assert mail["subject"] == "Relance — factures F2026-0117 et F2026-0142 échues"
    assert mail["date"] == "2026-05-05"
    assert mail["remote_blocked"] >= 2
    text = page_text(result.main.pdf)
    assert "compta@atelier-dupont.example" in text
    assert "Relance — factures F2026-0117" in text
    assert "2 factures" in text and "18 450,00 €" in text
    assert "alert(1)" not in text
    assert "Les images distantes de ce message n'ont pas été chargées." in text
    assert "Relevé de compte.pdf" in text and "reproduite à la suite du message" in text
    assert "export.csv" in text and "non reproduite" in text
    # the PDF attachment is appended as a nested exhibit; the CSV is only listed
    [child] = result.children
    assert child.title == "Relevé de compte.pdf" and child.pages == 2
    assert "Releve 1" in page_text(child.pdf)
    with pikepdf.open(result.main.pdf) as pdf:  # no link to the outside world was kept
        for page in pdf.pages:
            for annot in page.obj.get("/Annots", []):
                assert "/URI" not in annot.get("/A", {})


def test_email_in_english_and_german_headers(make_case, tmp_path, http_server):
    base, _ = http_server
    attachment = make_pdf(tmp_path / "att.pdf", 1).read_bytes()
    case_dir = make_case(files={"evidence/mail.eml": make_email(base, attachment)}, lang="de")
    text = page_text(ingest_one(case_dir, "evidence/mail.eml", lang="de").main.pdf)
    assert "Betreff" in text and "Anhänge" in text and "Dienstag, 5. Mai 2026" in text


def test_real_world_emails(make_case):
    case_dir = make_case(
        files={
            "evidence/fwd.eml": RESOURCES / "forwarded-message.eml",
            "evidence/img.eml": RESOURCES / "image-attachment.eml",
            "evidence/korean.eml": RESOURCES / "charset-ks-c-5601.eml",
            "evidence/broken.eml": RESOURCES / "broken-pdf-attachment.eml",
        }
    )
    fwd = ingest_one(case_dir, "evidence/fwd.eml")
    assert [c.title for c in fwd.children] == ["ForwardedMessage.eml"]
    img = ingest_one(case_dir, "evidence/img.eml")
    assert [c.title for c in img.children] == ["Eelanalüüsi päring.jpg"]
    assert ingest_one(case_dir, "evidence/korean.eml").main.pages == 1
    broken = ingest_one(case_dir, "evidence/broken.eml")
    assert broken.children == []  # the damaged attachment is listed, not fatal
    assert "fichier illisible ou protégé" in page_text(broken.main.pdf)


def test_not_an_email(make_case):
    case_dir = make_case(files={"evidence/notes.eml": b"just some words\n"})
    with pytest.raises(EvidenceError, match="evidence/notes.eml: no e-mail headers found"):
        ingest_one(case_dir, "evidence/notes.eml")


# --- cache -----------------------------------------------------------------------------------


def test_cache_converts_once(make_case):
    case_dir = make_case(files={"evidence/contrat.pdf": 3})
    first = ingest_one(case_dir, "evidence/contrat.pdf")
    stamp = first.main.pdf.stat().st_mtime_ns
    first.main.pdf.write_bytes(first.main.pdf.read_bytes())  # same bytes, new mtime
    touched = first.main.pdf.stat().st_mtime_ns
    second = ingest_one(case_dir, "evidence/contrat.pdf")
    assert second.main.pdf == first.main.pdf
    assert second.main.pdf.stat().st_mtime_ns == touched  # not rewritten
    assert stamp <= touched
    # a changed file is converted again (new hash, new cache entry)
    make_pdf(case_dir / "evidence" / "contrat.pdf", 4)
    third = ingest_one(case_dir, "evidence/contrat.pdf")
    assert third.main.pdf != first.main.pdf and third.main.pages == 4


# ----------------------------------------------------------------------------------------------
# Outlook .msg (extract-msg): the same pipeline as .eml


def test_outlook_messages_become_exhibits_with_their_attachments(make_case, cli, tmp_path):
    from pypdf import PdfReader

    names = ["attachment_test_msg.msg", "example_received_regular.msg", "HTMLBodyBinary_CP1251.msg", "keywords.msg"]
    case_dir = make_case(files={f"evidence/{n}": RESOURCES / n for n in names})
    result = cli("build", case_dir)
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    by_file = {e["file"]: e for e in manifest["exhibits"]}
    assert {by_file[f"evidence/{n}"]["kind"] for n in names} == {"correspondence"}
    assert by_file["evidence/attachment_test_msg.msg"]["title"] == "test pièce jointe 1"
    assert by_file["evidence/keywords.msg"]["title"] == "Test Keywords"
    received = by_file["evidence/example_received_regular.msg"]
    assert [a["name"] for a in received["attachments"]] and received["attachments"][0]["exhibit"].endswith(".1")
    reader = PdfReader(str(case_dir / "out" / "T-100.pdf"))
    first = by_file["evidence/attachment_test_msg.msg"]["pages"][0]
    text = reader.pages[first - 1].extract_text()
    assert "test pièce jointe 1" in text and "test-unicode.doc" in text and "pj1.txt" in text
    cp1251 = reader.pages[by_file["evidence/HTMLBodyBinary_CP1251.msg"]["pages"][0] - 1].extract_text()
    assert "Subject öäü Subject" in cp1251
    with pikepdf.open(case_dir / "out" / "T-100.pdf") as pdf:
        attached = sorted(pdf.attachments)
    assert any(name.endswith("attachment_test_msg.msg") for name in attached)


def test_a_broken_outlook_message_is_exit_4_with_its_name(make_case, cli):
    case_dir = make_case(files={"evidence/courrier.msg": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600})
    result = cli("build", case_dir)
    assert result.exit_code == 4
    assert "evidence/courrier.msg" in result.stderr and "Outlook" in result.stderr


# ----------------------------------------------------------------------------------------------
# Forms flattened, scripts dropped


def test_a_filled_form_shows_its_values_and_stays_no_form(make_case, cli):
    case_dir = make_case(files={"evidence/formulaire.pdf": RESOURCES / "libreoffice-form.pdf"})
    result = cli("build", case_dir)
    assert result.exit_code == 0, result.stderr
    bundle = case_dir / "out" / "T-100.pdf"
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    first = manifest["exhibits"][0]["pages"][0]
    # "Alice" was only a field value (NeedAppearances): it is now printed on the page
    assert "Alice" in PdfReader(str(bundle)).pages[first - 1].extract_text()
    with pikepdf.open(bundle) as pdf:
        assert "/AcroForm" not in pdf.Root
        widgets = [a for a in pdf.pages[first - 1].obj.get("/Annots", []) if a.get("/Subtype") == "/Widget"]
        assert widgets == []


def test_scripts_and_launch_actions_are_dropped(make_case, cli, tmp_path):
    src = make_pdf(tmp_path / "src.pdf", 1, text="Contrat")
    with pikepdf.open(src, allow_overwriting_input=True) as pdf:
        js = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('x')")))
        pdf.Root.OpenAction = js
        pdf.Root.Names = pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("a"), js])))
        pdf.pages[0].obj.AA = pikepdf.Dictionary(O=js)
        launch = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 10, 10],
                                    A=pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("calc.exe")))
        pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(launch)]))
        pdf.save(src)
    case_dir = make_case(files={"evidence/contrat.pdf": src})
    result = cli("build", case_dir)
    assert result.exit_code == 0, result.stderr
    data = (case_dir / "out" / "T-100.pdf").read_bytes()
    with pikepdf.open(case_dir / "out" / "T-100.pdf") as pdf:
        assert "/OpenAction" not in pdf.Root and "/JavaScript" not in pdf.Root.get("/Names", {})
        for page in pdf.pages:
            assert "/AA" not in page.obj
            for annot in page.obj.get("/Annots", []):
                assert str(annot.get("/A", {}).get("/S", "")) not in ("/JavaScript", "/Launch")
    assert b"app.alert" not in data and b"calc.exe" not in data


# ----------------------------------------------------------------------------------------------
# XML-only e-invoices (XRechnung / CII, UBL)

UBL = b"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
 <cbc:ID>UBL-2026-7</cbc:ID><cbc:IssueDate>2026-03-02</cbc:IssueDate><cbc:DueDate>2026-04-01</cbc:DueDate>
 <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode><cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
 <cac:AccountingSupplierParty><cac:Party><cac:PartyLegalEntity><cbc:RegistrationName>Lieferant &amp; Co GmbH</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
 <cac:AccountingCustomerParty><cac:Party><cac:PartyLegalEntity><cbc:RegistrationName>Kunde AG</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>
 <cac:LegalMonetaryTotal><cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount>
 <cbc:TaxInclusiveAmount currencyID="EUR">119.00</cbc:TaxInclusiveAmount><cbc:PayableAmount currencyID="EUR">119.00</cbc:PayableAmount></cac:LegalMonetaryTotal>
 <cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity unitCode="C62">2</cbc:InvoicedQuantity>
 <cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount><cac:Item><cbc:Name>Schrauben</cbc:Name></cac:Item>
 <cac:Price><cbc:PriceAmount currencyID="EUR">50.00</cbc:PriceAmount></cac:Price></cac:InvoiceLine>
</Invoice>
"""


def test_xml_only_einvoices_become_readable_invoice_pages(make_case, cli):
    case_dir = make_case(files={"evidence/xrechnung.xml": RESOURCES / "xrechnung-cii.xml", "evidence/rechnung-ubl.xml": UBL},
                         lang="de")
    result = cli("build", case_dir)
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    by_file = {e["file"]: e for e in manifest["exhibits"]}
    assert by_file["evidence/xrechnung.xml"]["kind"] == by_file["evidence/rechnung-ubl.xml"]["kind"] == "invoice"
    reader = PdfReader(str(case_dir / "out" / "T-100.pdf"))
    cii = reader.pages[by_file["evidence/xrechnung.xml"]["pages"][0] - 1].extract_text()
    assert "E-Rechnung 123" in cii and "Test company" in cii and "22. Dezember 2020" in cii and "DE12500105170648489890" in cii
    ubl = reader.pages[by_file["evidence/rechnung-ubl.xml"]["pages"][0] - 1].extract_text()
    assert "UBL-2026-7" in ubl and "Lieferant & Co GmbH" in ubl and "Schrauben" in ubl and "119.00 EUR" in ubl
    assert "1. April 2026" in ubl
    with pikepdf.open(case_dir / "out" / "T-100.pdf") as pdf:
        names = sorted(pdf.attachments)
    assert any(n.endswith("xrechnung.xml") for n in names) and any(n.endswith("rechnung-ubl.xml") for n in names)


def test_an_xml_file_that_is_not_an_invoice_is_named(make_case, cli):
    case_dir = make_case(files={"evidence/export.xml": b'<?xml version="1.0"?><rsm:CrossIndustryInvoice xmlns:rsm="x">'})
    result = cli("build", case_dir)
    assert result.exit_code == 4
    assert "evidence/export.xml" in result.stderr


# ----------------------------------------------------------------------------------------------
# Office files with LibreOffice (installed by make test)


def _docx(path, lines):
    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    document.save(path)
    return path


def test_office_files_become_searchable_pages(make_case, cli, tmp_path):
    docx_path = _docx(tmp_path / "pv.docx", ["Procès-verbal de réception", "Travaux réceptionnés sans réserve le 18 mars 2026."])
    files = {
        "evidence/PV-reception-2026-03-18.docx": docx_path,
        "evidence/releve.txt": "Relevé de compte client\nSolde dû : 25 686,00 EUR\n".encode("utf-8"),
        "evidence/echeancier.csv": "Facture;Échéance;Montant\nF2026-0117;2026-04-01;18450,00\n".encode("utf-8"),
    }
    case_dir = make_case(files=files)
    result = cli("build", case_dir)
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    by_file = {e["file"]: e for e in manifest["exhibits"]}
    assert by_file["evidence/PV-reception-2026-03-18.docx"]["kind"] == "acceptance-report"
    reader = PdfReader(str(case_dir / "out" / "T-100.pdf"))
    page = lambda rel: reader.pages[by_file[rel]["pages"][0] - 1].extract_text()  # noqa: E731
    assert "Travaux réceptionnés sans réserve" in page("evidence/PV-reception-2026-03-18.docx")
    assert "Solde dû : 25 686,00 EUR" in page("evidence/releve.txt")
    assert "F2026-0117" in page("evidence/echeancier.csv")


def test_a_damaged_office_file_is_exit_4_with_its_name(make_case, cli):
    case_dir = make_case(files={"evidence/contrat.docx": b"PK\x03\x04 not really a zip"})
    result = cli("build", case_dir)
    assert result.exit_code == 4
    assert "evidence/contrat.docx" in result.stderr and "LibreOffice" in result.stderr


def test_office_conversion_runs_without_network_where_linux_allows_it():
    import shutil as sh
    import subprocess as sp

    from recouvre_docs.evidence import office

    unshare = sh.which("unshare")
    if unshare and sp.run([unshare, "-rn", "true"], capture_output=True).returncode == 0:
        assert office._isolation() == [unshare, "-rn"]


def test_a_hostile_email_builds_offline_and_writes_nothing_outside_out(make_case, tmp_path, http_server, cli):
    base, hits = http_server
    msg = EmailMessage()
    msg["From"] = "x@example.com"
    msg["To"] = "y@example.com"
    msg["Date"] = "Tue, 05 May 2026 09:12:00 +0200"
    msg["Subject"] = "Relance"
    msg.set_content("Texte")
    msg.add_alternative(
        f"""<html><head><link rel="stylesheet" href="{base}/a.css"><style>@import url({base}/b.css);</style></head>
        <body style="background-image: url({base}/c.png)"><img src="file:///etc/passwd"><img src="{base}/d.gif">
        <a href="file:///etc/shadow">ici</a><iframe src="{base}/e.html"></iframe><p>Bonjour</p></body></html>""",
        subtype="html")
    msg.add_attachment(make_pdf(tmp_path / "a.pdf", 1, text="Piece jointe").read_bytes(), maintype="application",
                       subtype="pdf", filename="../../evil.pdf")
    case_dir = make_case(files={"evidence/relance.eml": msg.as_bytes()})
    outside_before = sorted(p for p in tmp_path.rglob("*") if "out" not in p.relative_to(tmp_path).parts)
    result = cli("build", case_dir)
    assert result.exit_code == 0, result.stderr
    assert hits == []  # no stylesheet, import, background, image or frame was fetched
    outside_after = sorted(p for p in tmp_path.rglob("*") if "out" not in p.relative_to(tmp_path).parts)
    assert outside_after == outside_before  # nothing written outside out/ ("../../evil.pdf" is only a name)
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    [email] = manifest["exhibits"]
    assert [a["name"] for a in email["attachments"]] == ["../../evil.pdf"]
    text = PdfReader(str(case_dir / "out" / "T-100.pdf")).pages[email["pages"][0] - 1].extract_text()
    assert "Bonjour" in text and "root:" not in text


def test_an_html_file_is_laid_out_offline(make_case, cli, http_server):
    base, hits = http_server
    page = f"""<html><head><script>document.write('x')</script><link rel="stylesheet" href="{base}/s.css"></head>
    <body><h1>Relevé de compte</h1><p>Solde dû : <b>25 686,00 €</b></p><img src="{base}/logo.png">
    <img src="file:///etc/hostname"></body></html>"""
    case_dir = make_case(files={"evidence/releve-2026-05-05.html": page.encode("utf-8")})
    result = cli("build", case_dir)
    assert result.exit_code == 0, result.stderr
    assert hits == []
    text = PdfReader(str(case_dir / "out" / "T-100.pdf")).pages[2].extract_text()
    assert "Relevé de compte" in text and "Solde dû : 25 686,00 €" in text
    assert "Les contenus distants de cette page n'ont pas été chargés." in text


def test_a_heic_phone_photo_comes_out_upright(make_case, cli):
    import pillow_heif
    from PIL import ImageDraw

    pillow_heif.register_heif_opener()
    photo = Image.new("RGB", (600, 400), "white")  # stored landscape, taken portrait: EXIF orientation 6
    ImageDraw.Draw(photo).rectangle([0, 0, 599, 60], fill="black")
    exif = Image.Exif()
    exif[0x0112] = 6
    data = io.BytesIO()
    photo.save(data, format="HEIF", exif=exif.tobytes())
    case_dir = make_case(files={"evidence/bons-de-livraison/BL-photo.heic": data.getvalue()})
    result = cli("build", case_dir)
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    [ex] = manifest["exhibits"]
    assert ex["kind"] == "delivery-note"
    with pikepdf.open(case_dir / "out" / "T-100.pdf") as pdf:
        page = pdf.pages[ex["pages"][0] - 1]
        x0, y0, x1, y1 = (float(v) for v in page.mediabox)
        assert (y1 - y0) > (x1 - x0) and int(page.obj.get("/Rotate", 0)) == 0  # portrait, as the photo was taken


def test_a_repaired_pdf_is_said_so_in_the_manifest(make_case, cli):
    case_dir = make_case(files={"evidence/broken.pdf": RESOURCES / "damaged-repairable.pdf", "evidence/ok.pdf": 1})
    result = cli("build", case_dir)
    assert result.exit_code == 0, result.stderr
    assert "repaired" in result.stderr and "evidence/broken.pdf" in result.stderr
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    assert {e["file"]: e["repaired"] for e in manifest["exhibits"]} == {"evidence/broken.pdf": True, "evidence/ok.pdf": False}


def test_fonts_not_embedded_are_replaced_for_pdfa(make_case, cli):
    case_dir = make_case(files={"evidence/contrat.pdf": 1})  # make_pdf draws with Helvetica, not embedded
    result = cli("check", case_dir, "--procedure", "agency-handover", "--format", "json")
    findings = json.loads(result.stdout)["findings"]
    assert not [f for f in findings if f["code"] == "fonts-not-embedded"]  # Liberation Sans took its place
    [changed] = [f for f in findings if f["code"] == "pdfa-normalised"]
    assert (changed["subject"], changed["severity"]) == ("evidence/contrat.pdf", "info")
    assert "Helvetica → Liberation Sans" in changed["message"] and "PDF/A" in changed["message"]
    assert cli("build", case_dir).exit_code == 0
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    assert manifest["exhibits"][0]["fonts_not_embedded"] == []
    assert manifest["exhibits"][0]["pdfa_changes"] == ["fonts embedded: Helvetica → Liberation Sans"]


# ----------------------------------------------------------------------------------------------
# Many originals attached: qpdf stores them as a name tree with /Kids above 32 entries


def _mail(n: int, attachment: bytes | None = None, subject: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Comptabilité <compta@atelier-dupont.example>"
    msg["To"] = "j.martin@boulangeries-martin.example"
    msg["Date"] = f"Tue, {1 + n % 28:02d} Apr 2026 09:{n % 60:02d}:00 +0200"
    msg["Subject"] = subject or f"Relance n° {n}"
    msg.set_content(f"Relance n° {n} : la facture reste impayée.\n")
    if attachment is not None:
        msg.add_attachment(attachment, maintype="application", subtype="pdf", filename=f"releve-{n}.pdf")
    return msg.as_bytes()


def test_forty_emails_attach_forty_originals_in_the_bundle_and_its_volumes(make_case, cli):
    files = {f"evidence/correspondance/relance-{n:02d}.eml": _mail(n) for n in range(40)}
    case_dir = make_case(files=files)
    result = cli("build", case_dir, "--max-mb", "0.06")
    assert result.exit_code == 0, result.stderr
    bundle = case_dir / "out" / "T-100.pdf"
    with pikepdf.open(bundle) as pdf:
        assert "/Kids" in pdf.Root.Names.EmbeddedFiles  # the tree qpdf writes over 32 entries
        names = sorted(pdf.attachments)
        assert len(names) == 41 and "manifest.json" in names  # 40 e-mails and the manifest
        af = {str(spec.get("/UF", spec.get("/F"))) for spec in pdf.Root.AF}
        assert af == set(names)  # PDF/A-3: every attachment listed in the catalog's /AF
    volumes = sorted((case_dir / "out").glob("T-100-tome-*.pdf"))
    assert len(volumes) >= 2
    for volume in volumes:
        with pikepdf.open(volume) as pdf:
            af = sorted(str(spec.get("/UF", spec.get("/F"))) for spec in pdf.Root.AF)
            assert af == sorted(pdf.attachments) and "manifest.json" in af
        assert cli("verify", volume, case_dir).exit_code == 0


# ----------------------------------------------------------------------------------------------
# Conversions in worker processes: a time limit per file, the same bundle whatever the workers


def _statement_mail(rows: int) -> bytes:
    """An e-mail whose HTML body is a statement of account of ``rows`` table rows."""
    msg = EmailMessage()
    msg["From"] = "compta@atelier-dupont.example"
    msg["To"] = "j.martin@boulangeries-martin.example"
    msg["Date"] = "Tue, 05 May 2026 09:12:00 +0200"
    msg["Subject"] = "Relevé de compte"
    msg.set_content("Voir la version HTML.")
    table = "".join(f"<tr><td>F2026-{i:05d}</td><td>{i},00 €</td></tr>" for i in range(rows))
    msg.add_alternative(f"<html><body><p>Relevé de compte</p><table>{table}</table></body></html>", subtype="html")
    return msg.as_bytes()


def test_a_file_over_the_time_limit_is_named_by_build_and_check(make_case, cli, monkeypatch):
    import time

    case_dir = make_case(files={"evidence/contrat.pdf": 1})
    assert cli("build", case_dir).exit_code == 0  # the contract in the cache: only the e-mail races the limit
    before = (case_dir / "out" / "T-100.pdf").read_bytes()
    (case_dir / "evidence" / "releve.eml").write_bytes(_statement_mail(15_000))
    monkeypatch.setenv("RECOUVRE_CONVERT_TIMEOUT", "1")
    start = time.monotonic()
    result = cli("build", case_dir)
    assert time.monotonic() - start < 30
    assert result.exit_code == 4, result.stderr
    assert "evidence/releve.eml: converting it took longer than the limit of 1 s" in result.stderr
    assert "RECOUVRE_CONVERT_TIMEOUT" in result.stderr
    assert (case_dir / "out" / "T-100.pdf").read_bytes() == before  # nothing half-written: the last case file stays
    start = time.monotonic()
    checked = cli("check", case_dir, "--procedure", "agency-handover", "--format", "json")
    assert time.monotonic() - start < 30
    [finding] = [f for f in json.loads(checked.stdout)["findings"] if f["code"] == "unreadable-evidence"]
    assert finding["subject"] == "evidence/releve.eml" and "limit of 1 s" in finding["message"]
    # the other file was converted, and is in the cache: a rebuild with time enough takes only the e-mail
    monkeypatch.setenv("RECOUVRE_CONVERT_TIMEOUT", "900")
    from recouvre_docs.evidence import email as email_mod

    monkeypatch.setattr(email_mod, "MAX_BODY_ROWS", 40)  # inherited by the forked workers
    result = cli("build", case_dir)
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    mail = next(e for e in manifest["exhibits"] if e["file"] == "evidence/releve.eml")
    text = "".join(p.extract_text() for p in PdfReader(str(case_dir / "out" / "T-100.pdf")).pages[mail["pages"][0] - 1:mail["pages"][1]])
    assert "F2026-00039" in text and "F2026-00040" not in text  # the first 40 rows only…
    assert "trop long pour être reproduit en entier" in text  # …and the page says so
    assert "Suite du message non reproduite" in text


def test_the_bundle_is_the_same_whatever_the_number_of_workers(make_case, cli, monkeypatch, tmp_path):
    files = {
        "evidence/contrat.pdf": RESOURCES / "owner-password-only-aes.pdf",
        "evidence/broken.pdf": RESOURCES / "damaged-repairable.pdf",
        "evidence/fwd.eml": RESOURCES / "forwarded-message.eml",
        "evidence/img.eml": RESOURCES / "image-attachment.eml",
        "evidence/xrechnung.xml": RESOURCES / "xrechnung-cii.xml",
        "evidence/msg.msg": RESOURCES / "example_received_regular.msg",
        "evidence/facture.pdf": RESOURCES / "facturx-basicwl.pdf",
    }
    case_dir = make_case(files=files)
    digests = []
    for workers in ("1", "3"):
        monkeypatch.setenv("RECOUVRE_CONVERT_WORKERS", workers)
        out = tmp_path / f"out-{workers}"
        result = cli("build", case_dir, "-o", out)
        assert result.exit_code == 0, result.stderr
        digests.append(hashlib.sha256((out / "T-100.pdf").read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_a_build_from_a_warm_cache_starts_no_worker(make_case, cli, monkeypatch):
    from recouvre_docs.evidence import workers

    case_dir = make_case(files={"evidence/fwd.eml": RESOURCES / "forwarded-message.eml", "evidence/contrat.pdf": 2})
    assert cli("build", case_dir).exit_code == 0
    started = []
    monkeypatch.setattr(workers._Pool, "submit", lambda self, job: started.append(job) or 1 / 0)
    result = cli("build", case_dir)
    assert result.exit_code == 0, result.stderr
    assert started == []


def test_the_cores_used_are_capped_by_the_cgroup_cpu_quota(tmp_path, monkeypatch):
    """A container started with --cpus=2 sees all its host's CPUs: its cgroup's quota caps the workers,
    the cases of a batch and the index parts laid out at once (cgroup v2 cpu.max, of the process's own
    cgroup or of the mount's root; cgroup v1 cfs quota and period)."""
    from recouvre_docs.evidence import workers

    v2 = tmp_path / "v2"
    (v2 / "system.slice" / "agency.service").mkdir(parents=True)
    own = tmp_path / "cgroup"
    own.write_text("0::/system.slice/agency.service\n")
    (v2 / "system.slice" / "agency.service" / "cpu.max").write_text("150000 100000\n")
    assert workers.cgroup_cpu_quota(v2, own) == 1.5
    (v2 / "system.slice" / "agency.service" / "cpu.max").write_text("max 100000\n")
    assert workers.cgroup_cpu_quota(v2, own) is None
    (v2 / "cpu.max").write_text("200000 100000\n")  # a container: its own cgroup is the mount's root
    assert workers.cgroup_cpu_quota(v2, tmp_path / "no-such-file") == 2.0
    v1 = tmp_path / "v1"
    (v1 / "cpu,cpuacct").mkdir(parents=True)
    (v1 / "cpu,cpuacct" / "cpu.cfs_quota_us").write_text("-1\n")
    (v1 / "cpu,cpuacct" / "cpu.cfs_period_us").write_text("100000\n")
    assert workers.cgroup_cpu_quota(v1, own) is None
    (v1 / "cpu,cpuacct" / "cpu.cfs_quota_us").write_text("100000\n")
    assert workers.cgroup_cpu_quota(v1, own) == 1.0

    # the smallest quota from the process's own cgroup up to the root: a slice may cap its units
    (v2 / "system.slice" / "agency.service" / "cpu.max").write_text("400000 100000\n")
    (v2 / "system.slice" / "cpu.max").write_text("50000 100000\n")
    assert workers.cgroup_cpu_quota(v2, own) == 0.5
    (v2 / "system.slice" / "cpu.max").write_text("max 100000\n")
    assert workers.cgroup_cpu_quota(v2, own) == 2.0  # the root's (a container's own cgroup)
    (v2 / "cpu.max").write_text("not a quota\n")
    assert workers.cgroup_cpu_quota(v2, own) == 4.0
    # cgroup v1 on a host: a systemd unit's quota in the cpu controller's hierarchy
    host = tmp_path / "v1-host"
    unit = host / "cpu,cpuacct" / "system.slice" / "agency.service"
    unit.mkdir(parents=True)
    for folder, quota in ((host / "cpu,cpuacct", "-1"), (unit, "300000")):
        (folder / "cpu.cfs_quota_us").write_text(quota + "\n")
        (folder / "cpu.cfs_period_us").write_text("100000\n")
    own_v1 = tmp_path / "cgroup-v1"
    own_v1.write_text("12:memory:/system.slice/agency.service\n4:cpu,cpuacct:/system.slice/agency.service\n0::/\n")
    assert workers.cgroup_cpu_quota(host, own_v1) == 3.0

    monkeypatch.setattr(workers, "cgroup_cpu_quota", lambda: 1.0)
    assert workers.cores() == 1 and workers.max_workers(50) == 1
    monkeypatch.setattr(workers, "cgroup_cpu_quota", lambda: 0.5)  # half a CPU: still one worker
    assert workers.cores() == 1
    monkeypatch.setattr(workers, "cgroup_cpu_quota", lambda: None)
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    assert workers.cores() == max(1, expected)


def test_build_force_without_procedure_names_what_it_left_out(make_case, cli):
    files = {"evidence/contrat.pdf": 2, "evidence/factures/F9.pdf": RESOURCES / "damaged-unrepairable.pdf",
             "evidence/protege.pdf": RESOURCES / "encrypted-rc4.pdf"}
    case_dir = make_case(files=files)
    result = cli("build", case_dir, "--force")
    assert result.exit_code == 0, result.stderr
    assert "WARNING: evidence/factures/F9.pdf: left out of the bundle: not a readable PDF" in result.stderr
    assert "WARNING: evidence/protege.pdf: left out of the bundle: the PDF is encrypted" in result.stderr
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    assert [e["file"] for e in manifest["exhibits"]] == ["evidence/contrat.pdf"]
    left = {item["file"]: item for item in manifest["left_out"]}
    assert sorted(left) == ["evidence/factures/F9.pdf", "evidence/protege.pdf"]
    assert left["evidence/protege.pdf"]["reason"].startswith("the PDF is encrypted")
    assert left["evidence/factures/F9.pdf"]["sha256"] == hashlib.sha256((RESOURCES / "damaged-unrepairable.pdf").read_bytes()).hexdigest()
    cover = page_text(case_dir / "out" / "T-100.pdf", 0)
    assert "Points à vérifier avant tout dépôt" in cover
    assert "evidence/factures/F9.pdf : fichier illisible, non repris dans les pièces (not a readable PDF" in " ".join(cover.split())
    assert "evidence/protege.pdf : fichier illisible" in " ".join(cover.split())
    with pikepdf.open(case_dir / "out" / "T-100.pdf") as pdf:  # the embedded manifest says it too
        embedded = json.loads(pdf.attachments["manifest.json"].get_file().read_bytes())
    assert embedded["left_out"] == manifest["left_out"]
    # verify knows them: they were there at the build, not "added after" it
    verified = cli("verify", case_dir / "out" / "T-100.pdf", case_dir)
    assert verified.exit_code == 0, verified.stdout + verified.stderr
    assert "added to the case folder" not in verified.stdout + verified.stderr
    (case_dir / "evidence" / "factures" / "F9.pdf").write_bytes(b"%PDF-1.4 another copy")
    (case_dir / "evidence" / "nouveau.pdf").write_bytes(b"%PDF-1.4")
    verified = cli("verify", case_dir / "out" / "T-100.pdf", case_dir)
    out = verified.stdout + verified.stderr
    assert verified.exit_code != 0
    assert "evidence/factures/F9.pdf: changed since the build (left out of it as unreadable)" in out
    assert "evidence/nouveau.pdf: added to the case folder after the build" in out


# ----------------------------------------------------------------------------------------------
# An e-mail in an e-mail in an e-mail: attachments numbered by path, bookmarks and index nested


def test_nested_attachments_are_numbered_by_path(make_case, cli, tmp_path):
    import email as email_lib
    import email.policy

    real = email_lib.message_from_bytes((RESOURCES / "image-attachment.eml").read_bytes(), policy=email.policy.default)
    middle = EmailMessage()
    middle["From"], middle["To"], middle["Subject"] = "a@example.com", "b@example.com", "TR: bon de livraison"
    middle["Date"] = "Mon, 04 May 2026 10:00:00 +0200"
    middle.set_content("Voir le bon et le message transféré.")
    middle.add_attachment(make_pdf(tmp_path / "bl.pdf", 1, text="Bon BL-7").read_bytes(), maintype="application",
                          subtype="pdf", filename="BL-7.pdf")
    middle.add_attachment(real, filename="demande.eml")
    outer = EmailMessage()
    outer["From"], outer["To"], outer["Subject"] = "c@example.com", "d@example.com", "TR: TR: relance"
    outer["Date"] = "Tue, 05 May 2026 09:00:00 +0200"
    outer.set_content("Ci-joint la facture et l'échange.")
    outer.add_attachment(make_pdf(tmp_path / "f.pdf", 2, text="Facture F-1").read_bytes(), maintype="application",
                         subtype="pdf", filename="F-1.pdf")
    outer.add_attachment(middle, filename="echange.eml")
    case_dir = make_case(files={"evidence/relance.eml": outer.as_bytes()})
    result = cli("build", case_dir)
    assert result.exit_code == 0, result.stderr

    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    [ex] = manifest["exhibits"]
    got = [(a["exhibit"], a["name"], a["level"]) for a in ex["attachments"]]
    assert got == [("1.1", "F-1.pdf", 1), ("1.2", "echange.eml", 1), ("1.2.1", "BL-7.pdf", 2),
                   ("1.2.2", "demande.eml", 2), ("1.2.2.1", "Eelanalüüsi päring.jpg", 3)]
    pages = {a["exhibit"]: a["pages"] for a in ex["attachments"]}
    bundle = case_dir / "out" / "T-100.pdf"
    reader = PdfReader(str(bundle))
    assert "Facture F-1 1" in reader.pages[pages["1.1"][0] - 1].extract_text()
    assert "TR: bon de livraison" in reader.pages[pages["1.2"][0] - 1].extract_text()
    assert "Bon BL-7" in reader.pages[pages["1.2.1"][0] - 1].extract_text()
    assert "Pièce n° 1.2.2.1" in reader.pages[pages["1.2.2.1"][0] - 1].extract_text()  # the stamp

    with pikepdf.open(bundle) as pdf, pdf.open_outline() as outline:  # bookmarks nested the same way
        [top] = [item for item in outline.root if item.title.startswith("Pièce n° 1 ")]
        assert [c.title.split(" — ")[0] for c in top.children] == ["Pièce n° 1.1", "Pièce n° 1.2"]
        second = top.children[1]
        assert [c.title.split(" — ")[0] for c in second.children] == ["Pièce n° 1.2.1", "Pièce n° 1.2.2"]
        assert [c.title for c in second.children[1].children] == ["Pièce n° 1.2.2.1 — Eelanalüüsi päring.jpg"]

    # the index: one row per attachment, indented by level
    x_of: dict[str, float] = {}

    def visit(text, cm, tm, font, size):
        label = re.match(r"Pièce n° 1\.[\d.]+", text)
        if label and label.group() not in x_of:
            x_of[label.group()] = tm[4] * cm[0] + cm[4]

    index_page = next(p for p in reader.pages if "Bordereau de pièces" in (p.extract_text() or ""))
    index_page.extract_text(visitor_text=visit)
    assert list(x_of) == ["Pièce n° 1.1", "Pièce n° 1.2", "Pièce n° 1.2.1", "Pièce n° 1.2.2", "Pièce n° 1.2.2.1"]
    assert x_of["Pièce n° 1.1"] == x_of["Pièce n° 1.2"] < x_of["Pièce n° 1.2.1"] == x_of["Pièce n° 1.2.2"] < x_of["Pièce n° 1.2.2.1"]


def test_a_damaged_trailer_is_repaired_into_a_new_pdf(make_case, cli):
    names = ["damaged-trailer-bad7.pdf", "damaged-trailer-bad9.pdf", "damaged-trailer-bad16.pdf"]
    case_dir = make_case(files={f"evidence/{n}": RESOURCES / n for n in names})
    result = cli("build", case_dir)
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    assert {e["file"]: e["repaired"] for e in manifest["exhibits"]} == {f"evidence/{n}": True for n in names}
    reader = PdfReader(str(case_dir / "out" / "T-100.pdf"))
    for exhibit in manifest["exhibits"]:
        assert "Potato" in reader.pages[exhibit["pages"][0] - 1].extract_text()  # the page's own text
    for n in names:
        assert f"evidence/{n}: damaged PDF repaired by qpdf" in result.stderr


def test_a_credit_note_is_titled_as_one(make_case, cli):
    from recouvre_docs.casefolder import refine

    avoir = RESOURCES / "einvoices" / "ZUGFeRDv2_correct_FNFE-factur-x-examples_Avoir_FR_type381_BASIC.pdf"
    case_dir = make_case(files={"evidence/scan-0042.pdf": avoir, "evidence/scan-0043.pdf": RESOURCES / "facturx-basicwl.pdf"})
    result = cli("build", case_dir)
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    titles = {e["file"]: e["title"] for e in manifest["exhibits"]}
    assert titles == {"evidence/scan-0042.pdf": "Avoir n° AV-2017-0005", "evidence/scan-0043.pdf": "Facture n° FA-2017-0010"}
    index = next(p.extract_text() for p in PdfReader(str(case_dir / "out" / "T-100.pdf")).pages if "Bordereau" in p.extract_text())
    assert "Avoir n° AV-2017-0005" in index
    result = ingest_one(case_dir, "evidence/scan-0042.pdf")
    piece = next(p for p in discover(load_case(case_dir)) if p.rel == "evidence/scan-0042.pdf")
    assert refine(piece, result.facts, "en").title == "Credit note AV-2017-0005"
    assert refine(piece, result.facts, "de").title == "Gutschrift Nr. AV-2017-0005"


def test_an_ocr_over_its_time_limit_stops_the_build_or_is_skipped_with_force(make_case, cli, monkeypatch):
    from PIL import ImageDraw, ImageFont

    font = ImageFont.load_default(size=36)
    pages = []
    for n in range(4):  # four A4 pages at 300 dpi, full of typed-looking lines: seconds of Tesseract's time
        page = Image.new("1", (2480, 3508), 1)
        draw = ImageDraw.Draw(page)
        for line in range(60):
            draw.text((150, 150 + 55 * line), f"BON DE LIVRAISON BL-2026-{n}{line:03d} palette {line} quantité 12", fill=0, font=font)
        pages.append(page)
    data = io.BytesIO()
    pages[0].save(data, format="TIFF", save_all=True, append_images=pages[1:], compression="group4", dpi=(300, 300))
    case_dir = make_case(files={"evidence/BL-2026-0225.tiff": data.getvalue()})
    assert cli("build", case_dir).exit_code == 0  # converted (cached); only the OCR is left to time out
    monkeypatch.setenv("RECOUVRE_CONVERT_TIMEOUT", "0.5")  # far less than OCRmyPDF needs for four full pages
    temp = case_dir.parent / "tmp"  # the conversion workers' temporary folder (forked from this process)
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    result = cli("build", case_dir, "--ocr")
    assert result.exit_code == 4, result.stderr
    assert "evidence/BL-2026-0225.tiff: recognising its text (OCR) took longer than the limit of 0.5 s" in result.stderr
    # the killed OCR left nothing behind (OCRmyPDF's page images)
    assert [p.name for p in temp.iterdir() if not p.name.startswith("recouvre-render-")] == []
    result = cli("build", case_dir, "--ocr", "--force")
    assert result.exit_code == 0, result.stderr
    assert "WARNING: evidence/BL-2026-0225.tiff: recognising its text (OCR) took longer" in result.stderr
    assert "(left as it is, not searchable)" in result.stderr
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    assert manifest["exhibits"][0]["pages"] == [3, 6] and manifest["ocr_pages"] == []


def test_what_an_exhibit_could_not_carry_is_a_check_finding(make_case, cli, tmp_path):
    broken_xml = tmp_path / "facture.pdf"
    with pikepdf.open(RESOURCES / "facturx-basicwl.pdf") as pdf:  # its Factur-X XML cut in the middle
        xml = pdf.attachments["factur-x.xml"].get_file().read_bytes()
        pdf.attachments["factur-x.xml"] = pikepdf.AttachedFileSpec(pdf, xml[: len(xml) // 2], filename="factur-x.xml")
        pdf.save(broken_xml)
    case_dir = make_case(files={"evidence/releve.eml": RESOURCES / "broken-pdf-attachment.eml",
                                "evidence/facture.pdf": broken_xml})
    result = cli("check", case_dir, "--procedure", "agency-handover", "--format", "json")
    findings = {f["code"]: f for f in json.loads(result.stdout)["findings"]}
    attachment = findings["attachment-not-reproduced"]
    assert attachment["severity"] == "warning" and attachment["subject"] == "evidence/releve.eml › broken.pdf"
    assert "la pièce jointe « broken.pdf » du courriel ne peut pas être reproduite (not a readable PDF" in attachment["message"]
    einvoice = findings["einvoice-unreadable"]
    assert einvoice["severity"] == "warning" and einvoice["subject"] == "evidence/facture.pdf"
    assert "la facture électronique jointe au PDF (factur-x.xml) ne peut pas être lue" in einvoice["message"]
    assert "not well-formed" in einvoice["message"]


def test_a_rebuild_takes_the_merged_exhibits_from_the_cache(make_case, cli, monkeypatch, tmp_path):
    """After an edit of case.toml alone the exhibits are the same files: the rebuild takes their merge
    from the cache (no qpdf) and writes the same bundle as a build from nothing; new evidence, a new merge."""
    from recouvre_docs import bundle

    case_dir = make_case(files={"evidence/contrat.pdf": 2, "evidence/factures/F1.pdf": 1})
    assert cli("build", case_dir).exit_code == 0
    cache = case_dir / "out" / ".cache"
    assert len(list(cache.glob("merged-*.pdf"))) == 1
    with (case_dir / "case.toml").open("a", encoding="utf-8") as f:
        f.write("\n# edited\n")
    fresh = tmp_path / "fresh"
    shutil.copytree(case_dir, fresh, ignore=shutil.ignore_patterns("out"))

    def no_merge(*args, **kwargs):
        raise AssertionError("the exhibits were merged again")

    with monkeypatch.context() as m:
        m.setattr(bundle.Merge, "__init__", no_merge)
        result = cli("build", case_dir)
    assert result.exit_code == 0, result.stderr
    assert cli("build", fresh).exit_code == 0
    assert (case_dir / "out" / "T-100.pdf").read_bytes() == (fresh / "out" / "T-100.pdf").read_bytes()
    assert cli("verify", case_dir / "out" / "T-100.pdf").exit_code == 0

    make_pdf(case_dir / "evidence" / "bon-de-livraison.pdf", 1)
    with monkeypatch.context() as m:
        m.setattr(bundle.Merge, "__init__", no_merge)
        assert cli("build", case_dir).exit_code != 0  # another set of exhibits needs a merge
    assert cli("build", case_dir).exit_code == 0
    assert len(list(cache.glob("merged-*.pdf"))) == 1  # the earlier one replaced


def test_a_damaged_merge_in_the_cache_is_merged_again(make_case, cli):
    """A kept merge that does not open without repair (here cut in half) is deleted and the exhibits
    merged anew: the bundle is whole and verifies."""
    case_dir = make_case(files={"evidence/contrat.pdf": 3, "evidence/factures/F1.pdf": 1})
    assert cli("build", case_dir).exit_code == 0
    kept = next((case_dir / "out" / ".cache").glob("merged-*.pdf"))
    kept.write_bytes(kept.read_bytes()[: kept.stat().st_size // 2])
    result = cli("build", case_dir)
    assert result.exit_code == 0, result.stderr
    assert f"{kept.name}: damaged, deleted" in result.stderr
    assert cli("verify", case_dir / "out" / "T-100.pdf").exit_code == 0
    with pikepdf.open(next((case_dir / "out" / ".cache").glob("merged-*.pdf"))) as merged:
        assert len(merged.pages) == 4  # kept again, whole


def test_pages_laid_out_in_the_case_language_are_cached_per_language(make_case, cli):
    """An HTML page (like an e-mail) is laid out with labels in the case language: built again with
    --lang de, it is converted again, not taken from the French build's cache."""
    from recouvre_docs.evidence import _key

    case_dir = make_case(files={"evidence/contrat.pdf": 1, "evidence/page-web.html": b"<p>Conditions en ligne</p>"})

    def kickers() -> list[bool]:
        texts = [page.extract_text() for page in PdfReader(str(case_dir / "out" / "T-100.pdf")).pages]
        return [any("Page HTML" in t for t in texts), any("HTML-Seite" in t for t in texts)]

    assert cli("build", case_dir).exit_code == 0
    assert kickers() == [True, False]
    assert cli("build", case_dir, "--lang", "de").exit_code == 0
    assert kickers() == [False, True]
    sha = "ab" * 32
    for kind in ("email", "msg", "html", "einvoice-xml"):
        assert _key(sha, kind, "fr") != _key(sha, kind, "de")
    for kind in ("pdf", "image", "office"):  # nothing of theirs is written in the case language
        assert _key(sha, kind, "fr") == _key(sha, kind, "de")


def test_a_rebuild_keeps_the_exhibit_pages_digests_while_their_stamps_are_the_same(make_case, cli, monkeypatch):
    """The digests of the pages (the manifest's page_sha256) are kept in the cache: a rebuild after a
    comment in case.toml digests none (the front pages' files are the same too), one after a new debtor
    address the front pages only (the cover changed); a new case reference changes every stamp, and
    every page is digested again. Every bundle verifies."""
    from recouvre_docs import digest

    monkeypatch.setenv("RECOUVRE_IN_PROCESS", "1")  # the stamping pass in this process, to count
    case_dir = make_case(files={"evidence/contrat.pdf": 3, "evidence/factures/F1.pdf": 2})
    assert cli("build", case_dir).exit_code == 0
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    [kept] = (case_dir / "out" / ".cache").glob("digests-*.txt")
    assert kept.read_text().split() == manifest["page_sha256"][manifest["front_pages"]:]

    digested = []
    real = digest.Digester.page
    monkeypatch.setattr(digest.Digester, "page", lambda self, n, obj=None: digested.append(n) or real(self, n, obj))
    toml = case_dir / "case.toml"
    toml.write_text(toml.read_text("utf-8") + "\n# edited\n", "utf-8")
    assert cli("build", case_dir).exit_code == 0
    assert digested == []  # the front pages' files are those of the last build too
    assert cli("verify", case_dir / "out" / "T-100.pdf").exit_code == 0

    digested.clear()  # verify digests every page
    toml.write_text(toml.read_text("utf-8").replace("80331 München", "80333 München"), "utf-8")  # on the cover
    assert cli("build", case_dir).exit_code == 0
    assert digested == list(range(manifest["front_pages"]))
    assert cli("verify", case_dir / "out" / "T-100.pdf").exit_code == 0

    digested.clear()
    toml.write_text(toml.read_text("utf-8").replace('reference = "T-100"', 'reference = "T-101"'), "utf-8")
    assert cli("build", case_dir).exit_code == 0
    assert digested == list(range(manifest["pages"]))
    assert cli("verify", case_dir / "out" / "T-101.pdf").exit_code == 0
    assert len(list((case_dir / "out" / ".cache").glob("digests-*.txt"))) == 1
    assert len(list((case_dir / "out" / ".cache").glob("front-digests-*.txt"))) == 1


def test_ctrl_c_while_the_workers_start_is_an_interrupt_not_a_bug(monkeypatch, tmp_path):
    """Ctrl-C can come while ProcessPoolExecutor starts the thread that watches its workers (made, not
    yet started). The pool's clean-up then met "cannot join thread before it is started", and the
    build said "This is a bug" (exit 9) instead of "Interrupted." (130): the workers are killed and
    reaped, and the interrupt goes on."""
    from concurrent.futures import process as futures_process

    from recouvre_docs.evidence import workers

    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(futures_process._ExecutorManagerThread, "start", interrupted)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the pool makes its workers' folder
    jobs = [workers.Job(pow, (2, n), shown_as=f"evidence/{n}.pdf") for n in range(4)]
    with pytest.raises(KeyboardInterrupt):
        workers.run(jobs)
    assert list(tmp_path.iterdir()) == []  # the workers' folder removed


def test_ctrl_c_while_the_pool_is_made_leaves_no_folder(monkeypatch, tmp_path):
    """Ctrl-C can also come after the pool made its workers' folder and before it made its executor."""
    from concurrent.futures import process as futures_process

    from recouvre_docs.evidence import workers

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(futures_process.ProcessPoolExecutor, "__init__", interrupted)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(KeyboardInterrupt):
        workers.run([workers.Job(pow, (2, 3), shown_as="evidence/x.pdf")])
    assert list(tmp_path.iterdir()) == []
