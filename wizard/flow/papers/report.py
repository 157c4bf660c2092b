"""Step 6: the biller workbook. Gather what the project knows (the customer snapshot, the
cross-reference, the verification, the checklist, the manifest and audit log, the pinned
host key) and hand it to `services.biller_workbook` to write.

It works at any stage after the flag file: a list the project does not have yet (no
cross-reference, no verification) is a sheet that is present but empty, with a note saying
which command fills it. Written to `reports/<biller>_conversion_workbook.xlsx` unless
`--out`, atomically, 0600, recorded in the manifest; encrypted with the project's workbook
password (`flow.project.workbook_password`) unless `--no-encrypt`, which the audit log records.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from wizard.core.registration_points import percent_text, point_text, trend_text
from wizard.core.verify import ISSUES
from wizard.core.vocabulary import (
    BILLER_WORKBOOK_KIND,
    EXCEPTION_LABELS,
    NOT_IN_CROSS_REFERENCE,
    S_HOST,
    S_HOST_KEY,
    S_KEY_TYPE,
    S_PORT,
    SEGMENTS,
)
from wizard.flow.papers import outreach
from wizard.flow.project import steps, workbook_password
from wizard.flow.project.project import Project
from wizard.flow.records import registration
from wizard.flow.steps import checklist, verification
from wizard.progress import NullProgress, Progress, check
from wizard.services.biller_workbook import (
    ChartRow,
    Column,
    Figure,
    Section,
    Summary,
    TableSheet,
    TrendPoint,
    write_biller_workbook,
)
from wizard.services.store import now_iso
from wizard.services.workbook import local_time, local_times

log = logging.getLogger("wizard.report")
STEP = "report"
KIND = BILLER_WORKBOOK_KIND
# the reason an issue gets when verification gave none: what was seen, in words
ISSUE_REASONS = {
    "missing_after": "the account is not in the post-conversion export",
    "unexpected_after": "the post-conversion export has an account the snapshot does not",
    "autopay_lost": "autopay was Y before go-live and is N after",
    "autopay_gained": "autopay was N before go-live and is Y after",
    "paperless_lost": "paperless was Y before go-live and is N after",
    "paperless_gained": "paperless was N before go-live and is Y after",
    "method_changed": "the default payment method type is not the same after go-live",
    "last4_changed": "the last 4 digits of the payment method are not the same after go-live",
}
NO_XREF = ("No cross-reference imported yet: run `convwiz import-xref` and write the "
           "workbook again")
NO_VERIFY = ("No verification yet: after go-live run `convwiz verify --post EXPORT` and write "
             "the workbook again")
# the manifest's kinds of file, in words
KIND_WORDS = {
    "flag_file": "Flag file", "exceptions": "Exceptions workbook",
    "snapshot:customers": "Customer snapshot", "snapshot:cross_reference":
    "Cross-reference snapshot", "snapshot:verification": "Verification details",
    "cross_reference": "Cross-reference", "ic_account_update": "IC account update",
    "ic_account_rollback": "IC account rollback", KIND: "Biller workbook",
    "outreach_list": "Outreach list", "outreach_workbook": "Outreach workbook",
    "tokens": "Token registration file", "evidence_pack": "Evidence pack",
    "snapshot:not_registered": "Not-registered list", "calendar": "Conversion calendar",
    "host key": "SFTP host key",
}


def default_path(project: Project) -> Path:
    return project.reports / f"{project.slug()}_conversion_workbook.xlsx"


@dataclass(frozen=True)
class WorkbookWritten:
    output: Path
    sheets: list[str]
    rows: dict[str, int]
    sha256: str
    notes: list[str]
    encrypted: bool = True
    # the password it is encrypted with: for the person (shown once on standard error), in
    # the --json result only when asked (`--show-password`), never in a log or a file
    password: str | None = field(default=None, repr=False)
    password_created: bool = False  # the project's first password, made by this run
    keyring: str = ""  # where the password is kept, in the person's words

    def to_json(self, show_password: bool = False) -> dict[str, Any]:
        result: dict[str, Any] = {
            "output": str(self.output), "sheets": self.sheets, "rows": self.rows,
            "sha256": self.sha256, "notes": self.notes, "encrypted": self.encrypted}
        if show_password and self.password:
            result["password"] = self.password
        return result

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WorkbookWritten:
        """The result back from `to_json()` (the window gets it from its worker process;
        the password never travels)."""
        return cls(Path(data["output"]), list(data["sheets"]), dict(data["rows"]),
                   str(data["sha256"]), list(data["notes"]), bool(data["encrypted"]))


def write_report(project: Project, out: Path | None = None,
                 progress: Progress | None = None, *, encrypt: bool = True,
                 password: str | None = None) -> WorkbookWritten:
    """`convwiz report`: write the biller workbook, encrypted with the project's workbook
    password (made and kept in the keyring on first use) unless `encrypt` is false; or with
    `password`, given in memory (the demo without a keyring)."""
    progress = progress or NullProgress()
    with project.writing("report"):
        steps.require(project, STEP)
        target = Path(out).expanduser().absolute() if out else default_path(project)
        created, keyring = False, ""
        if encrypt and password is None:  # before any work: no keyring is exit 2 at once
            kept = workbook_password.ensure(project)
            password, created, keyring = kept.password, kept.created, kept.keyring
        progress.report(0, 0, "gathering the project's data")
        summary, sheets = gather(project)
        check(progress)
        written = write_biller_workbook(target, summary, sheets, progress,
                                        biller=project.biller,
                                        password=password if encrypt else None)
        digest = project.record_made(target, KIND, rows=sum(written.rows.values()),
                                     encrypted=encrypt)
        if not encrypt:
            project.store.audit("biller workbook written without encryption (--no-encrypt)",
                                output=project.relative(target))
        steps.mark_done(project, STEP, output=project.relative(target), sha256=digest,
                        encrypted=encrypt)
        log.info("wrote the biller workbook %s (%s)", project.relative(target),
                 "encrypted" if encrypt else "NOT encrypted, as asked")
        progress.report(1, 1, f"wrote {target}")
        return WorkbookWritten(target, list(written.sheets), dict(written.rows), digest,
                               list(summary.notes), encrypt, password if encrypt else None,
                               created, keyring)


# -- gathering --------------------------------------------------------------------------------
def gather(project: Project) -> tuple[Summary, list[TableSheet]]:
    joined, xref = outreach.load_joined(project)
    details = verification.details(project)
    figures = verification.figures(project)
    notes: list[str] = []
    if xref is None:
        notes.append(NO_XREF)
    if figures is None or details is None:
        notes.append(NO_VERIFY)
        details = None
    lists = outreach.lists(joined)
    sheets = [
        _account_mapping(joined, xref),
        _exceptions(joined, xref, details),
        _reregistration(joined, registration.not_registered_rows(project, joined)),
        _checklist(project),
        _audit(project),
    ]
    summary = _summary(project, joined, xref, figures, lists, notes)
    _add_registration(project, summary)
    return summary, sheets


def _add_registration(project: Project, summary: Summary) -> None:
    """The re-registration trend: a figure per segment at the latest point, and the points
    for the Summary's "Re-registration" chart."""
    found = registration.points(project)
    if not found:
        summary.notes.append(trend_text(found))
        return
    go_live = project.dates.go_live
    summary.registration = [
        TrendPoint(d, (d - go_live).days, p.registered, p.expected)
        for p in found for d in [datetime.strptime(p.date, "%Y-%m-%d").date()]]
    last = found[-1]
    figures = [Figure(f"Re-registered on {last.date}", point_text(last))]
    for key, words in SEGMENTS.items():
        counts = last.by_segment.get(key) or {}
        registered, expected = int(counts.get("registered", 0)), int(counts.get("expected", 0))
        figures.append(Figure(f"  {words}", f"{percent_text(registered, expected)}"
                              f" ({registered:,} of {expected:,})"))
    figures.append(Figure("Not yet registered", f"{last.expected - last.registered:,}: "
                          "listed on the Re-registration sheet, autopay first"))
    summary.figures.append(Section("Re-registration after go-live", figures))


