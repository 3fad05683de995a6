"""recouvre-docs verify: one changed byte in an original, one in the bundle, an edited page, an added file;
what lives outside the content streams (images, form XObjects, embedded files, links, document
information); a renamed bundle; case.toml, rates/ and templates/ of the case folder; signatures."""

from __future__ import annotations

import hashlib
import json
import shutil

import pikepdf
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

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
    assert "the whole file against its SHA-256 in manifest.json" in result.stdout
    assert "2 embedded files against their SHA-256" in result.stdout and "case.toml" in result.stdout
    assert "Not checked" not in result.stdout


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


def test_a_bundle_cut_short_is_reported_damaged(built, tmp_path):
    """A truncated download: not repaired and compared (qpdf would rebuild a file that was never
    built), but named as damaged, exit 1, and no signature read from it."""
    _, pdf = copy_case(built, tmp_path)
    pdf.write_bytes(pdf.read_bytes()[:-5000])
    result = run(pdf)
    assert result.exit_code == 1, result.output
    assert "CHANGED  CASE-42.pdf: the file is damaged, it is not a complete PDF" in result.stdout
    assert "get the file again from its sender" in result.stdout and "internal error" not in result.output


def test_a_page_edited_and_resaved_without_the_manifest_beside(built, tmp_path):
    alone = tmp_path / "sent-by-mail.pdf"  # the bundle alone, as a recipient gets it
    with pikepdf.open(built / "out" / "CASE-42.pdf") as pdf:
        page = pdf.pages[10]
        page.contents_add(pdf.make_stream(b"BT /F1 40 Tf 100 400 Td (PAYE) Tj ET"))
        pdf.save(alone)
    result = run(alone)
    assert result.exit_code == 1
    assert "page edited after the build: 11" in result.stdout


def alone(built, tmp_path, name, edit):
    """The bundle as a recipient holds it (no manifest.json beside it), edited by ``edit(pdf)`` and
    saved again by pikepdf, as an editing tool would."""
    target = tmp_path / name
    with pikepdf.open(built / "out" / "CASE-42.pdf") as pdf:
        edit(pdf)
        pdf.save(target)
    return target


def delivery_note_image(pdf):
    """The JPEG of the delivery note (exhibit 4), where the bundle's page 15 draws it."""
    [image] = [x for x in pdf.pages[14].obj.Resources.XObject.values() if x.get("/Filter") == "/DCTDecode"]
    return image


