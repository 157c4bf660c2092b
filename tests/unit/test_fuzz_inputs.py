"""Bad input never reaches the person as a traceback: hypothesis over the table reader and
every command that reads a file, fed mangled versions of realistic exports.

The reader either returns a table or raises `InputError` naming the file; the commands end
in exit 0, 2, 3 or 4 (never 1), and any failure's message names the file.
"""

from __future__ import annotations

import io
import itertools
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.helpers.cli import convwiz
from tests.helpers.conversion import build
from wizard.core import generate
from wizard.core.reader import read_table
from wizard.errors import InputError

FUZZ = settings(max_examples=60, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])
_counter = itertools.count()

_TABLE = generate.customers(12, seed=5)
_COLUMNS = _TABLE.column_names
_ROWS = [list(r) for r in zip(*(c.to_pylist() for c in _TABLE.columns))]


def _xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Customers")
    ws.append(_COLUMNS)
    for row in _ROWS:
        ws.append(row)
    wb.save(buffer)
    return buffer.getvalue()


XLSX = _xlsx_bytes()

# -- mangled CSV ------------------------------------------------------------------------------
cell_text = st.one_of(
    st.sampled_from(["", " ", "Y", "N", "maybe", "0001234567", "1.23457E+09", "1234567.0",
                     "=HYPERLINK(\"x\")", "4111 1111 1111 1111", "Credit Card", "ann@x.com",
                     "\"", "\"\"", "a\"b", "line\nbreak", "tab\there", "Zoë Núñez", "\x00",
                     "\ufeff", "\r", ";", "|", ","]),
    st.text(max_size=12),
)


