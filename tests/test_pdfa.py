"""PDF/A: exhibits that break conformance in every way the audit found, built here, made PDF/A-safe
when ingested, and the bundle checked by a PDF/A validator (page, a Rust port of veraPDF's rules)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess

import page
import pikepdf
import pytest
from PIL import Image, ImageCms
from pikepdf import Array, Dictionary, Name, String
from pypdf import PdfReader

from recouvre_docs import bundle, iccprofile, pdfa

pytestmark = pytest.mark.slow


def validate(path, profile: str = "3b") -> list[str]:
    """The validator's failed rules, with their first message (empty: conformant)."""
    report = page.validate_pdf(str(path), profile=profile)
    failed = {}
    for failure in report.failures:
        failed.setdefault(failure.rule_id, failure.message)
    assert report.is_compliant == (not failed)
    return [f"{rule}: {message}" for rule, message in sorted(failed.items())]


def _page(pdf: pikepdf.Pdf, content: bytes, fonts: dict | None = None) -> pikepdf.Page:
    pdf.add_blank_page(page_size=(595, 842))
    p = pdf.pages[-1]
    if fonts:
        p.obj.Resources = Dictionary(Font=Dictionary({k: pdf.make_indirect(v) for k, v in fonts.items()}))
    p.obj.Contents = pdf.make_stream(content)
    return p


def helvetica_pdf() -> bytes:
    """An old generator's letter: Helvetica and Times-Bold, not embedded, no widths, StandardEncoding."""
    pdf = pikepdf.new()
    _page(pdf, b"BT /F1 14 Tf 72 760 Td (Avoir n\xb0 12 - l'acompte) Tj ET BT /F2 12 Tf 72 730 Td (Montant 1 200 EUR) Tj ET",
          {"/F1": Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica),
           "/F2": Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name("/Times-Bold"),
                             Encoding=Name.WinAnsiEncoding)})
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def annotated_pdf() -> bytes:
    """A Text note without appearance, a link without flags, Hide and Named /Print actions, a URI
    link whose /Next chain runs JavaScript, a hidden stamp, and a CMYK rectangle."""
    pdf = pikepdf.new()
    p = _page(pdf, b"0 0.6 1 0 k 72 700 200 20 re f 0 0 1 rg 72 600 200 20 re f")
    appearance = pdf.make_stream(b"0 0 1 rg 0 0 20 20 re f", Type=Name.XObject, Subtype=Name.Form, BBox=[0, 0, 20, 20])
    annots = [
        Dictionary(Type=Name.Annot, Subtype=Name.Text, Rect=[100, 600, 120, 620], Contents=String("note")),
        Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[72, 700, 272, 720],
                   A=Dictionary(S=Name.URI, URI=String("https://example.org/facture"))),
        Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[72, 650, 272, 670], F=4,
                   A=Dictionary(S=Name.Hide, T=String("x"))),
        Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[72, 620, 272, 640], F=4,
                   A=Dictionary(S=Name.Named, N=Name.Print)),
        Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[72, 590, 272, 610], F=4,
                   A=Dictionary(S=Name.URI, URI=String("https://example.org/x"),
                                Next=Dictionary(S=Name.JavaScript, JS=String("app.alert(1)"),
                                                Next=Dictionary(S=Name.Named, N=Name.NextPage)))),
        Dictionary(Type=Name.Annot, Subtype=Name.Stamp, Rect=[300, 300, 320, 320], F=2, AP=Dictionary(N=appearance)),
        Dictionary(Type=Name.Annot, Subtype=Name.Square, Rect=[300, 400, 320, 420], F=4 | 256,
                   AP=Dictionary(N=appearance, D=appearance)),
    ]
    p.obj.Annots = Array([pdf.make_indirect(a) for a in annots])
    pdf.Root.OpenAction = Dictionary(S=Name.Named, N=Name.Print)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def attachment_pdf() -> bytes:
    """An .exe attached twice (annotation and document), JavaScript in an outline item."""
    pdf = pikepdf.new()
    p = _page(pdf, b"0 0 1 rg 72 600 200 20 re f")
    spec = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00binary", filename="outil.exe")
    p.obj.Annots = Array([pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.FileAttachment, Rect=[100, 100, 120, 120], F=4, FS=spec.obj, Contents=String("pj")))])
    pdf.attachments["outil.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00binary", filename="outil.exe")
    with pdf.open_outline() as outline:
        outline.root.append(pikepdf.OutlineItem("js", 0))
    pdf.Root.Outlines.First.A = Dictionary(S=Name.JavaScript, JS=String("app.alert(2)"))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def cmyk_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("CMYK", (400, 560), (0, 60, 200, 10)).save(out, format="JPEG", dpi=(72, 72))
    return out.getvalue()


