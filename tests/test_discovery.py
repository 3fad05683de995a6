"""Evidence discovery and classification: entry, invoice/event link, names (fr/en/de), content; order."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from recouvre_docs import casefolder
from recouvre_docs.casefolder import date_from_name, discover, kind_from_name, load_case, order, refine
from recouvre_docs.errors import CaseFileError


@pytest.mark.parametrize(
    "name, kind",
    [
        ("BL-2026-0225-signe", "delivery-note"),
        ("Lieferschein 4711", "delivery-note"),
        ("delivery note March", "delivery-note"),
        ("CGV-Atelier-Dupont-2026", "terms"),
        ("AGB_2025", "terms"),
        ("Bon de commande n°12", "purchase-order"),
        ("Bestellung", "purchase-order"),
        ("AR-mise-en-demeure-2026-06-03", "proof-of-receipt"),
        ("mise-en-demeure-2026-06-01", "formal-notice"),
        ("Letzte Mahnung", "formal-notice"),
        ("relance facture", "reminder"),
        ("Zahlungserinnerung", "reminder"),
        ("Relevé de compte", "statement"),
        ("Rechnung 2026-117", "invoice"),
        ("invoice_117", "invoice"),
        ("Kbis", "company-record"),
        ("Contrat-cadre", "contract"),
        ("Rahmenvertrag", "contract"),
        ("tableau", None),
        ("scan0001", None),
    ],
)
def test_kind_from_french_english_german_names(name, kind):
    assert kind_from_name(name) == kind


def test_date_from_name():
    assert date_from_name("mise-en-demeure-2026-06-01.pdf") == dt.date(2026, 6, 1)
    assert date_from_name("20260315_scan.pdf") == dt.date(2026, 3, 15)
    assert date_from_name("courrier 15.03.2026.pdf") == dt.date(2026, 3, 15)
    assert date_from_name("F2026-0117.pdf") is None
    assert date_from_name("2026-13-45.pdf") is None


def test_precedence_entry_then_link_then_name_then_folder(make_case):
    case_dir = make_case(
        """
[[invoice]]
number = "F1"
issued = 2026-03-02
due = 2026-04-01
amount = 100.00
file = "evidence/scan-a.pdf"

[[event]]
date = 2026-06-01
kind = "formal-notice"
file = "evidence/scan-b.pdf"

