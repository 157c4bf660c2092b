"""The portfolio's files for the PM's own calendar and manager (`convwiz portfolio
--calendar FILE.ics --workbook FILE.xlsx`, and the start screen's Export buttons).

- The calendar holds every conversion's go-live, maintenance window and checklist tasks at
  their due dates: the events and UIDs of each project's own conversion calendar
  (`flow.papers.conversion_calendar`), so importing it again, or importing a project's own
  calendar too, updates those events instead of doubling them.
- The workbook is one printable sheet, a row per conversion: landscape, the header row
  repeated on every page, fitted to the page's width; up to 40 conversions print on one
  page. It holds no customer data (billers, dates, states and counts only), so unlike the
  biller workbook it is not encrypted.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from wizard.flow.overview.portfolio import OWNERS, Portfolio
from wizard.flow.papers.conversion_calendar import ical
from wizard.services.files import atomic_output

ONE_PAGE_ROWS = 40
SHEET_TITLE = "Portfolio"
# (header, width in characters); the order of the window's table
COLUMNS = (("State", 16), ("Biller", 26), ("Go-live", 11), ("Days left", 6),
           ("Next action", 60), ("Owner", 7), ("Warnings", 60), ("Maintenance window", 27),
           ("Step", 15), *((f"Open: {o}", 7) for o in OWNERS), ("Registered", 10),
           ("Folder", 34))


def write_calendar(found: Portfolio, path: Path, now: datetime | None = None) -> int:
    """Write the calendar (atomically); return how many events it holds. `found` must be
    read `with_calendar=True`."""
    every = [e for c in found.conversions for e in c.calendar]
    data = ical(every, "Conversion portfolio", now)
    with atomic_output(path) as (handle, _tmp):
        handle.write(data)
    return len(every)


def window_text(c_window: tuple[object, object] | None) -> str:
    if c_window is None:
        return ""
    first, last = c_window
    return f"{first:%a %d %b} – {last:%a %d %b %Y}"


def write_workbook(found: Portfolio, path: Path) -> int:
    """Write the one-sheet workbook (atomically); return its rows."""
    from wizard.services.workbook import Book  # pyarrow and xlsxwriter: only when asked

    book = Book("Conversion portfolio")
    ws = book.sheet(SHEET_TITLE)
    f = book.formats
    warn = book.add_format(font_size=9, bold=True, font_color="#9C0006", valign="top")
    for j, (header, width) in enumerate(COLUMNS):
        ws.set_column(j, j, width, f["text"])
        ws.write_string(0, j, header, f["header"])
    ws.set_row(0, 24)
    for i, c in enumerate(found.conversions, start=1):
        urgent = not c.demo and (c.state in ("overdue", "needs attention", "unreadable")
                                 or bool(c.clashes))
        state = c.state + (" (clash)" if c.clashes else "") + (" (demo)" if c.demo else "")
        ws.write_string(i, 0, state, warn if urgent else f["text"])
        ws.write_string(i, 1, c.biller or "")
        if c.go_live is not None:
            ws.write_datetime(i, 2, datetime(c.go_live.year, c.go_live.month, c.go_live.day),
                              f["date"])
        if c.days_left is not None:
            ws.write_number(i, 3, c.days_left, f["plain_int"])
        ws.write_string(i, 4, c.next_action or c.error or "")
        ws.write_string(i, 5, c.owner or "")
        ws.write_string(i, 6, "; ".join(c.warnings))
        ws.write_string(i, 7, window_text(c.window))
        ws.write_string(i, 8, c.step_title or "")
        for k, owner in enumerate(OWNERS):
            if c.open_tasks is not None:
                ws.write_number(i, 9 + k, c.open_tasks[owner], f["plain_int"])
        ws.write_string(i, 12, c.registration or "")
        ws.write_string(i, 13, str(c.path))
    rows = len(found.conversions)
    last_col = len(COLUMNS) - 1
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(rows, 1), last_col)
    ws.set_default_row(12)
    book.print_setup(ws, landscape=True)
    ws.set_header(f"&L&B Conversion portfolio&R{found.today.isoformat()}", {"margins": 0.3})
    ws.repeat_rows(0)
    ws.print_area(0, 0, max(rows, 1), last_col)
    # 40 rows and the header on one landscape page; more continue on further pages
    ws.fit_to_pages(1, 1 if rows <= ONE_PAGE_ROWS else 0)
    book.save(path)
    return rows
