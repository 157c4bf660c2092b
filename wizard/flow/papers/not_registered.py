"""The list of customers not yet registered at the last measurement, autopay first, with
their email and new account number: `convwiz outreach --not-registered` writes it to
`reports/outreach/not_registered.csv` with the reminder draft to the biller; the biller
workbook's Re-registration sheet and the outreach workbook show the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from wizard.core.registration import segment_codes
from wizard.core.registration_points import RegistrationPoint
from wizard.core.vocabulary import SEGMENTS
from wizard.errors import NotReady
from wizard.flow.papers import outreach, reminder
from wizard.flow.project import steps
from wizard.flow.project.project import Project
from wizard.flow.records import registration
from wizard.progress import NullProgress, Progress, check
from wizard.services.csvfile import write_csv

LIST_FILE = "not_registered.csv"
LIST_TITLE = outreach.NOT_REGISTERED_TITLE
LIST_HEADER = ["Customer Name", "Old Account Number", "New Account Number", "Email",
               "Autopay or paperless"]


def not_registered(project: Project) -> pa.Table | None:
    """The matched customers not registered at the last measurement, autopay first (see
    `not_registered_rows`): columns name, old, new, email, segment (in words). None before
    any measurement."""
    joined, _xref = outreach.load_joined(project)
    chosen = registration.not_registered_rows(project, joined)
    if chosen is None:
        return None
    labels = pa.array(list(SEGMENTS.values()), pa.string())
    segment = pc.take(labels, segment_codes(chosen))
    neither = pa.scalar("", pa.string())
    return pa.table({
        "name": chosen["name"], "old": chosen["account"], "new": chosen["new"],
        "email": chosen["email"],
        "segment": pc.if_else(pc.equal(segment, SEGMENTS["neither"]), neither, segment),
    })


@dataclass(frozen=True)
class ReminderList:
    path: Path
    rows: int
    autopay: int
    sha256: str
    point: RegistrationPoint
    draft: Path
    draft_ready: bool

    def to_json(self) -> dict[str, Any]:
        """`convwiz outreach` 's shape, with the one list, its figures and the draft."""
        return {"folder": str(self.path.parent),
                "lists": {registration.NOT_REGISTERED: {"path": str(self.path), "rows": self.rows,
                                           "autopay": self.autopay}},
                "registration": {"date": self.point.date,
                                 "registered": self.point.registered,
                                 "expected": self.point.expected},
                "draft": str(self.draft), "draft_ready": self.draft_ready}


def write_not_registered(project: Project, progress: Progress | None = None,
                         say: Callable[[str], None] | None = None) -> ReminderList:
    """`convwiz outreach --not-registered`: the reminder list to reports/outreach/ and the
    reminder draft to the biller to reports/templates/. Exit 4 before any measurement."""
    progress = progress or NullProgress()
    with project.writing("outreach"):
        steps.require(project, "report")
        point = registration.latest(project)
        table = not_registered(project)
        if point is None or table is None:
            raise NotReady("no re-registration measured yet: verify a post-conversion export "
                           "with a registration column (convwiz verify --post EXPORT)")
        check(progress)
        path = project.reports / "outreach" / LIST_FILE
        shown = pa.table({k: outreach.shown_as_text(table[k]) for k in table.column_names})
        digest = write_csv(path, LIST_HEADER, shown, progress, f"writing {LIST_FILE}")
        project.record_made(path, outreach.KIND, rows=table.num_rows, sha256=digest,
                            list=registration.NOT_REGISTERED)
        autopay = int(pc.sum(pc.cast(pc.is_in(table["segment"], value_set=pa.array(
            [SEGMENTS["autopay_card"], SEGMENTS["autopay_bank"]])), pa.int64())).as_py() or 0)
        drafted = reminder.write(project, point, table.num_rows, autopay)
    if say is not None:
        say(f"  {LIST_TITLE} at {point.date}: {table.num_rows:,} customers "
            f"({autopay:,} with autopay, listed first) in {path}")
        say(f"  the reminder to the biller: {drafted.draft}"
            + ("" if drafted.ready else " (NOT READY: fill the settings it names)"))
    return ReminderList(path, table.num_rows, autopay, digest, point, drafted.draft,
                        drafted.ready)
