"""Filing profiles and volumes: limits held, numbering continuous, bookmarks and covers of each volume,
the index saying where each exhibit is, RPVA's one file per exhibit, beA without embedded files, the
messages a channel needs, and the options that cannot go together."""

from __future__ import annotations

import json
import re
import shutil

import pikepdf
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from conftest import SAMPLE
from recouvre_docs import volumes
from recouvre_docs.cli import main


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    case = tmp_path_factory.mktemp("volumes") / "case-42"
    shutil.copytree(SAMPLE, case, ignore=shutil.ignore_patterns("out"))
    return case


def build(case, *args):
    return CliRunner().invoke(main, ["build", str(case), *map(str, args)])


def verify(*args):
    return CliRunner().invoke(main, ["verify", *map(str, args)])


@pytest.fixture(scope="module")
def split(sample, tmp_path_factory):
    """The sample split into volumes of at most 0.3 MB."""
    out = tmp_path_factory.mktemp("split")
    result = build(sample, "--max-mb", "0.3", "-o", out)
    assert result.exit_code == 0, result.stderr
    return out, json.loads((out / "manifest.json").read_text()), result


def outline(reader):
    """[(title, page index, depth)] of every bookmark."""
    out = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((item.title, reader.get_destination_page_number(item), depth))

    walk(reader.outline, 0)
    return out


def test_volumes_hold_whole_exhibits_within_the_limit_with_continuous_numbers(split):
    out, manifest, result = split
    limit = 300_000
    vols = manifest["volumes"]
    assert len(vols) >= 3 and [v["file"] for v in vols] == [f"CASE-42-tome-{n}.pdf" for n in range(1, len(vols) + 1)]
    assert f"Split into {len(vols)} volumes" in result.stderr
    # consecutive page ranges covering the whole bundle, each exhibit in exactly one volume
    assert vols[0]["pages"][0] == 1 and vols[-1]["pages"][1] == manifest["pages"]
    assert all(b["pages"][0] == a["pages"][1] + 1 for a, b in zip(vols, vols[1:]))
    for ex in manifest["exhibits"]:
        [holder] = [v for v in vols if v["pages"][0] <= ex["pages"][0] and ex["pages"][1] <= v["pages"][1]]
        assert ex["exhibit"] in holder["exhibits"]
    for v in vols:
        size = (out / v["file"]).stat().st_size
        assert size == v["size"]
        if size > limit:  # over the limit only when one exhibit alone is
            assert len(v["exhibits"]) == 1 and v["pages"][0] > manifest["front_pages"]
            assert f"{v['file']} is {size:,} bytes, over the limit of 300,000" in result.stderr
    for v in vols:
        reader = PdfReader(str(out / v["file"]))
        first, last = v["pages"]
        cover = 1 if v["cover"] else 0
        assert len(reader.pages) == last - first + 1 + cover
        # the stamps and the page labels are the whole bundle's; a volume cover bears no number
        for n in range(cover, len(reader.pages)):
            number = first + n - cover
            assert f"{number} / {manifest['pages']}" in reader.pages[n].extract_text()
            assert reader.page_labels[n] == str(number)
        if cover:
            text = reader.pages[0].extract_text()
            assert reader.page_labels[0] == f"Tome {vols.index(v) + 1} sur {len(vols)}"
            assert f"/ {manifest['pages']}" not in text and f"Tome {vols.index(v) + 1} sur {len(vols)}" in text
            held = v["exhibits"]
            assert (f"Pièce n° {held[0]}" if len(held) == 1 else f"Pièces n° {held[0]} à {held[-1]}") in text
            assert (f"Pages {first} à {last} du dossier" if last > first else f"Page {first} du dossier") in text
    assert not vols[0]["cover"] and all(v["cover"] for v in vols[1:])


