"""The window never works on a stale store (issue 29).

A project opened from the start screen, as a PM opens one: the start screen's portfolio
goes on reading the project while the window holds it, and the steps that write run in a
child process with their own connection. After each, the sidebar, the Next button, the
page's banner and its "written / not written" say what the store says; when the window
closes, a fresh process finds every row that the window and its children wrote. And closing
the window while a step runs shows no error: the step's result is dropped, never drawn from
a closed store.

Before the fix of issue 29 (the portfolio read the store's header with a plain open(), whose
close dropped the window's locks) the report's "done" was not in the sidebar and was gone
from the store once the window closed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from tests.helpers.window import LONG, open_from_start_screen, portfolio_reads
from wizard.services.store import STORE_NAME
from wizard.ui.workers import relay

ROOT = Path(__file__).resolve().parents[2]
READ_BACK = """
import json, sys
from pathlib import Path
from wizard.services.store import Store
s = Store(Path(sys.argv[1]))
print(json.dumps({"steps": {k: v[0] for k, v in s.steps().items()},
                  "audit": [[e.action, e.detail.get("step") or e.detail.get("kind")]
                            for e in s.audit_log()],
                  "manifest": [e.kind for e in s.manifest()]}))
s.close()
"""


def portal_export(path: Path, customers: int) -> Path:
    from wizard.core import generate
    from wizard.flow.demo import portal_export as demo_export

    return generate.write_csv(demo_export(customers), path)


def read_in_a_fresh_process(folder: Path) -> dict[str, Any]:
    """The store as another process reads it, once the window has let go of it."""
    run = subprocess.run([sys.executable, "-c", READ_BACK, str(folder / STORE_NAME)],
                         cwd=ROOT, capture_output=True, text=True, encoding="utf-8",
                         timeout=120, check=True)
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


def state_in_sidebar(main: Any, step_id: str) -> str:
    row = main.step_ids.index(step_id)
    return str(main.sidebar.item(row).data(Qt.ItemDataRole.UserRole + 1))


def test_steps_run_from_the_start_screen_are_drawn_from_the_store(
        qtbot: Any, wizard: Any, project: Path, tmp_path: Path) -> None:
    export = portal_export(tmp_path / "portal export.csv", 300)
    main = open_from_start_screen(qtbot, wizard, project)
    wal = project / f"{STORE_NAME}-wal"
    portfolio_reads(qtbot, wizard)

    # a child step: the flag file
    main.go_to("flag_file")
    flag: Any = main.pages["flag_file"]
    flag.load_file(export)
    qtbot.waitUntil(lambda: flag.export_button.isEnabled() and not main.runner.busy,
                    timeout=LONG)
    flag.export_button.click()
    qtbot.waitUntil(lambda: "Flag file written" in flag.banner.text()
                    and not main.runner.busy, timeout=LONG)
    assert wal.exists(), "the -wal went while the window's connection was open"
    assert state_in_sidebar(main, "flag_file") == "done"
    assert main.next_button.text() == "&Next: Send to Daffron ›"

    # the window's own writes (the coordination tasks signed off), the portfolio's read
    main.go_to("coordination")
    coordination: Any = main.pages["coordination"]
    for task_id in list(coordination.checklist.buttons):
        coordination.checklist.buttons[task_id].click()
        dialog = coordination.checklist.dialog
        dialog.by.setText("Pat PM")
        dialog.accept()
    assert state_in_sidebar(main, "coordination") == "done"
    portfolio_reads(qtbot, wizard)

    # a second child step, the biller workbook: its banner, its page and the sidebar agree
    main.go_to("report")
    report: Any = main.pages["report"]
    report.write_button.click()
    qtbot.waitUntil(lambda: "workbook is written" in report.banner.text()
                    and not main.runner.busy, timeout=LONG)
    assert wal.exists(), "the -wal went while the window's connection was open"
    assert state_in_sidebar(main, "report") == "done"
    main.go_to("flag_file")
    main.go_to("report")  # the page drawn again from the store alone
    assert report.result_label.text().startswith("Last written: "), report.result_label.text()
    assert report.open_button.isEnabled()
    assert "Biller workbook" not in main.status_label.text()  # no longer the next step

    main.close()
    qtbot.waitUntil(lambda: wizard.main is None, timeout=LONG)
    stored = read_in_a_fresh_process(project)
    assert stored["steps"] == {"flag_file": "done", "coordination": "done", "report": "done"}
    actions = [tuple(a) for a in stored["audit"]]
    for row in (("step done", "flag_file"), ("step done", "coordination"),
                ("file made", "biller_workbook"), ("step done", "report")):
        assert row in actions, (row, actions)
    assert actions.index(("step done", "coordination")) < actions.index(
        ("file made", "biller_workbook"))
    assert "biller_workbook" in stored["manifest"]


def test_a_step_ending_is_drawn_after_the_store_is_read_again(
        qtbot: Any, wizard: Any, project: Path) -> None:
    """The result of a step's work is shown after the window read the project again: at
    that moment the sidebar already says what the step wrote, and the page on show lists
    the file it made (here written by another connection, as a child step writes)."""
    from wizard.services.store import Store

    main = wizard.open_project(project)
    main.go_to("purge")  # the PM looks at another page while the step runs
    purge: Any = main.pages["purge"]
    assert purge.files.rowCount() == 0
    seen: list[tuple[str, int]] = []

    def work(_state: Any) -> None:
        made = project / "outbox" / "flag_file_acme.csv"
        made.write_text("Account\r\n1\r\n", encoding="utf-8")
        other = Store(project / STORE_NAME)  # as the step's child process does
        try:
            other.record_file("made", "flag_file", "outbox/flag_file_acme.csv", "0" * 64,
                              rows=1, size=made.stat().st_size)
            other.set_step("flag_file", "done", {})
        finally:
            other.close()

    main.runner.start("flag_file", work, on_done=lambda _r: seen.append(
        (state_in_sidebar(main, "flag_file"), purge.files.rowCount())))
    qtbot.waitUntil(lambda: bool(seen), timeout=LONG)
    assert seen == [("done", 1)]


def test_closing_the_window_while_a_step_runs_shows_no_error(
        qtbot: Any, wizard: Any, project: Path, tmp_path: Path) -> None:
    """Before the fix: two `sqlite3.ProgrammingError: Cannot operate on a closed database`
    tracebacks (the step's result and the busy signal drew from the closed store); pytest-qt
    fails a test on an exception raised in a slot."""
    export = portal_export(tmp_path / "portal export.csv", 2000)
    main = wizard.open_project(project)
    main.go_to("flag_file")
    flag: Any = main.pages["flag_file"]
    flag.load_file(export)
    qtbot.waitUntil(lambda: flag.export_button.isEnabled() and not main.runner.busy,
                    timeout=LONG)
    flag.export_button.click()  # its child process starts; no event runs before the close
    assert main.runner.running("flag_file")
    waiting = set(relay().tasks)
    main.close()
    qtbot.waitUntil(lambda: wizard.main is None, timeout=LONG)
    # every result that was on its way has arrived (and was dropped)
    qtbot.waitUntil(lambda: not waiting & set(relay().tasks), timeout=LONG)
    # the project is free and whole: a command may work on it
    stored = read_in_a_fresh_process(project)
    assert stored["audit"][0] == ["project created", None]
