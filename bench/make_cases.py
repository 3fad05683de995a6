#!/usr/bin/env python3
"""Seeded generator of benchmark case folders (never committed: bench/corpus/ is git-ignored).

    python bench/make_cases.py typical|large|xl [--seed 42] [--out bench/corpus]
    python bench/make_cases.py portfolio --cases 50 [--out DIR]   # many small cases, for `batch`

Sizes follow ../shared/PERF.md so that its figures can be compared:

| size    | exhibits | pages  | scanned pages | mix                                                       |
|---------|---------:|-------:|--------------:|-----------------------------------------------------------|
| typical |       12 |    ~60 |         ~13 % | one with an outline, one with a form, one US Letter       |
| large   |      400 | ~4,000 |         ~15 % | 1–30 pages each; ~8 % landscape, ~4 % Letter, ~5 % /Rotate |
| xl      |    1,000 | ~10,000|         ~15 % | the same mix (scaling and memory)                          |

A scanned page is a 200-dpi A4 JPEG (1654 × 2339, mostly grey, a quarter in colour) wrapped in a PDF
page, as a scanner writes it. Text pages use Helvetica (not embedded), or, in about 30 % of the files,
an embedded TrueType subset. Every file is a PDF, so that the qpdf yardstick merges the very same
inputs the build reads. The case is a French B2B injonction de payer that passes the check: the
build does all its work (check, claim, documents, index, merge).

Everything is deterministic for a seed: fixed PDF identifiers, no clock.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import sys
from decimal import Decimal
from pathlib import Path

import pikepdf
from PIL import Image, ImageDraw, ImageFilter
from pikepdf import Array, Dictionary, Name

A4 = (595.28, 841.89)
LETTER = (612.0, 792.0)
SIZES = {
    "typical": {"exhibits": 12, "pages": 60, "invoices": 4},
    "large": {"exhibits": 400, "pages": 4000, "invoices": 60},
    "xl": {"exhibits": 1000, "pages": 10000, "invoices": 150},
}
SCAN_PX = (1654, 2339)  # A4 at 200 dpi
SCAN_SHARE = 0.15

WORDS = ("le la les des du de et au client fournisseur livraison commande facture montant prix unitaire quantité "
         "article conditions générales paiement échéance délai pénalités retard indemnité forfaitaire frais "
         "recouvrement contrat annexe signature réception marchandise conforme réserve installation atelier "
         "ouvrage matériel prestation devis acompte solde total hors taxes TVA euros Lyon société").split()

CASE_TOML = """\
# A generated benchmark case (bench/make_cases.py, seed {seed}, size {size}). Fictional.
schema = 1

[case]
reference = "{reference}"
procedure = "fr-injonction-de-payer"
language = "fr"
as_of = 2026-11-23
court = "Tribunal de commerce de Lyon"

[creditor]
name = "Atelier Dupont SAS"
legal_form = "SAS"
registration = "812345676"
vat = "FR19812345676"
address = ["12 rue des Forges", "69002 Lyon"]
country = "FR"
iban = "FR7614508006910002184790333"
signatory = "Claire Dupont, présidente"

[debtor]
name = "Boulangeries Martin & Fils SARL"
legal_form = "SARL"
registration = "439182759"
vat = "FR05439182759"
address = ["45 avenue Roger Salengro", "69100 Villeurbanne"]
country = "FR"
consumer = false
{invoices}
[[event]]
date = {reminder}
kind = "reminder"
channel = "email"

