"""One vocabulary, one reading: the same header and the same mangled number mean the same
thing in every step; rows that are not customers block; names survive every system."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.conftest import write_export
from tests.helpers.cli import convwiz
from wizard.core import vocabulary
from wizard.core.vocabulary import file_name_part

GOOD = ["Ann Lee,0001234567,ann@example.com,Y,Y,card,0042",
        "Bob Ray,0002345678,bob@example.com,N,N,,"]


@pytest.mark.parametrize("mangled", ["1.23457E+09", "+1.2E+09", "-1.23457E+09", "1.2e9",
                                     "1234567890.0", "1,23457E+09"])
def test_every_mangled_form_blocks_the_customer_export(project: Path, tmp_path: Path,
                                                       mangled: str) -> None:
    export = write_export(tmp_path / "c.csv",
                          [*GOOD, f'Cy Doe,"{mangled}",cy@example.com,N,N,,'])
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 3, run.stderr
    assert run.result["output"] is None
    assert not list((project / "outbox").glob("flag_file*"))


@pytest.mark.parametrize("mangled", ["1.23457E+09", "+1.2E+09", "-1.23457E+09", "1.2e9"])
def test_the_cross_reference_blocks_the_same_forms(project: Path, tmp_path: Path,
                                                   mangled: str) -> None:
    export = write_export(tmp_path / "c.csv", GOOD)
    assert convwiz("export-flags", project, "--input", export).code == 0
    xref = tmp_path / "x.csv"
    xref.write_text(f"Old Account Number,New Account Number\r\n0001234567,D1\r\n"
                    f'"{mangled}",D2\r\n', encoding="utf-8", newline="")
    run = convwiz("import-xref", project, "--xref", xref, "--json")
    assert run.code == 3, run.stderr


def test_a_header_is_read_the_same_in_every_step(project: Path, tmp_path: Path) -> None:
    """"Billing Account Number" names the account in a customer export, and the old
    account in a cross-reference beside "New Account Number"."""
    header = ("Customer Name,Billing Account Number,Email,Paperless,AutoPay,Payment Type,"
              "Last Four")
    export = write_export(tmp_path / "c.csv", GOOD, header=header)
    assert convwiz("export-flags", project, "--input", export).code == 0
    xref = tmp_path / "x.csv"
    xref.write_text("Billing Account Number,New Account Number\r\n0001234567,D1\r\n"
                    "0002345678,D2\r\n", encoding="utf-8", newline="")
    run = convwiz("import-xref", project, "--xref", xref, "--json")
    assert run.code == 0, run.stderr
    assert run.result["mapped"] == 2


def test_every_field_has_one_list_of_header_names() -> None:
    for field in (*vocabulary.FIELDS, *vocabulary.XREF_FIELDS):
        names = vocabulary.HEADER_NAMES[field]
        assert names, field
        assert all(n == vocabulary.normalise_header(n) for n in names), field
    # the customer export's account knows every old and new account name the
    # cross-reference knows: one reading of a header everywhere
    account = set(vocabulary.HEADER_NAMES["account"])
    assert set(vocabulary.OLD_ACCOUNT) <= account and set(vocabulary.NEW_ACCOUNT) <= account


@pytest.mark.parametrize("footer", ["Total,2000,,,,,", ",Total,,,,,", "Grand Total,Total,,,,,",
                                    ",Count:,,,,,", ",End of report,,,,,"])
def test_a_footer_row_blocks(project: Path, tmp_path: Path, footer: str) -> None:
    export = write_export(tmp_path / "c.csv", [*GOOD, footer])
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 3, run.stderr
    assert run.result["blocking"] >= 1


def test_a_row_with_nothing_of_a_customer_blocks(project: Path, tmp_path: Path) -> None:
    export = write_export(tmp_path / "c.csv", [*GOOD, ",0003456789,,,,,"])
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 3, run.stderr


def test_empty_name_and_autopay_without_last4_are_warnings(project: Path,
                                                           tmp_path: Path) -> None:
    export = write_export(tmp_path / "c.csv", [
        *GOOD, ",0003456789,cy@example.com,Y,N,,",
        "Dee Fox,0004567890,dee@example.com,N,Y,card,"])
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 0, run.stderr
    assert run.result["rows"] == 4
    assert run.result["warnings"] == 2


@pytest.mark.parametrize("biller", ["Søren & Sons Électrique", "Ñandú Co-op: North/South",
                                    'Acme "Power" <Light>? *', "  CON  "])
def test_names_with_spaces_letters_and_windows_forbidden_characters(tmp_path: Path,
                                                                   biller: str) -> None:
    # the folder as the PM can name it on every system (Windows forbids <>:"/\|?*)
    short = biller.strip()[:8].translate({ord(c): "_" for c in '<>:"/\\|?*'})
    folder = tmp_path / f"Conversión {short} 2026"
    run = convwiz("init", folder, "--biller", biller, "--go-live", "2026-12-14",
                  "--production-bid", "2806", "--allow-past", "--json")
    assert run.code == 0, run.stderr
    export = write_export(tmp_path / "ç ü export.csv", GOOD)
    run = convwiz("export-flags", folder, "--input", export, "--json")
    assert run.code == 0, run.stderr
    name = Path(run.result["output"]).name
    assert not set('<>:"/\\|?*') & set(name)
    part = file_name_part(biller)
    assert part and part in name
    rows = list(csv.reader(io.StringIO(Path(run.result["output"]).read_text("utf-8"))))
    assert rows[1][1] == "0001234567"


def test_file_names_keep_letters_of_any_alphabet() -> None:
    assert file_name_part("Søren Ølstrøm") == "Søren_Ølstrøm"
    assert file_name_part("Ελληνική Εταιρεία") == "Ελληνική_Εταιρεία"
    assert file_name_part('a<b>c:d"e/f\\g|h?i*j') == "a_b_c_d_e_f_g_h_i_j"
    assert file_name_part("nul") == "_nul"
    assert file_name_part("...") == "biller"
