"""Benchmark: the workbooks against the Rust writer's floor, and the candidate writers.

Builds a project of N generated customers (snapshot and cross-reference), then, each in its
own process (wall seconds, CPU seconds, peak RSS):

- `convwiz report` end to end (reading the snapshots, gathering, writing, hashing), encrypted
  as by default (the password in a test keyring) and plain (`--no-encrypt`), alternately
  `--repeat` times: encryption's cost, goal at most 30% of the plain report's time;
- the Rust writer (`rustpy-xlsxwriter`, rust_xlsxwriter underneath) writing the same cells
  (the same gathered tables, as records prepared before the clock starts): the floor. Goal:
  the report at most 4x the floor, peak RSS under 1 GB;
- an exceptions workbook of W warnings (`services.workbook.write_exceptions`) against the
  Rust writer writing the same Findings cells;
- with `--writers`: each candidate writing the two large sheets' cells (openpyxl write-only,
  xlsxwriter constant_memory, pyexcelerate, the Rust writer, ours).

    python bench/report.py [--customers 300000] [--warnings 500000] [--writers] [--seed 2806]
                           [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.projects import exported_project  # noqa: E402
from wizard.flow.project import steps  # noqa: E402
from wizard.flow.project.project import Project  # noqa: E402
from wizard.flow.records import snapshot  # noqa: E402

TARGET = 4.0
RSS_TARGET_MB = 1024
ENCRYPTION_TARGET = 0.30  # encryption adds at most 30% to report's time
# the child processes keep the workbook password in the tests' keyring, shared through a file
# of the bench's own temporary folder: no real keyring is touched
KEYRING_ENV = {"PYTHON_KEYRING_BACKEND": "tests.helpers.memkeyring.MemoryKeyring"}


def build_project(folder: Path, n: int, seed: int) -> Path:
    """A project with the customer and cross-reference snapshots of `n` customers."""
    project, table = exported_project(folder, n, seed)
    with project:
        old = table.column("account")
        new = pc.binary_join_element_wise("7", pc.utf8_slice_codeunits(old, 1), "")
        xref = pa.table({"row": table.column("row"), "old": old, "new": new})
        snapshot.save(project, snapshot.CROSS_REFERENCE, xref)
        steps.mark_done(project, "cross_reference", mapped=n, unmatched=0, extra=0)
    return folder


# -- the writers, each run in a child process by `--child WRITER PROJECT OUT` -----------------
def _tables(project_dir: Path) -> list[tuple[str, list[str], pa.Table]]:
    from wizard.flow.papers.report import gather

    with Project.open(project_dir) as project:
        _summary, sheets = gather(project)
    return [(s.title, s.headers, s.table) for s in sheets if s.table is not None]


def _warnings(n: int) -> pa.Table:
    from wizard.core.findings import WARNING, Findings
    from wizard.services.workbook import findings_table

    f = Findings()
    f.add_many(list(range(2, n + 2)), "email", [f"user{i}@example" for i in range(n)], WARNING,
               "the email address is not valid", "Correct the email address in the portal")
    f.accounts = [f"{i:010d}" for i in range(n)]
    f.names = [f"Customer {i}" for i in range(n)]
    return findings_table(f)


def child(writer: str, source: str, out: Path) -> None:
    """Write `source` (a project folder, or `warnings:N`) with `writer`."""
    if source.startswith("warnings:"):
        n = int(source.split(":")[1])
        if writer == "ours":
            from wizard.core.findings import WARNING, Findings
            from wizard.services.workbook import write_exceptions

            f = Findings()
            f.add_many(list(range(2, n + 2)), "email", [f"user{i}@example" for i in range(n)],
                       WARNING, "the email address is not valid",
                       "Correct the email address in the portal")
            f.accounts = [f"{i:010d}" for i in range(n)]
            f.names = [f"Customer {i}" for i in range(n)]
            _mark()
            write_exceptions(out, f, "customers.csv", "Flag file")
            return
        tables = [("Findings", ["Row", "Account", "Customer name", "Field", "Value",
                                "Severity", "Rule", "What to do"], _warnings(n))]
    else:
        if writer in ("convwiz", "convwiz-plain"):
            from wizard.cli import main

            plain = ["--no-encrypt"] if writer == "convwiz-plain" else []
            raise SystemExit(main(["report", source, "--out", str(out), "--json", *plain]))
        tables = _tables(Path(source))
        if writer == "ours-sheets":
            from wizard.services.workbook import Book, Column, TableSheet

            book = Book("bench")
            for title, headers, table in tables:
                book.table_sheet(TableSheet(title, [Column(h, 12) for h in headers], table))
            book.save(out)
            return
    # records prepared before the clock the parent reads (CPU from here is the writer's)
    if writer == "rust":
        import rustpy_xlsxwriter as rx

        records = [(t, [dict(zip(h, r.values())) for r in tab.to_pylist()])
                   for t, h, tab in tables]
        _mark()
        rx.write_worksheets(list(records), str(out))
    elif writer == "openpyxl":
        from openpyxl import Workbook

        rows = [(t, h, list(zip(*(c.to_pylist() for c in tab.columns)))) for t, h, tab in tables]
        _mark()
        wb = Workbook(write_only=True)
        for t, h, rs in rows:
            ws = wb.create_sheet(t)
            ws.append(h)
            for r in rs:
                ws.append(r)
        wb.save(out)
    elif writer == "xlsxwriter":
        import xlsxwriter

        rows = [(t, h, list(zip(*(c.to_pylist() for c in tab.columns)))) for t, h, tab in tables]
        _mark()
        wb = xlsxwriter.Workbook(str(out), {"constant_memory": True,
                                            "strings_to_formulas": False,
                                            "tmpdir": str(out.parent)})
        for t, h, rs in rows:
            ws = wb.add_worksheet(t)
            ws.write_row(0, 0, h)
            for i, r in enumerate(rs, start=1):
                ws.write_row(i, 0, r)
        wb.close()
    elif writer == "pyexcelerate":
        from pyexcelerate import Workbook as PxWorkbook

        rows = [(t, [h, *zip(*(c.to_pylist() for c in tab.columns))]) for t, h, tab in tables]
        _mark()
        pwb = PxWorkbook()
        for t, rs in rows:
            pwb.new_sheet(t, data=rs)
        pwb.save(str(out))
    else:
        raise SystemExit(f"unknown writer {writer}")


_MARK: list[float] = []


def _mark() -> None:
    """Where the writer's own work starts: CPU and wall before it are preparation."""
    import resource

    u = resource.getrusage(resource.RUSAGE_SELF)
    _MARK[:] = [u.ru_utime + u.ru_stime, time.time()]


