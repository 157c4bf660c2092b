"""Step 2: the flag file. Read the customer export, check it, write the flag file to
`outbox/` and the customer snapshot to `data/` — or, when a blocking check fails, only the
exceptions workbook to `reports/` (exit 3).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from wizard.core.customers import Prepared, prepare
from wizard.core.findings import Findings, describe, plural
from wizard.core.reader import read_table
from wizard.core.vocabulary import CUSTOMER_HEADERS, FIELDS, FLAG_FILE_HEADER
from wizard.errors import BlockingFindings, InputError
from wizard.flow import snapshot, steps
from wizard.flow.project import Project
from wizard.progress import NullProgress, Progress, check
from wizard.services.csvfile import write_csv

log = logging.getLogger("wizard.export")
STEP = "flag_file"


def stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def write_findings(project: Project, findings: Findings, source: Path, step_title: str,
                   prefix: str, progress: Progress) -> Path | None:
    """The exceptions workbook in reports/, when there is anything to say."""
    if not len(findings):
        return None
    from wizard.services.workbook import write_exceptions  # openpyxl: only when needed

    path = project.reports / f"{prefix}_exceptions_{stamp()}.xlsx"
    write_exceptions(path, findings, str(source), step_title, progress)
    project.record_made(path, "exceptions", rows=len(findings), step=step_title,
                        blocking=findings.blocking, warnings=findings.warnings)
    return path


def check_input(input_path: Path, sheet: str | None, mapping: Mapping[str, str] | None,
                progress: Progress | None = None) -> Prepared:
    """Read and check a customer export without writing anything (the GUI's Validate)."""
    progress = progress or NullProgress()
    progress.report(0, 0, f"reading {input_path.name}")
    table = read_table(input_path, sheet, header_hint=CUSTOMER_HEADERS)
    hint = "" if sheet else table.other_sheets_hint()
    if table.num_rows == 0:
        raise InputError(f"{input_path} has a header row but no customers.{hint}")
    check(progress)
    try:
        return prepare(table, mapping, progress)
    except InputError as exc:
        if not hint:
            raise
        raise InputError(exc.message + "." + hint, **exc.result) from None


def export_flags(project: Project, input_path: Path, sheet: str | None = None,
                 mapping: Mapping[str, str] | None = None,
                 progress: Progress | None = None) -> dict[str, Any]:
    """`convwiz export-flags`: the result for --json, or BlockingFindings (exit 3)."""
    progress = progress or NullProgress()
    input_path = Path(input_path)
    with project.writing("export-flags"):
        steps.require(project, STEP)
        prepared = check_input(input_path, sheet, mapping, progress)
        findings = prepared.findings
        customers = prepared.customers
        log.info("checked %s customer rows: %s blocking, %s warnings", customers.num_rows,
                 findings.blocking, findings.warnings)
        exceptions = write_findings(project, findings, input_path, "Flag file", "flag_file",
                                    progress)
        result: dict[str, Any] = {
            "output": None, "rows": customers.num_rows, "blocking": findings.blocking,
            "warnings": findings.warnings,
            "exceptions": str(exceptions) if exceptions else None,
        }
        if findings.blocking:
            steps.mark_failed(project, STEP, blocking=findings.blocking,
                              exceptions=project.relative(exceptions) if exceptions else None)
            lines = "\n".join(describe(findings))
            raise BlockingFindings(
                f"{input_path}: {plural(findings.blocking, 'blocking finding')}; the flag "
                f"file was not written. Fix the rows listed in {exceptions} and export "
                f"again.\n{lines}",
                **result,
            )
        check(progress)
        output = project.outbox / f"flag_file_{project.slug()}_{stamp()}.csv"
        # the snapshot is written on a second thread while the flag file is written here,
        # and put in place only once the flag file is
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="snapshot") as pool:
            snap = pool.submit(snapshot.Pending, project, snapshot.CUSTOMERS, customers)
            try:
                written = write_csv(output, FLAG_FILE_HEADER, customers.select(list(FIELDS)),
                                    progress, "writing the flag file",
                                    plain=(False, False, False, True, True, True, True))
            except BaseException:
                with contextlib.suppress(Exception):
                    snap.result().discard()
                raise
            pending = snap.result()
        digest = project.record_made(output, "flag_file", rows=customers.num_rows,
                                     sha256=written, source=input_path.name)
        pending.publish(source=input_path.name)
        steps.mark_done(project, STEP, output=project.relative(output),
                        rows=customers.num_rows, sha256=digest, warnings=findings.warnings,
                        duplicates_removed=prepared.duplicates_removed)
        result["output"] = str(output)
        result["sha256"] = digest
        result["columns"] = prepared.columns
        progress.report(1, 1, f"wrote {plural(customers.num_rows, 'customer')} to {output}")
        return result
