"""Small hand-written widgets the pages share: a progress panel with Cancel, a banner for
messages, a drop zone for files, and a few helpers for calm, readable layouts."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from wizard.core.visible import shown

FOCUS_COLOUR = "#0b3d91"  # dark blue: 10:1 against white, 8:1 against the pages' grey
# The keyboard focus drawn as a 2-pixel ring in a high-contrast colour (Fusion's own is a
# faint 1-pixel line): set on the application, so every window and dialog has it. Only the
# focused state is styled, but for tables, lists and text boxes: their plain frame is 1 pixel
# and 1 of padding, so the ring takes no room from what they show. Never QAbstractItemView:
# a table's headers are item views too.
FOCUS_RING = f"""
QPushButton:focus, QToolButton:focus {{ border: 2px solid {FOCUS_COLOUR}; border-radius: 4px;
    padding: 0px 4px; background: #eef4fb; }}
QLineEdit:focus, QComboBox:focus, QAbstractSpinBox:focus {{ border: 2px solid {FOCUS_COLOUR}; }}
QTableView, QListView, QTreeView, QPlainTextEdit, QTextEdit {{ border: 1px solid #b8bfc8;
    padding: 1px; }}
QTableView:focus, QListView:focus, QTreeView:focus, QPlainTextEdit:focus, QTextEdit:focus {{
    border: 2px solid {FOCUS_COLOUR}; padding: 0px; }}
QLineEdit:focus, QAbstractSpinBox:focus {{ border-radius: 3px; padding: 1px 2px; }}
QCheckBox:focus, QRadioButton:focus {{ border: 2px solid {FOCUS_COLOUR}; border-radius: 3px;
    padding: 1px; }}
"""


def heading(text: str, size: float = 1.35) -> QLabel:
    label = QLabel(text)
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * size)
    font.setBold(True)
    label.setFont(font)
    label.setWordWrap(True)
    return label


def note(text: str) -> QLabel:
    """A quiet explanatory line."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: #555;")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def value_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    return label


CAPTION = "a11y_caption"  # the QLabel property show_value keeps the caption in


def show_value(label: QLabel, value: str, caption: str | None = None) -> None:
    """Show `value` in `label` and say it to a screen reader.

    An accessible name replaces a label's text for a screen reader: a label named
    "Autopay lost" that shows "7" is read as "Autopay lost" only. So the name is the caption
    with the value, "Autopay lost: 7", set again whenever the value changes (rich text is
    named by its plain words). `caption` is kept on the label: later calls give the value
    alone. Every label in the window that shows a value goes through here."""
    if caption is not None:
        label.setProperty(CAPTION, caption)
    kept = label.property(CAPTION)
    label.setText(value)
    words = plain_text(value)
    label.setAccessibleName(f"{kept}: {words}" if kept and words else str(kept or words))


def plain_text(text: str) -> str:
    """The words of a label's text, without its markup."""
    if "<" not in text:
        return text.strip()
    from PySide6.QtGui import QTextDocumentFragment

    return " ".join(QTextDocumentFragment.fromHtml(text).toPlainText().split())


def captioned_value(caption: str, value: str = "") -> QLabel:
    """A value label (selectable, wrapped) named "caption: value" (see `show_value`)."""
    label = value_label()
    show_value(label, value, caption)
    return label


def section(title: str) -> tuple[QFrame, QVBoxLayout]:
    """A titled box, flat and light."""
    frame = QFrame()
    frame.setObjectName("section")
    frame.setStyleSheet("#section { border: 1px solid #d9dee4; border-radius: 6px;"
                        " background: #ffffff; }")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(14, 10, 14, 12)
    layout.addWidget(heading(title, 1.08))
    return frame, layout


def fit_on_screen(window: QWidget, width: int, height: int) -> None:
    """Size `window` to `width` x `height`, or less: always inside its screen's available
    area with room for the frame (a 1366x768 laptop, or 1920x1080 at 150%: 1280x720
    logical pixels, less the taskbar)."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        window.resize(width, height)
        return
    room = screen.availableGeometry()
    # the frame (title bar, borders) is not in the size: leave room for it
    width, height = min(width, room.width() - 16), min(height, room.height() - 40)
    window.resize(width, height)
    window.move(room.left() + (room.width() - width) // 2,
                room.top() + max(0, (room.height() - height - 30) // 2))


def open_path(path: Path) -> bool:
    """Open a file or folder with the desktop's own program."""
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))


def human_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} GB"