_MEASURE = (
    "import atexit, resource, sys, time\n"
    "_start = time.time()\n"
    "def _done(out=sys.argv.pop(1)):\n"
    "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
    "    u = resource.getrusage(resource.RUSAGE_SELF)\n"
    "    import bench.report as b\n"
    "    cpu0, wall0 = b._MARK if b._MARK else (0.0, _start)\n"
    "    open(out, 'w').write(f'{u.ru_utime + u.ru_stime - cpu0} {time.time() - wall0} '\n"
    "                         f'{hwm.split()[1]}')\n"
    "atexit.register(_done)\n"
    f"sys.path.insert(0, {str(ROOT)!r})\n"
)


def measured(writer: str, source: str, out: Path) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of one writer in a new Python."""
    code = ("from pathlib import Path\nimport bench.report as b\n"
            "b.child(sys.argv[1], sys.argv[2], Path(sys.argv[3]))\n")
    env = {**os.environ, **KEYRING_ENV,
           "CONVWIZ_TEST_KEYRING": str(out.parent / "bench-keyring.json")}
    with tempfile.NamedTemporaryFile(suffix=".measure") as m:
        proc = subprocess.run([sys.executable, "-c", _MEASURE + code, m.name, writer, source,
                               str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, env=env, cwd=ROOT)
        if proc.returncode != 0:
            raise RuntimeError(f"{writer} failed:\n{proc.stderr[-2000:]}")
        cpu, wall, hwm_kib = Path(m.name).read_text().split()
    return float(wall), float(cpu), int(hwm_kib) / 1024


def _median(runs: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Each figure's median over the runs."""
    columns = list(zip(*runs))
    return (statistics.median(columns[0]), statistics.median(columns[1]),
            statistics.median(columns[2]))