[[evidence]]
file = "evidence/factures/relance.pdf"
kind = "contract"
title = "Contrat signé"
""",
        files={
            "evidence/scan-a.pdf": 1,
            "evidence/scan-b.pdf": 1,
            "evidence/factures/relance.pdf": 1,  # entry wins over name and folder
            "evidence/factures/scan-c.pdf": 1,  # folder
            "evidence/Lieferscheine/BL-7.pdf": 1,  # file name
            "evidence/misc/notes.pdf": 1,  # nothing: other
            "evidence/.hidden.pdf": 1,
            "evidence/~$draft.docx": b"lock",
            "evidence/Thumbs.db": b"x",
        },
    )
    pieces = {p.rel: p for p in discover(load_case(case_dir))}
    assert set(pieces) == {
        "evidence/scan-a.pdf", "evidence/scan-b.pdf", "evidence/factures/relance.pdf",
        "evidence/factures/scan-c.pdf", "evidence/Lieferscheine/BL-7.pdf", "evidence/misc/notes.pdf",
    }
    got = {rel: (p.kind, p.kind_source) for rel, p in pieces.items()}
    assert got == {
        "evidence/scan-a.pdf": ("invoice", "invoice"),
        "evidence/scan-b.pdf": ("formal-notice", "event"),
        "evidence/factures/relance.pdf": ("contract", "entry"),
        "evidence/factures/scan-c.pdf": ("invoice", "folder"),
        "evidence/Lieferscheine/BL-7.pdf": ("delivery-note", "filename"),
        "evidence/misc/notes.pdf": ("other", "default"),
    }
    assert pieces["evidence/scan-a.pdf"].title == "Facture n° F1"
    assert pieces["evidence/scan-a.pdf"].date == dt.date(2026, 3, 2)
    assert pieces["evidence/scan-b.pdf"].title == "Mise en demeure du 1er juin 2026"
    assert pieces["evidence/factures/relance.pdf"].title == "Contrat signé"


def test_titles_follow_the_case_language(make_case):
    case_dir = make_case(
        '[[event]]\ndate = 2026-06-01\nkind = "reminder"\nfile = "evidence/contrat.pdf"\n', lang="de"
    )
    [piece] = discover(load_case(case_dir))
    assert piece.title == "Zahlungserinnerung vom 1. Juni 2026"


def test_content_places_what_names_cannot(make_case, tmp_path):
    from conftest import RESOURCES

    case_dir = make_case(files={"evidence/scan0001.pdf": RESOURCES / "facturx-basicwl.pdf",
                                "evidence/msg.eml": RESOURCES / "image-attachment.eml"})
    pieces = {p.rel: p for p in discover(load_case(case_dir))}
    assert pieces["evidence/scan0001.pdf"].kind == "other"  # not yet: content comes with ingestion
    inv = refine(pieces["evidence/scan0001.pdf"], {"einvoice": {"number": "FA-2017-0010", "date": "2017-11-13"}}, "fr")
    assert (inv.kind, inv.kind_source, inv.title, inv.date) == ("invoice", "content", "Facture n° FA-2017-0010", dt.date(2017, 11, 13))
    mail = refine(pieces["evidence/msg.eml"], {"email": {"subject": "Eelanalüüsi päring", "date": "2009-05-13"}}, "fr")
    assert (mail.kind, mail.title, mail.date) == ("correspondence", "Eelanalüüsi päring", dt.date(2009, 5, 13))


def test_title_from_name_does_not_repeat_the_kind(make_case):
    case_dir = make_case(files={"evidence/contrat.pdf": 1, "evidence/CGV-Atelier-Dupont-2026.pdf": 1})
    pieces = {p.rel: refine(p, {}, "fr") for p in discover(load_case(case_dir))}
    assert pieces["evidence/contrat.pdf"].title == "Contrat"
    assert pieces["evidence/CGV-Atelier-Dupont-2026.pdf"].title == "Conditions générales — CGV-Atelier-Dupont-2026"


def test_order_explicit_numbers_then_date_then_kind(make_case):
    case_dir = make_case(
        """
[[evidence]]
file = "evidence/z-late.pdf"
number = 1
date = 2026-09-01

[[evidence]]
file = "evidence/b.pdf"
kind = "invoice"
date = 2026-03-01

[[evidence]]
file = "evidence/a.pdf"
kind = "contract"
date = 2026-03-01

[[evidence]]
file = "evidence/c.pdf"
kind = "terms"

[[evidence]]
file = "evidence/d.pdf"
kind = "contract"
date = 2026-01-01
""",
        files={f"evidence/{n}.pdf": 1 for n in ("z-late", "a", "b", "c", "d")},
    )
    numbered = [(n, p.rel) for n, p in order([refine(p, {}, "fr") for p in discover(load_case(case_dir))])]
    assert numbered == [
        (1, "evidence/z-late.pdf"),  # explicit
        (2, "evidence/d.pdf"),  # earliest date
        (3, "evidence/a.pdf"),  # same date as b: contract before invoice
        (4, "evidence/c.pdf"),  # undated terms: after the last dated contract, before the invoice
        (5, "evidence/b.pdf"),
    ]


def test_undated_pieces_keep_their_place_in_the_story(make_case):
    case_dir = make_case(
        """
[[evidence]]
file = "evidence/relance.pdf"
kind = "reminder"
date = 2026-05-05

[[evidence]]
file = "evidence/facture.pdf"
kind = "invoice"
date = 2026-03-02

[[evidence]]
file = "evidence/bl.pdf"
kind = "delivery-note"

[[evidence]]
file = "evidence/divers.pdf"
kind = "other"

