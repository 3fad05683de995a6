"""A CMYK ICC profile for exhibits that paint in DeviceCMYK (PDF/A: ``DefaultCMYK``).

PDF/A allows DeviceCMYK only with a CMYK output intent or a ``DefaultCMYK`` colour space; the bundle's
output intent is sRGB. No free CMYK profile can ship with an MIT project (Ghostscript's are AGPL, the
FOGRA/SWOP characterisations are not free), so recouvre-docs writes its own: an ICC v2 output profile
whose colours are those ISO 32000-1 (10.4.2.4) gives DeviceCMYK when a viewer has no profile,
``red = 1 - min(1, cyan + black)`` and so on, read as sRGB. The CMYK values stay as they are in the file
(nothing is converted); only their meaning is written down. Deterministic: the same bytes every time.

Layout per ICC.1:2001-04: a 128-byte header, the tag table, and lut16Type (``mft2``) tables for
A2B0/B2A0 (the other intents and the gamut tag point at the same data or at an all-in-gamut table).
"""

from __future__ import annotations

import struct
from functools import lru_cache

_D50 = (0.9642, 1.0, 0.8249)
# linear sRGB -> XYZ (D50, Bradford-adapted, as in the ICC's sRGB profiles)
_M = ((0.4360747, 0.3850649, 0.1430804), (0.2225045, 0.7168786, 0.0606169), (0.0139322, 0.0971045, 0.7141733))
_M_INV = (
    (3.1338561, -1.6168667, -0.4906146),
    (-0.9787684, 1.9161415, 0.0334540),
    (0.0719453, -0.2289914, 1.4052427),
)
A2B_GRID = 9  # 9^4 CMYK grid points: 39 KB of table, smooth enough for the piecewise-linear formula
B2A_GRID = 17


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _decode(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _encode(c: float) -> float:
    c = min(1.0, max(0.0, c))
    return c * 12.92 if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


def _f(t: float) -> float:
    return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29


def _f_inv(t: float) -> float:
    return t ** 3 if t > 6 / 29 else 3 * (6 / 29) ** 2 * (t - 4 / 29)


def cmyk_to_lab(c: float, m: float, y: float, k: float) -> tuple[float, float, float]:
    rgb = [_decode(1 - min(1.0, v + k)) for v in (c, m, y)]
    x, yy, z = (sum(row[i] * rgb[i] for i in range(3)) for row in _M)
    fx, fy, fz = _f(x / _D50[0]), _f(yy / _D50[1]), _f(z / _D50[2])
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def lab_to_cmyk(lab_l: float, a: float, b: float) -> tuple[float, float, float, float]:
    fy = (lab_l + 16) / 116
    xyz = (_D50[0] * _f_inv(fy + a / 500), _D50[1] * _f_inv(fy), _D50[2] * _f_inv(fy - b / 200))
    rgb = [_encode(sum(row[i] * xyz[i] for i in range(3))) for row in _M_INV]
    return 1 - rgb[0], 1 - rgb[1], 1 - rgb[2], 0.0


def _u16(v: float) -> int:
    return min(65535, max(0, round(v)))


def _lut16(inputs: int, outputs: int, grid: int, clut: list[int]) -> bytes:
    identity = [0, 65535]
    out = bytearray(b"mft2" + bytes(4) + bytes([inputs, outputs, grid, 0]))
    for i in range(3):
        for j in range(3):
            out += _s15(1.0 if i == j else 0.0)
    out += struct.pack(">HH", 2, 2)
    out += struct.pack(f">{2 * inputs}H", *(identity * inputs))
    out += struct.pack(f">{len(clut)}H", *clut)
    out += struct.pack(f">{2 * outputs}H", *(identity * outputs))
    return bytes(out)


def _a2b() -> bytes:
    n = A2B_GRID
    clut: list[int] = []
    steps = [i / (n - 1) for i in range(n)]
    for c in steps:
        for m in steps:
            for y in steps:
                for k in steps:
                    lab_l, a, b = cmyk_to_lab(c, m, y, k)
                    clut += [_u16(lab_l * 65280 / 100), _u16((a + 128) * 256), _u16((b + 128) * 256)]
    return _lut16(4, 3, n, clut)


def _b2a() -> bytes:
    n = B2A_GRID
    clut: list[int] = []
    steps = [i / (n - 1) for i in range(n)]
    for lv in steps:
        for av in steps:
            for bv in steps:
                cmyk = lab_to_cmyk(lv * 100 * 65535 / 65280, av * 65535 / 256 - 128, bv * 65535 / 256 - 128)
                clut += [_u16(v * 65535) for v in cmyk]
    return _lut16(3, 4, n, clut)


def _text_description(text: str) -> bytes:
    ascii_ = text.encode("ascii") + b"\x00"
    return b"desc" + bytes(4) + struct.pack(">I", len(ascii_)) + ascii_ + bytes(4 + 4 + 2 + 1 + 67)


def _pad(data: bytes) -> bytes:
    return data + bytes(-len(data) % 4)


@lru_cache(maxsize=1)
def cmyk_profile() -> bytes:
    """The profile's bytes (about 90 KB before compression)."""
    a2b, b2a = _a2b(), _b2a()
    gamut = _lut16(3, 1, 2, [0] * 8)  # every colour in gamut: a naive device has no gamut to speak of
    data = {
        b"desc": _text_description("recouvre-docs DeviceCMYK (ISO 32000-1 10.4.2.4 conversion, sRGB)"),
        b"cprt": b"text" + bytes(4) + b"No copyright, use freely\x00",
        b"wtpt": b"XYZ " + bytes(4) + b"".join(_s15(v) for v in _D50),
        b"A2B0": a2b,
        b"B2A0": b2a,
        b"gamt": gamut,
    }
    same = {b"A2B1": b"A2B0", b"A2B2": b"A2B0", b"B2A1": b"B2A0", b"B2A2": b"B2A0"}
    order = [b"desc", b"cprt", b"wtpt", b"A2B0", b"A2B1", b"A2B2", b"B2A0", b"B2A1", b"B2A2", b"gamt"]
    offset = 128 + 4 + 12 * len(order)
    placed: dict[bytes, tuple[int, int]] = {}
    body = bytearray()
    for sig in order:
        if sig in same:
            continue
        placed[sig] = (offset + len(body), len(data[sig]))
        body += _pad(data[sig])
    table = struct.pack(">I", len(order)) + b"".join(
        struct.pack(">4sII", sig, *placed[same.get(sig, sig)]) for sig in order)
    size = 128 + len(table) + len(body)
    header = (
        struct.pack(">I", size) + bytes(4) + bytes([2, 0x10, 0, 0]) + b"prtrCMYKLab "
        + struct.pack(">6H", 2026, 1, 1, 0, 0, 0) + b"acsp" + bytes(4 + 4 + 4 + 4 + 8) + struct.pack(">I", 0)
        + b"".join(_s15(v) for v in _D50) + bytes(4 + 16 + 28)
    )
    assert len(header) == 128
    return header + table + bytes(body)