def line(what: str, got: tuple[float, float, float], floor: tuple[float, float, float] | None
         ) -> str:
    wall, cpu, peak = got
    text = f"{what:<34} {wall:7.2f} s wall {cpu:7.2f} s CPU  peak {peak:6.0f} MB"
    if floor:
        text += f"  {wall / floor[0]:5.2f}x wall {cpu / floor[1]:5.2f}x CPU of the Rust floor"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=300_000)
    parser.add_argument("--warnings", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=2806)
    parser.add_argument("--writers", action="store_true",
                        help="also time openpyxl, xlsxwriter, pyexcelerate on the same cells")
    parser.add_argument("--keep", default=None, help="build the project in this folder")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of the encrypted and the plain report, alternately")
    args = parser.parse_args()
    results: dict[str, object] = {"customers": args.customers, "warnings": args.warnings}
    with tempfile.TemporaryDirectory(prefix="convwiz-bench-report-") as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        folder = root / "project"
        t0 = time.perf_counter()
        build_project(folder, args.customers, args.seed)
        print(f"built a project of {args.customers:,} customers in "
              f"{time.perf_counter() - t0:.1f} s", flush=True)

        rust = measured("rust", str(folder), root / "rust.xlsx")
        print(line("Rust writer, same cells (floor)", rust, None), flush=True)
        encrypted_runs, plain_runs = [], []
        for _ in range(args.repeat):  # alternately: a drifting machine moves both alike
            encrypted_runs.append(measured("convwiz", str(folder), root / "report.xlsx"))
            plain_runs.append(measured("convwiz-plain", str(folder), root / "plain.xlsx"))
        report, plain = _median(encrypted_runs), _median(plain_runs)
        print(line("convwiz report, plain", plain, rust), flush=True)
        print(line("convwiz report (encrypted, default)", report, rust), flush=True)
        added = report[0] / plain[0] - 1
        print(f"encryption adds {added:.0%} wall, {report[1] / plain[1] - 1:.0%} CPU, "
              f"{report[2] - plain[2]:.0f} MB peak to report (medians of {args.repeat}; "
              f"target <= {ENCRYPTION_TARGET:.0%}); the encrypted file "
              f"{(root / 'report.xlsx').stat().st_size / 1e6:.1f} MB, the plain "
              f"{(root / 'plain.xlsx').stat().st_size / 1e6:.1f} MB", flush=True)
        results.update(plain_s=round(plain[0], 2), plain_cpu_s=round(plain[1], 2),
                       plain_peak_mb=round(plain[2]), encryption_added=round(added, 3))
        ratio = report[0] / rust[0]
        results.update(report_s=round(report[0], 2), report_cpu_s=round(report[1], 2),
                       rust_s=round(rust[0], 2), rust_cpu_s=round(rust[1], 2),
                       report_ratio=round(ratio, 2),
                       report_cpu_ratio=round(report[1] / rust[1], 2),
                       report_peak_mb=round(report[2]))
        if args.writers:
            for writer in ("ours-sheets", "openpyxl", "xlsxwriter", "pyexcelerate"):
                got = measured(writer, str(folder), root / f"{writer}.xlsx")
                print(line(writer + ", same cells", got, rust), flush=True)
                results[f"{writer}_s"] = round(got[0], 2)
        print(f"report: {ratio:.2f}x the Rust floor (target <= {TARGET}x), peak RSS "
              f"{report[2]:.0f} MB (target < {RSS_TARGET_MB} MB)", flush=True)

        if args.warnings:
            source = f"warnings:{args.warnings}"
            w_rust = measured("rust", source, root / "w_rust.xlsx")
            print(line(f"Rust writer, {args.warnings:,} warnings", w_rust, None), flush=True)
            w_ours = measured("ours", source, root / "w_ours.xlsx")
            print(line("exceptions workbook", w_ours, w_rust), flush=True)
            print(f"exceptions: {w_ours[0] / w_rust[0]:.2f}x the Rust floor (target <= "
                  f"{TARGET}x), peak RSS {w_ours[2]:.0f} MB", flush=True)
            results.update(exceptions_s=round(w_ours[0], 2), exceptions_rust_s=round(
                w_rust[0], 2), exceptions_ratio=round(w_ours[0] / w_rust[0], 2),
                exceptions_peak_mb=round(w_ours[2]))
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
