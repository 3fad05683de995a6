"""Page digests (digest.py): the page's whole object tree, independent of how the file is saved."""

from __future__ import annotations

import hashlib
import subprocess

import pikepdf
import pytest

from recouvre_docs import digest


def exhibit_like(path):
    """A page as an exhibit is in the bundle: its content in a form XObject that draws an image and
    text in a font, a link to page 2."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.add_blank_page()
    image = pdf.make_stream(bytes(range(256)) * 12, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                            Width=32, Height=32, ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8)
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    form = pdf.make_stream(b"q 100 0 0 100 50 50 cm /Im0 Do Q BT /F1 12 Tf 50 200 Td (Livraison) Tj ET",
                           Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 595, 842],
                           Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image),
                                                        Font=pikepdf.Dictionary(F1=font)))
    page = pdf.pages[0]
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fx0=form))
    page.obj.Contents = pdf.make_stream(b"q /Fx0 Do Q")
    page.obj.Annots = pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 10, 10],
        Dest=[pdf.pages[1].obj, pikepdf.Name.Fit]))])
    pdf.save(path)
    return path


def digests(path):
    with pikepdf.open(path) as pdf:
        return list(digest.page_digests(pdf))


def test_the_same_pages_saved_differently_have_the_same_digests(tmp_path):
    original = exhibit_like(tmp_path / "a.pdf")
    plain = tmp_path / "plain.pdf"
    subprocess.run(["qpdf", "--object-streams=disable", "--compress-streams=n", "--decode-level=generalized",
                    str(original), str(plain)], check=True)
    packed = tmp_path / "packed.pdf"
    subprocess.run(["qpdf", "--object-streams=generate", "--recompress-flate", "--compression-level=9",
                    str(original), str(packed)], check=True)
    assert digests(original) == digests(plain) == digests(packed)
    assert plain.read_bytes() != packed.read_bytes()


def edit_image(pdf):
    image = pdf.pages[0].obj.Resources.XObject.Fx0.Resources.XObject.Im0
    data = bytearray(image.read_bytes())
    data[100] ^= 0x01
    image.write(bytes(data))


def edit_font(pdf):
    pdf.pages[0].obj.Resources.XObject.Fx0.Resources.Font.F1.BaseFont = pikepdf.Name("/Courier")


def edit_form(pdf):
    form = pdf.pages[0].obj.Resources.XObject.Fx0
    form.write(form.read_bytes().replace(b"Livraison", b"Livraisqn"))


def edit_link(pdf):
    pdf.pages[0].obj.Annots[0].Dest = pikepdf.Array([pdf.pages[0].obj, pikepdf.Name.Fit])


def edit_graphics_state(pdf):
    pdf.pages[0].obj.Resources.ExtGState = pikepdf.Dictionary(GS0=pikepdf.Dictionary(CA=0.1))


@pytest.mark.parametrize("edit", [edit_image, edit_font, edit_form, edit_link, edit_graphics_state])
def test_an_edit_anywhere_in_the_page_tree_changes_its_digest_only(tmp_path, edit):
    original = exhibit_like(tmp_path / "a.pdf")
    before = digests(original)
    with pikepdf.open(original) as pdf:
        edit(pdf)
        pdf.save(tmp_path / "b.pdf")
    after = digests(tmp_path / "b.pdf")
    assert after[0] != before[0] and after[1] == before[1]


def test_the_digest_survives_resaving_and_follows_cycles(tmp_path):
    """Two annotations pointing at each other (a popup and its parent), links by page: the digest is the
    same after any save, and changes with the link's target."""
    pdf = pikepdf.new()
    for _ in range(3):
        pdf.add_blank_page()
    note = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Text,
                                                Rect=[10, 10, 20, 20], Contents=pikepdf.String("n")))
    popup = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Popup,
                                                 Rect=[20, 20, 80, 80], Parent=note))
    note.Popup = popup
    link = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link,
                                                Rect=[0, 0, 5, 5], Dest=[pdf.pages[2].obj, pikepdf.Name.Fit]))
    pdf.pages[0].obj.Annots = pikepdf.Array([note, popup, link])
    before = list(digest.page_digests(pdf))
    pdf.save(tmp_path / "a.pdf", object_stream_mode=pikepdf.ObjectStreamMode.generate)
    with pikepdf.open(tmp_path / "a.pdf") as again:
        assert list(digest.page_digests(again)) == before
        again.pages[0].obj.Annots[2].Dest = pikepdf.Array([again.pages[1].obj, pikepdf.Name.Fit])
        after = list(digest.page_digests(again))
    assert after[0] != before[0] and after[1:] == before[1:]
    assert hashlib.sha256(b"").hexdigest() not in before


