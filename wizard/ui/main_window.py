"""The wizard's main window: the step sidebar, one page per step, Back/Next and a status line.

The window holds the project's write lock while it is open (a command on the same project
then gets exit 4), owns the one task runner, and on close cancels and awaits every task
before it lets go of the project. It resumes at the first step not done.
"""

from __future__ import annotations

import logging
from datetime import date
from functools import cache
from typing import Any

from PySide6.QtCore import QFileSystemWatcher, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QColor, QGuiApplication, QIcon, QKeyEvent, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractButton,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from wizard.ui import settings
from wizard.ui.pages.base import READ_ONLY_WORK, PageContext, StepPage
from wizard.ui.resources import icon
from wizard.ui.scroll import ScrollPane
from wizard.ui.widgets import FOCUS_COLOUR
from wizard.ui.workers import Runner

log = logging.getLogger("wizard.ui")
STATE_ICONS = {"done": "step-done", "current": "step-current", "ready": "step-ready",
               "blocked": "step-blocked"}
STATE_COLOURS = {"needs attention": "#b26a00", "purged": "#6b7280"}


@cache
def drawn_icon(state: str) -> QIcon:
    """Icons for the states without an SVG: amber "!" (needs attention), grey "×" (purged)."""
    pixmap = QPixmap(24, 24)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(STATE_COLOURS.get(state, "#6b7280")))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(2, 2, 20, 20)
    painter.setPen(QColor("#ffffff"))
    font = painter.font()
    font.setBold(True)
    font.setPixelSize(15)
    painter.setFont(font)
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter,
                     "!" if state == "needs attention" else "×")
    painter.end()
    return QIcon(pixmap)


def state_icon(state: str) -> QIcon:
    return drawn_icon(state) if state in STATE_COLOURS else icon(
        STATE_ICONS.get(state, "step-ready"))


