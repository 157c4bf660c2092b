"""What every step page shares: its context (the open project, the one task runner, the demo
if any), a banner for messages, and one small contract with the window (after Electrum's
wizard pages and Calamares' view steps): `refresh()` when shown, `primary` the default
action Enter triggers, `busy` while its work runs, and `saved` when the project changed."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

from wizard.core.vocabulary import TABLE_SUFFIXES, for_window
from wizard.errors import Cancelled, ConvWizError, NotReady
from wizard.ui import file_dialogs, settings
from wizard.ui.widgets import Banner, heading, note
from wizard.ui.workers import Runner, Work, in_child

if TYPE_CHECKING:
    from wizard.ui.jobs import Finished

log = logging.getLogger("wizard.ui")
# where in the window each command's work is done, for messages the flows word for the CLI
WINDOW_PLACES = {
    "init": "the start screen", "settings": "the Coordinate page",
    "export-flags": "Export flag file on the Flag file page",
    "connect": "Test connection on the Send to Daffron page",
    "host-key": "Test connection on the Send to Daffron page",
    "send": "Send flag file on the Send to Daffron page",
    "fetch-xref": "Fetch from the provider on the Cross-reference page",
    "import-xref": "Make the IC account update on the Cross-reference page",
    "verify": "Verify on the Verify page", "report": "Write the workbook on the Biller "
    "workbook page", "checklist": "the Sign off buttons", "purge": "the Purge page",
    "templates": "the Coordinate page", "tokens": "the Coordinate page",
}
_COMMAND = re.compile(r"(?:run |use |with )?`?convwiz ([a-z-]+)[^`\n)]*`?|\(run ([a-z-]+)\)")


def window_words(message: str) -> str:
    """A flow's message with its command lines and options replaced by what to press in the
    window (`core.vocabulary.for_window` names each option's control)."""
    def place(match: re.Match[str]) -> str:
        command = match.group(1) or match.group(2) or ""
        where = WINDOW_PLACES.get(command, "its page in the window")
        return f"({where})" if match.group(2) else f"use {where}"

    return for_window(_COMMAND.sub(place, message))


# background work that only reads the project (no lock): see StepPage.other_work
READ_ONLY_WORK = {"preview", "findings", "details", "headers"}


@dataclass
class PageContext:
    """What a page may use: never a global."""

    project: Any  # wizard.flow.project.project.Project (imported lazily: start-up stays light)
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

    def child_work(self, function: Any, *args: Any) -> Work:
        """`function` (one of `wizard.ui.jobs.JOBS`) run in the worker process."""
        return in_child(self.project.folder, function, *args,
                        around=self.lock_handed_to_child)


TABLE_PATTERNS = " ".join(f"*{suffix}" for suffix in TABLE_SUFFIXES)


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
        # where the keyboard lands on arriving (MainWindow.go_to): a screen reader says the
        # page's title and what the page is for
        self.title_label.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.title_label.setAccessibleName(title)
        self.title_label.setAccessibleDescription(summary)
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
        if self.ctx.demo is not None:  # the demo's own files, not the home folder
            folder = str(start or Path(self.ctx.demo.customer_export).parent)
        else:
            folder = settings.last_folder(folder_key, start)
        path = file_dialogs.open_file_name(self, title, str(folder),
                                           f"{kind} ({TABLE_PATTERNS});;All files (*)")
        return Path(path) if path else None

    def sign_off_task(self, task_id: str, by: str, note: str) -> bool:
        """Sign a checklist task off (saved at once); False, with the reason shown, if not."""
        from wizard.flow.steps.checklist import sign_off

        try:
            sign_off(self.project, task_id, by, note)
        except ConvWizError as exc:
            self.show_error(exc)
            return False
        return True

    def other_work(self) -> str:
        """"" unless another page's work on the project is running, else what to wait for (a
        tooltip). That work holds the project's one-writer lock: a second job would only be
        refused with "another process is working on …". Reading (a preview, findings,
        details) takes no lock and does not count."""
        from wizard.flow.project import steps

        mine = set(self.task_keys())
        for key in self.ctx.runner.running_keys():
            step_id, _, part = key.partition(".")
            if key in mine or part in READ_ONLY_WORK:
                continue
            try:
                title = steps.step(step_id).title
            except KeyError:
                title = step_id.replace("_", " ").capitalize()
            return f"Wait for '{title}' to finish: it is working on the project"
        return ""

    def missing_prerequisites(self) -> str:
        """"" when every step this one needs is done, else what to do first (a tooltip)."""
        from wizard.flow.project import steps

        try:
            needed = steps.step(self.step_id).requires
        except KeyError:
            return ""
        missing = [steps.step(r).title for r in needed if not steps.is_done(self.project, r)]
        return (f"Finish '{missing[0]}' first (its page in the sidebar)" if missing else "")

    def reveal(self, widget: QWidget) -> None:
        """Scroll the page so `widget` (an action's result) is in view, with the banner if
        it fits; called once the result is shown."""
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QScrollArea

        area = self.parent()
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parent()
        if isinstance(area, QScrollArea):
            scroll = area
            # after the layout has placed the new content
            QTimer.singleShot(0, lambda: scroll.ensureWidgetVisible(widget, 0, 24))

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
            self.banner.show_message("error", window_words(exc.message), action, callback)
            self.reveal(self.banner)  # the page may be scrolled down to where it was pressed
        else:
            log.error("unexpected error on the %s page: %r", self.step_id, exc)
            self.banner.show_message(
                "error", f"Something went wrong ({type(exc).__name__}); details are in "
                f"{self.project.log_path}. Nothing was changed by the failed step.")

    def open_file(self, path: Path) -> None:
        """Open a file with the desktop's program for it, or say why not and where it is."""
        from wizard.ui.widgets import open_path

        if not path.exists():
            self.banner.show_message("warning", f"{path.name} is no longer there (removed or "
                                     "purged); make it again on this page.")
        elif not open_path(path):
            self.banner.show_message(
                "warning", f"No program on this computer opens {path.suffix} files. The file is "
                f"{path}; copy it to a computer with Excel or LibreOffice, or install one.")

    def cancel_too_late(self, finished: Finished[Any], what: str, name: str) -> bool:
        """Say so when Cancel came after the work had finished (its file is then kept)."""
        if not finished.cancel_too_late:
            return False
        self.banner.show_message("info", f"Cancel came after {what} was finished: {name} is "
                                 "written and kept. Nothing else was changed.")
        return True

    def exceptions_action(self, exc: BaseException
                          ) -> tuple[str | None, Callable[[], object] | None]:
        """'Open exceptions' for an error that carries an exceptions workbook."""
        path = getattr(exc, "result", {}).get("exceptions") if isinstance(
            exc, ConvWizError) else None
        if path:
            workbook = Path(path)
            return "Open the exceptions workbook", lambda: self.open_file(workbook)
        return None, None