[[evidence]]
file = "evidence/cgv.pdf"
kind = "terms"
""",
        files={f"evidence/{n}.pdf": 1 for n in ("relance", "facture", "bl", "divers", "cgv")},
    )
    got = [p.rel for _, p in order([refine(p, {}, "fr") for p in discover(load_case(case_dir))])]
    # no dated contract or terms: the terms open the bundle, the delivery note precedes the invoice,
    # and a piece of kind "other" closes it
    assert got == ["evidence/cgv.pdf", "evidence/bl.pdf", "evidence/facture.pdf", "evidence/relance.pdf",
                   "evidence/divers.pdf"]


def test_duplicate_explicit_numbers_are_invalid(make_case):
    case_dir = make_case(
        '[[evidence]]\nfile = "evidence/a.pdf"\nnumber = 2\n[[evidence]]\nfile = "evidence/b.pdf"\nnumber = 2\n',
        files={"evidence/a.pdf": 1, "evidence/b.pdf": 1},
    )
    with pytest.raises(CaseFileError, match="exhibit 2 is also given to evidence/a.pdf"):
        load_case(case_dir)


def test_a_link_leaving_the_case_folder_is_refused(make_case, tmp_path):
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.4")
    case_dir = make_case()
    os.symlink(secret, case_dir / "evidence" / "innocent.pdf")
    with pytest.raises(CaseFileError) as info:
        discover(load_case(case_dir))
    assert info.value.exit_code == 3
    assert "evidence/innocent.pdf: is a link to" in info.value.message and "outside the case folder" in info.value.message


def test_out_folder_is_never_evidence(make_case):
    case_dir = make_case('[[evidence]]\nfile = "out/CASE.pdf"\n', files={"evidence/a.pdf": 1, "out/CASE.pdf": 1})
    with pytest.raises(CaseFileError, match="is in out/"):
        load_case(case_dir)
    assert casefolder.OUTPUT_DIR == "out"


def test_a_file_s_sha256_is_taken_again_only_when_it_changed(make_case, tmp_path, monkeypatch):
    """A rebuild does not read unchanged evidence again: its SHA-256 is kept with its size, times,
    inode and device. A file rewritten with the same size and its old modification time back (as
    `touch -d` or a copy with -p would leave it) has a new change time: it is read again, and the
    manifest's SHA-256 is the file's. A stored table that is damaged is ignored."""
    import hashlib
    import json

    case_dir = make_case(files={"evidence/contrat.pdf": 2, "evidence/factures/F1.pdf": 1})
    store = tmp_path / "cache" / casefolder.HASHES
    reads: list[str] = []
    real = casefolder._sha256
    monkeypatch.setattr(casefolder, "_sha256", lambda path: reads.append(path.name) or real(path))
    monkeypatch.setattr(casefolder, "_SETTLED", -1)  # the files were just written: settled at once here

    def sha() -> dict[str, str]:
        return {p.rel: p.sha256 for p in discover(load_case(case_dir), store)}

    first = sha()
    assert sorted(reads) == ["F1.pdf", "contrat.pdf"] and store.is_file()
    reads.clear()
    assert sha() == first and reads == []

    contract = case_dir / "evidence" / "contrat.pdf"
    st = contract.stat()
    data = contract.read_bytes()
    at = data.rindex(b"/ID [<") + len(b"/ID [<")
    contract.write_bytes(data[:at] + (b"0" if data[at:at + 1] != b"0" else b"1") + data[at + 1:])  # same size
    os.utime(contract, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert contract.stat().st_size == st.st_size and contract.stat().st_mtime_ns == st.st_mtime_ns
    again = sha()
    assert reads == ["contrat.pdf"]
    assert again["evidence/contrat.pdf"] == hashlib.sha256(contract.read_bytes()).hexdigest() != first["evidence/contrat.pdf"]

    for damaged in ("not json", json.dumps({"format": 1, "files": {str(contract.resolve()): [1, 2]}}), "[]"):
        store.write_text(damaged, "utf-8")
        reads.clear()
        assert sha() == again and sorted(reads) == ["F1.pdf", "contrat.pdf"]


def test_a_file_changed_just_before_it_was_read_is_read_again_next_time(make_case, tmp_path, monkeypatch):
    """Within two seconds of its last change, a file's next change could carry the same times: its
    SHA-256 is not kept."""
    case_dir = make_case(files={"evidence/contrat.pdf": 1})
    store = tmp_path / "cache" / casefolder.HASHES
    reads: list[str] = []
    real = casefolder._sha256
    monkeypatch.setattr(casefolder, "_sha256", lambda path: reads.append(path.name) or real(path))
    discover(load_case(case_dir), store)
    discover(load_case(case_dir), store)
    assert reads == ["contrat.pdf", "contrat.pdf"]
