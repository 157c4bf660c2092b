"""The wizard's entry: `convwiz`, `convwiz gui [PROJECT] [--demo]` and the `convwiz-gui` script.

Start-up stays light: only Qt is imported before the first window shows; the flows (pyarrow,
openpyxl, xlsxwriter, paramiko) load when a project opens or a step needs them.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from wizard.errors import ConvWizError
from wizard.progress import TaskState
from wizard.ui import settings
from wizard.ui.resources import icon
from wizard.ui.start import StartWindow
from wizard.ui.widgets import FOCUS_RING
from wizard.ui.workers import Runner

log = logging.getLogger("wizard.ui")


def application() -> QApplication:
    """The one QApplication, made and dressed once."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setOrganizationName(settings.ORGANISATION)
    app.setApplicationName(settings.APPLICATION)
    app.setApplicationDisplayName("Conversion Wizard")
    app.setDesktopFileName("convwiz")
    app.setWindowIcon(icon("convwiz"))
    if existing is None:
        app.setStyle("Fusion")
    from wizard.ui.focus import say_focus_first

    say_focus_first(app)  # a text box's name said under Orca (wizard/ui/focus.py)
    if FOCUS_RING not in app.styleSheet():
        app.setStyleSheet(app.styleSheet() + FOCUS_RING)
    return app


class Wizard(QObject):
    """Which window is showing: the start screen or a project's main window."""

    def __init__(self) -> None:
        super().__init__()
        self.runner = Runner(self)  # the start screen's own work (the demo's set-up)
        self.start: StartWindow | None = None
        self.main: Any = None  # MainWindow, imported when a project opens
        self.demos: list[Any] = []  # every demo set up: stopped (its folder removed) at exit
        # said once in the first window: the window did not close cleanly last time
        self.notice: str | None = None
        self.marker: Any = None  # wizard.services.crashes.WindowMarker, through flow

    # -- a crash leaves a trace ---------------------------------------------------------------
    def watch_for_crashes(self) -> None:
        """faulthandler writes to the log; a marker says, at the next start, that this
        window did not close cleanly (wizard/services/crashes.py)."""
        from wizard.flow.runtime import log_path_for, trace_crashes_to, window_marker

        log_file = log_path_for(None)
        trace_crashes_to(log_file)
        self.marker = window_marker()
        left = self.marker.start(log_file)
        if left:
            self.notice = (
                "The Conversion Wizard closed unexpectedly last time. What it was doing when "
                f"it stopped is at the end of its log: {left[-1]}. A step that was running "
                "then did not finish: run it again.")
            log.warning("the window closed unexpectedly last time; its log is %s", left[-1])

    def crash_log(self, log_file: Path) -> None:
        """A crash from now on goes to `log_file` (a project's log)."""
        from wizard.flow.runtime import trace_crashes_to

        if self.marker is not None:
            trace_crashes_to(log_file)
            self.marker.update(log_file)

    def closed_cleanly(self) -> None:
        from wizard.flow.runtime import stop_tracing_crashes

        if self.marker is not None:
            self.marker.stop()
            self.marker = None
            stop_tracing_crashes()

    # -- the start screen ---------------------------------------------------------------------
    def show_start(self, message: str | None = None) -> StartWindow:
        if self.start is None:
            self.start = StartWindow(runner=self.runner)
            self.start.open_requested.connect(self.open_project)
            self.start.create_requested.connect(self.create_project)
            self.start.demo_requested.connect(lambda: self.start_demo())
        else:
            self.start.load_recent()
        if message:
            self.start.banner.show_message("error", message)
        elif self.notice:
            self.start.banner.show_message("warning", self.notice)
        self.start.show()
        self.start.raise_()
        return self.start

    def _fail(self, exc: BaseException) -> None:
        if isinstance(exc, ConvWizError):
            message = exc.message
        else:
            log.error("could not open the project: %r", exc)
            message = f"The project could not be opened ({type(exc).__name__})."
        self.show_start(message)

    # -- projects -----------------------------------------------------------------------------
    def open_project(self, folder: Path, demo: Any = None) -> Any:
        """Open `folder`, take its lock, and show its main window; None on failure."""
        from wizard.flow.project.project import Project
        from wizard.flow.runtime import configure_log

        try:
            project = Project.open(Path(folder))
        except Exception as exc:  # noqa: BLE001 - shown on the start screen
            self._fail(exc)
            return None
        try:
            project.acquire("convwiz gui")
        except Exception as exc:  # noqa: BLE001 - another process holds it (exit 4's message)
            project.close()
            self._fail(exc)
            return None
        self.crash_log(configure_log(project.folder))
        return self._show_main(project, demo)

    def _show_main(self, project: Any, demo: Any) -> Any:
        from wizard.ui.main_window import MainWindow

        if demo is None:
            settings.add_recent_project(project.folder)
            settings.remember_folder("project", project.folder.parent)
        window = MainWindow(project, demo)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        window.closed.connect(self._main_closed)
        self.main = window
        window.show()
        if self.notice:
            window.current_page.banner.show_message("warning", self.notice)
            self.notice = None
        if self.start is not None:
            self.start.hide()
        return window

    def _main_closed(self) -> None:
        self.main = None
        app = QApplication.instance()
        if app is not None and not app.closingDown():
            self.show_start()

    def create_project(self, values: dict[str, Any]) -> Any:
        from wizard.core.vocabulary import DEFAULT_WINDOW_DAYS
        from wizard.flow.project.project import Project
        from wizard.flow.project.settings import Settings

        try:
            project = Project.create(
                values["folder"],
                Settings(biller=str(values["biller"]), go_live=values["go_live"],
                         production_bid=str(values.get("production_bid") or ""),
                         test_bid=values.get("test_bid") or None,
                         window_days=int(values.get("window_days") or DEFAULT_WINDOW_DAYS),
                         pm_name=str(values.get("pm_name") or "")),
                allow_past=bool(values.get("allow_past")))
            folder = project.folder
            project.close()
        except Exception as exc:  # noqa: BLE001 - shown on the start screen
            self._fail(exc)
            return None
        return self.open_project(folder)

    def start_demo(self, folder: Path | None = None, customers: int = 5000) -> None:
        """Make the demo project, start the simulator, open it (all off the GUI thread)."""
        from wizard.flow.demo import prepare_demo

        start = self.show_start()
        start.demo_button.setEnabled(False)
        start.progress.start("Making the demo project and starting the simulated provider…")
        start.progress.cancel_button.hide()

        def work(_state: TaskState) -> Any:
            # connect=False: the PM tests the connection and trusts the key on screen
            return prepare_demo(folder, customers, connect=False)

        def ready(setup: Any) -> None:
            self.demos.append(setup)
            if self.open_project(setup.project, setup) is None:
                setup.stop()

        def finished() -> None:
            start.progress.finish()
            start.demo_button.setEnabled(True)

        self.runner.start("demo", work, on_done=ready, on_error=self._fail,
                          on_finished=finished)

    def windows(self) -> list[QWidget]:
        return [w for w in (self.start, self.main) if w is not None]

    def shutdown(self) -> None:
        """Close the project, await the work, and stop every demo simulator: its temporary
        folder (with a private host key) is removed on every way out."""
        if self.main is not None:
            self.main.close()
        if self.start is not None:
            self.start.portfolio.stop_watching()
        self.runner.shutdown()
        for setup in self.demos:
            try:
                setup.stop()
            except Exception:  # noqa: BLE001 - the others must stop all the same
                log.exception("stopping a demo simulator failed")
        self.demos.clear()


