"""recouvre-docs verify: one changed byte in an original, one in the bundle, an edited page, an added file."""

from __future__ import annotations

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
    case, _ = copy_case(built, tmp_path)
    p12 = make_p12(tmp_path / "signer.p12", b"secret")
    monkeypatch.setenv("RECOUVRE_SIGN_PASSWORD", "secret")
    result = CliRunner().invoke(main, ["build", str(case), "--sign", str(p12)])
    assert result.exit_code == 0, result.stderr
    pdf = case / "out" / "CASE-42.pdf"
    checked = run(pdf, case)
    assert checked.exit_code == 0, checked.stdout
    assert "Signed by Maître Sophie Lambert (Lambert Avocats): intact, covers the whole file" in checked.stdout
    assert "Traceback" not in checked.stdout + checked.stderr  # pyHanko's log of the self-signed certificate
    with pikepdf.open(pdf) as doc:  # still PDF/A-3b content under the signature
        assert doc.open_metadata()["pdfaid:part"] == "3"
    # an edit appended after the signature: the signature no longer covers the whole file
    with pikepdf.open(pdf) as doc:
        doc.pages[3].contents_add(doc.make_stream(b"BT /F1 40 Tf 100 400 Td (PAYE) Tj ET"))
        doc.save(tmp_path / "edited.pdf")
    edited = run(tmp_path / "edited.pdf")
    assert edited.exit_code == 1


def test_a_wrong_signing_password_is_exit_3(built, tmp_path, monkeypatch):
    case, _ = copy_case(built, tmp_path)
    p12 = make_p12(tmp_path / "signer.p12", b"secret")
    monkeypatch.setenv("RECOUVRE_SIGN_PASSWORD", "wrong")
    result = CliRunner().invoke(main, ["build", str(case), "--sign", str(p12)])
    assert result.exit_code == 3
    assert "signer.p12" in result.stderr and "RECOUVRE_SIGN_PASSWORD" in result.stderr
    assert "Traceback" not in result.stderr  # pyHanko's own log stays quiet without -v


def test_volumes_keep_whole_exhibits_continuous_numbers_and_verify_alone(built, tmp_path):
    case, _ = copy_case(built, tmp_path)
    limit = 300_000
    result = CliRunner().invoke(main, ["build", str(case), "--max-mb", "0.3"])
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((case / "out" / "manifest.json").read_text())
    vols = manifest["volumes"]
    assert len(vols) >= 2 and vols[0]["file"] == "CASE-42-tome-1.pdf"
    # consecutive page ranges covering the whole bundle, each exhibit in exactly one volume
    assert vols[0]["pages"][0] == 1 and vols[-1]["pages"][1] == manifest["pages"]
    assert all(b["pages"][0] == a["pages"][1] + 1 for a, b in zip(vols, vols[1:]))
    for ex in manifest["exhibits"]:
        [holder] = [v for v in vols if v["pages"][0] <= ex["pages"][0] and ex["pages"][1] <= v["pages"][1]]
        if holder["size"] > limit:  # over the limit only when one exhibit alone is
            assert sum(1 for e in manifest["exhibits"] if holder["pages"][0] <= e["pages"][0] <= holder["pages"][1]) == 1
    for v in vols:
        path = case / "out" / v["file"]
        reader = PdfReader(str(path))
        first = v["pages"][0]
        assert len(reader.pages) == v["pages"][1] - first + 1
        assert f"{first} / {manifest['pages']}" in reader.pages[0].extract_text()  # the bundle's numbers, continued
        assert reader.page_labels[0] == str(first)
        assert run(path).exit_code == 0  # each volume verifies on its own
    with pikepdf.open(case / "out" / vols[1]["file"]) as pdf:
        assert "Tome 2 sur" in str(pdf.docinfo["/Title"])
