"""Write templates/shared/document.docx, the DOCX layout of every generated document.

A firm replaces it with its own letterhead: any .docx that keeps the tags {{ c.sender_name }},
{{ c.sender_lines }} … and the paragraph {{p body }} (docxtpl). Run with the project's virtualenv:

    .venv/bin/python scripts/make_document_docx.py
"""

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor


def field(paragraph, code: str) -> None:
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, code), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == code:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {code} "
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._r.append(el)


doc = Document()
section = doc.sections[0]
section.page_width, section.page_height = Mm(210), Mm(297)
section.left_margin = section.right_margin = Mm(22)
section.top_margin, section.bottom_margin = Mm(20), Mm(20)
style = doc.styles["Normal"]
style.font.name = "Liberation Sans"
style.element.rPr.rFonts.set(qn("w:eastAsia"), "Liberation Sans")
style.font.size = Pt(10.5)

header = section.header.paragraphs[0]
run = header.add_run("{{ c.sender_name }}")
run.bold = True
run.font.size = Pt(12)
run.font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)
line = section.header.add_paragraph("{% for l in c.sender_lines %}{{ l }}{% if not loop.last %} — {% endif %}{% endfor %}")
line.runs[0].font.size = Pt(8.5)

footer = section.footer.paragraphs[0]
footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
r = footer.add_run("{{ c.reference }} — ")
r.font.size = Pt(8)
field(footer, "PAGE")
footer.add_run(" / ").font.size = Pt(8)
field(footer, "NUMPAGES")

title = doc.add_paragraph()
title_run = title.add_run("{{ title }}")
title_run.bold = True
title_run.font.size = Pt(15)
title_run.font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)
doc.add_paragraph("{{p body }}")
doc.core_properties.author = "recouvre-docs"
target = Path(__file__).resolve().parent.parent / "templates" / "shared" / "document.docx"
doc.save(target)


def drop_thumbnail(path: Path) -> None:
    """python-docx's default template carries a thumbnail of an empty page (docProps/thumbnail.jpeg): every
    document made from ours would show it in a file browser. Drop the picture and its relationship."""
    import re
    import zipfile

    data = {}
    with zipfile.ZipFile(path) as src:
        for info in src.infolist():
            if info.filename != "docProps/thumbnail.jpeg":
                data[info.filename] = src.read(info.filename)
    data["_rels/.rels"] = re.sub(rb"<Relationship [^>]*Target=\"docProps/thumbnail.jpeg\"/>", b"", data["_rels/.rels"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, content in data.items():
            dst.writestr(name, content)


drop_thumbnail(target)
