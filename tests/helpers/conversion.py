"""Build a conversion project up to a given step with the real commands, from realistic
generated files: the portal's customer export, the provider's cross-reference and the
post-go-live export with known drift."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from tests.helpers.cli import convwiz
from wizard.core import generate
from wizard.core.drift import DriftResult, post_conversion_export
from wizard.flow.project.project import Project
from wizard.flow.records import snapshot


def new_number(old: str) -> str:
    """The provider's new Daffron number for an old one (text, leading zeros kept)."""
    return "7" + old[-9:]


def write_xref(path: Path, olds: list[str]) -> Path:
    pacsv.write_csv(pa.table({
        "Old Account Number": pa.array(olds, pa.string()),
        "New Account Number": pa.array([new_number(o) for o in olds], pa.string()),
    }), path)
    return path


@dataclass
class Built:
    project: Path
    export: Path
    xref: Path | None
    export_table: pa.Table


def build(project: Path, n: int = 300, seed: int = 7, xref: bool = True,
          export_table: pa.Table | None = None) -> Built:
    """`export-flags` (and `import-xref`) on generated files beside the project."""
    table = export_table if export_table is not None else generate.customers(n, seed)
    export = generate.write_csv(table, project.parent / "customer_export.csv")
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 0, run.stderr
    xref_path = None
    if xref:
        xref_path = write_xref(project.parent / "xref.csv",
                               table.column("Account Number").to_pylist())
        run = convwiz("import-xref", project, "--xref", xref_path, "--json")
        assert run.code == 0, run.stderr
    return Built(project, export, xref_path, table)


def drifted_post(project: Path, seed: int = 11, **drift: Any) -> DriftResult:
    """The post-go-live portal export with known drift, from the project's snapshots."""
    from wizard.core.drift import Drift

    with Project.open(project) as p:
        customers = snapshot.load(p, snapshot.CUSTOMERS)
        xref = snapshot.load(p, snapshot.CROSS_REFERENCE)
    return post_conversion_export(customers, xref, Drift(**drift) if drift else None, seed)