def test_arrays_of_numbers_are_hashed_by_value_as_the_generic_walk_hashes_them(tmp_path):
    """An array of numbers is read in one call (a font's 224 widths, every box): it must feed the hash
    exactly what walking it item by item feeds, whatever the writer's syntax (20, 20.0, .5, +3)."""
    raw = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
           b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
           b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 -20.0 595.28 841.890] /X [.5 +3 -0 2780 1e0x] "
           b"/W [278 333 474 0.0] /E [] >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    (tmp_path / "a.pdf").write_bytes(raw)

    class ItemByItem(digest.Digester):
        def _direct(self, h, obj, depth):
            if isinstance(obj, pikepdf.Array):
                h.update(b"[" + str(len(obj)).encode() + b":")
                for item in obj:
                    self._feed(h, item, depth + 1)
                h.update(b"]")
                return
            super()._direct(h, obj, depth)

    with pikepdf.open(tmp_path / "a.pdf") as pdf:
        fast, slow = digest.Digester(pdf).page(0), ItemByItem(pdf).page(0)
        assert digest._NUMBERS.fullmatch(pdf.pages[0].obj.W.unparse())
    assert fast == slow


def test_the_stream_table_read_by_another_process_gives_the_same_digests(tmp_path):
    """build reads the merged exhibits' stream data in a second process (recouvre_docs.merge_job)
    while it lays the documents out; the pass that stamps the pages uses that table. Its digests must
    be those of a pass that reads everything itself, also for a stream the PDF/A pass rewrites after
    the table was read (a JPEG whose data ends with CR gets a LF: hashed as coded, so it changes)."""
    import io
    import sys

    from PIL import Image

    from recouvre_docs import pdfa

    source = exhibit_like(tmp_path / "a.pdf")
    with pikepdf.open(source, allow_overwriting_input=True) as pdf:
        jpeg = io.BytesIO()
        Image.new("RGB", (16, 16), (200, 30, 30)).save(jpeg, "JPEG")
        scan = pdf.make_stream(jpeg.getvalue() + b"\r", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                               Width=16, Height=16, ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8,
                               Filter=pikepdf.Name.DCTDecode)
        pdf.pages[1].obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im1=scan))
        pdf.pages[1].obj.Contents = pdf.make_stream(b"q 100 0 0 100 0 0 cm /Im1 Do Q")
        pdf.save(source, compress_streams=False)  # unfiltered content: the PDF/A pass compresses it
    # as build runs it: qpdf merges, the driver says qpdf's status at once, then writes the table
    merged, table = tmp_path / "merged.pdf", tmp_path / "merged.streams"
    run = subprocess.run([sys.executable, "-P", "-m", "recouvre_docs.merge_job", "qpdf", "--compress-streams=n",
                          "--empty", "--pages", str(source), "--", str(merged), str(merged), str(table)],
                         capture_output=True, check=True)
    assert run.stdout == b"0\n"
    known = digest.read_table(table)
    assert any(k.ends_cr and not k.decoded for k in known.values()) and any(k.unfiltered for k in known.values())

    with pikepdf.open(merged) as pdf:
        changed = pdfa.unambiguous_stream_ends(pdf, known)
        assert pdf.pages[1].Resources.XObject.Im1.objgen in changed
        with_table = list(digest.page_digests(pdf, known, changed))
        stale = list(digest.page_digests(pdf, known))  # the table alone no longer holds for the JPEG
        fresh = list(digest.page_digests(pdf))
    assert with_table == fresh
    assert stale[1] != fresh[1] and stale[0] == fresh[0]
