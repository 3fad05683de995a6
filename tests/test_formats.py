"""One test per evidence format, on real files: office documents made by LibreOffice, the corpus's
images and rotated PDFs, page sizes from A5 to A3, a 300-page PDF (memory measured), and what
happens without LibreOffice."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import textwrap

import pikepdf
import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader

from conftest import RESOURCES, make_pdf

FODP = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.3"
 office:mimetype="application/vnd.oasis.opendocument.presentation">
 <office:body><office:presentation><draw:page draw:name="p1">
  <draw:frame svg:x="2cm" svg:y="2cm" svg:width="20cm" svg:height="3cm"><draw:text-box>
   <text:p>Planning de livraison — lot 3, semaine 14</text:p></draw:text-box></draw:frame>
 </draw:page></office:presentation></office:body></office:document>
"""


@pytest.fixture(scope="module")
def office_files(tmp_path_factory):
    """ODT, RTF, XLSX, ODS and PPTX written by LibreOffice itself from text, CSV and a flat ODP."""
    work = tmp_path_factory.mktemp("office")
    (work / "pv.txt").write_text("Procès-verbal de réception\nTravaux réceptionnés sans réserve le 18 mars 2026.\n", "utf-8")
    (work / "courrier.txt").write_text("Lettre de relance\nSolde dû au 5 mai 2026 : 25 686,00 EUR.\n", "utf-8")
    (work / "releve.csv").write_text("Facture;Échéance;Montant\nF2026-0117;2026-04-01;18450,00\n", "utf-8")
    (work / "echeancier.csv").write_text("Échéance;Montant\n2026-06-30;9225,00\n2026-07-31;9225,00\n", "utf-8")
    (work / "planning.fodp").write_text(FODP, "utf-8")
    jobs = [("pv.txt", "odt", "Text (encoded):UTF8"), ("courrier.txt", "rtf", "Text (encoded):UTF8"),
            ("releve.csv", "xlsx", "CSV:59,34,76"), ("echeancier.csv", "ods", "CSV:59,34,76"),
            ("planning.fodp", "pptx", None)]
    procs = []
    for n, (src, fmt, infilter) in enumerate(jobs):
        cmd = [shutil.which("soffice"), f"-env:UserInstallation={(work / f'profile{n}').as_uri()}", "--headless",
               *([f"--infilter={infilter}"] if infilter else []), "--convert-to", fmt, "--outdir", str(work / "made"),
               str(work / src)]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      env={**os.environ, "HOME": str(work)}))
    for proc in procs:
        assert proc.wait(timeout=300) == 0
    made = {p.suffix: p for p in (work / "made").iterdir()}
    assert sorted(made) == [".ods", ".odt", ".pptx", ".rtf", ".xlsx"]
    return made


def _texts(case_dir):
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    reader = PdfReader(str(case_dir / "out" / "T-100.pdf"))
    return manifest, {e["file"]: " ".join(reader.pages[e["pages"][0] - 1].extract_text().split()) for e in manifest["exhibits"]}


def test_opendocument_excel_powerpoint_and_rtf_files_become_searchable_pages(make_case, cli, office_files):
    files = {
        "evidence/PV-reception.odt": office_files[".odt"],
        "evidence/relance.rtf": office_files[".rtf"],
        "evidence/releve-de-compte.xlsx": office_files[".xlsx"],
        "evidence/echeancier.ods": office_files[".ods"],
        "evidence/planning.pptx": office_files[".pptx"],
    }
    case_dir = make_case(files=files)
    result = cli("build", case_dir)
    assert result.exit_code == 0, result.stderr
    manifest, text = _texts(case_dir)
    assert "Travaux réceptionnés sans réserve le 18 mars 2026." in text["evidence/PV-reception.odt"]
    assert "Solde dû au 5 mai 2026 : 25 686,00 EUR." in text["evidence/relance.rtf"]
    assert "F2026-0117" in text["evidence/releve-de-compte.xlsx"] and "Échéance" in text["evidence/releve-de-compte.xlsx"]
    assert "2026-07-31" in text["evidence/echeancier.ods"]
    assert "Planning de livraison — lot 3, semaine 14" in text["evidence/planning.pptx"]
    kinds = {e["file"]: e["kind"] for e in manifest["exhibits"]}
    assert kinds["evidence/PV-reception.odt"] == "acceptance-report" and kinds["evidence/relance.rtf"] == "reminder"


