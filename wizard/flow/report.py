"""Step 6: the biller workbook. Gather what the project knows (the customer snapshot, the
cross-reference, the verification, the checklist, the manifest and audit log, the pinned
host key) and hand it to `services.biller_workbook` to write.

It works at any stage after the flag file: a list the project does not have yet (no
cross-reference, no verification) is a sheet that is present but empty, with a note saying
which command fills it. Written to `reports/<biller>_conversion_workbook.xlsx` unless
`--out`, atomically, 0600, recorded in the manifest.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from wizard.core.verify import ISSUES
from wizard.core.vocabulary import S_HOST, S_HOST_KEY, S_KEY_TYPE, S_PORT
from wizard.flow import checklist, snapshot, steps, verification
from wizard.flow.project import Project
from wizard.progress import NullProgress, Progress, check
from wizard.services.biller_workbook import Summary, TableSheet, write_biller_workbook
from wizard.services.store import now_iso

log = logging.getLogger("wizard.report")
STEP = "report"
KIND = "biller_workbook"
ISSUE_LABELS = {
    "missing_after": "Missing after go-live",
    "unexpected_after": "Unexpected after go-live",
    "autopay_lost": "Autopay lost",
    "autopay_gained": "Autopay gained",
    "paperless_lost": "Paperless lost",
    "paperless_gained": "Paperless gained",
    "method_changed": "Payment method changed",
    "last4_changed": "Last 4 changed",
    "not_in_cross_reference": "Not in the cross-reference",
}
NO_XREF = ("No cross-reference imported yet: run `convwiz import-xref` and write the "
           "workbook again")
NO_VERIFY = ("No verification yet: after go-live run `convwiz verify --post EXPORT` and write "
             "the workbook again")


def default_path(project: Project) -> Path:
    return project.reports / f"{project.slug()}_conversion_workbook.xlsx"


def write_report(project: Project, out: Path | None = None,
                 progress: Progress | None = None) -> dict[str, Any]:
    """`convwiz report`: write the workbook; {"output", "sheets", "rows", "sha256"}."""
    progress = progress or NullProgress()
    with project.writing("report"):
        steps.require(project, STEP)
        target = Path(out).expanduser().absolute() if out else default_path(project)
        progress.report(0, 0, "gathering the project's data")
        summary, sheets = gather(project)
        check(progress)
        written = write_biller_workbook(target, summary, sheets, progress)
        digest = project.record_made(target, KIND, rows=sum(written["rows"].values()))
        steps.mark_done(project, STEP, output=project.relative(target), sha256=digest)
        log.info("wrote the biller workbook %s", project.relative(target))
        progress.report(1, 1, f"wrote {target}")
        return {"output": str(target), "sheets": written["sheets"], "rows": written["rows"],
                "sha256": digest, "notes": summary.notes}


def write_report_in(folder: str | Path, out: str | Path | None = None,
                    progress: Progress | None = None) -> dict[str, Any]:
    """`write_report` from plain arguments, for a worker process (openpyxl holds the GIL)."""
    with Project.open(folder) as project:
        return write_report(project, Path(out) if out else None, progress)


# -- gathering --------------------------------------------------------------------------------
def gather(project: Project) -> tuple[Summary, list[TableSheet]]:
    customers = snapshot.load(project, snapshot.CUSTOMERS)
    xref = (snapshot.load(project, snapshot.CROSS_REFERENCE)
            if snapshot.exists(project, snapshot.CROSS_REFERENCE) else None)
    details = verification.details(project)
    figures = verification.figures(project)
    notes: list[str] = []
    if xref is None:
        notes.append(NO_XREF)
    if figures is None or details is None:
        notes.append(NO_VERIFY)
        details = None
    joined = _with_new_numbers(customers, xref)
    sheets = [
        _account_mapping(joined, xref),
        _exceptions(joined, xref, details),
        _reregistration(joined, xref),
        _checklist(project),
        _audit(project),
    ]
    return _summary(project, customers, xref, figures, notes), sheets


def _count_y(table: pa.Table, column: str) -> int:
    return int(pc.sum(pc.cast(pc.equal(table[column], "Y"), pa.int64())).as_py() or 0)


def _summary(project: Project, customers: pa.Table, xref: pa.Table | None,
             figures: dict[str, Any] | None, notes: list[str]) -> Summary:
    d = project.dates
    autopay_before = _count_y(customers, "autopay")
    paperless_before = _count_y(customers, "paperless")
    xref_step = project.store.step("cross_reference")
    lines: list[tuple[str, Any]] = [
        ("Biller", project.biller),
        ("Go-live", d.go_live.isoformat()),
        ("Maintenance window", f"{d.window_start.isoformat()} to {d.window_end.isoformat()} "
                               f"({d.window_days} days)"),
        ("Production BID", project.production_bid),
        ("Test BID", project.test_bid or "not set"),
        ("Workbook written", now_iso()),
        ("", ""),
        ("Customers before go-live", customers.num_rows),
        ("Autopay before go-live", autopay_before),
        ("Paperless before go-live", paperless_before),
    ]
    if xref is not None:
        detail = xref_step[2] if xref_step else {}
        lines += [("Accounts renumbered (cross-reference)", xref.num_rows)]
        if "unmatched" in detail:
            lines += [("Customers not in the cross-reference", int(detail["unmatched"]))]
    autopay_after = paperless_after = None
    if figures is not None:
        a, p = figures["autopay"], figures["paperless"]
        autopay_after = int(a["kept"]) + int(a["gained"])
        paperless_after = int(p["kept"]) + int(p["gained"])
        lines += [
            ("", ""),
            ("Verification", "PRESERVED: nothing lost, gained, changed or missing"
             if figures["preserved"] else "NOT PRESERVED: see the Exceptions sheet"),
            ("Customers matched after go-live", figures["matched"]),
            ("Missing after go-live", figures["missing_after"]),
            ("Unexpected after go-live", figures["unexpected_after"]),
            ("Autopay kept", a["kept"]), ("Autopay lost", a["lost"]),
            ("Autopay gained", a["gained"]),
            ("Paperless kept", p["kept"]), ("Paperless lost", p["lost"]),
            ("Paperless gained", p["gained"]),
            ("Payment method changed", figures["method_changed"]),
            ("Last 4 changed", figures["last4_changed"]),
        ]
    return Summary(
        title=f"{project.biller}: conversion to Daffron",
        lines=lines,
        chart_rows=[("Autopay", autopay_before, autopay_after),
                    ("Paperless", paperless_before, paperless_after)],
        notes=notes,
    )


def _with_new_numbers(customers: pa.Table, xref: pa.Table | None) -> pa.Table:
    """The customers in snapshot order with their new account number ('' when none).
    Accounts the cross-reference has and the snapshot does not are left out: they are no
    customer of this biller's list (import-xref reported them)."""
    n = customers.num_rows
    base = pa.table({
        "row": pc.cast(customers["row"], pa.int64()),
        **{c: pc.fill_null(customers[c], "") for c in snapshot.CUSTOMER_COLUMNS},
    })
    if xref is None:
        return base.append_column("new", pa.array([""] * n, pa.string()))
    where = pc.index_in(base["account"], value_set=xref["old"].combine_chunks(),
                        skip_nulls=True)
    new = pc.fill_null(pc.take(xref["new"].combine_chunks(), where), "")
    return base.append_column("new", new)