def unembeddable_pdf() -> bytes:
    """A Word-style TrueType font with no program and no metric-compatible substitute."""
    pdf = pikepdf.new()
    descriptor = Dictionary(Type=Name.FontDescriptor, FontName=Name("/Calibri"), Flags=32, FontBBox=[-503, -312, 1240, 1026],
                            ItalicAngle=0, Ascent=750, Descent=-250, CapHeight=632, StemV=80)
    _page(pdf, b"BT /F1 12 Tf 72 760 Td (Conditions particulieres) Tj ET",
          {"/F1": Dictionary(Type=Name.Font, Subtype=Name.TrueType, BaseFont=Name("/Calibri"), Encoding=Name.WinAnsiEncoding,
                             FirstChar=32, LastChar=122, Widths=Array([500] * 91), FontDescriptor=descriptor)})
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    from click.testing import CliRunner

    from conftest import CASE_TOML
    from recouvre_docs.cli import main

    root = tmp_path_factory.mktemp("pdfa") / "case"
    ev = root / "evidence"
    ev.mkdir(parents=True)
    (ev / "avoir-helvetica-2026-04-10.pdf").write_bytes(helvetica_pdf())
    (ev / "courriel-annote-2026-04-11.pdf").write_bytes(annotated_pdf())
    (ev / "scan-cmyk-2026-04-12.jpg").write_bytes(cmyk_jpeg())
    (ev / "piece-jointe-2026-04-14.pdf").write_bytes(attachment_pdf())
    (root / "case.toml").write_text(CASE_TOML.format(lang="fr", extra="").replace(
        "as_of = 2026-11-23\n", 'as_of = 2026-11-23\nprocedure = "agency-handover"\n'), "utf-8")
    result = CliRunner().invoke(main, ["build", str(root), "--force"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    out = root / "out"
    return {"pdf": out / "T-100.pdf", "manifest": json.loads((out / "manifest.json").read_text("utf-8")),
            "report": json.loads((out / "report.json").read_text("utf-8")) if (out / "report.json").exists() else None}


def test_a_bundle_of_non_conformant_exhibits_validates_as_pdfa_3b(broken):
    assert validate(broken["pdf"], "3b") == []
    with pikepdf.open(broken["pdf"]) as pdf:
        meta = pdf.open_metadata()
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("3", "B")
    assert broken["manifest"]["pdfa"] == {"claimed": "PDF/A-3b", "part": "3", "not_claimed_because": []}


def test_the_manifest_says_what_was_changed_in_each_exhibit(broken):
    changes = {e["file"].split("/")[-1]: e["pdfa_changes"] for e in broken["manifest"]["exhibits"]}
    assert changes["avoir-helvetica-2026-04-10.pdf"] == [
        "fonts embedded: Helvetica → Liberation Sans, Times-Bold → Liberation Serif Bold"]
    assert changes["courriel-annote-2026-04-11.pdf"] == [
        "hidden annotations removed (1)",
        "annotations without an appearance removed (1)",
        "annotations set to print (2)",
        "actions PDF/A forbids removed (4: Hide, JavaScript, Named Print)",
        "its CMYK colours given a colour profile (they show as in a viewer without one)",
    ]
    assert changes["scan-cmyk-2026-04-12.jpg"] == [
        "its CMYK colours given a colour profile (they show as in a viewer without one)"]
    assert changes["piece-jointe-2026-04-14.pdf"] == [
        "annotations of a kind PDF/A forbids removed (1: FileAttachment)",
        "actions PDF/A forbids removed (1: JavaScript)",
        "embedded files removed: outil.exe",
    ]


def test_the_check_reports_the_changes_in_the_case_language(broken):
    found = {f["subject"]: f for f in broken["report"]["findings"] if f["code"] == "pdfa-normalised"}
    assert set(found) == {"evidence/avoir-helvetica-2026-04-10.pdf", "evidence/courriel-annote-2026-04-11.pdf",
                          "evidence/scan-cmyk-2026-04-12.jpg", "evidence/piece-jointe-2026-04-14.pdf"}
    assert all(f["severity"] == "info" for f in found.values())
    helvetica = found["evidence/avoir-helvetica-2026-04-10.pdf"]["message"]
    assert "polices incorporées : Helvetica → Liberation Sans" in helvetica and "fichier original n'est pas modifié" in helvetica
    assert "fichiers incorporés retirés : outil.exe" in found["evidence/piece-jointe-2026-04-14.pdf"]["message"]


def test_what_pdfa_forbids_is_gone_and_what_it_allows_stays(broken):
    manifest = broken["manifest"]
    by_name = {e["file"].split("/")[-1]: e for e in manifest["exhibits"]}
    with pikepdf.open(broken["pdf"]) as pdf:
        kinds = set()
        actions = [a.get("/A") for p in pdf.pages for a in p.obj.get("/Annots") or []]
        while actions:
            action = actions.pop()
            if isinstance(action, pikepdf.Dictionary):
                kinds.add((str(action.S), str(action.get("/N", ""))))
                actions.append(action.get("/Next"))
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and "/S" in obj:
                kinds.add((str(obj.S), str(obj.get("/N", ""))))
            assert not (isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == Name.FileAttachment)
            if isinstance(obj, pikepdf.Stream) and obj.get("/Type") == Name.EmbeddedFile:
                assert not obj.read_bytes().startswith(b"MZ")  # only the manifest and originals are attached
        assert not {k for k, _ in kinds} & {"/JavaScript", "/Hide", "/Launch"}
        assert ("/Named", "/Print") not in kinds and ("/Named", "/NextPage") in kinds  # navigation kept
        annotated = pdf.pages[by_name["courriel-annote-2026-04-11.pdf"]["pages"][0] - 1]
        annots = list(annotated.obj.Annots)
        assert [str(a.Subtype) for a in annots] == ["/Link"] * 4 + ["/Square"]
        assert all(int(a.F) & 4 and not int(a.F) & (1 | 2 | 32 | 256) for a in annots)
        assert set(annots[-1].AP.keys()) == {"/N"}
        assert str(annots[0].A.URI) == "https://example.org/facture"
        scan = pdf.pages[by_name["scan-cmyk-2026-04-12.jpg"]["pages"][0] - 1]
        [image] = [x for x in scan.Resources.XObject.values() if x.get("/Subtype") == Name.Image]
        assert image.ColorSpace == Name.DeviceCMYK and image.Filter == Name.DCTDecode  # the JPEG as scanned
        default = scan.Resources.ColorSpace.DefaultCMYK
        assert default[0] == Name.ICCBased and default[1].read_bytes() == iccprofile.cmyk_profile()
    fonts = subprocess.run(["pdffonts", str(broken["pdf"])], capture_output=True, text=True, check=True).stdout
    lines = fonts.splitlines()
    emb_at = [i for i, ch in enumerate(lines[1]) if ch == "-" and (i == 0 or lines[1][i - 1] == " ")][3]
    assert all(row[emb_at:emb_at + 3] == "yes" for row in lines[2:]), fonts
    assert "+LiberationSans " in fonts and "+LiberationSerif-Bold " in fonts
    helvetica = by_name["avoir-helvetica-2026-04-10.pdf"]["pages"][0]
    text = PdfReader(str(broken["pdf"])).pages[helvetica - 1].extract_text()
    assert "Avoir n° 12 - l’acompte" in text and "Montant 1 200 EUR" in text  # StandardEncoding: ' is ’


def test_a_font_that_cannot_be_replaced_makes_the_bundle_claim_no_pdfa(make_case, cli):
    case_dir = make_case(files={"evidence/conditions-calibri.pdf": unembeddable_pdf(), "evidence/contrat.pdf": 1})
    result = cli("check", case_dir, "--procedure", "agency-handover", "--format", "json")
    [finding] = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "fonts-not-embedded"]
    assert finding["subject"] == "evidence/conditions-calibri.pdf" and finding["severity"] == "info"
    assert "Calibri" in finding["message"] and "ne se déclare donc pas conforme PDF/A" in finding["message"]
    assert cli("build", case_dir).exit_code == 0
    bundle_pdf = case_dir / "out" / "T-100.pdf"
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    [calibri] = [e for e in manifest["exhibits"] if e["file"] == "evidence/conditions-calibri.pdf"]
    assert calibri["fonts_not_embedded"] == ["Calibri"]
    assert manifest["pdfa"] == {"claimed": None, "part": None, "not_claimed_because": [
        {"exhibit": str(calibri["exhibit"]), "label": calibri["label"], "file": "evidence/conditions-calibri.pdf",
         "fonts_not_embedded": ["Calibri"]}]}
    with pikepdf.open(bundle_pdf) as pdf:
        meta = pdf.open_metadata()
        assert "pdfaid:part" not in meta and "pdfaid:conformance" not in meta  # no false claim
        assert len(pdf.Root.OutputIntents) == 1  # the rest of PDF/A is kept
        [embedded] = [json.loads(f.get_file().read_bytes()) for n, f in pdf.attachments.items() if n == "manifest.json"]
        assert embedded["pdfa"]["claimed"] is None
    # the helper's Helvetica was replaced; Calibri is the only thing a validator holds against the file
    assert [r.split(":")[0] for r in validate(bundle_pdf, "3b")] == ["PDFA3B-FONT-EMBEDDING-001", "PDFA3B-ID-SCHEMA-001"]


def test_an_exhibit_with_a_fault_besides_its_font_is_rewritten_and_one_with_its_font_in_a_soft_mask_is_fixed(
        make_case, cli):
    """An exhibit is merged as it came only when a standard font is all make_safe changed in it, even
    silently: one whose note also has a down appearance (6.3.3 keeps the normal one only) is rewritten,
    and the bundle holds the normal appearance only. A Helvetica drawn only in a soft mask's group is
    embedded in the bundle too: the bundle validates as PDF/A-3b."""
    pdf = pikepdf.new()
    helvetica = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica, Encoding=Name.WinAnsiEncoding)
    p = _page(pdf, b"BT /F1 14 Tf 72 760 Td (Note au client) Tj ET", {"/F1": helvetica})
    look = lambda rgb: pdf.make_stream(rgb + b" rg 0 0 20 20 re f", Type=Name.XObject, Subtype=Name.Form,  # noqa: E731
                                       BBox=[0, 0, 20, 20])
    p.obj.Annots = Array([pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Square, Rect=[100, 600, 120, 620],
                                                       F=4, AP=Dictionary(N=look(b"1 0 0"), D=look(b"0 0 1"))))])
    noted = io.BytesIO()
    pdf.save(noted)

    pdf = pikepdf.new()
    group = pdf.make_stream(b"BT /F1 40 Tf 72 700 Td (MASQUE) Tj ET", Type=Name.XObject, Subtype=Name.Form,
                            BBox=[0, 0, 595, 842], Group=Dictionary(S=Name.Transparency, CS=Name.DeviceGray),
                            Resources=Dictionary(Font=Dictionary(F1=pdf.make_indirect(Dictionary(
                                Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica, Encoding=Name.WinAnsiEncoding)))))
    p = _page(pdf, b"/GS1 gs 0 0 1 rg 0 0 595 842 re f")
    p.obj.Resources = Dictionary(ExtGState=Dictionary(GS1=Dictionary(Type=Name.ExtGState, SMask=Dictionary(
        Type=Name.Mask, S=Name.Luminosity, G=group))))
    masked = io.BytesIO()
    pdf.save(masked)

    case_dir = make_case(files={"evidence/note-2026-04-10.pdf": noted.getvalue(),
                                "evidence/masque-2026-04-11.pdf": masked.getvalue()})
    assert cli("build", case_dir).exit_code == 0
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    by_file = {e["file"]: e for e in manifest["exhibits"]}
    assert by_file["evidence/masque-2026-04-11.pdf"]["pdfa_changes"] == ["fonts embedded: Helvetica → Liberation Sans"]
    assert manifest["pdfa"]["claimed"] == "PDF/A-3b"
    bundle_pdf = case_dir / "out" / "T-100.pdf"
    with pikepdf.open(bundle_pdf) as pdf:
        first = by_file["evidence/note-2026-04-10.pdf"]["pages"][0]
        [annot] = [a for a in pdf.pages[first - 1].Annots if a.get("/Subtype") == Name.Square]
        assert set(annot.AP.keys()) == {"/N"}
        mask_page = pdf.pages[by_file["evidence/masque-2026-04-11.pdf"]["pages"][0] - 1]
        font = mask_page.Resources.ExtGState.GS1.SMask.G.Resources.Font.F1
        assert "/FontFile2" in font.FontDescriptor
    assert validate(bundle_pdf, "3b") == []


