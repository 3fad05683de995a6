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
