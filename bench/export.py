"""Benchmark `convwiz export-flags` end to end against the floor, in one run.

    python bench/export.py --rows 1000000

It generates N realistic customers (seeded) as a portal export CSV, then times, each the best
of --repeat runs:
- the floor: a fresh Python process in which pyarrow reads the same file with every column
  typed as text and writes it back as CSV (process start and imports included, as they are
  for the command);
- the command: a fresh `python -m wizard export-flags` on a new project (reading, every check,
  the flag file, the Parquet snapshot, the manifest).
It prints both, the ratio (target: within 4x) and the command's peak RSS (target: < 1.5 GB).
The floor inside one process (bench/floor.py) is printed too, for reference.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.floor import floor, floor_process, time_command  # noqa: E402
from wizard.core.generate import customers, write_csv  # noqa: E402


def export_file(rows: int, folder: Path) -> Path:
    path = folder / f"customers_{rows}.csv"
    if not path.exists():
        write_csv(customers(rows, seed=2806), path)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="convwiz-bench-export-"))
    try:
        t = time.perf_counter()
        src = export_file(args.rows, work)
        print(f"generated {args.rows:,} customers ({src.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - t:.1f} s")
        floor_s, floor_mb = floor_process(src, args.repeat)
        floor_in = floor(src, args.repeat)
        best, peak = float("inf"), 0.0
        for i in range(args.repeat):
            project = work / f"project{i}"
            time_command(["init", project, "--biller", "Bench Co-op", "--go-live",
                          "2026-12-14", "--production-bid", "2806", "--allow-past"])
            seconds, rss = time_command(["export-flags", project, "--input", src])
            best, peak = min(best, seconds), max(peak, rss)
            shutil.rmtree(project)
        print(f"floor (process: start, read all-text, write CSV): {floor_s:.2f} s, "
              f"peak RSS {floor_mb:.0f} MB")
        print(f"floor (inside one process, for reference):         {floor_in:.2f} s")
        print(f"convwiz export-flags (process, end to end):        {best:.2f} s")
        print(f"ratio to the floor: {best / floor_s:.2f}x (target <= 4x)")
        print(f"peak RSS of export-flags: {peak:.0f} MB (target < 1500 MB)")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