def flip_a_jpeg_byte(pdf):
    image = delivery_note_image(pdf)
    data = bytearray(image.read_raw_bytes())
    data[len(data) // 2] ^= 0x01
    image.write(bytes(data), filter=pikepdf.Name.DCTDecode)


def replace_the_jpeg(pdf):
    import io

    from PIL import Image

    image = delivery_note_image(pdf)
    out = io.BytesIO()
    Image.new("RGB", (int(image.Width), int(image.Height)), "white").save(out, "JPEG")
    image.write(out.getvalue(), filter=pikepdf.Name.DCTDecode)


def forge_the_email(pdf):
    [name] = [n for n in pdf.attachments if n.endswith(".eml")]
    data = pdf.attachments[name].get_file().read_bytes().replace(b"Relance", b"Rappel amiable", 1)
    pdf.attachments[name] = pikepdf.AttachedFileSpec(pdf, data, filename=name, mime_type="message/rfc822")


def retarget_a_link(pdf):
    index = pdf.pages[5]  # the bordereau: its first link goes to exhibit 1, page 7
    link = next(a for a in index.obj.Annots if "/Dest" in a)
    link.Dest = pikepdf.Array([pdf.pages[20].obj, pikepdf.Name.Fit])


def change_the_title(pdf):
    pdf.docinfo["/Title"] = "CASE-42 — Dossier de recouvrement (version corrigée)"


@pytest.mark.parametrize("edit, expected", [
    (flip_a_jpeg_byte, "page edited after the build: 15"),
    (replace_the_jpeg, "page edited after the build: 15"),
    (retarget_a_link, "page edited after the build: 6"),
    (forge_the_email, "embedded file '007-2026-05-05-relance.eml' changed since the build (exhibit 7)"),
    (change_the_title, "document information changed since the build: title"),
])
def test_edits_outside_the_content_streams_are_caught_from_the_bundle_alone(built, tmp_path, edit, expected):
    """Exhibits live in images, form XObjects and embedded files, links in annotations: none of these
    may change unseen, even when only the bundle is at hand."""
    pdf = alone(built, tmp_path, f"{edit.__name__}.pdf", edit)
    result = run(pdf)
    assert result.exit_code == 1, result.stdout
    assert f"CHANGED  {pdf.name}: {expected}" in result.stdout
    # without the manifest beside it, verify says what it could not check
    assert "Not checked: the whole file, byte for byte (no manifest.json beside it)" in result.stdout
    assert "Intact" not in result.stdout


def test_a_bundle_alone_unchanged_is_intact_but_says_the_whole_file_was_not_checked(built, tmp_path):
    pdf = tmp_path / "received.pdf"
    shutil.copyfile(built / "out" / "CASE-42.pdf", pdf)
    result = run(pdf)
    assert result.exit_code == 0
    assert result.stdout.startswith("Intact: 21 pages against their digests; 2 embedded files")
    assert "Not checked: the whole file, byte for byte" in result.stdout


def test_a_renamed_bundle_is_matched_with_its_manifest_by_content(built, tmp_path):
    case, pdf = copy_case(built, tmp_path)
    renamed = pdf.with_name("CASE-42 envoyé au greffe.pdf")
    pdf.rename(renamed)
    result = run(renamed)
    assert result.exit_code == 0, result.stdout
    assert "the whole file against its SHA-256 in manifest.json" in result.stdout and "Not checked" not in result.stdout
    # one changed byte in the renamed file: its hash no longer matches, but its manifest still does
    data = bytearray(renamed.read_bytes())
    data[len(data) // 3] ^= 0x01
    renamed.write_bytes(bytes(data))
    result = run(renamed)
    assert result.exit_code == 1
    assert "the file differs from the one built (SHA-256 in manifest.json)" in result.stdout


def test_case_toml_rates_and_templates_are_in_the_manifest(built, tmp_path):
    case, pdf = copy_case(built, tmp_path)
    manifest = json.loads((case / "out" / "manifest.json").read_text())
    assert set(manifest["case_files"]) == {"case.toml"}
    toml = case / "case.toml"
    toml.write_text(toml.read_text("utf-8").replace("amount = 18450.00", "amount = 28450.00"), "utf-8")
    (case / "evidence" / "Thumbs.db").write_bytes(b"\x00" * 64)  # system litter: discovery skips it, so does verify
    (case / "evidence" / "~$contrat.docx").write_bytes(b"lock")
    (case / "rates").mkdir()
    (case / "rates" / "ecb-mro.csv").write_text("effective,rate,status,source,note\n")
    result = run(pdf, case)
    assert result.exit_code == 1
    assert "CHANGED  case.toml: changed since the build" in result.stdout
    assert "CHANGED  rates/ecb-mro.csv: added to the case folder after the build" in result.stdout
    assert "Thumbs.db" not in result.stdout and "~$contrat" not in result.stdout


def test_a_template_override_is_hashed_and_checked(built, tmp_path):
    case, _ = copy_case(built, tmp_path)
    (case / "templates").mkdir()
    (case / "templates" / "style.css").write_text("body { font-size: 10pt; }\n")
    result = CliRunner().invoke(main, ["build", str(case)])
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((case / "out" / "manifest.json").read_text())
    assert manifest["case_files"]["templates/style.css"]
    pdf = case / "out" / "CASE-42.pdf"
    assert run(pdf, case).exit_code == 0
    (case / "templates" / "style.css").write_text("body { font-size: 14pt; }\n")
    result = run(pdf, case)
    assert result.exit_code == 1 and "CHANGED  templates/style.css: changed since the build" in result.stdout


def test_the_manifest_records_versions_rates_and_embedded_files(built):
    import pikepdf as pk

    manifest = json.loads((built / "out" / "manifest.json").read_text())
    assert manifest["versions"]["pikepdf"] == pk.__version__ and manifest["versions"]["qpdf"] == pk.__libqpdf_version__
    assert manifest["versions"]["weasyprint"] and manifest["versions"]["recouvre-docs"]
    # each rate table by content and by the last date it knows
    assert set(manifest["rate_versions"]) <= set(manifest["rates"])
    assert manifest["rate_versions"]["data/rates/ecb-mro.csv"] >= "2026-01-01"
    assert {e["name"]: e["exhibit"] for e in manifest["embedded"]} == {"005-factur-x.xml": 5,
                                                                       "007-2026-05-05-relance.eml": 7}
    original = built / "evidence" / "correspondance" / "2026-05-05-relance.eml"
    assert next(e for e in manifest["embedded"] if e["exhibit"] == 7)["sha256"] == hashlib.sha256(original.read_bytes()).hexdigest()
    assert manifest["document"] == {"title": "CASE-42 — Dossier de recouvrement", "author": "Lambert Avocats",
                                    "subject": "Requête en injonction de payer", "keywords": "CASE-42",
                                    "language": "fr", "pdfa": manifest["document"]["pdfa"]}


def make_p12(path, password: bytes):
    """A self-signed signing certificate and its key, made for the test (cryptography)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Maître Sophie Lambert"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Lambert Avocats")])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(42).not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"signer", key, cert, None, serialization.BestAvailableEncryption(password)))
    return path


def test_a_signed_bundle_verifies_and_a_change_breaks_it(built, tmp_path, monkeypatch):
    case, pdf = copy_case(built, tmp_path)
    unsigned = pdf.read_bytes()
    p12 = make_p12(tmp_path / "signer.p12", b"secret")
    monkeypatch.setenv("RECOUVRE_SIGN_PASSWORD", "secret")
    result = CliRunner().invoke(main, ["build", str(case), "--sign", str(p12)])
    assert result.exit_code == 0, result.stderr
    signed = pdf.read_bytes()
    # an incremental update: the bundle as built (byte-identical for the same inputs) is left as it is
    assert signed.startswith(unsigned) and len(signed) > len(unsigned)
    # the manifest names the signed file (not the one the save hashed as it wrote it)
    assert json.loads((case / "out" / "manifest.json").read_text())["bundle"]["sha256"] == hashlib.sha256(signed).hexdigest()
    checked = run(pdf, case)
    assert checked.exit_code == 0, checked.stdout
    assert ("Signed by Maître Sophie Lambert (Lambert Avocats): intact, covers the whole file "
            "(certificate not checked against a trust list)") in checked.stdout
    assert "Traceback" not in checked.stdout + checked.stderr  # pyHanko's log of the self-signed certificate
    assert "21 pages against their digests" in checked.stdout  # the invisible signature field shows nothing
    with pikepdf.open(pdf) as doc:  # the PDF/A claim is kept under the signature
        claim = json.loads((case / "out" / "manifest.json").read_text())["document"]["pdfa"]
        meta = doc.open_metadata()
        assert claim and f"{meta['pdfaid:part']}{meta['pdfaid:conformance']}" == claim
    assert f"PDF/A-{claim} claim kept" in checked.stdout
    # an edit appended after the signature: the signature no longer covers the whole file
    with pikepdf.open(pdf) as doc:
        doc.pages[3].contents_add(doc.make_stream(b"BT /F1 40 Tf 100 400 Td (PAYE) Tj ET"))
        doc.save(tmp_path / "edited.pdf")
    edited = run(tmp_path / "edited.pdf")
    assert edited.exit_code == 1
    assert "page edited after the build: 4" in edited.stdout


def test_a_wrong_signing_password_is_exit_3(built, tmp_path, monkeypatch):
    case, _ = copy_case(built, tmp_path)
    p12 = make_p12(tmp_path / "signer.p12", b"secret")
    monkeypatch.setenv("RECOUVRE_SIGN_PASSWORD", "wrong")
    result = CliRunner().invoke(main, ["build", str(case), "--sign", str(p12)])
    assert result.exit_code == 3
    assert "signer.p12" in result.stderr and "RECOUVRE_SIGN_PASSWORD" in result.stderr
    assert "Traceback" not in result.stderr  # pyHanko's own log stays quiet without -v
