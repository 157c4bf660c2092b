"""The floor every benchmark is measured against, and helpers to time `convwiz` commands.

The floor is the least any step that reads a CSV and writes a CSV can cost: pyarrow reading
the file with every column typed as text (as `wizard.core.reader` does: no type inference)
and writing it straight back as CSV. A step "within 4x the floor" takes at most four times
that on the same file.

    from bench.floor import floor, time_command
    floor_s = floor(Path("customers.csv"))
    seconds, peak_mb = time_command(["export-flags", project, "--input", "customers.csv"])
    process_floor_s, floor_mb = floor_process(Path("customers.csv"))  # start-up included

Run as a script to print the floor of a file: `python bench/floor.py FILE`.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv


def _header(csv_path: Path) -> list[str]:
    """The file's column names (its first line)."""
    with open(csv_path, encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle))


def floor(csv_path: Path | str, repeat: int = 3) -> float:
    """Seconds for pyarrow to read `csv_path` with every column as text and write it back as
    CSV (the best of `repeat` runs, so a busy machine's hiccup does not raise the floor)."""
    csv_path = Path(csv_path)
    names = _header(csv_path)
    best = float("inf")
    with tempfile.TemporaryDirectory(prefix="convwiz-floor-") as tmp:
        out = Path(tmp) / "out.csv"
        for _ in range(max(1, repeat)):
            start = time.perf_counter()
            table = pacsv.read_csv(
                csv_path,
                read_options=pacsv.ReadOptions(block_size=1 << 24),
                parse_options=pacsv.ParseOptions(newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    column_types={n: pa.string() for n in names},
                    strings_can_be_null=False,
                ),
            )
            pacsv.write_csv(table, out, pacsv.WriteOptions(eol="\r\n"))
            best = min(best, time.perf_counter() - start)
            del table
    return best


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports KiB)."""
    return _kib_to_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def time_command(argv: Sequence[object], env: dict[str, str] | None = None,
                 check: bool = True) -> tuple[float, float]:
    """Run `python -m wizard ARGV...` as its own process; return (wall seconds, that
    process's peak RSS in MB). With `check`, a non-zero exit raises with the end of the
    command's standard error."""
    return time_process([sys.executable, "-m", "wizard", *[str(a) for a in argv]], env, check)


# Runs the measured command from a small, fresh process. On Linux a child's peak RSS starts
# at its parent's RSS at fork time (exec keeps that high-water mark), so a command forked
# straight from a benchmark holding a million rows would report the benchmark's peak, not
# its own. The launcher is small, so its child's high-water mark is the command's own.
_LAUNCHER = """
import json, os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:])
_pid, status, usage = os.wait4(proc.pid, 0)
seconds = time.perf_counter() - start
with open(sys.argv[1], "w") as out:
    json.dump({"seconds": seconds, "maxrss": usage.ru_maxrss,
               "code": os.waitstatus_to_exitcode(status)}, out)
"""


def time_process(args: Sequence[str], env: dict[str, str] | None = None,
                 check: bool = True) -> tuple[float, float]:
    """Run `args` as a process; return (wall seconds, its own peak RSS in MB), both measured
    by a small launcher process (see `_LAUNCHER`). With `check`, a non-zero exit raises
    with the end of the command's standard error."""
    with tempfile.TemporaryDirectory(prefix="convwiz-time-") as tmp:
        report = Path(tmp) / "rusage.json"
        err_path = Path(tmp) / "stderr"
        with open(err_path, "wb") as err:
            subprocess.run([sys.executable, "-c", _LAUNCHER, str(report), *args],
                           stdout=subprocess.DEVNULL, stderr=err,
                           env={**os.environ, **(env or {})}, check=False)
        result = json.loads(report.read_text())
        if check and result["code"] != 0:
            raise RuntimeError(f"{' '.join(args)} exited {result['code']}:\n"
                               f"{err_path.read_bytes().decode(errors='replace')[-2000:]}")
    return float(result["seconds"]), _kib_to_mb(int(result["maxrss"]))


_FLOOR_SCRIPT = """
import csv, sys
import pyarrow as pa, pyarrow.csv as pacsv
src, dst = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8-sig", newline="") as h:
    names = next(csv.reader(h))
t = pacsv.read_csv(src, read_options=pacsv.ReadOptions(block_size=1 << 24),
                   parse_options=pacsv.ParseOptions(newlines_in_values=True),
                   convert_options=pacsv.ConvertOptions(
                       column_types={n: pa.string() for n in names}, strings_can_be_null=False))
pacsv.write_csv(t, dst, pacsv.WriteOptions(eol="\\r\\n"))
"""


def floor_process(csv_path: Path | str, repeat: int = 3) -> tuple[float, float]:
    """The floor as a whole process, comparable with `time_command`: a fresh Python that
    imports pyarrow, reads `csv_path` all-text and writes it back. Returns (best seconds of
    `repeat`, peak RSS MB of that run)."""
    best: tuple[float, float] = (float("inf"), 0.0)
    with tempfile.TemporaryDirectory(prefix="convwiz-floor-") as tmp:
        for _ in range(max(1, repeat)):
            result = time_process([sys.executable, "-c", _FLOOR_SCRIPT, str(csv_path),
                                   str(Path(tmp) / "out.csv")])
            best = min(best, result)
    return best


def _kib_to_mb(maxrss: int) -> float:
    # Linux reports ru_maxrss in KiB, macOS in bytes
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1:
        print("usage: python bench/floor.py FILE.csv", file=sys.stderr)
        return 2
    path = Path(argv[0])
    seconds = floor(path)
    process_s, process_mb = floor_process(path)
    print(f"floor for {path} ({path.stat().st_size / 1e6:.1f} MB): {seconds:.2f} s in "
          f"process (pyarrow read all-text + write CSV), peak RSS {peak_rss_mb():.0f} MB; "
          f"as its own process {process_s:.2f} s, peak RSS {process_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
