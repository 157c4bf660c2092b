"""Step 5: verification after go-live. Read the post-conversion export (the same reader,
header names and reading rules as the customer export), follow every snapshot customer
through the cross-reference to it, and count what survived (`wizard.core.verify`).

Every enrolment preserved: the step is done. Anything lost, gained, changed or missing: the
exceptions workbook in `reports/` lists every customer concerned (source row, account,
customer, field, before and after, rule and fix), the step "needs attention" and is not
done, and the command line exits 3. Warnings about the post export (an invalid email, a row
the snapshot lacks) are listed there too, without changing the verdict. The program never
signs a checklist task off on its own account here.

The customers behind each figure (who lost autopay, who is missing, ...) are also kept in
the project as `data/verification.parquet` (0600, hashed in the manifest) for the biller
workbook. A post export that fails a blocking reading check (an unrecognised flag, a full
card number, one account with two different rows, ...) writes only an exceptions workbook
to `reports/` (exit 3): figures from data that cannot be read right would be wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import pyarrow as pa
import pyarrow.compute as pc

from wizard.core.customers import Prepared, prepare
from wizard.core.findings import BLOCKING, Findings, describe, plural
from wizard.core.reader import Table, read_table
from wizard.core.recognition import POST_EXPORT
from wizard.core.recognition import right_file_question as question
from wizard.core.registration import NOT_MEASURED, Registration, RegistrationWords
from wizard.core.verify import (
    ISSUES,
    Comparison,
    compare,
    empty_details,
    exception_rows,
    lookup,
    xref_positions,
)
from wizard.core.vocabulary import CUSTOMER_HEADERS, REGISTERED_VALUES_OPTION
from wizard.errors import BlockingFindings, InputError, UsageError
from wizard.flow.project import steps, workbook_password
from wizard.flow.project.project import Project
from wizard.flow.records import recognition, registration, snapshot
from wizard.progress import NullProgress, Progress, Say, check, silent
from wizard.services.files import sha256_file

log = logging.getLogger("wizard.verification")
STEP = "verification"
DETAILS = "verification"  # data/verification.parquet
CONTRACT_KEYS = ("customers", "matched", "missing_after", "unexpected_after", "autopay",
                 "paperless", "method_changed", "last4_changed", "preserved")


@dataclass(frozen=True)
class FlagCounts:
    """One flag's fate across go-live: Y before and after, Y then N, N then Y."""

    kept: int
    lost: int
    gained: int

    def to_json(self) -> dict[str, int]:
        return {"kept": self.kept, "lost": self.lost, "gained": self.gained}


