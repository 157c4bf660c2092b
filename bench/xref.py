"""Benchmark: `convwiz import-xref` on a million-row cross-reference, against its floor.

Builds a project whose customer snapshot holds N generated customers (and the pre-conversion
export they came from, as CSV), writes the provider's cross-reference for all of them
(shuffled, as a provider would list them), then times the command end to end in its own
process (start-up, reading, every check, the update, the rollback, the snapshot) against
import-xref's floor (bench/floor.py): a fresh Python in which pyarrow reads the step's input
CSVs, the cross-reference and the pre-conversion export, all-text and writes each back.
The two run in turn (A B A B ...) and each pair gives a ratio; the median ratio is the
figure (target: at most 3x). The machine's load is printed beside it.

    python bench/xref.py [--customers 1000000] [--seed 2806] [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.floor import (  # noqa: E402
    floor,
    floor_command,
    load_average,
    median,
    paired,
    peak_rss_mb,
    time_process,
)
from bench.projects import exported_project  # noqa: E402
from wizard.core.arrays import row_numbers  # noqa: E402
from wizard.flow.project.project import Project  # noqa: E402
from wizard.services.csvfile import write_csv  # noqa: E402

TARGET = 3.0


def write_cross_reference(path: Path, accounts: pa.ChunkedArray, seed: int) -> Path:
    """The provider's file: every old account with a new Daffron number, shuffled."""
    n = len(accounts)
    order = list(range(n))
    random.Random(seed + 1).shuffle(order)
    old = accounts.take(pa.array(order, pa.int64()))
    new = pc.binary_join_element_wise(
        "D", pc.utf8_lpad(pc.cast(row_numbers(1, n), pa.string()), 9, "0"), "")
    write_csv(path, ["UTI Account Number", "Daffron Account Number"],
              pa.table({"old": old, "new": new}))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2806)
    parser.add_argument("--runs", type=int, default=5, help="timed pairs (default 5)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="build the project here and reuse it on the next run "
                             "(default: a temporary one)")
    args = parser.parse_args(argv)
    n = args.customers

    with tempfile.TemporaryDirectory(prefix="convwiz-bench-xref-") as tmp:
        base = args.keep or Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        xref, pre = base / "cross_reference.csv", base / "customers_export.csv"
        if not ((base / "project").exists() and xref.exists() and pre.exists()):
            start = time.perf_counter()
            project, table = exported_project(base / "project", n, args.seed, pre)
            write_cross_reference(xref, table.column("account"), args.seed)
            project.close()
            print(f"built {n:,} customers, their pre-conversion export "
                  f"({pre.stat().st_size / 1e6:.0f} MB) and cross-reference "
                  f"({xref.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s",
                  flush=True)
        command = [sys.executable, "-m", "wizard", "import-xref", str(base / "project"),
                   "--xref", str(xref), "--json"]
        _, peak = time_process(command)
        print(f"before: {load_average()}", flush=True)
        floor_dir = Path(tmp) / "floor"
        floor_dir.mkdir()
        # each run of import-xref is a full re-import of the same file
        times, floors, ratios = paired(command, floor_command([xref, pre], floor_dir),
                                       args.runs)
        print(f"after:  {load_average()}")
        with Project.open(base / "project") as p:
            entry = p.store.latest_file("ic_account_update")
            rows = entry.rows if entry else 0
        ratio = median(ratios)
        floor_in = floor([xref, pre])
        print(f"floor (process: pyarrow reads the cross-reference and the pre-conversion "
              f"export all-text, writes each back): median {median(floors):.2f} s "
              f"(runs: {_list(floors)}); inside one process {floor_in:.2f} s")
        print(f"import-xref end to end ({rows or 0:,} rows in the update): median "
              f"{median(times):.2f} s (runs: {_list(times)}), peak RSS {peak:.0f} MB")
        print(f"ratio to the floor, pair by pair: median {ratio:.2f}x (pairs: "
              f"{_list(ratios)}; target {TARGET:.0f}x: {'met' if ratio <= TARGET else 'NOT met'})")
        print(json.dumps({"customers": n, "floor_s": round(median(floors), 3),
                          "import_xref_s": round(median(times), 3), "ratio": round(ratio, 2),
                          "ratios": [round(r, 2) for r in ratios], "peak_rss_mb": round(peak),
                          "bench_peak_rss_mb": round(peak_rss_mb()), "update_rows": rows}))
    return 0 if ratio <= TARGET else 1


def _list(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    raise SystemExit(main())