def test_without_libreoffice_an_office_file_is_exit_5_with_the_install_command(make_case, tmp_path, office_files):
    from click.testing import CliRunner

    from recouvre_docs.cli import main

    case_dir = make_case(files={"evidence/PV.odt": office_files[".odt"], "evidence/contrat.pdf": 1})
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "qpdf").symlink_to(shutil.which("qpdf"))  # qpdf, and nothing else: no soffice, no libreoffice
    runner = CliRunner(env={"PATH": str(bin_dir)})
    result = runner.invoke(main, ["build", str(case_dir)])
    assert result.exit_code == 5, result.stderr
    assert "LibreOffice is required" in result.stderr
    assert "apt-get install libreoffice-writer-nogui" in result.stderr and "brew install --cask libreoffice" in result.stderr
    assert runner.invoke(main, ["check", str(case_dir), "--procedure", "agency-handover"]).exit_code == 5


# --- rotations, page sizes ---------------------------------------------------------------------


def test_rotated_pages_90_and_180_stay_readable_with_an_upright_stamp(make_case, cli, tmp_path):
    files = {}
    for angle in (90, 180):  # qpdf's test files: content drawn turned; then the same pages with /Rotate set by qpdf
        files[f"evidence/tourne-{angle}.pdf"] = RESOURCES / f"rotated-{angle}.pdf"
        rotated = tmp_path / f"rotate-{angle}.pdf"
        subprocess.run([shutil.which("qpdf"), f"--rotate=+{angle}", str(RESOURCES / f"rotated-{angle}.pdf"), str(rotated)],
                       check=True)
        files[f"evidence/rotate-{angle}.pdf"] = rotated
    case_dir = make_case(files=files)
    result = cli("build", case_dir)
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    reader = PdfReader(str(case_dir / "out" / "T-100.pdf"))
    with pikepdf.open(case_dir / "out" / "T-100.pdf") as pdf:
        for ex in manifest["exhibits"]:
            n = ex["pages"][0] - 1
            rotate = int(pdf.pages[n].obj.get("/Rotate", 0))
            assert rotate == (int(ex["file"].split("-")[1][:-4]) if "rotate-" in ex["file"] else 0)
            page = reader.pages[n]
            assert "Thick green border surrounds page." in page.extract_text(orientations=(0, 90, 180, 270))
            upright = page.extract_text(orientations=(rotate,))  # the stamp reads the way the viewer shows the page
            assert f"Pièce n° {ex['exhibit']}" in upright and f"{n + 1} / {len(reader.pages)}" in upright


def test_a5_and_a3_pages_keep_their_size_and_text(make_case, cli):
    a5, a3 = (419.53, 595.28), (841.89, 1190.55)
    case_dir = make_case(files={"evidence/bon-A5.pdf": [{"size": a5, "text": "Bon A5"}],
                                "evidence/plan-A3.pdf": [{"size": a3, "text": "Plan A3"}, {"size": (a3[1], a3[0]), "text": "Plan A3 paysage"}]})
    result = cli("build", case_dir)
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    from recouvre_docs import stamp

    reader = PdfReader(str(case_dir / "out" / "T-100.pdf"))
    expected = {"evidence/bon-A5.pdf": [("Bon A5", a5)], "evidence/plan-A3.pdf": [("Plan A3", a3), ("Plan A3 paysage", (a3[1], a3[0]))]}
    for ex in manifest["exhibits"]:
        for (text, (w, h)), n in zip(expected[ex["file"]], range(ex["pages"][0] - 1, ex["pages"][1])):
            page = reader.pages[n]
            x0, y0, x1, y1 = (float(v) for v in page.mediabox)
            assert (round(x1 - x0, 1), round(y1 - y0, 1)) == (round(w, 1), round(h + stamp.BAND, 1))  # not scaled: a band added
            content = page.extract_text()
            assert text in content and f"bottom-edge-" in content and f"Pièce n° {ex['exhibit']}" in content


# --- images ------------------------------------------------------------------------------------


def test_the_corpus_images_jpeg_png_tiff_become_pages(make_case, cli):
    case_dir = make_case(files={"evidence/photo.jpg": RESOURCES / "smile.jpg", "evidence/capture.png": RESOURCES / "smile.png",
                                "evidence/fax.tiff": RESOURCES / "smile-lzw.tiff"})
    result = cli("build", case_dir)
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    by_file = {e["file"]: e for e in manifest["exhibits"]}
    with pikepdf.open(case_dir / "out" / "T-100.pdf") as pdf:
        for rel in by_file:
            page = pdf.pages[by_file[rel]["pages"][0] - 1]
            images = [x for x in page.obj.Resources.XObject.values() if x.get("/Subtype") == "/Image"]
            assert len(images) == 1 and (int(images[0].Width), int(images[0].Height)) == (16, 16)
            if rel.endswith(".jpg"):  # the JPEG embedded as it is
                assert images[0].read_raw_bytes() == (RESOURCES / "smile.jpg").read_bytes()
            else:  # decoded back, the pixels are those of the file
                decoded = pikepdf.PdfImage(images[0]).as_pil_image().convert("RGB")
                original = Image.open(RESOURCES / ("smile.png" if rel.endswith(".png") else "smile-lzw.tiff")).convert("RGB")
                assert decoded.tobytes() == original.tobytes()


