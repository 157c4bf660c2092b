"""Table models over Arrow tables, so a million rows scroll: the view asks only for the cells
it shows, and filtering runs vectorised (pyarrow compute), never a Python loop per row."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex


class ArrowTableModel(QAbstractTableModel):
    """A read-only view of an all-text Arrow table, optionally filtered.

    `row_labels` (e.g. the row numbers in the source file) become the vertical header.
    """

    def __init__(self, table: pa.Table | None = None, row_labels: pa.Array | None = None,
                 parent: Any = None) -> None:
        super().__init__(parent)
        self._table = pa.table({})
        self._columns: list[pa.Array] = []
        self._labels: pa.Array | None = None
        self._rows: pa.Array | None = None  # indices shown when filtered, else None
        if table is not None:
            self.set_table(table, row_labels)

    # -- data -------------------------------------------------------------------------------
    def set_table(self, table: pa.Table, row_labels: pa.Array | None = None) -> None:
        self.set_prepared(prepare(table, row_labels))

    def set_prepared(self, prepared: Prepared) -> None:
        """Show a table made ready by `prepare` (on any thread); on the GUI thread only."""
        self.beginResetModel()
        self._table, self._columns, self._labels = prepared
        self._rows = None
        self.endResetModel()

    @property
    def table(self) -> pa.Table:
        return self._table

    def total_rows(self) -> int:
        return int(self._table.num_rows)

    def set_filter(self, text: str = "", column_equals: dict[str, str] | None = None) -> None:
        """Filter at once, on this thread (small tables; tests)."""
        self.set_rows(filter_rows(self._table, text, column_equals))

    def set_rows(self, rows: pa.Array | None) -> None:
        """Show only `rows` (indices from `filter_rows`, None for all); on the GUI thread."""
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def shown_rows(self) -> int:
        """The rows the filter lets through (all of them once `grow` is done)."""
        return len(self._rows) if self._rows is not None else int(self._table.num_rows)

    def column_sample(self, column: int, rows: int) -> list[str]:
        """The text of the first `rows` rows shown in `column` (for column widths)."""
        n = min(rows, self.rowCount())
        if n <= 0 or not 0 <= column < len(self._columns):
            return []
        values = self._columns[column]
        taken = (values.slice(0, n) if self._rows is None
                 else pc.take(values, self._rows.slice(0, n)))
        return ["" if v is None else str(v) for v in taken.to_pylist()]

    def source_row(self, row: int) -> int:
        if self._rows is None:
            return row
        return int(self._rows[row].as_py())

    # -- Qt ---------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        if parent.isValid():
            return 0
        return self.shown_rows()

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole,
                                                Qt.ItemDataRole.ToolTipRole):
            return None
        value = self._columns[index.column()][self.source_row(index.row())].as_py()
        return "" if value is None else str(value)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            names = self._table.column_names
            return names[section] if 0 <= section < len(names) else None
        if self._labels is not None:
            return str(self._labels[self.source_row(section)].as_py())
        return str(self.source_row(section) + 1)


Prepared = tuple[pa.Table, list[pa.Array], "pa.Array | None"]


def prepare(table: pa.Table, row_labels: pa.Array | pa.ChunkedArray | None = None) -> Prepared:
    """The table with each column in one chunk (so a cell is one lookup): pure pyarrow, run
    on a worker thread for a big table."""
    columns = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c
               for c in table.columns]
    if isinstance(row_labels, pa.ChunkedArray):
        row_labels = row_labels.combine_chunks()
    return table, columns, row_labels


def filter_rows(table: pa.Table, text: str = "",
                column_equals: dict[str, str] | None = None) -> pa.Array | None:
    """The indices of the rows where any column contains `text` (any case) and each column
    named in `column_equals` holds its value (empty: any); None when nothing filters.

    Vectorised (pyarrow compute releases the GIL), never a Python loop per row: a worker
    thread runs it for a big table while the window stays free."""
    conditions = {k: v for k, v in (column_equals or {}).items()
                  if v and k in table.column_names}
    if not text and not conditions:
        return None
    mask: pa.Array | pa.ChunkedArray | None = None
    for name, value in conditions.items():
        equal = pc.fill_null(pc.equal(table.column(name), value), False)
        mask = equal if mask is None else pc.and_(mask, equal)
    if text:
        hit: pa.Array | pa.ChunkedArray | None = None
        for column in table.columns:
            found = pc.fill_null(pc.match_substring(column, text, ignore_case=True), False)
            hit = found if hit is None else pc.or_(hit, found)
        if hit is not None:
            mask = hit if mask is None else pc.and_(mask, hit)
    if mask is None:
        return pa.array([], pa.uint64()) if table.num_columns == 0 and text else None
    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks() if mask.num_chunks else pa.array([], pa.bool_())
    return pc.indices_nonzero(mask)


def relabel(column: pa.Array | pa.ChunkedArray, labels: dict[str, str],
            fallback_words: bool = False) -> pa.Array | pa.ChunkedArray:
    """Codes (e.g. `autopay_lost`) replaced by the words a person reads ("Autopay lost"),
    vectorised. A code not in `labels` stays, or with `fallback_words` has its underscores
    made spaces and its first letter capitalised."""
    if len(column) == 0:
        return column
    codes = pa.array(list(labels), pa.string())
    words = pa.array(list(labels.values()), pa.string())
    found = pc.take(words, pc.index_in(column, value_set=codes))
    other = (pc.utf8_capitalize(pc.replace_substring(column, "_", " ")) if fallback_words
             else column)
    return pc.coalesce(found, other)
