"""Step 5, Verify: choose the portal's post-go-live export, compare it with the customers of
the flag file through the cross-reference, and show the figures with a chart, who lost or
gained what, and the post-go-live checklist with sign-off."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from wizard.core.vocabulary import (
    EXCEPTION_LABELS,
    ISSUE_LABELS,
    REGISTERED_VALUES_LABEL,
    TABLE_SUFFIXES,
)
from wizard.progress import TaskState
from wizard.ui import jobs, settings
from wizard.ui.focus import heard_by_tab
from wizard.ui.pages.base import PageContext, StepPage, window_words
from wizard.ui.registration_trend import RegistrationTrend
from wizard.ui.views import BarChart, ChecklistView, TableView
from wizard.ui.widgets import (
    DropZone,
    ProgressPanel,
    captioned_value,
    section,
    show_value,
    value_label,
)

if TYPE_CHECKING:
    from wizard.flow.steps.verification import VerifyResult

# the figures shown, each a count of the customers of an issue but the first two
FIGURE_WORDS = {"customers": "Customers before go-live", "matched": "Found after go-live",
                **ISSUE_LABELS}
# the filter's choices: every issue, or one (the details' issues in words, as compared)
ISSUE_FILTER = (("Every issue", ""), *((words, words) for words in ISSUE_LABELS.values()))

DETAIL_HEADINGS = {
    "issue": "Issue", "old_account": "Old account", "new_account": "New account",
    "name": "Name", "email": "Email", "before": "Before", "after": "After",
    "snapshot_row": "Row before", "post_row": "Row after", "reason": "Why",
}
# what a PM reads first, in that order: the issue, what to do about it (wrapped, 45
# characters a line: it was squeezed to the few pixels left at the end of the row at
# 1280x720), who; then the rest, names and e-mails whole (the table scrolls sideways for
# the last columns when the window is narrow). The rows in the files are in the
# exceptions workbook; the reason a customer is missing is said in "What to do"
DETAIL_ORDER = ("Issue", "What to do", "Name", "Old account", "New account", "Email",
                "Before", "After")
DETAIL_WIDTHS = {"Issue": 110, "What to do": 290, "Old account": 95, "New account": 95,
                 "Before": 50, "After": 50}  # names and emails are measured: shown whole


def readable_details(table: Any) -> Any:
    """The verification details with headings and issues in words, and what to do about
    each issue (the words the biller workbook uses)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from wizard.core.verify import ISSUES
    from wizard.ui.models import relabel

    if "issue" in table.column_names:
        i = table.column_names.index("issue")
        codes = table.column(i)
        todo = relabel(codes, ISSUES)
        table = table.set_column(i, "issue", relabel(codes, EXCEPTION_LABELS,
                                                    fallback_words=True))
        table = table.append_column("What to do", pc.if_else(
            pc.equal(todo, codes), pa.scalar("", pa.string()), todo))
    table = table.rename_columns([DETAIL_HEADINGS.get(n, n) for n in table.column_names])
    names = table.column_names
    if "Why" in names and "What to do" in names:
        why = pc.fill_null(table.column("Why"), "")
        todo = table.column("What to do")
        # a reason the advice already says ("not in the post-conversion export" before
        # "The customer is not in the post-conversion export: …") is said once
        said = pa.repeat(False, len(todo)) if len(todo) else pa.array([], pa.bool_())
        for reason in pc.unique(why).to_pylist():
            if reason:
                said = pc.or_(said, pc.and_(pc.equal(why, reason), pc.match_substring(
                    todo, reason, ignore_case=True)))
        joined = pc.if_else(pc.or_(pc.equal(why, ""), said), todo,
                            pc.if_else(pc.equal(todo, ""), why,
                                       pc.binary_join_element_wise(why, todo, ": ")))
        table = table.set_column(names.index("What to do"), "What to do", joined)
    return table.select([n for n in DETAIL_ORDER if n in table.column_names])


