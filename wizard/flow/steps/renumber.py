"""Renumbering: import the provider's cross-reference, make the IC account update and its
rollback (`convwiz import-xref`), and the token registration file (`convwiz tokens`).

The cross-reference is checked as a whole (`wizard.core.xref`) before anything is produced:
on a blocking finding the exceptions workbook goes to `reports/` and neither the update nor
the rollback is written (exit 3). Otherwise both go to `outbox/` (the contract's CSV, 0600,
atomic, in the manifest), the clean mapping becomes the cross-reference snapshot in `data/`,
and the step is done. Running outside the maintenance window is a warning, not a block: the
PM may prepare the files early, but applies them only in the window.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import secrets
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NoReturn

import pyarrow as pa
import pyarrow.compute as pc

from wizard.core.arrays import arange
from wizard.core.findings import Findings, describe, plural
from wizard.core.reader import Table, read_table
from wizard.core.recognition import CROSS_REFERENCE
from wizard.core.recognition import right_file_question as question
from wizard.core.vocabulary import MIN_TOKEN_VALIDITY, TOKEN_DAYS_RANGE, XREF_HEADERS
from wizard.core.xref import XrefCheck, check_cross_reference, find_columns
from wizard.errors import BlockingFindings, InputError, NotReady, UsageError
from wizard.flow.project import steps, workbook_password
from wizard.flow.project.project import Project
from wizard.flow.records import recognition, snapshot
from wizard.progress import NullProgress, Progress, Say, check, silent
from wizard.services.csvfile import write_csv, write_csv_to
from wizard.services.files import TEMP_PREFIX, atomic_output, sha256_file

log = logging.getLogger("wizard.renumber")

STEP = "cross_reference"
UPDATE_NAME = "ic_account_update.csv"
ROLLBACK_NAME = "ic_account_rollback.csv"
TOKENS_NAME = "token_registration.csv"
IC_HEADER = ("BID", "Old Account Number", "New Account Number")
TOKENS_HEADER = ("BID", "New Account Number", "Email", "Token", "Expires")
TOKEN_BYTES = 24  # secrets.token_urlsafe(24): 32 URL-safe characters


# -- which file -------------------------------------------------------------------------------
def newest_cross_reference(project: Project) -> Path:
    """The cross-reference `fetch-xref` received last, else the newest file in `inbox/`."""
    received = [e for e in project.store.manifest("cross_reference")
                if e.direction == "received"]
    for entry in reversed(received):
        path = Path(entry.name)
        path = path if path.is_absolute() else project.folder / path
        if path.is_file():
            return path
    candidates = [p for p in project.inbox.iterdir()
                  if p.is_file() and not p.name.startswith((TEMP_PREFIX, "."))] \
        if project.inbox.is_dir() else []
    if not candidates:
        raise NotReady(
            f"no cross-reference in {project.inbox}: fetch it with `convwiz fetch-xref` or "
            "give the file with --xref FILE")
    return max(candidates, key=lambda p: (p.stat().st_mtime, p.name))


def window_warning(project: Project, today: date | None = None) -> str | None:
    """A warning when today is outside the maintenance window, naming the window."""
    today = today or date.today()
    d = project.dates
    if d.in_window(today):
        return None
    return (f"today ({today.isoformat()}) is outside the maintenance window "
            f"{d.window_start.isoformat()} to {d.window_end.isoformat()} (go-live "
            f"{d.go_live.isoformat()}): apply the IC account update in the portal only "
            "during the window")


# -- import-xref ------------------------------------------------------------------------------
@dataclass(frozen=True)
class XrefImport:
    """What `import-xref` did; `to_json` is the contract's `--json` object."""

    mapped: int
    unmatched: int
    extra: int
    blocking: int
    warnings: int
    update: Path | None
    rollback: Path | None
    exceptions: Path | None
    window_warning: str | None
    findings: Findings | None = field(default=None, repr=False)  # None: read from `to_json`

    def to_json(self) -> dict[str, Any]:
        def text(path: Path | None) -> str | None:
            return str(path) if path else None

        return {"mapped": self.mapped, "unmatched": self.unmatched, "extra": self.extra,
                "blocking": self.blocking, "warnings": self.warnings,
                "update": text(self.update), "rollback": text(self.rollback),
                "exceptions": text(self.exceptions), "window_warning": self.window_warning}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> XrefImport:
        """The result back from `to_json()` (the window gets it from its worker process),
        without the findings (they travel as the window's columns)."""
        def path(key: str) -> Path | None:
            return Path(data[key]) if data.get(key) else None

        return cls(int(data["mapped"]), int(data["unmatched"]), int(data["extra"]),
                   int(data["blocking"]), int(data["warnings"]), path("update"),
                   path("rollback"), path("exceptions"), data.get("window_warning"))