def test_standard_font_names_and_their_liberation_family():
    assert pdfa.match("Helvetica") == ("Sans", False, False)
    assert pdfa.match("ABCDEF+Arial-BoldItalicMT") == ("Sans", True, True)
    assert pdfa.match("Arial,Bold") == ("Sans", True, False)
    assert pdfa.match("TimesNewRomanPS-ItalicMT") == ("Serif", False, True)
    assert pdfa.match("Times-Roman") == ("Serif", False, False)
    assert pdfa.match("CourierNewPSMT") == ("Mono", False, False)
    assert pdfa.match("Courier-BoldOblique") == ("Mono", True, True)
    for other in ("Symbol", "ZapfDingbats", "ArialNarrow", "Helvetica-Narrow", "Arial-Black", "Calibri", "Helvetica-Light"):
        assert pdfa.match(other) is None, other


def test_a_substitute_font_is_made_once_per_user_and_a_damaged_copy_is_made_again(tmp_path, monkeypatch):
    """The Liberation subsets that replace a missing standard font depend on no case: made once, kept
    in the user's cache and read back by the next process (which then needs no fontTools subsetting);
    a cache file cut short or edited is not used (made again, and rewritten)."""
    monkeypatch.setenv("RECOUVRE_CACHE_DIR", str(tmp_path / "user"))
    source = helvetica_pdf()  # its /ID is random: the same file each time

    def substituted() -> bytes:
        pdfa._program.cache_clear()  # as in a new process
        pdf = pikepdf.open(io.BytesIO(source))
        assert pdfa.make_safe(pdf)["pdfa"]["fonts_embedded"] == [["Helvetica", "Liberation Sans"],
                                                                 ["Times-Bold", "Liberation Serif Bold"]]
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
        return out.getvalue()

    made = substituted()
    stored = sorted((tmp_path / "user").glob("substitute-font-*.json"))
    assert len(stored) == 2
    fields = [json.loads(s.read_text("utf-8")) for s in stored]
    real = pdfa._make_program
    monkeypatch.setattr(pdfa, "_make_program", lambda *a: pytest.fail("made again, not read back"))
    assert substituted() == made
    monkeypatch.setattr(pdfa, "_make_program", real)
    for damage in ({"widths": fields[0]["widths"][:10] + [[40, "x"]]}, {"data": fields[0]["data"][:40]},
                   {"bbox": [0, 0, 0]}, {"italic_angle": "0"}):
        stored[0].write_text(json.dumps({**fields[0], **damage}), "utf-8")
        assert substituted() == made
        assert json.loads(stored[0].read_text("utf-8")) == fields[0]  # made again and written back


