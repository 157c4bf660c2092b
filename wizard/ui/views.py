"""Views several pages share: the checklist with sign-off, the findings table with its
filter, a data preview, and a small bar chart of the verification figures."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wizard.ui import settings


class SignOffDialog(QDialog):
    """Who signs the task off, and an optional note."""

    def __init__(self, task: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.task = task
        self.setWindowTitle("Sign off a task")
        layout = QVBoxLayout(self)
        title = QLabel(f"<b>{task['title']}</b><br>Owner: {task['owner']}")
        title.setWordWrap(True)
        layout.addWidget(title)
        form = QFormLayout()
        self.by = QLineEdit(str(settings.store().value("signer", "") or ""))
        self.by.setPlaceholderText("your name")
        self.note = QLineEdit()
        self.note.setPlaceholderText("optional, e.g. 'confirmed by phone with the biller'")
        form.addRow("Signed off &by:", self.by)
        form.addRow("&Note:", self.note)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("&Sign off")
        ok.setEnabled(bool(self.by.text().strip()))
        self.by.textChanged.connect(lambda text: ok.setEnabled(bool(text.strip())))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(460, self.sizeHint().height())


class ChecklistView(QWidget):
    """The checklist tasks of some phases, with who signed each off and a Sign off button."""

    signed = Signal(str)  # the task id just signed off

    def __init__(self, phases: Sequence[str], sign_off: Callable[[str, str, str], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.phases = tuple(phases)
        self._sign_off = sign_off
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel()
        layout.addWidget(self.summary)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Task", "Owner", "Status", ""])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.table)
        self.buttons: dict[str, QPushButton] = {}
        self.dialog: SignOffDialog | None = None

    def load(self, items: list[dict[str, Any]]) -> None:
        mine = [i for i in items if i["phase"] in self.phases]
        self.table.clearContents()  # drops the old buttons at once, none left drawn behind
        self.table.setRowCount(0)
        self.table.setRowCount(len(mine))
        self.buttons.clear()
        for r, item in enumerate(mine):
            task = QTableWidgetItem(item["title"])
            task.setToolTip(item["title"])
            self.table.setItem(r, 0, task)
            self.table.setItem(r, 1, QTableWidgetItem(item["owner"]))
            if item["done"]:
                when = (item.get("at") or "")[:10]
                status = f"✔ {item['by']}, {when}" if not item["auto"] else f"✔ done {when}"
            else:
                status = "ticks itself when the step is done" if item["auto"] else "open"
            status_item = QTableWidgetItem(status)
            if item["done"]:
                status_item.setForeground(QColor("#1d6b3b"))
            if item.get("note") and not item["auto"]:
                status_item.setToolTip(item["note"])
            self.table.setItem(r, 2, status_item)
            if not item["auto"]:
                button = QPushButton("Sign off…" if not item["done"] else "Sign again…")
                button.clicked.connect(lambda _=False, it=item: self.ask(it))
                self.table.setCellWidget(r, 3, button)
                self.buttons[item["id"]] = button
        self.table.resizeRowsToContents()
        done = sum(1 for i in mine if i["done"])
        self.summary.setText(f"{done} of {len(mine)} tasks done")
        height = self.table.horizontalHeader().height() + 4 + sum(
            self.table.rowHeight(r) for r in range(self.table.rowCount()))
        self.table.setMinimumHeight(min(height, 520))

    def ask(self, item: dict[str, Any]) -> SignOffDialog:
        dialog = SignOffDialog(item, self)
        self.dialog = dialog

        def done(result: int) -> None:
            if result == QDialog.DialogCode.Accepted:
                by = dialog.by.text().strip()
                settings.store().setValue("signer", by)
                self._sign_off(item["id"], by, dialog.note.text().strip())
                self.signed.emit(item["id"])
            dialog.deleteLater()
            self.dialog = None

        dialog.finished.connect(done)
        dialog.open()
        return dialog


class TableView(QWidget):
    """A filterable view of an Arrow table (a preview, findings, who lost what).

    `row_numbers` shows the model's row labels (e.g. the file's row numbers) as the vertical
    header; tables that have their own Row column hide it. Columns get widths from their
    first rows' text, up to `max_width` (or `widths[name]`), and stay resizable by hand; the
    last column takes the rest. With `lines` > 1 long text wraps within each row. A cut text
    is elided with "…" and shown whole in the cell's tooltip.
    """

    SAMPLE_ROWS = 200  # rows measured for the column widths (never the whole table)

    def __init__(self, filter_column: str | None = None,
                 filter_choices: Sequence[tuple[str, str]] = (), parent: QWidget | None = None,
                 *, row_numbers: bool = True, lines: int = 1, max_width: int = 260,
                 widths: Mapping[str, int] | None = None) -> None:
        super().__init__(parent)
        from wizard.ui.models import ArrowTableModel

        self.max_width = max_width
        self.widths = dict(widths or {})
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter: type any text (a row, an account, a rule)…")
        self.filter.setClearButtonEnabled(True)
        bar.addWidget(self.filter, 1)
        self.filter_column = filter_column
        self.choice = QComboBox()
        for label, value in filter_choices:
            self.choice.addItem(label, value)
        self.choice.setVisible(bool(filter_choices))
        bar.addWidget(self.choice)
        self.count = QLabel()
        bar.addWidget(self.count)
        layout.addLayout(bar)
        self.model = ArrowTableModel()
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setWordWrap(lines > 1)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        rows = self.view.verticalHeader()
        # a fixed row height: a million rows scroll without measuring any of them
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.view.fontMetrics().lineSpacing() * lines + 8)
        rows.setVisible(row_numbers)
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        layout.addWidget(self.view)
        self.filter.textChanged.connect(self._apply)
        self.choice.currentIndexChanged.connect(self._apply)

    def set_table(self, table: Any, row_labels: Any = None) -> None:
        self.model.set_table(table, row_labels)
        self._apply()
        self.fit_columns()

    def fit_columns(self) -> None:
        """Each column as wide as its header and the text of its first rows, up to its cap."""
        header = self.view.horizontalHeader()
        text_metrics = self.view.fontMetrics()
        head_metrics = header.fontMetrics()
        sample = min(self.model.rowCount(), self.SAMPLE_ROWS)
        columns = self.model.columnCount()
        for c in range(columns):
            name = str(self.model.headerData(c, Qt.Orientation.Horizontal) or "")
            widest = head_metrics.horizontalAdvance(name) + 24
            for r in range(sample):
                text = self.model.data(self.model.index(r, c)) or ""
                widest = max(widest, text_metrics.horizontalAdvance(text) + 14)
            header.resizeSection(c, max(48, min(widest, self.widths.get(name, self.max_width))))

    def _apply(self) -> None:
        equals = {}
        if self.filter_column and self.choice.isVisible():
            equals[self.filter_column] = str(self.choice.currentData() or "")
        self.model.set_filter(self.filter.text().strip(), equals)
        shown, total = self.model.rowCount(), self.model.total_rows()
        self.count.setText(f"{shown:,} of {total:,}" if shown != total else f"{total:,} rows")


class BarChart(QWidget):
    """Grouped bars: for each group (Autopay, Paperless) kept, lost and gained."""

    SERIES = (("kept", "#2e8b57"), ("lost", "#c0392b"), ("gained", "#1f6fb2"))

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.groups: list[tuple[str, dict[str, int]]] = []
        self.setMinimumHeight(190)

    def set_groups(self, groups: list[tuple[str, dict[str, int]]]) -> None:
        self.groups = groups
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        if not self.groups:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No figures yet")
            return
        top, bottom, left = 28.0, float(self.height() - 26), 12.0
        width = float(self.width()) - 2 * left
        peak = max(1, *(v.get(k, 0) for _, v in self.groups for k, _ in self.SERIES))
        group_w = width / len(self.groups)
        bar_w = min(56.0, group_w / (len(self.SERIES) + 1.5))
        # legend
        x = left
        for name, colour in self.SERIES:
            painter.fillRect(QRectF(x, 6, 12, 12), QColor(colour))
            painter.setPen(QColor("#333"))
            painter.drawText(QRectF(x + 16, 2, 80, 20), Qt.AlignmentFlag.AlignVCenter, name)
            x += 90
        for g, (label, values) in enumerate(self.groups):
            x0 = left + g * group_w + (group_w - bar_w * len(self.SERIES)) / 2
            for s, (name, colour) in enumerate(self.SERIES):
                value = int(values.get(name, 0))
                h = (bottom - top - 16) * value / peak
                rect = QRectF(x0 + s * bar_w + 2, bottom - h, bar_w - 4, h)
                painter.fillRect(rect, QColor(colour))
                painter.setPen(QColor("#333"))
                painter.drawText(QRectF(rect.left() - 10, rect.top() - 16, rect.width() + 20,
                                        14), Qt.AlignmentFlag.AlignCenter, f"{value:,}")
            painter.drawText(QRectF(left + g * group_w, bottom + 4, group_w, 20),
                             Qt.AlignmentFlag.AlignCenter, label)
        painter.setPen(QColor("#aab4bf"))
        painter.drawLine(int(left), int(bottom), int(left + width), int(bottom))