def import_xref(
    project: Project,
    xref: Path | None,
    mapping: Mapping[str, str],
    allow_unmatched: bool,
    progress: Progress | None = None,
    say: Say | None = None,
) -> XrefImport:
    """Check the cross-reference and write the IC account update and rollback (exit 3, with
    the exceptions workbook and no update, on a blocking finding). `say`: the messages for
    people (none by default)."""
    progress = progress or NullProgress()
    say = say or silent
    steps.require(project, STEP)
    with project.writing("import-xref"), ThreadPoolExecutor(max_workers=2) as pool:
        # the customer snapshot loads on a second thread while the file is read
        loading = pool.submit(snapshot.load, project, snapshot.CUSTOMERS,
                              ["row", "account", "name"])
        source = Path(xref) if xref is not None else newest_cross_reference(project)
        recognition.refuse_known(project, source, recognition.CROSS_REFERENCE)
        progress.report(0, 4, f"reading {source.name}")
        table = read_table(source, header_hint=XREF_HEADERS,
                           opener=workbook_password.opener(project))
        customers = loading.result()
        result, (old_col, new_col) = _checked(source, table, mapping, customers,
                                              allow_unmatched, progress)
        warning = window_warning(project)
        if warning:
            say(f"warning: {warning}")
        exceptions = _exceptions_workbook(project, result, source, progress)
        summary = XrefImport(result.mapped, result.unmatched, result.extra, result.blocking,
                             result.findings.warnings, None, None, exceptions, warning,
                             result.findings)
        asked = _right_file(source, result, customers, table.data.column(new_col))
        if asked and not result.blocking:  # --allow-unmatched: asked all the same, first
            say(asked)
        if result.blocking:
            _refuse(project, source, result, exceptions, summary, asked)
        update, rollback, digest = _publish(project, pool, result, source, progress)
        summary = replace(summary, update=update, rollback=rollback)
        steps.mark_done(project, STEP, source=project.relative(source),
                        source_sha256=sha256_file(source),
                        source_bytes=source.stat().st_size, old_column=old_col,
                        new_column=new_col, mapped=result.mapped,
                        unmatched=result.unmatched, extra=result.extra,
                        warnings=result.findings.warnings, snapshot_sha256=digest,
                        outside_window=bool(warning))
        progress.report(4, 4, "done")
    _tell(result, source, update, rollback, exceptions, say)
    return summary


def _checked(source: Path, table: Table, mapping: Mapping[str, str], customers: pa.Table,
             allow_unmatched: bool, progress: Progress) -> tuple[XrefCheck, tuple[str, str]]:
    """The cross-reference checked as a whole against the customers, each finding naming its
    old account and the customer; and its old and new columns."""
    old_col, new_col = find_columns(table, mapping)
    if table.num_rows == 0:
        raise InputError(f"{source} has a header row but no accounts: ask the provider "
                         "for the complete cross-reference")
    check(progress)
    progress.report(1, 4, "checking the cross-reference")
    result = check_cross_reference(
        table, old_col, new_col, customers.column("account"), customers.column("row"),
        allow_unmatched)
    # each finding names its old account and the customer (from the snapshot)
    result.findings.accounts_from_values({"old"})
    result.findings.identify(table.row_numbers, table.data.column(old_col), fields={"new"})
    result.findings.name_accounts(customers.column("account"), customers.column("name"))
    check(progress)
    return result, (old_col, new_col)


def _exceptions_workbook(project: Project, result: XrefCheck, source: Path,
                         progress: Progress) -> Path | None:
    """The exceptions workbook listing every finding (None when there is none)."""
    if not len(result.findings):
        return None
    from wizard.flow.project.outputs import write_findings  # openpyxl: only when needed

    return write_findings(project, result.findings, source, "Cross-reference",
                          "cross_reference", progress)


def _publish(project: Project, pool: ThreadPoolExecutor, result: XrefCheck, source: Path,
             progress: Progress) -> tuple[Path, Path, str]:
    """The IC account update and rollback written, and the cross-reference snapshot put in
    place once they are (it is written on a second thread meanwhile, and discarded if they
    fail); the snapshot's digest."""
    saving = pool.submit(snapshot.Pending, project, snapshot.CROSS_REFERENCE, result.mapping)
    try:
        update, rollback = _write_update(project, result, progress)
    except BaseException:
        with contextlib.suppress(Exception):
            saving.result().discard()
        raise
    progress.report(3, 4, "saving the cross-reference snapshot")
    digest = saving.result().publish(source=source.name)
    return update, rollback, digest


