#!/usr/bin/env python3
"""Generate the fictional sample case ``samples/case-42``.

Run from anywhere with the project's virtualenv (``pip install -e ".[sample]"`` adds factur-x)::

    .venv/bin/python samples/make_case42.py

It rewrites ``samples/case-42/evidence/`` and ``samples/case-42/case.toml``. Everything is
deterministic: fixed PDF dates and identifiers, seeded randomness, no clock, no network. The only
inputs are this file, the Python packages of the virtualenv (WeasyPrint, pikepdf, Pillow, factur-x,
lxml) and the Liberation / DejaVu fonts of Debian under /usr/share/fonts.

All companies, people, identifiers, bank accounts and addresses used here are fictional (the
identifiers only have valid check digits). Nothing here is legal advice.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import math
import random
import shutil
import sys
from decimal import ROUND_HALF_UP, Decimal
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr
from html import escape as esc
from pathlib import Path

import pikepdf
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

HERE = Path(__file__).resolve().parent
CASE = HERE / "case-42"
EVIDENCE = CASE / "evidence"

FONT_DIR = Path("/usr/share/fonts/truetype")
FONTS = {
    "sans": FONT_DIR / "liberation2/LiberationSans-Regular.ttf",
    "sans-b": FONT_DIR / "liberation2/LiberationSans-Bold.ttf",
    "sans-i": FONT_DIR / "liberation2/LiberationSans-Italic.ttf",
    "sans-bi": FONT_DIR / "liberation2/LiberationSans-BoldItalic.ttf",
    "serif": FONT_DIR / "liberation2/LiberationSerif-Regular.ttf",
    "serif-b": FONT_DIR / "liberation2/LiberationSerif-Bold.ttf",
    "serif-i": FONT_DIR / "liberation2/LiberationSerif-Italic.ttf",
    "serif-bi": FONT_DIR / "liberation2/LiberationSerif-BoldItalic.ttf",
    "mono": FONT_DIR / "liberation2/LiberationMono-Regular.ttf",
    "mono-b": FONT_DIR / "liberation2/LiberationMono-Bold.ttf",
    "cond": FONT_DIR / "dejavu/DejaVuSansCondensed.ttf",
    "cond-b": FONT_DIR / "dejavu/DejaVuSansCondensed-Bold.ttf",
    "cond-i": FONT_DIR / "dejavu/DejaVuSansCondensed-Oblique.ttf",
    "cond-bi": FONT_DIR / "dejavu/DejaVuSansCondensed-BoldOblique.ttf",
}

NBSP = "\u00a0"

# ==============================================================================================
# The facts of the case (every document below is built from these)
# ==============================================================================================


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def fr_vat(siren: str) -> str:
    return "FR%02d%s" % ((12 + 3 * (int(siren) % 97)) % 97, siren)


def iban_ok(iban: str) -> bool:
    s = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def rib_key_ok(iban: str) -> bool:
    bank, branch, account, key = iban[4:9], iban[9:14], iban[14:25], iban[25:27]
    return (89 * int(bank) + 15 * int(branch) + 3 * int(account) + int(key)) % 97 == 0


CRED = {
    "name": "Atelier Dupont SAS",
    "brand": "ATELIER DUPONT",
    "form": "SAS",
    "capital": "150 000",
    "street": "12 rue des Forges",
    "city": "69002 Lyon",
    "siren": "812345676",
    "nic": "00017",
    "naf": "3101Z",
    "phone": "04 65 71 20 12",
    "email": "compta@atelier-dupont.example",
    "email_sales": "commercial@atelier-dupont.example",
    "web": "www.atelier-dupont.example",
    "iban": "FR7614508006910002184790333",
    "bic": "BRDCFRPPLYO",
    "bank": "Banque Rhodanienne de Commerce — agence Lyon Presqu'île",
    "signatory": "Claire Dupont",
    "signatory_title": "présidente",
}
DEBT = {
    "name": "Boulangeries Martin & Fils SARL",
    "brand": "Boulangeries Martin & Fils",
    "form": "SARL",
    "capital": "60 000",
    "street": "45 avenue Roger Salengro",
    "city": "69100 Villeurbanne",
    "siren": "439182759",
    "nic": "00019",
    "naf": "1071C",
    "phone": "04 65 71 38 45",
    "email": "j.martin@boulangeries-martin.example",
    "email_compta": "compta@boulangeries-martin.example",
    "signatory": "Julien Martin",
    "signatory_title": "gérant",
    "client_code": "C-0412",
}
LAWYER = {
    "name": "Maître Sophie Lambert",
    "firm": "Lambert Avocats",
    "street": "3 quai Saint-Antoine",
    "city": "69002 Lyon",
    "bar": "Barreau de Lyon",
}
for party in (CRED, DEBT):
    assert len(party["siren"]) == 9 and luhn_ok(party["siren"]), party["siren"]
    assert luhn_ok(party["siren"] + party["nic"]), party["nic"]
    party["vat"] = fr_vat(party["siren"])
    party["siret"] = party["siren"] + party["nic"]
assert iban_ok(CRED["iban"]) and rib_key_ok(CRED["iban"]), CRED["iban"]

CONTRACT_REF = "CC-2026-001"
CONTRACT_DATE = dt.date(2026, 1, 12)
PO_NO, PO_DATE = "BC-2026-0211", dt.date(2026, 2, 11)
BL_NO, BL_DATE = "BL-2026-0225", dt.date(2026, 2, 25)
RAR_NO = "1A 123 456 7890 1"
ECB_RATE = Decimal("2.15")  # taux de refinancement BCE en vigueur au 1er janvier 2026 (hypothèse)
PENALTY_RATE = ECB_RATE + 10
VAT_RATE = Decimal("20")

D = Decimal
# (référence, désignation, détail, quantité, unité, prix unitaire HT)
GOODS = [
    ("ET-INX-2040", "Étagère murale inox 304 pour présentation du pain",
     "L. 2000 × P. 400 mm, tôle 15/10e brossée, bords tombés, 2 consoles", D(6), "u", D("685.00")),
    ("PN-09-9005", "Panetière métallique 9 niches inclinées",
     "Acier thermolaqué noir RAL 9005 finition sablée, H. 2100 × L. 1500 mm", D(3), "u", D("1240.00")),
    ("CC-1800-BR", "Comptoir-caisse habillage acier brossé",
     "L. 1800 mm, plateau stratifié compact, tablette encaissement, passe-câbles", D(1), "u", D("2950.00")),
    ("RY-G5-1060", "Rayonnage de réserve galvanisé 5 niveaux",
     "L. 1000 × P. 600 × H. 2000 mm, charge 150 kg par niveau", D(8), "u", D("312.50")),
    ("CE-18-6040", "Chariot à échelle 18 niveaux pour plaques 600 × 400",
     "Inox, 4 roues pivotantes dont 2 à frein", D(2), "u", D("895.00")),
    ("KF-PLAT-01", "Kit de fixation : platines murales, chevilles, visserie inox",
     "Lot pour l'ensemble de la commande", D(1), "lot", D("305.00")),
]
SERVICES = [
    ("MO-TECH", "Main-d'œuvre de pose — technicien agenceur qualifié",
     "Interventions des 16, 17 et 18 mars 2026 (2 techniciens × 3 jours × 8 h)", D(48), "h", D("65.00")),
    ("DEP-LYON", "Forfait déplacement Lyon / Villeurbanne",
     "Aller-retour atelier – chantier, par jour et par véhicule", D(4), "forfait", D("120.00")),
    ("LOC-NAC", "Location de nacelle élévatrice",
     "Nacelle ciseaux 8 m, livraison et reprise comprises", D(2), "jour", D("285.00")),
    ("ELEC-LED", "Raccordement de l'éclairage LED des panetières",
     "Rubans LED 4000 K, alimentations et interrupteurs, essais", D(1), "forfait", D("1200.00")),
    ("CONS-FIX", "Scellements chimiques et consommables de pose",
     "Résine, tiges filetées, joints silicone alimentaire", D(1), "lot", D("410.00")),
    ("NET-FIN", "Évacuation des emballages et nettoyage de fin de chantier", "", D(1), "forfait", D("250.00")),
]


def q2(x: Decimal) -> Decimal:
    return x.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def totals(lines):
    ht = q2(sum((q * p for *_, q, _u, p in lines), D(0)))
    tva = q2(ht * VAT_RATE / 100)
    return ht, tva, ht + tva


INV1 = {"number": "F2026-0117", "issued": dt.date(2026, 3, 2), "due": dt.date(2026, 4, 1), "lines": GOODS}
INV2 = {"number": "F2026-0142", "issued": dt.date(2026, 3, 31), "due": dt.date(2026, 4, 30), "lines": SERVICES}
for inv in (INV1, INV2):
    inv["ht"], inv["tva"], inv["ttc"] = totals(inv["lines"])
assert (INV1["ht"], INV1["tva"], INV1["ttc"]) == (D("15375.00"), D("3075.00"), D("18450.00"))
assert (INV2["ht"], INV2["tva"], INV2["ttc"]) == (D("6030.00"), D("1206.00"), D("7236.00"))
TOTAL_DUE = INV1["ttc"] + INV2["ttc"]
PAYMENT = {"date": dt.date(2026, 5, 15), "amount": D("5000.00"), "invoice": INV1["number"]}
BALANCE = TOTAL_DUE - PAYMENT["amount"]
assert TOTAL_DUE == D("25686.00") and BALANCE == D("20686.00")
RELANCE_DATE = dt.date(2026, 5, 5)
MED_DATE = dt.date(2026, 6, 1)
AR_DATE = dt.date(2026, 6, 3)
AS_OF = dt.date(2026, 11, 23)

# ==============================================================================================
# Formatting
# ==============================================================================================

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre"]


def fdate(d: dt.date) -> str:
    """2 mars 2026, 1er avril 2026."""
    day = "1er" if d.day == 1 else str(d.day)
    return f"{day}{NBSP}{MONTHS[d.month - 1]}{NBSP}{d.year}"


def sdate(d: dt.date) -> str:
    return d.strftime("%d/%m/%Y")


def money(x: Decimal, unit: bool = True) -> str:
    """15 375,00 € (non-breaking spaces)."""
    neg = x < 0
    s = f"{abs(q2(x)):,.2f}".replace(",", " ").replace(".", ",").replace(" ", NBSP)
    s = ("−" if neg else "") + s
    return s + (NBSP + "€" if unit else "")


def qty(x: Decimal) -> str:
    return f"{x.normalize():f}".replace(".", ",")


def spaced(digits: str, groups=(3, 3, 3, 5)) -> str:
    out, i = [], 0
    for g in groups:
        if i >= len(digits):
            break
        out.append(digits[i : i + g])
        i += g
    return NBSP.join(out)


def iban_fmt(iban: str) -> str:
    return NBSP.join(iban[i : i + 4] for i in range(0, len(iban), 4))


# ==============================================================================================
# Handwriting: signatures and initials as ink strokes (list of (x, y, width) points, in mm)
# ==============================================================================================


def _catmull(points, steps=10):
    """Smooth a polyline through ``points`` (Catmull-Rom)."""
    if len(points) < 3:
        return list(points)
    pts = [points[0]] + list(points) + [points[-1]]
    out = []
    for i in range(1, len(pts) - 2):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[i + 1], pts[i + 2]
        for s in range(steps):
            t = s / steps
            t2, t3 = t * t, t * t * t
            out.append(tuple(
                0.5 * (2 * p1[k] + (-p0[k] + p2[k]) * t + (2 * p0[k] - 5 * p1[k] + 4 * p2[k] - p3[k]) * t2
                       + (-p0[k] + 3 * p1[k] - 3 * p2[k] + p3[k]) * t3)
                for k in range(2)))
    out.append(points[-1])
    return out


def _pressure(path, base, rng, taper=6):
    """Give each point a pen width: thinner where the pen moves fast, tapered at both ends."""
    n = len(path)
    out = []
    wobble = [rng.uniform(0.85, 1.15) for _ in range(n // 25 + 3)]
    for i, (x, y) in enumerate(path):
        a = path[max(i - 1, 0)]
        b = path[min(i + 1, n - 1)]
        speed = math.hypot(b[0] - a[0], b[1] - a[1])
        w = base * max(0.45, min(1.25, 1.35 - speed * 0.9))
        k = i / 25
        j = int(k)
        f = k - j
        w *= wobble[j] * (1 - f) + wobble[j + 1] * f
        end = min(i, n - 1 - i)
        if end < taper:
            w *= 0.35 + 0.65 * end / taper
        out.append((x, y, w))
    return out


def _cursive(x0, y0, rng, cycles, height=3.2, advance=2.3, loop=1.6, slant=0.35, tall=()):
    """A run of cursive 'letters': loops (e, l), arches (n, m) and cups (u) of uneven size, slanted,
    on a slightly drifting base line."""
    pts = []
    x, drift = x0, 0.0
    steps = 14
    for c in range(cycles):
        kind = rng.choice(("loop", "loop", "arch", "cup"))
        h = height * rng.uniform(0.7, 1.2)
        if c in tall:
            kind, h = "loop", height * rng.uniform(2.0, 2.6)
        adv = advance * rng.uniform(0.75, 1.35)
        lp = loop * rng.uniform(0.6, 1.2) if kind == "loop" else 0.0
        drift += rng.uniform(-0.25, 0.25)
        for s in range(steps):
            t = s / steps * 2 * math.pi
            if kind == "cup":
                yy = -h * 0.8 * (1 - math.cos(t)) / 2
                xx = adv * t / (2 * math.pi) + 0.25 * adv * math.sin(t)
            else:
                yy = -h * (1 - math.cos(t)) / 2
                xx = adv * t / (2 * math.pi) - lp * math.sin(t) * 0.5
            if kind == "arch":
                xx += 0.35 * adv * math.sin(t)
            xx += -yy * slant
            pts.append((x + xx, y0 + drift + yy + rng.uniform(-0.06, 0.06)))
        x += adv
    pts.append((x, y0 + drift))
    return pts


def signature(seed: int, kind: str):
    """Strokes of a signature. ``kind`` picks a style: 'dupont', 'martin', 'martin-short', 'livreur',
    'postier'. Coordinates in mm, origin at the left of the base line, y down."""
    rng = random.Random(seed)
    strokes = []
    if kind == "dupont":
        # a large open C, then 'Dupont' as cursive run, then a long underline flourish
        c = [(9 + 6 * math.cos(a), -5 + 7 * math.sin(a)) for a in
             [math.radians(d) for d in range(-40, -330, -22)]]
        c = [(x - (y + 5) * 0.3, y) for x, y in c]
        run = _cursive(11, 0.5, rng, 7, height=3.4, advance=2.6, loop=2.0, tall=(0, 5))
        flourish = [run[-1], (run[-1][0] + 3, run[-1][1] - 2.5), (run[-1][0] + 2, run[-1][1] + 2.5),
                    (run[-1][0] - 8, run[-1][1] + 4.2), (6, 4.0), (-1, 2.2)]
        path = _catmull(c, 6) + _catmull(run, 2) + _catmull(flourish, 12)
        strokes.append(_pressure(path, 0.55, rng))
        # i-dot / accent
        strokes.append(_pressure(_catmull([(23.2, -5.4), (23.9, -5.9), (24.4, -6.1)], 5), 0.5, rng, 2))
    elif kind in ("martin", "martin-short"):
        # J with a hook, an M zig-zag, then a short run and a rising final stroke
        j = [(3, -10), (9, -10.5), (6.5, -9.8), (5.8, -4), (5, 1.5), (3.2, 3.2), (1, 2.4), (1.6, 0.6), (4.5, -0.3)]
        m = [(8.5, 0.6), (10, -7.5), (11.8, 0.2), (13.6, -7.8), (15.3, 0.4), (16.2, -1.5)]
        path = _catmull(j, 8) + _catmull(m, 8)
        if kind == "martin":
            run = _cursive(16.5, 0.4, rng, 5, height=3.0, advance=2.4, loop=1.7, tall=(2,))
            path += _catmull(run, 2)
            end = run[-1]
            path += _catmull([end, (end[0] + 4, end[1] - 6), (end[0] + 2, end[1] - 7.5),
                              (end[0] - 3, end[1] + 2.5), (4, 4.5)], 12)
        else:
            path += _catmull([(16.2, -1.5), (19, -4), (21, -6)], 6)
        strokes.append(_pressure(path, 0.5, rng))
    elif kind == "livreur":
        run = _cursive(0, 0, rng, 6, height=2.6, advance=2.0, loop=1.2, slant=0.2, tall=(1,))
        path = _catmull([(-2, 2), (-1, -6), (0.5, -1), (0, 0)], 6) + _catmull(run, 2)
        path += _catmull([run[-1], (run[-1][0] + 5, run[-1][1] - 3)], 6)
        strokes.append(_pressure(path, 0.45, rng))
    elif kind == "postier":
        run = _cursive(0, 0, rng, 4, height=2.2, advance=2.4, loop=0.9, slant=0.1)
        path = _catmull(run, 2) + _catmull([run[-1], (run[-1][0] + 7, run[-1][1] + 1)], 6)
        strokes.append(_pressure(path, 0.4, rng))
    else:
        raise ValueError(kind)
    # a slight global rotation and jitter so that two signatures of one person differ a bit
    ang = math.radians(rng.uniform(-4, 2))
    ca, sa = math.cos(ang), math.sin(ang)
    return [[(x * ca - y * sa, x * sa + y * ca, w) for x, y, w in s] for s in strokes]


def initials(seed: int, who: str):
    rng = random.Random(seed)
    if who == "CD":
        c = [(4 + 3.2 * math.cos(a), -3 + 3.8 * math.sin(a)) for a in
             [math.radians(d) for d in range(-40, -330, -25)]]
        d = [(8, -6.8), (8.3, 0.5), (8, -6.9), (12.5, -5.5), (12.8, -1.5), (8.6, 0.6), (7.5, 1.4)]
        strokes = [_catmull(c, 6) + _catmull(d, 8)]
    else:  # JM
        j = [(2, -7), (5.5, -7.2), (4, -6.6), (3.6, -2), (3, 1.2), (1.2, 1.8), (0.8, 0.6)]
        m = [(5.5, 0.5), (6.6, -5.5), (7.8, 0.3), (9.1, -5.8), (10.4, 0.4), (12, -1.5)]
        strokes = [_catmull(j, 8) + _catmull(m, 8)]
    ang = math.radians(rng.uniform(-6, 3))
    ca, sa = math.cos(ang), math.sin(ang)
    out = []
    for s in strokes:
        p = _pressure([(x * ca - y * sa, x * sa + y * ca) for x, y in s], 0.4, rng, 4)
        out.append(p)
    return out


def _bbox(strokes, pad=1.0):
    xs = [p[0] for s in strokes for p in s]
    ys = [p[1] for s in strokes for p in s]
    return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad


def _ribbon(stroke):
    """Outline polygon of a variable-width stroke."""
    n = len(stroke)
    left, right = [], []
    for i, (x, y, w) in enumerate(stroke):
        a = stroke[max(i - 1, 0)]
        b = stroke[min(i + 1, n - 1)]
        dx, dy = b[0] - a[0], b[1] - a[1]
        ln = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / ln * w / 2, dx / ln * w / 2
        left.append((x + nx, y + ny))
        right.append((x - nx, y - ny))
    return left + right[::-1]


def strokes_svg(strokes, color="#14246b", scale=1.0) -> str:
    """An SVG document (mm units) drawing the strokes in ink."""
    x0, y0, x1, y1 = _bbox(strokes)
    paths = []
    for s in strokes:
        poly = _ribbon(s)
        d = "M" + " L".join(f"{x - x0:.2f},{y - y0:.2f}" for x, y in poly) + " Z"
        paths.append(f'<path d="{d}"/>')
        # round the pen at the ends
        for x, y, w in (s[0], s[-1]):
            paths.append(f'<circle cx="{x - x0:.2f}" cy="{y - y0:.2f}" r="{w / 2:.2f}"/>')
    w, h = x1 - x0, y1 - y0
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w * scale:.2f}mm" height="{h * scale:.2f}mm" '
            f'viewBox="0 0 {w:.2f} {h:.2f}"><g fill="{color}" fill-opacity="0.92" fill-rule="nonzero">'
            + "".join(paths) + "</g></svg>")


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def img_svg(svg: str, css: str = "", alt: str = "") -> str:
    return f'<img src="{data_uri(svg)}" style="{css}" alt="{esc(alt)}">'


# ==============================================================================================
# Stamps and logos (SVG)
# ==============================================================================================

_MEASURE: dict[str, ImageFont.FreeTypeFont] = {}


def text_width(text: str, size: float, font: str = "sans-b") -> float:
    """Advance width of ``text`` at ``size`` (same unit as size), measured on the real font."""
    if font not in _MEASURE:
        _MEASURE[font] = ImageFont.truetype(str(FONTS[font]), 200)
    return _MEASURE[font].getlength(text) / 200 * size


def _arc_text(text, cx, cy, r, size, top=True, family="Liberation Sans", weight="bold", spacing=0.12):
    """Characters of ``text`` placed one by one on a circle (top arc reads clockwise, bottom arc reads
    left to right), as SVG <text> elements."""
    widths = [text_width(ch, size) + spacing * size for ch in text]
    total = sum(widths)
    out = []
    pos = -total / 2
    for ch, w in zip(text, widths):
        a = (pos + w / 2) / r
        pos += w
        if ch == " ":
            continue
        deg = math.degrees(a)
        half = text_width(ch, size) / 2
        if top:
            px, py = cx + r * math.sin(a), cy - r * math.cos(a)
            rot = deg
        else:
            # bottom arc, read left to right: the first character is on the left (angle +span/2)
            rr = r + size * 0.72
            px, py = cx + rr * math.sin(a), cy + rr * math.cos(a)
            rot = -deg
        out.append(f'<g transform="translate({px:.2f},{py:.2f}) rotate({rot:.2f})"><text x="{-half:.2f}" y="0">'
                   f'{esc(ch)}</text></g>')
    return (f'<g font-family="{family}" font-weight="{weight}" font-size="{size:.2f}">' + "".join(out) + "</g>")


def round_stamp_svg(top: str, bottom: str, center: list[str], color="#3a2f8f", angle=-8.0, size_mm=38) -> str:
    r = 19.0
    c = 20.0
    parts = [
        f'<circle cx="{c}" cy="{c}" r="{r}" fill="none" stroke="{color}" stroke-width="1.1"/>',
        f'<circle cx="{c}" cy="{c}" r="{r - 1.6}" fill="none" stroke="{color}" stroke-width="0.35"/>',
        f'<circle cx="{c}" cy="{c}" r="{r - 8.0}" fill="none" stroke="{color}" stroke-width="0.55"/>',
        f'<g fill="{color}">',
        _arc_text(top, c, c, r - 5.4, 3.0, top=True, spacing=-0.06),
        _arc_text(bottom, c, c, r - 5.6, 2.4, top=False, weight="normal", spacing=0.0),
    ]
    n = len(center)
    for i, line in enumerate(center):
        size = 3.4 if i == 0 else 2.2
        y = c + (i - (n - 1) / 2) * 3.6 + size * 0.35
        parts.append(f'<text x="{c}" y="{y:.2f}" font-family="Liberation Sans" font-weight="bold" '
                     f'font-size="{size}" text-anchor="middle">{esc(line)}</text>')
    parts.append("</g>")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_mm}mm" height="{size_mm}mm" viewBox="0 0 40 40">'
            f'<g transform="rotate({angle} 20 20)" opacity="0.82">' + "".join(parts) + "</g></svg>")


def rect_stamp_svg(lines: list[str], color="#24348a", angle=-3.0, width_mm=62) -> str:
    w = 64.0
    h = 7.5 + 4.2 * len(lines)
    parts = [
        f'<rect x="1" y="1" width="{w - 2}" height="{h - 2}" rx="1.2" fill="none" stroke="{color}" stroke-width="0.9"/>',
        f'<rect x="2.3" y="2.3" width="{w - 4.6}" height="{h - 4.6}" rx="0.8" fill="none" stroke="{color}" '
        f'stroke-width="0.3"/>',
    ]
    for i, line in enumerate(lines):
        size = 4.0 if i == 0 else 2.9
        y = 7.3 + i * 4.2 + (0.3 if i else 0)
        weight = "bold" if i == 0 else "normal"
        parts.append(f'<text x="{w / 2}" y="{y:.2f}" font-family="Liberation Sans" font-weight="{weight}" '
                     f'font-size="{size}" fill="{color}" text-anchor="middle">{esc(line)}</text>')
    pad = 4
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_mm}mm" height="{width_mm * (h + 2 * pad) / (w + 2 * pad):.2f}mm" '
            f'viewBox="{-pad} {-pad} {w + 2 * pad} {h + 2 * pad}"><g transform="rotate({angle} {w / 2} {h / 2})" '
            f'opacity="0.8">' + "".join(parts) + "</g></svg>")


def debtor_stamp_svg(angle=-8.0) -> str:
    return round_stamp_svg("BOULANGERIES MARTIN & FILS", f"RCS LYON {spaced(DEBT['siren'])}",
                           ["SARL", "69100", "VILLEURBANNE"], angle=angle)


def creditor_stamp_svg(angle=-3.0) -> str:
    return rect_stamp_svg([
        "ATELIER DUPONT SAS",
        "Agencements métalliques sur mesure",
        "12 rue des Forges — 69002 LYON",
        f"Tél. {CRED['phone']}",
        f"SIRET {spaced(CRED['siret'])} — APE {CRED['naf']}",
    ], angle=angle)


def handwriting_svg(text: str, size=4.2, color="#14246b", angle=-3.0, seed=0, family="Liberation Serif") -> str:
    """A few handwritten-looking words: italic glyphs with a jittered base line and size."""
    rng = random.Random(seed)
    x = 1.0
    parts = []
    for ch in text:
        s = size * rng.uniform(0.94, 1.07)
        dy = rng.uniform(-0.25, 0.25)
        rot = rng.uniform(-5, 5)
        if ch != " ":
            parts.append(f'<text x="{x:.2f}" y="{size * 1.2 + dy:.2f}" font-size="{s:.2f}" '
                         f'transform="rotate({rot:.1f} {x:.2f} {size * 1.2:.2f})">{esc(ch)}</text>')
        x += text_width(ch, s, "serif-i") * rng.uniform(0.97, 1.05)
    w, h = x + 1.5, size * 1.8
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.2f}mm" height="{h:.2f}mm" viewBox="0 0 {w:.2f} {h:.2f}">'
            f'<g transform="rotate({angle} 0 {h / 2:.2f})" fill="{color}" fill-opacity="0.9" font-family="{family}" '
            f'font-style="italic" stroke="{color}" stroke-width="0.06" stroke-opacity="0.9">' + "".join(parts)
            + "</g></svg>")


def dupont_logo_svg(size_mm=16) -> str:
    """Atelier Dupont: a steel-blue square with a shelving unit drawn in white and an orange bar."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_mm}mm" height="{size_mm}mm" viewBox="0 0 40 40">'
            '<rect x="0" y="0" width="40" height="40" rx="3" fill="#1f3a5f"/>'
            '<rect x="8" y="7" width="3" height="27" fill="#fff"/><rect x="29" y="7" width="3" height="27" fill="#fff"/>'
            '<rect x="8" y="11" width="24" height="2.4" fill="#fff"/><rect x="8" y="19" width="24" height="2.4" fill="#fff"/>'
            '<rect x="8" y="27" width="24" height="2.4" fill="#e07b24"/>'
            '<path d="M11 13.4 L29 19 M11 19 L29 13.4" stroke="#fff" stroke-width="0.9"/>'
            '</svg>')


