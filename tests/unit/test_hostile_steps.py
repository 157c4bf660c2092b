"""The provider's cross-reference and the post-go-live export are held to the same bounds as
the customer export (issue 30): one rule for control characters, one check before the
spreadsheet library reads a workbook. Each hostile file is built here and read by the real
command in its own process."""

from __future__ import annotations

import base64
import random
from pathlib import Path

from tests.helpers import hostile_files as h
from tests.helpers.conversion import build, drifted_post, new_number, write_xref
from tests.helpers.measured import convwiz_measured
from wizard.core import generate, limits


def _no_temporaries(project: Path) -> None:
    assert not [p for p in project.rglob(".tmp*") if p.is_file()]


def test_a_nul_far_into_the_cross_reference_blocks_the_update(project: Path) -> None:
    built = build(project, n=30000, xref=False)
    olds = [str(a) for a in built.export_table.column(1).to_pylist()]
    xref = write_xref(project.parent / "xref.csv", olds)
    data = xref.read_bytes()
    at = data.index(b"\n", 360_000) + 3
    line = data[:at].count(b"\n") + 1
    xref.write_bytes(data[:at] + b"\x00" + data[at:])
    run, peak = convwiz_measured("import-xref", project, "--xref", xref)
    assert run.code == 3, run.stderr
    assert f"row {line}" in run.stderr and "\\x00" in run.stderr, run.stderr
    assert "control character" in run.stderr and "Traceback" not in run.stderr
    assert not list((project / "outbox").glob("ic_account*"))
    assert peak is not None and peak < 1024
    _no_temporaries(project)


def test_a_cross_reference_workbook_far_out_is_refused(project: Path) -> None:
    build(project, n=30, xref=False)
    cells = (h.row(1, ["Old Account Number", "New Account Number"])
             + h.row(2, ["0000000001", new_number("0000000001")])
             + h.row(1_048_576, ["x"], first_col=16_383))
    xref = h.workbook(project.parent / "xref.xlsx", h.sheet_xml(cells, "A1:B2"))
    run, peak = convwiz_measured("import-xref", project, "--xref", xref)
    assert run.code == 2, run.stderr
    assert str(xref) in run.stderr and f"{limits.MAX_COLUMNS:,} columns" in run.stderr
    assert "Traceback" not in run.stderr
    assert peak is not None and peak < 1024
    _no_temporaries(project)


def test_control_characters_in_the_post_export_stop_verification(project: Path) -> None:
    build(project, n=50)
    rows = drifted_post(project).table
    names = rows.column("Customer Name").to_pylist()
    names[9] = "Ann\x1b[2JLee"
    rows = rows.set_column(rows.column_names.index("Customer Name"), "Customer Name",
                           [names])
    post = generate.write_csv(rows, project.parent / "post_export.csv")
    run, _ = convwiz_measured("verify", project, "--post", post)
    assert run.code == 3, run.stderr
    assert "row 11" in run.stderr and "Ann\\x1b[2JLee" in run.stderr, run.stderr
    assert "\x1b" not in run.stderr
    assert not (project / "data" / "verification.parquet").exists()


def test_a_post_export_workbook_bomb_is_refused(project: Path) -> None:
    build(project, n=30)
    unit = b"<row><c><v>1</v></c></row>"
    head = h.sheet_xml(h.customer_rows()).split("</sheetData>")[0]
    post = h.workbook(project.parent / "post.xlsx",
                      h.repeated(head, unit, 100 * 1024**2 // len(unit),
                                 "</sheetData></worksheet>"))
    run, peak = convwiz_measured("verify", project, "--post", post)
    assert run.code == 2, run.stderr
    assert str(post) in run.stderr and f"{limits.MAX_RATIO} times" in run.stderr
    assert peak is not None and peak < 1024


def test_an_encrypted_workbook_is_checked_once_decrypted(project: Path, tmp_path: Path) -> None:
    """The biller protects the export with the project's password: the plain package, made
    in memory, is held to the same limits before the reader sees it (in this process: the
    password is in the test's keyring; before the bounds, this aborted it)."""
    from tests.helpers.cli import convwiz
    from tests.helpers.memkeyring import kept_secrets
    from wizard.services import office_crypto

    build(project, n=10, xref=False)
    assert convwiz("report", project, "--json").code == 0  # makes the password
    (password,) = [p for entries in kept_secrets().values() for p in entries.values()]
    # a part of notes makes the package over 4 KB: office_crypto's round trip fails on a
    # smaller one (InvalidKeyError), a matter of its own
    noise = base64.b64encode(random.Random(30).randbytes(6000)).decode()
    notes = f"<notes>{noise}</notes>"
    plain = h.workbook(tmp_path / "far.xlsx", h.sheet_xml(h.customer_rows() + h.FAR_CELL),
                       extra={"docProps/notes.xml": notes})
    protected = tmp_path / "protected.xlsx"
    protected.write_bytes(office_crypto.encrypt(plain.read_bytes(), password))
    run = convwiz("export-flags", project, "--input", protected, "--json")
    assert run.code == 2, run.stderr
    assert "protected.xlsx" in run.result["error"] and "XFD1048576" in run.result["error"]
    assert f"{limits.MAX_COLUMNS:,} columns" in run.result["error"]
    _no_temporaries(project)


def test_an_encrypted_workbook_too_big_to_decrypt_in_memory_is_refused(project: Path,
                                                                      tmp_path: Path) -> None:
    big = tmp_path / "protected.xlsx"
    with open(big, "wb") as out:
        out.write(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # an OLE container's signature
        out.truncate(limits.MAX_ENCRYPTED_BYTES + 1)
    run, peak = convwiz_measured("export-flags", project, "--input", big)
    assert run.code == 2, run.stderr
    assert str(big) in run.stderr and "256 MB" in run.stderr
    assert peak is not None and peak < 200