def human_seconds(s: float) -> str:
    s = max(0, int(round(s)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


class Banner(QFrame):
    """A message across the page: info, success, warning or error, with optional action."""

    COLOURS = {
        "info": ("#e8f1fb", "#1f4e79"),
        "success": ("#e7f5ec", "#1d6b3b"),
        "warning": ("#fff5e0", "#7a4d00"),
        "error": ("#fdecea", "#8a1c12"),
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.label = QLabel()
        self.label.setWordWrap(True)
        # a message may name a file from a server: shown as text, never read as markup
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.label, 1)
        self.action = QPushButton()
        self.action.hide()
        layout.addWidget(self.action)
        self._callback: Callable[[], object] | None = None
        self.action.clicked.connect(self._act)
        self.kind = ""
        self.hide()

    def show_message(self, kind: str, text: str, action: str | None = None,
                     callback: Callable[[], object] | None = None) -> None:
        background, colour = self.COLOURS.get(kind, self.COLOURS["info"])
        self.kind = kind
        self.setStyleSheet(f"#banner {{ background: {background}; border: 1px solid {colour};"
                           f" border-radius: 6px; }} #banner QLabel {{ color: {colour}; }}")
        self.label.setText(shown(text, keep_lines=True))  # control characters too
        self._callback = callback
        self.action.setVisible(bool(action and callback))
        if action:
            self.action.setText(action)
        self.show()

    def clear(self) -> None:
        self.kind = ""
        self.label.clear()
        self.hide()

    def text(self) -> str:
        return self.label.text()

    def _act(self) -> None:
        if self._callback is not None:
            self._callback()


class ProgressPanel(QWidget):
    """A progress bar, what is happening, and Cancel. Hidden while nothing runs.

    With `units="bytes"` it also shows the bytes moved, the rate and the time left.
    """

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None, units: str = "") -> None:
        super().__init__(parent)
        self.units = units
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        top = QHBoxLayout()
        self.bar = QProgressBar()
        self.bar.setTextVisible(True)
        top.addWidget(self.bar, 1)
        self.cancel_button = QPushButton("&Cancel")
        self.cancel_button.clicked.connect(self._cancel)
        top.addWidget(self.cancel_button)
        layout.addLayout(top)
        self.label = QLabel()
        self.label.setStyleSheet("color: #555;")
        layout.addWidget(self.label)
        self._started = 0.0
        self.hide()

    def start(self, text: str) -> None:
        self._started = time.monotonic()
        self.bar.setRange(0, 0)  # busy until the first report
        self.label.setText(text)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("&Cancel")
        self.show()

    def update_progress(self, done: int, total: int, message: str) -> None:
        if total > 0:
            # QProgressBar is int32: scale large totals (bytes of a big file)
            scale = max(1, total // 1_000_000)
            self.bar.setRange(0, total // scale)
            self.bar.setValue(min(done, total) // scale)
        else:
            self.bar.setRange(0, 0)
        text = message
        if self.units == "bytes" and total > 0:
            elapsed = max(time.monotonic() - self._started, 1e-3)
            rate = done / elapsed
            eta = (total - done) / rate if rate > 0 else 0
            text = (f"{message}  {human_bytes(done)} of {human_bytes(total)}, "
                    f"{human_bytes(rate)}/s, about {human_seconds(eta)} left")
        self.label.setText(text)

    def finish(self) -> None:
        self.hide()

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")
        self.label.setText("Stopping; nothing half-written will be left…")
        self.cancel_requested.emit()


class DropZone(QFrame):
    """Drop a file here or press the button to choose one."""

    file_chosen = Signal(Path)

    def __init__(self, text: str, suffixes: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.suffixes = tuple(s.lower() for s in suffixes)
        self.setAcceptDrops(True)
        self.setObjectName("dropzone")
        self._style(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        layout.addWidget(self.label, 1)
        self.button = QPushButton("C&hoose file…")
        layout.addWidget(self.button)

    def _style(self, hover: bool) -> None:
        colour = "#1f6fb2" if hover else "#aab4bf"
        self.setStyleSheet(f"#dropzone {{ border: 2px dashed {colour}; border-radius: 8px;"
                           " background: #fafcfe; }")

    def _file_of(self, mime: QMimeData) -> Path | None:
        for url in mime.urls():
            if url.isLocalFile():
                path = Path(url.toLocalFile())
                if path.is_file() and (not self.suffixes or path.suffix.lower() in self.suffixes):
                    return path
        return None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        if self._file_of(event.mimeData()) is not None:
            self._style(True)
            event.acceptProposedAction()

    def dragLeaveEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        self._style(False)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        self._style(False)
        path = self._file_of(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.file_chosen.emit(path)


def ask_yes(parent: QWidget, title: str, question: str) -> bool:
    """A yes/no question; True for yes."""
    from PySide6.QtWidgets import QMessageBox

    answer = QMessageBox.question(parent, title, question)
    return answer == QMessageBox.StandardButton.Yes


def confirm_past_go_live(parent: QWidget, day: date, doing: str) -> bool:
    """Ask before a go-live date in the past is kept (a conversion that already went live);
    `doing` is what goes ahead on yes, e.g. "Create the project"."""
    from PySide6.QtWidgets import QMessageBox

    answer = QMessageBox.question(
        parent, "Go-live in the past",
        f"The go-live date, {day:%d %B %Y}, is in the past. {doing} anyway (a conversion "
        "that already went live)?")
    return answer == QMessageBox.StandardButton.Yes