def test_each_volume_keeps_its_bookmarks(split):
    out, manifest, _ = split
    vols = manifest["volumes"]
    first = outline(PdfReader(str(out / vols[0]["file"])))
    # volume 1: the front documents (request, statement, bordereau), then its exhibits
    assert [t for t, _, _ in first[:3]] == ["Requête en injonction de payer", "Décompte des sommes dues",
                                            "Bordereau de pièces"]
    for v in vols:
        reader = PdfReader(str(out / v["file"]))
        marks = outline(reader)
        cover = 1 if v["cover"] else 0
        for ex in manifest["exhibits"]:
            if ex["exhibit"] in v["exhibits"]:
                [(title, page, depth)] = [m for m in marks if m[0].startswith(f"{ex['label']} — ")]
                assert depth == 0 and page == ex["pages"][0] - v["pages"][0] + cover
                for att in ex["attachments"]:  # an e-mail's attachments stay nested under it
                    [(_, apage, adepth)] = [m for m in marks if m[0].startswith(f"Pièce n° {att['exhibit']} — ")]
                    assert adepth == 1 and apage == att["pages"][0] - v["pages"][0] + cover
        if cover:
            assert marks[0] == (f"Tome {vols.index(v) + 1} sur {len(vols)}", 0, 0)
    assert any(ex["attachments"] for ex in manifest["exhibits"])


def test_the_index_says_which_volume_holds_each_exhibit(split):
    out, manifest, _ = split
    volume_of = {n: i for i, v in enumerate(manifest["volumes"], start=1) for n in v["exhibits"]}
    reader = PdfReader(str(out / "CASE-42.pdf"))
    text = " ".join(reader.pages[n].extract_text() for n in range(manifest["front_pages"]))
    assert "Tome" in text
    found = {int(first): int(vol) for first, vol in re.findall(r"p\. (\d+)(?:–\d+)? (\d+)\b", text)}
    for ex in manifest["exhibits"]:
        assert found[ex["pages"][0]] == volume_of[ex["exhibit"]], ex["label"]
        for att in ex["attachments"]:
            assert found[att["pages"][0]] == volume_of[ex["exhibit"]]


def test_each_volume_verifies_alone_and_an_edit_in_one_is_named(split, tmp_path):
    out, manifest, _ = split
    for v in manifest["volumes"]:
        result = verify(out / v["file"])
        assert result.exit_code == 0, result.stdout
        assert "the whole file against its SHA-256 in manifest.json" in result.stdout
    second = manifest["volumes"][1]
    with pikepdf.open(out / second["file"]) as pdf:
        pdf.pages[1].contents_add(pdf.make_stream(b"BT /F1 40 Tf 100 400 Td (PAYE) Tj ET"))
        pdf.save(tmp_path / "tome-2.pdf")
    result = verify(tmp_path / "tome-2.pdf")
    assert result.exit_code == 1
    assert f"page edited after the build: {second['pages'][0]}" in result.stdout  # named by its bundle number


def test_volumes_are_byte_identical_from_one_build_to_the_next(sample, split, tmp_path):
    out, manifest, _ = split
    result = build(sample, "--max-mb", "0.3", "-o", tmp_path)
    assert result.exit_code == 0, result.stderr
    for name in ["CASE-42.pdf", "manifest.json", *[v["file"] for v in manifest["volumes"]]]:
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_rpva_writes_one_pdf_per_exhibit_and_the_bordereau(sample, tmp_path):
    result = build(sample, "--profile", "rpva", "-o", tmp_path)
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    files = manifest["files"]
    names = sorted(p.name for p in (tmp_path / "rpva").iterdir())
    assert names == sorted(f["file"].removeprefix("rpva/") for f in files)
    assert "Bordereau de pièces.pdf" in names
    assert "Pièce n° 5 – Facture n° F2026-0117.pdf" in names
    for ex in manifest["exhibits"]:
        [f] = [f for f in files if f["exhibits"] == [ex["exhibit"]]]
        reader = PdfReader(str(tmp_path / f["file"]))
        last = max([ex["pages"][1], *[a["pages"][1] for a in ex["attachments"]]])
        assert f["pages"] == [ex["pages"][0], last] and len(reader.pages) == last - ex["pages"][0] + 1
        assert f"{ex['label']} CASE-42 {ex['pages'][0]} / {manifest['pages']}" in reader.pages[0].extract_text()
        assert verify(tmp_path / f["file"]).exit_code == 0
    # messages within RPVA's 4 MB, in order, every file in one of them
    assert [n for m in manifest["messages"] for n in m["files"]] == [f["file"] for f in files]
    assert all(m["size"] <= 4_000_000 for m in manifest["messages"])
    assert manifest["profile"]["rules"]["transmission_bytes"] == {
        "value": 4_000_000, "status": "unconfirmed", "source": manifest["profile"]["rules"]["transmission_bytes"]["source"]}
    assert "RPVA / e-barreau (France): 10 files: send them in one message (at most 4.0 MB a message)." in result.stderr
    assert "Not confirmed for RPVA / e-barreau (France): the size limit of a message" in result.stderr
    assert "No image recompressed." in result.stderr
    assert manifest["profile"]["images_recompressed"] == "no image recompressed"
    # a later build without the profile does not leave stale files for the channel
    assert build(sample, "-o", tmp_path).exit_code == 0
    assert not (tmp_path / "rpva").exists()