def _count_y(table: pa.Table, column: str) -> int:
    return int(pc.sum(pc.cast(pc.equal(table[column], "Y"), pa.int64())).as_py() or 0)


def _summary(project: Project, customers: pa.Table, xref: pa.Table | None,
             figures: verification.VerifyResult | None, lists: list[outreach.OutreachList],
             notes: list[str]) -> Summary:
    d = project.dates
    autopay_before = _count_y(customers, "autopay")
    paperless_before = _count_y(customers, "paperless")
    pm = str(project.setting("pm_name") or "").strip()
    written = local_time(now_iso()) or datetime.now().replace(microsecond=0)
    sections = [_before_go_live(project, customers, xref, autopay_before, paperless_before),
                _after_go_live(figures)]
    reach = Section("Reaching the customers (Re-registration sheet)",
                    [Figure(item.title, item.count) for item in lists])
    subtitle = (f"Prepared by {pm or 'the conversion project manager'} on "
                f"{written:%Y-%m-%d %H:%M}. Go-live {d.go_live:%A %B %d, %Y}; production BID "
                f"{project.production_bid}.")
    return Summary(
        title=f"{project.biller}: conversion to Daffron",
        subtitle=subtitle, figures=sections, project=[_about(project, pm, written), reach],
        chart_rows=_chart(autopay_before, paperless_before, figures), notes=notes,
    )


