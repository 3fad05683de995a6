"""Packaging: the templates at the top of the repository ship inside the wheel; languages agree."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile

from conftest import ROOT
from recouvre_docs.resources import templates_root


def test_wheel_carries_templates_fonts_and_data(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    [wheel] = tmp_path.glob("recouvre_docs-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for lang in ("fr", "en", "de"):
        assert f"recouvre_docs/templates/{lang}/strings.toml" in names
    for name in ("cover.html", "index.html", "email.html", "style.css", "fonts/LiberationSans-Bold.ttf",
                 "fonts/LICENSE-Liberation-OFL.txt"):
        assert f"recouvre_docs/templates/shared/{name}" in names
    assert "recouvre_docs/data/kinds.toml" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "recouvre-docs = recouvre_docs.launch:entry" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_source_checkout_resolves_the_top_level_templates():
    assert templates_root() == ROOT / "templates"


def _items(node, prefix=""):
    for key, value in node.items():
        if isinstance(value, dict):
            yield from _items(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _keys(node, prefix=""):
    for key, value in node.items():
        if isinstance(value, dict):
            yield from _keys(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


def test_every_language_has_the_same_words_and_files():
    keys = {}
    files = {}
    for lang in ("fr", "en", "de"):
        folder = ROOT / "templates" / lang
        keys[lang] = set(_keys(tomllib.loads((folder / "strings.toml").read_text("utf-8"))))
        files[lang] = sorted(p.name for p in folder.iterdir())
    assert keys["fr"] == keys["en"] == keys["de"]
    assert files["fr"] == files["en"] == files["de"]
    kinds = tomllib.loads((ROOT / "recouvre_docs" / "data" / "kinds.toml").read_text("utf-8"))
    from recouvre_docs.models import EVIDENCE_KINDS, PROCEDURES

    assert set(kinds) == set(EVIDENCE_KINDS)
    assert all({"fr", "en", "de", "keywords"} <= set(v) for v in kinds.values())
    # each procedure's title lives in its own file (recouvre_docs/data/procedures/), in the three languages
    from recouvre_docs.check import procedures

    assert [p.id for p in procedures.all_procedures()] == sorted(PROCEDURES)


def test_findings_have_the_same_keys_and_placeholders_in_every_language():
    import string

    from recouvre_docs.check.report import CODES

    flat = {}
    for lang in ("fr", "en", "de"):
        flat[lang] = {k: v for k, v in _items(tomllib.loads((ROOT / "templates" / lang / "findings.toml").read_text("utf-8")))}
    assert flat["fr"].keys() == flat["en"].keys() == flat["de"].keys()
    names = lambda text: {n for _, n, _, _ in string.Formatter().parse(text) if n}  # noqa: E731
    for key, text in flat["fr"].items():
        assert names(text) == names(flat["en"][key]) == names(flat["de"][key]), key
    assert {k.split(".")[0] for k in flat["fr"]} <= set(CODES)