def _account_mapping(joined: pa.Table, xref: pa.Table | None) -> TableSheet:
    headers = ["Old Account Number", "New Account Number", "Customer Name", "Email",
               "Paperless", "Autopay", "Payment Method", "Last 4"]
    widths = [20, 20, 30, 34, 10, 10, 16, 8]
    if xref is None:
        return TableSheet("Account Mapping", headers, widths, None, NO_XREF)
    table = pa.table({
        "old": joined["account"], "new": joined["new"], "name": joined["name"],
        "email": joined["email"], "paperless": joined["paperless"],
        "autopay": joined["autopay"], "method": joined["method"], "last4": joined["last4"],
    })
    return TableSheet("Account Mapping", headers, widths, table)


def _exceptions(joined: pa.Table, xref: pa.Table | None,
                details: pa.Table | None) -> TableSheet:
    headers = ["Issue", "Old Account Number", "New Account Number", "Customer Name", "Email",
               "Before", "After", "Snapshot Row", "Post-export Row", "Reason",
               "What to do"]
    widths = [26, 20, 20, 28, 30, 10, 10, 12, 14, 48, 60]
    if details is not None:
        issue = details["issue"]
        labels = pa.array([ISSUE_LABELS[k] for k in ISSUES], pa.string())
        fixes = pa.array(list(ISSUES.values()), pa.string())
        where = pc.index_in(issue, value_set=pa.array(list(ISSUES), pa.string()))
        table = pa.table({
            "issue": pc.take(labels, where), "old": details["old_account"],
            "new": details["new_account"], "name": details["name"], "email": details["email"],
            "before": details["before"], "after": details["after"],
            "snapshot_row": details["snapshot_row"], "post_row": details["post_row"],
            "reason": details["reason"], "fix": pc.take(fixes, where),
        })
        return TableSheet("Exceptions", headers, widths, table,
                          "Verification found nothing to report: every customer matched "
                          "with the same flags and payment method")
    if xref is None:
        return TableSheet("Exceptions", headers, widths, None, NO_XREF)
    # before verification: the customers the cross-reference left without a new number
    unmatched = joined.filter(pc.equal(joined["new"], ""))
    n = unmatched.num_rows
    blank = pa.array([""] * n, pa.string())
    table = pa.table({
        "issue": pa.array([ISSUE_LABELS["not_in_cross_reference"]] * n, pa.string()),
        "old": unmatched["account"], "new": blank, "name": unmatched["name"],
        "email": unmatched["email"], "before": blank, "after": blank,
        "snapshot_row": unmatched["row"], "post_row": pa.nulls(n, pa.int64()),
        "reason": pa.array(["the provider's cross-reference has no new number for it"] * n,
                           pa.string()),
        "fix": pa.array(["Ask the provider for the customer's new account number"] * n,
                        pa.string()),
    })
    return TableSheet("Exceptions", headers, widths, table,
                      "Every customer has a new account number. " + NO_VERIFY)


