"""What every step page shares: its context (the open project, the one task runner, the demo
if any), a banner for messages, and one small contract with the window (after Electrum's
wizard pages and Calamares' view steps): `refresh()` when shown, `primary` the default
action Enter triggers, `busy` while its work runs, and `saved` when the project changed."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QPushButton, QVBoxLayout, QWidget

from wizard.errors import Cancelled, ConvWizError, NotReady
from wizard.ui import settings
from wizard.ui.widgets import Banner, heading, note
from wizard.ui.workers import Runner, Work, in_child

log = logging.getLogger("wizard.ui")


@dataclass
class PageContext:
    """What a page may use: never a global."""

    project: Any  # wizard.flow.project.Project (imported lazily: start-up stays light)
    runner: Runner
    demo: Any = None  # wizard.flow.demo.DemoSetup when running the demo
    status: Callable[[str], None] = field(default=lambda _text: None)

    @contextlib.contextmanager
    def lock_handed_to_child(self) -> Iterator[None]:
        """Let a child process take the project's write lock, then take it back."""
        self.project.release()
        try:
            yield
        finally:
            try:
                self.project.acquire("convwiz gui")
            except NotReady:
                log.warning("could not take the project lock back after a background step")

    def demo_secret(self) -> str | None:
        """The demo simulator's password, kept in memory only, when the demo logs in by it."""
        if self.demo is None or (self.demo.connection or {}).get("key_file"):
            return None
        return str(self.demo.password)

    def child_work(self, module: str, function: str, *args: Any) -> Work:
        return in_child(self.project.folder, module, function, *args,
                        around=self.lock_handed_to_child)


TABLE_PATTERNS = "*.csv *.txt *.tsv *.xlsx *.xlsm *.xls *.ods"


class StepPage(QWidget):
    """One step's page."""

    step_id = ""
    saved = Signal()  # the project changed: the window redraws the sidebar and status line

    def __init__(self, ctx: PageContext, title: str, summary: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(24, 18, 24, 18)
        self.layout_.setSpacing(12)
        self.title_label = heading(title, 1.5)
        self.layout_.addWidget(self.title_label)
        self.layout_.addWidget(note(summary))
        self.banner = Banner()
        self.layout_.addWidget(self.banner)
        self.primary: QPushButton | None = None

    @property
    def project(self) -> Any:
        return self.ctx.project

    @property
    def busy(self) -> bool:
        return any(self.ctx.runner.running(k) for k in self.task_keys())

    def task_keys(self) -> tuple[str, ...]:
        return (self.step_id,)

    def refresh(self) -> None:
        """Re-read the project; called each time the page is shown."""

    def _update_buttons(self) -> None:
        """Enable what can be done now (called when background work starts or ends)."""

    def ask_for_table(self, title: str, folder_key: str, kind: str = "Customer exports",
                      start: Path | None = None) -> Path | None:
        """A file dialog for a CSV or spreadsheet, opening where the last one of its kind was
        chosen (`folder_key`); None if the person cancelled."""
        path, _ = QFileDialog.getOpenFileName(self, title, settings.last_folder(folder_key, start),
                                              f"{kind} ({TABLE_PATTERNS});;All files (*)")
        return Path(path) if path else None

    def sign_off_task(self, task_id: str, by: str, note: str) -> bool:
        """Sign a checklist task off (saved at once); False, with the reason shown, if not."""
        from wizard.flow.checklist import sign_off

        try:
            sign_off(self.project, task_id, by, note)
        except ConvWizError as exc:
            self.show_error(exc)
            return False
        return True

    def cancel(self) -> None:
        """Cancel this page's background work (its flows leave nothing half-written)."""
        for key in self.task_keys():
            self.ctx.runner.cancel(key)

    def _finished(self) -> None:
        """Background work ended (done, failed or cancelled): stop the bar, redo buttons."""
        progress = getattr(self, "progress", None)
        if progress is not None:
            progress.finish()
        self._update_buttons()

    def make_primary(self, button: QPushButton) -> QPushButton:
        button.setObjectName("primary")
        self.primary = button
        return button

    def default_button(self) -> QPushButton | None:
        """The button Enter presses where the focus is (not on a button): the page's
        primary action, unless a page knows better for the part being filled in."""
        return self.primary

    def show_error(self, exc: BaseException, action: str | None = None,
                   callback: Callable[[], object] | None = None) -> None:
        """Show a failure in the page's banner, in the words the commands use."""
        if isinstance(exc, Cancelled):
            self.banner.show_message("info", "Cancelled. Nothing was written.")
        elif isinstance(exc, ConvWizError):
            self.banner.show_message("error", exc.message, action, callback)
        else:
            log.error("unexpected error on the %s page: %r", self.step_id, exc)
            self.banner.show_message(
                "error", f"Something went wrong ({type(exc).__name__}); details are in "
                f"{self.project.log_path}. Nothing was changed by the failed step.")

    def exceptions_action(self, exc: BaseException
                          ) -> tuple[str | None, Callable[[], object] | None]:
        """'Open exceptions' for an error that carries an exceptions workbook."""
        from wizard.ui.widgets import open_path

        path = getattr(exc, "result", {}).get("exceptions") if isinstance(
            exc, ConvWizError) else None
        if path:
            workbook = Path(path)
            return "Open the exceptions workbook", lambda: open_path(workbook)
        return None, None
