"""The Purge page (plan with sizes, typed confirmation, audit kept), the truth on every page
after a purge, and every page usable at 1280x720 logical pixels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from tests.helpers.cli import convwiz
from tests.ui.test_screens import GOOD_ROWS, write_export

LONG = 90_000


def test_purge_in_the_window_leaves_no_page_showing_a_deleted_file(
        qtbot: Any, wizard: Any, project: Path, tmp_path: Path) -> None:
    export = write_export(tmp_path / "portal.csv", GOOD_ROWS)
    assert convwiz("export-flags", project, "--input", export).code == 0
    flag_files = list((project / "outbox").glob("flag_file_*.csv"))
    assert flag_files
    main = wizard.open_project(project)
    main.go_to("purge")
    page: Any = main.pages["purge"]
    names = [page.files.item(r, 0).text() for r in range(page.files.rowCount())]
    assert any("flag_file_" in n for n in names)
    assert all(page.files.item(r, 1).text() for r in range(page.files.rowCount()))
    assert not page.purge_button.isEnabled()  # nothing typed yet
    page.confirm.setText("purge")
    assert not page.purge_button.isEnabled()  # the word exactly
    page.confirm.setText("PURGE")
    qtbot.mouseClick(page.purge_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.banner.kind == "success" and not main.runner.busy,
                    timeout=LONG)
    assert not any(p.exists() for p in flag_files)
    assert "complete" not in main.status_label.text()
    # the sidebar says what the flow says (purged once the flow records it), never more
    from wizard.flow.project import steps
    from wizard.ui.truth import conversion

    truth = conversion(main.project)
    for row, step in enumerate(steps.STEPS):
        assert main.sidebar.item(row).toolTip().endswith(f"({truth.step(step.id).words()})")
    for step_id in main.step_ids:
        main.go_to(step_id) if main.can_open(step_id) else None
    send: Any = main.pages["send"]
    send.refresh()
    assert "no longer there" in send.flag_file_label.text() or "No flag file" in (
        send.flag_file_label.text())
    report: Any = main.pages["report"]
    report.refresh()
    assert "Last written" not in report.result_label.text()
    audit = convwiz("status", project)  # the project still opens; the record stays
    assert audit.code in (0, 4)


def test_every_page_fits_1280x720(qtbot: Any, wizard: Any, project: Path) -> None:
    main = wizard.open_project(project)
    main.resize(1280, 720)
    for step_id in main.step_ids:
        main.stack.setCurrentIndex(main.step_ids.index(step_id))
        main.current_page.refresh()
        # the page scrolls rather than growing the window past the screen
        assert main.height() <= 720 and main.width() <= 1280, step_id
        assert main.status_label.isVisible()
        page = main.current_page
        assert page.title_label.isVisibleTo(main), step_id