class StepSidebar(QListWidget):
    """The steps with their state; blocked steps cannot be chosen.

    Each item's text says its state in words (a screen reader reads it; colour alone says
    nothing to it): "5. Verify – needs attention: 7 problems"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIconSize(QSize(22, 22))
        self.setFixedWidth(230)
        self.setSpacing(2)
        self.setWordWrap(True)
        self.setObjectName("sidebar")
        self.setAccessibleName("Steps")
        self.setAccessibleDescription("The conversion's steps with their state; choose one to "
                                      "open its page")
        self.setStyleSheet(
            "#sidebar { background: #f3f5f8; border: none; border-right: 1px solid #d9dee4;"
            " padding-top: 8px; font-size: 11pt; }"
            "#sidebar::item { padding: 8px 6px; border-radius: 6px; margin: 0 6px; }"
            "#sidebar::item:selected { background: #dce8f5; color: #102a43; }"
            # its own sheet wins over the application's focus ring: said here again
            f"#sidebar:focus {{ border: 2px solid {FOCUS_COLOUR}; }}")

    def show_states(self, steps: Any, truth: Any) -> None:
        """Update the items in place: a list cleared and filled again leaves a screen
        reader's view of it empty (Qt's accessibility cache of its items is not rebuilt)."""
        self.blockSignals(True)
        if self.count() != len(steps) + 1:
            self.clear()
            for _ in range(len(steps) + 1):
                self.addItem(QListWidgetItem())
        for n, step in enumerate(steps, start=1):
            st = truth.step(step.id)
            state = st.state
            text = f"{n}. {step.title}"
            if state == "needs attention":
                text += f"\n{st.words()}"
            elif state == "purged":
                text += "\npurged"
            item = self.item(n - 1)
            item.setIcon(state_icon(state))
            item.setText(text)
            item.setData(Qt.ItemDataRole.UserRole, step.id)
            item.setData(Qt.ItemDataRole.UserRole + 1, state)
            item.setToolTip(f"{step.summary}\n({st.words()})")
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{n}. {step.title}, {st.words()}")
            item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, step.summary)
            item.setForeground(QColor(STATE_COLOURS.get(state, "#102a43")))
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            item.setFlags(item.flags() & ~flags if state == "blocked" else item.flags() | flags)
        purge = self.item(len(steps))
        purge.setIcon(icon("step-ready"))  # a step to take at the end, not a state
        purge.setText(f"{len(steps) + 1}. Purge")
        purge.setData(Qt.ItemDataRole.UserRole, "purge")
        purge.setToolTip("After the conversion: remove the customer files, keep the audit log")
        purge.setData(Qt.ItemDataRole.AccessibleTextRole, f"{len(steps) + 1}. Purge, after the "
                      "conversion")
        self.blockSignals(False)


class MainWindow(QMainWindow):
    """One open conversion project."""

    closed = Signal()

    def __init__(self, project: Any, demo: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from wizard.flow.project import steps

        self._steps = steps
        self.project = project
        self.demo = demo
        self.runner = Runner(self)
        self.setWindowTitle(f"{project.biller} – Conversion Wizard")
        self.setWindowIcon(icon("convwiz"))
        self.ctx = PageContext(project, self.runner, demo, self.set_status)

        central = QWidget()
        outer = QHBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addLayout(self._build_left_column())
        outer.addLayout(self._build_right_column(), 1)
        self.setCentralWidget(central)
        self._build_status_bar()
        self._wire_signals()
        self.setStyleSheet(
            "QPushButton#primary { background: #1f6fb2; color: white; border: 1px solid #185a91;"
            " border-radius: 4px; padding: 6px 14px; font-weight: bold; }"
            "QPushButton#primary:disabled { background: #9fb8cf; border-color: #9fb8cf; }"
            "QPushButton#primary:focus { border: 2px solid #0d3c66; }")
        self._restore_geometry()
        self._watch_for_changes()
        self.refresh()
        self.go_to(steps.first_not_done(project) or steps.STEPS[-1].id)

    def _build_left_column(self) -> QVBoxLayout:
        """The project's name above the step sidebar."""
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        self.project_label = QLabel()
        self.project_label.setWordWrap(True)
        self.project_label.setFixedWidth(230)
        self.project_label.setStyleSheet("background: #1f4e79; color: white; padding: 12px;")
        left.addWidget(self.project_label)
        self.sidebar = StepSidebar()
        left.addWidget(self.sidebar, 1)
        return left

    def _build_right_column(self) -> QVBoxLayout:
        """The step pages, one shown at a time, above the Back/Next bar."""
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(0)
        self.stack = QStackedWidget()
        self.pages: dict[str, StepPage] = {}
        self.scrolls: dict[str, ScrollPane] = {}
        for page in self._make_pages():
            # not a bare QScrollArea: a screen reader reading one while its scroll bar hid
            # crashed the program (issue 22; wizard/ui/scroll.py says how)
            scroll = ScrollPane(page)
            self.stack.addWidget(scroll)
            self.pages[page.step_id] = page
            self.scrolls[page.step_id] = scroll
            page.saved.connect(self.refresh)
        right.addWidget(self.stack, 1)
        right.addWidget(self._build_nav())
        return right

    def _build_nav(self) -> QFrame:
        """The bar with Back and Next."""
        nav = QFrame()
        nav.setObjectName("nav")
        nav.setStyleSheet("#nav { border-top: 1px solid #d9dee4; background: #fafbfc; }")
        bar = QHBoxLayout(nav)
        bar.setContentsMargins(16, 8, 16, 8)
        self.back_button = QPushButton("‹ &Back")
        self.next_button = QPushButton("&Next ›")
        self.back_button.clicked.connect(lambda: self.go_relative(-1))
        self.next_button.clicked.connect(lambda: self.go_relative(1))
        bar.addWidget(self.back_button)
        bar.addStretch(1)
        bar.addWidget(self.next_button)
        return nav

    def _build_status_bar(self) -> None:
        """The status line and, at its right, what is running."""
        self.status_label = QLabel()
        self.statusBar().addWidget(self.status_label, 1)
        self.busy_label = QLabel()
        self.statusBar().addPermanentWidget(self.busy_label)

    def _wire_signals(self) -> None:
        self.runner.busy_changed.connect(self._busy_changed)
        self.runner.ending.connect(self._work_ended)
        self.sidebar.currentRowChanged.connect(self._row_chosen)
        # a step chosen through the accessibility interface is a selection, not a current row
        self.sidebar.itemSelectionChanged.connect(self._selection_moved)

    def _watch_for_changes(self) -> None:
        """A change made elsewhere (a command, a purge, a file removed) shows at once."""
        self.watcher = QFileSystemWatcher(self)
        self._watch()
        self._changed = QTimer(self)
        self._changed.setSingleShot(True)
        self._changed.setInterval(400)
        self._changed.timeout.connect(self._reread)
        self.watcher.directoryChanged.connect(lambda _p: self._changed.start())
        self.watcher.fileChanged.connect(lambda _p: self._changed.start())

    def _make_pages(self) -> list[StepPage]:
        from wizard.ui.pages.coordination import CoordinationPage
        from wizard.ui.pages.cross_reference import CrossReferencePage
        from wizard.ui.pages.flag_file import FlagFilePage
        from wizard.ui.pages.purge import PurgePage
        from wizard.ui.pages.report import ReportPage
        from wizard.ui.pages.send import SendPage
        from wizard.ui.pages.verification import VerificationPage

        return [CoordinationPage(self.ctx), FlagFilePage(self.ctx), SendPage(self.ctx),
                CrossReferencePage(self.ctx), VerificationPage(self.ctx), ReportPage(self.ctx),
                PurgePage(self.ctx)]

    # -- navigation ---------------------------------------------------------------------------
    @property
    def step_ids(self) -> list[str]:
        return [s.id for s in self._steps.STEPS] + ["purge"]

    @property
    def current_step(self) -> str:
        return self.step_ids[self.stack.currentIndex()]

    @property
    def current_page(self) -> StepPage:
        return self.pages[self.current_step]

    def states(self) -> dict[str, str]:
        return {k: str(v) for k, v in self._steps.states(self.project).items()}

    def can_open(self, step_id: str) -> bool:
        return self.states().get(step_id) != "blocked"

    def go_to(self, step_id: str) -> None:
        if not self.can_open(step_id):
            return
        index = self.step_ids.index(step_id)
        self.stack.setCurrentIndex(index)
        self.sidebar.blockSignals(True)
        self.sidebar.setCurrentRow(index)
        self.sidebar.blockSignals(False)
        self.scrolls[step_id].verticalScrollBar().setValue(0)
        self.current_page.refresh()
        self._update_nav()
        self._arrive()

    def _arrive(self) -> None:
        """The keyboard lands on the page's title, which a screen reader says with what the
        page is for (issue 32); Enter still presses the page's primary action. A page chosen
        in the step list leaves the keyboard there: its item names the page, and Tab goes on
        to the page's title."""
        page = self.current_page
        # what a screen reader names first on coming into the page, before its title
        self.stack.setAccessibleName(f"Step {self.stack.currentIndex() + 1} of "
                                     f"{self.stack.count()}")
        if not self.sidebar.hasFocus():
            page.title_label.setFocus(Qt.FocusReason.OtherFocusReason)

    def go_relative(self, delta: int) -> None:
        ids = self.step_ids
        i = ids.index(self.current_step) + delta
        while 0 <= i < len(ids):
            if self.can_open(ids[i]):
                self.go_to(ids[i])
                return
            i += delta

    def _row_chosen(self, row: int) -> None:
        if 0 <= row < len(self.step_ids):
            self.go_to(self.step_ids[row])

    def _selection_moved(self) -> None:
        chosen = self.sidebar.selectedIndexes()
        if chosen and chosen[0].row() != self.stack.currentIndex():
            self._row_chosen(chosen[0].row())

    def _update_nav(self) -> None:
        ids = self.step_ids
        i = ids.index(self.current_step)
        states = self.states()
        self.back_button.setEnabled(i > 0)
        # Next goes through the conversion's steps; Purge is chosen in the sidebar only
        following = next((s for s in ids[i + 1:] if states.get(s, "blocked") != "blocked"),
                         None)
        self.next_button.setEnabled(following is not None)
        if following is not None:
            title = self._steps.step(following).title
            self.next_button.setText(f"&Next: {title} ›")
        else:
            self.next_button.setText("&Next ›")

    def _watch(self) -> None:
        folder = self.project.folder
        paths = [str(p) for p in [folder, *(folder / s for s in ("data", "inbox", "outbox",
                                                                "reports"))] if p.exists()]
        paths += [str(p) for p in folder.glob("convwiz.sqlite*")]
        missing = [p for p in paths if p not in self.watcher.files() + self.watcher.directories()]
        if missing:
            self.watcher.addPaths(missing)

    def _reread(self) -> None:
        """The project's files changed: re-read them, unless work of ours is running."""
        if getattr(self, "_shut", False):
            return
        self._watch()
        if self.runner.busy:
            self._changed.start()  # after our own work ends
            return
        self.refresh()
        self.current_page.refresh()

    def _work_ended(self, key: str) -> None:
        """A page's work ended and its result is about to be shown. A step's work writes the
        project (in a child process, through its own connection): the steps' states, the
        manifest and the checklist are read again now, before the page draws its result,
        so the sidebar, the Next button, the status line and the page agree with it.
        Nothing of the project is kept between reads: every read asks the store."""
        if getattr(self, "_shut", False) or key.partition(".")[2] in READ_ONLY_WORK:
            return
        self.refresh()
        self.current_page.refresh()

    # -- state --------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw the sidebar, the header and the status line from the project."""
        from wizard.ui.truth import conversion

        self.truth = conversion(self.project)
        self.sidebar.show_states(self._steps.STEPS, self.truth)
        d = self.project.dates
        days = d.days_to_go_live(date.today())
        when = (f"go-live in {days} days" if days > 1 else "go-live tomorrow" if days == 1
                else "go-live today" if days == 0 else f"went live {-days} days ago")
        self.project_label.setText(
            f"<b style='font-size:12pt'>{self.project.biller}</b><br>"
            f"Go-live {d.go_live:%d %b %Y}<br>{when}")
        if self.demo is not None:
            self.project_label.setText(self.project_label.text() + "<br><i>demo project</i>")
        self.set_status()
        if self.stack.count():
            self._update_nav()

    def set_status(self, text: str | None = None) -> None:
        if text is None:
            from wizard.ui.truth import conversion

            d = self.project.dates
            window = f"maintenance window {d.window_start:%d %b} – {d.window_end:%d %b %Y}"
            if d.in_window(date.today()):
                window = "inside the " + window
            what = conversion(self.project).headline()
            text = f"{what}   ·   {window}   ·   {self.project.folder}"
        self.status_label.setText(text)

    def _busy_changed(self, busy: bool) -> None:
        self.busy_label.setText("Working…" if busy else "")
        for page in self.pages.values():
            page._update_buttons()

    # -- keyboard: Enter is the page's default action ----------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            focus = self.focusWidget()
            if isinstance(focus, QAbstractButton) and focus.isEnabled():
                focus.click()
                return
            default = self.current_page.default_button()
            if default is not None and default.isEnabled() and default.isVisible():
                default.click()
                return
            if default is None and self.next_button.isEnabled() and self._steps.is_done(
                    self.project, self.current_step):
                self.next_button.click()  # a page without an action of its own, once done
                return
        super().keyPressEvent(event)

    # -- geometry and closing -----------------------------------------------------------------
    def _restore_geometry(self) -> None:
        """The last size and place, or 1180x780; always inside the screen's available area
        (a 1366x768 laptop, or 1920x1080 at 150%: 1280x720 logical pixels)."""
        geometry = settings.store().value("main_window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1180, 780)
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        room = screen.availableGeometry()
        # the frame (title bar, borders) is not in the size: leave room for it
        width = min(self.width(), room.width() - 16)
        height = min(self.height(), room.height() - 40)
        self.resize(width, height)
        x = min(max(self.x(), room.left()), room.right() - width)
        y = min(max(self.y(), room.top()), room.bottom() - height - 30)
        self.move(max(room.left(), x), max(room.top(), y))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Cancel and await every task, stop the demo's simulator, let go of the project."""
        if getattr(self, "_shut", False):
            return
        self._shut = True
        s = settings.store()
        s.setValue("main_window/geometry", self.saveGeometry())
        s.sync()
        self.status_label.setText("Stopping the work in progress; nothing half-written is "
                                  "kept…")
        if not self.runner.shutdown():
            log.warning("background work did not stop in time")
        if self.demo is not None:
            try:
                self.demo.stop()
            except Exception:  # noqa: BLE001 - closing must go on
                log.exception("stopping the demo simulator failed")
        self.project.close()
        self.closed.emit()
