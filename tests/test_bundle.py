"""The assembled case file, on a synthetic case with every page shape: what a reader sees in it."""

from __future__ import annotations

import hashlib
import io
import os
import json
import re
import shutil
import subprocess
import sys

import pikepdf
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from conftest import CASE_TOML, RESOURCES, make_pdf
from recouvre_docs import bundle, stamp
from recouvre_docs.cli import main
from recouvre_docs.models import Exhibit, Part, Piece


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("bundle") / "case"
    ev = root / "evidence"
    make_pdf(ev / "contrat-cadre.pdf", [{}, {}, {"size": (841.89, 595.28), "text": "Annexe paysage"}])
    make_pdf(ev / "commandes" / "BC-12.pdf", [{"rotate": 90, "text": "Bon tourne"}])
    shutil.copyfile(RESOURCES / "rotated-270.pdf", ev / "AR-2026-06-03.pdf")
    make_pdf(ev / "factures" / "F1.pdf", [{"size": (612, 792), "text": "Letter size invoice"}])
    (root / "case.toml").write_text(
        CASE_TOML.format(lang="fr", extra='[[invoice]]\nnumber = "F1"\nissued = 2026-03-02\ndue = 2026-04-01\n'
                         'amount = 1200.00\nfile = "evidence/factures/F1.pdf"\n'),
        "utf-8",
    )
    result = CliRunner().invoke(main, ["build", str(root)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return root, root / "out" / "T-100.pdf"


def test_pages_are_cover_index_and_exhibits(built):
    _, pdf_path = built
    manifest = json.loads((pdf_path.parent / "manifest.json").read_text())
    with pikepdf.open(pdf_path) as pdf:
        # cover, statement of account (the case has an invoice), index, then the exhibits
        assert len(pdf.pages) == 3 + 3 + 1 + 1 + 1 == manifest["pages"]
    assert manifest["front_pages"] == 3
    assert [e["file"] for e in manifest["exhibits"]] == [
        "evidence/contrat-cadre.pdf", "evidence/commandes/BC-12.pdf", "evidence/factures/F1.pdf", "evidence/AR-2026-06-03.pdf",
    ]  # by date (the invoice, then the receipt dated by its name); the undated contract and order before them


def test_every_exhibit_page_carries_label_and_page_number(built):
    _, pdf_path = built
    reader = PdfReader(str(pdf_path))
    manifest = json.loads((pdf_path.parent / "manifest.json").read_text())
    total = len(reader.pages)
    for ex in manifest["exhibits"]:
        first, last = ex["pages"]
        for n in range(first, last + 1):
            text = reader.pages[n - 1].extract_text()
            assert f"Pièce n° {ex['exhibit']}" in text, (n, text)
            assert f"{n} / {total}" in text
            assert "T-100" in text
    assert f"1 / {total}" in reader.pages[0].extract_text()


def test_stamp_never_covers_the_page(built):
    """Each page keeps its whole original area; the band is added below it, on the visual bottom."""
    _, pdf_path = built
    a4, letter, band = (595.28, 841.89), (612, 792), stamp.BAND
    expected = [  # (original width, height, /Rotate) of every page, in bundle order
        (*a4, 0), (*a4, 0), (*a4, 0),  # cover, statement, index
        (*a4, 0), (*a4, 0), (a4[1], a4[0], 0),  # the contract with its landscape annex
        (*a4, 90),  # the purchase order, stored portrait with /Rotate 90
        (*letter, 0),  # F1, US Letter
        (792, 612, 0),  # AR: a landscape page (rotated-270.pdf turns its content, not its page)
    ]
    with pikepdf.open(pdf_path) as pdf:
        assert len(pdf.pages) == len(expected)
        for page, (w, h, rotate) in zip(pdf.pages, expected, strict=True):
            box = [round(float(v), 2) for v in page.mediabox]
            assert int(page.obj.get("/Rotate", 0)) == rotate
            grown = {0: [0, -band, w, h], 90: [0, 0, w + band, h]}[rotate]
            assert box == pytest.approx(grown, abs=0.01)
    reader = PdfReader(str(pdf_path))
    for i in range(3, len(reader.pages)):
        text = reader.pages[i].extract_text(orientations=(0, 90, 180, 270))
        if i != 8:  # the qpdf test file (the last page) has no such text
            assert "bottom-edge-" in text  # the content nearest the edge is still there


def test_band_is_outside_the_original_box_for_each_rotation(tmp_path):
    for rotate in (0, 90, 180, 270):
        src = make_pdf(tmp_path / f"r{rotate}.pdf", [{"rotate": rotate}])
        with pikepdf.open(src) as pdf:
            page = pdf.pages[0]
            fonts = stamp.add_fonts(pdf)
            stamp.install_fonts(page, fonts)
            stamp.stamp_page(pdf, page, left="Pièce n° 7", center="REF", right="3 / 9")
            x0, y0, x1, y1 = (float(v) for v in page.mediabox)
            expected = {0: (0, -stamp.BAND, 595.28, 841.89), 90: (0, 0, 595.28 + stamp.BAND, 841.89),
                        180: (0, 0, 595.28, 841.89 + stamp.BAND), 270: (-stamp.BAND, 0, 595.28, 841.89)}[rotate]
            assert (round(x0, 2), round(y0, 2), round(x1, 2), round(y1, 2)) == pytest.approx(expected)
            out = tmp_path / f"s{rotate}.pdf"
            pdf.save(out)
        text = PdfReader(str(out)).pages[0].extract_text()
        assert "Pièce n° 7" in text and "3 / 9" in text and "Page 1" in text


def test_stamp_reads_upright_on_rotated_pages(built):
    """On a /Rotate 90 page the stamp is drawn turned 90° in page space (so upright once the viewer
    turns the page), while the page's own text is not: pypdf filters text by that orientation."""
    _, pdf_path = built
    page = PdfReader(str(pdf_path)).pages[6]
    assert page.get("/Rotate") == 90
    turned = page.extract_text(orientations=(90,))
    straight = page.extract_text(orientations=(0,))
    assert "Pièce n° 2" in turned and "7 / 9" in turned
    assert "Pièce n° 2" not in straight and "Bon tourne" in straight


def test_bookmarks_one_per_exhibit(built):
    _, pdf_path = built
    manifest = json.loads((pdf_path.parent / "manifest.json").read_text())
    with pikepdf.open(pdf_path) as pdf:
        with pdf.open_outline() as outline:
            items = list(outline.root)
            titles = [i.title for i in items]
            assert titles[:2] == ["Décompte des sommes dues", "Bordereau de pièces"]
            assert [pikepdf.Page(i.destination[0]).index for i in items[:2]] == [1, 2]
            exhibit_items = items[2:]
            assert len(exhibit_items) == len(manifest["exhibits"])
            for item, ex in zip(exhibit_items, manifest["exhibits"]):
                assert item.title == f"{ex['label']} — {ex['title']}"
                page_index = pikepdf.Page(item.destination[0]).index if isinstance(item.destination, pikepdf.Array) else None
                assert page_index == ex["pages"][0] - 1


def test_index_links_land_on_first_pages(built):
    _, pdf_path = built
    manifest = json.loads((pdf_path.parent / "manifest.json").read_text())
    firsts = {ex["pages"][0] - 1 for ex in manifest["exhibits"]}
    with pikepdf.open(pdf_path) as pdf:
        targets, spans = [], set()
        for annot in pdf.pages[2].obj.get("/Annots", []):
            assert "/A" not in annot  # no URI left
            targets.append(pikepdf.Page(annot.Dest[0]).index)
            spans.add((round(float(annot.Rect[0])), round(float(annot.Rect[2]))))
        assert set(targets) == firsts
        # the drawn index: one link a row, over the whole row (from the N° column's edge to the Pages column's)
        assert len(targets) == len(firsts) and spans == {(63, 533)}


def test_metadata_labels_and_manifest(built):
    root, pdf_path = built
    manifest = json.loads((pdf_path.parent / "manifest.json").read_text())
    with pikepdf.open(pdf_path) as pdf:
        assert str(pdf.docinfo.Title) == "T-100 — Dossier de recouvrement"
        assert str(pdf.docinfo.CreationDate) == "D:20261123000000Z"
        assert str(pdf.Root.Lang) == "fr"
        assert pdf.Root.PageLabels.Nums[1].S == pikepdf.Name.D
        embedded = json.loads(pdf.attachments["manifest.json"].get_file().read_bytes())
    assert embedded["exhibits"] == manifest["exhibits"]
    for ex in manifest["exhibits"]:
        assert ex["sha256"] == hashlib.sha256((root / ex["file"]).read_bytes()).hexdigest()
    assert manifest["bundle"]["sha256"] == hashlib.sha256(pdf_path.read_bytes()).hexdigest()


def test_a_font_the_exhibits_carry_alike_is_in_the_file_once(built):
    """Three exhibits drawn with Helvetica, not embedded, and with no other PDF/A fault: each is merged
    as it came (its converted copy is the original file), and the bundle embeds one Liberation Sans
    for all three; each page still reads as it did, and the manifest says what was done."""
    root, pdf_path = built
    manifest = json.loads((pdf_path.parent / "manifest.json").read_text())
    exhibits = {ex["file"]: ex["pages"] for ex in manifest["exhibits"]}
    made = ["evidence/contrat-cadre.pdf", "evidence/commandes/BC-12.pdf", "evidence/factures/F1.pdf"]
    with pikepdf.open(pdf_path) as pdf:
        used = set()  # the fonts the three exhibits' pages use, by object number (the stamps' left out)
        for file in made:
            first, last = exhibits[file]
            for n in range(first - 1, last):
                fonts = pdf.pages[n].Resources.Font
                used |= {fonts[k].objgen for k in fonts.keys() if not k.startswith("/RDStamp")}
        programs = [str(o.FontName) for o in pdf.objects
                    if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == pikepdf.Name.FontDescriptor]
    assert len(used) == 1
    assert len([name for name in programs if name.endswith("+LiberationSans") and "RDSTMP" not in name]) == 1, programs
    copies = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (root / "out" / ".cache").glob("*.pdf")}
    for file in made:
        assert hashlib.sha256((root / file).read_bytes()).hexdigest() in copies, file
        ex = [e for e in manifest["exhibits"] if e["file"] == file][0]
        assert ex["pdfa_changes"] == ["fonts embedded: Helvetica → Liberation Sans"]
    # only the receipt's ZapfDingbats (no metric-compatible substitute) keeps the bundle from PDF/A
    assert [(r["file"], r["fonts_not_embedded"]) for r in manifest["pdfa"]["not_claimed_because"]] == [
        ("evidence/AR-2026-06-03.pdf", ["ZapfDingbats"])]
    reader = PdfReader(str(pdf_path))
    assert "Annexe paysage" in reader.pages[exhibits[made[0]][0] + 1].extract_text()
    assert "Bon tourne" in reader.pages[exhibits[made[1]][0] - 1].extract_text()
    assert "Letter size invoice" in reader.pages[exhibits[made[2]][0] - 1].extract_text()


def test_only_fonts_alike_in_every_value_are_shared(tmp_path):
    """Two copies of a font are kept once; a font that differs by one width, or by its program's data,
    stays its own; a font used inside a form XObject is shared too. The page digests do not change."""
    from recouvre_docs import digest

    pdf = pikepdf.new()

    def font(widths: list[int], program: bytes):
        descriptor = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.FontDescriptor, FontName=pikepdf.Name("/ABCDEF+Sans"), Flags=32,
            FontFile2=pdf.make_stream(program)))
        return pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.TrueType, BaseFont=pikepdf.Name("/ABCDEF+Sans"),
            FirstChar=32, LastChar=33, Widths=pikepdf.Array(widths), FontDescriptor=descriptor))

    fonts = [font([278, 333], b"glyphs"), font([278, 333], b"glyphs"), font([278, 334], b"glyphs"),
             font([278, 333], b"other glyphs")]
    form = pdf.make_stream(b"BT /F1 9 Tf (x) Tj ET", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form,
                           BBox=[0, 0, 10, 10], Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font([278, 333], b"glyphs"))))
    for i, f in enumerate(fonts):
        pdf.add_blank_page()
        pdf.pages[i].Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=f))
        pdf.pages[i].Contents = pdf.make_stream(b"BT /F1 12 Tf 10 10 Td (Page) Tj ET")
    pdf.pages[0].Resources.XObject = pikepdf.Dictionary(X1=form)
    before = list(digest.page_digests(pdf))
    fonts = bundle.PageFonts(pdf)  # every page, as finish() goes through them
    for page in pdf.pages:
        fonts.page(page)
    assert fonts.replaced == 2  # page 2's copy, and the form's
    used = [page.Resources.Font.F1.objgen for page in pdf.pages]
    assert used[1] == used[0] and len({used[0], used[2], used[3]}) == 3
    assert pdf.pages[0].Resources.XObject.X1.Resources.Font.F1.objgen == used[0]
    assert list(digest.page_digests(pdf)) == before


