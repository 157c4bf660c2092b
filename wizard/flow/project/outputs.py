"""How the program names what it writes: a time-stamped name that never replaces an earlier
output, and the exceptions workbook every step writes to `reports/` when its checks found
anything (export-flags, import-xref, verify).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from wizard.core.findings import Findings
from wizard.flow.project.project import Project
from wizard.progress import Progress


def stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def stamped_path(folder: Path, stem: str, suffix: str) -> Path:
    """`folder/stem_<time>suffix`, never the name of a file already there: two runs in the
    same second get `_2`, `_3`... and no output ever replaces an earlier one."""
    when = stamp()
    path = folder / f"{stem}_{when}{suffix}"
    n = 1
    while path.exists() or path.is_symlink():
        n += 1
        path = folder / f"{stem}_{when}_{n}{suffix}"
    return path


def write_findings(project: Project, findings: Findings, source: Path, step_title: str,
                   prefix: str, progress: Progress) -> Path | None:
    """The exceptions workbook in reports/, when there is anything to say."""
    if not len(findings):
        return None
    from wizard.services.workbook import write_exceptions  # xlsxwriter: only when needed

    path = stamped_path(project.reports, f"{prefix}_exceptions", ".xlsx")
    write_exceptions(path, findings, str(source), step_title, progress, biller=project.biller)
    project.record_made(path, "exceptions", rows=len(findings), step=step_title,
                        blocking=findings.blocking, warnings=findings.warnings)
    return path
