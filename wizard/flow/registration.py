"""Re-registration after go-live, followed over time.

`verify` reads the post export's registration column (`core.registration`) and hands the
figures here: each verified export adds one point to the project's history (the store's
`registration_points`; the same export, by its SHA-256, adds none), and the matched customers
not yet registered are kept in `data/not_registered.parquet` for the lists. From them:

- the trend (`convwiz status`, the Verify page's chart, the workbook's Summary chart);
- the list of customers not yet registered, autopay first, with email and new account number
  (`not_registered`; `convwiz outreach --not-registered` writes it to `reports/outreach/`, the
  biller workbook's Re-registration sheet shows it, `outreach_sheet` offers it to the
  outreach workbook as a (sheet, rows) pair);
- the checklist task "Customers re-registered: N% on DATE" (`flow.checklist`), which only
  the biller signs off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wizard.core.vocabulary import REGISTERED_VALUES_OPTION, SEGMENTS
from wizard.flow.project import Project
from wizard.progress import NullProgress, Progress, check
from wizard.services.files import sha256_file
from wizard.services.store import RegistrationPoint

if TYPE_CHECKING:  # pyarrow is imported where the tables are made: the checklist and
    # `convwiz status` read only the history, and start faster without it
    import pyarrow as pa

    from wizard.core.customers import Prepared
    from wizard.core.reader import Table
    from wizard.core.registration import Registration, RegistrationColumn, RegistrationWords
    from wizard.core.verify import Comparison

log = logging.getLogger("wizard.registration")
NOT_REGISTERED = "not_registered"  # data/not_registered.parquet: old account numbers
LIST_FILE = "not_registered.csv"
LIST_TITLE = "Not yet registered"
LIST_HEADER = ["Customer Name", "Old Account Number", "New Account Number", "Email",
               "Autopay or paperless"]
TASK_ID = "customers_reregistered"
Point = RegistrationPoint  # one point of the history, for the window (which imports no service)
NO_COLUMN = ("re-registration could not be measured: the export has no registration column "
             "(Registered, Registration Date, Username, Login, ...); name one with "
             "--map registered=HEADER")


@dataclass(frozen=True)
class Reading:
    """The post export's registration column, read: the mask is in the order of the
    prepared customers."""

    column: RegistrationColumn
    registered: pa.Array
    export_sha256: str  # the same export verified twice adds no second point
    unknown: dict[str, int] = field(default_factory=dict)  # words no list names: not measured


def percent_text(registered: int, expected: int) -> str:
    """"60%": whole percent, floored (99.7% is "99%": never 100% while anyone is missing)."""
    return f"{100 * registered // expected}%" if expected else "0%"


def read(table: Table, prepared: Prepared, go_live: date, post: Path,
         words: RegistrationWords | None = None, export_sha256: str | None = None
         ) -> Reading | None:
    """Find and read the registration column of the export `post` (None when it has none:
    then nothing more is done, not even hashing the export). `words`: the contract's, with
    any the person named (`--registered-values`)."""
    from wizard.core.registration import CONTRACT_WORDS, aligned, find_column, read_column

    column = find_column(table.data.column_names, prepared.columns)
    if column is None:
        return None
    values = aligned(table.data.column(column.header), table.row_numbers,
                     prepared.customers["row"])
    reading = read_column(values, column.kind, go_live, words or CONTRACT_WORDS)
    return Reading(column, reading.registered, export_sha256 or sha256_file(post),
                   reading.unknown)


def record(project: Project, reading: Reading | None, before: pa.Table,
           comparison: Comparison, measured_on: date | None = None) -> Registration:
    """Measure re-registration among the matched customers and keep it: a new point in the
    history (unless this export was measured before) and the list of who has not
    registered. Without a registration column: not measured, nothing kept."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from wizard.core.registration import NOT_MEASURED, Registration, measure
    from wizard.flow import snapshot

    if reading is None or comparison.matched is None:
        return NOT_MEASURED
    if reading.unknown:  # not guessed: nothing measured, no point, no list
        log.info("re-registration not measured: %s holds unknown words %s",
                 reading.column.header, reading.unknown)
        return Registration(False, column=reading.column.header, kind=reading.column.kind,
                            unknown_values=dict(reading.unknown))
    b_idx, a_idx = comparison.matched
    result = measure(before, reading.registered, b_idx, a_idx,
                     measured_on or date.today(), reading.column)
    figures = result.figures
    by_segment = {k: v.to_json() for k, v in figures.by_segment.items()}
    added = project.store.add_registration_point(str(figures.date), reading.export_sha256,
                                                 figures.registered, figures.expected,
                                                 by_segment)
    accounts = pc.take(before["account"], result.not_registered)
    snapshot.save(project, NOT_REGISTERED, pa.table({"account": accounts}),
                  date=figures.date)
    log.info("re-registration %s of %s on %s (%s)%s", figures.registered, figures.expected,
             figures.date, figures.column, "" if added else ": this export was measured "
             "before, no new point")
    return figures if added else replace(figures, new_point=False)


def sentence(figures: Registration) -> str:
    """What verify says about re-registration, in words."""
    from wizard.core.registration import KIND_WORDS

    if not figures.measured:
        if figures.unknown_values:
            return f"  {unknown_words_text(figures)}"
        return f"  {NO_COLUMN}"
    parts = ", ".join(f"{SEGMENTS[k].lower()} {v.registered:,} of {v.expected:,}"
                      for k, v in figures.by_segment.items())
    how = KIND_WORDS.get(figures.kind or "", "read by its values")
    return (f"  re-registered: {figures.registered:,} of {figures.expected:,} matched customers "
            f"({percent_text(figures.registered, figures.expected)}) on {figures.date}, from "
            f"the column {figures.column!r} ({how}); {parts}"
            + ("" if figures.new_point else "\n  this export was verified before: the "
               "re-registration history keeps its one point"))