def test_qpdf_check_is_clean(built):
    _, pdf_path = built
    proc = subprocess.run(["qpdf", "--check", str(pdf_path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No syntax or stream encoding errors" in proc.stdout


def test_stamp_fonts_are_subset_once_per_user_and_a_damaged_copy_is_made_again(tmp_path, monkeypatch):
    """The stamp fonts' subsets depend on no case: kept in the user's cache, read back by the next
    process; a cache file cut short or edited is not used (made again, and rewritten); an unwritable
    user cache leaves them in the case's cache."""
    user, case_cache = tmp_path / "user", tmp_path / "case-cache"
    monkeypatch.setenv("RECOUVRE_CACHE_DIR", str(user))
    monkeypatch.setattr(stamp, "_PROGRAMS", {})
    made = stamp.font_program("regular", case_cache)
    stored = list(user.glob("stamp-font-regular-*.json"))
    assert len(stored) == 1 and not case_cache.exists()
    monkeypatch.setattr(stamp, "_PROGRAMS", {})
    assert stamp.font_program("regular", case_cache) == made  # read back, as the next build's process does

    fields = json.loads(stored[0].read_text("utf-8"))
    for damage in ({"widths": fields["widths"][:10]}, {"data": fields["data"][:40]}, {"bbox": ["a", 0, 0, 0]}):
        stored[0].write_text(json.dumps({**fields, **damage}), "utf-8")
        monkeypatch.setattr(stamp, "_PROGRAMS", {})
        assert stamp.font_program("regular", case_cache) == made
        assert json.loads(stored[0].read_text("utf-8")) == fields  # made again and written back

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("RECOUVRE_CACHE_DIR", str(blocked))
    monkeypatch.setattr(stamp, "_PROGRAMS", {})
    assert stamp.font_program("regular", case_cache) == made
    assert len(list(case_cache.glob("stamp-font-regular-*.json"))) == 1


def test_plan_numbers_pages_and_nests_attachments(tmp_path):
    def part(pages, title="x", key=""):
        return Part(pdf=tmp_path / "x.pdf", pages=pages, title=title, source="s", sha256="0" * 64, size=1, key=key)

    def piece(rel):
        return Piece(path=tmp_path / rel, rel=rel, kind="other", kind_source="default", title=rel, date=None,
                     language="fr", sha256="0" * 64, size=1)

    exhibits = [
        Exhibit(number=1, piece=piece("a"), main=part(3)),
        Exhibit(number=2, piece=piece("mail"), main=part(1),
                children=[part(2, "att.pdf", "1"), part(1, "fwd.eml", "2"), part(1, "b.jpg", "2.1")]),
        Exhibit(number=5, piece=piece("c"), main=part(4)),
    ]
    p = bundle.plan(exhibits, front=2, lang="de")
    assert [(e.key, e.label, e.first, e.last, e.level) for e in p.entries] == [
        ("1", "Anlage K 1", 3, 5, 0),
        ("2", "Anlage K 2", 6, 6, 0),
        ("2.1", "Anlage K 2.1", 7, 8, 1),
        ("2.2", "Anlage K 2.2", 9, 9, 1),
        ("2.2.1", "Anlage K 2.2.1", 10, 10, 2),
        ("5", "Anlage K 5", 11, 14, 0),
    ]
    assert p.total == 14
    owners = p.entry_of_page()
    assert owners[:2] == [None, None] and owners[6].key == "2.1" and owners[9].key == "2.2.1" and owners[13].key == "5"


@pytest.mark.parametrize("estimate", ["measured", "far too short", "far too long", "a cover of two pages"])
def test_a_long_index_points_at_the_right_pages_whatever_its_first_estimate(make_case, monkeypatch, estimate):
    """70 exhibits, some with titles that wrap: the index runs over several pages, and every page
    number it prints and every link it holds is right, whether or not its length was guessed well,
    and when a firm's cover is longer than the one page the cover and the index are first laid out
    (side by side) for."""
    from recouvre_docs.render import frontmatter

    guessed = []
    measured = frontmatter.estimate_index_pages
    if estimate != "measured":
        monkeypatch.setattr(frontmatter, "estimate_index_pages", lambda *a, **k: 1 if estimate == "far too short" else 30)
    else:
        monkeypatch.setattr(frontmatter, "estimate_index_pages", lambda *a, **k: guessed.append(measured(*a, **k)) or guessed[-1])
    entries = "".join(
        f'[[evidence]]\nfile = "evidence/p{i:02d}.pdf"\nkind = "correspondence"\ndate = 2026-01-{1 + i % 28:02d}\n'
        f'title = "{"Courrier " + str(i) + (" adressé au débiteur au sujet des factures impayées et du calendrier proposé" if i % 3 == 0 else "")}"\n'
        for i in range(70))
    case = make_case(entries, files={f"evidence/p{i:02d}.pdf": 1 + i % 3 for i in range(70)})
    covers = 1
    if estimate == "a cover of two pages":
        from recouvre_docs.resources import templates_root

        shipped = (templates_root() / "shared" / "cover.html").read_text("utf-8")
        (case / "templates").mkdir()
        (case / "templates" / "cover.html").write_text(shipped.replace(
            "</body>", '<p style="page-break-before: always">Diligences du cabinet</p></body>'), "utf-8")
        covers = 2
    from recouvre_docs.api import build

    result = build(case)
    manifest = json.loads((case / "out" / "manifest.json").read_text())
    reader = PdfReader(str(result.bundle))
    front = manifest["front_pages"]
    assert front >= covers + 3  # the cover and an index of three pages or more
    assert ("Diligences du cabinet" in reader.pages[1].extract_text()) == (covers == 2)
    assert len(reader.pages) == manifest["pages"] == front + sum(e["pages"][1] - e["pages"][0] + 1 for e in manifest["exhibits"])
    index_text = "".join(reader.pages[i].extract_text() for i in range(covers, front))
    assert f"70 pièces — {len(reader.pages)} pages au total" in reader.pages[0].extract_text()
    with pikepdf.open(result.bundle) as pdf:
        targets = [pikepdf.Page(a.Dest[0]).index + 1 for i in range(covers, front) for a in pdf.pages[i].obj.get("/Annots", [])]
    for ex in manifest["exhibits"]:
        first, last = ex["pages"]
        assert (f"p. {first}–{last}" if last > first else f"p. {first}") in index_text
        assert first in targets
        assert f"Pièce n° {ex['exhibit']}" in reader.pages[first - 1].extract_text()
    if estimate == "measured":  # the guess lays the rows out as style.css does: the index is laid out once
        assert guessed == [front - 1]


def test_ocr_makes_the_scans_searchable_and_the_index_says_so(tmp_path):
    from conftest import SAMPLE

    case = tmp_path / "case-42"
    shutil.copytree(SAMPLE, case, ignore=shutil.ignore_patterns("out"))
    result = CliRunner().invoke(main, ["build", str(case), "--ocr"])
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((case / "out" / "manifest.json").read_text())
    note = next(e for e in manifest["exhibits"] if e["kind"] == "delivery-note")
    assert note["ocr_pages"] == [note["pages"][0]] and note["pages"][0] in manifest["ocr_pages"]
    reader = PdfReader(str(case / "out" / "CASE-42.pdf"))
    assert "BON DE LIVRAISON" in reader.pages[note["pages"][0] - 1].extract_text()  # the scan now has a text layer
    index = reader.pages[manifest["front_pages"] - 1].extract_text()
    assert "reconnu par OCR" in index and str(note["pages"][0]) in index
    typed = next(e for e in manifest["exhibits"] if e["kind"] == "contract")
    assert typed["ocr_pages"] == []  # born-digital pages are left alone


def test_ocr_without_tesseract_is_exit_5(tmp_path, make_case):
    case = make_case(files={"evidence/scan.pdf": 1})
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "qpdf").symlink_to(shutil.which("qpdf"))
    result = CliRunner(env={"PATH": str(bin_dir)}).invoke(main, ["build", str(case), "--ocr"])
    assert result.exit_code == 5
    assert "Tesseract" in result.stderr and "apt-get install tesseract-ocr" in result.stderr


def test_the_saved_file_is_identified_by_its_manifest(tmp_path):
    """bundle.save writes qpdf's static /ID then puts in its place one derived from the manifest
    (no second pass over the file): the same content gives the same ID, another content another."""
    def saved(name: str, identity: bytes | None, pages: int = 2):
        pdf = pikepdf.new()
        for _ in range(pages):
            pdf.add_blank_page()
        bundle.save(pdf, tmp_path / name, identity)
        with pikepdf.open(tmp_path / name) as back:
            assert len(back.pages) == pages
            return bytes(back.trailer.ID[0]), bytes(back.trailer.ID[1]), (tmp_path / name).read_bytes()

    first, second, data = saved("a.pdf", b'{"case": "A"}')
    assert first == second and len(first) == 16
    assert b"31415926535897932384626433832795" not in data
    assert saved("b.pdf", b'{"case": "A"}')[2] == data  # deterministic
    assert saved("c.pdf", b'{"case": "B"}')[0] != first
    assert saved("f.pdf", b'{"case": "A"}', pages=3)[0] != first  # same identity, other objects: other ID
    plain = saved("d.pdf", None)  # no manifest: qpdf's deterministic ID
    assert plain[0] != first and plain[2] == saved("e.pdf", None)[2]
    subprocess.run(["qpdf", "--check", str(tmp_path / "a.pdf")], check=True, capture_output=True)


def test_a_failed_merge_names_qpdf_s_message(tmp_path):
    """The merge in the background (qpdf run by recouvre_docs.merge_job): qpdf's failure is reported
    with its own words, and no process is left running."""
    from recouvre_docs.errors import EvidenceError

    merge = bundle.Merge([tmp_path / "missing.pdf"], tmp_path / "out.pdf", tmp_path, streams=True)
    assert merge.driver
    with pytest.raises(EvidenceError, match="qpdf could not merge the exhibits: .*missing.pdf"):
        merge.wait()
    assert merge.proc.poll() is not None
    assert not (tmp_path / "out.pdf").exists()


def _long_index_case(make_case, n: int = 70, name: str = "case", polish: bool = False):
    """``polish``: the first title names a Polish town, whose letters the drawn index's fonts lack."""
    entries = "".join(
        f'[[evidence]]\nfile = "evidence/p{i:02d}.pdf"\nkind = "correspondence"\ndate = 2026-01-{1 + i % 28:02d}\n'
        f'title = "{"Courrier " + str(i) + (" adressé au débiteur au sujet des factures impayées et du calendrier proposé" if i % 3 == 0 else "") + (" (Łódź)" if polish and i == 0 else "")}"\n'
        for i in range(n))
    return make_case(entries, files={f"evidence/p{i:02d}.pdf": 1 + i % 3 for i in range(n)}, name=name)


@pytest.mark.parametrize("guess", ["right", "wrong"])
def test_an_index_laid_out_in_parts_reads_as_the_one_laid_out_whole(make_case, monkeypatch, guess):
    """A long index is laid out a part at a time (memory): 70 rows in parts of 25 give the pages, rows,
    page numbers and links of the index laid out in one piece, the title once and the closing lines once.
    The parts are laid out side by side, each from where the estimate puts the previous part's last
    page: when the estimate is wrong, the parts are laid out again from the right rows, and the index
    is the same. (An index the stamp fonts can draw is drawn instead: the first title here names Łódź.)"""
    from recouvre_docs.api import build
    from recouvre_docs.render import frontmatter

    renders: list[str] = []  # the parts the last layout of the index (render_front may lay it out twice) made
    real_render, real_index = frontmatter.html_to_pdf, frontmatter.render_index

    def counted(html, target, **kw):
        renders.append(target.name)
        return real_render(html, target, **kw)

    def index_once(*args, **kw):
        renders.clear()
        if guess == "wrong":  # every page said to begin a row later than it does, for the parts only
            monkeypatch.setattr(frontmatter, "_page_starts", lambda rows, *a, **k: (
                [s + 1 if s else s for s in real_starts(rows, *a, **k)[0]], 0.0))
        try:
            return real_index(*args, **kw)
        finally:
            monkeypatch.setattr(frontmatter, "_page_starts", real_starts)

    def index_of(case):
        result = build(case)
        front = json.loads((case / "out" / "manifest.json").read_text())["front_pages"]
        reader = PdfReader(str(result.bundle))
        with pikepdf.open(result.bundle) as pdf:
            links = [[pikepdf.Page(a.Dest[0]).index + 1 for a in pdf.pages[i].obj.get("/Annots", [])] for i in range(1, front)]
        return [reader.pages[i].extract_text() for i in range(1, front)], links, len(reader.pages)

    whole = index_of(_long_index_case(make_case, name="whole", polish=True))
    real_starts = frontmatter._page_starts
    monkeypatch.setattr(frontmatter, "INDEX_PART_ROWS", 25)
    monkeypatch.setattr(frontmatter, "html_to_pdf", counted)
    monkeypatch.setattr(frontmatter, "render_index", index_once)
    parted_case = _long_index_case(make_case, name="parted", polish=True)
    parted = index_of(parted_case)
    texts, links, pages = parted
    assert len(texts) >= 3 and (texts, links, pages) == whole
    page_starts = {int(re.search(r"Pièce n° (\d+)", t).group(1)) - 1 for t in texts}  # row = exhibit - 1
    part_starts = [int(re.match(r"index\.rows(\d+)-", r).group(1)) for r in renders if r.startswith("index.rows")]
    taken = len(set(part_starts) & page_starts)
    assert taken >= 3
    if guess == "right":  # the estimate is exact here: each part laid out once, from a row that begins a page
        assert len(part_starts) == len(set(part_starts)) == taken
    else:  # guesses laid out in vain (at most one a core), then one part at a time from the right rows
        assert set(part_starts) - page_starts and len(part_starts) <= taken + (os.cpu_count() or 1) - 1
    assert not list(parted_case.glob("**/index.rows*"))  # no part left behind, taken or not
    joined = "".join(texts)
    assert joined.count("Bordereau de pièces") == 1 and joined.count("70 pièces — ") == 1
    assert all("N° Pièce Date Nature Pages" in t for t in texts)  # the header row on every page
    assert len({target for page_links in links for target in page_links}) == 70  # every exhibit's first page


def _index_pages(case, result, rects=None):
    """The index's pages of a built bundle (from its bookmark to the first exhibit): (text, the exhibit
    labels on it, its links' target pages, its fonts); ``rects``: a list given the links' rectangles."""
    front = json.loads((case / "out" / "manifest.json").read_text())["front_pages"]
    reader = PdfReader(str(result.bundle))
    start = next(reader.get_destination_page_number(o) for o in reader.outline
                 if not isinstance(o, list) and o.title == "Bordereau de pièces")
    pages = []
    with pikepdf.open(result.bundle) as pdf:
        for i in range(start, front):
            text = reader.pages[i].extract_text()
            annots = list(pdf.pages[i].obj.get("/Annots", []))
            links = sorted(pikepdf.Page(a.Dest[0]).index + 1 for a in annots)
            fonts = sorted(str(f.BaseFont) for f in pdf.pages[i].obj.Resources.Font.values())
            pages.append((text, re.findall(r"Pièce n° \d+", text), links, fonts))
            if rects is not None:
                rects.append([[float(v) for v in a.Rect] for a in annots])
    return pages


def test_the_drawn_index_breaks_its_pages_where_weasyprint_does(make_case, monkeypatch):
    """The shipped index is drawn as PDF operators (render.drawn), in the stamp fonts: the same rows on
    the same pages as WeasyPrint lays out from index.html and style.css, the same links, and the text a
    reader copies from it (title, header row on every page, page ranges, closing line)."""
    from recouvre_docs.api import build
    from recouvre_docs.render import frontmatter

    drawn_case = _long_index_case(make_case, name="drawn")
    rects: list = []
    drawn = _index_pages(drawn_case, build(drawn_case), rects)
    from recouvre_docs.render import drawn as drawn_module

    monkeypatch.setattr(drawn_module, "draw_index", lambda *a, **k: None)  # as for a text it cannot draw
    laid_case = _long_index_case(make_case, name="laid-out")
    laid = _index_pages(laid_case, build(laid_case))
    assert len(drawn) == len(laid) >= 3
    assert [p[1] for p in drawn] == [p[1] for p in laid]  # the same rows on each page
    assert [sorted(set(p[2])) for p in drawn] == [sorted(set(p[2])) for p in laid]
    assert all(len(p[2]) == len(p[1]) for p in drawn)  # a link a row
    for page in rects:  # each row within the page's margins (20 mm, 22 mm), one under the other
        tops = sorted(((r[3], r[1]) for r in page), reverse=True)
        assert all(20 * 72 / 25.4 - 0.01 <= bottom < top <= 841.89 - 22 * 72 / 25.4 for top, bottom in tops)
        assert all(lower[0] <= upper[1] + 0.01 for upper, lower in zip(tops, tops[1:]))
    # the stamp's fonts only (WeasyPrint's pages have its own subsets of them too, "RD-Sans")
    assert {f for p in drawn for f in p[3]} == {"/RDSTMP+LiberationSans", "/RDSTMP+LiberationSans-Bold"}
    assert all(any(f.endswith("+RD-Sans") for f in p[3]) for p in laid)
    first, last = drawn[0][0], drawn[-1][0]
    assert first.startswith("Bordereau de pièces\nT-100") and "Pièces communiquées à l'appui de la demande" in first
    assert "Pièce n° 1 Courrier 0 adressé au débiteur" in first and "1 janv. 2026 Correspondance p. " in first
    manifest = json.loads((drawn_case / "out" / "manifest.json").read_text())
    text = "".join(p[0] for p in drawn)
    for ex in manifest["exhibits"]:
        first_page, last_page = ex["pages"]
        shown = f"p. {first_page}–{last_page}" if last_page > first_page else f"p. {first_page}"
        assert re.search(rf"{re.escape(shown)}(?![\d–])", text), shown
    assert re.search(r"70 pièces — \d+ pages au total — Établi le \d+ \w+ 2026", last)
    assert sum(t.count("Bordereau de pièces") for t, *_ in drawn) == 1


def test_an_index_with_letters_its_fonts_lack_is_laid_out_by_weasyprint(make_case):
    """The stamp fonts hold the WinAnsi letters only: an index naming Łódź is WeasyPrint's, and says Łódź."""
    from recouvre_docs.api import build

    case = _long_index_case(make_case, 6, polish=True)
    (page,) = _index_pages(case, build(case))
    text, labels, links, fonts = page
    assert "Courrier 0 adressé au débiteur" in text and "(Łódź)" in text and len(labels) == 6
    assert any(f.endswith("+RD-Sans") for f in fonts)  # WeasyPrint's subset (the stamp's fonts are there too)


def test_a_firm_s_own_style_sheet_has_its_index_laid_out_by_weasyprint_with_it(make_case):
    """The drawn index is the shipped style's: with a firm's style.css, WeasyPrint lays the index out
    with that sheet (here a red title)."""
    from recouvre_docs.api import build
    from recouvre_docs.resources import templates_root

    def red_fills(case):
        reader = PdfReader(str(case / "out" / "T-100.pdf"))
        start = next(reader.get_destination_page_number(o) for o in reader.outline
                     if not isinstance(o, list) and o.title == "Bordereau de pièces")
        with pikepdf.open(case / "out" / "T-100.pdf") as pdf:
            return [op for op in pikepdf.parse_content_stream(pdf.pages[start]) if str(op.operator) in ("rg", "sc", "scn")
                    and [round(float(x), 2) for x in op.operands[:3]] == [0.69, 0.0, 0.0]]

    shipped = (templates_root() / "shared" / "style.css").read_text("utf-8")
    case = _long_index_case(make_case, 6, name="own-style")
    (case / "templates").mkdir()
    (case / "templates" / "style.css").write_text(shipped + "\n.index-head h1 { color: #b00000; }\n", "utf-8")
    (page,) = _index_pages(case, build(case))
    assert any(f.endswith("+RD-Sans") for f in page[3]) and len(page[1]) == 6  # WeasyPrint's fonts
    assert red_fills(case)  # the firm's colour
    plain = _long_index_case(make_case, 6, name="shipped-style")
    (page,) = _index_pages(plain, build(plain))
    assert not any(f.endswith("+RD-Sans") for f in page[3]) and not red_fills(plain)  # drawn


def test_the_index_s_lines_break_at_spaces_and_hyphens_and_long_words_where_they_fill_the_column():
    from recouvre_docs.render.drawn import drawable
    from recouvre_docs.render.frontmatter import wrap
    from recouvre_docs.stamp import text_width

    assert drawable("Müller Maschinenbau GmbH — 1\u202f234,00 € — Straße", "Lettre\nde relance")
    assert not drawable("Łódź") and not drawable("Dvořák", "ok")

    assert wrap("", 100, 10) == [""]
    assert wrap("Contrat", 100, 10) == ["Contrat"]
    lines = wrap("Conditions générales — CGV-Atelier-Dupont-2026", 166.6, 10)
    assert lines == ["Conditions générales — CGV-Atelier-", "Dupont-2026"]
    assert wrap("Lettre\n   de  relance ", 100, 10) == ["Lettre de relance"]  # white space as HTML collapses it
    word = "BL" + "0123456789" * 6
    assert wrap(f"Bon {word} x", 100, 10) == ["Bon", word, "x"]  # overflowing, as WeasyPrint lets it
    lines = wrap(f"Bon {word} x", 100, 10, break_words=True)
    assert lines[0] == "Bon" and "".join(lines[1:-1]) + lines[-1].removesuffix(" x") == word
    assert all(text_width(line, "regular", 10) <= 100 for line in lines)
    assert len(lines) == 1 + -(-text_width(word, "regular", 10) // 100)  # each full but the last
    # a word a little wider than its column runs over the cells' paddings, whole (as in CSS)
    assert wrap("Zahlungserinnerung", 30 * 72 / 25.4, 10, break_words=True, lang="de") == ["Zahlungserinnerung"]
    # one that would reach it is hyphenated as the language does, where a dictionary allows
    assert wrap("Allgemeine Geschäftsbedingungen", 30 * 72 / 25.4, 10, break_words=True, lang="de") == [
        "Allgemeine", "Geschäftsbedin-", "gungen"]


def test_the_bundle_is_the_same_assembled_in_its_own_process_or_in_the_build(make_case, monkeypatch):
    """The stamping pass runs in a process of its own (assemble_job); RECOUVRE_IN_PROCESS=1 keeps it in
    the build's: the same bytes either way, and the build never imports WeasyPrint (render.server does)."""
    script = ("import sys, recouvre_docs.api as api; r = api.build(sys.argv[1]); "
              "print('weasyprint' in sys.modules, r.pages)")
    outputs = []
    for name, env in (("apart", {}), ("here", {"RECOUVRE_IN_PROCESS": "1"})):
        case = _long_index_case(make_case, 12, name=name)
        run = subprocess.run([sys.executable, "-c", script, str(case)], capture_output=True, text=True,
                             env={**os.environ, **env}, check=True)
        outputs.append((run.stdout.split(), (case / "out" / "T-100.pdf").read_bytes()))
    (apart, apart_pdf), (here, here_pdf) = outputs
    assert apart == ["False", here[1]] and here[0] == "True"
    assert apart_pdf == here_pdf


def test_a_first_build_stamped_ahead_for_a_wrong_count_stamps_again_and_writes_the_same_bundle(make_case):
    """A first build has the exhibits' pages stamped (and digested) while the cover and the index are
    laid out, for the front pages' count the index's estimate gives; when another count settles, they
    are stamped again: the bundle is the one the build writes without stamping ahead (its pass in the
    build's own process, RECOUVRE_IN_PROCESS=1), page digests included (in the embedded manifest)."""
    script = ("import logging, sys; from recouvre_docs import api; from recouvre_docs.render import frontmatter as f; "
              "logging.basicConfig(level=logging.DEBUG); "
              "e = f.estimate_index_pages; f.estimate_index_pages = lambda *a, **k: e(*a, **k) + int(sys.argv[2]); "
              "api.build(sys.argv[1])")
    bundles, said = [], []
    for name, wrong, env in (("right", 0, {}), ("wrong", 1, {}), ("here", 0, {"RECOUVRE_IN_PROCESS": "1"})):
        case = _long_index_case(make_case, 30, name=name)
        run = subprocess.run([sys.executable, "-c", script, str(case), str(wrong)], capture_output=True, text=True,
                             env={**os.environ, **env})
        assert run.returncode == 0, run.stderr
        bundles.append((case / "out" / "T-100.pdf").read_bytes())
        said.append(run.stderr)
    assert "the exhibits' pages stamped ahead are used" in said[0]
    assert "the pages stamped ahead were stamped for another plan: stamped again" in said[1], [l for l in said[1].splitlines() if "ahead" in l or "index" in l or "documents" in l]
    assert "stamped ahead" not in said[2]
    assert bundles[0] == bundles[1] == bundles[2]
    reader = PdfReader(io.BytesIO(bundles[1]))
    front = json.loads(reader.attachments["manifest.json"][0])["front_pages"]
    assert f"{front + 1} / {len(reader.pages)}" in reader.pages[front].extract_text()


@pytest.mark.parametrize("remembered", ["same", "other", "new evidence", "new reference"])
def test_a_rebuild_stamps_the_exhibits_pages_ahead_and_writes_the_same_bundle(make_case, tmp_path, remembered):
    """A rebuild has the stamping process stamp the exhibits' pages while this one reads the case,
    as the last build stamped them (out/.cache/stamped.json). With the same front pages they are
    used; with another count they are stamped again: either way the bundle is the one a build from
    nothing writes, and every page says its number."""
    case_dir = make_case(files={"evidence/contrat.pdf": 3, "evidence/factures/F1.pdf": 2,
                                "evidence/bon-de-livraison.pdf": [{"rotate": 90}]})
    build = [sys.executable, "-m", "recouvre_docs", "-v", "build", str(case_dir)]
    first = subprocess.run(build, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    # a first build has them stamped for the front pages' count it expects, once the documents are laid out
    assert "the exhibits' pages stamped ahead are used" in first.stderr
    remembered_file = case_dir / "out" / ".cache" / bundle.STAMPED_FILE
    manifest = json.loads((case_dir / "out" / "manifest.json").read_text("utf-8"))
    data = json.loads(remembered_file.read_text("utf-8"))
    assert (data["front"], data["total"]) == (manifest["front_pages"], manifest["pages"])
    if remembered == "other":  # as after a longer cover: the exhibits begin two pages later
        remembered_file.write_text(json.dumps({**data, "front": data["front"] + 2, "total": data["total"] + 2,
                                               "entries": [[k, label, first + 2, n] for k, label, first, n
                                                           in data["entries"]]}), "utf-8")
    if remembered == "new evidence":  # another merge: the pages stamped ahead are those of the last one
        make_pdf(case_dir / "evidence" / "relance.pdf", 2)
    toml = case_dir / "case.toml"
    toml.write_text(toml.read_text("utf-8") + "\n# edited\n", "utf-8")
    name = "T-100.pdf"
    if remembered == "new reference":  # in every stamp: the pages are stamped ahead with this build's
        toml.write_text(toml.read_text("utf-8").replace('reference = "T-100"', 'reference = "T-101"'), "utf-8")
        name = "T-101.pdf"
    fresh = tmp_path / "fresh"
    shutil.copytree(case_dir, fresh, ignore=shutil.ignore_patterns("out"))

    rebuild = subprocess.run(build, capture_output=True, text=True)
    assert rebuild.returncode == 0, rebuild.stderr
    said = {"same": "the exhibits' pages stamped ahead are used",
            "other": "the pages stamped ahead were stamped for another plan: stamped again",
            "new evidence": "the pages stamped ahead were stamped for another plan: stamped again",
            "new reference": "the exhibits' pages stamped ahead are used"}[remembered]  # with this build's reference
    assert said in rebuild.stderr
    assert subprocess.run([*build[:-1], str(fresh)], capture_output=True).returncode == 0
    assert (case_dir / "out" / name).read_bytes() == (fresh / "out" / name).read_bytes()
    reader = PdfReader(str(case_dir / "out" / name))
    total = len(reader.pages)
    for n in (manifest["front_pages"] + 1, total):
        assert f"{n} / {total}" in reader.pages[n - 1].extract_text()
    now = json.loads(remembered_file.read_text("utf-8"))
    assert (now == data) == (remembered != "new evidence") and now["total"] == total
    assert CliRunner().invoke(main, ["verify", str(case_dir / "out" / name)]).exit_code == 0


def test_the_bundle_s_sha256_is_read_while_another_process_writes_it(tmp_path):
    """HashWhileSaved follows a file another process writes (as assemble_job saves the bundle): it reads
    all but the last MiB as the file grows, the rest once written, so the change save() makes at the
    end (the /ID) is in its SHA-256; a file written again through another file (another inode) gives
    None, and the caller reads it whole."""
    target = tmp_path / "bundle.pdf"
    writer = ("import sys, time\n"
              "with open(sys.argv[1], 'xb') as f:\n"
              "    for i in range(80):\n"
              "        f.write(bytes([i]) * 65536); f.flush(); time.sleep(0.005)\n"
              "with open(sys.argv[1], 'r+b') as f:\n"
              "    f.seek(-1000, 2); f.write(b'<the file ID>')\n")
    import time

    def caught_up(follower) -> None:  # all but the last MiB read (it polls every 5 ms)
        deadline = time.monotonic() + 30
        while follower.read < 80 * 65536 - (1 << 20) and time.monotonic() < deadline:
            time.sleep(0.01)

    follower = bundle.HashWhileSaved(target)
    subprocess.run([sys.executable, "-c", writer, str(target)], check=True)
    caught_up(follower)
    assert follower.read == 80 * 65536 - (1 << 20)  # read while it was written, but its last MiB
    assert follower.result() == hashlib.sha256(target.read_bytes()).hexdigest()

    again = tmp_path / "again.pdf"
    follower = bundle.HashWhileSaved(again)
    subprocess.run([sys.executable, "-c", writer, str(again)], check=True)
    caught_up(follower)
    other = bytearray(again.read_bytes())
    other[0] ^= 1  # the same length, one byte changed, in another file put in its place (pikepdf's way)
    (tmp_path / "other.pdf").write_bytes(bytes(other))
    os.replace(tmp_path / "other.pdf", again)
    assert follower.result() is None
