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
        self.beginResetModel()
        self._table = table
        self._columns = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c
                         for c in table.columns]
        if isinstance(row_labels, pa.ChunkedArray):
            row_labels = row_labels.combine_chunks()
        self._labels = row_labels
        self._rows = None
        self.endResetModel()

    @property
    def table(self) -> pa.Table:
        return self._table

    def total_rows(self) -> int:
        return int(self._table.num_rows)

    def set_filter(self, text: str = "", column_equals: dict[str, str] | None = None) -> None:
        """Show the rows where any column contains `text` (any case) and where each column
        named in `column_equals` holds that value (an empty value means any)."""
        self.beginResetModel()
        mask: pa.Array | None = None
        conditions = {k: v for k, v in (column_equals or {}).items() if v}
        if text or conditions:
            n = self._table.num_rows
            mask = pa.array([True] * n, pa.bool_()) if n else pa.array([], pa.bool_())
            for name, value in conditions.items():
                if name in self._table.column_names:
                    mask = pc.and_(mask, pc.equal(self._table.column(name), value))
            if text:
                hit = pa.array([False] * n, pa.bool_()) if n else pa.array([], pa.bool_())
                for column in self._table.columns:
                    found = pc.fill_null(
                        pc.match_substring(column, text, ignore_case=True), False)
                    hit = pc.or_(hit, found)
                mask = pc.and_(mask, hit)
        if mask is None:
            self._rows = None
        else:
            self._rows = pc.indices_nonzero(mask)
        self.endResetModel()

    def source_row(self, row: int) -> int:
        if self._rows is None:
            return row
        return int(self._rows[row].as_py())

    # -- Qt ---------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        if parent.isValid():
            return 0
        return len(self._rows) if self._rows is not None else int(self._table.num_rows)

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