def test_bea_embeds_nothing_and_verifies_with_the_manifest_beside(sample, tmp_path):
    result = build(sample, "--profile", "bea", "-o", tmp_path)
    assert result.exit_code == 0, result.stderr
    pdf = tmp_path / "CASE-42.pdf"
    with pikepdf.open(pdf) as doc:
        assert not doc.attachments  # no portfolio, no manifest inside (ERVB)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["embedded"] == [] and manifest["messages"] == [{"files": ["CASE-42.pdf"], "size": pdf.stat().st_size}]
    assert "beA / ERVV (Germany) takes no embedded files" in result.stderr
    assert (f"the bundle ({pdf.stat().st_size / 1e6:.1f} MB) fits in one message (at most 200.0 MB and at most "
            "1,000 files a message)") in result.stderr
    checked = verify(pdf)
    assert checked.exit_code == 0 and "21 pages against their digests" in checked.stdout
    lone = tmp_path / "lone" / "CASE-42.pdf"
    lone.parent.mkdir()
    shutil.copyfile(pdf, lone)
    result = verify(lone)
    assert result.exit_code == 1 and "no embedded manifest.json and none beside it from its build" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--max-mb", "0"], "0 is not in the range x>0"),
    (["--max-mb", "-1"], "-1.0 is not in the range x>0"),
    (["--profile", "rpva", "--max-mb", "4"], "--profile and --max-mb cannot be combined"),
    (["--profile", "fax"], "'fax' is not one of"),
])
def test_bad_split_options_are_usage_errors(sample, args, message):
    result = build(sample, *args)
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr


def test_quiet_and_verbose_are_accepted_after_the_command(sample, tmp_path):
    result = build(sample, "-o", tmp_path, "-q")
    assert result.exit_code == 0 and result.stderr == ""
    result = CliRunner().invoke(main, ["verify", str(tmp_path / "CASE-42.pdf"), "-v"])
    assert result.exit_code == 0


def test_profiles_carry_each_rule_with_its_source_and_status():
    assert set(volumes.profile_ids()) >= {"rpva", "bea", "eop", "email", "uk-email"}
    assert volumes.profile("uk-email") == volumes.profile("email")
    for pid in ("rpva", "bea", "eop", "email"):
        prof = volumes.profile(pid)
        assert set(prof.rules) == set(volumes.RULES), pid
        for name, rule in prof.rules.items():
            assert rule.status in ("confirmed", "unconfirmed", "missing") and rule.source.startswith("LEGAL.md"), (pid, name)
            assert (rule.value is None) <= (rule.status == "missing"), (pid, name)
        assert prof.value("recompress_images") is None or prof.value("recompress_images") is False
    bea = volumes.profile("bea")
    assert (bea.value("transmission_bytes"), bea.value("transmission_files"), bea.attach_originals) == (200_000_000, 1000, False)
    assert bea.value("pdfa") == [1, 2]
    assert volumes.profile("rpva").split_bytes == 4_000_000 and volumes.profile("rpva").layout == "exhibits"
    assert volumes.profile("eop").split_bytes is None  # LEGAL.md knows no limit: nothing is invented


def test_messages_respect_size_and_file_count():
    bea = volumes.profile("bea")
    assert volumes.messages([150_000_000, 60_000_000, 10_000_000], bea) == [[0], [1, 2]]
    assert volumes.messages([10] * 2500, bea) == [list(range(0, 1000)), list(range(1000, 2000)), list(range(2000, 2500))]
    assert volumes.messages([5_000_000, 100], volumes.profile("rpva")) == [[0], [1]]  # one file over the limit alone


