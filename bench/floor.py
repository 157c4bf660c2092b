"""The floor every benchmark is measured against, and helpers to time `convwiz` commands.

A step's floor is bare pyarrow reading that step's input CSVs with every column typed as
text (as `wizard.core.reader` does: no type inference) and writing each straight back as
CSV: the least any step that reads those files and writes a file can cost. The inputs, per
step (keep them so, or the figures stop comparing):

- export-flags: the pre-conversion export;
- import-xref: the cross-reference and the pre-conversion export;
- verify: the post-conversion export and the pre-conversion export.

A step "within 3x its floor" takes at most three times that, both timed as whole processes
(a fresh Python, imports included).

    from bench.floor import floor, floor_process, time_command
    floor_s = floor([Path("xref.csv"), Path("customers.csv")])       # inside this process
    process_floor_s, floor_mb = floor_process([Path("xref.csv"), Path("customers.csv")])
    seconds, peak_mb = time_command(["import-xref", project, "--xref", "xref.csv"])

Run as a script to print the floor of a step's files: `python bench/floor.py FILE [FILE...]`;
`python bench/floor.py --script` prints the floor process's own program, to time it with
other tools (`python -c "$(python bench/floor.py --script)" OUT_DIR FILE...`).
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

Paths = Path | str | Sequence[Path | str]


def _paths(csv_paths: Paths) -> list[Path]:
    if isinstance(csv_paths, str | Path):
        return [Path(csv_paths)]
    return [Path(p) for p in csv_paths]


def _header(csv_path: Path) -> list[str]:
    """The file's column names (its first line)."""
    with open(csv_path, encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle))


def _read_write(csv_path: Path, out: Path) -> None:
    """The floor's work on one file: read it all-text, write it back as CSV."""
    names = _header(csv_path)
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


def floor(csv_paths: Paths, repeat: int = 3) -> float:
    """Seconds for pyarrow to read each of `csv_paths` with every column as text and write
    it back as CSV, inside this process (the best of `repeat` runs, so a busy machine's
    hiccup does not raise the floor)."""
    files = _paths(csv_paths)
    best = float("inf")
    with tempfile.TemporaryDirectory(prefix="convwiz-floor-") as tmp:
        for _ in range(max(1, repeat)):
            start = time.perf_counter()
            for i, csv_path in enumerate(files):
                _read_write(csv_path, Path(tmp) / f"out{i}.csv")
            best = min(best, time.perf_counter() - start)
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


def command_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a timed command runs in: this one, but free to cache its modules'
    bytecode (PYTHONDONTWRITEBYTECODE dropped), as an installed program has it compiled;
    the untimed first run compiles them, so start-up is not timed as a compile."""
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**base, **(env or {})}


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
                           env=command_env(env), check=False)
        result = json.loads(report.read_text())
        if check and result["code"] != 0:
            raise RuntimeError(f"{' '.join(args)} exited {result['code']}:\n"
                               f"{err_path.read_bytes().decode(errors='replace')[-2000:]}")
    return float(result["seconds"]), _kib_to_mb(int(result["maxrss"]))


# the floor as its own process: argv is OUT_DIR FILE...; each file is read all-text and
# written back as OUT_DIR/outN.csv, exactly as `_read_write` does
FLOOR_SCRIPT = """
import csv, sys
import pyarrow as pa, pyarrow.csv as pacsv
out_dir = sys.argv[1]
for i, src in enumerate(sys.argv[2:]):
    with open(src, encoding="utf-8-sig", newline="") as h:
        names = next(csv.reader(h))
    t = pacsv.read_csv(src, read_options=pacsv.ReadOptions(block_size=1 << 24),
                       parse_options=pacsv.ParseOptions(newlines_in_values=True),
                       convert_options=pacsv.ConvertOptions(
                           column_types={n: pa.string() for n in names},
                           strings_can_be_null=False))
    pacsv.write_csv(t, f"{out_dir}/out{i}.csv", pacsv.WriteOptions(eol="\\r\\n"))
    del t
"""


def floor_command(csv_paths: Paths, out_dir: Path) -> list[str]:
    """The floor process's command line: a fresh Python that imports pyarrow, reads each of
    `csv_paths` all-text and writes each back into `out_dir`."""
    return [sys.executable, "-c", FLOOR_SCRIPT, str(out_dir), *map(str, _paths(csv_paths))]


def floor_process(csv_paths: Paths, repeat: int = 3) -> tuple[float, float]:
    """The floor as a whole process, comparable with `time_command` (see `floor_command`).
    Returns (best seconds of `repeat`, peak RSS MB of that run)."""
    best: tuple[float, float] = (float("inf"), 0.0)
    with tempfile.TemporaryDirectory(prefix="convwiz-floor-") as tmp:
        for _ in range(max(1, repeat)):
            best = min(best, time_process(floor_command(csv_paths, Path(tmp))))
    return best


def paired(command: Sequence[str], other: Sequence[str], runs: int = 5,
           check: bool = True) -> tuple[list[float], list[float], list[float]]:
    """`command` and `other` run in turn (A B A B ...), each `runs` times after one untimed
    run of each: (A's seconds, B's seconds, A/B of each pair). The ratio of a pair holds when
    a shared machine's speed drifts between pairs; quote its median."""
    time_process(command, check=check)
    time_process(other, check=check)
    a_s: list[float] = []
    b_s: list[float] = []
    for _ in range(max(1, runs)):
        a_s.append(time_process(command, check=check)[0])
        b_s.append(time_process(other, check=check)[0])
    return a_s, b_s, [a / b for a, b in zip(a_s, b_s)]


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def load_average() -> str:
    """The machine's load (1, 5, 15 minutes) and its processor count, to print beside a
    figure: a benchmark on a busy machine says so."""
    try:
        one, five, fifteen = os.getloadavg()
    except (AttributeError, OSError):  # Windows has no load average
        return f"load average unknown, {os.cpu_count()} processors"
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} processors"


def _kib_to_mb(maxrss: int) -> float:
    # Linux reports ru_maxrss in KiB, macOS in bytes
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def main(argv: Sequence[str]) -> int:
    if list(argv) == ["--script"]:
        print(FLOOR_SCRIPT)
        return 0
    if not argv or any(a.startswith("-") for a in argv):
        print("usage: python bench/floor.py FILE.csv [FILE.csv ...] | --script",
              file=sys.stderr)
        return 2
    files = _paths(argv)
    seconds = floor(files)
    process_s, process_mb = floor_process(files)
    size = sum(f.stat().st_size for f in files) / 1e6
    print(f"floor for {', '.join(map(str, files))} ({size:.1f} MB): {seconds:.2f} s in "
          f"process (pyarrow read all-text + write CSV, each file), peak RSS "
          f"{peak_rss_mb():.0f} MB; as its own process {process_s:.2f} s, peak RSS "
          f"{process_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