def _before_go_live(project: Project, customers: pa.Table, xref: pa.Table | None,
                    autopay_before: int, paperless_before: int) -> Section:
    """The snapshot's counts, and the accounts renumbered once the cross-reference is in."""
    before = [
        Figure("Customers before go-live", customers.num_rows),
        Figure("Autopay before go-live", autopay_before),
        Figure("Paperless before go-live", paperless_before),
    ]
    if xref is not None:
        xref_step = project.store.step("cross_reference")
        detail = xref_step[2] if xref_step else {}
        unmatched = int(detail.get("unmatched", 0) or 0)
        before += [Figure("Accounts renumbered", xref.num_rows),
                   Figure("Customers not in the cross-reference", unmatched,
                          "bad" if unmatched else "")]
    else:
        before += [Figure("Accounts renumbered", "after import-xref")]
    return Section("Before go-live", before)


def _bad(n: int) -> str:
    return "bad" if n else ""


def _after_go_live(figures: verification.VerifyResult | None) -> Section:
    """Verification's figures, each loss, gain, change or miss marked bad; or "not yet"."""
    if figures is None:
        return Section("After go-live (verification)",
                       [Figure("Verification", "not yet: run convwiz verify")])
    a, p = figures.autopay, figures.paperless
    preserved = figures.preserved
    headline = figures.problems.headline()
    after = [
        Figure("Verification", "PRESERVED: nothing lost, gained, changed or missing"
               if preserved else f"NOT PRESERVED: {headline}; see the Exceptions sheet",
               "good" if preserved else "bad"),
        Figure("Customers matched after go-live", figures.matched),
        Figure("Missing after go-live", figures.missing_after, _bad(figures.missing_after)),
        Figure("Unexpected after go-live", figures.unexpected_after,
               _bad(figures.unexpected_after)),
        Figure("Autopay kept", a.kept),
        Figure("Autopay lost", a.lost, _bad(a.lost)),
        Figure("Autopay gained", a.gained, _bad(a.gained)),
        Figure("Paperless kept", p.kept),
        Figure("Paperless lost", p.lost, _bad(p.lost)),
        Figure("Paperless gained", p.gained, _bad(p.gained)),
        Figure("Payment method changed", figures.method_changed, _bad(figures.method_changed)),
        Figure("Last 4 changed", figures.last4_changed, _bad(figures.last4_changed)),
    ]
    return Section("After go-live (verification)", after)


def _chart(autopay_before: int, paperless_before: int,
           figures: verification.VerifyResult | None) -> list[ChartRow]:
    """Autopay and paperless before go-live, and after it once verified."""
    if figures is None:
        return [ChartRow("Autopay", autopay_before), ChartRow("Paperless", paperless_before)]
    a, p = figures.autopay, figures.paperless
    return [
        ChartRow("Autopay", autopay_before, a.kept + a.gained, a.lost, a.gained),
        ChartRow("Paperless", paperless_before, p.kept + p.gained, p.lost, p.gained),
    ]


def _about(project: Project, pm: str, written: datetime) -> Section:
    """The conversion: who, when, which BIDs, and who prepared the workbook when."""
    d = project.dates
    return Section("The conversion", [
        Figure("Biller", project.biller),
        Figure("Go-live", d.go_live),
        Figure("Maintenance window starts", d.window_start),
        Figure("Maintenance window ends", d.window_end),
        Figure("Production BID", str(project.production_bid)),
        Figure("Test BID", str(project.test_bid) if project.test_bid else "not set"),
        Figure("Prepared by", pm or "not set (convwiz settings --pm-name)"),
        Figure("Workbook written", written),
    ])


