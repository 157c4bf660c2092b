"""Proof that a change to verify or import-xref is behaviour-neutral: the same inputs give
byte-identical files, the same exit status and the same messages, before and after.

    python bench/same_output.py [--base main] [--customers 40000] [--keep DIR]

It takes the `wizard` package of git revision BASE (`git archive`) and the one of this
working tree, builds a few generated cases (below), and runs each case's command once with
each package, from the same copy of the case's project at the same path, with the clock
frozen (the exceptions workbooks carry their time and their names a time stamp). Then it
compares, case by case:

- every file the project holds afterwards (flag file, IC update and rollback, Parquet
  snapshots, exceptions workbooks...), byte for byte; the log with its time stamps taken
  out;
- the project store: each step's status and detail, the manifest (kind, name, SHA-256,
  rows, bytes, detail) and the audit log (actor, action, detail), without their times;
- the exit status, standard output (the `--json` object) and standard error.

The cases: verify with losses and missing customers (exit 3), verify preserved with warnings
(exit 0), verify refused for blocking findings in the post export (exit 3), verify with
unexpected rows, old numbers and customers missing from the cross-reference, verify with
account numbers holding letters, verify of an export with a registration column; import-xref
clean, with warnings (extra accounts, a repeated row, a chain), with blocking findings (an
old number mapped twice, a new number given twice, mangled and empty numbers, lost zeros,
missing customers), with `--allow-unmatched`, and with account numbers holding letters.
At 40,000 customers the post-conversion export is read in several chunks, as a large one is.
Exit status 0 when every case is identical, 1 when one differs (each difference is named).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.projects import exported_project  # noqa: E402
from wizard.core.drift import Drift, post_conversion_export  # noqa: E402
from wizard.core.generate import write_csv  # noqa: E402
from wizard.flow.project import steps  # noqa: E402
from wizard.flow.records import snapshot  # noqa: E402
from wizard.services.csvfile import write_csv as write_contract_csv  # noqa: E402

# runs `python -m wizard ARGS...` with datetime.now() (and today(), utcnow()) frozen, and
# time.localtime() too (a zip member's time stamp in a workbook comes from it)
_RUNNER = """
import datetime as _dt, runpy, sys, time
_FIXED = _dt.datetime(2026, 12, 5, 10, 30, 0)
_LOCAL = _FIXED.timetuple()
time.localtime = lambda *_args: time.struct_time(_LOCAL)
class _Frozen(_dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return _FIXED if tz is None else _FIXED.astimezone(tz)
    @classmethod
    def utcnow(cls):
        return _FIXED
    @classmethod
    def today(cls):
        return _FIXED
_dt.datetime = _Frozen
sys.argv = ["convwiz", *sys.argv[1:]]
runpy.run_module("wizard", run_name="__main__", alter_sys=True)
"""
_LOG_TIME = re.compile(r"^\d{4}-\d\d-\d\d[ T][0-9:.,]+\S*\s*", re.M)
_SKIPPED = {"convwiz.sqlite", "convwiz.sqlite-wal", "convwiz.sqlite-shm", "convwiz.log",
            ".convwiz.lock", ".convwiz.lock.holder"}


@dataclass
class Case:
    name: str
    build: Callable[[Path, int], list[str]]  # (case folder, customers) -> command arguments


def _project(folder: Path, n: int, seed: int = 7,
             accounts: Callable[[pa.Array], pa.Array] | None = None) -> tuple[Any, pa.Table]:
    """A project with its flag file step done; `accounts` rewrites the account numbers."""
    project, table = exported_project(folder / "project", n, seed)
    if accounts is not None:
        table = table.set_column(table.schema.get_field_index("account"), "account",
                                 accounts(table.column("account").combine_chunks()))
        with project.writing("same-output"):
            snapshot.save(project, snapshot.CUSTOMERS, table)
    return project, table


def _with_xref(project: Any, table: pa.Table, drop: int = 0,
               new: Callable[[pa.Array], pa.Array] | None = None) -> pa.Table:
    """The cross-reference imported (its snapshot saved), without the last `drop` customers."""
    old = table.column("account").combine_chunks()
    renumbered = (new(old) if new is not None
                  else pc.binary_join_element_wise("7", pc.utf8_slice_codeunits(old, 1), ""))
    xref = pa.table({"row": table.column("row"), "old": old, "new": renumbered})
    xref = xref.slice(0, xref.num_rows - drop)
    with project.writing("same-output"):
        snapshot.save(project, snapshot.CROSS_REFERENCE, xref)
        steps.mark_done(project, "cross_reference", mapped=xref.num_rows, unmatched=drop,
                        extra=0)
    return xref


def _rows(table: pa.Table) -> list[list[str]]:
    return [list(r) for r in zip(*(c.to_pylist() for c in table.columns))]


def _write_rows(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    columns = list(zip(*rows)) if rows else [[] for _ in header]
    return write_csv(pa.table({h: pa.array(list(c), pa.string())
                               for h, c in zip(header, columns)}), path)


def _verify(folder: Path, post: Path) -> list[str]:
    return ["verify", str(folder / "project"), "--post", str(post), "--json"]


# -- verify cases -------------------------------------------------------------------------
def verify_drift(folder: Path, n: int) -> list[str]:
    project, table = _project(folder, n)
    with project:
        xref = _with_xref(project, table)
        post = post_conversion_export(table, xref, seed=11).table
    return _verify(folder, write_csv(post, folder / "post.csv"))


def verify_preserved_warnings(folder: Path, n: int) -> list[str]:
    project, table = _project(folder, n)
    with project:
        xref = _with_xref(project, table)
        post = post_conversion_export(table, xref, Drift(0, 0, 0, 0), seed=11).table
    rows = _rows(post)
    rows[5][2] = "not-an-email"
    rows[17][0] = "=HYPERLINK(1)"
    rows.append(list(rows[40]))  # an exact duplicate row: collapsed, a warning
    return _verify(folder, _write_rows(folder / "post.csv", post.column_names, rows))


def verify_blocking(folder: Path, n: int) -> list[str]:
    project, table = _project(folder, n)
    with project:
        xref = _with_xref(project, table)
        post = post_conversion_export(table, xref, seed=11).table
    rows = _rows(post)
    rows[3][1] = "1.23457E+09"
    rows[9][3] = "maybe"
    rows[12][6] = "4111 1111 1111 1111"
    rows[20][1] = ""
    return _verify(folder, _write_rows(folder / "post.csv", post.column_names, rows))


def verify_unexpected(folder: Path, n: int) -> list[str]:
    project, table = _project(folder, n)
    with project:
        xref = _with_xref(project, table, drop=50)
        post = post_conversion_export(table, xref, seed=11).table
    rows = _rows(post)
    olds = table.column("account").to_pylist()
    news = xref.column("new").to_pylist()
    where = {new: i for i, new in enumerate(news)}
    for r in rows[100:130]:  # not renumbered yet: the old number
        r[1] = olds[where[r[1]]]
    for k, r in enumerate(rows[200:220]):  # accounts nobody knows
        r[1] = f"99{k:08d}"
    return _verify(folder, _write_rows(folder / "post.csv", post.column_names, rows))


def verify_letters(folder: Path, n: int) -> list[str]:
    project, table = _project(
        folder, n, accounts=lambda a: pc.binary_join_element_wise("AC-", a, ""))
    with project:
        xref = _with_xref(project, table,
                          new=lambda a: pc.binary_join_element_wise(
                              "D", pc.utf8_slice_codeunits(a, 3), ""))
        post = post_conversion_export(table, xref, seed=11).table
    return _verify(folder, write_csv(post, folder / "post.csv"))


def verify_registration(folder: Path, n: int) -> list[str]:
    project, table = _project(folder, n)
    with project:
        xref = _with_xref(project, table)
        post = post_conversion_export(table, xref, seed=11).table
        go_live = project.dates.go_live.isoformat()
    rng = random.Random(5)
    values = [rng.choice([go_live, "", "Y", "N", "1900-01-01", "yes"])
              for _ in range(post.num_rows)]
    post = post.append_column("Registration Date", pa.array(values, pa.string()))
    return _verify(folder, write_csv(post, folder / "post.csv"))


# -- import-xref cases --------------------------------------------------------------------
XREF_HEADER = ["UTI Account Number", "Daffron Account Number"]


def _xref_rows(table: pa.Table, seed: int, new: Callable[[str], str] | None = None
               ) -> list[list[str]]:
    olds = table.column("account").to_pylist()
    rows = [[old, new(old) if new else "D" + old[1:]] for old in olds]
    random.Random(seed).shuffle(rows)
    return rows


def _import(folder: Path, rows: list[list[str]], *extra: str) -> list[str]:
    path = folder / "xref.csv"
    columns = list(zip(*rows))
    write_contract_csv(path, XREF_HEADER, pa.table({"old": pa.array(list(columns[0])),
                                                    "new": pa.array(list(columns[1]))}))
    return ["import-xref", str(folder / "project"), "--xref", str(path), "--json", *extra]


def xref_clean(folder: Path, n: int) -> list[str]:
    project, table = _project(folder, n)
    project.close()
    return _import(folder, _xref_rows(table, 3))


def xref_warnings(folder: Path, n: int) -> list[str]:
    project, table = _project(folder, n)
    project.close()
    rows = _xref_rows(table, 3)
    rows.append(list(rows[10]))  # the same pair again
    rows += [[f"88{k:08d}", f"E{k:09d}"] for k in range(25)]  # accounts the snapshot lacks
    rows[30][1] = rows[31][0]  # a new number that is another customer's old number
    return _import(folder, rows)


def xref_blocking(folder: Path, n: int) -> list[str]:
    project, table = _project(folder, n)
    project.close()
    rows = _xref_rows(table, 3)
    rows.append([rows[1][0], "D999999999"])  # an old number mapped twice
    rows[2][1] = rows[3][1]  # a new number given twice
    rows[4][1] = "1.23457E+09"
    rows[5][0] = ""
    zeros = next(r for r in rows[6:] if r[0].startswith("0"))
    zeros[0] = zeros[0].lstrip("0")  # lost its leading zeros
    del rows[50:60]  # customers missing
    return _import(folder, rows)


def xref_unmatched_allowed(folder: Path, n: int) -> list[str]:
    project, table = _project(folder, n)
    project.close()
    rows = _xref_rows(table, 3)
    del rows[100:200]
    return _import(folder, rows, "--allow-unmatched")


def xref_letters(folder: Path, n: int) -> list[str]:
    project, table = _project(
        folder, n, accounts=lambda a: pc.binary_join_element_wise("AC-", a, ""))
    project.close()
    return _import(folder, _xref_rows(table, 3, new=lambda old: "N-" + old[3:]))


CASES = [Case(f.__name__.replace("_", "-"), f) for f in (
    verify_drift, verify_preserved_warnings, verify_blocking, verify_unexpected,
    verify_letters, verify_registration, xref_clean, xref_warnings, xref_blocking,
    xref_unmatched_allowed, xref_letters)]


# -- running and comparing ----------------------------------------------------------------
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


def run(code: Path, args: list[str], cwd: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run([sys.executable, "-c", _RUNNER, *args], capture_output=True,
                          text=True, cwd=cwd, env=env, check=False)
    return {"exit": done.returncode, "stdout": done.stdout, "stderr": done.stderr}


def outcome(project: Path) -> dict[str, Any]:
    """What a run left in the project: its files' bytes and its store, without times."""
    files: dict[str, bytes] = {}
    for path in sorted(project.rglob("*")):
        if path.is_file() and path.name not in _SKIPPED and ".tmp" not in path.parts:
            files[path.relative_to(project).as_posix()] = path.read_bytes()
    log = project / "convwiz.log"
    files["convwiz.log (times taken out)"] = (
        _LOG_TIME.sub("", log.read_text(errors="replace")).encode() if log.exists() else b"")
    with closing(sqlite3.connect(project / "convwiz.sqlite")) as db:
        store = {
            "steps": db.execute("SELECT id, status, detail FROM steps ORDER BY id").fetchall(),
            "manifest": db.execute("SELECT direction, kind, name, sha256, rows, bytes, detail "
                                   "FROM manifest ORDER BY seq").fetchall(),
            "audit": db.execute("SELECT actor, action, detail FROM audit ORDER BY seq")
                       .fetchall(),
        }
    db.close()
    return {"files": files, "store": store}


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    found = []
    for key in ("exit", "stdout", "stderr"):
        if a[key] != b[key]:
            found.append(f"{key}: {a[key]!r:.300} != {b[key]!r:.300}")
    fa, fb = a["files"], b["files"]
    for name in sorted(set(fa) | set(fb)):
        if name not in fa or name not in fb:
            found.append(f"file {name}: only {'after' if name in fb else 'before'}")
        elif fa[name] != fb[name]:
            found.append(f"file {name}: bytes differ ({len(fa[name])} and {len(fb[name])})")
    for table in a["store"]:
        if a["store"][table] != b["store"][table]:
            found.append(f"store {table}: {a['store'][table]!r:.400} != "
                         f"{b['store'][table]!r:.400}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="the revision to compare with")
    parser.add_argument("--customers", type=int, default=40_000)
    parser.add_argument("--case", action="append", help="only this case (repeatable)")
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder")
    args = parser.parse_args()
    cases = [c for c in CASES if not args.case or c.name in args.case]
    with tempfile.TemporaryDirectory(prefix="convwiz-same-output-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        base = package_of(args.base, work / "base")
        failed = 0
        for case in cases:
            built = work / "cases" / case.name
            if built.exists():
                shutil.rmtree(built)
            built.mkdir(parents=True)
            command = case.build(built, args.customers)
            results = []
            for code in (base, REPO):
                live = work / "run"
                if live.exists():
                    shutil.rmtree(live)
                shutil.copytree(built, live)
                live_command = [a.replace(str(built), str(live)) for a in command]
                result = run(code, live_command, live)
                result.update(outcome(live / "project"))
                results.append(result)
            found = differences(*results)
            written = sorted(n for n in results[1]["files"] if not n.startswith("convwiz"))
            status = "identical" if not found else "DIFFERENT"
            print(f"{case.name}: exit {results[1]['exit']}, {len(written)} files "
                  f"({', '.join(written)}): {status}", flush=True)
            lines = results[1]["stdout"].strip().splitlines()
            print(f"  {lines[-1][:240] if lines else '(no output)'}")
            for line in found:
                print(f"  {line}")
            failed += bool(found)
        print(json.dumps({"base": args.base, "customers": args.customers,
                          "cases": len(cases), "different": failed}))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