[[event]]
date = {notice}
kind = "formal-notice"
channel = "registered-letter"
file = "evidence/mise-en-demeure-{notice}.pdf"
received = {received}
"""


# ----------------------------------------------------------------------------------------------
# pages


def _font_dicts(pdf: pikepdf.Pdf, embedded: bool) -> pikepdf.Object:
    if not embedded:
        return pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica,
                                            Encoding=Name.WinAnsiEncoding))
    from recouvre_docs import stamp  # the project's WinAnsi subset of Liberation Sans

    font = stamp.add_fonts(pdf)["regular"]
    return font


def _text_stream(rng: random.Random, w: float, h: float, title: str, page_no: int, pages: int) -> bytes:
    lines = [f"BT /F1 15 Tf 56 {h - 70:.0f} Td ({title}) Tj ET"]
    y = h - 110
    while y > 70:
        n = rng.randint(9, 15)
        text = " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."
        text = text.encode("cp1252", "replace").decode("latin-1").replace("\\", "").replace("(", "").replace(")", "")
        lines.append(f"BT /F1 9.5 Tf 56 {y:.0f} Td ({text}) Tj ET")
        y -= 14.5
    lines.append(f"BT /F1 8 Tf {w / 2 - 20:.0f} 40 Td (Page {page_no} / {pages}) Tj ET")
    return "\n".join(lines).encode("latin-1")


def _scan_jpegs(rng: random.Random, count: int) -> list[bytes]:
    """A few distinct scanned pages (grey paper, lines of 'text', a stamp), JPEG at 200 dpi."""
    out = []
    for k in range(count):
        colour = k % 4 == 3
        img = Image.new("RGB" if colour else "L", SCAN_PX, (236, 233, 226) if colour else 232)
        draw = ImageDraw.Draw(img)
        ink = (40, 40, 60) if colour else 40
        y = 180
        while y < SCAN_PX[1] - 200:
            x = 150
            while x < SCAN_PX[0] - 200:
                wlen = rng.randint(30, 140)
                draw.rectangle([x, y, x + wlen, y + 18], fill=ink)
                x += wlen + rng.randint(14, 30)
            y += rng.randint(38, 52)
        if colour:
            draw.ellipse([1100, 1900, 1450, 2250], outline=(40, 70, 160), width=9)
        for _ in range(9000):  # paper grain, so that the JPEG is the size of a real scan
            px, py = rng.randrange(SCAN_PX[0]), rng.randrange(SCAN_PX[1])
            draw.point((px, py), fill=(150, 150, 150) if colour else 150)
        img = img.filter(ImageFilter.GaussianBlur(0.6)).rotate(rng.uniform(-0.6, 0.6), fillcolor=(236, 233, 226) if colour else 232)
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=78, dpi=(200, 200))
        out.append(buf.getvalue())
    return out


def _scan_page(pdf: pikepdf.Pdf, jpeg: bytes) -> pikepdf.Dictionary:
    with Image.open(io.BytesIO(jpeg)) as im:
        mode, (pw, ph) = im.mode, im.size
    image = pikepdf.Stream(pdf, jpeg)
    image.Type, image.Subtype = Name.XObject, Name.Image
    image.Width, image.Height, image.BitsPerComponent = pw, ph, 8
    image.ColorSpace = Name.DeviceRGB if mode == "RGB" else Name.DeviceGray
    image.Filter = Name.DCTDecode
    w, h = A4
    content = f"q {w:.2f} 0 0 {h:.2f} 0 0 cm /Im0 Do Q".encode()
    return Dictionary(Type=Name.Page, MediaBox=Array([0, 0, w, h]),
                      Resources=Dictionary(XObject=Dictionary(Im0=pdf.make_indirect(image))),
                      Contents=pdf.make_stream(content))


def write_exhibit(path: Path, rng: random.Random, *, title: str, pages: int, scans: list[bytes], scanned: bool,
                  embedded_font: bool, outline: bool = False, form: bool = False) -> None:
    pdf = pikepdf.new()
    font = _font_dicts(pdf, embedded_font)
    for n in range(1, pages + 1):
        if scanned:
            page = _scan_page(pdf, scans[rng.randrange(len(scans))])
        else:
            roll = rng.random()
            w, h = A4
            if roll < 0.08:
                w, h = h, w  # landscape
            elif roll < 0.12:
                w, h = LETTER
            page = Dictionary(Type=Name.Page, MediaBox=Array([0, 0, w, h]),
                              Resources=Dictionary(Font=Dictionary(F1=font)),
                              Contents=pdf.make_stream(_text_stream(rng, w, h, title, n, pages)))
            if rng.random() < 0.05:
                page.Rotate = rng.choice([90, 180, 270])
        pdf.pages.append(pikepdf.Page(page))
    if outline:
        with pdf.open_outline() as tree:
            for n in range(0, pages, max(1, pages // 3)):
                tree.root.append(pikepdf.OutlineItem(f"Section {n + 1}", n))
    if form:
        field = pdf.make_indirect(Dictionary(
            Type=Name.Annot, Subtype=Name.Widget, FT=Name.Tx, T=pikepdf.String("reference"),
            V=pikepdf.String("BC-2026-0211"), Rect=Array([56, 60, 256, 80]), F=4,
            DA=pikepdf.String("/Helv 10 Tf 0 g"), P=pdf.pages[0].obj))
        pdf.pages[0].obj.Annots = Array([field])
        pdf.Root.AcroForm = Dictionary(Fields=Array([field]), NeedAppearances=True,
                                       DR=Dictionary(Font=Dictionary(Helv=font)), DA=pikepdf.String("/Helv 10 Tf 0 g"))
    pdf.docinfo = pdf.make_indirect(Dictionary(Title=pikepdf.String(title), Producer=pikepdf.String("bench")))
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.save(path, deterministic_id=True)


# ----------------------------------------------------------------------------------------------
# a case


def _page_counts(rng: random.Random, exhibits: int, pages: int) -> list[int]:
    counts = [rng.randint(1, 30) if exhibits > 50 else rng.randint(1, 9) for _ in range(exhibits)]
    # scale to the target total, keeping each between 1 and 30
    total = sum(counts)
    counts = [max(1, min(30, round(c * pages / total))) for c in counts]
    i = 0
    while sum(counts) != pages:
        step = 1 if sum(counts) < pages else -1
        if 1 <= counts[i] + step <= 30:
            counts[i] += step
        i = (i + 1) % exhibits
    return counts


def make_case(root: Path, size: str, seed: int, reference: str | None = None, spec: dict | None = None,
              start: dt.date = dt.date(2026, 1, 5)) -> Path:
    """A case folder whose invoices are issued from ``start`` on (spread over about four months at
    most), reminded, then formally noticed 20 days after the last due date."""
    spec = spec or SIZES[size]
    rng = random.Random(f"{seed}-{size}-{reference}")
    reference = reference or f"BENCH-{size.upper()}"
    evidence = root / "evidence"
    if root.exists():
        raise SystemExit(f"{root} exists: remove it first")
    scans = _scan_jpegs(rng, 6 if spec["pages"] > 100 else 3)
    counts = _page_counts(rng, spec["exhibits"], spec["pages"])
    scanned_budget = round(spec["pages"] * SCAN_SHARE)
    n_invoices = spec["invoices"]
    last_issue = min(start + dt.timedelta(days=115), dt.date(2026, 9, 15))
    notice = last_issue + dt.timedelta(days=50)
    reminder, received = notice - dt.timedelta(days=20), notice + dt.timedelta(days=2)
    invoices = []
    fixed = {0: (f"contrat-cadre-{start - dt.timedelta(days=3)}.pdf", "Contrat-cadre"),
             1: ("CGV-Atelier-Dupont-2026.pdf", "Conditions générales de vente"),
             spec["exhibits"] - 2: (f"mise-en-demeure-{notice}.pdf", "Mise en demeure"),
             spec["exhibits"] - 1: (f"AR-mise-en-demeure-{received}.pdf", "Avis de réception")}
    middle = [i for i in range(spec["exhibits"]) if i not in fixed]
    invoice_slots = set(middle[1::max(1, len(middle) // n_invoices)][:n_invoices])
    # invoices have one page and the notice and its receipt at most two: the pages they do not take
    # go to the other pieces, so that the case has the size's page count
    spare = sum(c - 1 for i, c in enumerate(counts) if i in invoice_slots)
    spare += sum(c - min(c, 2) for i, c in enumerate(counts) if i >= spec["exhibits"] - 2)
    receivers = [i for i in middle if i not in invoice_slots]
    k = 0
    while spare > 0 and receivers and k < 100 * len(receivers):
        i = receivers[k % len(receivers)]
        if counts[i] < 30:
            counts[i] += 1
            spare -= 1
        k += 1
    day = start
    step = max(1, round(spec["exhibits"] / 110))  # about one business day per few exhibits
    inv_no = others = 0
    amounts = Decimal("0")
    for i, pages in enumerate(counts):
        scanned = False
        if i in fixed:
            name, title = fixed[i]
            rel = name
            if i >= spec["exhibits"] - 2:
                pages = min(pages, 2)
        else:
            day = min(day + dt.timedelta(days=rng.choice([0, 0, step])), last_issue)
            if i in invoice_slots:
                inv_no += 1
                number = f"F2026-{inv_no:04d}"
                rel, title, pages = f"factures/{number}.pdf", f"Facture n° {number}", 1
                amount = Decimal(rng.randint(40_000, 900_000)) / 100
                amounts += amount
                invoices.append(f'\n[[invoice]]\nnumber = "{number}"\nissued = {day.isoformat()}\n'
                                f'due = {(day + dt.timedelta(days=30)).isoformat()}\namount = {amount}\ncurrency = "EUR"\n'
                                f'file = "evidence/{rel}"\n')
            else:
                others += 1  # every case has an order and a delivery note; then any kind of piece
                kind = {1: "commandes/BC", 2: "bons-de-livraison/BL"}.get(others) or rng.choice(
                    ["bons-de-livraison/BL", "commandes/BC", "correspondance/courrier", "releves/releve"])
                rel = f"{kind}-{day:%Y-%m-%d}-{i:04d}.pdf"
                title = kind.split("/")[-1]
                scanned = kind.startswith("bons") and scanned_budget > 0
                if scanned:
                    scanned_budget -= pages
        write_exhibit(evidence / rel, rng, title=title, pages=pages, scans=scans, scanned=scanned,
                      embedded_font=rng.random() < 0.3, outline=(i % 97 == 5), form=(i % 131 == 7))
    # scans still owed (few delivery notes drawn): add scanned correspondence to reach ~15 %
    k = 0
    while scanned_budget > 0:
        pages = min(scanned_budget, rng.randint(2, 12))
        when = start + dt.timedelta(days=k % 100)
        write_exhibit(evidence / f"correspondance/scan-{when}-{k:03d}.pdf", rng, title="Scan",
                      pages=pages, scans=scans, scanned=True, embedded_font=False)
        scanned_budget -= pages
        k += 1
    root.mkdir(parents=True, exist_ok=True)
    (root / "case.toml").write_text(CASE_TOML.format(seed=seed, size=size, reference=reference,
                                                     invoices="".join(invoices), reminder=reminder, notice=notice,
                                                     received=received), "utf-8")
    return root


def make_portfolio(root: Path, cases: int, seed: int) -> Path:
    """``cases`` small case folders with varied facts (paid, part-paid, prescribed, promises...)."""
    root.mkdir(parents=True, exist_ok=True)
    for k in range(cases):
        rng = random.Random(f"{seed}-portfolio-{k}")
        spec = {"exhibits": rng.randint(6, 10), "pages": rng.randint(12, 30), "invoices": rng.randint(1, 3)}
        start = dt.date(2026, 3, 2) + dt.timedelta(days=rng.randint(0, 200))
        folder = make_case(root / f"case-{k:03d}", "portfolio", seed, reference=f"PF-{k:03d}", spec=spec, start=start)
        _vary(folder / "case.toml", rng, k)
    return root


def _vary(toml: Path, rng: random.Random, k: int) -> None:
    """Give the portfolio's cases different stories: payments, promises kept or broken, a missing
    delivery note, an old invoice near prescription."""
    text = toml.read_text("utf-8")
    extra = ""
    if k % 3 == 0:
        extra += "\n[[payment]]\ndate = 2026-11-02\namount = 150.00\n"
    if k % 4 == 1:  # a promise to pay by 2026-11-15, kept by a payment on 2026-11-10
        extra += '\n[[event]]\ndate = 2026-11-05\nkind = "promise"\nuntil = 2026-11-15\n'
        extra += "\n[[payment]]\ndate = 2026-11-10\namount = 100.00\n"
    if k % 4 == 2:  # a promise not kept
        extra += '\n[[event]]\ndate = 2026-11-05\nkind = "promise"\nuntil = 2026-11-15\n'
    if k % 8 == 7:  # a promise still running
        extra += '\n[[event]]\ndate = 2026-11-20\nkind = "promise"\nuntil = 2026-12-10\n'
    if k % 10 == 9:  # an invoice of 2021: five years run out in the coming weeks
        extra += ('\n[[invoice]]\nnumber = "F2021-0099"\nissued = 2021-11-02\ndue = 2021-12-02\n'
                  'amount = 980.00\ncurrency = "EUR"\n')
    if k % 7 == 3:
        extra += '\n[case.x]\n'  # an invalid case.toml: that case fails, the others go on
    toml.write_text(text + extra, "utf-8")
    if k % 5 == 4:  # the delivery notes left out: the check blocks
        for p in (toml.parent / "evidence" / "bons-de-livraison").glob("*.pdf"):
            p.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", choices=[*SIZES, "portfolio"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--cases", type=int, default=50, help="portfolio: how many cases")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "corpus")
    args = parser.parse_args(argv)
    if args.size == "portfolio":
        target = make_portfolio(args.out / f"portfolio-{args.cases}", args.cases, args.seed)
    else:
        target = make_case(args.out / args.size, args.size, args.seed)
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
