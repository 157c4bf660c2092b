"""Benchmark `convwiz verify` at N customers against its floor, and what reading registration
adds to it.

    python bench/verify.py [--customers 1000000] [--seed 2806] [--runs 5] [--keep DIR]

It builds a project whose customer snapshot and cross-reference hold N generated customers,
with the pre-conversion export they came from (`pre_export.csv`), a post-go-live export of
them with a little known drift (`wizard.core.drift`: `post_export.csv`), and the same
export with a registration column (`post_export_registration.csv`: "Registration Date"
holding dates from the go-live on, a few 1900 dates, blanks, Y and N). Then it times, each
as a whole process, in pairs (A B A B ...; the median of the pairs' ratios is the figure,
so a shared machine's drift between pairs cancels out):

1. `python -m wizard verify PROJECT --post post_export.csv --json`, as a user runs it,
   against verify's floor (bench/floor.py): a fresh Python in which pyarrow reads verify's
   inputs, the post-conversion export and the pre-conversion export, all-text and writes
   each back. Target: at most 3x. The drift makes `preserved` false, so the command exits 3
   and writes its exceptions workbook: part of what is timed, as the user waits for it.
2. verify of `post_export_registration.csv` against verify of `post_export.csv`: what
   reading registration adds. Target: at most 1.15x. A build that reads registration says
   so in its JSON (`"registration": {"measured": true, ...}`); the bench prints which kind
   it measured. Against a build that does not read it, the column is ignored and the
   figure is only the cost of a wider file: run it again once registration is merged.

It prints the medians, the ratios, the machine's load before and after, and the peak RSS.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.floor import (  # noqa: E402
    command_env,
    floor_command,
    load_average,
    median,
    paired,
    time_process,
)
from bench.projects import exported_project  # noqa: E402
from wizard.core.drift import post_conversion_export  # noqa: E402
from wizard.core.generate import write_csv  # noqa: E402
from wizard.flow.project import steps  # noqa: E402
from wizard.flow.records import snapshot

TARGET = 3.0  # verify within 3x its floor
REGISTRATION_TARGET = 1.15  # reading registration adds at most 15%
REGISTRATION_HEADER = "Registration Date"


def registration_column(n: int, go_live: date, seed: int) -> tuple[pa.Array, int]:
    """`n` registration values as a portal lists them, and how many mean registered (by the
    contract: a date from the go-live on, or Y): 45% a day of the first two weeks after
    go-live, 2% 1900-01-01 (a placeholder, not a registration), 33% blank, 10% Y, 10% N."""
    draw = pc.random(n, initializer=seed)
    days = pa.array([(go_live + timedelta(days=d)).isoformat() for d in range(14)])
    day = pc.take(days, pc.cast(pc.floor(pc.multiply(pc.random(n, initializer=seed + 1),
                                                     14.0)), pa.int64()))
    values = pc.if_else(pc.less(draw, 0.45), day,
                        pc.if_else(pc.less(draw, 0.47), "1900-01-01",
                                   pc.if_else(pc.less(draw, 0.80), "",
                                              pc.if_else(pc.less(draw, 0.90), "Y", "N"))))
    registered = pc.or_(pc.less(draw, 0.45),
                        pc.and_(pc.greater_equal(draw, 0.80), pc.less(draw, 0.90)))
    return pc.cast(values, pa.string()), int(pc.sum(registered).as_py() or 0)


def build(folder: Path, n: int, seed: int) -> dict[str, Any]:
    """The project of `n` customers with its cross-reference imported, and the three CSVs
    beside it; returns what the bench must know about them (also kept in build.json)."""
    pre = folder / "pre_export.csv"
    project, table = exported_project(folder / "project", n, seed, pre)
    with project:
        old = table.column("account")
        new = pc.binary_join_element_wise("7", pc.utf8_slice_codeunits(old, 1), "")
        xref = pa.table({"row": table.column("row"), "old": old, "new": new})
        with project.writing("bench"):
            snapshot.save(project, snapshot.CROSS_REFERENCE, xref)
            steps.mark_done(project, "cross_reference", mapped=n, unmatched=0, extra=0)
        drift = post_conversion_export(table, xref, seed=seed)
        go_live = project.dates.go_live
    post = write_csv(drift.table, folder / "post_export.csv")
    values, registered = registration_column(drift.table.num_rows, go_live, seed)
    post_registration = write_csv(drift.table.append_column(REGISTRATION_HEADER, values),
                                  folder / "post_export_registration.csv")
    built = {"pre": str(pre), "post": str(post), "post_registration": str(post_registration),
             "registered": registered, "expected": drift.table.num_rows}
    (folder / "build.json").write_text(json.dumps(built))
    return built


def verify_command(project: Path, post: str) -> list[str]:
    return [sys.executable, "-m", "wizard", "verify", str(project), "--post", post, "--json"]


def first_run(command: list[str]) -> dict[str, Any]:
    """Verify once, untimed: its JSON (exit 0 preserved, 3 not); and a warm file cache for
    the timed runs, as the floor has."""
    done = subprocess.run(command, capture_output=True, text=True, check=False,
                          env=command_env())
    if done.returncode not in (0, 3):
        raise SystemExit(f"verify exited {done.returncode}:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _list(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2806)
    parser.add_argument("--runs", type=int, default=5, help="timed pairs of each comparison")
    parser.add_argument("--keep", default=None, help="build the project in this folder and "
                        "reuse it on the next run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="convwiz-bench-verify-") as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        project = root / "project"
        if project.exists() and (root / "build.json").exists():
            built = json.loads((root / "build.json").read_text())
        else:
            t0 = time.perf_counter()
            built = build(root, args.customers, args.seed)
            print(f"built a project of {args.customers:,} customers, its pre-conversion "
                  f"export ({Path(built['pre']).stat().st_size / 1e6:.0f} MB) and post "
                  f"exports ({Path(built['post']).stat().st_size / 1e6:.0f} MB, with "
                  f"registration {Path(built['post_registration']).stat().st_size / 1e6:.0f} "
                  f"MB) in {time.perf_counter() - t0:.1f} s", flush=True)
        plain = verify_command(project, built["post"])
        with_registration = verify_command(project, built["post_registration"])
        result = first_run(plain)
        print(f"verify exits {'0' if result.get('preserved') else '3'}: "
              f"{json.dumps({k: result.get(k) for k in ('customers', 'matched', 'preserved')})}")
        registration = first_run(with_registration).get("registration")
        measured = bool(registration and registration.get("measured"))
        _, peak = time_process(plain, check=False)
        _, peak_registration = time_process(with_registration, check=False)
        floor_dir = Path(tmp) / "floor"
        floor_dir.mkdir()
        print(f"before: {load_average()}", flush=True)
        times, floors, ratios = paired(
            plain, floor_command([built["post"], built["pre"]], floor_dir), args.runs,
            check=False)
        reg_times, plain_times, reg_ratios = paired(with_registration, plain, args.runs,
                                                    check=False)
        print(f"after:  {load_average()}")
        ratio, reg_ratio = median(ratios), median(reg_ratios)
        print(f"floor (process: pyarrow reads the post- and pre-conversion exports all-text, "
              f"writes each back): median {median(floors):.2f} s (runs: {_list(floors)})")
        print(f"convwiz verify (process, end to end): median {median(times):.2f} s "
              f"(runs: {_list(times)}), peak RSS {peak:.0f} MB")
        print(f"ratio to the floor, pair by pair: median {ratio:.2f}x (pairs: {_list(ratios)};"
              f" target {TARGET}x: {'met' if ratio <= TARGET else 'NOT met'})")
        if measured:
            assert registration is not None
            check = ("as built" if (registration.get("registered"), registration.get("expected"))
                     == (built["registered"], built["expected"]) else
                     f"the bench built {built['registered']:,} of {built['expected']:,}")
            what = (f"registration MEASURED: {registration.get('registered'):,} registered of "
                    f"{registration.get('expected'):,} ({check})")
        else:
            what = ("registration NOT measured: this build ignores the column, so the figure "
                    "is only the cost of a wider file; run again once registration reading "
                    "is merged")
        print(f"verify with the {REGISTRATION_HEADER!r} column: {what}")
        print(f"  median {median(reg_times):.2f} s (runs: {_list(reg_times)}) against "
              f"{median(plain_times):.2f} s without (runs: {_list(plain_times)}), peak RSS "
              f"{peak_registration:.0f} MB")
        print(f"  ratio, pair by pair: median {reg_ratio:.3f}x (pairs: {_list(reg_ratios)}; "
              f"target {REGISTRATION_TARGET}x: "
              f"{'met' if reg_ratio <= REGISTRATION_TARGET else 'NOT met'}"
              f"{'' if measured else ', of an unmeasured column'})")
        print(json.dumps({
            "customers": args.customers, "floor_s": round(median(floors), 3),
            "verify_s": round(median(times), 3), "ratio": round(ratio, 2),
            "ratios": [round(r, 2) for r in ratios], "verify_peak_mb": round(peak),
            "registration_measured": measured,
            "verify_registration_s": round(median(reg_times), 3),
            "registration_ratio": round(reg_ratio, 3),
            "registration_ratios": [round(r, 3) for r in reg_ratios],
        }))
    return 0 if ratio <= TARGET and (reg_ratio <= REGISTRATION_TARGET or not measured) else 1


if __name__ == "__main__":
    raise SystemExit(main())
