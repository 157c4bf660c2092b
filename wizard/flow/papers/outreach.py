"""The biller's outreach lists: who to tell about the conversion, and how.

From the customer snapshot and (once imported) the cross-reference: customers to notify by
email, customers with no email (to reach by mail or phone), autopay by card and autopay by
bank account (they see different things when they register again), and paperless
customers. Each list has the customer's name, old and new account number and email.

`convwiz outreach` writes them as CSV to `reports/outreach/` (0600, in the manifest), for
the PM's own tools: they stay in the project. With `--workbook` it also writes the one file
for the biller's mail merge, `reports/<biller>_outreach_workbook.xlsx`: a sheet per list,
encrypted with the project's workbook password. The biller workbook counts the lists on its
Summary and marks them on its Re-registration sheet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from wizard.core.registration import segment_masks
from wizard.errors import NotReady
from wizard.flow.project import steps, workbook_password
from wizard.flow.project.project import Project
from wizard.flow.records import registration, snapshot
from wizard.progress import NullProgress, Progress, check
from wizard.services.biller_workbook import Column, write_list_workbook
from wizard.services.csvfile import write_csv

log = logging.getLogger("wizard.outreach")
KIND = "outreach_list"
NOT_REGISTERED_TITLE = "Not yet registered"  # its list's title, and its sheet's here
WORKBOOK_KIND = "outreach_workbook"
HEADER = ["Customer Name", "Old Account Number", "New Account Number", "Email"]
WORKBOOK_COLUMNS = [Column("Customer Name", 26), Column("Old Account Number", 14),
                    Column("New Account Number", 14), Column("Email", 32)]
# each list's sheet in the outreach workbook (Excel allows 31 characters); a list not named
# here gets its title, cut to fit
SHEET_NAMES = {"email": "Notify by email", "no_email": "No email (mail or phone)",
               "autopay_card": "Autopay by card", "autopay_bank": "Autopay by bank account",
               "paperless": "Paperless"}
# a list opened in a spreadsheet: text starting like a formula is shown, never run
_FORMULA_START = ("=", "+", "-", "@")


@dataclass(frozen=True)
class OutreachList:
    key: str
    title: str  # plain words, as on the Summary
    file_name: str
    rows: pa.Table  # name, old, new, email (text)

    @property
    def count(self) -> int:
        return int(self.rows.num_rows)


@dataclass(frozen=True)
class OutreachFile:
    key: str
    title: str
    path: Path
    rows: int
    sha256: str


@dataclass(frozen=True)
class OutreachResult:
    folder: Path
    files: list[OutreachFile]
    workbook: Path | None = None  # with --workbook: the encrypted workbook for the biller
    password: str | None = field(default=None, repr=False)  # for the person, never JSON
    password_created: bool = False
    keyring: str = ""

    def as_json(self) -> dict[str, object]:
        return {"folder": str(self.folder),
                "lists": {f.key: {"path": str(f.path), "rows": f.rows} for f in self.files},
                "workbook": str(self.workbook) if self.workbook else None}


LISTS = (
    ("email", "Customers to notify by email", "notify_by_email.csv"),
    ("no_email", "Customers with no email (mail or phone)", "no_email.csv"),
    ("autopay_card", "Autopay by card", "autopay_by_card.csv"),
    ("autopay_bank", "Autopay by bank account", "autopay_by_bank_account.csv"),
    ("paperless", "Paperless customers", "paperless.csv"),
)


def with_new_numbers(customers: pa.Table, xref: pa.Table | None) -> pa.Table:
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


def masks(joined: pa.Table) -> dict[str, pa.ChunkedArray]:
    """Who is on each list (the autopay and paperless ones: core's segment rule)."""
    has_email = pc.not_equal(joined["email"], "")
    return {"email": has_email, "no_email": pc.invert(has_email), **segment_masks(joined)}


def lists(joined: pa.Table) -> list[OutreachList]:
    """The five lists, each in snapshot order."""
    found = masks(joined)
    out = []
    for key, title, file_name in LISTS:
        rows = _list_rows(joined.filter(found[key]))
        out.append(OutreachList(key, title, file_name, rows))
    return out


def _list_rows(chosen: pa.Table) -> pa.Table:
    """A list's columns (name, old, new, email) from rows of the joined table."""
    return pa.table({"name": chosen["name"], "old": chosen["account"],
                     "new": chosen["new"], "email": chosen["email"]})


def load_joined(project: Project) -> tuple[pa.Table, pa.Table | None]:
    """(customers with their new numbers, the cross-reference or None)."""
    if not snapshot.exists(project, snapshot.CUSTOMERS):
        raise NotReady("the outreach lists need the flag file's customer snapshot: run "
                       "`convwiz export-flags` first")
    customers = snapshot.load(project, snapshot.CUSTOMERS)
    xref = (snapshot.load(project, snapshot.CROSS_REFERENCE)
            if snapshot.exists(project, snapshot.CROSS_REFERENCE) else None)
    return with_new_numbers(customers, xref), xref


def shown_as_text(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """A value a spreadsheet would run as a formula gets a leading apostrophe."""
    risky = pc.is_in(pc.utf8_slice_codeunits(column, 0, 1), value_set=pa.array(_FORMULA_START))
    return pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)




def workbook_path(project: Project) -> Path:
    return project.reports / f"{project.slug()}_outreach_workbook.xlsx"


def sheet_name(item: OutreachList) -> str:
    return SHEET_NAMES.get(item.key) or item.title[:31]


def write_outreach(project: Project, progress: Progress | None = None,
                   workbook: bool = False) -> OutreachResult:
    """`convwiz outreach`: write the five lists to reports/outreach/; with `workbook`, also
    the encrypted outreach workbook (a sheet per list) for the biller."""
    progress = progress or NullProgress()
    with project.writing("outreach"):
        steps.require(project, "report")  # the same prerequisite: the flag file
        kept = workbook_password.ensure(project) if workbook else None  # no keyring: exit 2
        joined, xref = load_joined(project)
        folder = project.reports / "outreach"
        files = []
        for item in lists(joined):
            check(progress)
            path = folder / item.file_name
            table = pa.table({k: shown_as_text(item.rows[k]) for k in item.rows.column_names})
            digest = write_csv(path, HEADER, table, progress, f"writing {item.file_name}")
            project.record_made(path, KIND, rows=item.count, sha256=digest, list=item.key)
            files.append(OutreachFile(item.key, item.title, path, item.count, digest))
        log.info("wrote %s outreach lists to %s%s", len(files), project.relative(folder),
                 "" if xref is not None else " (no cross-reference yet: new numbers empty)")
        if kept is None:
            return OutreachResult(folder, files)
        sheets = [(sheet_name(i), i.rows) for i in lists(joined)]

        late = registration.not_registered_rows(project, joined)
        if late is not None:  # re-registration measured: the reminder list goes in too
            sheets.append((NOT_REGISTERED_TITLE[:31], _list_rows(late)))
        target = write_workbook(project, sheets, kept.password, progress)
        return OutreachResult(folder, files, target, kept.password, kept.created, kept.keyring)


def write_workbook(project: Project, sheets: list[tuple[str, pa.Table]], password: str,
                   progress: Progress | None = None) -> Path:
    """The outreach workbook: one sheet per (sheet name, rows) pair (rows: name, old, new,
    email), encrypted with `password`, in the manifest. Open to more lists than the five."""
    target = workbook_path(project)
    written = write_list_workbook(target, sheets, WORKBOOK_COLUMNS, progress,
                                  biller=project.biller, password=password)
    project.record_made(target, WORKBOOK_KIND, rows=sum(written.rows.values()),
                        encrypted=True, sheets=written.sheets)
    log.info("wrote the outreach workbook %s (encrypted)", project.relative(target))
    return target