def martin_logo_svg(size_mm=18) -> str:
    """Boulangeries Martin & Fils: an ear of wheat in a circle."""
    grains = []
    for i in range(6):
        y = 27 - i * 3.6
        for side in (-1, 1):
            ang = side * 32
            cx = 20 + side * 2.3
            grains.append(f'<ellipse cx="{cx:.1f}" cy="{y:.1f}" rx="1.7" ry="3.1" '
                          f'transform="rotate({ang} {cx:.1f} {y:.1f})" fill="#b5762a"/>')
    grains.append('<ellipse cx="20" cy="6.2" rx="1.6" ry="3" fill="#b5762a"/>')
    awns = "".join(f'<path d="M{20 + s * 2.5} {27 - i * 3.6 - 2} l{s * 4.5} -6" stroke="#b5762a" stroke-width="0.35"/>'
                   for i in range(1, 6) for s in (-1, 1))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_mm}mm" height="{size_mm}mm" viewBox="0 0 40 40">'
            '<circle cx="20" cy="20" r="19" fill="#fbf3e4" stroke="#7a4a1c" stroke-width="1.2"/>'
            '<path d="M20 36 C 20 30, 20.3 20, 20 8" stroke="#7a4a1c" stroke-width="1" fill="none"/>'
            + "".join(grains) + awns + "</svg>")


# ==============================================================================================
# HTML -> PDF
# ==============================================================================================


def font_faces() -> str:
    faces = []
    for family, base in (("LS", "sans"), ("LSerif", "serif"), ("DVC", "cond")):
        for suffix, weight, style in (("", "normal", "normal"), ("-b", "bold", "normal"),
                                      ("-i", "normal", "italic"), ("-bi", "bold", "italic")):
            faces.append(f'@font-face {{ font-family: "{family}"; font-weight: {weight}; font-style: {style}; '
                         f'src: url("{FONTS[base + suffix].as_uri()}"); }}')
    faces.append(f'@font-face {{ font-family: "LMono"; src: url("{FONTS["mono"].as_uri()}"); }}')
    faces.append(f'@font-face {{ font-family: "LMono"; font-weight: bold; src: url("{FONTS["mono-b"].as_uri()}"); }}')
    return "\n".join(faces)


def _last_sunday(year: int, month: int) -> dt.date:
    d = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return d - dt.timedelta(days=(d.weekday() + 1) % 7)


def paris_offset(d: dt.date) -> str:
    """UTC offset of Paris time on ``d`` (summer time from the last Sunday of March to the last of October)."""
    return "+02:00" if _last_sunday(d.year, 3) <= d < _last_sunday(d.year, 10) else "+01:00"


def fr_typo(text: str) -> str:
    """French typography: non-breaking spaces inside guillemets and before : ; ? !"""
    for x, y in (("« ", "«" + NBSP), (" »", NBSP + "»"), (" :", NBSP + ":"), (" ;", NBSP + ";"),
                 (" ?", NBSP + "?"), (" !", NBSP + "!"), (" %", NBSP + "%"), (" €", NBSP + "€")):
        text = text.replace(x, y)
    return text


