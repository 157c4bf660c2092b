"""Peak memory and time of `convwiz export-flags` on each hostile input (issue 30).

    python bench/hostile.py [--only NAME ...] [--real-rows N]

Builds each hostile file of `tests/helpers/hostile_files.py` (and the CSVs below, among them
real exports of 2,000,000 customers as a portal, a spreadsheet and Windows-1252 write them,
which the limits must let through) in a temporary folder, runs `python -m wizard
export-flags` on it in a fresh project as its own process, and prints its exit status, wall
time, peak RSS and the start of its message.
Targets: never an abort, under 1 GB and 30 s on a 2-core machine. `--real-rows N` adds a
real export of N customers as an XLSX, to compare with. POSIX only (bench/floor.py's
launcher measures the process with wait4).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.floor import _LAUNCHER, _kib_to_mb, command_env, load_average  # noqa: E402
from tests.helpers import hostile_files as h  # noqa: E402
from wizard.core import generate  # noqa: E402

# a customer export's header and first row, for the files built byte by byte below
FIRST_ROWS = (b"Customer Name,Account Number,Email,Paperless,Autopay,Payment Method,Last 4\r\n"
              b"Ann,1,a@example.com,Y,N,card,1234\r\n")


def nul_far_in(folder: Path) -> Path:
    """A NUL inside a name at byte 360,000 of a CSV."""
    path = generate.write_csv(generate.customers(6000, seed=7), folder / "nul_360k.csv")
    data = path.read_bytes()
    at = data.index(b"\n", 360_000) + 3
    path.write_bytes(data[:at] + b"\x00" + data[at:])
    return path


def long_header(folder: Path) -> Path:
    path = folder / "long_header.csv"
    path.write_bytes(b"Customer Name," + b"X" * 300_000 + b",Account Number\r\nAnn,1\r\n")
    return path


def value_200mb(folder: Path) -> Path:
    path = folder / "value_200mb.csv"
    with open(path, "wb") as out:
        out.write(FIRST_ROWS + b'Bob,2,"')
        block = b"x" * 1024**2
        for _ in range(200):
            out.write(block)
        out.write(b'",Y,N,card,1234\r\n')
    return path


CSV_CUSTOMERS = 2_000_000  # a real export's size that the text limits must let through


def csv_real(folder: Path) -> Path:
    """A real export of 2,000,000 customers as a portal writes it (205 MB)."""
    return generate.write_csv(generate.customers(CSV_CUSTOMERS, seed=2806), folder / "real.csv")


def csv_saved_by_excel(folder: Path) -> Path:
    """The same, as a spreadsheet saves it: a row in ten without its empty last cell."""
    full = csv_real(folder)
    path = folder / "saved_by_excel.csv"
    with open(full, "rb") as rows, open(path, "wb") as out:
        for number, line in enumerate(rows):
            out.write(line.rsplit(b",", 1)[0] + b"\n" if number % 10 == 5 else line)
    full.unlink()
    return path


def csv_windows_1252(folder: Path) -> Path:
    """The same in Windows-1252, with one curly apostrophe (beyond Latin-1) at the end."""
    full = csv_real(folder)
    path = folder / "windows_1252.csv"
    with open(full, encoding="utf-8", newline="") as rows, \
            open(path, "w", encoding="cp1252", newline="") as out:
        for line in rows:
            out.write(line)
        out.write('"Pat O\u2019Brien","0000000002","","N","Y","Credit Card","1234","1 Main",'
                  '"555-0100"\n')
    full.unlink()
    return path


def csv_past_limit(folder: Path) -> Path:
    """A header, a row, and the rest of 256 MB and one byte (sparse where it can be)."""
    from wizard.core import limits

    path = folder / "past_limit.csv"
    with open(path, "wb") as out:
        out.write(FIRST_ROWS)
        out.seek(limits.MAX_TEXT_BYTES)
        out.write(b"\n")
    return path


BUILDERS: dict[str, Callable[[Path], Path]] = {
    "far_cell_declared": h.far_cell_declared, "far_cell_lying": h.far_cell_lying,
    "far_cell_quoted": h.far_cell_quoted, "sparse": h.sparse, "far_row": h.far_row,
    "bomb_sheet": h.bomb_sheet, "bomb_strings": h.bomb_strings, "bomb_3gb": h.bomb_3gb,
    "lying_directory": h.lying_directory, "extreme_ratio": h.extreme_ratio,
    "many_parts": h.many_parts, "huge_string_count": h.huge_string_count,
    "giant_text": h.giant_text, "sparse_within_limits": h.sparse_within_limits,
    "far_cell_midway": h.far_cell_midway, "row_overflow": h.far_cell_row_overflow,
    "column_overflow": h.far_cell_column_overflow, "unplaced_far_row": h.unplaced_far_row,
    "far_cell_renamed": h.far_cell_renamed,
    "nul_360k": nul_far_in, "long_header": long_header, "value_200mb": value_200mb,
    "csv_real_2m": csv_real, "csv_saved_by_excel_2m": csv_saved_by_excel,
    "csv_windows_1252_2m": csv_windows_1252, "csv_past_limit": csv_past_limit,
}


def run_one(name: str, build: Callable[[Path], Path], work: Path) -> None:
    folder = work / name
    folder.mkdir()
    started = time.perf_counter()
    source = build(folder)
    built = time.perf_counter() - started
    project = folder / "project"
    subprocess.run([sys.executable, "-m", "wizard", "init", str(project), "--biller", "Bench",
                    "--go-live", "2026-12-14", "--production-bid", "2806", "--allow-past"],
                   check=True, capture_output=True, env=command_env())
    report, err = folder / "rusage.json", folder / "stderr.txt"
    with open(err, "wb") as stderr:
        # bench/floor.py's launcher: the command's own wall time, peak RSS and exit status
        subprocess.run([sys.executable, "-c", _LAUNCHER, str(report), sys.executable, "-m",
                        "wizard", "export-flags", str(project), "--input", str(source)],
                       stdout=subprocess.DEVNULL, stderr=stderr, env=command_env(), check=False)
    usage = json.loads(report.read_text())
    message = next((ln for ln in err.read_text(encoding="utf-8", errors="replace").splitlines()
                    if ln.startswith("convwiz:")), "")
    message = message.replace(str(source), source.name)[9:130]
    print(f"{name:22} {source.stat().st_size / 1024**2:8.2f} MB  built {built:5.1f} s  "
          f"exit {usage['code']:>3}  {usage['seconds']:6.2f} s  "
          f"peak {_kib_to_mb(usage['maxrss']):6.0f} MB  {message}", flush=True)
    shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(BUILDERS), default=None)
    parser.add_argument("--real-rows", type=int, default=0,
                        help="also a real export of this many customers as an XLSX")
    args = parser.parse_args()
    print(f"machine: {load_average()}")
    work = Path(tempfile.mkdtemp(prefix="convwiz-bench-hostile-"))
    try:
        for name in args.only or BUILDERS:
            run_one(name, BUILDERS[name], work)
        if args.real_rows:
            rows = args.real_rows
            run_one(f"real_{rows}", lambda folder: generate.write_xlsx(
                generate.customers(rows, seed=2806), folder / "real.xlsx"), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
