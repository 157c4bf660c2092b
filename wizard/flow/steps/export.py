"""Step 2: the flag file. Read the customer export, check it, write the flag file to
`outbox/` and the customer snapshot to `data/` — or, when a blocking check fails, only the
exceptions workbook to `reports/` (exit 3).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from wizard.core.customers import Prepared, prepare
from wizard.core.findings import Findings, describe, plural
from wizard.core.reader import Opener, read_table
from wizard.core.vocabulary import CUSTOMER_HEADERS, FIELDS, FLAG_FILE_HEADER
from wizard.errors import BlockingFindings, InputError, UsageError
from wizard.flow.project import steps, workbook_password
from wizard.flow.project.outputs import stamped_path, write_findings
from wizard.flow.project.project import Project
from wizard.flow.records import snapshot
from wizard.progress import NullProgress, Progress, check
from wizard.services.csvfile import write_csv
from wizard.services.files import remove, sha256_file

log = logging.getLogger("wizard.export")
STEP = "flag_file"


def check_input(input_path: Path, sheet: str | None, mapping: Mapping[str, str] | None,
                progress: Progress | None = None, opener: Opener | None = None) -> Prepared:
    """Read and check a customer export without writing anything (the GUI's Validate).
    `opener` decrypts an encrypted workbook (`workbook_password.opener`)."""
    progress = progress or NullProgress()
    progress.report(0, 0, f"reading {input_path.name}")
    table = read_table(input_path, sheet, header_hint=CUSTOMER_HEADERS, opener=opener)
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


@dataclass(frozen=True)
class FlagFileResult:
    """What `export-flags` did. `findings` travel as data (the exceptions workbook holds the
    same rows); `to_json` is the contract's `--json` object."""

    output: Path | None
    rows: int
    blocking: int
    warnings: int
    exceptions: Path | None
    findings: Findings | None = field(repr=False)  # None: read back from `to_json`
    sha256: str | None = None
    columns: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"output": str(self.output) if self.output else None, "rows": self.rows,
                "blocking": self.blocking, "warnings": self.warnings,
                "exceptions": str(self.exceptions) if self.exceptions else None,
                "sha256": self.sha256, "columns": self.columns}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FlagFileResult:
        """The result back from `to_json()` (the window gets it from its worker process),
        without the findings (they travel as the window's columns)."""
        return cls(_path(data.get("output")), int(data["rows"]), int(data["blocking"]),
                   int(data["warnings"]), _path(data.get("exceptions")), None,
                   data.get("sha256"), dict(data.get("columns") or {}))


def _path(text: str | None) -> Path | None:
    return Path(text) if text else None


def export_flags(project: Project, input_path: Path, sheet: str | None = None,
                 mapping: Mapping[str, str] | None = None,
                 progress: Progress | None = None) -> FlagFileResult:
    """`convwiz export-flags`: the flag file written, or BlockingFindings (exit 3) with the
    exceptions workbook and no flag file."""
    progress = progress or NullProgress()
    input_path = Path(input_path)
    with project.writing("export-flags"):
        steps.require(project, STEP)
        prepared = check_input(input_path, sheet, mapping, progress,
                               workbook_password.opener(project))
        findings = prepared.findings
        customers = prepared.customers
        log.info("checked %s customer rows: %s blocking, %s warnings", customers.num_rows,
                 findings.blocking, findings.warnings)
        exceptions = write_findings(project, findings, input_path, "Flag file", "flag_file",
                                    progress)
        result = FlagFileResult(None, customers.num_rows, findings.blocking,
                                findings.warnings, exceptions, findings)
        if findings.blocking:
            steps.mark_failed(project, STEP, blocking=findings.blocking,
                              exceptions=project.relative(exceptions) if exceptions else None)
            lines = "\n".join(describe(findings))
            error = BlockingFindings(
                f"{input_path}: {plural(findings.blocking, 'blocking finding')}; the flag "
                f"file was not written. Fix the rows listed in {exceptions} and export "
                f"again.\n{lines}",
                **result.to_json(),
            )
            error.findings = findings
            raise error
        check(progress)
        output, digest = _write_flag_file(project, prepared, input_path, progress)
        steps.mark_done(project, STEP, output=project.relative(output),
                        rows=customers.num_rows, sha256=digest, warnings=findings.warnings,
                        duplicates_removed=prepared.duplicates_removed)
        progress.report(1, 1, f"wrote {plural(customers.num_rows, 'customer')} to {output}")
        return replace(result, output=output, sha256=digest, columns=prepared.columns)


def _write_flag_file(project: Project, prepared: Prepared, source: Path,
                     progress: Progress) -> tuple[Path, str]:
    """The flag file in outbox/, and the customer snapshot published only once the flag
    file is whole; a Cancel up to the last moment leaves neither."""
    customers = prepared.customers
    output = stamped_path(project.outbox, f"flag_file_{project.slug()}", ".csv")
    # the snapshot is written on a second thread while the flag file is written here
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="snapshot") as pool:
        snap = pool.submit(snapshot.Pending, project, snapshot.CUSTOMERS, customers)
        # the customer export's own hash, so that no later step takes it for another file
        source_sha256 = pool.submit(sha256_file, source)
        try:
            written = write_csv(output, FLAG_FILE_HEADER, customers.select(list(FIELDS)),
                                progress, "writing the flag file",
                                plain=(False, False, False, True, True, True, True))
            check(progress)  # a Cancel pressed while the last rows went out still counts
        except BaseException:
            with contextlib.suppress(Exception):
                snap.result().discard()
            with contextlib.suppress(OSError, UsageError):
                remove(output)  # never through a link out of the project
            raise
        pending = snap.result()
    digest = project.record_made(output, "flag_file", rows=customers.num_rows,
                                 sha256=written, source=source.name,
                                 source_sha256=source_sha256.result(),
                                 source_bytes=source.stat().st_size)
    pending.publish(source=source.name)
    return output, digest