def html_doc(title: str, body: str, css: str, *, date: dt.date, author: str, keywords: str = "",
             lang: str = "fr") -> str:
    body = fr_typo(body)
    stamp = f"{date.isoformat()}T09:00:00{paris_offset(date)}"
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<title>{esc(title)}</title>
<meta name="author" content="{esc(author)}">
<meta name="keywords" content="{esc(keywords)}">
<meta name="generator" content="{esc(author)}">
<meta name="dcterms.created" content="{stamp}">
<meta name="dcterms.modified" content="{stamp}">
<style>
{font_faces()}
{css}
</style></head><body>
{body}
</body></html>"""


def render_pdf(html: str, out: Path, *, pdfa: bool = False) -> Path:
    from weasyprint import HTML

    out.parent.mkdir(parents=True, exist_ok=True)
    doc = HTML(string=html, base_url=str(HERE)).render()
    kwargs = {}
    if pdfa:
        kwargs["pdf_variant"] = "pdf/a-3b"
    data = doc.write_pdf(**kwargs)
    out.write_bytes(data)
    normalize_pdf(out)
    return out


def normalize_pdf(path: Path) -> None:
    """Rewrite with a deterministic /ID (the dates come from the document's metadata)."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        if "/ID" in pdf.trailer:  # a random /ID left by a writer would be kept as the first half
            del pdf.trailer.ID
        pdf.save(path, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.preserve)


# ==============================================================================================
# Contrat-cadre (4 portrait pages + 1 landscape annex)
# ==============================================================================================

CONTRACT_ARTICLES = [
    ("Objet", [
        "Le présent contrat-cadre (le « Contrat ») a pour objet de définir les conditions dans lesquelles le "
        "Fournisseur fournit au Client, à la demande de celui-ci, des agencements métalliques standard ou fabriqués "
        "sur mesure (les « Produits ») et réalise, lorsque le Client le demande, les prestations de pose, "
        "d'installation et de mise en service associées (les « Prestations »).",
        "Le Contrat ne comporte aucune obligation d'achat minimum à la charge du Client ni aucune exclusivité au "
        "profit de l'une ou l'autre des Parties. Chaque fourniture est déclenchée par un bon de commande émis dans "
        "les conditions de l'article 4.",
    ]),
    ("Documents contractuels", [
        "Les relations entre les Parties sont régies par les documents suivants, classés par ordre de priorité "
        "décroissant : (i) le présent Contrat ; (ii) son Annexe 1 « Grille tarifaire » ; (iii) les bons de commande "
        "acceptés par le Fournisseur ; (iv) les conditions générales de vente du Fournisseur, version 2026, dont le "
        "Client reconnaît avoir reçu un exemplaire et qu'il déclare accepter sans réserve.",
        "En cas de contradiction entre ces documents, le document de rang supérieur prévaut. Les conditions "
        "générales d'achat du Client, ou toute autre condition figurant sur ses documents commerciaux, sont "
        "inopposables au Fournisseur sauf acceptation écrite et expresse de sa part.",
    ]),
    ("Durée", [
        "Le Contrat prend effet à la date de sa signature par les deux Parties pour une durée initiale de douze (12) "
        "mois.",
        "Il se renouvelle ensuite par tacite reconduction pour des périodes successives de douze (12) mois, sauf "
        "dénonciation par l'une des Parties notifiée par lettre recommandée avec demande d'avis de réception au moins "
        "trois (3) mois avant l'échéance de la période en cours.",
        "L'arrivée du terme ou la résiliation du Contrat est sans effet sur l'exécution des commandes en cours, qui "
        "demeurent régies par ses stipulations jusqu'à leur complet achèvement et leur complet paiement.",
    ]),
    ("Commandes", [
        "Toute commande fait l'objet d'un bon de commande écrit du Client, daté et signé par une personne habilitée, "
        "précisant les références, quantités, prix unitaires, lieux et délais de livraison souhaités ainsi que, le cas "
        "échéant, les Prestations demandées. Le bon de commande vise le présent Contrat.",
        "La commande n'est ferme qu'après son acceptation par le Fournisseur, par écrit ou par courrier électronique, "
        "dans un délai de cinq (5) jours ouvrés. Pour les Produits fabriqués sur mesure, l'acceptation intervient "
        "après validation par le Client des plans d'exécution établis par le Fournisseur.",
        "Toute modification ou annulation de commande demandée par le Client après son acceptation est subordonnée "
        "à l'accord écrit du Fournisseur. Les Produits sur mesure dont la fabrication a été engagée ne peuvent être "
        "annulés ; les frais engagés et les matières approvisionnées restent dus.",
    ]),
    ("Prix", [
        "Les Produits et Prestations sont facturés aux prix figurant dans la grille tarifaire de l'Annexe 1, "
        "exprimés en euros hors taxes, départ atelier de Lyon, emballage standard compris. La taxe sur la valeur "
        "ajoutée est facturée en sus au taux en vigueur à la date de son fait générateur.",
        "Les prix de l'Annexe 1 sont fermes jusqu'au 31 décembre 2026. Ils pourront être révisés au 1er janvier de "
        "chaque année en fonction de l'évolution de l'indice des prix de production de l'industrie française pour le "
        "marché français des produits sidérurgiques, le Fournisseur notifiant la nouvelle grille au Client au moins "
        "un (1) mois avant son entrée en vigueur.",
        "Les Produits ou Prestations ne figurant pas dans la grille font l'objet d'un devis préalable accepté par le "
        "Client. Les Prestations de pose sont facturées au temps passé, sur la base des taux horaires et forfaits de "
        "l'Annexe 1.",
    ]),
    ("Livraison, transport et transfert des risques", [
        "Les délais de livraison indiqués dans l'acceptation de commande sont donnés à titre indicatif. Un retard "
        "de livraison n'excédant pas trente (30) jours ne peut donner lieu ni à l'annulation de la commande, ni à "
        "pénalités, ni à dommages et intérêts.",
        "Les Produits sont livrés à l'adresse indiquée sur le bon de commande. Chaque livraison est accompagnée d'un "
        "bon de livraison que le Client, ou son préposé, signe après vérification du nombre de colis et de l'état "
        "apparent des Produits.",
        "Il appartient au Client de vérifier les Produits à la livraison et de porter sur le bon de livraison toute "
        "réserve précise et motivée, confirmée au transporteur et au Fournisseur dans les trois (3) jours, "
        "conformément à l'article L. 133-3 du Code de commerce. À défaut de réserve, les Produits sont réputés "
        "livrés conformes et exempts de vices apparents.",
        "Le transfert des risques de perte et de détérioration des Produits intervient à la livraison, "
        "indépendamment du transfert de propriété.",
    ]),
    ("Installation et réception", [
        "Lorsque le Client commande des Prestations, il met à la disposition du Fournisseur des locaux libres "
        "d'accès, dégagés, alimentés en électricité et conformes aux plans validés. Les temps d'attente et les "
        "déplacements supplémentaires imputables au Client sont facturés selon l'Annexe 1.",
        "À l'achèvement des Prestations, les Parties signent un procès-verbal de réception, avec ou sans réserves. "
        "À défaut de signature du procès-verbal dans les huit (8) jours suivant l'achèvement, ou en cas "
        "d'utilisation des agencements par le Client, la réception est réputée prononcée sans réserve.",
        "Les réserves éventuelles ne suspendent pas l'exigibilité des factures, à l'exception d'une retenue limitée "
        "au montant des travaux restant à effectuer pour les lever.",
    ]),
    ("Facturation et conditions de paiement", [
        "Les Produits sont facturés à la livraison ; les Prestations sont facturées à leur achèvement, le cas "
        "échéant mensuellement pour les chantiers de plus d'un mois.",
        "<b>Les factures sont payables à trente (30) jours à compter de leur date d'émission</b>, par virement "
        "bancaire sur le compte du Fournisseur dont les coordonnées figurent sur chaque facture, conformément à "
        "l'article L. 441-10 du Code de commerce. Aucun escompte n'est accordé en cas de paiement anticipé.",
        "Le paiement s'entend de l'encaissement effectif des fonds sur le compte du Fournisseur. Le Client ne peut "
        "en aucun cas procéder à une compensation avec des sommes qu'il estimerait lui être dues par le Fournisseur, "
        "ni suspendre ses paiements, sans l'accord exprès et préalable de celui-ci.",
        "Les factures sont adressées au Client par voie électronique à l'adresse qu'il a désignée ; les factures "
        "de Produits sont émises au format Factur-X. Toute contestation d'une facture doit être formulée par écrit, "
        "de façon motivée, dans les quinze (15) jours de sa réception ; à défaut, la facture est réputée acceptée.",
    ]),
    ("Retard de paiement", [
        "Conformément à l'article L. 441-10 du Code de commerce, toute somme non payée à son échéance porte de plein "
        "droit, sans qu'un rappel soit nécessaire, des <b>pénalités de retard calculées au taux d'intérêt appliqué "
        "par la Banque centrale européenne à son opération de refinancement la plus récente, majoré de dix (10) "
        "points de pourcentage</b>. Le taux applicable pendant le premier semestre de l'année est celui en vigueur "
        "au 1er janvier de l'année considérée ; pendant le second semestre, celui en vigueur au 1er juillet.",
        "Tout retard de paiement rend en outre le Client débiteur de plein droit d'une <b>indemnité forfaitaire "
        "pour frais de recouvrement de quarante (40) euros</b> par facture, conformément aux articles L. 441-10 et "
        "D. 441-5 du Code de commerce. Lorsque les frais de recouvrement exposés sont supérieurs à ce montant, le "
        "Fournisseur peut demander une indemnisation complémentaire, sur justification.",
        "Le défaut de paiement d'une seule échéance entraîne, après mise en demeure restée sans effet pendant huit "
        "(8) jours, l'exigibilité immédiate de l'ensemble des sommes dues par le Client à quelque titre que ce soit, "
        "ainsi que le droit pour le Fournisseur de suspendre toute livraison ou Prestation en cours jusqu'à complet "
        "paiement, sans préjudice de toute autre voie d'action.",
    ]),
    ("Réserve de propriété", [
        "<b>LE FOURNISSEUR CONSERVE LA PROPRIÉTÉ DES PRODUITS LIVRÉS JUSQU'AU PAIEMENT EFFECTIF DE L'INTÉGRALITÉ DU "
        "PRIX EN PRINCIPAL ET ACCESSOIRES</b>, conformément aux articles 2367 et suivants du Code civil et L. 624-16 "
        "du Code de commerce. La remise d'un titre créant une obligation de payer ne constitue pas un paiement au "
        "sens du présent article.",
        "Jusqu'au complet paiement, le Client s'interdit de revendre, de donner en gage ou de transférer la propriété "
        "des Produits, et doit les assurer contre les risques de perte et de détérioration. Les Produits incorporés "
        "à un ouvrage restent revendiquables tant qu'ils peuvent être dissociés sans dommage.",
        "En cas de défaut de paiement, le Fournisseur pourra reprendre les Produits, aux frais du Client, huit (8) "
        "jours après une mise en demeure restée infructueuse ; les acomptes versés lui resteront acquis à "
        "concurrence du préjudice subi.",
    ]),
    ("Garantie", [
        "Le Fournisseur garantit les Produits contre tout défaut de matière ou de fabrication pendant douze (12) mois "
        "à compter de la livraison, et les Prestations contre tout défaut d'exécution pendant douze (12) mois à "
        "compter de la réception. La garantie couvre, au choix du Fournisseur, la réparation ou le remplacement des "
        "éléments reconnus défectueux.",
        "Sont exclus de la garantie les dommages résultant d'une utilisation non conforme, d'une surcharge au-delà "
        "des charges admissibles indiquées, d'un défaut d'entretien, d'une modification ou de l'intervention d'un "
        "tiers, ainsi que l'usure normale. Le présent article ne prive pas le Client de la garantie légale des vices "
        "cachés des articles 1641 et suivants du Code civil.",
    ]),
    ("Responsabilité et assurances", [
        "La responsabilité du Fournisseur est limitée aux dommages directs et prévisibles causés au Client par un "
        "manquement prouvé à ses obligations. Elle ne saurait excéder, toutes causes confondues, le montant hors "
        "taxes de la commande concernée. Le Fournisseur ne répond pas des préjudices indirects tels que perte "
        "d'exploitation, perte de chiffre d'affaires ou atteinte à l'image, sauf faute lourde ou dolosive.",
        "Chaque Partie déclare être titulaire d'une police d'assurance de responsabilité civile professionnelle "
        "couvrant les conséquences de son activité et s'engage à la maintenir pendant toute la durée du Contrat.",
    ]),
    ("Force majeure", [
        "Aucune Partie ne pourra être tenue pour responsable de l'inexécution de ses obligations résultant d'un cas "
        "de force majeure au sens de l'article 1218 du Code civil. La Partie empêchée en informe l'autre sans délai. "
        "Si l'empêchement se prolonge au-delà de soixante (60) jours, chaque Partie peut résilier la commande "
        "concernée de plein droit, par lettre recommandée avec demande d'avis de réception, sans indemnité. La force "
        "majeure ne peut être invoquée pour différer le paiement d'une somme exigible.",
    ]),
    ("Résiliation", [
        "En cas de manquement grave de l'une des Parties à ses obligations, non réparé dans un délai de quinze (15) "
        "jours à compter d'une mise en demeure adressée par lettre recommandée avec demande d'avis de réception, "
        "l'autre Partie pourra résilier le Contrat de plein droit, sans préjudice des dommages et intérêts "
        "auxquels elle pourrait prétendre. Le non-paiement d'une facture à son échéance constitue un manquement grave "
        "au sens du présent article.",
    ]),
    ("Confidentialité et propriété des études", [
        "Chaque Partie s'engage à tenir confidentiels les plans, études, prix et informations techniques ou "
        "commerciales communiqués par l'autre Partie, pendant la durée du Contrat et les trois (3) années suivant "
        "son terme. Les plans et études réalisés par le Fournisseur demeurent sa propriété intellectuelle et ne "
        "peuvent être communiqués à un tiers ni utilisés pour faire réaliser les agencements par un autre fabricant.",
    ]),
    ("Dispositions générales", [
        "Le Contrat exprime l'intégralité de l'accord des Parties sur son objet ; toute modification fait l'objet "
        "d'un avenant écrit signé par les deux Parties. Le fait pour une Partie de ne pas se prévaloir d'un "
        "manquement de l'autre Partie ne vaut pas renonciation à s'en prévaloir ultérieurement. Si l'une des "
        "stipulations du Contrat était déclarée nulle, les autres conserveraient leur plein effet. Le Contrat ne "
        "peut être cédé par le Client sans l'accord préalable et écrit du Fournisseur.",
        "Les Parties élisent domicile en leurs sièges sociaux respectifs. Les notifications sont valablement faites "
        "par lettre recommandée avec demande d'avis de réception ou par courrier électronique aux adresses "
        f"suivantes : pour le Fournisseur, {CRED['email']} ; pour le Client, {DEBT['email']}.",
    ]),
    ("Droit applicable et attribution de juridiction", [
        "Le Contrat est soumis au droit français. Les Parties s'efforceront de régler à l'amiable tout différend "
        "relatif à la formation, l'interprétation, l'exécution ou la cessation du Contrat.",
        "<b>À DÉFAUT D'ACCORD AMIABLE DANS UN DÉLAI DE TRENTE (30) JOURS, TOUT LITIGE RELATIF AU CONTRAT ET AUX "
        "COMMANDES PASSÉES EN APPLICATION DE CELUI-CI SERA DE LA COMPÉTENCE EXCLUSIVE DU TRIBUNAL DE COMMERCE DE "
        "LYON</b>, y compris en cas de référé, de requête en injonction de payer, d'appel en garantie ou de "
        "pluralité de défendeurs. Les Parties, ayant toutes deux la qualité de commerçant, déclarent accepter "
        "expressément la présente clause conformément à l'article 48 du Code de procédure civile.",
    ]),
]

# (référence, désignation, dimensions / caractéristiques, matière / finition, unité, prix HT, délai, remarque)
PRICE_GRID_GOODS = [
    ("ET-INX-1540", "Étagère murale de présentation", "L. 1500 × P. 400 mm, 2 consoles", "Inox 304 brossé 15/10e", "u", "545,00", "4 sem.", ""),
    ("ET-INX-2040", "Étagère murale de présentation", "L. 2000 × P. 400 mm, 2 consoles", "Inox 304 brossé 15/10e", "u", "685,00", "4 sem.", "Console intermédiaire : + 48,00"),
    ("PN-06-9005", "Panetière 6 niches inclinées", "H. 2100 × L. 1000 mm", "Acier thermolaqué RAL 9005", "u", "920,00", "5 sem.", "Autres RAL : + 6 %"),
    ("PN-09-9005", "Panetière 9 niches inclinées", "H. 2100 × L. 1500 mm", "Acier thermolaqué RAL 9005", "u", "1 240,00", "5 sem.", "Autres RAL : + 6 %"),
    ("PN-12-9005", "Panetière 12 niches inclinées", "H. 2100 × L. 2000 mm", "Acier thermolaqué RAL 9005", "u", "1 560,00", "6 sem.", "Autres RAL : + 6 %"),
    ("CC-1500-BR", "Comptoir-caisse", "L. 1500 mm, tablette encaissement", "Acier brossé, plateau compact", "u", "2 490,00", "6 sem.", "Sur plans validés"),
    ("CC-1800-BR", "Comptoir-caisse", "L. 1800 mm, tablette encaissement", "Acier brossé, plateau compact", "u", "2 950,00", "6 sem.", "Sur plans validés"),
    ("TB-INX-1870", "Table de travail adossée", "L. 1800 × P. 700 mm, étagère basse", "Inox 304", "u", "1 150,00", "3 sem.", ""),
    ("RY-G5-1060", "Rayonnage de réserve 5 niveaux", "L. 1000 × P. 600 × H. 2000 mm", "Acier galvanisé", "u", "312,50", "2 sem.", "150 kg / niveau"),
    ("RY-G5-1560", "Rayonnage de réserve 5 niveaux", "L. 1500 × P. 600 × H. 2000 mm", "Acier galvanisé", "u", "398,00", "2 sem.", "120 kg / niveau"),
    ("CE-18-6040", "Chariot à échelle 18 niveaux", "Plaques 600 × 400 mm, 4 roues dont 2 à frein", "Inox", "u", "895,00", "3 sem.", ""),
    ("CE-20-8060", "Chariot à échelle 20 niveaux", "Plaques 800 × 600 mm, 4 roues dont 2 à frein", "Inox", "u", "1 090,00", "3 sem.", ""),
    ("KF-PLAT-01", "Kit de fixation", "Platines murales, chevilles, visserie", "Inox A2", "lot", "305,00", "—", "1 lot par commande"),
]
PRICE_GRID_SERVICES = [
    ("ETU-PLAN", "Relevé de cotes, étude et plans d'exécution", "Par point de vente", "—", "forfait", "450,00", "—", "Offert si commande > 10 000 € HT"),
    ("MO-TECH", "Main-d'œuvre de pose", "Technicien agenceur qualifié", "Jours ouvrés 7 h – 18 h", "h", "65,00", "—", "Majoration nuit / dimanche : + 50 %"),
    ("MO-CHEF", "Main-d'œuvre de pose", "Chef d'équipe", "Jours ouvrés 7 h – 18 h", "h", "78,00", "—", ""),
    ("DEP-LYON", "Forfait déplacement", "Lyon et communes limitrophes", "Par jour et par véhicule", "forfait", "120,00", "—", ""),
    ("DEP-RHONE", "Forfait déplacement", "Reste du département du Rhône", "Par jour et par véhicule", "forfait", "180,00", "—", ""),
    ("LOC-NAC", "Location de nacelle élévatrice", "Nacelle ciseaux 8 m", "Livraison et reprise comprises", "jour", "285,00", "—", ""),
    ("ELEC-LED", "Raccordement éclairage LED", "Jusqu'à 3 panetières", "LED 4000 K, alimentations", "forfait", "1 200,00", "—", "Par panetière supplémentaire : + 380,00"),
    ("CONS-FIX", "Scellements et consommables de pose", "Jusqu'à 40 points de fixation", "Résine, tiges, joints", "lot", "410,00", "—", ""),
    ("NET-FIN", "Évacuation des emballages et nettoyage", "Fin de chantier", "—", "forfait", "250,00", "—", ""),
]

# every price used on the purchase order and the invoices comes from the grid
_GRID = {r[0]: D(r[5].replace(" ", "").replace(",", ".")) for r in PRICE_GRID_GOODS + PRICE_GRID_SERVICES}
for _ref, *_rest, _q, _u, _p in GOODS + SERVICES:
    assert _GRID[_ref] == _p, _ref

CONTRACT_CSS = """
@page { size: A4; margin: 19mm 19mm 22mm 21mm;
  @top-left { content: "Atelier Dupont SAS — Boulangeries Martin & Fils SARL"; font: 7.5pt "LSerif"; color: #555; }
  @top-right { content: "Contrat-cadre n° CC-2026-001"; font: 7.5pt "LSerif"; color: #555; }
  @bottom-center { content: "Page " counter(page) " / " counter(pages); font: 8pt "LSerif"; color: #333; }
  @bottom-left { content: "Paraphes :"; font: italic 7.5pt "LSerif"; color: #555; vertical-align: top; padding-top: 3mm; }
  @bottom-right { content: element(paraphes); vertical-align: top; }
}
@page annex { size: A4 landscape; margin: 13mm 14mm 16mm 14mm; }
body { font-family: "LSerif"; font-size: 9.6pt; line-height: 1.27; color: #111; text-align: justify;
  hyphens: auto; }
.paraphes { position: running(paraphes); }
.paraphes img { height: 9mm; margin-left: 2mm; }
h1 { font-size: 15pt; text-align: center; margin: 0 0 1mm; letter-spacing: 0.5pt; }
.subtitle { text-align: center; font-size: 10.5pt; margin: 0 0 6mm; }
.ref { text-align: center; font-size: 9pt; color: #333; margin-bottom: 6mm; }
.between { font-weight: bold; margin: 3mm 0 2mm; }
.party { margin: 0 0 1mm; }
.called { text-align: right; font-style: italic; margin: 0; }
.side { font-weight: bold; text-align: right; margin: 0 0 3mm; }
h2 { font-size: 9.8pt; margin: 3.4mm 0 1mm; page-break-after: avoid; text-transform: none; }
h2.center { text-align: center; letter-spacing: 0.6pt; }
p { margin: 0 0 1.3mm; orphans: 3; widows: 3; }
p.num { padding-left: 8mm; text-indent: -8mm; }
.agreed { text-align: center; font-weight: bold; margin: 4mm 0; }
.made { margin-top: 6mm; }
.sigs { display: flex; justify-content: space-between; margin-top: 5mm; page-break-inside: avoid; }
.sig { width: 47%; border: 0.5pt solid #999; padding: 3mm; height: 58mm; position: relative; text-align: left; }
.sig .who { font-weight: bold; }
.sig .hand { position: absolute; }
.annex { page: annex; page-break-before: always; font-family: "LS"; font-size: 7.7pt; text-align: left;
  line-height: 1.15; }
.annex h1 { font-family: "LSerif"; font-size: 14pt; text-align: left; margin-bottom: 1mm; }
.annex .lead { margin: 0 0 3mm; font-size: 8.6pt; color: #333; }
table.grid { width: 100%; border-collapse: collapse; }
table.grid th { background: #1f3a5f; color: #fff; font-weight: bold; padding: 1.1mm 1.3mm; border: 0.5pt solid #1f3a5f;
  text-align: left; font-size: 7.6pt; }
table.grid td { border: 0.5pt solid #9aa5b4; padding: 0.75mm 1.3mm; vertical-align: top; }
table.grid tr.section td { background: #e4e9f0; font-weight: bold; letter-spacing: 0.3pt; }
table.grid tr:nth-child(even) td { background: #f6f8fa; }
table.grid td.num { text-align: right; white-space: nowrap; }
table.grid td.ref { font-family: "LMono"; font-size: 7.3pt; white-space: nowrap; }
.annex .notes { margin-top: 2.5mm; font-size: 7.2pt; color: #222; columns: 2; column-gap: 8mm; }
.annex .notes p { margin: 0 0 1mm; }
.annex .initials { margin-top: 3mm; text-align: right; font-size: 8pt; }
.annex .initials img { height: 9mm; vertical-align: middle; margin-left: 2mm; }
"""


def build_contract() -> Path:
    cd = img_svg(strokes_svg(initials(101, "CD")), "height:8mm")
    jm = img_svg(strokes_svg(initials(102, "JM")), "height:8mm")
    paraphes = f'<div class="paraphes">{cd}{jm}</div>'
    cred_party = (
        f"<p class='party'>La société <b>ATELIER DUPONT</b>, société par actions simplifiée au capital de "
        f"{CRED['capital']} euros, dont le siège social est situé {CRED['street']}, {CRED['city']}, immatriculée au "
        f"registre du commerce et des sociétés de Lyon sous le numéro {spaced(CRED['siren'])}, numéro de TVA "
        f"intracommunautaire {CRED['vat']}, représentée par Madame Claire Dupont, en sa qualité de présidente, "
        f"dûment habilitée aux fins des présentes,</p>"
        "<p class='called'>ci-après dénommée « le Fournisseur »,</p><p class='side'>D'UNE PART,</p>"
    )
    debt_party = (
        f"<p class='party'>La société <b>BOULANGERIES MARTIN &amp; FILS</b>, société à responsabilité limitée au "
        f"capital de {DEBT['capital']} euros, dont le siège social est situé {DEBT['street']}, {DEBT['city']}, "
        f"immatriculée au registre du commerce et des sociétés de Lyon sous le numéro {spaced(DEBT['siren'])}, "
        f"numéro de TVA intracommunautaire {DEBT['vat']}, représentée par Monsieur Julien Martin, en sa qualité "
        f"de gérant, dûment habilité aux fins des présentes,</p>"
        "<p class='called'>ci-après dénommée « le Client »,</p><p class='side'>D'AUTRE PART,</p>"
    )
    preamble = [
        "Le Fournisseur conçoit, fabrique dans son atelier lyonnais et installe des agencements métalliques sur "
        "mesure (rayonnages, étagères, panetières, comptoirs et mobilier technique en acier et en inox) à "
        "destination des commerces de bouche et des professionnels de l'alimentation.",
        "Le Client exploite, sous l'enseigne « Boulangeries Martin &amp; Fils », un réseau de boulangeries-pâtisseries "
        "dans l'agglomération lyonnaise. Il a engagé en 2026 un programme de rénovation de ses points de vente et de "
        "son laboratoire central de Villeurbanne.",
        "Après avoir pris connaissance des réalisations et des conditions générales de vente du Fournisseur, et à "
        "l'issue d'échanges ayant permis de définir ses besoins, le Client a souhaité confier au Fournisseur la "
        "fourniture et, le cas échéant, l'installation des agencements nécessaires à ce programme, dans le cadre du "
        "présent contrat. Le Client reconnaît avoir reçu du Fournisseur l'ensemble des informations lui permettant "
        "de s'engager en connaissance de cause.",
    ]
    arts = []
    for n, (title, paras) in enumerate(CONTRACT_ARTICLES, start=1):
        arts.append(f"<h2>Article {n} — {esc(title)}</h2>")
        if len(paras) == 1:
            arts.append(f"<p>{paras[0]}</p>")
        else:
            for k, para in enumerate(paras, start=1):
                arts.append(f"<p class='num'>{n}.{k}&emsp;{para}</p>")
    sig_cd = img_svg(strokes_svg(signature(11, "dupont")), "width:52mm")
    sig_jm = img_svg(strokes_svg(signature(12, "martin")), "width:50mm")
    lu_cd = img_svg(handwriting_svg("Lu et approuvé, bon pour accord", 3.9, seed=21, angle=-2), "height:7.5mm")
    lu_jm = img_svg(handwriting_svg("Lu et approuvé", 4.4, seed=22, angle=-4), "height:8mm")
    signatures = f"""
<p class="made">Fait à Lyon, le {fdate(CONTRACT_DATE)}, en deux (2) exemplaires originaux, dont un pour chaque Partie.</p>
<div class="sigs">
  <div class="sig">
    <div class="who">Pour le Fournisseur</div>
    <div>Atelier Dupont SAS</div>
    <div>Mme Claire Dupont, présidente</div>
    <div class="hand" style="left:3mm; top:19mm">{lu_cd}</div>
    <div class="hand" style="left:20mm; top:27mm">{img_svg(creditor_stamp_svg(-4), "width:52mm")}</div>
    <div class="hand" style="left:4mm; top:33mm">{sig_cd}</div>
  </div>
  <div class="sig">
    <div class="who">Pour le Client</div>
    <div>Boulangeries Martin &amp; Fils SARL</div>
    <div>M. Julien Martin, gérant</div>
    <div class="hand" style="left:4mm; top:19mm">{lu_jm}</div>
    <div class="hand" style="left:38mm; top:24mm">{img_svg(debtor_stamp_svg(12), "width:36mm")}</div>
    <div class="hand" style="left:6mm; top:31mm">{sig_jm}</div>
  </div>
</div>"""

    def grid_rows(rows):
        return "".join(
            "<tr>" + f"<td class='ref'>{r[0]}</td><td>{esc(r[1])}</td><td>{esc(r[2])}</td><td>{esc(r[3])}</td>"
            f"<td>{r[4]}</td><td class='num'>{r[5].replace(' ', NBSP)}</td><td>{r[6]}</td><td>{esc(r[7])}</td></tr>"
            for r in rows)

    annex = f"""
<div class="annex">
<h1>Annexe 1 — Grille tarifaire</h1>
<p class="lead">Contrat-cadre de fourniture et d'installation n° {CONTRACT_REF} du {fdate(CONTRACT_DATE)} —
Atelier Dupont SAS / Boulangeries Martin &amp; Fils SARL. Prix unitaires en euros hors taxes, départ atelier de Lyon,
emballage standard compris, fermes jusqu'au 31 décembre 2026 (article 5).</p>
<table class="grid">
<thead><tr><th style="width:21mm">Référence</th><th style="width:52mm">Désignation</th><th style="width:52mm">Dimensions / caractéristiques</th>
<th style="width:44mm">Matière / finition / conditions</th><th style="width:12mm">Unité</th><th style="width:19mm">Prix HT (€)</th>
<th style="width:13mm">Délai</th><th>Remarques</th></tr></thead>
<tbody>
<tr class="section"><td colspan="8">A. AGENCEMENTS ET MOBILIER MÉTALLIQUE</td></tr>
{grid_rows(PRICE_GRID_GOODS)}
<tr class="section"><td colspan="8">B. ÉTUDES, POSE ET PRESTATIONS ASSOCIÉES</td></tr>
{grid_rows(PRICE_GRID_SERVICES)}
</tbody></table>
<div class="notes">
<p>1. Délais indicatifs à compter de l'acceptation de la commande et, pour les fabrications sur mesure, de la
validation des plans d'exécution (article 4.2). Livraison franco de port pour toute commande supérieure à
5 000 € HT dans le département du Rhône ; en deçà, forfait de livraison de 95,00 € HT.</p>
<p>2. La pose est facturée au temps réellement passé sur site, par tranche d'une demi-heure, sur la base des
attachements signés par le Client ; les temps d'attente imputables au Client sont facturés au même taux (article 7.1).</p>
<p>3. TVA en sus au taux en vigueur (20 % à la date du Contrat). Les factures sont payables à trente (30) jours date
de facture ; pénalités et indemnité forfaitaire de 40 € selon l'article 9.</p>
<p>4. Toute prestation non prévue à la présente grille fait l'objet d'un devis préalable accepté par le Client (article 5.3).</p>
</div>
</div>"""
    body = f"""{paraphes}
<h1>CONTRAT-CADRE DE FOURNITURE ET D'INSTALLATION</h1>
<p class="subtitle">d'agencements métalliques pour points de vente et laboratoire</p>
<p class="ref">Contrat n° {CONTRACT_REF}</p>
<p class="between">ENTRE LES SOUSSIGNÉES :</p>
{cred_party}
<p class="between">ET :</p>
{debt_party}
<p>Le Fournisseur et le Client étant ci-après dénommés ensemble « les Parties » et individuellement « une Partie ».</p>
<h2 class="center">PRÉAMBULE</h2>
{''.join(f'<p>{x}</p>' for x in preamble)}
<p class="agreed">IL A ÉTÉ CONVENU ET ARRÊTÉ CE QUI SUIT :</p>
{''.join(arts)}
{signatures}
{annex}
"""
    html = html_doc("Contrat-cadre de fourniture et d'installation — CC-2026-001", body, CONTRACT_CSS,
                    date=CONTRACT_DATE, author="Atelier Dupont SAS", keywords="contrat-cadre, CC-2026-001")
    return render_pdf(html, EVIDENCE / "contrat-cadre-2026-01-12.pdf")


# ==============================================================================================
# Conditions générales de vente (2 pages, small print on two columns)
# ==============================================================================================

CGV_ARTICLES = [
    ("Champ d'application", [
        "Les présentes conditions générales de vente (les « CGV ») s'appliquent à toutes les ventes de produits "
        "(les « Produits ») et à toutes les prestations d'étude, de pose, d'installation et de maintenance (les "
        "« Prestations ») conclues par la société Atelier Dupont SAS (le « Vendeur ») avec ses clients "
        "professionnels (le « Client »). Elles constituent, conformément à l'article L. 441-1 du Code de commerce, "
        "le socle unique de la négociation commerciale.",
        "Toute commande implique l'acceptation sans réserve par le Client des présentes CGV, qui prévalent sur tout "
        "autre document du Client, et notamment sur ses conditions générales d'achat, sauf accord dérogatoire exprès "
        "et préalable du Vendeur. Le fait que le Vendeur ne se prévale pas à un moment donné de l'une des "
        "stipulations des CGV ne peut être interprété comme valant renonciation à s'en prévaloir ultérieurement.",
        "Les CGV sont communiquées à tout Client qui en fait la demande et sont jointes à chaque offre. Lorsque les "
        "Parties ont conclu un contrat-cadre, les stipulations particulières de celui-ci prévalent sur les CGV.",
    ]),
    ("Offres, devis et documentation", [
        "Les devis du Vendeur sont valables trente (30) jours à compter de leur date d'émission. Les "
        "renseignements figurant dans les catalogues, notices, prospectus et tarifs sont donnés à titre indicatif ; "
        "le Vendeur se réserve le droit d'apporter à tout moment à ses Produits les modifications qu'il juge utiles, "
        "sans obligation de modifier les Produits déjà livrés ou en cours de commande.",
        "Les plans, dessins, études et nomenclatures remis par le Vendeur demeurent sa propriété exclusive. Ils ne "
        "peuvent être ni reproduits, ni communiqués à des tiers, ni utilisés à d'autres fins que l'exécution de la "
        "commande, et doivent lui être restitués sur simple demande.",
    ]),
    ("Commandes", [
        "Les commandes doivent être passées par écrit (bon de commande, courrier électronique ou devis revêtu de la "
        "mention « bon pour accord », daté et signé). Elles ne deviennent définitives qu'après acceptation écrite "
        "du Vendeur. Pour les fabrications sur mesure, la commande n'est ferme qu'après validation par le Client des "
        "plans d'exécution ; toute modification ultérieure des cotes ou des finitions à la demande du Client "
        "donne lieu à un devis complémentaire et peut décaler le délai de livraison.",
        "Aucune annulation, totale ou partielle, ne peut intervenir sans l'accord écrit du Vendeur. En cas "
        "d'annulation acceptée, l'acompte versé reste acquis au Vendeur et le Client rembourse les frais d'étude, "
        "les matières approvisionnées et les travaux de fabrication déjà réalisés.",
        "Le Vendeur se réserve le droit de refuser toute commande d'un Client avec lequel existerait un litige "
        "relatif au paiement d'une commande antérieure, ou d'exiger dans ce cas un paiement comptant ou une garantie.",
    ]),
    ("Prix", [
        "Les Produits et Prestations sont fournis aux prix du tarif en vigueur au jour de la commande ou, le cas "
        "échéant, aux prix du devis accepté ou de la grille tarifaire annexée au contrat-cadre. Les prix "
        "s'entendent en euros, hors taxes, départ atelier de Lyon, emballage standard compris ; les frais de "
        "transport, de manutention particulière, d'assurance et de pose sont facturés en sus, sauf stipulation "
        "contraire.",
        "La TVA et toute autre taxe applicable sont facturées au taux en vigueur à la date de leur fait générateur. "
        "Toute variation de ces taux est répercutée de plein droit sur le prix.",
        "Les Prestations de pose sont facturées au temps passé, sur la base des attachements signés par le Client, "
        "ou au forfait lorsque celui-ci a été convenu par écrit. Les temps d'attente, les déplacements inutiles et "
        "les interventions complémentaires imputables au Client sont facturés au tarif horaire en vigueur.",
    ]),
    ("Livraison", [
        "Les délais de livraison sont donnés à titre indicatif et courent à compter de l'acceptation de la "
        "commande et de la réception des plans validés et de l'éventuel acompte. Les dépassements de délai ne "
        "peuvent donner lieu à dommages et intérêts, retenue ou annulation de la commande, sauf retard supérieur à "
        "trente (30) jours après mise en demeure restée sans effet.",
        "La livraison est réputée effectuée par la remise des Produits au Client ou au transporteur, dans les "
        "locaux du Vendeur ou à l'adresse indiquée par le Client. Le Client s'assure que le lieu de livraison est "
        "accessible à un véhicule poids lourd et qu'il dispose des moyens de déchargement appropriés.",
        "Le bon de livraison signé par le Client ou par toute personne présente sur le lieu de livraison vaut "
        "preuve de la livraison et de la conformité apparente des Produits livrés.",
    ]),
    ("Transport et emballages", [
        "Sauf stipulation contraire, les Produits voyagent aux risques et périls du Client, même lorsque le prix est "
        "convenu franco de port ou que le transport est assuré par les moyens du Vendeur. Les emballages standard "
        "(films, cornières, cartons) ne sont pas repris ; les emballages spéciaux (caisses bois, palettes "
        "consignées) sont facturés et, le cas échéant, repris à leur valeur de facturation s'ils sont restitués en "
        "bon état dans les trente (30) jours.",
        "Le déchargement, la manutention et la mise en place des Produits sur le lieu de livraison incombent au "
        "Client, sauf commande de la Prestation correspondante. Toute livraison rendue impossible du fait du Client "
        "(absence, accès non conforme, refus injustifié) donne lieu à la facturation des frais de retour, de "
        "stockage et de nouvelle présentation.",
    ]),
    ("Réception, réclamations et retours", [
        "Le Client est tenu de vérifier l'état apparent et la conformité des Produits au moment de la livraison. "
        "En cas d'avarie ou de manquant, il doit formuler des réserves précises sur le bon de livraison et les "
        "confirmer au transporteur par lettre recommandée dans les trois (3) jours, conformément à l'article "
        "L. 133-3 du Code de commerce, avec copie au Vendeur.",
        "Toute réclamation relative à un défaut de conformité non apparent doit être notifiée par écrit au "
        "Vendeur dans les huit (8) jours de sa découverte. Aucun retour de Produits ne peut être effectué sans "
        "l'accord préalable et écrit du Vendeur. Les Produits fabriqués sur mesure ne sont ni repris ni échangés.",
        "La réclamation, même fondée, ne suspend pas l'obligation de payer les Produits et Prestations non "
        "concernés par celle-ci.",
    ]),
    ("Pose et installation", [
        "Lorsque la pose est commandée, le Client met à disposition des locaux libres, propres, clos et couverts, "
        "alimentés en électricité, dont les supports sont aptes à recevoir les fixations prévues. Il fournit au "
        "Vendeur, avant l'intervention, les plans des réseaux encastrés ; le Vendeur ne saurait être tenu pour "
        "responsable des dommages causés à des réseaux non signalés.",
        "À l'achèvement de la pose, un procès-verbal de réception est signé contradictoirement. À défaut de "
        "réserves écrites dans les huit (8) jours, ou en cas de mise en service des agencements, la réception est "
        "réputée prononcée sans réserve.",
    ]),
    ("Conditions de paiement", [
        "Sauf stipulation contraire, les factures sont payables à trente (30) jours à compter de la date "
        "d'émission de la facture, par virement bancaire sur le compte dont les coordonnées figurent sur la "
        "facture. Un acompte de 30 % peut être exigé à la commande pour toute fabrication sur mesure. Aucun escompte "
        "n'est accordé en cas de paiement anticipé.",
        "Le paiement est réputé réalisé à la date d'encaissement effectif des fonds par le Vendeur. Le Client ne "
        "peut, sous aucun prétexte, opérer une compensation ou une retenue sur les sommes dues, même en cas de "
        "réclamation, sans l'accord écrit et préalable du Vendeur.",
    ]),
    ("Retard de paiement", [
        "En application de l'article L. 441-10 du Code de commerce, tout retard de paiement entraîne de plein droit, "
        "dès le jour suivant la date d'échéance et sans qu'un rappel soit nécessaire, l'exigibilité de pénalités "
        "de retard calculées au taux appliqué par la Banque centrale européenne à son opération de refinancement "
        "la plus récente, majoré de dix (10) points de pourcentage, ainsi que d'une indemnité forfaitaire pour frais "
        "de recouvrement de quarante (40) euros par facture (article D. 441-5 du Code de commerce). Si les frais "
        "de recouvrement exposés sont supérieurs, le Vendeur peut demander une indemnisation complémentaire sur "
        "justification.",
        "Le défaut de paiement d'une seule facture à son échéance entraîne en outre, huit (8) jours après une mise "
        "en demeure restée infructueuse : (i) l'exigibilité immédiate de toutes les sommes restant dues, quel que "
        "soit le mode de règlement prévu ; (ii) la suspension de toutes les livraisons et Prestations en cours ; "
        "(iii) le cas échéant, la résolution de plein droit des commandes en cours, aux torts du Client.",
    ]),
    ("Réserve de propriété", [
        "LES PRODUITS SONT VENDUS SOUS RÉSERVE DE PROPRIÉTÉ. LE TRANSFERT DE PROPRIÉTÉ EST SUBORDONNÉ AU PAIEMENT "
        "INTÉGRAL DU PRIX EN PRINCIPAL ET ACCESSOIRES, conformément à la loi n° 80-335 du 12 mai 1980 et aux articles "
        "2367 et suivants du Code civil. Ne constitue pas un paiement la remise d'un effet de commerce ou de tout "
        "autre titre créant une obligation de payer.",
        "Les risques sont néanmoins transférés au Client dès la livraison. Le Client s'oblige à individualiser les "
        "Produits, à les assurer et à informer immédiatement le Vendeur de toute saisie ou réquisition. En cas de "
        "défaut de paiement, le Vendeur peut revendiquer les Produits, y compris ceux incorporés qui peuvent être "
        "dissociés sans dommage, par simple lettre recommandée, aux frais du Client. En cas de procédure collective "
        "du Client, la revendication s'exerce dans les conditions des articles L. 624-9 et suivants du Code de "
        "commerce.",
    ]),
    ("Garantie", [
        "Les Produits sont garantis contre tout défaut de matière ou de fabrication pendant douze (12) mois à "
        "compter de leur livraison. Au titre de cette garantie, le Vendeur s'engage, à son choix, à réparer ou à "
        "remplacer gratuitement les pièces reconnues défectueuses, à l'exclusion de toute autre indemnité. Les "
        "interventions au titre de la garantie n'ont pas pour effet de prolonger sa durée.",
        "La garantie ne couvre pas : l'usure normale ; les dommages résultant d'un défaut d'entretien, d'une "
        "surcharge, d'un choc, d'une utilisation non conforme à la destination des Produits ou aux notices ; les "
        "Produits modifiés ou réparés par un tiers ; la corrosion des aciers non traités exposés à l'humidité ou à "
        "des produits chlorés. Elle est sans préjudice de la garantie légale des vices cachés.",
    ]),
    ("Responsabilité", [
        "La responsabilité du Vendeur est strictement limitée aux dommages matériels directs résultant d'une faute "
        "prouvée dans l'exécution de ses obligations, à l'exclusion de tout préjudice immatériel ou indirect (perte "
        "d'exploitation, de chiffre d'affaires, de clientèle, atteinte à l'image). Sauf faute lourde ou dolosive, "
        "elle est plafonnée au montant hors taxes de la commande en cause.",
    ]),
    ("Force majeure", [
        "Le Vendeur ne peut être tenu pour responsable de l'inexécution ou du retard d'exécution de ses obligations "
        "résultant d'un événement de force majeure au sens de l'article 1218 du Code civil, notamment grève, "
        "incendie, inondation, épidémie, rupture d'approvisionnement en acier, panne de l'outil de production ou "
        "interruption des transports. L'exécution est suspendue pendant la durée de l'empêchement ; au-delà de "
        "soixante (60) jours, chaque partie peut résilier la commande sans indemnité.",
    ]),
    ("Propriété intellectuelle et confidentialité", [
        "Le Vendeur conserve l'intégralité des droits de propriété intellectuelle sur ses études, plans, "
        "conceptions, modèles et savoir-faire, même lorsque ceux-ci ont été réalisés à la demande du Client. La "
        "vente des Produits n'emporte aucune cession de ces droits. Le Client s'interdit de faire reproduire les "
        "Produits ou de communiquer les plans à un tiers, notamment à un autre fabricant.",
        "Chacune des parties s'engage à garder confidentielles les informations commerciales, techniques et "
        "financières reçues de l'autre partie, en particulier les conditions tarifaires consenties, pendant toute "
        "la durée de la relation commerciale et trois (3) ans après son terme.",
    ]),
    ("Sous-traitance et cession", [
        "Le Vendeur peut confier à des sous-traitants qualifiés tout ou partie de la fabrication (découpe laser, "
        "thermolaquage, galvanisation) ou de la pose, dont il demeure responsable à l'égard du Client. Le Client "
        "ne peut céder ou transférer tout ou partie de ses droits et obligations sans l'accord préalable et écrit "
        "du Vendeur. Le Vendeur peut céder ses créances, notamment à un établissement d'affacturage.",
    ]),
    ("Données personnelles", [
        "Les données personnelles des interlocuteurs du Client sont traitées par le Vendeur pour la gestion de la "
        "relation commerciale, la facturation et le recouvrement, sur le fondement de l'exécution du contrat et de "
        "ses obligations légales. Elles sont conservées pendant la durée de la relation augmentée des délais de "
        "prescription légaux. Les personnes concernées disposent des droits prévus par le règlement (UE) 2016/679, "
        "qu'elles exercent auprès de dpo@atelier-dupont.example.",
    ]),
    ("Droit applicable et juridiction", [
        "Les présentes CGV et les ventes qu'elles régissent sont soumises au droit français, à l'exclusion de la "
        "Convention de Vienne sur la vente internationale de marchandises.",
        "TOUT LITIGE RELATIF À LA FORMATION, À L'INTERPRÉTATION, À L'EXÉCUTION OU À LA CESSATION DES VENTES CONCLUES "
        "PAR LE VENDEUR, Y COMPRIS LES PROCÉDURES EN RÉFÉRÉ OU SUR REQUÊTE, SERA SOUMIS À LA COMPÉTENCE EXCLUSIVE DU "
        "TRIBUNAL DE COMMERCE DE LYON, MÊME EN CAS D'APPEL EN GARANTIE OU DE PLURALITÉ DE DÉFENDEURS.",
    ]),
]

CGV_CSS = """
@page { size: A4; margin: 12mm 12mm 16mm 12mm;
  @bottom-left { content: "Atelier Dupont SAS — SAS au capital de 150 000 € — 12 rue des Forges, 69002 Lyon — RCS Lyon 812 345 676 — TVA FR19812345676";
    font: 6.3pt "DVC"; color: #444; }
  @bottom-right { content: "CGV 2026 — page " counter(page) " / " counter(pages); font: 6.5pt "DVC"; color: #444; }
}
body { font-family: "DVC"; font-size: 7.5pt; line-height: 1.3; color: #1a1a1a; text-align: justify; hyphens: auto; }
.head { display: flex; align-items: center; border-bottom: 1.4pt solid #1f3a5f; padding-bottom: 2mm; margin-bottom: 2.5mm; }
.head img { width: 13mm; height: 13mm; margin-right: 3.5mm; }
.head .t1 { font-family: "LS"; font-size: 13pt; font-weight: bold; color: #1f3a5f; letter-spacing: 0.3pt; }
.head .t2 { font-family: "LS"; font-size: 8.5pt; color: #333; }
.head .v { margin-left: auto; text-align: right; font-family: "LS"; font-size: 7.5pt; color: #333; }
.cols { columns: 2; column-gap: 6mm; column-rule: 0.3pt solid #bbb; }
h3 { font-size: 7.2pt; font-weight: bold; margin: 1.6mm 0 0.5mm; text-transform: uppercase; color: #1f3a5f;
  break-after: avoid; }
p { margin: 0 0 0.9mm; orphans: 2; widows: 2; }
.accept { border: 0.5pt solid #666; padding: 1.5mm 2mm; margin-top: 2mm; break-inside: avoid; }
table.client { width: 100%; border-collapse: collapse; margin-top: 2mm; }
table.client td { border: 0.4pt solid #888; height: 26mm; vertical-align: top; padding: 1.2mm; width: 50%; font-size: 6.8pt;
  color: #444; }
"""


def build_cgv() -> Path:
    parts = []
    for n, (title, paras) in enumerate(CGV_ARTICLES, start=1):
        parts.append(f"<h3>Article {n} — {esc(title)}</h3>")
        for k, para in enumerate(paras, start=1):
            parts.append(f"<p>{n}.{k}. {esc(para)}</p>")
    body = f"""
<div class="head">{img_svg(dupont_logo_svg(13))}
<div><div class="t1">CONDITIONS GÉNÉRALES DE VENTE</div>
<div class="t2">Atelier Dupont SAS — agencements métalliques sur mesure — version 2026</div></div>
<div class="v">Applicables aux commandes passées<br>à compter du {fdate(dt.date(2026, 1, 1))}<br>Réf. CGV-AD-2026-01</div></div>
<div class="cols">
{''.join(parts)}
<div class="accept"><b>Acceptation.</b> Le Client reconnaît avoir pris connaissance des présentes conditions générales de
vente avant la passation de sa commande et les accepter sans réserve. Atelier Dupont SAS, {CRED['street']},
{CRED['city']} — Tél. {CRED['phone']} — {CRED['email_sales']} — SIRET {spaced(CRED['siret'])} — APE {CRED['naf']}.
<table class="client"><tr><td>Raison sociale du Client :<br><br>Nom et qualité du signataire :<br><br>Date :</td>
<td>Cachet et signature du Client,<br>précédés de la mention « Lu et approuvé »</td></tr></table></div>
</div>"""
    html = html_doc("Conditions générales de vente — Atelier Dupont SAS — version 2026", body, CGV_CSS,
                    date=dt.date(2025, 12, 15), author="Atelier Dupont SAS", keywords="CGV, conditions générales de vente")
    return render_pdf(html, EVIDENCE / "CGV-Atelier-Dupont-2026.pdf")


# ==============================================================================================
# Business documents on letterhead: purchase order, invoices, statement, formal notice
# ==============================================================================================

BIZ_CSS = """
@page { size: A4; margin: 14mm 15mm 26mm 17mm;
  @bottom-center { content: element(legal); width: 100%; }
  @top-right { content: "Page " counter(page) " / " counter(pages); font: 6.8pt "LS"; color: #777; }
}
body { font-family: "LS"; font-size: 8.8pt; line-height: 1.3; color: #1b1b1b; }
.legal { position: running(legal); font-size: 6.7pt; color: #555; text-align: center; border-top: 0.5pt solid #bbb;
  padding-top: 1.5mm; line-height: 1.35; }
.lh { display: flex; align-items: flex-start; }
.lh .logo { margin-right: 3mm; }
.lh .brand { font-size: 15pt; font-weight: bold; color: #1f3a5f; letter-spacing: 1.2pt; line-height: 1.05; }
.lh .tag { font-size: 7.6pt; color: #e07b24; letter-spacing: 0.4pt; margin-top: 0.6mm; text-transform: uppercase; }
.lh .addr { font-size: 7.8pt; color: #333; margin-top: 1.5mm; line-height: 1.35; }
.lh .doc { margin-left: auto; text-align: right; }
.doc .kind { font-size: 17pt; font-weight: bold; color: #1f3a5f; letter-spacing: 1pt; }
.doc table { margin-left: auto; margin-top: 1.5mm; border-collapse: collapse; font-size: 8.3pt; }
.doc td { padding: 0.4mm 0 0.4mm 3mm; text-align: right; }
.doc td.k { color: #555; }
.doc td.v { font-weight: bold; }
.row2 { display: flex; justify-content: space-between; margin-top: 8mm; }
.box { border: 0.6pt solid #9aa5b4; border-radius: 1.5mm; padding: 2.5mm 3.5mm; box-sizing: border-box; }
.box .t { font-size: 7pt; color: #666; text-transform: uppercase; letter-spacing: 0.5pt; margin-bottom: 1mm; }
.addressee { width: 86mm; min-height: 30mm; }
.addressee .name { font-weight: bold; font-size: 9.6pt; }
.refs { width: 86mm; font-size: 8pt; }
.refs td { padding: 0.35mm 2mm 0.35mm 0; vertical-align: top; }
.refs td.k { color: #555; white-space: nowrap; }
.object { margin: 6mm 0 2mm; font-size: 9pt; }
table.lines { width: 100%; border-collapse: collapse; margin-top: 2mm; table-layout: fixed; }
table.lines th { background: #1f3a5f; color: #fff; font-size: 7.8pt; font-weight: bold; padding: 1.6mm 1.8mm;
  text-align: left; }
table.lines th.n, table.lines td.n { text-align: right; white-space: nowrap; }
table.lines td { padding: 1.1mm 1.8mm; border-bottom: 0.4pt solid #c9d1dc; vertical-align: top; font-size: 8.3pt; }
table.lines td.ref { font-family: "LMono"; font-size: 7.6pt; white-space: nowrap; }
table.lines .det { color: #555; font-size: 7.5pt; }
.after { display: flex; justify-content: space-between; margin-top: 4mm; }
table.vat { border-collapse: collapse; font-size: 7.8pt; }
table.vat th { background: #e4e9f0; padding: 1mm 2mm; font-weight: bold; text-align: right; }
table.vat td { padding: 1mm 2mm; text-align: right; border-bottom: 0.4pt solid #c9d1dc; }
table.tot { border-collapse: collapse; width: 72mm; font-size: 9pt; }
table.tot td { padding: 1.2mm 2mm; }
table.tot td.n { text-align: right; white-space: nowrap; }
table.tot tr.sub td { border-bottom: 0.4pt solid #c9d1dc; }
table.tot tr.grand td { background: #1f3a5f; color: #fff; font-weight: bold; font-size: 10pt; }
table.tot tr.due td { font-weight: bold; border-top: 0.8pt solid #1f3a5f; }
.pay { margin-top: 6mm; display: flex; justify-content: space-between; break-inside: avoid; }
.pay .bank { width: 92mm; font-size: 8.2pt; }
.pay .bank .iban { font-family: "LMono"; font-size: 8.6pt; font-weight: bold; letter-spacing: 0.2pt; }
.pay .terms { width: 80mm; font-size: 8.2pt; }
.small { font-size: 7.2pt; color: #333; line-height: 1.35; margin-top: 5mm; text-align: justify; }
.muted { color: #666; }
"""


def dupont_letterhead(kind: str, rows: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><td class='k'>{esc(k)}</td><td class='v'>{esc(v)}</td></tr>" for k, v in rows)
    return f"""
<div class="lh">
  <div class="logo">{img_svg(dupont_logo_svg(17))}</div>
  <div><div class="brand">ATELIER<br>DUPONT</div><div class="tag">Agencements métalliques sur mesure</div>
  <div class="addr">{CRED['street']} — {CRED['city']}<br>Tél. {CRED['phone']} — {CRED['email']}<br>{CRED['web']}</div></div>
  <div class="doc"><div class="kind">{esc(kind)}</div><table>{cells}</table></div>
</div>"""


def dupont_legal() -> str:
    return (f"<div class='legal'><b>Atelier Dupont SAS</b> — société par actions simplifiée au capital de "
            f"{CRED['capital']} € — Siège social : {CRED['street']}, {CRED['city']}<br>RCS Lyon {spaced(CRED['siren'])} "
            f"— SIRET {spaced(CRED['siret'])} — Code APE {CRED['naf']} — N° TVA intracommunautaire {CRED['vat']}<br>"
            f"{esc(CRED['bank'])} — IBAN {iban_fmt(CRED['iban'])} — BIC {CRED['bic']}</div>")


def debtor_address_block(title="Client") -> str:
    return (f"<div class='box addressee'><div class='t'>{esc(title)}</div><div class='name'>{esc(DEBT['name'])}</div>"
            f"<div>À l'attention de M. Julien Martin, gérant</div><div>{DEBT['street']}</div><div>{DEBT['city']}</div>"
            f"<div class='muted' style='margin-top:1.5mm; font-size:7.6pt'>SIREN {spaced(DEBT['siren'])} — "
            f"TVA {DEBT['vat']}</div></div>")


def line_rows(lines, prices=True) -> str:
    out = []
    for ref, name, detail, q, unit, pu in lines:
        det = f"<div class='det'>{esc(detail)}</div>" if detail else ""
        cells = (f"<td class='ref'>{ref}</td><td>{esc(name)}{det}</td><td class='n'>{qty(q)}</td><td>{unit}</td>")
        if prices:
            cells += (f"<td class='n'>{money(pu, False)}</td><td class='n'>20{NBSP}%</td>"
                      f"<td class='n'>{money(q2(q * pu), False)}</td>")
        out.append(f"<tr>{cells}</tr>")
    return "".join(out)


# ----------------------------------------------------------------------------------------------
# Purchase order (debtor's letterhead)

PO_CSS = BIZ_CSS + """
.mlh { display: flex; align-items: center; border-bottom: 1.2pt solid #7a4a1c; padding-bottom: 2.5mm; }
.mlh .name { font-family: "LSerif"; font-style: italic; font-weight: bold; font-size: 19pt; color: #7a4a1c; margin-left: 3mm; }
.mlh .since { font-family: "LSerif"; font-size: 8.5pt; color: #7a4a1c; margin-left: 3mm; letter-spacing: 0.6pt; }
.mlh .addr { margin-left: auto; text-align: right; font-size: 7.8pt; color: #333; line-height: 1.4; }
.legal { border-top-color: #c9a27a; }
h1.po { font-size: 15pt; color: #7a4a1c; margin: 5mm 0 0; letter-spacing: 0.6pt; }
table.lines th { background: #7a4a1c; }
table.tot tr.grand td { background: #7a4a1c; }
.sign { display: flex; justify-content: space-between; margin-top: 4mm; break-inside: avoid; }
.sign .box { width: 86mm; height: 33mm; position: relative; }
.sign .hand { position: absolute; }
"""


def build_purchase_order() -> Path:
    ht, tva, ttc = totals(GOODS)
    legal = (f"<div class='legal'><b>{esc(DEBT['name'])}</b> — société à responsabilité limitée au capital de "
             f"{DEBT['capital']} € — {DEBT['street']}, {DEBT['city']}<br>RCS Lyon {spaced(DEBT['siren'])} — SIRET "
             f"{spaced(DEBT['siret'])} — APE {DEBT['naf']} — TVA intracommunautaire {DEBT['vat']} — "
             f"{DEBT['email_compta']}</div>")
    body = f"""{legal}
<div class="mlh">{img_svg(martin_logo_svg(19))}
<div><div class="name">Boulangeries Martin &amp; Fils</div><div class="since">ARTISANS BOULANGERS DEPUIS 1962</div></div>
<div class="addr">Siège et laboratoire central<br>{DEBT['street']}<br>{DEBT['city']}<br>Tél. {DEBT['phone']}</div></div>
<h1 class="po">BON DE COMMANDE N° {PO_NO}</h1>
<div class="muted" style="margin-top:1mm">Villeurbanne, le {fdate(PO_DATE)}</div>
<div class="row2" style="margin-top:4mm">
  <div class="box refs"><div class="t">Commande passée par</div>
  <table>
  <tr><td class="k">Acheteur</td><td>Julien Martin, gérant</td></tr>
  <tr><td class="k">Téléphone</td><td>{DEBT['phone']}</td></tr>
  <tr><td class="k">E-mail</td><td>{DEBT['email']}</td></tr>
  <tr><td class="k">Contrat</td><td>Contrat-cadre n° {CONTRACT_REF} du {sdate(CONTRACT_DATE)}<br>Plans indice B validés le 09/02/2026</td></tr>
  </table></div>
  <div class="box addressee"><div class="t">Fournisseur</div><div class="name">{esc(CRED['name'])}</div>
  <div>À l'attention de Mme Claire Dupont</div><div>{CRED['street']}</div><div>{CRED['city']}</div>
  <div class="muted" style="margin-top:1.5mm; font-size:7.6pt">Code fournisseur : F-0087 — SIREN {spaced(CRED['siren'])}</div></div>
</div>
<div class="object"><b>Objet :</b> rénovation du laboratoire central et de la boutique de Villeurbanne — fourniture
des agencements métalliques selon la grille tarifaire de l'Annexe 1 du contrat-cadre.</div>
<table class="lines">
<thead><tr><th style="width:22mm">Réf. fourn.</th><th>Désignation</th><th class="n" style="width:9mm">Qté</th>
<th style="width:9mm">Unité</th><th class="n" style="width:19mm">P.U. HT (€)</th><th class="n" style="width:10mm">TVA</th>
<th class="n" style="width:21mm">Total HT (€)</th></tr></thead>
<tbody>{line_rows(GOODS)}</tbody></table>
<div class="after">
  <div style="width:92mm; font-size:8pt">
  <p style="margin:0 0 1.2mm"><b>Livraison</b> semaine 9 (23 au 27 février 2026) au laboratoire central, {DEBT['street']},
  {DEBT['city']} — cour arrière, quai de déchargement, 7 h – 12 h.</p>
  <p style="margin:0 0 1.2mm"><b>Pose</b> par vos équipes en mars 2026, facturée séparément au temps passé selon
  l'Annexe 1 (estimation 6 000 € HT, non comprise ici).</p>
  <p style="margin:0"><b>Règlement</b> par virement à 30 jours date de facture (art. 8 du contrat-cadre). Rappeler
  le n° de commande sur le bon de livraison et la facture.</p>
  </div>
  <table class="tot">
  <tr class="sub"><td>Total HT</td><td class="n">{money(ht)}</td></tr>
  <tr class="sub"><td>TVA 20 %</td><td class="n">{money(tva)}</td></tr>
  <tr class="grand"><td>Total TTC</td><td class="n">{money(ttc)}</td></tr>
  </table>
</div>
<div class="sign">
  <div class="box"><div class="t">Accusé de réception du fournisseur</div>
  <div class="muted" style="font-size:7.6pt">Merci de nous retourner ce bon de commande daté et signé, ou de confirmer
  votre acceptation par courrier électronique, sous 5 jours ouvrés (article 4.2 du contrat-cadre).</div></div>
  <div class="box"><div class="t">Bon pour commande — signature et cachet</div>
  <div style="font-size:8pt">Julien Martin, gérant</div>
  <div class="hand" style="left:3mm; top:11mm">{img_svg(handwriting_svg("Bon pour commande", 4.2, seed=31, angle=-3), "height:7.5mm")}</div>
  <div class="hand" style="left:47mm; top:3mm">{img_svg(debtor_stamp_svg(-14), "width:33mm")}</div>
  <div class="hand" style="left:6mm; top:18mm">{img_svg(strokes_svg(signature(32, "martin")), "width:42mm")}</div>
  </div>
</div>
"""
    html = html_doc(f"Bon de commande {PO_NO}", body, PO_CSS, date=PO_DATE, author=DEBT["name"],
                    keywords=f"bon de commande, {PO_NO}")
    return render_pdf(html, EVIDENCE / "commandes" / f"{PO_NO}.pdf")


# ----------------------------------------------------------------------------------------------
# Invoices (Atelier Dupont letterhead); F2026-0117 is a Factur-X EN 16931 invoice

INVOICE_TERMS = (
    "Paiement à 30 jours date de facture par virement (article 8 du contrat-cadre). Pas d'escompte pour "
    "paiement anticipé. En cas de retard de paiement, des pénalités sont exigibles de plein droit au taux "
    "de refinancement de la Banque centrale européenne majoré de 10 points (article L441-10 du Code de "
    "commerce), ainsi qu'une indemnité forfaitaire pour frais de recouvrement de 40 € (article D441-5 du "
    "Code de commerce). Clause de réserve de propriété : les marchandises restent la propriété d'Atelier "
    "Dupont SAS jusqu'au paiement intégral du prix (article 10 des CGV)."
)


INVOICE_CSS = BIZ_CSS + """
.row2 { margin-top: 5mm; }
.object { margin: 4mm 0 1mm; }
table.lines td { padding: 0.8mm 1.8mm; }
.pay { margin-top: 4mm; }
.small { margin-top: 3mm; font-size: 6.9pt; }
"""


def build_invoice(inv: dict, *, facturx: bool) -> Path:
    ht, tva, ttc = inv["ht"], inv["tva"], inv["ttc"]
    goods = inv["lines"] is GOODS
    refs = [("N°", inv["number"]), ("Date", sdate(inv["issued"])), ("Échéance", sdate(inv["due"])),
            ("Code client", DEBT["client_code"])]
    rows = [("Votre commande", f"{PO_NO} du {sdate(PO_DATE)}"), ("Contrat", f"{CONTRACT_REF} du {sdate(CONTRACT_DATE)}")]
    if goods:
        rows.append(("Livraison", f"{BL_NO} du {sdate(BL_DATE)}"))
        obj = "fourniture des agencements métalliques de votre commande " + PO_NO + ", livrés le " + fdate(BL_DATE)
    else:
        rows.append(("Intervention", "16 au 18 mars 2026"))
        obj = "pose des agencements de la commande " + PO_NO + " au laboratoire central et à la boutique"
    ref_cells = "".join(f"<tr><td class='k'>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in rows)
    body = f"""{dupont_legal()}
{dupont_letterhead("FACTURE", refs)}
<div class="row2">
  <div class="box refs"><div class="t">Références</div><table>{ref_cells}</table></div>
  {debtor_address_block()}
</div>
<div class="object"><b>Objet :</b> {esc(obj)}.</div>
<table class="lines">
<thead><tr><th style="width:22mm">Référence</th><th>Désignation</th><th class="n" style="width:9mm">Qté</th>
<th style="width:12mm">Unité</th><th class="n" style="width:19mm">P.U. HT (€)</th><th class="n" style="width:10mm">TVA</th>
<th class="n" style="width:21mm">Total HT (€)</th></tr></thead>
<tbody>{line_rows(inv["lines"])}</tbody></table>
<div class="after">
  <table class="vat"><tr><th>Taux</th><th>Base HT</th><th>TVA</th></tr>
  <tr><td>20,00 %</td><td>{money(ht)}</td><td>{money(tva)}</td></tr></table>
  <table class="tot">
  <tr class="sub"><td>Total HT</td><td class="n">{money(ht)}</td></tr>
  <tr class="sub"><td>TVA 20 %</td><td class="n">{money(tva)}</td></tr>
  <tr class="grand"><td>Total TTC</td><td class="n">{money(ttc)}</td></tr>
  <tr class="due"><td>Net à payer au {sdate(inv["due"])}</td><td class="n">{money(ttc)}</td></tr>
  </table>
</div>
<div class="pay">
  <div class="box bank"><div class="t">Règlement par virement</div>
  <div>{esc(CRED['bank'])}</div><div class="iban">IBAN {iban_fmt(CRED['iban'])}</div><div>BIC {CRED['bic']}</div>
  <div class="muted" style="margin-top:1mm">Merci de rappeler le numéro de facture {inv["number"]} en référence du virement.</div></div>
  <div class="box terms"><div class="t">Conditions de paiement</div>
  Échéance : <b>{fdate(inv["due"])}</b> (30 jours date de facture).<br>
  {"Facture électronique Factur-X (profil EN 16931) : les données XML sont jointes au PDF." if facturx else ""}</div>
</div>
<div class="small">{esc(INVOICE_TERMS)}</div>
"""
    out = EVIDENCE / "factures" / f"{inv['number']}.pdf"
    html = html_doc(f"Facture {inv['number']}", body, INVOICE_CSS, date=inv["issued"], author=CRED["name"],
                    keywords=f"facture, {inv['number']}")
    if not facturx:
        return render_pdf(html, out)
    render_pdf(html, out, pdfa=True)
    _attach_facturx(out, inv)
    return out


def cii_xml(inv: dict) -> bytes:
    """An EN 16931 (Factur-X "EN 16931" profile) Cross Industry Invoice for ``inv``."""
    d8 = lambda d: d.strftime("%Y%m%d")  # noqa: E731
    units = {"u": "H87", "lot": "C62", "h": "HUR", "forfait": "C62", "jour": "DAY"}

    def party(p, *, seller):
        street, city = p["street"], p["city"]
        postcode, town = city.split(" ", 1)
        contact = (f"<ram:DefinedTradeContact><ram:PersonName>{esc(p['signatory'])}</ram:PersonName>"
                   f"<ram:EmailURIUniversalCommunication><ram:URIID>{p['email']}</ram:URIID>"
                   f"</ram:EmailURIUniversalCommunication></ram:DefinedTradeContact>") if seller else ""
        return (f"<ram:Name>{esc(p['name'])}</ram:Name>"
                f"<ram:SpecifiedLegalOrganization><ram:ID schemeID=\"0002\">{p['siren']}</ram:ID>"
                f"</ram:SpecifiedLegalOrganization>{contact}"
                f"<ram:PostalTradeAddress><ram:PostcodeCode>{postcode}</ram:PostcodeCode>"
                f"<ram:LineOne>{esc(street)}</ram:LineOne><ram:CityName>{esc(town)}</ram:CityName>"
                f"<ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>"
                f"<ram:SpecifiedTaxRegistration><ram:ID schemeID=\"VA\">{p['vat']}</ram:ID>"
                f"</ram:SpecifiedTaxRegistration>")

    lines = []
    for n, (ref, name, detail, q, unit, pu) in enumerate(inv["lines"], start=1):
        desc = f"<ram:Description>{esc(detail)}</ram:Description>" if detail else ""
        lines.append(f"""
  <ram:IncludedSupplyChainTradeLineItem>
   <ram:AssociatedDocumentLineDocument><ram:LineID>{n}</ram:LineID></ram:AssociatedDocumentLineDocument>
   <ram:SpecifiedTradeProduct><ram:SellerAssignedID>{ref}</ram:SellerAssignedID><ram:Name>{esc(name)}</ram:Name>{desc}</ram:SpecifiedTradeProduct>
   <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>{pu:.2f}</ram:ChargeAmount></ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>
   <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="{units[unit]}">{q:.2f}</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>
   <ram:SpecifiedLineTradeSettlement>
    <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20.00</ram:RateApplicablePercent></ram:ApplicableTradeTax>
    <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{q2(q * pu):.2f}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
   </ram:SpecifiedLineTradeSettlement>
  </ram:IncludedSupplyChainTradeLineItem>""")
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
 <rsm:ExchangedDocumentContext>
  <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
 </rsm:ExchangedDocumentContext>
 <rsm:ExchangedDocument>
  <ram:ID>{inv["number"]}</ram:ID>
  <ram:TypeCode>380</ram:TypeCode>
  <ram:IssueDateTime><udt:DateTimeString format="102">{d8(inv["issued"])}</udt:DateTimeString></ram:IssueDateTime>
  <ram:IncludedNote><ram:Content>{esc(INVOICE_TERMS)}</ram:Content><ram:SubjectCode>PMT</ram:SubjectCode></ram:IncludedNote>
 </rsm:ExchangedDocument>
 <rsm:SupplyChainTradeTransaction>{''.join(lines)}
  <ram:ApplicableHeaderTradeAgreement>
   <ram:BuyerReference>{DEBT["client_code"]}</ram:BuyerReference>
   <ram:SellerTradeParty>{party(CRED, seller=True)}</ram:SellerTradeParty>
   <ram:BuyerTradeParty>{party(DEBT, seller=False)}</ram:BuyerTradeParty>
   <ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>{PO_NO}</ram:IssuerAssignedID></ram:BuyerOrderReferencedDocument>
   <ram:ContractReferencedDocument><ram:IssuerAssignedID>{CONTRACT_REF}</ram:IssuerAssignedID></ram:ContractReferencedDocument>
  </ram:ApplicableHeaderTradeAgreement>
  <ram:ApplicableHeaderTradeDelivery>
   <ram:ActualDeliverySupplyChainEvent><ram:OccurrenceDateTime><udt:DateTimeString format="102">{d8(BL_DATE)}</udt:DateTimeString></ram:OccurrenceDateTime></ram:ActualDeliverySupplyChainEvent>
   <ram:DespatchAdviceReferencedDocument><ram:IssuerAssignedID>{BL_NO}</ram:IssuerAssignedID></ram:DespatchAdviceReferencedDocument>
  </ram:ApplicableHeaderTradeDelivery>
  <ram:ApplicableHeaderTradeSettlement>
   <ram:PaymentReference>{inv["number"]}</ram:PaymentReference>
   <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
   <ram:SpecifiedTradeSettlementPaymentMeans>
    <ram:TypeCode>58</ram:TypeCode>
    <ram:PayeePartyCreditorFinancialAccount><ram:IBANID>{CRED["iban"]}</ram:IBANID></ram:PayeePartyCreditorFinancialAccount>
   </ram:SpecifiedTradeSettlementPaymentMeans>
   <ram:ApplicableTradeTax>
    <ram:CalculatedAmount>{inv["tva"]:.2f}</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>
    <ram:BasisAmount>{inv["ht"]:.2f}</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode>
    <ram:RateApplicablePercent>20.00</ram:RateApplicablePercent>
   </ram:ApplicableTradeTax>
   <ram:SpecifiedTradePaymentTerms>
    <ram:Description>Virement à 30 jours date de facture</ram:Description>
    <ram:DueDateDateTime><udt:DateTimeString format="102">{d8(inv["due"])}</udt:DateTimeString></ram:DueDateDateTime>
   </ram:SpecifiedTradePaymentTerms>
   <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    <ram:LineTotalAmount>{inv["ht"]:.2f}</ram:LineTotalAmount>
    <ram:TaxBasisTotalAmount>{inv["ht"]:.2f}</ram:TaxBasisTotalAmount>
    <ram:TaxTotalAmount currencyID="EUR">{inv["tva"]:.2f}</ram:TaxTotalAmount>
    <ram:GrandTotalAmount>{inv["ttc"]:.2f}</ram:GrandTotalAmount>
    <ram:DuePayableAmount>{inv["ttc"]:.2f}</ram:DuePayableAmount>
   </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </ram:ApplicableHeaderTradeSettlement>
 </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""
    return xml.encode("utf-8")


def _attach_facturx(pdf_path: Path, inv: dict) -> None:
    import facturx
    from facturx import facturx as fx_impl

    # The factur-x library stamps the current time into the PDF and XMP metadata: pin it to the
    # invoice date so that the sample is the same on every run.
    issued = dt.datetime(inv["issued"].year, inv["issued"].month, inv["issued"].day, 8, 0, tzinfo=dt.timezone.utc)
    fx_impl._get_metadata_timestamp = lambda: issued.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    original = fx_impl._get_pdf_timestamp
    fx_impl._get_pdf_timestamp = lambda date=None: original(date or issued)
    data = facturx.generate_from_binary(
        pdf_path.read_bytes(), cii_xml(inv), flavor="factur-x", level="en16931", check_xsd=True,
        pdf_metadata={"author": CRED["name"], "keywords": "Factur-X, facture", "title": f"Facture {inv['number']}",
                      "subject": f"Facture {inv['number']} — {DEBT['name']}"},
        lang="fr-FR")
    pdf_path.write_bytes(data)
    normalize_pdf(pdf_path)


# ----------------------------------------------------------------------------------------------
# Delivery note, signed on receipt and scanned (JPEG, 200 dpi)

BL_CSS = BIZ_CSS + """
.recv { margin-top: 6mm; display: flex; justify-content: space-between; }
.recv .box { width: 86mm; height: 40mm; position: relative; }
.recv .hand { position: absolute; }
.lines td { height: 7mm; }
"""


def build_delivery_note() -> Path:
    refs = [("N°", BL_NO), ("Date", sdate(BL_DATE)), ("Commande", PO_NO), ("Code client", DEBT["client_code"])]
    parcels = "".join(
        f"<tr><td class='ref'>{ref}</td><td>{esc(name)}<div class='det'>{esc(det)}</div></td>"
        f"<td class='n'>{qty(q)}</td><td>{unit}</td><td class='n'>{qty(q)}</td></tr>"
        for ref, name, det, q, unit, _ in GOODS)
    body = f"""{dupont_legal()}
{dupont_letterhead("BON DE LIVRAISON", refs)}
<div class="row2">
  <div class="box refs"><div class="t">Livraison</div><table>
  <tr><td class="k">Lieu</td><td>Laboratoire central — cour arrière, quai</td></tr>
  <tr><td class="k">Adresse</td><td>{DEBT['street']}, {DEBT['city']}</td></tr>
  <tr><td class="k">Transport</td><td>Véhicule Atelier Dupont — chauffeur : K. Benali</td></tr>
  <tr><td class="k">Colis</td><td>14 colis + 2 palettes</td></tr></table></div>
  {debtor_address_block("Destinataire")}
</div>
<table class="lines" style="margin-top:6mm">
<thead><tr><th style="width:24mm">Référence</th><th>Désignation</th><th class="n" style="width:18mm">Qté commandée</th>
<th style="width:10mm">Unité</th><th class="n" style="width:18mm">Qté livrée</th></tr></thead>
<tbody>{parcels}</tbody></table>
<div class="recv">
  <div class="box"><div class="t">Réserves à la réception</div>
  <div class="hand" style="left:4mm; top:9mm">{img_svg(handwriting_svg("Néant — marchandise conforme", 4.4, seed=41, angle=-2), "height:8mm")}</div>
  <div class="hand" style="left:4mm; top:20mm">{img_svg(handwriting_svg("14 colis + 2 palettes reçus", 4.0, seed=42, angle=-1), "height:7mm")}</div></div>
  <div class="box"><div class="t">Reçu le — nom, signature et cachet du destinataire</div>
  <div class="hand" style="left:3mm; top:7mm">{img_svg(handwriting_svg("25/02/2026  10 h 40   J. Martin", 4.2, seed=43, angle=-2), "height:7mm")}</div>
  <div class="hand" style="left:44mm; top:5mm">{img_svg(debtor_stamp_svg(-17), "width:34mm")}</div>
  <div class="hand" style="left:6mm; top:18mm">{img_svg(strokes_svg(signature(44, "martin")), "width:40mm")}</div></div>
</div>
<div class="small">Toute réserve doit être portée sur le présent bon et confirmée au transporteur par lettre recommandée
dans les trois jours qui suivent la réception (article L133-3 du Code de commerce). À défaut, la marchandise est
réputée livrée conforme à la commande (article 6 des conditions générales de vente).</div>
"""
    html = html_doc(f"Bon de livraison {BL_NO}", body, BL_CSS, date=BL_DATE, author=CRED["name"])
    page = _rasterize(html, dpi=200)
    scan = _scan_look(page, seed=25, angle=0.55)
    out = EVIDENCE / "bons-de-livraison" / f"{BL_NO}-signe.jpg"
    out.parent.mkdir(parents=True, exist_ok=True)
    scan.save(out, "JPEG", quality=80, dpi=(200, 200), optimize=True, subsampling=2)
    return out


def _rasterize(html: str, dpi: int) -> Image.Image:
    """The first page of ``html`` as a greyscale image (WeasyPrint, then poppler's pdftoppm)."""
    import subprocess
    import tempfile

    from weasyprint import HTML

    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "page.pdf"
        HTML(string=html, base_url=str(HERE)).write_pdf(pdf)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", "-singlefile", str(pdf), str(Path(tmp) / "p")],
                       check=True)
        return Image.open(Path(tmp) / "p.png").convert("L").copy()


def _scan_look(img: Image.Image, *, seed: int, angle: float) -> Image.Image:
    """Paper tone, a slight skew, sensor noise and a soft edge: what an office scanner gives."""
    rng = random.Random(seed)
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    img = img.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)
    noise = Image.new("L", img.size)
    noise.putdata([128 + int(rng.gauss(0, 9)) for _ in range(img.size[0] * img.size[1])])
    img = ImageChops.add(img, noise, scale=1.0, offset=-128)
    tone = Image.new("L", img.size, 236)
    img = ImageChops.darker(img, tone)
    draw = ImageDraw.Draw(img)
    w, h = img.size
    draw.rectangle([0, 0, w - 1, 5], fill=90)  # the scanner lid's shadow at the top edge
    return img


# ----------------------------------------------------------------------------------------------
# Account statement (attached to the reminder e-mail)

def build_statement() -> bytes:
    rows = []
    for inv in (INV1, INV2):
        late = (RELANCE_DATE - inv["due"]).days
        rows.append(f"<tr><td class='ref'>{inv['number']}</td><td>Facture du {sdate(inv['issued'])}</td>"
                    f"<td>{sdate(inv['due'])}</td><td class='n'>{late} j</td><td class='n'>{money(inv['ttc'], False)}</td></tr>")
    body = f"""{dupont_legal()}
{dupont_letterhead("RELEVÉ DE COMPTE", [("Date", sdate(RELANCE_DATE)), ("Code client", DEBT["client_code"])])}
<div class="row2"><div></div>{debtor_address_block()}</div>
<div class="object"><b>Objet :</b> factures échues et non réglées au {fdate(RELANCE_DATE)}.</div>
<table class="lines"><thead><tr><th style="width:26mm">Pièce</th><th>Libellé</th><th style="width:22mm">Échéance</th>
<th class="n" style="width:18mm">Retard</th><th class="n" style="width:28mm">Solde dû (€)</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
<div class="after"><div></div><table class="tot">
<tr class="grand"><td>Total échu</td><td class="n">{money(TOTAL_DUE)}</td></tr></table></div>
<div class="small">{esc(INVOICE_TERMS)}</div>
"""
    html = html_doc("Relevé de compte client C-0412", body, BIZ_CSS, date=RELANCE_DATE, author=CRED["name"])
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return render_pdf(html, Path(tmp) / "statement.pdf").read_bytes()


# ----------------------------------------------------------------------------------------------
# Reminder e-mail (multipart: plain text, HTML with a tracking pixel and a remote logo, PDF attachment)

def build_reminder() -> Path:
    plain = f"""Bonjour Monsieur Martin,

Sauf erreur de notre part, les factures suivantes restent impayées à ce jour :

  - {INV1['number']} du {sdate(INV1['issued'])}, échue le {sdate(INV1['due'])} : {money(INV1['ttc'])}
  - {INV2['number']} du {sdate(INV2['issued'])}, échue le {sdate(INV2['due'])} : {money(INV2['ttc'])}

soit un total de {money(TOTAL_DUE)} TTC. Vous trouverez ci-joint votre relevé de compte.

Nous vous remercions de bien vouloir procéder au règlement sous huit jours par virement
(IBAN {iban_fmt(CRED['iban'])}, BIC {CRED['bic']}). Si votre paiement a été émis entre-temps,
merci de ne pas tenir compte de ce message.

Nous vous rappelons que tout retard de paiement entraîne de plein droit des pénalités de retard et
une indemnité forfaitaire de 40 € pour frais de recouvrement (article L441-10 du Code de commerce).

Bien cordialement,

Nadia Ferrand
Comptabilité clients — Atelier Dupont SAS
{CRED['street']}, {CRED['city']} — Tél. {CRED['phone']}
"""
    rows = "".join(
        f"<tr><td style='padding:4px 10px;border-bottom:1px solid #ddd'>{inv['number']}</td>"
        f"<td style='padding:4px 10px;border-bottom:1px solid #ddd'>{sdate(inv['issued'])}</td>"
        f"<td style='padding:4px 10px;border-bottom:1px solid #ddd'>{sdate(inv['due'])}</td>"
        f"<td style='padding:4px 10px;border-bottom:1px solid #ddd;text-align:right'>{money(inv['ttc'])}</td></tr>"
        for inv in (INV1, INV2))
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<style>body {{ font-family: Arial, sans-serif; font-size: 14px; color: #222; }}</style>
<script>document.write('tracking')</script></head>
<body>
<p><img src="https://cdn.atelier-dupont.example/mail/logo-atelier-dupont.png" alt="Atelier Dupont" width="160"></p>
<p>Bonjour Monsieur Martin,</p>
<p>Sauf erreur de notre part, les factures suivantes restent impayées à ce jour&nbsp;:</p>
<table style="border-collapse:collapse">
<tr style="background:#1f3a5f;color:#fff"><th style="padding:4px 10px">Facture</th><th style="padding:4px 10px">Date</th>
<th style="padding:4px 10px">Échéance</th><th style="padding:4px 10px">Montant TTC</th></tr>
{rows}
<tr><td colspan="3" style="padding:4px 10px"><b>Total</b></td><td style="padding:4px 10px;text-align:right"><b>{money(TOTAL_DUE)}</b></td></tr>
</table>
<p>Vous trouverez ci-joint votre relevé de compte. Nous vous remercions de bien vouloir procéder au règlement
<b>sous huit jours</b> par virement (IBAN {iban_fmt(CRED['iban'])}, BIC {CRED['bic']}). Si votre paiement a été
émis entre-temps, merci de ne pas tenir compte de ce message.</p>
<p style="font-size:12px;color:#555">Tout retard de paiement entraîne de plein droit des pénalités de retard et une
indemnité forfaitaire de 40&nbsp;€ pour frais de recouvrement (article L441-10 du Code de commerce).</p>
<p>Bien cordialement,</p>
<p><b>Nadia Ferrand</b><br>Comptabilité clients — Atelier Dupont SAS<br>{CRED['street']}, {CRED['city']}<br>
<a href="https://{CRED['web']}/">{CRED['web']}</a></p>
<img src="https://t.mailtrack.example/open/6f1c2a9e.gif" width="1" height="1" alt="">
</body></html>"""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = formataddr(("Atelier Dupont — Comptabilité", CRED["email"]))
    msg["To"] = formataddr(("Julien Martin", DEBT["email"]))
    msg["Cc"] = DEBT["email_compta"]
    msg["Subject"] = f"Relance : factures {INV1['number']} et {INV2['number']} échues ({money(TOTAL_DUE)})"
    msg["Date"] = "Tue, 05 May 2026 10:14:37 +0200"
    msg["Message-ID"] = "<20260505081437.4f2a@atelier-dupont.example>"
    msg.set_content(plain)
    msg.add_alternative(html, subtype="html")
    msg.add_attachment(build_statement(), maintype="application", subtype="pdf",
                       filename=f"Relevé-de-compte-{RELANCE_DATE.isoformat()}.pdf")
    # Fixed MIME boundaries: the e-mail library would otherwise draw random ones.
    for n, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_recouvre_sample_{n}_{RELANCE_DATE:%Y%m%d}")
    out = EVIDENCE / "correspondance" / f"{RELANCE_DATE.isoformat()}-relance.eml"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(msg.as_bytes())
    return out


# ----------------------------------------------------------------------------------------------
# Formal notice (registered letter) and its proof of receipt (scanned sideways: /Rotate 90)

MED_CSS = BIZ_CSS + """
.letter { margin-top: 6mm; font-size: 9.6pt; line-height: 1.45; text-align: justify; }
.letter p { margin: 0 0 2.6mm; }
.rar { font-weight: bold; font-size: 9pt; border: 0.8pt solid #1f3a5f; padding: 1.5mm 3mm; display: inline-block; }
.place { text-align: right; margin: 4mm 0; font-size: 9.4pt; }
table.recap { border-collapse: collapse; width: 100%; margin: 2mm 0 4mm; font-size: 8.8pt; }
table.recap td, table.recap th { padding: 1.1mm 2mm; border-bottom: 0.4pt solid #c9d1dc; text-align: left; }
table.recap td.n, table.recap th.n { text-align: right; }
table.recap tr.total td { font-weight: bold; border-top: 0.8pt solid #1f3a5f; }
.signature { margin-top: 4mm; margin-left: 95mm; position: relative; height: 30mm; font-size: 9.4pt; }
.signature .hand { position: absolute; }
"""


def build_formal_notice() -> Path:
    body = f"""{dupont_legal()}
{dupont_letterhead("", [])}
<div class="row2"><div><span class="rar">LETTRE RECOMMANDÉE AVEC AVIS DE RÉCEPTION<br>N° {RAR_NO}</span></div>
{debtor_address_block("Destinataire")}</div>
<div class="place">Lyon, le {fdate(MED_DATE)}</div>
<div class="letter">
<p><b>Objet : mise en demeure de payer la somme de {money(BALANCE)}</b><br>
Vos références : commande {PO_NO} du {sdate(PO_DATE)} — code client {DEBT['client_code']}</p>
<p>Monsieur,</p>
<p>En exécution du contrat-cadre n° {CONTRACT_REF} du {fdate(CONTRACT_DATE)} et de votre commande {PO_NO}, notre
société vous a livré le {fdate(BL_DATE)} les agencements commandés (bon de livraison {BL_NO} signé sans réserve),
puis en a assuré la pose du 16 au 18 mars 2026. Ces prestations ont fait l'objet des factures suivantes :</p>
<table class="recap">
<tr><th>Facture</th><th>Date</th><th>Échéance</th><th class="n">Montant TTC</th><th class="n">Réglé</th><th class="n">Reste dû</th></tr>
<tr><td>{INV1['number']}</td><td>{sdate(INV1['issued'])}</td><td>{sdate(INV1['due'])}</td><td class="n">{money(INV1['ttc'])}</td>
<td class="n">{money(PAYMENT['amount'])}</td><td class="n">{money(INV1['ttc'] - PAYMENT['amount'])}</td></tr>
<tr><td>{INV2['number']}</td><td>{sdate(INV2['issued'])}</td><td>{sdate(INV2['due'])}</td><td class="n">{money(INV2['ttc'])}</td>
<td class="n">{money(D(0))}</td><td class="n">{money(INV2['ttc'])}</td></tr>
<tr class="total"><td colspan="3">Total</td><td class="n">{money(TOTAL_DUE)}</td><td class="n">{money(PAYMENT['amount'])}</td>
<td class="n">{money(BALANCE)}</td></tr></table>
<p>Malgré notre relance du {fdate(RELANCE_DATE)} et le versement partiel de {money(PAYMENT['amount'])} reçu le
{fdate(PAYMENT['date'])}, vous restez nous devoir la somme de <b>{money(BALANCE)}</b> en principal.</p>
<p>Nous vous mettons en demeure de nous régler cette somme <b>sous huit jours</b> à compter de la réception de la
présente, par virement sur notre compte IBAN {iban_fmt(CRED['iban'])} (BIC {CRED['bic']}).</p>
<p>Conformément à l'article L441-10 du Code de commerce et à nos conditions générales de vente, ces sommes
portent intérêt de plein droit, depuis leur échéance, au taux de refinancement de la Banque centrale européenne
majoré de dix points, et chaque facture payée en retard rend exigible une indemnité forfaitaire pour frais de
recouvrement de 40 € (article D441-5 du même code).</p>
<p>À défaut de règlement dans ce délai, nous saisirons sans autre avis le président du tribunal de commerce de
Lyon d'une requête en injonction de payer, les frais de procédure restant à votre charge.</p>
<p>Nous vous prions d'agréer, Monsieur, l'expression de nos salutations distinguées.</p>
</div>
<div class="signature">Claire Dupont<br>Présidente
<div class="hand" style="left:0; top:11mm">{img_svg(strokes_svg(signature(51, "dupont")), "width:44mm")}</div>
<div class="hand" style="left:40mm; top:6mm">{img_svg(creditor_stamp_svg(-4), "width:52mm")}</div></div>
"""
    html = html_doc("Mise en demeure — Boulangeries Martin & Fils SARL", body, MED_CSS, date=MED_DATE,
                    author=CRED["name"], keywords="mise en demeure, LRAR")
    return render_pdf(html, EVIDENCE / f"mise-en-demeure-{MED_DATE.isoformat()}.pdf")


AR_CSS = """
@page { size: 150mm 105mm; margin: 5mm; }
body { font-family: "LS"; font-size: 7.6pt; color: #1d1d1d; }
.card { border: 1pt solid #c8a400; height: 93mm; padding: 3mm; position: relative; background: #fff6c8; }
.top { display: flex; justify-content: space-between; align-items: flex-start; }
.title { font-size: 13pt; font-weight: bold; letter-spacing: 0.5pt; }
.no { font-family: "LMono"; font-size: 10pt; font-weight: bold; border: 0.8pt solid #333; padding: 1mm 2mm; }
.row { display: flex; margin-top: 3mm; }
.cell { border: 0.6pt solid #777; padding: 1.5mm 2mm; margin-right: 2mm; position: relative; }
.lab { font-size: 6.4pt; color: #555; text-transform: uppercase; }
.hand { position: absolute; }
.addr { font-size: 8.6pt; line-height: 1.35; }
"""


def build_proof_of_receipt() -> Path:
    body = f"""<div class="card">
<div class="top"><div><div class="title">AVIS DE RÉCEPTION</div>
<div>de la lettre recommandée n°</div></div><div class="no">{RAR_NO}</div></div>
<div class="row">
  <div class="cell" style="width:62mm; height:27mm"><div class="lab">Présentée / avisée le</div>
  <div class="hand" style="left:3mm; top:6mm">{img_svg(handwriting_svg("02/06/2026", 4.6, seed=61, angle=-3), "height:7mm")}</div>
  <div class="lab" style="margin-top:12mm">Distribuée le</div>
  <div class="hand" style="left:3mm; top:18mm">{img_svg(handwriting_svg("03/06/2026", 4.6, seed=62, angle=-2), "height:7mm")}</div></div>
  <div class="cell" style="width:62mm; height:27mm"><div class="lab">Signature du destinataire ou de son mandataire</div>
  <div class="hand" style="left:4mm; top:7mm">{img_svg(strokes_svg(signature(63, "martin")), "width:36mm")}</div>
  <div class="hand" style="left:38mm; top:2mm">{img_svg(debtor_stamp_svg(12), "width:24mm")}</div></div>
</div>
<div class="row">
  <div class="cell addr" style="width:62mm; height:30mm"><div class="lab">Expéditeur — à renvoyer à</div>
  {esc(CRED['name'])}<br>{CRED['street']}<br>{CRED['city']}</div>
  <div class="cell addr" style="width:62mm; height:30mm"><div class="lab">Destinataire</div>
  {esc(DEBT['name'])}<br>M. Julien Martin, gérant<br>{DEBT['street']}<br>{DEBT['city']}
  <div class="hand" style="left:30mm; top:14mm">{img_svg(round_stamp_svg("VILLEURBANNE PPDC", "03 06 2026", ["DISTRIBUÉ"], color="#2c3e8f", angle=-20, size_mm=26), "width:26mm")}</div></div>
</div></div>"""
    html = html_doc("Avis de réception", body, AR_CSS, date=AR_DATE, author="La Poste")
    card = _rasterize(html, dpi=150)
    # Put on the scanner glass sideways; the scanner software saved it landscape and set /Rotate.
    a4 = Image.new("L", (1240, 1754), 255)  # A4 at 150 dpi, portrait
    a4.paste(card, (40, 60))
    scan = _scan_look(a4, seed=36, angle=-0.8).rotate(90, expand=True)
    import img2pdf

    buf = io.BytesIO()
    scan.save(buf, "JPEG", quality=78, dpi=(150, 150))
    out = EVIDENCE / f"AR-mise-en-demeure-{AR_DATE.isoformat()}.pdf"
    out.write_bytes(img2pdf.convert(buf.getvalue(), nodate=True, engine=img2pdf.Engine.pikepdf))
    with pikepdf.open(out, allow_overwriting_input=True) as pdf:
        pdf.pages[0].obj.Rotate = 90  # rotate(90) turned the card counter-clockwise: /Rotate turns it back
        pdf.docinfo["/Title"] = "Scan AR 1A12345678901"
        pdf.docinfo["/Producer"] = "Office scanner"
        pdf.docinfo["/CreationDate"] = f"D:{AR_DATE:%Y%m%d}113500+02'00'"
        if "/ID" in pdf.trailer:
            del pdf.trailer.ID
        pdf.save(out, deterministic_id=True)
    return out


# ----------------------------------------------------------------------------------------------
# case.toml

CASE_TOML = f'''# Sample case for recouvre-docs: a fictional unpaid-invoice case (see README.md in this folder).
schema = 1

[case]
reference = "CASE-42"
procedure = "fr-injonction-de-payer"
language = "fr"
as_of = {AS_OF.isoformat()}
court = "Tribunal de commerce de Lyon"

[creditor]
name = "{CRED['name']}"
legal_form = "SAS"
registration = "{CRED['siren']}"
vat = "{CRED['vat']}"
address = ["{CRED['street']}", "{CRED['city']}"]
country = "FR"
email = "{CRED['email']}"
iban = "{CRED['iban']}"
signatory = "Claire Dupont, présidente"

[representative]
name = "{LAWYER['name']}"
firm = "{LAWYER['firm']}"
address = ["{LAWYER['street']}", "{LAWYER['city']}"]
bar = "{LAWYER['bar']}"

[debtor]
name = "{DEBT['name']}"
legal_form = "SARL"
registration = "{DEBT['siren']}"
vat = "{DEBT['vat']}"
address = ["{DEBT['street']}", "{DEBT['city']}"]
country = "FR"
language = "fr"
consumer = false

[[invoice]]
number = "{INV1['number']}"
issued = {INV1['issued'].isoformat()}
due = {INV1['due'].isoformat()}
amount = {INV1['ttc']}
currency = "EUR"
file = "evidence/factures/{INV1['number']}.pdf"

[[invoice]]
number = "{INV2['number']}"
issued = {INV2['issued'].isoformat()}
due = {INV2['due'].isoformat()}
amount = {INV2['ttc']}
currency = "EUR"
file = "evidence/factures/{INV2['number']}.pdf"

[[payment]]
date = {PAYMENT['date'].isoformat()}
amount = {PAYMENT['amount']}
invoice = "{PAYMENT['invoice']}"

[[event]]
date = {RELANCE_DATE.isoformat()}
kind = "reminder"
channel = "email"
file = "evidence/correspondance/{RELANCE_DATE.isoformat()}-relance.eml"

[[event]]
date = {MED_DATE.isoformat()}
kind = "formal-notice"
channel = "registered-letter"
file = "evidence/mise-en-demeure-{MED_DATE.isoformat()}.pdf"
received = {AR_DATE.isoformat()}

[[evidence]]
file = "evidence/contrat-cadre-{CONTRACT_DATE.isoformat()}.pdf"
kind = "contract"
title = "Contrat-cadre de fourniture et d'installation n° {CONTRACT_REF}"
date = {CONTRACT_DATE.isoformat()}

# The purchase order and the delivery note are placed by their folder names; the dates are
# written here because their file names do not carry one.
[[evidence]]
file = "evidence/commandes/{PO_NO}.pdf"
date = {PO_DATE.isoformat()}

[[evidence]]
file = "evidence/bons-de-livraison/{BL_NO}-signe.jpg"
date = {BL_DATE.isoformat()}

[[evidence]]
file = "evidence/AR-mise-en-demeure-{AR_DATE.isoformat()}.pdf"
kind = "proof-of-receipt"
title = "Avis de réception de la mise en demeure (LRAR n° {RAR_NO})"
date = {AR_DATE.isoformat()}
'''


def main() -> int:
    if EVIDENCE.exists():
        shutil.rmtree(EVIDENCE)
    EVIDENCE.mkdir(parents=True)
    built = [build_contract(), build_cgv(), build_purchase_order(), build_delivery_note(),
             build_invoice(INV1, facturx=True), build_invoice(INV2, facturx=False), build_reminder(),
             build_formal_notice(), build_proof_of_receipt()]
    (CASE / "case.toml").write_text(CASE_TOML, encoding="utf-8")
    for path in built:
        print(f"{path.relative_to(CASE)}  {path.stat().st_size:>9,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