@st.composite
def mangled_csv(draw: st.DrawFn) -> bytes:
    # mostly mild damage, so the checks behind the reader get their share of examples
    delimiter = draw(st.sampled_from([",", ",", ",", ";", "\t", "|", " ", ":", ",;"]))
    header = list(_COLUMNS)
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    if draw(st.integers(0, 5)) == 0:
        header = header[: draw(st.integers(0, len(header)))]
    if header and draw(st.integers(0, 5)) == 0:
        header[draw(st.integers(0, len(header) - 1))] = draw(cell_text)
    count = draw(st.integers(1, len(_ROWS))) if draw(st.integers(0, 7)) else 0
    rows = [list(r) for r in _ROWS[:count]]
    for row in rows:
        if draw(st.integers(0, 3)) == 0:
            row[draw(st.integers(0, len(row) - 1))] = draw(cell_text)
        if draw(st.integers(0, 6)) == 0:
            del row[draw(st.integers(0, len(row) - 1)):]
        if draw(st.integers(0, 6)) == 0:
            row.append(draw(cell_text))
    quote = draw(st.sampled_from(["", "", "\"", "\"", "'"]))
    newline = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    lines = [delimiter.join(f"{quote}{c}{quote}" for c in r) for r in [header, *rows]]
    if draw(st.integers(0, 5)) == 0:  # a title row above the header
        lines.insert(0, "Customer export for Acme Electric")
    text = newline.join(lines) + draw(st.sampled_from(["", newline, newline * 3]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "cp1252", "utf-16",
                                     "latin-1"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.integers(0, 6)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    if draw(st.integers(0, 8)) == 0:
        data += bytes(draw(st.binary(max_size=64)))
    if draw(st.integers(0, 15)) == 0:  # a huge field
        data += (delimiter + "x" * 300_000).encode()
    return data


@st.composite
def mangled_xlsx(draw: st.DrawFn) -> bytes:
    how = draw(st.sampled_from(["truncate", "flip", "drop_member", "garbage_member", "empty"]))
    if how == "truncate":
        return XLSX[: draw(st.integers(0, len(XLSX) - 1))]
    if how == "flip":
        data = bytearray(XLSX)
        for _ in range(draw(st.integers(1, 20))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    source = zipfile.ZipFile(io.BytesIO(XLSX))
    members = source.namelist()
    victim = draw(st.sampled_from(members))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        if how == "empty":
            return out.getvalue() if draw(st.booleans()) else b"PK\x05\x06" + b"\0" * 18
        for name in members:
            if name == victim and how == "drop_member":
                continue
            payload = source.read(name)
            if name == victim:
                payload = draw(st.binary(max_size=200))
            target.writestr(name, payload)
    return out.getvalue()


any_input = st.one_of(
    mangled_csv().map(lambda b: (b, ".csv")),
    mangled_xlsx().map(lambda b: (b, ".xlsx")),
    st.binary(max_size=2000).map(lambda b: (b, draw_suffix(b))),
    st.just((b"", ".csv")),
    st.just((b"", ".xlsx")),
)


def draw_suffix(data: bytes) -> str:
    return [".csv", ".xlsx", ".txt", ".xls"][len(data) % 4]


def _write(folder: Path, data: bytes, suffix: str) -> Path:
    path = folder / f"input-{next(_counter)}{suffix}"
    path.write_bytes(data)
    return path


# -- the reader -------------------------------------------------------------------------------
@FUZZ
@given(case=any_input)
def test_reader_returns_a_text_table_or_an_input_error_naming_the_file(
    tmp_path: Path, case: tuple[bytes, str]
) -> None:
    path = _write(tmp_path, *case)
    try:
        table = read_table(path)
    except InputError as exc:
        assert str(path) in exc.message
        event("InputError")
        return
    event("table")
    assert table.data.num_rows == len(table.row_numbers)
    assert all(str(t) == "string" for t in table.data.schema.types)
    assert table.data.num_columns == len(set(table.data.column_names))


def test_reader_refuses_the_obvious_cases_with_the_file_named(tmp_path: Path) -> None:
    cases = {
        "empty.csv": b"",
        "blank.csv": b"\r\n\r\n  \r\n",
        "utf16.csv": "Account,Name\r\n1,Ann\r\n".encode("utf-16"),
        "truncated.xlsx": XLSX[: len(XLSX) // 2],
        "binary.csv": b"\x00\x01\x02PNG\x00\x00",
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(InputError) as caught:
            read_table(path)
        assert str(path) in caught.value.message, name


# -- the commands that read a file ------------------------------------------------------------
@pytest.fixture(scope="module")
def ready_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with the flag file and the cross-reference done."""
    folder = tmp_path_factory.mktemp("fuzz") / "acme"
    run = convwiz("init", folder, "--biller", "Acme Electric Co-op", "--go-live",
                  "2026-12-14", "--production-bid", "2806", "--allow-past", "--json")
    assert run.code == 0, run.stderr
    build(folder, n=40, seed=3)
    return folder


def _check_run(path: Path, run_command: Callable[[Path], object]) -> None:
    run = run_command(path)
    code, stderr = run.code, run.stderr  # type: ignore[attr-defined]
    event(f"exit {code}")
    assert code in (0, 2, 3, 4), f"exit {code} for {path}:\n{stderr}"
    assert "Traceback" not in stderr
    if code in (2, 3):
        assert path.name in stderr, stderr
    assert run.result.get("exit", 0) == code  # type: ignore[attr-defined]


@FUZZ
@given(case=st.one_of(mangled_csv().map(lambda b: (b, ".csv")),
                      mangled_xlsx().map(lambda b: (b, ".xlsx"))))
def test_export_flags_never_fails_unexpectedly(
    ready_project: Path, tmp_path: Path, case: tuple[bytes, str]
) -> None:
    path = _write(tmp_path, *case)
    _check_run(path, lambda p: convwiz("export-flags", ready_project, "--input", p, "--json"))


@st.composite
def mangled_xref(draw: st.DrawFn) -> bytes:
    olds = [r[1] for r in _ROWS]
    header = draw(st.sampled_from([
        "Old Account Number,New Account Number", "UTI Account;Daffron Account",
        "Legacy Account\tNew Account", "Old,Old", "", "Account Number,Name",
    ]))
    sep = "," if "," in header or not header else (";" if ";" in header else "\t")
    lines = [header]
    for old in olds[: draw(st.integers(0, len(olds)))]:
        new = draw(st.one_of(st.just("7" + old[-9:]), cell_text))
        lines.append(f"{draw(st.one_of(st.just(old), cell_text))}{sep}{new}")
    data = "\r\n".join(lines).encode(draw(st.sampled_from(["utf-8", "cp1252", "utf-16"])),
                                     errors="replace")
    if draw(st.integers(0, 4)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    return data


@FUZZ
@given(case=st.one_of(mangled_xref().map(lambda b: (b, ".csv")),
                      mangled_xlsx().map(lambda b: (b, ".xlsx")),
                      st.binary(max_size=500).map(lambda b: (b, ".csv"))))
def test_import_xref_never_fails_unexpectedly(
    ready_project: Path, tmp_path: Path, case: tuple[bytes, str]
) -> None:
    path = _write(tmp_path, *case)
    _check_run(path, lambda p: convwiz("import-xref", ready_project, "--xref", p, "--json"))


@FUZZ
@given(case=st.one_of(mangled_csv().map(lambda b: (b, ".csv")),
                      mangled_xlsx().map(lambda b: (b, ".xlsx"))))
def test_verify_never_fails_unexpectedly(
    ready_project: Path, tmp_path: Path, case: tuple[bytes, str]
) -> None:
    path = _write(tmp_path, *case)
    _check_run(path, lambda p: convwiz("verify", ready_project, "--post", p, "--json"))


@pytest.mark.parametrize("flag, command", [
    ("--input", "export-flags"), ("--xref", "import-xref"), ("--post", "verify"),
])
def test_a_folder_or_a_missing_file_is_exit_2_naming_it(
    ready_project: Path, tmp_path: Path, flag: str, command: str
) -> None:
    for path in (tmp_path, tmp_path / "no-such-export.csv"):
        run = convwiz(command, ready_project, flag, path, "--json")
        assert run.code == 2, run.stderr
        assert str(path) in run.stderr