def run_gui(project: str | None = None, demo: bool = False) -> int:
    """Open the wizard; returns the exit status when the last window closes."""
    app = application()
    wizard = Wizard()
    wizard.watch_for_crashes()
    if demo:
        wizard.start_demo(Path(project) if project else None)
    elif project:
        if wizard.open_project(Path(project)) is None:
            wizard.show_start()
    else:
        wizard.show_start()
    app.aboutToQuit.connect(wizard.shutdown)
    atexit.register(wizard.shutdown)  # also when Python exits another way
    # Ctrl-C or a polite kill ends the event loop, so the shutdown above runs
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            with contextlib.suppress(ValueError, OSError):
                signal.signal(number, lambda *_args: app.quit())
    wake = QTimer()  # lets Python see a signal while Qt's loop runs
    wake.start(250)
    wake.timeout.connect(lambda: None)
    code = int(app.exec())
    wizard.shutdown()
    wizard.closed_cleanly()
    return code


def main() -> int:
    """`convwiz-gui [PROJECT] [--demo]`."""
    import argparse

    parser = argparse.ArgumentParser(prog="convwiz-gui", description="open the wizard")
    parser.add_argument("project", nargs="?", default=None)
    parser.add_argument("--demo", action="store_true")
    args = parser.parse_args()
    return run_gui(args.project, args.demo)


if __name__ == "__main__":
    raise SystemExit(main())