def test_a_jpeg_is_shown_as_its_exif_orientation_says(make_case, cli):
    photo = Image.new("RGB", (1600, 1200), "white")  # stored landscape, taken portrait: EXIF orientation 6
    ImageDraw.Draw(photo).rectangle([0, 0, 1599, 100], fill="black")
    exif = Image.Exif()
    exif[0x0112] = 6
    data = io.BytesIO()
    photo.save(data, format="JPEG", exif=exif.tobytes(), dpi=(200, 200))
    case_dir = make_case(files={"evidence/BL-photo.jpg": data.getvalue()})
    result = cli("build", case_dir)
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text())
    [ex] = manifest["exhibits"]
    with pikepdf.open(case_dir / "out" / "T-100.pdf") as pdf:
        page = pdf.pages[ex["pages"][0] - 1]
        rotate = int(page.obj.get("/Rotate", 0))
        x0, y0, x1, y1 = (float(v) for v in page.mediabox)
        shown = (x1 - x0, y1 - y0) if rotate % 180 == 0 else (y1 - y0, x1 - x0)
        assert shown[1] > shown[0]  # portrait, as the photo was taken
        [image] = [x for x in page.obj.Resources.XObject.values() if x.get("/Subtype") == "/Image"]
        assert image.read_raw_bytes() == data.getvalue()  # lossless: turned by the page, not re-encoded
    upright = PdfReader(str(case_dir / "out" / "T-100.pdf")).pages[ex["pages"][0] - 1].extract_text(orientations=(rotate,))
    assert "Pièce n° 1" in upright


# --- a 300-page PDF streams: memory does not grow with it ----------------------------------------


MEASURE = textwrap.dedent("""
    import json, resource, sys
    from recouvre_docs import api
    result = api.build(sys.argv[1])
    print(json.dumps({"pages": result.pages, "self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "children": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
""")


def _scan_pdf(path, pages: int) -> None:
    """A scanned-looking PDF: every page its own 150 KB greyscale image (noise: it does not compress)."""
    import random

    rng = random.Random(7)
    pdf = pikepdf.new()
    for _ in range(pages):
        image = pdf.make_stream(rng.randbytes(500 * 300), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                                Width=500, Height=300, ColorSpace=pikepdf.Name.DeviceGray, BitsPerComponent=8)
        content = pdf.make_stream(b"q 595 0 0 357 0 242 cm /Im0 Do Q")
        pdf.pages.append(pikepdf.Page(pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=[0, 0, 595, 842], Contents=content,
                                                         Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)))))
    pdf.save(path, compress_streams=False)


def _measured_build(case_dir) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    # through sh, which forks the build: a process started straight from pytest would report pytest's
    # own memory as its ru_maxrss (Linux keeps the high-water mark across exec)
    proc = subprocess.run(["/bin/sh", "-c", '"$0" -c "$1" "$2"; exit $?', sys.executable, MEASURE, str(case_dir)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_300_page_pdf_streams_without_loading_the_bundle(make_case, tmp_path):
    small = make_case(name="small", files={"evidence/scan.pdf": 1})
    _scan_pdf(small / "evidence" / "scan.pdf", 30)
    large = make_case(name="large", files={"evidence/scan.pdf": 1})
    _scan_pdf(large / "evidence" / "scan.pdf", 300)
    size = (large / "evidence" / "scan.pdf").stat().st_size
    assert size > 40_000_000  # the pages weigh: the images alone are 300 x 150 KB
    few, many = _measured_build(small), _measured_build(large)
    assert (few["pages"], many["pages"]) == (2 + 30, 2 + 300)  # cover and index, then every page
    with pikepdf.open(large / "out" / "T-100.pdf") as pdf:
        assert len(pdf.pages) == 302 and "Pièce n° 1" in PdfReader(str(large / "out" / "T-100.pdf")).pages[301].extract_text()
    # ru_maxrss is in KB on Linux: ten times the pages, the same memory give or take a fraction of the file
    grown_mb = (max(many["self"], many["children"]) - max(few["self"], few["children"])) / 1024
    assert grown_mb < size / 1_000_000 / 2, (few, many, size)
