"""Views several pages share: the checklist with sign-off, the findings table with its
filter, a data preview, and a small bar chart of the verification figures."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from wizard.ui import settings
from wizard.ui.focus import heard_by_tab, labelled, one_tab_stop
from wizard.ui.widgets import show_value

if TYPE_CHECKING:
    from wizard.flow.steps.checklist import ChecklistItem


def retire(widget: QWidget) -> None:
    """Take `widget` out of the window the way Qt's accessibility is told: hidden, a
    screen reader told it is destroyed, then deleted by Qt on the next turn of the event
    loop (never freed from Python while Qt still holds it)."""
    from PySide6.QtGui import QAccessible, QAccessibleEvent

    widget.hide()
    if QAccessible.isActive():
        QAccessible.updateAccessibility(QAccessibleEvent(widget, QAccessible.Event.ObjectDestroyed))
    widget.deleteLater()


class SignOffDialog(QDialog):
    """Who signs the task off, and an optional note."""

    def __init__(self, task: ChecklistItem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.task = task
        self.setWindowTitle("Sign off a task")
        layout = QVBoxLayout(self)
        title = QLabel(f"<b>{task.title}</b><br>Owner: {task.owner}")
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

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        # the name last used is offered selected: typing replaces it, never appends to it
        # (the audit log once recorded "Pat LeePat Lee")
        self.by.setFocus()
        self.by.selectAll()


class ChecklistView(QWidget):
    """The checklist tasks of some phases, who signed each off, and a Sign off button each.

    Rows of real widgets, not a table with buttons drawn in its cells: every "Sign off"
    button is in the accessibility tree, reachable by Tab, and named with its task ("Sign
    off: Confirm the go-live date"), so a screen reader says which task it signs off."""

    signed = Signal(str)  # the task id just signed off

    def __init__(self, phases: Sequence[str], sign_off: Callable[[str, str, str], None],
                 parent: QWidget | None = None, name: str = "Checklist") -> None:
        super().__init__(parent)
        self.phases = tuple(phases)
        self._sign_off = sign_off
        self.setAccessibleName(name)
        self.setAccessibleDescription("Each task with its owner, its status and a button to "
                                      "sign it off")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.summary = heard_by_tab(QLabel())
        show_value(self.summary, "", f"{name}: progress")
        layout.addWidget(self.summary)
        self.rows = QWidget()
        self.rows.setObjectName("checklist")
        self.rows.setStyleSheet("#checklist QLabel[head='true'] { font-weight: bold; }")
        self.grid = QGridLayout(self.rows)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(14)
        self.grid.setVerticalSpacing(6)
        self.grid.setColumnStretch(0, 1)
        layout.addWidget(self.rows)
        self.buttons: dict[str, QPushButton] = {}
        self.dialog: SignOffDialog | None = None
        self._shown: list[ChecklistItem] | None = None
        self._rows: dict[str, list[QWidget]] = {}  # each task's widgets, made once

    def load(self, items: list[ChecklistItem]) -> None:
        """Show the tasks. Each task's row is made once and updated in place afterwards
        (signing a task off changes its status and its button's words, not the widgets): a
        screen reader reading the rows meanwhile never meets a widget that went away. A
        task no longer listed leaves as Qt's accessibility is told (`retire`)."""
        mine = [i for i in items if i.phase in self.phases]
        if mine == self._shown:
            return  # unchanged: keep the widgets (and the keyboard focus) where they are
        self._shown = mine
        if not self.grid.count():
            for c, text in enumerate(("Task", "Owner", "Status")):
                head = QLabel(text)
                head.setProperty("head", True)
                self.grid.addWidget(head, 0, c)
        listed = {item.id for item in mine}
        for task_id in [t for t in self._rows if t not in listed]:
            for widget in self._rows.pop(task_id):
                self.grid.removeWidget(widget)
                retire(widget)
            self.buttons.pop(task_id, None)
        for r, item in enumerate(mine, start=1):
            row = self._rows.get(item.id) or self._make_row(item)
            for c, widget in enumerate(row):
                self.grid.addWidget(widget, r, c)  # in the order of the list
            self._update_row(item, row)
        self._tab_order(mine)
        done = sum(1 for i in mine if i.done)
        show_value(self.summary, f"{done} of {len(mine)} tasks done")

    def _tab_order(self, mine: list[ChecklistItem]) -> None:
        """Tab reaches each row's controls (its Sign off button, and any other that takes
        the focus) where the checklist is on the page, in its order: a widget made after the
        page would otherwise come last, after Next."""
        previous: QWidget | None = self.previousInFocusChain()  # what Tab reaches before us
        while previous is not None and previous is not self.window() and \
                previous.focusPolicy() == Qt.FocusPolicy.NoFocus:
            previous = previous.previousInFocusChain()
        if previous is None or previous is self.window():
            return  # not in a window yet: its order is made when it is
        for item in mine:
            for widget in self._rows.get(item.id, []):
                if widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
                    QWidget.setTabOrder(previous, widget)
                    previous = widget

    def _make_row(self, item: ChecklistItem) -> list[QWidget]:
        task = QLabel(item.title)
        task.setWordWrap(True)
        status = heard_by_tab(QLabel())
        status.setWordWrap(True)
        row: list[QWidget] = [task, QLabel(item.owner), status]
        if not item.auto:
            button = QPushButton()
            button.clicked.connect(lambda _=False, task_id=item.id: self._ask_for(
                task_id))
            row.append(button)
            self.buttons[item.id] = button
        self._rows[item.id] = row
        return row

    def _update_row(self, item: ChecklistItem, row: list[QWidget]) -> None:
        title = item.title
        task, owner, status_label = row[0], row[1], row[2]
        if isinstance(task, QLabel):
            task.setText(title)
        if isinstance(owner, QLabel):
            owner.setText(item.owner)
        if item.done:
            when = (item.at or "")[:10]
            status = f"✔ {item.by}, {when}" if not item.auto else f"✔ done {when}"
        else:
            status = "ticks itself when the step is done" if item.auto else "open"
        if isinstance(status_label, QLabel):
            show_value(status_label, status, f"{title}: status")
            status_label.setStyleSheet("color: #1d6b3b;" if item.done else "")
            status_label.setToolTip(item.note if not item.auto else "")
        if len(row) > 3 and isinstance(row[3], QPushButton):
            button = row[3]
            verb = "Sign off" if not item.done else "Sign again"
            button.setText(f"{verb}…")
            button.setAccessibleName(f"{verb}: {title}")
            button.setAccessibleDescription(f"Owner: {item.owner}. Opens a form for your "
                                            "name and a note")
            button.setToolTip(f"{verb}: {title}")

    def _ask_for(self, task_id: str) -> None:
        item = next((i for i in self._shown or [] if i.id == task_id), None)
        if item is not None:
            self.ask(item)

    def ask(self, item: ChecklistItem) -> SignOffDialog:
        dialog = SignOffDialog(item, self)
        self.dialog = dialog

        def done(result: int) -> None:
            if result == QDialog.DialogCode.Accepted:
                by = dialog.by.text().strip()
                settings.store().setValue("signer", by)
                self._sign_off(item.id, by, dialog.note.text().strip())
                self.signed.emit(item.id)
            dialog.deleteLater()
            self.dialog = None

        dialog.finished.connect(done)
        dialog.open()
        return dialog


CAP_CHAR_WIDTH = 6.0  # TableView's column caps are measured in this font's pixels


class TableView(QWidget):
    """A filterable view of an Arrow table (a preview, findings, who lost what).

    `row_numbers` shows the model's row labels (e.g. the file's row numbers) as the vertical
    header; tables that have their own Row column hide it. Columns get widths from their
    first rows' text, up to `max_width` (or `widths[name]`), and stay resizable by hand; the
    last column takes the rest. With `lines` > 1 long text wraps within each row. A cut text
    is elided with "…" and shown whole in the cell's tooltip.

    A big table (over `BACKGROUND_ROWS`) is made ready and filtered on a worker thread
    (pyarrow, which lets go of the GIL): the window never waits for it. The model is reset
    on the GUI thread only, when the result arrives. `name` is what a screen reader calls
    the table; its filter box and choice are named after it.
    """

    SAMPLE_ROWS = 200  # rows measured for the column widths (never the whole table)
    BACKGROUND_ROWS = 20_000
    TYPING_PAUSE_MS = 150  # filter once typing pauses, not at every key

    def __init__(self, filter_column: str | None = None,
                 filter_choices: Sequence[tuple[str, str]] = (), parent: QWidget | None = None,
                 *, row_numbers: bool = True, lines: int = 1, max_width: int = 260,
                 widths: Mapping[str, int] | None = None, name: str = "Table",
                 fill_last: bool = False) -> None:
        super().__init__(parent)
        from wizard.ui.workers import Runner

        self.runner = Runner(self)
        self.max_width = max_width
        self.widths = dict(widths or {})
        # the last column takes exactly the room left and wraps: no sideways scrolling
        self.fill_last = fill_last
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._build_filter_bar(filter_column, filter_choices, name))
        self._build_view(name, lines, row_numbers)
        layout.addWidget(self.view)
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(self.TYPING_PAUSE_MS)
        self._pause.timeout.connect(self._apply)
        self.filter.textChanged.connect(self._typed)
        self.choice.currentIndexChanged.connect(self._apply)
        self.filtering = False  # a filter is being computed in the background
        self.loading = False

    def _build_filter_bar(self, filter_column: str | None,
                          filter_choices: Sequence[tuple[str, str]], name: str) -> QHBoxLayout:
        """The filter box, the choice of rows (when there are choices) and the row count."""
        bar = QHBoxLayout()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter: type any text (a row, an account, a rule)…")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleDescription("Shows only the rows that contain this text, in "
                                             "any column, in any case")
        bar.addWidget(labelled(self.filter, "Filter:", f"Filter the {name.lower()}"))
        bar.addWidget(self.filter, 1)
        self.filter_column = filter_column
        self.choice = QComboBox()
        for label, value in filter_choices:
            self.choice.addItem(label, value)
        self.choice.setVisible(bool(filter_choices))
        self.choice.setAccessibleName(f"Which rows of the {name.lower()} to show")
        self.choice.setAccessibleDescription(f"Shows only the rows whose {filter_column} is "
                                             "the one chosen" if filter_column else "")
        bar.addWidget(self.choice)
        self.count = QLabel()
        show_value(self.count, "", f"Rows shown in the {name.lower()}")
        bar.addWidget(self.count)
        return bar

    def _build_view(self, name: str, lines: int, row_numbers: bool) -> None:
        """The table itself: a fixed row height, its columns resizable by hand."""
        from wizard.ui.models import ArrowTableModel

        self.model = ArrowTableModel()
        self.view = QTableView()
        one_tab_stop(self.view)
        self.view.setModel(self.model)
        self.view.setAccessibleName(name)
        self.view.setAccessibleDescription(f"{name}: one row per line; the filter above it "
                                           "narrows the rows")
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

    @property
    def busy(self) -> bool:
        """Still preparing or filtering."""
        return self.loading or self.filtering or self._pause.isActive()

    def set_table(self, table: Any, row_labels: Any = None) -> None:
        from wizard.ui.models import prepare

        if table.num_rows <= self.BACKGROUND_ROWS:
            self.runner.drop("prepare")
            self._prepared(prepare(table, row_labels))
            return
        self.loading = True
        show_value(self.count, f"preparing {table.num_rows:,} rows…")
        self.runner.start("prepare", lambda _s: prepare(table, row_labels),
                          on_done=self._prepared, on_finished=self._loaded)

    def _loaded(self) -> None:
        self.loading = False

    def _prepared(self, prepared: Any) -> None:
        self.model.set_prepared(prepared)
        self._apply()
        self.fit_columns()

    def fit_columns(self) -> None:
        """Each column as wide as its header and the text of its first rows, up to its cap."""
        header = self.view.horizontalHeader()
        text_metrics = self.view.fontMetrics()
        head_metrics = header.fontMetrics()
        columns = self.model.columnCount()
        # the caps are pixels of a 6-pixel average character (Qt's 9-point sans on Linux); a
        # wider font (Windows' own, a larger size) widens them alike: as many characters
        scale = max(1.0, text_metrics.averageCharWidth() / CAP_CHAR_WIDTH)
        for c in range(columns):
            name = str(self.model.headerData(c, Qt.Orientation.Horizontal) or "")
            widest = head_metrics.horizontalAdvance(name) + 24
            for text in set(self.model.column_sample(c, self.SAMPLE_ROWS)):
                widest = max(widest, text_metrics.horizontalAdvance(text) + 14)
            cap = round(self.widths.get(name, self.max_width) * scale)
            header.resizeSection(c, max(48, min(widest, cap)))
        if self.fill_last and columns:
            header.setSectionResizeMode(columns - 1, QHeaderView.ResizeMode.Stretch)
            header.setStretchLastSection(False)  # the Stretch mode does it, also to shrink
            header.resizeSections()

    def _typed(self) -> None:
        if self.model.total_rows() <= self.BACKGROUND_ROWS:
            self._apply()
        else:
            self._pause.start()

    def _apply(self) -> None:
        from wizard.ui.models import filter_rows

        equals = {}
        if self.filter_column and self.choice.isVisible():
            equals[self.filter_column] = str(self.choice.currentData() or "")
        text = self.filter.text().strip()
        table = self.model.table
        if table.num_rows <= self.BACKGROUND_ROWS:
            self.runner.drop("filter")
            self._filtered(filter_rows(table, text, equals))
            return
        self.filtering = True
        show_value(self.count, "filtering…")
        self.runner.start("filter", lambda _s: filter_rows(table, text, equals),
                          on_done=self._filtered, on_finished=self._filter_ended)

    def _filter_ended(self) -> None:
        self.filtering = self.runner.running("filter")

    def _filtered(self, rows: Any) -> None:
        self.model.set_rows(rows)
        shown, total = self.model.shown_rows(), self.model.total_rows()
        show_value(self.count, f"{shown:,} of {total:,}" if shown != total else f"{total:,} rows")