def _account_mapping(joined: pa.Table, xref: pa.Table | None) -> TableSheet:
    columns = [Column("Old Account Number", 13), Column("New Account Number", 13),
               Column("Customer Name", 24), Column("Email", 30), Column("Paperless", 9),
               Column("Autopay", 8), Column("Payment Method", 9), Column("Last 4", 6)]
    if xref is None:
        return TableSheet("Account Mapping", columns, None, NO_XREF)
    table = pa.table({
        "old": joined["account"], "new": joined["new"], "name": joined["name"],
        "email": joined["email"], "paperless": joined["paperless"],
        "autopay": joined["autopay"], "method": joined["method"], "last4": joined["last4"],
    })
    return TableSheet("Account Mapping", columns, table, landscape=False, dense=True)


EXCEPTION_COLUMNS = [
    Column("Issue", 18, wrap=True), Column("Old Account Number", 13),
    Column("New Account Number", 13), Column("Customer Name", 20, wrap=True),
    Column("Email", 26, wrap=True), Column("Before", 7), Column("After", 7),
    Column("Snapshot Row", 9, "int"), Column("Post-export Row", 9, "int"),
    Column("Reason", 30, wrap=True), Column("What to do", 36, wrap=True),
]


def _exceptions(joined: pa.Table, xref: pa.Table | None,
                details: pa.Table | None) -> TableSheet:
    if details is not None:
        issue = details["issue"]
        keys = pa.array(list(ISSUES), pa.string())
        labels = pa.array([EXCEPTION_LABELS[k] for k in ISSUES], pa.string())
        fixes = pa.array(list(ISSUES.values()), pa.string())
        reasons = pa.array([ISSUE_REASONS.get(k, "") for k in ISSUES], pa.string())
        where = pc.index_in(issue, value_set=keys)
        given = pc.fill_null(details["reason"], "")
        table = pa.table({
            "issue": pc.take(labels, where), "old": details["old_account"],
            "new": details["new_account"], "name": details["name"], "email": details["email"],
            "before": details["before"], "after": details["after"],
            "snapshot_row": details["snapshot_row"], "post_row": details["post_row"],
            "reason": pc.if_else(pc.equal(given, ""), pc.take(reasons, where), given),
            "fix": pc.take(fixes, where),
        })
        return TableSheet("Exceptions", EXCEPTION_COLUMNS, table,
                          "Verification found nothing to report: every customer matched "
                          "with the same flags and payment method")
    if xref is None:
        return TableSheet("Exceptions", EXCEPTION_COLUMNS, None, NO_XREF)
    # before verification: the customers the cross-reference left without a new number
    unmatched = joined.filter(pc.equal(joined["new"], ""))
    n = unmatched.num_rows
    blank = pa.array([""] * n, pa.string())
    table = pa.table({
        "issue": pa.array([EXCEPTION_LABELS[NOT_IN_CROSS_REFERENCE]] * n, pa.string()),
        "old": unmatched["account"], "new": blank, "name": unmatched["name"],
        "email": unmatched["email"], "before": blank, "after": blank,
        "snapshot_row": unmatched["row"], "post_row": pa.nulls(n, pa.int64()),
        "reason": pa.array(["the provider's cross-reference has no new number for it"] * n,
                           pa.string()),
        "fix": pa.array(["Ask the provider for the customer's new account number"] * n,
                        pa.string()),
    })
    return TableSheet("Exceptions", EXCEPTION_COLUMNS, table,
                      "Every customer has a new account number. " + NO_VERIFY)


def _reregistration(joined: pa.Table, not_registered: pa.Table | None = None) -> TableSheet:
    """Every customer to notify, with what the outreach lists say about each: before
    re-registration is measured, every customer; after, those not yet registered at the
    last measurement, autopay first (`not_registered`, rows of `joined` in that order)."""
    if not_registered is not None:
        joined = not_registered
    columns = [Column("Customer Name", 24), Column("Email", 28),
               Column("New Account Number", 13), Column("Old Account Number", 13),
               Column("Notify By", 12), Column("Autopay By", 11), Column("Paperless", 9)]
    found = outreach.masks(joined)
    table = pa.table({
        "name": joined["name"], "email": joined["email"], "new": joined["new"],
        "old": joined["account"],
        "notify": pc.if_else(found["email"], "email", "mail or phone"),
        "autopay": pc.if_else(found["autopay_card"], "card",
                              pc.if_else(found["autopay_bank"], "bank account", "")),
        "paperless": joined["paperless"],
    })
    return TableSheet("Re-registration", columns, table, "No customers in the snapshot",
                      landscape=False, dense=True)