def test_the_cmyk_profile_is_read_by_littlecms_and_means_what_viewers_show():
    """LittleCMS opens the profile and converts CMYK to sRGB as ISO 32000-1 10.4.2.4 does without one."""
    data = iccprofile.cmyk_profile()
    assert data == iccprofile.cmyk_profile.__wrapped__()  # deterministic
    assert data[36:40] == b"acsp" and data[12:24] == b"prtrCMYKLab "
    cmyk = ImageCms.ImageCmsProfile(io.BytesIO(data))
    srgb = ImageCms.ImageCmsProfile(io.BytesIO(bundle.srgb_profile()))
    transform = ImageCms.buildTransform(cmyk, srgb, "CMYK", "RGB", renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)
    samples = [(0, 0, 0, 0), (255, 0, 0, 0), (0, 255, 0, 0), (0, 0, 255, 0), (0, 0, 0, 255), (128, 64, 32, 16),
               (30, 30, 30, 30), (200, 0, 0, 100)]
    image = Image.new("CMYK", (len(samples), 1))
    image.putdata(samples)
    converted = ImageCms.applyTransform(image, transform)
    for x, sample in enumerate(samples):
        c, m, y, k = (v / 255 for v in sample)
        expected = [255 * (1 - min(1, v + k)) for v in (c, m, y)]
        assert all(abs(a - b) <= 3 for a, b in zip(converted.getpixel((x, 0)), expected)), (sample, converted.getpixel((x, 0)))