def test_plan_keeps_exhibits_whole():
    groups = volumes.plan_groups([(1, 100), (2, 100), (3, 500), (4, 50)], front_bytes=50, budget=260)
    assert groups == [[1, 2], [3], [4]]
    # the front alone when the first exhibit would take volume 1 over the budget
    assert volumes.plan_groups([(1, 300), (2, 10)], front_bytes=100, budget=250) == [[], [1], [2]]


def test_file_names_keep_the_rule_and_drop_what_file_systems_refuse():
    assert volumes.file_name("Pièce n° 3 – Facture n° F2026/0117: \"solde\"") == "Pièce n° 3 – Facture n° F2026-0117- -solde-"
    assert volumes.file_name("  Relevé\tdu 5 mai.  ") == "Relevé du 5 mai"


def heavy_pdf(path, seed: int, nbytes: int = 1_600_000):
    """A one-page PDF drawing an image of ``nbytes`` of noise (incompressible, like a scan)."""
    import random

    side = int((nbytes / 3) ** 0.5)
    pdf = pikepdf.new()
    image = pdf.make_stream(random.Random(seed).randbytes(side * side * 3), Type=pikepdf.Name.XObject,
                            Subtype=pikepdf.Name.Image, Width=side, Height=side,
                            ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8)
    page = pdf.add_blank_page()
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.obj.Contents = pdf.make_stream(b"q 500 0 0 500 40 200 cm /Im0 Do Q")
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.save(path, deterministic_id=True)


def test_rpva_groups_heavy_exhibits_into_messages_of_at_most_4_mb(make_case, tmp_path):
    case = make_case(files={"evidence/contrat.pdf": 1})
    for n in range(3):
        heavy_pdf(case / "evidence" / f"scan-{n + 1}.pdf", seed=n)
    result = build(case, "--profile", "rpva")
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((case / "out" / "manifest.json").read_text())
    sizes = {f["file"]: f["size"] for f in manifest["files"]}
    assert sum(sizes.values()) > 4_000_000
    assert len(manifest["messages"]) == 2 and all(m["size"] <= 4_000_000 for m in manifest["messages"])
    assert [n for m in manifest["messages"] for n in m["files"]] == list(sizes)  # in the bordereau's order
    assert "send them in 2 separate messages: 1) Bordereau de pièces … Pièce n° 3" in result.stderr
    for name in sizes:
        assert (case / "out" / name).stat().st_size == sizes[name]


def test_volumes_without_embedded_files_verify_from_the_manifest_beside(sample, tmp_path, monkeypatch):
    """beA's rules with a small size limit (its real one, 200 MB, is far above the sample): volumes carry
    no embedded file at all, and each still verifies, page by page, from manifest.json beside it."""
    from recouvre_docs import api

    bea = volumes.profile("bea")
    small = volumes.Profile("bea", bea.title, bea.layout,
                            dict(bea.rules, transmission_bytes=volumes.Rule(300_000, "confirmed", "test")))
    monkeypatch.setattr(volumes, "profile", lambda _id: small)
    result = api.build(sample, api.BuildOptions(profile="bea", output=tmp_path))
    assert len(result.volumes) >= 3
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    for v in manifest["volumes"]:
        with pikepdf.open(tmp_path / v["file"]) as pdf:
            assert not pdf.attachments and "/AF" not in pdf.Root
        checked = verify(tmp_path / v["file"])
        assert checked.exit_code == 0, checked.stdout
        assert "the whole file against its SHA-256 in manifest.json" in checked.stdout
    edited = tmp_path / manifest["volumes"][1]["file"]
    with pikepdf.open(edited, allow_overwriting_input=True) as pdf:
        pdf.pages[-1].contents_add(pdf.make_stream(b"BT /F1 40 Tf 100 400 Td (PAYE) Tj ET"))
        pdf.save(edited)
    result = verify(edited)
    assert result.exit_code == 1
    assert f"page edited after the build: {manifest['volumes'][1]['pages'][1]}" in result.stdout
