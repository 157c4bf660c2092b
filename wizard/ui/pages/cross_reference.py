"""Step 4, Cross-reference: fetch the provider's old-to-new account map (waiting for it with
progress) or choose the file, map its two columns, check it, and make the IC account update
and its rollback. A banner says so when today is outside the maintenance window."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from wizard.core.vocabulary import (
    ALLOW_UNMATCHED_LABEL,
    S_HOST,
    S_HOST_KEY,
    TABLE_SUFFIXES,
    XREF_COLUMNS_SECTION,
)
from wizard.errors import ConvWizError
from wizard.progress import TaskState
from wizard.ui import jobs, settings
from wizard.ui.pages.base import PageContext, StepPage
from wizard.ui.pages.flag_file import findings_view, with_findings
from wizard.ui.widgets import Banner, DropZone, ProgressPanel, note, open_path, section, value_label

if TYPE_CHECKING:
    from wizard.flow.steps.exchange import Fetched
    from wizard.flow.steps.renumber import XrefImport



class CrossReferencePage(StepPage):
    step_id = "cross_reference"

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Cross-reference", "Import the provider's map of old to new "
                         "account numbers, check it against the customers of the flag file, "
                         "and make the IC account update and its rollback.", parent)
        self.window_banner = Banner()
        self.layout_.insertWidget(2, self.window_banner)
        self.xref_path: Path | None = None
        self._build_file_section()
        self._build_update_section()
        self.layout_.addStretch(1)

    def _build_file_section(self) -> None:
        """1: Fetch (and how long to wait), the drop zone, the chosen file and progress."""
        frame, box = section("1. The provider's cross-reference")
        box.addLayout(self._build_fetch_row())
        self.drop = DropZone("…or drop the cross-reference file here (CSV or Excel), or "
                             "choose it.", TABLE_SUFFIXES)
        self.drop.button.clicked.connect(self.choose_file)
        self.drop.file_chosen.connect(self.use_file)
        box.addWidget(self.drop)
        self.file_label = value_label("No cross-reference chosen yet.")
        box.addWidget(self.file_label)
        self.progress = ProgressPanel()
        self.progress.cancel_requested.connect(self.cancel)
        box.addWidget(self.progress)
        self.layout_.addWidget(frame)

    def _build_fetch_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.fetch_button = QPushButton("&Fetch from the provider")
        self.fetch_button.clicked.connect(self.fetch)
        row.addWidget(self.fetch_button)
        waiting = QLabel("&waiting up to")
        row.addWidget(waiting)
        self.wait = QSpinBox()
        waiting.setBuddy(self.wait)
        self.wait.setAccessibleName("Wait for the cross-reference up to (minutes)")
        self.wait.setAccessibleDescription("How long Fetch keeps asking the provider's server "
                                           "for the file")
        self.wait.setRange(0, 240)
        self.wait.setValue(10)
        self.wait.setSuffix(" min")
        row.addWidget(self.wait)
        row.addStretch(1)
        return row

    def _build_update_section(self) -> None:
        """2: the columns to use, and Make the IC account update with its result."""
        frame, box = section(XREF_COLUMNS_SECTION)
        box.addWidget(note("Leave '(found by name)' unless the wizard picks the wrong columns."))
        box.addLayout(self._build_column_choice())
        self.allow_unmatched = QCheckBox(
            f"&{ALLOW_UNMATCHED_LABEL} (they are listed, not renumbered)")
        box.addWidget(self.allow_unmatched)
        row = QHBoxLayout()
        self.import_button = self.make_primary(QPushButton("&Make the IC account update"))
        self.import_button.clicked.connect(self.import_xref)
        row.addWidget(self.import_button)
        self.folder_button = QPushButton("Open &outbox folder")
        self.folder_button.clicked.connect(lambda: open_path(self.project.outbox))
        row.addWidget(self.folder_button)
        row.addStretch(1)
        box.addLayout(row)
        self.result_label = value_label()
        box.addWidget(self.result_label)
        self.findings = findings_view()
        self.findings.setMinimumHeight(220)
        self.findings.hide()
        box.addWidget(self.findings)
        self.layout_.addWidget(frame)

    def _build_column_choice(self) -> QGridLayout:
        """The old and new account number columns, found by name unless chosen."""
        grid = QGridLayout()
        self.old_column = QComboBox()
        self.new_column = QComboBox()
        for r, (text, combo) in enumerate((("Old (&UTI) account number:", self.old_column),
                                           ("New (&Daffron) account number:", self.new_column))):
            label = QLabel(text)
            label.setBuddy(combo)
            grid.addWidget(label, r, 0)
            grid.addWidget(combo, r, 1)
            combo.addItem("(found by name)", "")
            combo.setMinimumWidth(240)
        grid.setColumnStretch(2, 1)
        return grid

    def task_keys(self) -> tuple[str, ...]:
        return ("cross_reference", "cross_reference.fetch", "cross_reference.findings",
                "cross_reference.headers")

    def refresh(self) -> None:
        from wizard.flow.steps.renumber import window_warning

        warning = window_warning(self.project)
        if warning:
            self.window_banner.show_message("warning", f"Outside the maintenance window: "
                                            f"{warning}.")
        else:
            self.window_banner.show_message("info", "Today is inside the maintenance window: "
                                            "the IC account update may be applied.")
        if self.xref_path is None:
            try:
                from wizard.flow.steps.renumber import newest_cross_reference

                self.use_file(newest_cross_reference(self.project), read_headers=True)
            except Exception:  # noqa: BLE001, S110 - none received yet: the PM fetches or chooses
                pass
        self._update_buttons()

    # -- the file -----------------------------------------------------------------------------
    def fetch(self) -> None:
        from wizard.flow.steps.exchange import fetch_xref

        wait = self.wait.value() * 60
        secret = self.ctx.demo_secret()
        self.banner.clear()
        self.progress.start("Waiting for the provider's cross-reference…")

        def fetched(result: Fetched) -> None:
            self.use_file(result.path)
            self.banner.show_message("success", "The cross-reference arrived. Check the "
                                     "columns and press Make the IC account update.")
            self.saved.emit()

        self.ctx.runner.start(
            "cross_reference.fetch",
            lambda state: fetch_xref(self.project, wait, state, secret=secret),
            on_progress=self.progress.update_progress, on_done=fetched,
            on_error=self.show_error, on_finished=self._finished)
        self._update_buttons()

    def choose_file(self) -> None:
        path = self.ask_for_table("Choose the cross-reference", "xref", "Cross-references",
                                  self.project.inbox)
        if path:
            self.use_file(path)

    def use_file(self, path: Path, read_headers: bool = True) -> None:
        from wizard.core.reader import read_table

        path = Path(path)
        self.xref_path = path
        settings.remember_folder("xref", path)
        self.file_label.setText(f"Cross-reference: <b>{path.name}</b> ({path.parent})")
        if not read_headers:
            return

        def headers(_state: TaskState) -> list[str]:
            from wizard.flow.records.recognition import CROSS_REFERENCE, refuse_known

            refuse_known(self.project, path, CROSS_REFERENCE)  # a wrong file: said at once
            return list(read_table(path).data.column_names)

        def fill(names: list[str]) -> None:
            for combo in (self.old_column, self.new_column):
                combo.clear()
                combo.addItem("(found by name)", "")
                for name in names:
                    combo.addItem(name, name)
            self._update_buttons()

        self.ctx.runner.start("cross_reference.headers", headers, on_done=fill,
                              on_error=self.show_error, on_finished=self._update_buttons)
        self._update_buttons()

    # -- import -------------------------------------------------------------------------------
    def import_xref(self) -> None:
        mapping = {k: str(c.currentData()) for k, c in
                   (("old", self.old_column), ("new", self.new_column)) if c.currentData()}
        self.banner.clear()
        self.result_label.clear()
        self.findings.hide()
        self.progress.start("Checking the cross-reference…")
        work = with_findings(self.ctx.child_work(jobs.import_xref,
                                                 self.xref_path, mapping,
                                                 self.allow_unmatched.isChecked()))
        self.ctx.runner.start("cross_reference", work,
                              on_progress=self.progress.update_progress, on_done=self._imported,
                              on_error=self._failed, on_finished=self._finished)
        self._update_buttons()

    def _imported(self, answer: tuple[jobs.Finished[XrefImport], Any]) -> None:
        finished, table = answer
        result = finished.result
        update, rollback = Path(str(result.update)), Path(str(result.rollback))
        self.banner.show_message(
            "success", f"{result.mapped:,} accounts mapped. The IC account update and its "
            "rollback are in the outbox.", "Open folder", lambda: open_path(update.parent))
        extra = (f"; {result.unmatched:,} customers not in the cross-reference"
                 if result.unmatched else "")
        extra += (f"; {result.extra:,} accounts in the file that the flag file did not have "
                  "(warnings)" if result.extra else "")
        self.result_label.setText(
            f"Update: <b>{update.name}</b><br>Rollback: <b>{rollback.name}</b> (swaps old and "
            f"new, to undo){extra}")
        self.reveal(self.result_label)
        if table is not None:
            self._show_findings(table)
        self.saved.emit()

    def _failed(self, exc: BaseException) -> None:
        action, callback = self.exceptions_action(exc)
        self.show_error(exc, action, callback)
        table = exc.result.get("findings") if isinstance(exc, ConvWizError) else None
        if table is not None:
            self._show_findings(table)
        self.saved.emit()

    def _show_findings(self, table: Any) -> None:
        self.findings.set_table(table)
        self.findings.setVisible(table.num_rows > 0)

    def _update_buttons(self) -> None:
        from wizard.flow.project import steps

        busy = self.busy
        why = self.missing_prerequisites() or self.other_work()
        ready = not why
        connected = bool(self.project.setting(S_HOST) and self.project.setting(S_HOST_KEY))
        self.fetch_button.setEnabled(not busy and ready and connected)
        self.fetch_button.setToolTip(why or ("" if connected else "Press Test connection on "
                                             "the Send to Daffron page first: no connection "
                                             "to the provider is saved yet"))
        if not steps.is_done(self.project, "send") and connected:
            self.fetch_button.setToolTip("The provider answers a flag file: send it first "
                                         "(Send to Daffron page)")
        self.drop.setEnabled(not busy and ready)
        self.drop.setToolTip(why)
        self.import_button.setEnabled(not busy and ready and self.xref_path is not None)
        self.import_button.setToolTip(why or ("" if self.xref_path is not None else
                                              "Fetch the cross-reference or choose its file "
                                              "first"))
