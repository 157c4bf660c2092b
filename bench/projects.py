"""Projects for the benchmarks: N generated customers already exported, so a bench times
only the step it is about; and the pre-conversion export they came from, as a CSV, which is
one of the files a step's floor reads (bench/floor.py)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from wizard.core.arrays import row_numbers
from wizard.core.generate import customers, write_csv
from wizard.flow.project import steps
from wizard.flow.project.project import Project
from wizard.flow.project.settings import Settings
from wizard.flow.records import snapshot


def customer_snapshot(n: int, seed: int, export: pa.Table | None = None) -> pa.Table:
    """`n` generated customers as export-flags keeps them (the snapshot's columns); `export`
    is `customers(n, seed)` when already made."""
    export = customers(n, seed) if export is None else export
    kind = export.column("Payment Type")
    method = pc.if_else(pc.equal(kind, "Credit Card"), "card",
                        pc.if_else(pc.equal(kind, "Checking"), "check", ""))
    return pa.table({
        "row": row_numbers(2, n),
        "name": export.column("Customer Name"),
        "account": export.column("Account Number"),
        "email": export.column("Email Address"),
        "paperless": export.column("Paperless"),
        "autopay": export.column("AutoPay"),
        "method": method,
        "last4": export.column("Last Four"),
    })


def exported_project(folder: Path, n: int, seed: int,
                     pre_export: Path | None = None) -> tuple[Project, pa.Table]:
    """A new project (go-live tomorrow: inside the window, no warning noise) whose flag file
    step is done with `n` customers; returns it open, with the snapshot table. With
    `pre_export`, the pre-conversion export those customers came from is written there as
    CSV (`customers(n, seed)`, every value quoted as a portal writes it)."""
    project = Project.create(folder, Settings(biller="Bench Electric Co-op",
                                             go_live=date.today() + timedelta(days=1),
                                             production_bid="2806"))
    export = customers(n, seed)
    if pre_export is not None:
        write_csv(export, pre_export)
    table = customer_snapshot(n, seed, export)
    with project.writing("bench"):
        snapshot.save(project, snapshot.CUSTOMERS, table)
        steps.mark_done(project, "flag_file", rows=n)
    return project, table