class VerificationPage(StepPage):
    step_id = "verification"

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Verify", "After go-live, prove every autopay and paperless "
                         "enrolment survived: compare the portal's post-conversion export with "
                         "the customers of the flag file.", parent)
        self.post_path: Path | None = None
        self._build_export_section()
        self._build_figures_section()
        self._build_after_go_live_section()
        self.layout_.addStretch(1)

    def _build_export_section(self) -> None:
        """1. The export taken after go-live: the file, Verify, the words, progress."""
        frame, box = section("1. The post-conversion export")
        self.drop = DropZone("Drop the portal's export taken after go-live here, or choose it.",
                             TABLE_SUFFIXES)
        self.drop.button.clicked.connect(self.choose_file)
        self.drop.file_chosen.connect(self.use_file)
        box.addWidget(self.drop)
        row = QHBoxLayout()
        self.file_label = value_label("No export chosen yet.")
        row.addWidget(self.file_label, 1)
        self.demo_button = QPushButton("Use the &demo's export")
        self.demo_button.setVisible(self.ctx.demo is not None)
        self.demo_button.clicked.connect(self.use_demo_export)
        row.addWidget(self.demo_button)
        self.verify_button = self.make_primary(QPushButton("&Verify"))
        self.verify_button.clicked.connect(self.verify)
        row.addWidget(self.verify_button)
        box.addLayout(row)
        box.addLayout(self._words_row())
        self.progress = ProgressPanel()
        self.progress.cancel_requested.connect(self.cancel)
        box.addWidget(self.progress)
        self.layout_.addWidget(frame)

    def _build_figures_section(self) -> None:
        """2. The verdict, each figure (a Tab stop that says its caption), the chart, the
        re-registration trend and who lost or gained what."""
        frame, box = section("2. The figures")
        self.verdict = QLabel("Not verified yet.")
        self.verdict.setWordWrap(True)
        box.addWidget(self.verdict)
        line = QHBoxLayout()
        grid = QGridLayout()
        self.figure_labels: dict[str, QLabel] = {}
        for r, (key, text) in enumerate(FIGURE_WORDS.items()):
            caption = QLabel(f"{text}:")
            grid.addWidget(caption, r, 0)
            # a Tab stop named "Autopay lost: 7"; not the caption's buddy, or a screen
            # reader says the caption twice ("Autopay lost: Autopay lost: 7")
            label = heard_by_tab(captioned_value(text, "–"))
            self.figure_labels[key] = label
            grid.addWidget(label, r, 1)
        line.addLayout(grid)
        self.chart = BarChart()
        self.chart.setMinimumWidth(360)
        line.addWidget(self.chart, 1)
        box.addLayout(line)
        self.trend = RegistrationTrend()  # re-registration over time (registration_trend.py)
        box.addWidget(self.trend)
        self.details = TableView("Issue", ISSUE_FILTER, row_numbers=False, lines=3,
                                 max_width=300, widths=DETAIL_WIDTHS, fill_last=True,
                                 name="Who lost or gained what")
        self.details.setMinimumHeight(320)
        self.details.hide()
        box.addWidget(self.details)
        self.layout_.addWidget(frame)

    def _build_after_go_live_section(self) -> None:
        """3. The checklist of the window and after go-live."""
        frame, box = section("3. After go-live")
        self.checklist = ChecklistView(("window", "post_go_live"), self._sign_off,
                                       name="After go-live checklist")
        box.addWidget(self.checklist)
        self.layout_.addWidget(frame)

    def _words_row(self) -> QHBoxLayout:
        """The registration words the export uses besides the contract's (what the command
        line's --registered-values says): only needed when verify reports words it does not
        know."""
        row = QHBoxLayout()
        row.addWidget(QLabel(f"{REGISTERED_VALUES_LABEL} (only if Verify asks):"))
        self.words: dict[str, QLineEdit] = {}
        for side, text, example in (("yes", "&Registered:", "e.g. Live, Signed up"),
                                    ("no", "Not re&gistered:", "e.g. Invited")):
            label = QLabel(text)
            edit = QLineEdit()
            edit.setPlaceholderText(example)
            words = text.replace("&", "").rstrip(":").lower()
            edit.setAccessibleName(f"{REGISTERED_VALUES_LABEL}: {words} (words separated by "
                                   "commas)")
            edit.setAccessibleDescription(
                "Words of the export's registration column that mean the customer "
                + ("registered" if side == "yes" else "has not registered")
                + ", besides Y, Yes, True, 1, Registered, Active, Enrolled and N, No, False, "
                "0, Not Registered, Unregistered, Pending, Inactive, Null, N/A")
            label.setBuddy(edit)
            row.addWidget(label)
            row.addWidget(edit, 1)
            self.words[side] = edit
        return row

    def registration_words(self) -> dict[str, list[str]]:
        """The words typed, {"yes": [...], "no": [...]}, as `jobs.verify` takes them."""
        return {side: [w.strip() for w in edit.text().split(",") if w.strip()]
                for side, edit in self.words.items()}

    def task_keys(self) -> tuple[str, ...]:
        return ("verification", "verification.details", "verification.demo",
                "verification.headers")

    def refresh(self) -> None:
        from wizard.flow.steps.checklist import entries
        from wizard.flow.steps.verification import figures

        self.checklist.load(entries(self.project))
        self._load_trend()
        last = figures(self.project)  # preserved or not: the figures the step recorded
        if last is not None:
            self.show_figures(last)
            self._load_details()
        else:  # never verified, or its files purged: show nothing that is gone
            self.verdict.setText("Not verified yet.")
            for label in self.figure_labels.values():
                show_value(label, "–")
            self.chart.set_groups([])
            self.details.hide()
        self._update_buttons()

    def choose_file(self) -> None:
        path = self.ask_for_table("Choose the post-conversion export", "post")
        if path:
            self.use_file(path)

    def use_file(self, path: Path) -> None:
        self.post_path = chosen = Path(path)
        settings.remember_folder("post", self.post_path)
        self.file_label.setText(f"Post-conversion export: <b>{self.post_path.name}</b> "
                                f"({self.post_path.parent})")

        def check(_state: TaskState) -> None:  # one of the program's own files: said at once
            from wizard.flow.records.recognition import POST_EXPORT, refuse_known

            refuse_known(self.project, chosen, POST_EXPORT)

        self.ctx.runner.start("verification.headers", check, on_error=self.show_error,
                              on_finished=self._update_buttons)
        self._update_buttons()

    def use_demo_export(self) -> None:
        demo = self.ctx.demo
        if demo is None:
            return
        self.progress.start("Making the demo's post-go-live export…")

        def work(_state: TaskState) -> Path:
            return Path(demo.post_export(self.project))

        self.ctx.runner.start("verification.demo", work, on_done=self.use_file,
                              on_error=self.show_error, on_finished=self._finished)
        self._update_buttons()

    def verify(self) -> None:
        if self.post_path is None:
            self.choose_file()
            return
        self.banner.clear()
        self.progress.start(f"Comparing {self.post_path.name} with the snapshot…")
        work = self.ctx.child_work(jobs.verify, self.post_path, {}, self.registration_words())
        self.ctx.runner.start("verification", work, on_progress=self.progress.update_progress,
                              on_done=self._verified, on_error=self._failed,
                              on_finished=self._finished)
        self._update_buttons()

    def _verified(self, finished: jobs.Finished[VerifyResult]) -> None:
        result = finished.result
        self.show_figures(result)
        asked = self._tell(result)
        self._load_details()
        self._load_trend()
        self.reveal(self.banner if asked else self.chart)  # the question before the rows
        self.saved.emit()

    def _tell(self, result: VerifyResult) -> bool:
        """The banner after Verify: first whether this is the right file (when most
        customers are not in it), then registration words it does not know, then the
        exceptions workbook. True when it asked whether the file is the right one."""
        from wizard.flow.records.registration import unknown_words_text
        from wizard.flow.steps.verification import right_file_question

        said: list[str] = []
        asked = (right_file_question(result, self.post_path) if self.post_path is not None
                 else None)
        if asked:
            said.append(asked)
        if result.registration.unknown_values:  # not guessed: the PM names them, above
            text = window_words(unknown_words_text(result.registration))
            said.append(text[:1].upper() + text[1:] + ".")
            self.words["yes"].setFocus()
        action = callback = None
        if result.exceptions is not None:
            workbook = Path(result.exceptions)
            said.append("Every enrolment was preserved. Warnings about the export are listed "
                        "in the exceptions workbook." if result.preserved else
                        "Not everything was preserved: this step needs attention. Every "
                        "customer concerned is listed in the exceptions workbook, with what "
                        "to do.")
            action, callback = ("Open the exceptions workbook",
                                lambda: self.open_file(workbook))
        if said:
            calm = result.preserved and not asked and not result.registration.unknown_values
            self.banner.show_message("info" if calm else "warning", " ".join(said), action,
                                     callback)
        return bool(asked)

    def _failed(self, exc: BaseException) -> None:
        action, callback = self.exceptions_action(exc)
        self.show_error(exc, action, callback)
        self.saved.emit()

    def show_figures(self, result: VerifyResult) -> None:
        a, p = result.autopay, result.paperless
        counts = {"customers": result.customers, "matched": result.matched,
                  "missing_after": result.missing_after,
                  "unexpected_after": result.unexpected_after, "autopay_lost": a.lost,
                  "autopay_gained": a.gained, "paperless_lost": p.lost,
                  "paperless_gained": p.gained, "method_changed": result.method_changed,
                  "last4_changed": result.last4_changed}
        for key, label in self.figure_labels.items():
            show_value(label, f"{counts[key]:,}")
        self.chart.set_groups([("Autopay", a.to_json()), ("Paperless", p.to_json())])
        problems = result.problems
        if result.preserved and not problems.total:
            self.verdict.setText("<b style='color:#1d6b3b'>✔ Every autopay and paperless "
                                 "enrolment was preserved.</b>")
        elif result.preserved:
            self.verdict.setText(
                f"<b style='color:#1d6b3b'>✔ Every autopay and paperless enrolment was "
                f"preserved</b>; {problems.headline()} (rows the snapshot does not have, "
                "listed below and in the exceptions workbook).")
        else:
            self.verdict.setText(
                f"<b style='color:#b26a00'>⚠ Needs attention: {problems.headline()}</b>. The "
                "table below lists who, with what to do; resolve each and sign the QA task "
                "off with a note. The biller workbook lists them too.")

    def _load_trend(self) -> None:
        from wizard.flow.records.registration import points

        self.trend.load(points(self.project), self.project.dates.go_live)

    def _load_details(self) -> None:
        from wizard.flow.steps.verification import details

        def read(_state: TaskState) -> Any:
            table = details(self.project)
            return None if table is None else readable_details(table)

        def shown(table: Any) -> None:
            if table is None:
                self.details.hide()
                return
            self.details.set_table(table)
            self.details.setVisible(table.num_rows > 0)

        self.ctx.runner.start("verification.details", read,
                              on_done=shown, on_error=self.show_error,
                              on_finished=self._update_buttons)

    def _sign_off(self, task_id: str, by: str, note: str) -> None:
        from wizard.flow.steps.checklist import entries

        if self.sign_off_task(task_id, by, note):
            self.checklist.load(entries(self.project))
            self.saved.emit()

    def _update_buttons(self) -> None:
        busy = self.busy
        wait = self.other_work()
        self.verify_button.setEnabled(not busy and self.post_path is not None and not wait)
        self.verify_button.setToolTip(wait or ("" if self.post_path is not None else
                                               "Choose the export from the new system first"))
        self.demo_button.setEnabled(not busy)
        self.drop.setEnabled(not busy)
