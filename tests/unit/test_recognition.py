"""Wrong files are named as wrong before they are used: the program's own files and the
exports already used for another step, given as the cross-reference or as the post-go-live
export, are refused in one line (exit 2, nothing changed); a file that is no table, or that
shares no column with what the step needs, says so; a file most customers are not in is
asked about first."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers.cli import convwiz
from tests.helpers.conversion import build, drifted_post, write_xref
from wizard.core import generate
from wizard.core.vocabulary import for_window


def _one_line(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("  ")]
    assert len(lines) == 1, text
    return lines[0]


def _steps(project: Path) -> dict[str, tuple[str, str]]:
    return {s["id"]: (s["state"], str(s["updated"]))
            for s in convwiz("status", project, "--json").result["steps"]}


@pytest.fixture
def verified(project: Path) -> tuple[Path, Path, Path]:
    """A project verified once: (project, its customer export, the post export)."""
    built = build(project, n=120)
    post = generate.write_csv(drifted_post(project, autopay_lost=2).table,
                              project.parent / "post.csv")
    assert convwiz("verify", project, "--post", post).code == 3
    return project, built.export, post


def test_the_rollback_file_as_cross_reference_is_refused_in_one_line(
        verified: tuple[Path, Path, Path], tmp_path: Path) -> None:
    project, _export, _post = verified
    before = _steps(project)
    rollback = project / "outbox" / "ic_account_rollback.csv"
    copy = shutil.copy(rollback, tmp_path / "from_daffron.csv")  # the same bytes elsewhere
    for given, how in ((rollback, ""), (Path(copy), "same SHA-256 as ")):
        run = convwiz("import-xref", project, "--xref", given, "--json")
        assert run.code == 2, run.stderr
        line = _one_line(run.stderr)
        assert line.startswith(f"convwiz: {given.name} is the program's own rollback file "
                               f"({how}outbox/ic_account_rollback.csv, made ")
        assert "the cross-reference comes from Daffron" in line
        assert run.result["wrong_file"] == "the program's own rollback file"
    # the IC account update and the flag file are named too
    for given, what in ((project / "outbox" / "ic_account_update.csv", "IC account update"),
                        (next((project / "outbox").glob("flag_file_*.csv")), "flag file")):
        run = convwiz("import-xref", project, "--xref", given)
        assert run.code == 2 and f"is the program's own {what} (" in _one_line(run.stderr)
    assert _steps(project) == before  # nothing changed: the step is still done


def test_the_pre_go_live_export_as_post_export_is_refused_in_one_line(
        verified: tuple[Path, Path, Path], tmp_path: Path) -> None:
    """The very export the flag file came from (same SHA-256), even copied and renamed."""
    project, export, _post = verified
    before = convwiz("status", project, "--json").result["steps"]
    renamed = Path(shutil.copy(export, tmp_path / "portal_after_go_live.csv"))
    for given in (export, renamed):
        run = convwiz("verify", project, "--post", given, "--json")
        assert run.code == 2, run.stderr
        line = _one_line(run.stderr)
        assert line.startswith(f"convwiz: {given.name} is the pre-go-live customer export the "
                               f"flag file was made from (same SHA-256 as {export.name}, used ")
        assert "the post-go-live export is the portal's customer export taken after go-live" \
            in line
    # the real result (and its problems) stays
    assert convwiz("status", project, "--json").result["steps"] == before


def test_other_own_files_and_used_exports_are_named(
        verified: tuple[Path, Path, Path]) -> None:
    project, _export, post = verified
    xref = project.parent / "xref.csv"  # the cross-reference import-xref used
    run = convwiz("verify", project, "--post", xref)
    assert run.code == 2
    assert "xref.csv is the cross-reference imported for the IC account update (" in run.stderr
    run = convwiz("import-xref", project, "--xref", post)
    assert run.code == 2
    assert ("post.csv is the post-go-live export already verified (same SHA-256 as post.csv, "
            "used ") in run.stderr
    workbook = next((project / "reports").glob("verification_exceptions_*.xlsx"))
    run = convwiz("verify", project, "--post", workbook)
    assert run.code == 2 and "is the program's own exceptions workbook (reports/" in run.stderr
    snapshot = project / "data" / "customers.parquet"
    run = convwiz("import-xref", project, "--xref", snapshot)
    assert run.code == 2 and "is the program's own snapshot" in run.stderr
    # the right files are taken again: the same cross-reference, the same post export
    assert convwiz("import-xref", project, "--xref", xref).code == 0
    assert convwiz("verify", project, "--post", post).code == 3  # its drift: not preserved


def test_a_pdf_and_a_file_sharing_no_column_say_so_in_one_line(
        verified: tuple[Path, Path, Path], tmp_path: Path) -> None:
    project, _export, _post = verified
    pdf = tmp_path / "statement.csv"  # a PDF of text only, whatever its name
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n")
    notes = tmp_path / "notes.txt"
    notes.write_text("Call Dana about the go-live\nand the window\n", encoding="utf-8")
    for command, flag, what in (("verify", "--post", "a customer export"),
                                ("import-xref", "--xref", "a cross-reference")):
        run = convwiz(command, project, flag, pdf)
        assert run.code == 2
        assert _one_line(run.stderr) == (
            f"convwiz: {pdf} is a PDF document, not a table: choose the CSV or Excel (.xlsx) "
            "file exported from the system")
        run = convwiz(command, project, flag, notes)
        assert run.code == 2
        line = _one_line(run.stderr)
        assert line.startswith(f"convwiz: {notes} shares no column with {what}: not one of "
                               "its columns ('Call Dana about the go-live') is ")
        assert "filled in" not in line


def test_most_customers_missing_asks_whether_it_is_the_right_file(
        verified: tuple[Path, Path, Path]) -> None:
    project, _export, _post = verified
    other = write_xref(project.parent / "other_biller.csv",
                       [f"55{i:08d}" for i in range(200)])
    run = convwiz("import-xref", project, "--xref", other)
    assert run.code == 3
    first = run.stderr.splitlines()[[i for i, ln in enumerate(run.stderr.splitlines())
                                      if ln.startswith("convwiz: ")][0]]
    assert first.startswith("convwiz: Is other_biller.csv the right file? 120 of 120 "
                            "customers of the flag file (100%) are not in it: ")
    # a post export of other customers: the question leads verify's message too
    table = drifted_post(project, autopay_lost=0, paperless_gained=0, last4_changed=0,
                         missing=0).table
    accounts = [f"9{a[1:]}" for a in table.column("Account Number").to_pylist()]
    table = table.set_column(1, "Account Number", [accounts])
    post = generate.write_csv(table, project.parent / "someone_else.csv")
    run = convwiz("verify", project, "--post", post)
    assert run.code == 3
    message = run.stderr[run.stderr.index("convwiz: "):]
    assert message.startswith("convwiz: Is someone_else.csv the right file? 120 of 120 "
                              "customers of the flag file (100%) are not in it, and 120 of "
                              "its rows are no customer of the flag file: ")


def test_advice_names_the_flag_on_the_command_line_and_the_checkbox_in_the_window(
        verified: tuple[Path, Path, Path]) -> None:
    project, _export, _post = verified
    partial = write_xref(project.parent / "partial.csv",
                         build_accounts(project)[:100])  # 20 of 120 customers missing
    run = convwiz("import-xref", project, "--xref", partial)
    assert run.code == 3
    assert "import with --allow-unmatched to leave it out" in run.stderr
    assert "right file" not in run.stderr  # fewer than half missing: no question
    words = for_window("ask the provider for this customer's new account, or import with "
                       "--allow-unmatched to leave it out of the IC update")
    assert "--" not in words
    assert ("import with the checkbox 'Allow customers missing from the cross-reference' "
            "ticked to leave it out") in words


def build_accounts(project: Path) -> list[str]:
    from wizard.flow.project.project import Project
    from wizard.flow.records import snapshot

    with Project.open(project) as p:
        return [str(a) for a in snapshot.load(p, snapshot.CUSTOMERS)["account"].to_pylist()]


@pytest.mark.parametrize(("head", "words"), [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "a PNG image"),
    (b"\xef\xbb\xbf  <!DOCTYPE html>", "a web page (HTML)"),
    (b"{\\rtf1\\ansi", "an RTF document (Word or WordPad)"),
    (b"Customer Name,Acc", None),
    (b"\xef\xbb\xbfUTI Account Number", None),
    (b"PK\x03\x04\x14\x00", None),  # a workbook: the reader's own business
])
def test_a_file_that_is_no_table_is_known_by_its_first_bytes(head: bytes,
                                                              words: str | None) -> None:
    from wizard.core.recognition import not_a_table

    assert not_a_table(head) == words
