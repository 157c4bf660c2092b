"""Benchmark: `convwiz report` (the biller workbook) and `convwiz verify` at N customers.

Builds a project with a customer snapshot and a cross-reference of N generated customers,
writes a post-go-live export with a little known drift, then, each in its own process:

- `convwiz verify` against the export floor (`bench/floor.py`, as bench/export.py: a process
  reading the N-customer portal export all-text and writing it back); target 4x;
- `convwiz report` end to end (reading the snapshots, gathering, writing, hashing) against
  bare openpyxl write-only mode writing the same cells (the same gathered tables, each row
  appended as plain values, no screening, no styles) in the same run; target 1.3x, and a
  peak RSS under 1 GB.

    python bench/report.py [--customers 1000000] [--seed 2806] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.floor import floor_process  # noqa: E402
from bench.projects import exported_project  # noqa: E402
from wizard.core.drift import post_conversion_export  # noqa: E402
from wizard.core.generate import customers, write_csv  # noqa: E402
from wizard.flow import snapshot, steps  # noqa: E402
from wizard.flow.project import Project  # noqa: E402

REPORT_TARGET = 1.3
VERIFY_TARGET = 4.0
RSS_TARGET_MB = 1024


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


def bare(project_dir: Path, out: Path) -> None:
    """Bare openpyxl write-only: the same gathered cells, appended as plain values."""
    from openpyxl import Workbook

    from wizard.flow.report import gather

    with Project.open(project_dir) as project:
        summary, sheets = gather(project)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Summary")
    for label, value in summary.lines:
        ws.append([label, value])
    for measure, before, after in summary.chart_rows:
        ws.append([measure, before, after])
    for sheet in sheets:
        ws = wb.create_sheet(sheet.title)
        ws.append(sheet.headers)
        if sheet.table is None:
            continue
        for batch in sheet.table.to_batches(max_chunksize=20_000):
            for row in zip(*(c.to_pylist() for c in batch.columns)):
                ws.append(row)
    wb.save(out)


# Run in the child before anything else: on exit it writes its own CPU seconds and its
# memory high-water mark (VmHWM: this process image's alone; `ru_maxrss` from `wait4` would
# also count the benchmark's own memory, inherited across fork and exec).
_MEASURE = (
    "import atexit, resource, sys\n"
    "def _done(out=sys.argv.pop(1)):\n"
    "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
    "    u = resource.getrusage(resource.RUSAGE_SELF)\n"
    "    open(out, 'w').write(f'{u.ru_utime + u.ru_stime} {hwm.split()[1]}')\n"
    "atexit.register(_done)\n"
)


def measured(code: str, argv: list[str]) -> tuple[float, float, float]:
    """Run `code` (with sys.argv = argv) in a new Python; (wall s, CPU s, peak RSS MB).

    CPU seconds are what the comparison uses: the machine is shared, and wall time
    measures the neighbours as much as the code."""
    with tempfile.NamedTemporaryFile(suffix=".measure") as out:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", _MEASURE + code, out.name, *argv],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"{argv} failed:\n{proc.stderr[-2000:]}")
        cpu, hwm_kib = Path(out.name).read_text().split()
    return wall, float(cpu), int(hwm_kib) / 1024


def convwiz(*argv: object) -> tuple[float, float, float]:
    return measured("from wizard.cli import main\nrc = main(sys.argv[1:])\n"
                    "sys.exit(rc)\n", [str(a) for a in argv])


def bare_process(project: Path, out: Path) -> tuple[float, float, float]:
    return measured(f"sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})\n"
                    "from bench.report import bare\nfrom pathlib import Path\n"
                    "bare(Path(sys.argv[1]), Path(sys.argv[2]))\n", [str(project), str(out)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2806)
    parser.add_argument("--keep", default=None, help="build the project in this folder")
    parser.add_argument("--bare", nargs=2, metavar=("PROJECT", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--skip-verify", action="store_true")
    parser.add_argument("--skip-report", action="store_true")
    args = parser.parse_args()
    if args.bare:
        bare(Path(args.bare[0]), Path(args.bare[1]))
        return 0

    with tempfile.TemporaryDirectory(prefix="convwiz-bench-report-") as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        folder = root / "project"
        t0 = time.perf_counter()
        build_project(folder, args.customers, args.seed)
        print(f"built a project of {args.customers:,} customers in "
              f"{time.perf_counter() - t0:.1f} s", flush=True)
        results: dict[str, object] = {"customers": args.customers}

        if not args.skip_verify:
            with Project.open(folder) as project:
                drift = post_conversion_export(
                    snapshot.load(project, snapshot.CUSTOMERS),
                    snapshot.load(project, snapshot.CROSS_REFERENCE), seed=args.seed)
            post = write_csv(drift.table, root / "post_export.csv")
            del drift
            export_csv = write_csv(customers(args.customers, args.seed),
                                   root / "customers_export.csv")
            floor_s, _floor_mb = floor_process(export_csv)
            # the best of three, as bench/export.py and bench/xref.py take theirs
            wall, cpu, peak = min(convwiz("verify", folder, "--post", post, "--json")
                                  for _ in range(3))
            print(f"verify: {wall:.2f} s wall ({cpu:.2f} s CPU), floor {floor_s:.2f} s, "
                  f"ratio {wall / floor_s:.2f}x (target <= {VERIFY_TARGET}x), peak RSS "
                  f"{peak:.0f} MB", flush=True)
            results.update(verify_s=round(wall, 2), verify_cpu_s=round(cpu, 2),
                           floor_s=round(floor_s, 2), verify_ratio=round(wall / floor_s, 2),
                           verify_peak_mb=round(peak))

        if args.skip_report:
            print(json.dumps(results))
            return 0
        wall, cpu, peak = convwiz("report", folder, "--json")
        print(f"report: {wall:.2f} s wall, {cpu:.2f} s CPU, peak RSS {peak:.0f} MB",
              flush=True)
        b_wall, b_cpu, b_peak = bare_process(folder, root / "bare.xlsx")
        print(f"bare openpyxl write-only, same cells: {b_wall:.2f} s wall, {b_cpu:.2f} s CPU, "
              f"peak RSS {b_peak:.0f} MB")
        ratio = cpu / b_cpu
        print(f"report / bare = {ratio:.2f}x CPU ({wall / b_wall:.2f}x wall) (target <= "
              f"{REPORT_TARGET}x); peak RSS {peak:.0f} MB (target < {RSS_TARGET_MB} MB)")
        results.update(report_s=round(wall, 2), report_cpu_s=round(cpu, 2),
                       bare_s=round(b_wall, 2), bare_cpu_s=round(b_cpu, 2),
                       report_ratio=round(ratio, 2), report_peak_mb=round(peak),
                       bare_peak_mb=round(b_peak))
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
