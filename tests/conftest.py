"""Shared fixtures: case folders built on the fly, real PDFs made with pikepdf, the CLI runner, and one
real build of the sample case per test session."""

from __future__ import annotations

import hashlib
import shutil
import textwrap
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner

from recouvre_docs.cli import main

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = Path(__file__).resolve().parent / "resources"
SAMPLE = ROOT / "samples" / "case-42"

A4 = (595.28, 841.89)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path_factory):
    """No test depends on the developer's machine: HOME, TZ and our variables are fixed."""
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    for name in [n for n in __import__("os").environ if n.startswith("RECOUVRE_")]:
        monkeypatch.delenv(name)
    # the user's cache (resources.user_cache: the stamp fonts' subsets) is one per test session
    monkeypatch.setenv("RECOUVRE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "user-cache"))
    # a loaded test machine must not trip the time limit per file (120 s); the tests of the limit set theirs
    monkeypatch.setenv("RECOUVRE_CONVERT_TIMEOUT", "900")


def make_pdf(path: Path, pages: list[dict] | int = 1, *, text: str = "Page", encrypt_user: str | None = None) -> Path:
    """A real PDF: each page ``{"size": (w, h), "rotate": 0, "text": "..."}`` with its text drawn in
    Helvetica near every edge (so a test can see whether a stamp covers it)."""
    if isinstance(pages, int):
        pages = [{} for _ in range(pages)]
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica, Encoding=pikepdf.Name.WinAnsiEncoding))
    for i, spec in enumerate(pages, start=1):
        w, h = spec.get("size", A4)
        label = spec.get("text", f"{text} {i}")
        content = (
            f"BT /F1 14 Tf 40 {h / 2:.0f} Td ({label}) Tj ET "
            f"BT /F1 8 Tf 10 4 Td (bottom-edge-{i}) Tj ET"
        ).encode("cp1252")  # WinAnsiEncoding: "Fällig", "40,00 €" are drawn and read back as written
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=pikepdf.Array([0, 0, w, h]),
            Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
            Contents=pdf.make_stream(content),
        )
        if spec.get("rotate"):
            page.Rotate = spec["rotate"]
        pdf.pages.append(pikepdf.Page(page))
    path.parent.mkdir(parents=True, exist_ok=True)
    encryption = pikepdf.Encryption(user=encrypt_user, owner="owner-secret") if encrypt_user else False
    pdf.save(path, encryption=encryption, deterministic_id=True)
    return path


CASE_TOML = """\
schema = 1

[case]
reference = "T-100"
language = "{lang}"
as_of = 2026-11-23

[creditor]
name = "Dupont & Fils SARL"
address = ["1 rue des Forges", "69002 Lyon"]
country = "FR"

[debtor]
name = "Müller Maschinenbau GmbH"
address = ["Industriestraße 5", "80331 München"]
country = "DE"
{extra}"""


@pytest.fixture
def make_case(tmp_path):
    """make_case(extra_toml="", files={"evidence/x.pdf": 2}, lang="fr") -> case folder Path.

    ``files`` values: an int (a PDF of that many pages), a list of page specs, a Path (copied), or bytes.
    """

    def factory(extra: str = "", files: dict | None = None, lang: str = "fr", name: str = "case") -> Path:
        root = tmp_path / name
        (root / "evidence").mkdir(parents=True, exist_ok=True)
        (root / "case.toml").write_text(CASE_TOML.format(lang=lang, extra=textwrap.dedent(extra)), "utf-8")
        for rel, spec in (files or {"evidence/contrat.pdf": 2}).items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(spec, Path):
                shutil.copyfile(spec, target)
            elif isinstance(spec, bytes):
                target.write_bytes(spec)
            else:
                make_pdf(target, spec, text=Path(rel).stem)
        return root

    return factory


@pytest.fixture
def short_tmp():
    """An empty folder to be a process's TMPDIR, with a path short enough for the render process's
    socket inside it (104 bytes at most: under pytest's own temporary folder it is not, and the render
    folder then goes to /tmp, where a test of TMPDIR would not see it). Removed afterwards."""
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="rd-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args: str, **kwargs):
        return runner.invoke(main, [str(a) for a in args], **kwargs)

    return invoke


def tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "out" not in p.relative_to(root).parts
    }


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory):
    """The sample case copied to a temporary folder and built once with the real CLI."""
    if not SAMPLE.is_dir():
        pytest.fail("samples/case-42 is missing")
    work = tmp_path_factory.mktemp("sample")
    case = work / "case-42"
    shutil.copytree(SAMPLE, case, ignore=shutil.ignore_patterns("out"))
    before = tree_digest(case)
    result = CliRunner().invoke(main, ["build", str(case)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return {"case": case, "pdf": case / "out" / "CASE-42.pdf", "before": before, "result": result}
