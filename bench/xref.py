"""Benchmark: `convwiz import-xref` on a million-row cross-reference, against the floor.

Builds a project whose customer snapshot holds N generated customers, writes the provider's
cross-reference for all of them (shuffled, as a provider would list them), then times the
command end to end in its own process (start-up, reading, every check, the update, the
rollback, the snapshot) and compares it with the same floor as bench/export.py: pyarrow, in a
fresh process, reading the N-customer portal export all-text and writing it back as CSV
(`bench/floor.py`). The target is within 4x that floor. The floor of the (much smaller)
cross-reference file itself is printed too, for reference.

    python bench/xref.py [--customers 1000000] [--seed 2806] [--keep DIR]
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

from bench.floor import floor, floor_process, peak_rss_mb, time_command  # noqa: E402
from bench.projects import exported_project  # noqa: E402
from wizard.core.arrays import row_numbers  # noqa: E402
from wizard.core.generate import customers  # noqa: E402
from wizard.core.generate import write_csv as write_generated_csv  # noqa: E402
from wizard.flow.project import Project  # noqa: E402
from wizard.services.csvfile import write_csv  # noqa: E402

TARGET = 4.0


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
    parser.add_argument("--keep", type=Path, default=None,
                        help="build the project here and keep it (default: a temporary one)")
    args = parser.parse_args(argv)
    n = args.customers

    with tempfile.TemporaryDirectory(prefix="convwiz-bench-xref-") as tmp:
        base = args.keep or Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        project, table = exported_project(base / "project", n, args.seed)
        xref = write_cross_reference(base / "cross_reference.csv", table.column("account"),
                                     args.seed)
        project.close()
        print(f"built {n:,} customers and their cross-reference "
              f"({xref.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s")

        export_csv = base / "customers_export.csv"
        write_generated_csv(customers(n, args.seed), export_csv)
        floor_s = floor(xref)
        floor_proc_s, floor_mb = floor_process(export_csv)
        xref_floor_proc_s, _ = floor_process(xref)
        # the best of three (each a full re-import), as bench/export.py takes its own
        seconds, peak = min(time_command(["import-xref", base / "project", "--xref", xref,
                                          "--json"]) for _ in range(3))
        with Project.open(base / "project") as p:
            entry = p.store.latest_file("ic_account_update")
            rows = entry.rows if entry else 0
        ratio = seconds / floor_s if floor_s else float("inf")
        ratio_proc = seconds / floor_proc_s if floor_proc_s else float("inf")
        print(f"floor of the cross-reference file: {floor_s:.2f} s in process, "
              f"{xref_floor_proc_s:.2f} s as a process (reference)")
        print(f"floor of bench/export.py (a process reading the {n:,}-customer export "
              f"all-text and writing it back): {floor_proc_s:.2f} s, peak RSS {floor_mb:.0f} MB")
        print(f"import-xref end to end ({rows or 0:,} rows in the update): {seconds:.2f} s, "
              f"peak RSS {peak:.0f} MB")
        print(f"  {ratio_proc:.1f}x the export floor (target {TARGET:.0f}x: "
              f"{'met' if ratio_proc <= TARGET else 'NOT met'}); {ratio:.1f}x the "
              "cross-reference file's own in-process floor")
        print(json.dumps({"customers": n, "floor_s": round(floor_s, 3),
                          "floor_process_s": round(floor_proc_s, 3),
                          "import_xref_s": round(seconds, 3), "ratio": round(ratio, 2),
                          "ratio_process": round(ratio_proc, 2), "peak_rss_mb": round(peak),
                          "bench_peak_rss_mb": round(peak_rss_mb()), "update_rows": rows}))
    return 0 if ratio_proc <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
