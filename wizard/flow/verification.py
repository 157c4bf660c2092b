"""Step 5: verification after go-live. Read the post-conversion export (the same reader,
header names and reading rules as the customer export), follow every snapshot customer
through the cross-reference to it, and count what survived (`wizard.core.verify`).

The customers behind each figure (who lost autopay, who is missing, ...) are kept in the
project as `data/verification.parquet` (0600, hashed in the manifest) for the biller
workbook. A post export that fails a blocking reading check (an unrecognised flag, a full
card number, one account with two different rows, ...) writes only an exceptions workbook
to `reports/` (exit 3): figures from data that cannot be read right would be wrong.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa

from wizard.core.customers import ALL_HEADER_NAMES, prepare
from wizard.core.findings import describe, plural
from wizard.core.reader import read_table
from wizard.core.verify import ISSUES, Comparison, compare, empty_details, new_numbers
from wizard.errors import BlockingFindings, InputError
from wizard.flow import snapshot, steps
from wizard.flow.project import Project
from wizard.progress import NullProgress, Progress, check

log = logging.getLogger("wizard.verification")
STEP = "verification"
DETAILS = "verification"  # data/verification.parquet
CONTRACT_KEYS = ("customers", "matched", "missing_after", "unexpected_after", "autopay",
                 "paperless", "method_changed", "last4_changed", "preserved")


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def verify(project: Project, post: Path, mapping: Mapping[str, str] | None = None,
           progress: Progress | None = None,
           say: Callable[[str], None] | None = None) -> dict[str, Any]:
    """`convwiz verify`: the contract's figures (and a few more), or exit 2/3/4."""
    progress = progress or NullProgress()
    say = say or _stderr
    post = Path(post)
    with project.writing("verify"), ThreadPoolExecutor(max_workers=1) as pool:
        steps.require(project, STEP)
        # the snapshots load, and the new numbers are looked up, on a second thread while
        # the post export is read and checked on this one
        snapshots = pool.submit(_snapshots, project)
        progress.report(0, 0, f"reading {post.name}")
        table = read_table(post, header_hint=ALL_HEADER_NAMES)
        if table.num_rows == 0:
            raise InputError(f"{post} has a header row but no customers: export the "
                             "customers from the portal again")
        check(progress)
        prepared = prepare(table, mapping, progress)
        findings = prepared.findings
        if findings.blocking:
            from wizard.flow.export import write_findings

            exceptions = write_findings(project, findings, post, "Verification",
                                        "verification", progress)
            steps.mark_failed(project, STEP, blocking=findings.blocking,
                              exceptions=project.relative(exceptions) if exceptions else None)
            lines = "\n".join(describe(findings))
            raise BlockingFindings(
                f"{post}: {plural(findings.blocking, 'blocking finding')}; nothing was "
                f"compared. Fix the rows listed in {exceptions} and run verify again.\n{lines}",
                blocking=findings.blocking, warnings=findings.warnings,
                exceptions=str(exceptions) if exceptions else None,
            )
        check(progress)
        progress.report(0, 0, "comparing with the pre-conversion snapshot")
        before, xref, new = snapshots.result()
        comparison = compare(before, xref, prepared.customers, new)
        check(progress)
        snapshot.save(project, DETAILS, comparison.details, source=post.name)
        figures = comparison.figures
        steps.mark_done(project, STEP, source=post.name, **figures)
        log.info("verified %s against %s customers: %s", post.name, figures["customers"],
                 {k: figures[k] for k in CONTRACT_KEYS})
        progress.report(1, 1, "compared")
        say(summary_line(figures))
        if figures["old_numbers_after"]:
            say(f"  {plural(figures['old_numbers_after'], 'row')} of {post.name} still hold "
                "an old account number: was the portal renumbered?")
        if not figures["preserved"]:
            say("  the customers behind each figure are on the Exceptions sheet of "
                "`convwiz report`")
        return {
            **figures,
            "warnings": findings.warnings,
            "issues": issue_counts(comparison),
            "details": str(snapshot.path(project, DETAILS)),
        }


def _snapshots(project: Project) -> tuple[pa.Table, pa.Table, pa.Array]:
    before = snapshot.load(project, snapshot.CUSTOMERS)
    xref = snapshot.load(project, snapshot.CROSS_REFERENCE)
    return before, xref, new_numbers(before, xref)


def summary_line(figures: Mapping[str, Any]) -> str:
    a, p = figures["autopay"], figures["paperless"]
    verdict = "every enrolment preserved" if figures["preserved"] else "NOT preserved"
    return (f"{verdict}: {figures['matched']:,} of {figures['customers']:,} customers matched, "
            f"{figures['missing_after']:,} missing, {figures['unexpected_after']:,} unexpected; "
            f"autopay kept {a['kept']:,} lost {a['lost']:,} gained {a['gained']:,}; paperless "
            f"kept {p['kept']:,} lost {p['lost']:,} gained {p['gained']:,}; method changed "
            f"{figures['method_changed']:,}, last 4 changed {figures['last4_changed']:,}")


def issue_counts(comparison: Comparison) -> dict[str, int]:
    counts = comparison.details.group_by("issue").aggregate([("issue", "count")]).to_pylist()
    found = {str(r["issue"]): int(r["issue_count"]) for r in counts}
    return {issue: found.get(issue, 0) for issue in ISSUES}


def details(project: Project) -> pa.Table | None:
    """The customers behind the last verification's figures, or None before verify ran."""
    if not snapshot.exists(project, DETAILS):
        return None
    return snapshot.load(project, DETAILS)


def figures(project: Project) -> dict[str, Any] | None:
    """The last verification's figures, or None before verify ran."""
    record = project.store.step(STEP)
    if record is None or record[0] != "done":
        return None
    return dict(record[2])


__all__ = ["verify", "details", "figures", "empty_details", "summary_line"]