def test_no_stream_of_the_bundle_ends_with_a_carriage_return(tmp_path):
    """qpdf writes 'data LF endstream': data ending in CR would read as a CR LF end and a wrong Length."""
    import zlib

    content = next(b"0 0 m %d l S" % i for i in range(10000) if zlib.compress(b"0 0 m %d l S" % i, 6).endswith(b"\r"))
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].obj.Contents = pdf.make_stream(content)  # qpdf would compress it to bytes ending with CR
    packed = pdf.make_stream(b"")
    packed.write(zlib.compress(content, 6), filter=Name.FlateDecode)  # already compressed, ending with CR
    pdf.pages[0].obj.Resources = Dictionary(XObject=Dictionary(X=packed))
    changed = pdfa.unambiguous_stream_ends(pdf)  # both rewritten (and the blank page's empty stream compressed)
    assert {pdf.pages[0].obj.Contents.objgen, packed.objgen} <= changed
    pdf.save(tmp_path / "f.pdf")
    assert b"\r\nendstream" not in (tmp_path / "f.pdf").read_bytes()
    with pikepdf.open(tmp_path / "f.pdf") as back:
        assert back.pages[0].obj.Contents.read_bytes().rstrip() == content  # the same drawing
        assert back.pages[0].Resources.XObject.X.read_bytes() == content


