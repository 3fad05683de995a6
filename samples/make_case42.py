#!/usr/bin/env python3
"""Generate the fictional sample case ``samples/case-42``.

Run from anywhere with the project's virtualenv::

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
    span = total / r  # radians
    out = []
    pos = -span / 2
    for ch, w in zip(text, widths):
        a = pos + w / 2
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
        out.append(f'<text x="{-half:.2f}" y="0" transform="translate({px:.2f},{py:.2f}) rotate({rot:.2f})">'
                   f'{esc(ch)}</text>')
    return (f'<g font-family="{family}" font-weight="{weight}" font-size="{size:.2f}">' + "".join(out) + "</g>")


def round_stamp_svg(top: str, bottom: str, center: list[str], color="#3a2f8f", angle=-8.0, size_mm=38) -> str:
    r = 19.0
    c = 20.0
    parts = [
        f'<circle cx="{c}" cy="{c}" r="{r}" fill="none" stroke="{color}" stroke-width="1.1"/>',
        f'<circle cx="{c}" cy="{c}" r="{r - 1.6}" fill="none" stroke="{color}" stroke-width="0.35"/>',
        f'<circle cx="{c}" cy="{c}" r="{r - 7.2}" fill="none" stroke="{color}" stroke-width="0.55"/>',
        f'<g fill="{color}">',
        _arc_text(top, c, c, r - 6.0, 3.6, top=True),
        _arc_text(bottom, c, c, r - 5.9, 2.9, top=False, weight="normal"),
        # two stars between the arcs
        f'<text x="{c - r + 4.0:.2f}" y="{c + 1.2:.2f}" font-family="DejaVu Sans" font-size="3" '
        f'text-anchor="middle">★</text>',
        f'<text x="{c + r - 4.0:.2f}" y="{c + 1.2:.2f}" font-family="DejaVu Sans" font-size="3" '
        f'text-anchor="middle">★</text>',
    ]
    n = len(center)
    for i, line in enumerate(center):
        size = 3.3 if i == 0 else 2.5
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
    return round_stamp_svg("BOULANGERIES MARTIN & FILS", f"SIRET {spaced(DEBT['siret'])}",
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


def html_doc(title: str, body: str, css: str, *, date: dt.date, author: str, keywords: str = "",
             lang: str = "fr") -> str:
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
@page { size: A4; margin: 22mm 20mm 24mm 22mm;
  @top-left { content: "Atelier Dupont SAS — Boulangeries Martin & Fils SARL"; font: 7.5pt "LSerif"; color: #555; }
  @top-right { content: "Contrat-cadre n° CC-2026-001"; font: 7.5pt "LSerif"; color: #555; }
  @bottom-center { content: "Page " counter(page) " / " counter(pages); font: 8pt "LSerif"; color: #333; }
  @bottom-left { content: "Paraphes :"; font: italic 7.5pt "LSerif"; color: #555; vertical-align: top; padding-top: 3mm; }
  @bottom-right { content: element(paraphes); vertical-align: top; }
}
@page annex { size: A4 landscape; margin: 16mm 16mm 18mm 16mm; }
body { font-family: "LSerif"; font-size: 10.2pt; line-height: 1.32; color: #111; text-align: justify;
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
h2 { font-size: 10.4pt; margin: 4.2mm 0 1.2mm; page-break-after: avoid; text-transform: none; }
h2.center { text-align: center; letter-spacing: 0.6pt; }
p { margin: 0 0 1.6mm; orphans: 3; widows: 3; }
p.num { padding-left: 8mm; text-indent: -8mm; }
.agreed { text-align: center; font-weight: bold; margin: 4mm 0; }
.made { margin-top: 6mm; }
.sigs { display: flex; justify-content: space-between; margin-top: 5mm; page-break-inside: avoid; }
.sig { width: 47%; border: 0.5pt solid #999; padding: 3mm; height: 62mm; position: relative; text-align: left; }
.sig .who { font-weight: bold; }
.sig .hand { position: absolute; }
.annex { page: annex; page-break-before: always; font-family: "LS"; font-size: 8.4pt; text-align: left;
  line-height: 1.22; }
.annex h1 { font-family: "LSerif"; font-size: 14pt; text-align: left; margin-bottom: 1mm; }
.annex .lead { margin: 0 0 3mm; font-size: 8.6pt; color: #333; }
table.grid { width: 100%; border-collapse: collapse; }
table.grid th { background: #1f3a5f; color: #fff; font-weight: bold; padding: 1.4mm 1.5mm; border: 0.5pt solid #1f3a5f;
  text-align: left; font-size: 8pt; }
table.grid td { border: 0.5pt solid #9aa5b4; padding: 1.05mm 1.5mm; vertical-align: top; }
table.grid tr.section td { background: #e4e9f0; font-weight: bold; letter-spacing: 0.3pt; }
table.grid tr:nth-child(even) td { background: #f6f8fa; }
table.grid td.num { text-align: right; white-space: nowrap; }
table.grid td.ref { font-family: "LMono"; font-size: 7.8pt; white-space: nowrap; }
.annex .notes { margin-top: 3mm; font-size: 7.8pt; color: #222; columns: 2; column-gap: 8mm; }
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
<thead><tr><th style="width:23mm">Référence</th><th style="width:58mm">Désignation</th><th style="width:58mm">Dimensions / caractéristiques</th>
<th style="width:46mm">Matière / finition / conditions</th><th style="width:13mm">Unité</th><th style="width:22mm">Prix HT (€)</th>
<th style="width:15mm">Délai</th><th>Remarques</th></tr></thead>
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
<div class="initials">Paraphes : {cd}{jm}</div>
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