def _right_file(source: Path, result: XrefCheck, customers: pa.Table,
                new: pa.ChunkedArray) -> str | None:
    """"Is this the right file?" when more than half of the customers are not in it (and
    whether its new numbers are the customers' old ones: a rollback, old and new swapped)."""
    n = customers.num_rows
    if question(source.name, result.unmatched, n, CROSS_REFERENCE) is None:
        return None  # most customers are in it (core.recognition's threshold)
    swapped = int(pc.sum(pc.is_in(customers.column("account"),
                                  value_set=pc.utf8_trim_whitespace(new))).as_py() or 0)
    why = (f"; its new account column holds {swapped:,} of their old numbers, as a rollback "
           "file does (old and new swapped)" if swapped > n // 2 else "")
    return question(source.name, result.unmatched, n, CROSS_REFERENCE, why)


def _refuse(project: Project, source: Path, result: XrefCheck, exceptions: Path | None,
            summary: XrefImport, asked: str | None = None) -> NoReturn:
    """Blocking findings: no update is written (exit 3), the workbook says which rows; the
    message leads with `asked` (is this the right file?) when most customers are not in
    it."""
    steps.mark_failed(project, STEP, source=project.relative(source),
                      blocking=result.blocking,
                      exceptions=project.relative(exceptions) if exceptions else None)
    lines = list(describe(result.findings))
    error = BlockingFindings(
        (f"{asked}\n" if asked else "") + f"{source}: the cross-reference has "
        f"{plural(result.blocking, 'blocking finding')}; the IC account update was not "
        f"written. Every row is listed in {exceptions}\n" + "\n".join(lines),
        **summary.to_json(),
    )
    error.findings = result.findings
    raise error


def _tell(result: XrefCheck, source: Path, update: Path, rollback: Path,
          exceptions: Path | None, say: Say) -> None:
    for line in describe(result.findings):
        say(line)
    say(f"Mapped {plural(result.mapped, 'customer')} from {source.name}: "
        f"{plural(result.unmatched, 'unmatched customer')}, "
        f"{plural(result.extra, 'extra account')}.")
    say(f"  IC account update: {update}")
    say(f"  rollback:          {rollback}")
    if exceptions:
        say(f"  warnings listed in {exceptions}")


def _write_update(project: Project, result: XrefCheck, progress: Progress) -> tuple[Path, Path]:
    """The IC account update and its rollback, put in place so that a PM never finds the
    update without the rollback that undoes it, whenever the process dies: both are written
    whole under temporary names; then the update of an earlier run (which the new rollback
    would not undo) goes, the rollback takes its final name, and the update takes its own
    last. A kill in between leaves a rollback alone, which applies to nothing; the next
    run writes the pair again."""
    n = result.mapped
    bid = pa.repeat(project.production_bid, n) if n else pa.array([], pa.string())
    old, new = result.update.column("old"), result.update.column("new")
    update = project.outbox / UPDATE_NAME
    rollback = project.outbox / ROLLBACK_NAME
    progress.report(2, 4, "writing the IC account update")
    plain = (True, False, False)  # the BID is letters and digits: no quoting to look for
    # the inner file is renamed when its block ends, before the outer one
    with atomic_output(update) as (update_out, _), atomic_output(rollback) as (back_out, _):
        update_sha = write_csv_to(update_out, IC_HEADER,
                                  pa.table([bid, old, new], names=list(IC_HEADER)), plain=plain)
        rollback_sha = write_csv_to(back_out, IC_HEADER,
                                    pa.table([bid, new, old], names=list(IC_HEADER)),
                                    plain=plain)
        check(progress)
        update.unlink(missing_ok=True)  # the stale pair's update, before its rollback goes
    project.record_made(update, "ic_account_update", rows=n, sha256=update_sha)
    project.record_made(rollback, "ic_account_rollback", rows=n, sha256=rollback_sha)
    return update, rollback


# -- tokens -----------------------------------------------------------------------------------
def registration_tokens(n: int) -> pa.Array:
    """`n` random single-use tokens, each what `secrets.token_urlsafe(24)` returns, made in
    one call: 24 random bytes base64-encode to 32 characters without padding, so encoding
    24*n bytes at once gives the n tokens back to back."""
    if n == 0:
        return pa.array([], pa.string())
    width = TOKEN_BYTES * 4 // 3
    data = base64.urlsafe_b64encode(secrets.token_bytes(TOKEN_BYTES * n))
    offsets = arange(0, n + 1, step=width)  # int64: 0, width, 2 * width, ...
    tokens = pa.LargeStringArray.from_buffers(
        n, offsets.buffers()[1], pa.py_buffer(data)).cast(pa.string())
    # a token starting with "-" reads as a formula when the PM opens the file in Excel:
    # draw those again (one in 64), so every token survives a look in a spreadsheet
    dash = pc.starts_with(tokens, "-")
    again = int(pc.sum(dash).as_py() or 0)
    if again:
        fresh: list[str] = []
        while len(fresh) < again:
            token = secrets.token_urlsafe(TOKEN_BYTES)
            if not token.startswith("-"):
                fresh.append(token)
        tokens = pc.replace_with_mask(tokens, dash, pa.array(fresh, pa.string()))
    return tokens


def token_expiry(go_live: date, days: int) -> date:
    """The links are valid from go-live for `days` days; a validity ending before go-live +
    14 days is refused (customers need two weeks after the portal opens to re-register)."""
    low, high = TOKEN_DAYS_RANGE
    if not low <= days <= high:
        raise UsageError(f"--days {days}: give {low} to {high} days")
    expires = go_live + timedelta(days=days)
    earliest = go_live + MIN_TOKEN_VALIDITY
    if expires < earliest:
        raise UsageError(
            f"--days {days}: the links would expire {expires}, before go-live + "
            f"{MIN_TOKEN_VALIDITY.days} days ({earliest}); customers need at least two weeks "
            f"after the portal opens on {go_live}. Give --days {MIN_TOKEN_VALIDITY.days} or more")
    return expires


@dataclass(frozen=True)
class TokensWritten:
    output: Path
    rows: int
    expires: date
    skipped_no_email: int
    skipped_unmapped: int

    def to_json(self) -> dict[str, Any]:
        return {"output": str(self.output), "rows": self.rows,
                "expires": self.expires.isoformat(), "skipped_no_email": self.skipped_no_email,
                "skipped_unmapped": self.skipped_unmapped}


def tokens(project: Project, days: int, progress: Progress | None = None,
           say: Say | None = None) -> TokensWritten:
    """Write the token registration file: one row per customer with an email and a new
    account. The tokens are secrets of the customers: they go to this file only. `say`: the
    messages for people (none by default)."""
    progress = progress or NullProgress()
    say = say or silent
    expires = token_expiry(project.dates.go_live, days)
    with project.writing("tokens"):
        customers = snapshot.load(project, snapshot.CUSTOMERS, ["account", "email"])
        xref = snapshot.load(project, snapshot.CROSS_REFERENCE, ["old", "new"])
        email = pc.utf8_trim_whitespace(customers.column("email"))
        has_email = pc.greater(pc.utf8_length(email), 0)
        position = pc.index_in(customers.column("account"), value_set=xref.column("old"))
        mapped = pc.is_valid(position)
        keep = pc.and_(has_email, mapped)
        n = int(pc.sum(keep).as_py() or 0)
        new = xref.column("new").take(position.filter(keep))
        table = pa.table({
            "BID": pa.repeat(project.production_bid, n) if n else pa.array([], pa.string()),
            "New Account Number": new,
            "Email": email.filter(keep),
            "Token": registration_tokens(n),
            "Expires": pa.repeat(expires.isoformat(), n) if n else pa.array([], pa.string()),
        })
        check(progress)
        output = project.outbox / TOKENS_NAME
        write_csv(output, TOKENS_HEADER, table, progress, "writing the token registration")
        project.record_made(output, "tokens", rows=n, expires=expires.isoformat())
    skipped_no_email = int(pc.sum(pc.invert(has_email)).as_py() or 0)
    skipped_unmapped = int(pc.sum(pc.and_(has_email, pc.invert(mapped))).as_py() or 0)
    say(f"Token registration for {plural(n, 'customer')} written to {output} (tokens expire "
        f"{expires.isoformat()}); {plural(skipped_no_email, 'customer')} without an email "
        "must be told another way.")
    if skipped_unmapped:
        say(f"  {plural(skipped_unmapped, 'customer')} with an email but no new account "
            "(not in the cross-reference) left out")
    return TokensWritten(output, n, expires, skipped_no_email, skipped_unmapped)