class BarChart(QWidget):
    """Grouped bars: for each group (Autopay, Paperless) kept, lost and gained.

    The scale is linear, from 0: a bar's height is its share of the largest count, so 7
    lost beside 1,852 kept looks as small as it is (a logarithmic scale made it look like a
    third). Every bar has its count written above it, and a bar that is not zero is never
    thinner than a few pixels, so a small loss is still seen and read.
    """

    SERIES = (("kept", "#2e8b57"), ("lost", "#c0392b"), ("gained", "#1f6fb2"))
    MIN_BAR = 3.0
    NAME = "Chart of kept, lost and gained enrolments (linear scale from 0, each count written)"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.groups: list[tuple[str, dict[str, int]]] = []
        self.setMinimumHeight(200)
        self.setAccessibleName(self.NAME)
        self.setAccessibleDescription("No figures yet")

    def set_groups(self, groups: list[tuple[str, dict[str, int]]]) -> None:
        self.groups = groups
        self.setAccessibleDescription("; ".join(
            f"{label}: " + ", ".join(f"{int(values.get(k, 0) or 0):,} {k}"
                                     for k, _ in self.SERIES)
            for label, values in groups) or "No figures yet")
        self.update()

    def bar_height(self, value: int, peak: int, room: float) -> float:
        """A linear height: `value`'s share of `peak` of the `room` (a count above 0 at
        least MIN_BAR pixels, so it is seen)."""
        if value <= 0:
            return 0.0
        return max(self.MIN_BAR, room * value / max(1, peak))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        if not self.groups:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No figures yet")
            return
        top, bottom, left = 30.0, float(self.height() - 26), 12.0
        width = float(self.width()) - 2 * left
        peak = max(1, *(int(v.get(k, 0) or 0) for _, v in self.groups for k, _ in self.SERIES))
        group_w = width / len(self.groups)
        bar_w = min(56.0, group_w / (len(self.SERIES) + 1.5))
        # legend
        x = left
        for name, colour in self.SERIES:
            painter.fillRect(QRectF(x, 6, 12, 12), QColor(colour))
            painter.setPen(QColor("#333"))
            painter.drawText(QRectF(x + 16, 2, 80, 20), Qt.AlignmentFlag.AlignVCenter, name)
            x += 80
        room = bottom - top - 18
        for g, (label, values) in enumerate(self.groups):
            x0 = left + g * group_w + (group_w - bar_w * len(self.SERIES)) / 2
            for s, (name, colour) in enumerate(self.SERIES):
                value = int(values.get(name, 0) or 0)
                h = self.bar_height(value, peak, room)
                rect = QRectF(x0 + s * bar_w + 2, bottom - h, bar_w - 4, h)
                painter.fillRect(rect, QColor(colour))
                painter.setPen(QColor("#8a1c12" if name == "lost" and value else "#333"))
                painter.drawText(QRectF(rect.left() - 14, rect.top() - 17, rect.width() + 28,
                                        15), Qt.AlignmentFlag.AlignCenter, f"{value:,}")
            painter.setPen(QColor("#333"))
            painter.drawText(QRectF(left + g * group_w, bottom + 4, group_w, 20),
                             Qt.AlignmentFlag.AlignCenter, label)
        painter.setPen(QColor("#aab4bf"))
        painter.drawLine(int(left), int(bottom), int(left + width), int(bottom))