def test_a_stream_whose_compressed_data_ends_with_cr_keeps_its_bytes(tmp_path):
    """One stream in 256 compresses to data ending with CR (the last byte of its Adler-32): the fix
    puts the LF after the compressed data, never into it, so an attached e-mail keeps its SHA-256."""
    import zlib

    from recouvre_docs import pdfa

    data = next(d for d in (b"From: a@example.com\r\n\r\nRelance\r\n" + b"-" * k + b"\r\n" for k in range(256))
                if zlib.compress(d, 6).endswith(b"\r"))
    pdf = pikepdf.new()
    pdf.attachments["mail.eml"] = pikepdf.AttachedFileSpec(pdf, data, filename="mail.eml", mime_type="message/rfc822")
    stream = pdf.attachments["mail.eml"].obj.EF.F
    stream.write(data)  # uncompressed: the fix compresses it, and its compressed form ends with CR
    assert "/Filter" not in stream
    assert pdfa.unambiguous_stream_ends(pdf) == {stream.objgen}
    pdf.save(tmp_path / "x.pdf")
    with pikepdf.open(tmp_path / "x.pdf") as back:
        stream = back.attachments["mail.eml"].obj.EF.F
        assert not stream.read_raw_bytes().endswith(b"\r")
        assert back.attachments["mail.eml"].get_file().read_bytes() == data


