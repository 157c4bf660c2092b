"""The evidence pack on disk: a `Summary` sheet of facts (label and value, in sections: the
project, the audit log's hash chain, what the pack holds, how to check a file), then one
table sheet per list, written by `services.workbook.Book` like every other workbook.

The facts are plain words and numbers; every table cell from the record is text or a number
(inline strings: never a formula). Arguments are plain data, as for the biller workbook.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from wizard.progress import Progress
from wizard.services.biller_workbook import Figure, Section, Written, write_book
from wizard.services.workbook import Book, TableSheet, clean_text

__all__ = ["Figure", "Section", "TableSheet", "Written", "write_evidence_workbook"]

_LABEL_WIDTH, _VALUE_WIDTH = 40, 90


def _facts_sheet(book: Book, title: str, subtitle: str, sections: Sequence[Section]) -> None:
    f = book.formats
    wrap = book.add_format(text_wrap=True, valign="top", align="left")
    label = book.add_format(bold=True, valign="top")
    # the coloured values wrap too (a broken chain's sentence is long)
    moods = {m: book.add_format(text_wrap=True, valign="top", align="left", bold=True,
                                font_color=c, bg_color=b)
             for m, c, b in (("bad", "#9C0006", "#FFC7CE"), ("good", "#006100", "#C6EFCE"))}
    ws = book.sheet("Summary")
    ws.set_column(0, 0, _LABEL_WIDTH)
    ws.set_column(1, 1, _VALUE_WIDTH)
    ws.write_string(0, 0, clean_text(title), f["title"])
    ws.set_row(0, 21)
    ws.merge_range(1, 0, 1, 1, clean_text(subtitle),
                   book.add_format(italic=True, font_color="#595959", text_wrap=True,
                                   valign="top"))
    ws.set_row(1, 12 * max(1, -(-len(subtitle) // (_LABEL_WIDTH + _VALUE_WIDTH))))
    row = 3
    for section in sections:
        ws.write_string(row, 0, clean_text(section.title), f["section"])
        ws.write_blank(row, 1, None, f["section"])
        row += 1
        for figure in section.figures:
            ws.write_string(row, 0, clean_text(figure.label), label)
            value = figure.value
            mood = moods.get(figure.mood)
            if isinstance(value, datetime):
                ws.write_datetime(row, 1, value, f["datetime"])
            elif isinstance(value, date):
                ws.write_datetime(row, 1, datetime(value.year, value.month, value.day),
                                  f["date"])
            elif isinstance(value, int):
                ws.write_number(row, 1, value, f["value_int"])
            else:
                text = clean_text("" if value is None else str(value))
                ws.write_string(row, 1, text, mood or wrap)
                per_line = int(_VALUE_WIDTH * (0.75 if mood else 1.0))  # bold is wider
                lines = max(1, -(-len(text) // per_line))
                if lines > 1:  # LibreOffice does not grow a row to fit when it opens a file
                    ws.set_row(row, 12 * lines)
            row += 1
        row += 1
    book.print_setup(ws, landscape=False)
    ws.fit_to_pages(1, 0)
    ws.print_area(0, 0, max(row, 1), 1)
    ws.hide_gridlines(2)
    ws.activate()


def write_evidence_workbook(path: Path, title: str, subtitle: str, sections: Sequence[Section],
                            sheets: Sequence[TableSheet], progress: Progress | None = None,
                            biller: str = "", password: str | None = None) -> Written:
    """Write the pack atomically (0600), encrypted with `password` when given (the plain
    package then stays in memory). Returns the sheet titles and row counts."""
    book = Book(biller or title)
    return write_book(path, book, lambda: _facts_sheet(book, title, subtitle, sections), sheets,
                      progress, password)
