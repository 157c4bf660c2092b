"""The biller workbook on disk: the Summary (one landscape page: the figures, two charts, the
dates, the BIDs, who prepared it), then one table sheet per list (Account Mapping,
Exceptions, Re-registration, Checklist, Audit), written by `services.workbook.Book`.

Every value taken from the data is text and stays text (inline strings: never a formula,
never an error value). Sheets past Excel's row limit continue on `Title (2)`, ...

Arguments are plain data (dataclasses of pyarrow tables, strings, dates), so the GUI may run
this in another process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from wizard.core.registration_points import percent
from wizard.progress import NullProgress, Progress, check
from wizard.services import workbook as _workbook
from wizard.services.workbook import Book, Column, TableSheet, clean_text

__all__ = ["SHEETS", "Figure", "Section", "ChartRow", "TrendPoint", "Summary", "TableSheet",
           "Column", "Written", "write_biller_workbook", "write_list_workbook"]

SHEETS = ("Summary", "Account Mapping", "Exceptions", "Re-registration", "Checklist", "Audit")
MAX_DATA_ROWS = _workbook.MAX_DATA_ROWS  # tests lower it to see the split

Value = str | int | date | datetime | None


@dataclass(frozen=True)
class Figure:
    """One line of the Summary: a label and its value; `mood` colours it ("bad", "good")."""

    label: str
    value: Value
    mood: str = ""


@dataclass
class Section:
    title: str
    figures: list[Figure]


@dataclass(frozen=True)
class ChartRow:
    """One enrolment in the charts: counts before and after go-live, lost and gained
    (None: not known yet, before verification)."""

    measure: str
    before: int
    after: int | None = None
    lost: int | None = None
    gained: int | None = None


@dataclass(frozen=True)
class TrendPoint:
    """One re-registration measurement: the day, days after go-live, registered of
    expected (flow.records.registration)."""

    day: date
    days_after_go_live: int
    registered: int
    expected: int


@dataclass
class Summary:
    title: str
    subtitle: str
    figures: list[Section]  # the conversion's figures (left)
    project: list[Section]  # the project: dates, BIDs, who prepared it, outreach (right)
    chart_rows: list[ChartRow]
    notes: list[str] = field(default_factory=list)
    registration: list[TrendPoint] = field(default_factory=list)  # oldest first


@dataclass(frozen=True)
class Written:
    sheets: list[str]
    rows: dict[str, int]


# columns of the Summary: A labels, B values (the chart's table uses B to E), G labels, H values
_WIDTHS = {0: 34, 1: 13, 2: 13, 3: 13, 4: 13, 5: 2, 6: 38, 7: 30}
_CHART_W, _CHART_H = 500, 250


def _write_value(book: Book, ws: Any, row: int, col: int, figure: Figure,
                 span: int = 0) -> None:
    f = book.formats
    if span and isinstance(figure.value, str):  # a sentence: across the block, one fill
        ws.merge_range(row, col, row, col + span, "", f.get(figure.mood) or f["value"])
    mood = f.get(figure.mood) if figure.mood else None
    value = figure.value
    if value is None:
        ws.write_string(row, col, "", mood or f["value"])
    elif isinstance(value, datetime):
        ws.write_datetime(row, col, value, f["datetime"])
    elif isinstance(value, date):
        ws.write_datetime(row, col, datetime(value.year, value.month, value.day), f["date"])
    elif isinstance(value, int):
        ws.write_number(row, col, value, mood or f["value_int"])
    else:
        ws.write_string(row, col, clean_text(str(value)), mood or f["value"])


def _sections(book: Book, ws: Any, row: int, col: int, sections: Sequence[Section],
              span: int = 0) -> int:
    f = book.formats
    for section in sections:
        ws.write_string(row, col, section.title, f["section"])
        for extra in range(1, span + 2):
            ws.write_blank(row, col + extra, None, f["section"])
        row += 1
        for figure in section.figures:
            ws.write_string(row, col, figure.label, f["label"])
            _write_value(book, ws, row, col + 1, figure, span)
            row += 1
        row += 1
    return row


def _summary_sheet(book: Book, summary: Summary) -> None:
    f = book.formats
    ws = book.sheet("Summary")
    for col, width in _WIDTHS.items():
        ws.set_column(col, col, width)
    ws.write_string(0, 0, clean_text(summary.title), f["title"])
    ws.set_row(0, 21)
    ws.write_string(1, 0, clean_text(summary.subtitle), f["note"])
    left = _sections(book, ws, 3, 0, summary.figures, span=3)
    right = _sections(book, ws, 3, 6, summary.project)
    first, last = _chart_table(book, ws, max(left, right), summary.chart_rows)
    row = last + 2
    ws.insert_chart(row, 0, _enrolment_chart(book, first, last,
                                             "Enrolled before and after go-live",
                                             [(1, "#1F4E79"), (2, "#5B9BD5")]),
                    {"x_offset": 2, "y_offset": 4, "object_position": 3})
    ws.insert_chart(row, 0, _enrolment_chart(book, first, last,
                                             "Lost and gained at go-live (every one counts)",
                                             [(3, "#C00000"), (4, "#548235")]),
                    {"x_offset": _CHART_W + 30, "y_offset": 4, "object_position": 3})
    row += _CHART_H // 16 + 2
    if summary.registration:
        row = _registration_chart(book, ws, row, summary.registration)
    for note in summary.notes:
        ws.write_string(row, 0, clean_text(note), f["note"])
        row += 1
    book.print_setup(ws, landscape=True)
    ws.set_margins(left=0.4, right=0.4, top=0.4, bottom=0.6)
    ws.center_horizontally()
    ws.fit_to_pages(1, 1)
    ws.print_area(0, 0, max(row, 1), max(_WIDTHS))
    ws.hide_gridlines(2)
    ws.activate()


def _chart_table(book: Book, ws: Any, row: int, chart_rows: Sequence[ChartRow]) -> tuple[
        int, int]:
    """The charts' table from `row`: every figure the charts draw is also a number on the
    page ("not yet" before verification). Returns its first and last data rows."""
    f = book.formats
    heads = ["Enrolment", "Before go-live", "After go-live", "Lost", "Gained"]
    ws.write_row(row, 0, heads, f["header"])
    first = row + 1
    for i, c in enumerate(chart_rows):
        r = first + i
        ws.write_string(r, 0, c.measure, f["label"])
        for j, v in enumerate((c.before, c.after, c.lost, c.gained), start=1):
            if v is None:
                ws.write_string(r, j, "not yet", f["note"])
            else:
                ws.write_number(r, j, v, f["int"])
    return first, first + len(chart_rows) - 1


def _enrolment_chart(book: Book, first: int, last: int, title: str,
                     series: Sequence[tuple[int, str]]) -> Any:
    """A column chart of the charts' table (rows `first` to `last`): one series per
    (column, colour), each bar labelled with its number."""
    ch = book.book.add_chart({"type": "column"})
    for col, colour in series:
        ch.add_series({
            "name": ["Summary", first - 1, col],
            "categories": ["Summary", first, 0, last, 0],
            "values": ["Summary", first, col, last, col],
            "fill": {"color": colour}, "border": {"none": True}, "gap": 60,
            "data_labels": {"value": True, "num_format": "#,##0", "position": "outside_end",
                            "font": {"size": 9, "bold": True}},
        })
    ch.set_title({"name": title, "name_font": {"size": 11, "bold": True}})
    ch.set_y_axis({"min": 0, "num_format": "#,##0", "major_gridlines": {
        "visible": True, "line": {"color": "#D9D9D9"}}, "num_font": {"size": 8},
        "name": "Customers", "name_font": {"size": 9, "bold": False}})
    ch.set_x_axis({"num_font": {"size": 9}})
    ch.set_legend({"position": "bottom", "font": {"size": 9}})
    ch.set_size({"width": _CHART_W, "height": _CHART_H})
    return ch


def _registration_chart(book: Book, ws: Any, row: int, points: Sequence[TrendPoint]) -> int:
    """The re-registration points as a table (every figure the chart draws is a number on
    the page) and, beside it, the "Re-registration" chart: share registered against days
    after go-live, both axes from zero and titled. Returns the next free row."""
    f = book.formats
    share = book.add_format(num_format="0%")
    heads = ["Re-registration measured", "Days after go-live", "Registered", "Expected",
             "Registered %"]
    ws.write_row(row, 0, heads, f["header"])
    first = row + 1
    for i, p in enumerate(points):
        r = first + i
        ws.write_datetime(r, 0, datetime(p.day.year, p.day.month, p.day.day), f["date"])
        ws.write_number(r, 1, p.days_after_go_live, f["int"])
        ws.write_number(r, 2, p.registered, f["int"])
        ws.write_number(r, 3, p.expected, f["int"])
        # whole percent, floored as everywhere else (never 100% while anyone is missing)
        ws.write_number(r, 4, percent(p.registered, p.expected) / 100 if p.expected else 0,
                        share)
    last = first + len(points) - 1
    ch = book.book.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
    ch.add_series({
        "name": "Registered %",
        "categories": ["Summary", first, 1, last, 1],
        "values": ["Summary", first, 4, last, 4],
        "marker": {"type": "circle", "size": 6, "fill": {"color": "#1F4E79"},
                   "border": {"color": "#1F4E79"}},
        "line": {"color": "#1F4E79", "width": 2},
        "data_labels": {"value": True, "num_format": "0%", "position": "above",
                        "font": {"size": 9, "bold": True}},
    })
    ch.set_title({"name": "Re-registration", "name_font": {"size": 11, "bold": True}})
    ch.set_x_axis({"name": "Days after go-live", "name_font": {"size": 9, "bold": False},
                   "min": min(0, *(p.days_after_go_live for p in points)),
                   "max": max(1, *(p.days_after_go_live + 1 for p in points)),
                   "num_font": {"size": 8}, "major_gridlines": {"visible": False}})
    ch.set_y_axis({"name": "Customers registered (% of expected)", "min": 0, "max": 1,
                   "num_format": "0%", "name_font": {"size": 9, "bold": False},
                   "num_font": {"size": 8}, "major_gridlines": {
                       "visible": True, "line": {"color": "#D9D9D9"}}})
    ch.set_legend({"none": True})
    ch.set_size({"width": _CHART_W, "height": _CHART_H})
    ws.insert_chart(row, 6, ch, {"x_offset": 2, "y_offset": 0, "object_position": 3})
    return max(last + 2, row + _CHART_H // 16 + 2)


def write_biller_workbook(path: Path, summary: Summary, sheets: Sequence[TableSheet],
                          progress: Progress | None = None, biller: str = "",
                          password: str | None = None) -> Written:
    """Write the workbook atomically (0600), encrypted with `password` when given (the plain
    package then stays in memory). Returns the sheet titles and row counts."""
    book = Book(biller or summary.title)
    return write_book(path, book, lambda: _summary_sheet(book, summary), sheets, progress,
                      password)


def write_book(path: Path, book: Book, first_sheet: Callable[[], None],
               sheets: Sequence[TableSheet], progress: Progress | None = None,
               password: str | None = None) -> Written:
    """`book` with its Summary (`first_sheet` writes it) and the table sheets, saved
    atomically (0600), encrypted with `password` when given; nothing left on a failure."""
    progress = progress or NullProgress()
    titles = ["Summary"]
    rows: dict[str, int] = {}
    try:
        first_sheet()
        for sheet in sheets:
            titles.extend(book.table_sheet(sheet, MAX_DATA_ROWS))
            rows[sheet.title] = sheet.rows
        check(progress)
        book.save(path, progress, lambda _part: f"writing {path.name}", password=password)
    except BaseException:
        book.discard()
        raise
    return Written(titles, rows)


def write_list_workbook(path: Path, lists: Sequence[tuple[str, Any]], columns: Sequence[Column],
                        progress: Progress | None = None, biller: str = "",
                        password: str | None = None) -> Written:
    """A workbook of lists with the same columns (the outreach workbook): one sheet per
    (sheet name, pyarrow table) pair, in order; encrypted with `password` when given."""
    progress = progress or NullProgress()
    book = Book(biller or "Outreach lists")
    titles: list[str] = []
    rows: dict[str, int] = {}
    try:
        for title, table in lists:
            sheet = TableSheet(title, list(columns), table, "Nobody on this list",
                               landscape=False, dense=True)
            titles.extend(book.table_sheet(sheet, MAX_DATA_ROWS))
            rows[title] = sheet.rows
        check(progress)
        book.save(path, progress, lambda _part: f"writing {path.name}", password=password)
    except BaseException:
        book.discard()
        raise
    return Written(titles, rows)
