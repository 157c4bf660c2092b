"""Proof that a change is behaviour-neutral: the same inputs give byte-identical files, the
same store, the same exit status and the same messages, before and after, for every command
that writes files or prints results.

    python bench/same_output.py [--base main] [--after DIR] [--customers 40000]
                                [--demo-customers 5000] [--case NAME]... [--keep DIR]

It takes the `wizard` package of git revision BASE (`git archive`) and the one of this
working tree (or of `--after DIR`, a folder holding a `wizard` package), builds each case's
folder once through BASE's command line, and runs the case's command once with each package
(`python -m wizard`, from the same copy of the case's folder at the same path), with the
clock frozen and `secrets`, `random`, the keyring and the simulator's host key and port
fixed from the outside (bench/same_output_run.py). Then it compares, case by case, every
file the run left (byte for byte), the store's every row, the keyring, the exit status,
standard output and standard error (bench/same_output_compare.py, which names the few
normalisations: log times, elapsed seconds, decrypted workbooks).

The cases: verify and import-xref on generated customers (bench/same_output_cases.py; at
40,000 customers the post-conversion export is read in several chunks, as a large one is);
the whole demo, init, export-flags, host-key, connect, send, fetch-xref, and report,
outreach, the not-registered reminder, templates, checklist, status, settings, tokens,
audit, purge and portfolio on a finished demo, status and portfolio three weeks after its
go-live, and at 999 of 1,000 customers registered again (bench/same_output_flow.py).
Nothing here imports `wizard.flow`: the bench works across a move of its modules (it was
run with BASE before the move of issue 33 and this tree after it).
Exit status 0 when every case is identical, 1 when one differs (each difference is named).
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.same_output_cases import KEYRING, VERIFY_XREF, Build, Case, Command  # noqa: E402
from bench.same_output_compare import (  # noqa: E402
    NORMALISATIONS,
    differences,
    outcome,
)
from bench.same_output_flow import FLOW, NEEDS_DEMO, make_demo  # noqa: E402
from bench.same_output_run import ProviderSim, run  # noqa: E402

CASES = [Case(f.__name__.replace("_", "-"), f) for f in (*VERIFY_XREF, *FLOW)]


def package_of(revision: str, into: Path) -> Path:
    """The `wizard` package of `revision`, extracted under `into`; returns `into`."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", revision, "wizard"],
                             capture_output=True, check=True).stdout
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def run_once(code: Path, built: Path, command: Command, live: Path) -> dict[str, Any]:
    """The case's command with `code`'s package, from a fresh copy of its folder at `live`."""
    if live.exists():
        shutil.rmtree(live)
    shutil.copytree(built, live)
    args = [a.replace(str(built), str(live)) for a in command.args]
    provider = (ProviderSim(code, live / "provider", command.provider, live / KEYRING)
                if command.provider else nullcontext())
    with provider:
        result = run(code, args, live, live / KEYRING, command.port, command.stdin,
                     command.now)
    return outcome(result, live)


def _row(name: str, runs: list[dict[str, Any]], found: list[str]) -> str:
    before, after = runs
    files = len(set(before["files"]) | set(after["files"]))
    rows = sum(len(t) for s in after["stores"].values() for t in s.values())
    used = ", ".join(sorted(before["used"] | after["used"])) or "-"
    verdict = "identical" if not found else "DIFFERENT"
    return (f"{name:<26} {before['exit']:>2}/{after['exit']:<2} {files:>5} {rows:>7}  "
            f"{verdict:<9}  {used}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--base", default="main", help="the revision to compare with")
    parser.add_argument("--after", type=Path, default=REPO,
                        help="a folder holding the `wizard` package to compare (default: "
                        "this working tree)")
    parser.add_argument("--customers", type=int, default=40_000,
                        help="customers of the verify, import-xref and export cases")
    parser.add_argument("--demo-customers", type=int, default=5000,
                        help="customers of the demo and of the cases made from it")
    parser.add_argument("--case", action="append", help="only this case (repeatable)")
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder")
    args = parser.parse_args()
    cases = [c for c in CASES if not args.case or c.name in args.case]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="convwiz-same-output-") as tmp:
        work = (args.keep or Path(tmp)).absolute()
        work.mkdir(parents=True, exist_ok=True)
        base = package_of(args.base, work / "base")
        after = args.after.absolute()
        demo: Path | None = None
        failed, files = 0, 0
        print(f"{'case':<26} {'exit':<5} {'files':>5} {'rows':>7}  {'result':<9}  normalised")
        for case in cases:
            if case.build in NEEDS_DEMO and demo is None:
                demo = make_demo(base, work / "fixtures" / "demo", args.demo_customers)
            built = work / "cases" / case.name
            if built.exists():
                shutil.rmtree(built)
            built.mkdir(parents=True)
            command = case.build(Build(base, built, args.customers, demo,
                                       {"demo_customers": args.demo_customers}))
            runs = [run_once(code, built, command, work / "run") for code in (base, after)]
            found = differences(*runs)
            files += len(set(runs[0]["files"]) | set(runs[1]["files"])) + len(runs[1]["stores"])
            print(_row(case.name, runs, found), flush=True)
            for line in found:
                print(f"    {line}")
            failed += bool(found)
        print("normalised: " + "; ".join(f"{k}: {v}" for k, v in NORMALISATIONS.items()))
        print(json.dumps({"base": args.base, "after": str(after), "customers": args.customers,
                          "demo_customers": args.demo_customers, "cases": len(cases),
                          "files_compared": files, "different": failed,
                          "seconds": round(time.monotonic() - started, 1)}))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