@dataclass(frozen=True)
class VerifyResult:
    """What `convwiz verify` found. `to_json()` is the contract's object (and the exceptions
    workbook's path); the rest is for the person and the window."""

    customers: int
    matched: int
    missing_after: int
    unexpected_after: int
    autopay: FlagCounts
    paperless: FlagCounts
    method_changed: int
    last4_changed: int
    preserved: bool
    exceptions: Path | None  # the exceptions workbook, when anything is listed
    warnings: int = 0  # rows of the post export with a warning (they do not clear preserved)
    not_in_cross_reference: int = 0
    old_numbers_after: int = 0
    issues: dict[str, int] = field(default_factory=dict)  # rows behind each issue
    details: Path | None = None  # data/verification.parquet
    registration: Registration = NOT_MEASURED  # re-registration (flow.records.registration)

    def to_json(self) -> dict[str, Any]:
        return {
            "customers": self.customers, "matched": self.matched,
            "missing_after": self.missing_after, "unexpected_after": self.unexpected_after,
            "autopay": self.autopay.to_json(), "paperless": self.paperless.to_json(),
            "method_changed": self.method_changed, "last4_changed": self.last4_changed,
            "preserved": self.preserved,
            "exceptions": str(self.exceptions) if self.exceptions else None,
            "registration": self.registration.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VerifyResult:
        """The result back from `to_json()` (the window gets it from its worker process)."""
        exceptions = data.get("exceptions")
        return cls(
            customers=int(data["customers"]), matched=int(data["matched"]),
            missing_after=int(data["missing_after"]),
            unexpected_after=int(data["unexpected_after"]),
            autopay=FlagCounts(**data["autopay"]), paperless=FlagCounts(**data["paperless"]),
            method_changed=int(data["method_changed"]),
            last4_changed=int(data["last4_changed"]), preserved=bool(data["preserved"]),
            exceptions=Path(exceptions) if exceptions else None,
            registration=replace(Registration.from_json(data.get("registration")),
                                 column=data.get("registration_column")),
        )

    @property
    def summary(self) -> str:
        return summary_line(self.to_json())

    @property
    def problems(self) -> Problems:
        return Problems.of(self)


@dataclass(frozen=True)
class Problems:
    """What a verification found, each kind with its count; the one rule every headline
    (the command line, the Verify page, the sidebar and status line, `convwiz status`, the
    biller workbook) is built by, so the total is always the sum of the parts it names."""

    parts: tuple[tuple[str, int], ...]  # (words, count) of every kind, in this order

    @classmethod
    def of(cls, result: VerifyResult) -> Problems:
        a, p = result.autopay, result.paperless
        return cls((("lost", a.lost + p.lost), ("gained", a.gained + p.gained),
                    ("missing", result.missing_after),
                    ("payment method changed", result.method_changed),
                    ("last-4 changed", result.last4_changed),
                    ("unexpected", result.unexpected_after)))

    @classmethod
    def of_figures(cls, figures: Mapping[str, Any]) -> Problems:
        """From a verification's figures (its `to_json()`, or the step's record)."""
        return cls.of(VerifyResult.from_json(figures))

    @property
    def total(self) -> int:
        return sum(count for _words, count in self.parts)

    @property
    def named(self) -> tuple[tuple[str, int], ...]:
        """The kinds found (a count above 0)."""
        return tuple((words, count) for words, count in self.parts if count)

    def headline(self) -> str:
        """"18 problems: 7 lost, 6 gained, 2 missing, 3 last-4 changed" ("no problems")."""
        if not self.total:
            return "no problems"
        return (f"{self.total:,} problem{'s' if self.total != 1 else ''}: "
                + ", ".join(f"{count:,} {words}" for words, count in self.named))


def verify(project: Project, post: Path, mapping: Mapping[str, str] | None = None,
           progress: Progress | None = None,
           say: Say | None = None,
           measured_on: date | None = None,
           words: RegistrationWords | None = None) -> VerifyResult:
    """`convwiz verify`: compare, and record the outcome.

    Preserved: the step is done. Not preserved (anything lost, gained, changed or missing):
    the exceptions workbook lists every customer concerned and the step needs attention;
    it is never marked done, and no checklist task is signed off. A registration column
    adds a point to the re-registration history, measured `measured_on` (today by default).
    Warnings about the post export (and rows the snapshot lacks) go to the exceptions
    workbook either way. A post export failing a blocking reading check raises
    BlockingFindings (exit 3); unreadable, exit 2; not ready, exit 4. `words`: the
    registration words the person named (`--registered-values`) besides the contract's.
    `say`: the messages for people (none by default)."""
    progress = progress or NullProgress()
    post = Path(post)
    with project.writing("verify"), ThreadPoolExecutor(max_workers=2) as pool:
        steps.require(project, STEP)
        # one of the program's own files, or an export used for another step: refused
        known_digest = recognition.refuse_known(project, post, recognition.POST_EXPORT)
        # the snapshots load, and the customers are looked up in the cross-reference, on a
        # second thread while the post export is read and checked on this one (and hashed,
        # so a later step knows it)
        snapshots = pool.submit(_snapshots, project)
        digest = (pool.submit(lambda: known_digest) if known_digest
                  else pool.submit(sha256_file, post))
        table, prepared = _read_post(project, post, mapping, progress)
        findings = prepared.findings
        reading = pool.submit(lambda: registration.read(
            table, prepared, project.dates.go_live, post, words, digest.result()))
        progress.report(0, 0, "comparing with the pre-conversion snapshot")
        before, xref, xi = snapshots.result()
        comparison = compare(before, xref, prepared.customers, xi)
        check(progress)
        figures = comparison.figures
        rows = _exception_rows(comparison, findings, table, prepared.columns, xref)
        exceptions = None
        if rows.num_rows:
            progress.report(0, rows.num_rows, "writing the exceptions workbook")
            exceptions = _write_exceptions(project, post, rows, figures, progress)
        check(progress)
        measured = registration.record(project, reading.result(), before, comparison,
                                       measured_on)
        figures["registration"] = measured.to_json()
        snapshot.save(project, DETAILS, comparison.details, source=post.name)
        _record_outcome(project, post, figures, {
            "warnings": findings.warnings,
            "exceptions": project.relative(exceptions) if exceptions else None,
            "source_sha256": digest.result(), "source_bytes": post.stat().st_size})
        progress.report(1, 1, "compared")
        result = replace(_result(figures, comparison, findings, exceptions, project),
                         registration=measured)
        _tell(result, post, rows.num_rows, say or silent)
        return result


def _read_post(project: Project, post: Path, mapping: Mapping[str, str] | None,
               progress: Progress) -> tuple[Table, Prepared]:
    """The post export read and checked as a customer export is; one failing a blocking
    reading check is refused (exit 3), one without customers is exit 2."""
    progress.report(0, 0, f"reading {post.name}")
    table = read_table(post, header_hint=CUSTOMER_HEADERS,
                       opener=workbook_password.opener(project))
    if table.num_rows == 0:
        raise InputError(f"{post} has a header row but no customers: export the "
                         "customers from the portal again")
    check(progress)
    prepared = prepare(table, mapping, progress)
    if prepared.findings.blocking:
        _refuse(project, post, prepared.findings, progress)
    check(progress)
    return table, prepared


def _record_outcome(project: Project, post: Path, figures: Mapping[str, Any],
                    about: Mapping[str, Any]) -> None:
    """The step done (every enrolment preserved) or needing attention, with the figures and
    `about` the post export (its warnings, digest, size and exceptions workbook)."""
    outcome = {**figures, **about}
    if figures["preserved"]:
        steps.mark_done(project, STEP, source=post.name, **outcome)
    else:
        steps.mark_attention(project, STEP, source=post.name, **outcome)
    log.info("verified %s against %s customers: %s", post.name, figures["customers"],
             {k: figures[k] for k in CONTRACT_KEYS})


def _refuse(project: Project, post: Path, findings: Findings, progress: Progress) -> NoReturn:
    """A post export that fails a blocking reading check is not compared (exit 3)."""
    from wizard.flow.project.outputs import write_findings

    exceptions = write_findings(project, findings, post, "Verification", "verification",
                                progress)
    steps.mark_failed(project, STEP, blocking=findings.blocking,
                      exceptions=project.relative(exceptions) if exceptions else None)
    lines = "\n".join(describe(findings))
    raise BlockingFindings(
        f"{post}: {plural(findings.blocking, 'blocking finding')}; nothing was "
        f"compared. Fix the rows listed in {exceptions} and run verify again.\n{lines}",
        blocking=findings.blocking, warnings=findings.warnings,
        exceptions=str(exceptions) if exceptions else None,
    )


def _result(figures: dict[str, Any], comparison: Comparison, findings: Findings,
            exceptions: Path | None, project: Project) -> VerifyResult:
    return VerifyResult(
        customers=figures["customers"], matched=figures["matched"],
        missing_after=figures["missing_after"],
        unexpected_after=figures["unexpected_after"],
        autopay=FlagCounts(**figures["autopay"]),
        paperless=FlagCounts(**figures["paperless"]),
        method_changed=figures["method_changed"], last4_changed=figures["last4_changed"],
        preserved=figures["preserved"], exceptions=exceptions,
        warnings=findings.warnings,
        not_in_cross_reference=figures["not_in_cross_reference"],
        old_numbers_after=figures["old_numbers_after"],
        issues=issue_counts(comparison), details=snapshot.path(project, DETAILS))


def _tell(result: VerifyResult, post: Path, listed_rows: int, say: Say) -> None:
    asked = right_file_question(result, post)
    if asked:
        say(asked)
    say(result.summary)
    say(registration.sentence(result.registration))
    if result.old_numbers_after:
        say(f"  {plural(result.old_numbers_after, 'row')} of {post.name} still hold "
            "an old account number: was the portal renumbered?")
    if result.exceptions is not None:
        listed = ("every customer concerned" if not result.preserved
                  else plural(listed_rows, "warning"))
        say(f"  {listed} is listed in {result.exceptions}")
    if not result.preserved:
        say("  the verification step needs attention: resolve the customers listed, "
            "then verify a new post-conversion export")


def verify_for_window(project: Project, post: Path, mapping: Mapping[str, str] | None = None,
                      progress: Progress | None = None,
                      words: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    """`verify` for the window's worker process, whose answer travels as JSON: the window
    turns it back into a `VerifyResult` with `VerifyResult.from_json`. `words`: the
    registration words the person named, {"yes": [...], "no": [...]}."""
    chosen = registration_words((words or {}).get("yes", ()), (words or {}).get("no", ()))
    result = verify(project, post, mapping, progress, words=chosen)
    # the column read travels beside the contract's object, for the window's messages
    return {**result.to_json(), "registration_column": result.registration.column}


def registration_words(yes: Iterable[str], no: Iterable[str]) -> RegistrationWords | None:
    """The contract's registration words with the person's (None when none was named); a
    word given as both is a usage error (exit 2)."""
    yes, no = [w for w in yes if w.strip()], [w for w in no if w.strip()]
    if not yes and not no:
        return None
    try:
        return RegistrationWords.by_hand(yes, no)
    except ValueError as exc:
        raise UsageError(f"{REGISTERED_VALUES_OPTION}: {exc}") from None


def _exception_rows(comparison: Comparison, findings: Findings, table: Table,
                    columns: Mapping[str, str], xref: pa.Table) -> pa.Table:
    """The exceptions workbook's rows: the comparison's (blocking first, as ISSUES orders
    them), then each warning about the post export with its account and customer."""
    parts = [exception_rows(comparison.details)]
    if len(findings):
        parts.append(_warning_rows(findings, table, columns, xref))
    rows = pa.concat_tables(parts)
    severity_rank = pc.cast(pc.not_equal(rows["severity"], BLOCKING), pa.int8())
    order = pc.sort_indices(pa.table({"s": severity_rank}), [("s", "ascending")])
    return rows.take(order)  # a stable sort: within a severity, the order they came in


def _warning_rows(findings: Findings, table: Table, columns: Mapping[str, str],
                  xref: pa.Table) -> pa.Table:
    """Findings about the post export (warnings only: a blocking one stops verify) as
    exceptions rows. Each names its row, its account (the new number, and the old one
    through the cross-reference) and its customer, read from the post export."""
    ordered = findings.sorted()
    source_rows = pa.array(ordered.rows, pa.int64())
    at = pc.index_in(source_rows, value_set=table.row_numbers)
    new_account = pc.utf8_trim_whitespace(pc.take(table.data[columns["account"]], at))
    name = pc.utf8_trim_whitespace(pc.take(table.data[columns["name"]], at))
    old_account = pc.take(_column_text(xref["old"]),
                          lookup(_column_text(new_account), _column_text(xref["new"])))
    n = len(ordered)
    return pa.table({
        "post_row": source_rows,
        "snapshot_row": pa.nulls(n, pa.int64()),
        "old_account": _column_text(old_account),
        "new_account": _column_text(new_account),
        "name": _column_text(name),
        "field": pa.array(ordered.fields, pa.string()),
        "before": pa.array([""] * n, pa.string()),
        "after": pa.array(ordered.values, pa.string()),
        "severity": pa.array(ordered.severities, pa.string()),
        "rule": pa.array(ordered.rules, pa.string()),
        "fix": pa.array(ordered.fixes, pa.string()),
    })


def _column_text(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    column = pc.fill_null(pc.cast(column, pa.string()), "")
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _write_exceptions(project: Project, post: Path, rows: pa.Table, figures: Mapping[str, Any],
                      progress: Progress) -> Path:
    from wizard.flow.project.outputs import stamped_path
    from wizard.services.verification_exceptions import write_verification_exceptions

    path = stamped_path(project.reports, "verification_exceptions", ".xlsx")
    counts = rows.group_by(["severity", "rule"]).aggregate([("rule", "count")]).to_pylist()
    ranked = sorted(((str(c["severity"]), str(c["rule"]), int(c["rule_count"])) for c in counts),
                    key=lambda c: (c[0] != BLOCKING, -c[2]))
    summary = [
        ("Post-conversion export", str(post)),
        ("Step", "Verification"),
        ("Verdict", summary_line(figures)),
    ]
    write_verification_exceptions(path, rows, str(post), summary, ranked, progress)
    blocking = sum(c for s, _, c in ranked if s == BLOCKING)
    project.record_made(path, "exceptions", rows=rows.num_rows, step="Verification",
                        blocking=blocking, warnings=rows.num_rows - blocking)
    return path


def _snapshots(project: Project) -> tuple[pa.Table, pa.Table, pa.Array]:
    before = snapshot.load(project, snapshot.CUSTOMERS)
    xref = snapshot.load(project, snapshot.CROSS_REFERENCE)
    return before, xref, xref_positions(before, xref)


def right_file_question(result: VerifyResult, post: Path) -> str | None:
    """"Is this the right file?", with the counts, when more than half of the snapshot's
    customers were not found in the post export (None otherwise)."""
    extra = (f", and {result.unexpected_after:,} of its rows are no customer of the flag file"
             if result.unexpected_after else "")
    return question(post.name, result.missing_after, result.customers, POST_EXPORT, extra)


def verdict_message(result: VerifyResult, post: Path) -> str:
    """Why verify exits 3, with its headline; led by the question whether the file is the
    right one when most customers are not in it."""
    told = (f"{post}: not every enrolment was preserved: {result.problems.headline()}. The "
            f"customers concerned are listed in {result.exceptions}; the verification step "
            "needs attention")
    asked = right_file_question(result, post)
    return f"{asked}\n{told}" if asked else told


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


def figures(project: Project) -> VerifyResult | None:
    """The last verification's figures (preserved or not), as its step recorded them, or
    None before verify ran."""
    record = project.store.step(STEP)
    if record is None or record[0] not in ("done", "attention"):
        return None
    return VerifyResult.from_json(record[2])


__all__ = ["FlagCounts", "VerifyResult", "verify", "verify_for_window", "details", "figures",
           "empty_details", "summary_line"]