def _reregistration(joined: pa.Table, xref: pa.Table | None) -> TableSheet:
    headers = ["Customer Name", "Email", "New Account Number", "Old Account Number",
               "Notify By", "Paperless", "Autopay"]
    widths = [30, 34, 20, 20, 26, 10, 10]
    has_email = pc.not_equal(joined["email"], "")
    table = pa.table({
        "name": joined["name"], "email": joined["email"], "new": joined["new"],
        "old": joined["account"],
        "notify": pc.if_else(has_email, "email", "letter (no email on file)"),
        "paperless": joined["paperless"], "autopay": joined["autopay"],
    })
    return TableSheet("Re-registration", headers, widths, table,
                      "No customers in the snapshot")


def _checklist(project: Project) -> TableSheet:
    headers = ["Task", "Owner", "Phase", "Status", "Date", "Signed Off By", "Note", "ID"]
    widths = [70, 10, 14, 10, 22, 20, 40, 28]
    rows: dict[str, list[Any]] = {k: [] for k in
                                  ("title", "owner", "phase", "status", "at", "by", "note", "id")}
    for item in checklist.items(project):
        if item["id"] == "biller_workbook":
            item = {**item, "done": True, "by": "convwiz", "at": now_iso(),
                    "note": "this workbook"}
        rows["title"].append(item["title"])
        rows["owner"].append(item["owner"])
        rows["phase"].append(item["phase"].replace("_", " "))
        rows["status"].append("Done" if item["done"] else "Open")
        rows["at"].append(item["at"] or "")
        rows["by"].append(item["by"] or "")
        rows["note"].append(item["note"] or "")
        rows["id"].append(item["id"])
    return TableSheet("Checklist", headers, widths,
                      pa.table({k: pa.array(v, pa.string()) for k, v in rows.items()}))


def host_key_settings(project: Project) -> list[tuple[str, str]]:
    """(where, fingerprint and key type) of the pinned SFTP host key, if one is pinned
    (settings written by `flow.exchange.connect`)."""
    settings = project.store.settings()
    fingerprint = settings.get(S_HOST_KEY)
    if not fingerprint:
        return []
    host, port = settings.get(S_HOST) or "", settings.get(S_PORT) or 22
    key_type = settings.get(S_KEY_TYPE) or ""
    where = f"{host}:{port}" if host else "the provider's SFTP server"
    return [(where + (f" ({key_type})" if key_type else ""), str(fingerprint))]


def _audit(project: Project) -> TableSheet:
    headers = ["Time", "Event", "Kind", "File", "SHA-256", "Rows", "Bytes", "Detail"]
    widths = [22, 22, 24, 48, 66, 10, 12, 60]
    events: list[tuple[str, str, str, str, str, int | None, int | None, str]] = []
    for where, fingerprint in host_key_settings(project):
        events.append(("", "SFTP host key accepted", "host key", where, fingerprint, None,
                       None, "the provider's server key pinned for every transfer"))
    for e in project.store.manifest():
        events.append((e.at, f"file {e.direction}", e.kind, e.name, e.sha256, e.rows,
                       e.bytes, json.dumps(e.detail, default=str) if e.detail else ""))
    for a in project.store.audit_log():
        if a.action.startswith("file "):
            continue  # the manifest rows above say it with the hash
        events.append((a.at, a.action, "", "", "", None, None,
                       f"{a.actor}: {json.dumps(a.detail, default=str)}"))
    events.sort(key=lambda e: e[0])
    columns = list(zip(*events)) if events else [()] * len(headers)
    types = [pa.string()] * 5 + [pa.int64(), pa.int64(), pa.string()]
    table = pa.table({h: pa.array(list(c), t) for h, c, t in zip(headers, columns, types)})
    return TableSheet("Audit", headers, widths, table, "Nothing recorded yet")
