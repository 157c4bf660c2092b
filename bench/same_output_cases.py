"""bench/same_output.py's verify and import-xref cases, and what every case is made of.

A case's project is built through the command line (`convwiz init`, `export-flags`,
`import-xref`...) of the BASE package, never through `wizard.flow` (whose modules move):
only `wizard.core` and `wizard.services` are imported here. The cases: verify with losses
and missing customers (exit 3), verify preserved with warnings (exit 0), verify refused for
blocking findings in the post export (exit 3), verify with unexpected rows, old numbers and
customers missing from the cross-reference, verify with account numbers holding letters,
verify of an export with a registration column; import-xref clean, with warnings (extra
accounts, a repeated row, a chain), with blocking findings (an old number mapped twice, a
new number given twice, mangled and empty numbers, lost zeros, missing customers), with
`--allow-unmatched`, and with account numbers holding letters.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench.same_output_run import run
from wizard.core.drift import Drift, post_conversion_export
from wizard.core.generate import customers, write_csv
from wizard.services.csvfile import write_csv as write_contract_csv

KEYRING = "keyring.json"  # the bench's keyring file, in every case's folder
GO_LIVE = "2026-12-06"  # the day after the frozen clock's: inside the window, no warning
XREF_HEADER = ["UTI Account Number", "Daffron Account Number"]


@dataclass
class Command:
    """One case's command, run once with each package from a copy of the case's folder."""

    args: list[str]
    port: int | None = None  # the demo's simulator listens here (bench/same_output_run.py)
    provider: int | None = None  # a `provider-sim` on this port, root `provider/`, meanwhile
    stdin: str | None = None
    now: str | None = None  # the frozen clock's time, if not the bench's usual one


@dataclass
class Build:
    """Makes a case's folder with the BASE package's command line."""

    code: Path  # the BASE package
    folder: Path  # the case's folder
    customers: int
    demo: Path | None = None  # a finished demo's folder, made once (bench/same_output_flow)
    extra: dict[str, Any] = field(default_factory=dict)

    def cli(self, *args: str | Path, stdin: str | None = None, port: int | None = None,
            ok: tuple[int, ...] = (0,)) -> dict[str, Any]:
        result = run(self.code, [str(a) for a in args], self.folder, self.folder / KEYRING,
                     port, stdin)
        if result["exit"] not in ok:
            said = " ".join(map(str, args))
            raise RuntimeError(f"building {self.folder.name}: convwiz {said} exited "
                               f"{result['exit']}: {result['stderr'][-800:]}")
        return result

    @property
    def project(self) -> Path:
        return self.folder / "project"


@dataclass
class Case:
    name: str
    build: Callable[[Build], Command]


def init(b: Build, project: Path | None = None, biller: str = "Bench Electric Co-op",
         go_live: str = GO_LIVE) -> Path:
    project = project or b.project
    b.cli("init", project, "--biller", biller, "--go-live", go_live,
          "--production-bid", "2806", "--test-bid", "9806", "--pm-name", "Bench PM",
          "--json")
    return project


def exported(b: Build, seed: int = 7, accounts: Callable[[pa.Array], pa.Array] | None = None
             ) -> pa.Table:
    """A project whose flag file step is done (`accounts` rewrites the account numbers of
    the export); returns the snapshot export-flags kept."""
    export = customers(b.customers, seed)
    if accounts is not None:
        export = export.set_column(export.schema.get_field_index("Account Number"),
                                   "Account Number",
                                   accounts(export.column("Account Number").combine_chunks()))
    write_csv(export, b.folder / "export.csv")
    init(b)
    b.cli("export-flags", b.project, "--input", b.folder / "export.csv", "--json")
    return pq.read_table(b.project / "data" / "customers.parquet")


def write_xref(path: Path, rows: list[list[str]]) -> Path:
    columns = list(zip(*rows))
    write_contract_csv(path, XREF_HEADER, pa.table({"old": pa.array(list(columns[0])),
                                                    "new": pa.array(list(columns[1]))}))
    return path


def with_xref(b: Build, table: pa.Table, drop: int = 0,
              new: Callable[[pa.Array], pa.Array] | None = None) -> pa.Table:
    """The cross-reference imported, without the last `drop` customers; returns its
    snapshot."""
    old = table.column("account").combine_chunks()
    renumbered = (new(old) if new is not None
                  else pc.binary_join_element_wise("7", pc.utf8_slice_codeunits(old, 1), ""))
    rows = [list(r) for r in zip(old.to_pylist(), renumbered.to_pylist())]
    path = write_xref(b.folder / "provider_xref.csv", rows[:len(rows) - drop])
    b.cli("import-xref", b.project, "--xref", path, "--json",
          *(["--allow-unmatched"] if drop else []))
    return pq.read_table(b.project / "data" / "cross_reference.parquet")


def _rows(table: pa.Table) -> list[list[str]]:
    return [list(r) for r in zip(*(c.to_pylist() for c in table.columns))]


def _write_rows(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    columns: list[tuple[str, ...]] = list(zip(*rows)) if rows else [() for _ in header]
    return write_csv(pa.table({h: pa.array(list(c), pa.string())
                               for h, c in zip(header, columns)}), path)


def _verify(b: Build, post: Path) -> Command:
    return Command(["verify", str(b.project), "--post", str(post), "--json"])


# -- verify cases -------------------------------------------------------------------------
def verify_drift(b: Build) -> Command:
    table = exported(b)
    post = post_conversion_export(table, with_xref(b, table), seed=11).table
    return _verify(b, write_csv(post, b.folder / "post.csv"))


def verify_preserved_warnings(b: Build) -> Command:
    table = exported(b)
    post = post_conversion_export(table, with_xref(b, table), Drift(0, 0, 0, 0), seed=11).table
    rows = _rows(post)
    rows[5][2] = "not-an-email"
    rows[17][0] = "=HYPERLINK(1)"
    rows.append(list(rows[40]))  # an exact duplicate row: collapsed, a warning
    return _verify(b, _write_rows(b.folder / "post.csv", post.column_names, rows))


def verify_blocking(b: Build) -> Command:
    table = exported(b)
    post = post_conversion_export(table, with_xref(b, table), seed=11).table
    rows = _rows(post)
    rows[3][1] = "1.23457E+09"
    rows[9][3] = "maybe"
    rows[12][6] = "4111 1111 1111 1111"
    rows[20][1] = ""
    return _verify(b, _write_rows(b.folder / "post.csv", post.column_names, rows))


def verify_unexpected(b: Build) -> Command:
    table = exported(b)
    xref = with_xref(b, table, drop=50)
    post = post_conversion_export(table, xref, seed=11).table
    rows = _rows(post)
    olds = table.column("account").to_pylist()
    where = {new: i for i, new in enumerate(xref.column("new").to_pylist())}
    for r in rows[100:130]:  # not renumbered yet: the old number
        r[1] = olds[where[r[1]]]
    for k, r in enumerate(rows[200:220]):  # accounts nobody knows
        r[1] = f"99{k:08d}"
    return _verify(b, _write_rows(b.folder / "post.csv", post.column_names, rows))


def verify_letters(b: Build) -> Command:
    table = exported(b, accounts=lambda a: pc.binary_join_element_wise("AC-", a, ""))
    xref = with_xref(b, table, new=lambda a: pc.binary_join_element_wise(
        "D", pc.utf8_slice_codeunits(a, 3), ""))
    post = post_conversion_export(table, xref, seed=11).table
    return _verify(b, write_csv(post, b.folder / "post.csv"))


def verify_registration(b: Build) -> Command:
    table = exported(b)
    post = post_conversion_export(table, with_xref(b, table), seed=11).table
    rng = random.Random(5)
    values = [rng.choice([GO_LIVE, "", "Y", "N", "1900-01-01", "yes"])
              for _ in range(post.num_rows)]
    post = post.append_column("Registration Date", pa.array(values, pa.string()))
    return _verify(b, write_csv(post, b.folder / "post.csv"))


# -- import-xref cases --------------------------------------------------------------------
def _xref_rows(table: pa.Table, seed: int, new: Callable[[str], str] | None = None
               ) -> list[list[str]]:
    olds = table.column("account").to_pylist()
    rows = [[old, new(old) if new else "D" + old[1:]] for old in olds]
    random.Random(seed).shuffle(rows)
    return rows


def _import(b: Build, rows: list[list[str]], *extra: str) -> Command:
    path = write_xref(b.folder / "xref.csv", rows)
    return Command(["import-xref", str(b.project), "--xref", str(path), "--json", *extra])


def xref_clean(b: Build) -> Command:
    return _import(b, _xref_rows(exported(b), 3))


def xref_warnings(b: Build) -> Command:
    rows = _xref_rows(exported(b), 3)
    rows.append(list(rows[10]))  # the same pair again
    rows += [[f"88{k:08d}", f"E{k:09d}"] for k in range(25)]  # accounts the snapshot lacks
    rows[30][1] = rows[31][0]  # a new number that is another customer's old number
    return _import(b, rows)


def xref_blocking(b: Build) -> Command:
    rows = _xref_rows(exported(b), 3)
    rows.append([rows[1][0], "D999999999"])  # an old number mapped twice
    rows[2][1] = rows[3][1]  # a new number given twice
    rows[4][1] = "1.23457E+09"
    rows[5][0] = ""
    zeros = next(r for r in rows[6:] if r[0].startswith("0"))
    zeros[0] = zeros[0].lstrip("0")  # lost its leading zeros
    del rows[50:60]  # customers missing
    return _import(b, rows)


def xref_unmatched_allowed(b: Build) -> Command:
    rows = _xref_rows(exported(b), 3)
    del rows[100:200]
    return _import(b, rows, "--allow-unmatched")


def xref_letters(b: Build) -> Command:
    table = exported(b, accounts=lambda a: pc.binary_join_element_wise("AC-", a, ""))
    return _import(b, _xref_rows(table, 3, new=lambda old: "N-" + old[3:]))


VERIFY_XREF = [verify_drift, verify_preserved_warnings, verify_blocking, verify_unexpected,
               verify_letters, verify_registration, xref_clean, xref_warnings, xref_blocking,
               xref_unmatched_allowed, xref_letters]