def unknown_words_text(figures: Registration) -> str:
    """Why re-registration was not measured when its column holds words no list names."""
    shown = sorted(figures.unknown_values.items(), key=lambda kv: (-kv[1], kv[0]))
    words = ", ".join(f"{word!r} ({count:,} row{'s' if count != 1 else ''})"
                      for word, count in shown[:12])
    more = f" and {len(shown) - 12:,} more" if len(shown) > 12 else ""
    column = f"the column {figures.column!r}" if figures.column else "the registration column"
    return (f"re-registration was not measured: {column} holds words that do not say "
            f"whether a customer registered: {words}{more}. Say what they mean with "
            f"{REGISTERED_VALUES_OPTION} yes=WORD,WORD no=WORD and verify again")


# -- the history -------------------------------------------------------------------------------
def points(project: Project) -> list[RegistrationPoint]:
    """Every point, oldest first."""
    return project.store.registration_points()


def latest(project: Project) -> RegistrationPoint | None:
    found = points(project)
    return found[-1] if found else None


def point_text(point: RegistrationPoint) -> str:
    """"60% on 2027-01-22 (1,204 of 1,998)"."""
    return (f"{percent_text(point.registered, point.expected)} on {point.date} "
            f"({point.registered:,} of {point.expected:,})")


def trend_text(found: list[RegistrationPoint]) -> str:
    """The trend in one line, for `convwiz status` and screen readers."""
    if not found:
        return "Re-registration: not measured yet (verify an export with a registration column)"
    return "Re-registration: " + ", ".join(point_text(p) for p in found)


def points_json(found: list[RegistrationPoint]) -> list[dict[str, Any]]:
    return [{"date": p.date, "registered": p.registered, "expected": p.expected,
             "by_segment": p.by_segment, "at": p.at} for p in found]


def task_title(point: RegistrationPoint) -> str:
    """The checklist task the biller signs off for the latest figure."""
    return (f"Customers re-registered: {percent_text(point.registered, point.expected)} on "
            f"{point.date}")


# -- who has not registered yet ----------------------------------------------------------------
def not_registered_rows(project: Project, joined: pa.Table) -> pa.Table | None:
    """The rows of `joined` (the customers with their new numbers, `outreach.load_joined`)
    not registered at the last measurement, autopay first: by card, by bank account, then
    paperless, then the others, each in snapshot order. None before any measurement."""
    import pyarrow.compute as pc

    from wizard.core.registration import segment_codes
    from wizard.flow import snapshot

    if not snapshot.exists(project, NOT_REGISTERED):
        return None
    accounts = snapshot.load(project, NOT_REGISTERED)["account"].combine_chunks()
    chosen = joined.filter(pc.is_in(joined["account"], value_set=accounts))
    codes = segment_codes(chosen)
    return chosen.take(pc.array_sort_indices(codes))  # a stable sort: snapshot order kept


def not_registered(project: Project) -> pa.Table | None:
    """The matched customers not registered at the last measurement, autopay first (see
    `not_registered_rows`): columns name, old, new, email, segment (in words). None before
    any measurement."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from wizard.core.registration import segment_codes
    from wizard.flow import outreach

    joined, _xref = outreach.load_joined(project)
    chosen = not_registered_rows(project, joined)
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


def outreach_sheet(project: Project) -> tuple[str, pa.Table] | None:
    """The not-registered list as the outreach workbook takes it: (sheet title, rows whose
    columns are LIST_HEADER's); None before any measurement."""
    table = not_registered(project)
    if table is None:
        return None
    return LIST_TITLE, table.rename_columns(LIST_HEADER)


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
                "lists": {NOT_REGISTERED: {"path": str(self.path), "rows": self.rows,
                                           "autopay": self.autopay}},
                "registration": {"date": self.point.date,
                                 "registered": self.point.registered,
                                 "expected": self.point.expected},
                "draft": str(self.draft), "draft_ready": self.draft_ready}


def write_not_registered(project: Project, progress: Progress | None = None,
                         say: Callable[[str], None] | None = None) -> ReminderList:
    """`convwiz outreach --not-registered`: the reminder list to reports/outreach/ and the
    reminder draft to the biller to reports/templates/. Exit 4 before any measurement."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from wizard.errors import NotReady
    from wizard.flow import outreach, reminder, steps
    from wizard.services.csvfile import write_csv

    progress = progress or NullProgress()
    with project.writing("outreach"):
        steps.require(project, "report")
        point = latest(project)
        table = not_registered(project)
        if point is None or table is None:
            raise NotReady("no re-registration measured yet: verify a post-conversion export "
                           "with a registration column (convwiz verify --post EXPORT)")
        check(progress)
        path = project.reports / "outreach" / LIST_FILE
        shown = pa.table({k: outreach.shown_as_text(table[k]) for k in table.column_names})
        digest = write_csv(path, LIST_HEADER, shown, progress, f"writing {LIST_FILE}")
        project.record_made(path, outreach.KIND, rows=table.num_rows, sha256=digest,
                            list=NOT_REGISTERED)
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
