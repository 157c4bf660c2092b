"""Re-registration after go-live, kept over time: the project's data, not its papers.

`verify` reads the post export's registration column (`core.registration`) and hands the
figures here: each verified export adds one point to the project's history (the store's
`registration_points`; the same export, by its SHA-256, adds none), and the matched customers
not yet registered are kept in `data/not_registered.parquet`. From them:

- the trend and the task's title, in `core.registration_points`' words (`convwiz status`,
  the Verify page's chart, the workbook's Summary chart, the checklist task "Customers
  re-registered: N% on DATE", which only the biller signs off);
- who has not registered yet, autopay first (`not_registered_rows`), which the papers turn
  into lists (`flow.papers.not_registered`, `flow.papers.outreach`, the biller workbook).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from wizard.core.registration_points import RegistrationPoint, percent_text
from wizard.core.vocabulary import REGISTERED_VALUES_OPTION, SEGMENTS
from wizard.flow.project.project import Project
from wizard.services.files import sha256_file

if TYPE_CHECKING:  # pyarrow is imported where the tables are made: the checklist and
    # `convwiz status` read only the history, and start faster without it
    import pyarrow as pa

    from wizard.core.customers import Prepared
    from wizard.core.reader import Table
    from wizard.core.registration import Registration, RegistrationColumn, RegistrationWords
    from wizard.core.verify import Comparison

log = logging.getLogger("wizard.registration")
NOT_REGISTERED = "not_registered"  # data/not_registered.parquet: old account numbers
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
    from wizard.flow.records import snapshot

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


# -- who has not registered yet ----------------------------------------------------------------
def not_registered_rows(project: Project, joined: pa.Table) -> pa.Table | None:
    """The rows of `joined` (the customers with their new numbers, `outreach.load_joined`)
    not registered at the last measurement, autopay first: by card, by bank account, then
    paperless, then the others, each in snapshot order. None before any measurement."""
    import pyarrow.compute as pc

    from wizard.core.registration import segment_codes
    from wizard.flow.records import snapshot

    if not snapshot.exists(project, NOT_REGISTERED):
        return None
    accounts = snapshot.load(project, NOT_REGISTERED)["account"].combine_chunks()
    chosen = joined.filter(pc.is_in(joined["account"], value_set=accounts))
    codes = segment_codes(chosen)
    return chosen.take(pc.array_sort_indices(codes))  # a stable sort: snapshot order kept