def test_a_manifest_that_compresses_to_a_cr_still_makes_a_pdfa_bundle(broken, tmp_path):
    """The manifest is attached after the stream-end pass has looked at every stream: one manifest in
    256 compressed to data ending with CR, and the bundle failed PDF/A's stream-length rule. Here a
    manifest of such bytes, set as build sets it, and saved as build saves."""
    import zlib

    from recouvre_docs import bundle

    with pikepdf.open(broken["pdf"]) as pdf:
        real = pdf.attachments["manifest.json"].get_file().read_bytes()
        data = next(d for d in (real + b"\t" * k for k in range(2048)) if zlib.compress(d, 6).endswith(b"\r"))
        bundle.set_attachment(pdf, "manifest.json", data)
        bundle.save(pdf, tmp_path / "b.pdf", data)
    with pikepdf.open(tmp_path / "b.pdf") as back:
        assert back.attachments["manifest.json"].get_file().read_bytes() == data
    assert validate(tmp_path / "b.pdf", "3b") == []


def test_the_fast_cmyk_operator_test_agrees_with_the_pattern():
    """pdfa._cmyk_operator screens a content stream with a byte translation before the pattern: it
    must say what the pattern says, on every arrangement of the operator and its neighbours."""
    import random

    from recouvre_docs import pdfa

    rng = random.Random(7)
    alphabet = [b"k", b"K", b" ", b"\n", b"\r", b"\t", b"\x0b", b"\f", b"\x00", b"[", b"]", b"(", b")", b"<", b">",
                b"/", b"a", b"0", b"1", b"Tj", b"rg", b"%"]
    samples = [b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(20000)]
    samples += [b"0 0 0 1 k", b"1 0 0 1 K\n", b"(k) Tj", b"/k 1 Tf", b"[(a)]k", b"0 k(", b"k", b"K/x", b"(Bank) Tj"]
    disagree = [s for s in samples if pdfa._cmyk_operator(s) != bool(pdfa._CMYK_OPERATOR.search(s))]
    assert not disagree, disagree[:5]
    assert sum(pdfa._cmyk_operator(s) for s in samples) > 1000  # both answers are exercised


def test_a_stream_in_a_forbidden_coding_that_does_not_decode_withholds_the_claim(make_case, cli):
    """qpdf writes an LZW stream anew, Flate-compressed, when it saves, unless its data does not decode:
    it then stays LZW, which PDF/A forbids (6.1.7.2). The bundle does not claim PDF/A, and says which
    exhibit holds it."""
    from conftest import RESOURCES

    case_dir = make_case(files={"evidence/contrat-lzw.pdf": RESOURCES / "corpus" / "pdf" / "qpdf-damaged-stream.pdf",
                                "evidence/facture.pdf": 1})
    assert cli("build", case_dir).exit_code == 0
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    [lzw] = [e for e in manifest["exhibits"] if e["file"] == "evidence/contrat-lzw.pdf"]
    assert manifest["pdfa"] == {"claimed": None, "part": None, "not_claimed_because": [
        {"exhibit": str(lzw["exhibit"]), "label": lzw["label"], "file": "evidence/contrat-lzw.pdf",
         "streams_not_decodable": 1}]}
    bundle_pdf = case_dir / "out" / "T-100.pdf"
    with pikepdf.open(bundle_pdf) as pdf:
        assert "pdfaid:part" not in pdf.open_metadata()  # no false claim
    assert any(r.startswith("PDFA3B-STREAM-FILTER") for r in validate(bundle_pdf, "3b"))
    # and the check says it before any build (the conversion counts such streams)
    shutil.rmtree(case_dir / "out")
    result = cli("check", case_dir, "--procedure", "agency-handover", "--format", "json")
    [finding] = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "stream-not-decodable"]
    assert finding["subject"] == "evidence/contrat-lzw.pdf" and finding["severity"] == "info"
    assert finding["message"].startswith("evidence/contrat-lzw.pdf : flux de données endommagés (codés en LZW")
    assert ": 1 ;" in finding["message"] and "PDF/A" in finding["source"]