def _checklist(project: Project) -> TableSheet:
    columns = [Column("Task", 46, wrap=True), Column("Owner", 9), Column("Phase", 12),
               Column("Status", 7), Column("Date", 14, "datetime"),
               Column("Signed Off By", 14), Column("Note", 26, wrap=True), Column("ID", 16)]
    rows: dict[str, list[Any]] = {k: [] for k in
                                  ("title", "owner", "phase", "status", "at", "by", "note", "id")}
    for item in checklist.entries(project):
        if item.id == "biller_workbook":
            item = replace(item, done=True, by="convwiz", at=now_iso(), note="this workbook")
        rows["title"].append(item.title)
        rows["owner"].append(item.owner)
        rows["phase"].append(item.phase.replace("_", " "))
        rows["status"].append("Done" if item.done else "Open")
        rows["at"].append(item.at or None)
        rows["by"].append(item.by or "")
        rows["note"].append(item.note or "")
        rows["id"].append(item.id)
    table = pa.table({k: (local_times(v) if k == "at" else pa.array(v, pa.string()))
                      for k, v in rows.items()})
    return TableSheet("Checklist", columns, table, landscape=True)


def host_key_settings(project: Project) -> list[tuple[str, str]]:
    """(where, fingerprint and key type) of the pinned SFTP host key, if one is pinned
    (settings written by `flow.steps.exchange.connect`)."""
    settings = project.store.settings()
    fingerprint = settings.get(S_HOST_KEY)
    if not fingerprint:
        return []
    host, port = settings.get(S_HOST) or "", settings.get(S_PORT) or 22
    key_type = settings.get(S_KEY_TYPE) or ""
    where = f"{host}:{port}" if host else "the provider's SFTP server"
    return [(where + (f" ({key_type})" if key_type else ""), str(fingerprint))]


def _detail_words(detail: dict[str, Any]) -> str:
    """An audit entry's detail as words ("rows: 2,000; step: Flag file"), not JSON."""
    parts = []
    for key, value in detail.items():
        if value is None or value == "":
            continue
        shown = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value
        if isinstance(value, dict):
            shown = ", ".join(f"{k} {v}" for k, v in value.items())
        elif isinstance(value, list | tuple):
            shown = ", ".join(str(v) for v in value)
        parts.append(f"{key.replace('_', ' ')}: {shown}")
    return "; ".join(parts)


def _audit(project: Project) -> TableSheet:
    """Every file made, sent or received (with its SHA-256), every recorded action, and the
    accepted SFTP host key, oldest first, in local time."""
    columns = [Column("Time", 14, "datetime"), Column("Action", 18, wrap=True),
               Column("What", 18, wrap=True), Column("File", 30, wrap=True),
               Column("SHA-256", 34, wrap=True),
               Column("By", 10), Column("Rows", 8, "int"), Column("Detail", 34, wrap=True)]
    events: list[tuple[str, str, str, str, str, str, int | None, str]] = []
    for where, fingerprint in host_key_settings(project):
        events.append(("", "SFTP host key accepted", KIND_WORDS["host key"], where,
                       fingerprint, "", None,
                       "the provider's server key, pinned for every transfer"))
    for e in project.store.manifest():
        events.append((e.at, f"file {e.direction}", KIND_WORDS.get(e.kind, e.kind), e.name,
                       e.sha256, "convwiz", e.rows,
                       _detail_words({**e.detail, "bytes": e.bytes})))
    for a in project.store.audit_log():
        if a.action.startswith("file "):
            continue  # the manifest rows above say it with the hash
        events.append((a.at, a.action, "", "", "", a.actor, None, _detail_words(a.detail)))
    events.sort(key=lambda e: e[0])
    cols = list(zip(*events)) if events else [()] * len(columns)
    table = pa.table({
        "time": local_times(list(cols[0])),
        **{f"c{i}": pa.array(list(cols[i]), pa.string()) for i in range(1, 6)},
        "rows": pa.array(list(cols[6]), pa.int64()),
        "detail": pa.array(list(cols[7]), pa.string()),
    })
    return TableSheet("Audit", columns, table, "Nothing recorded yet", landscape=True)
