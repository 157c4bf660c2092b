"""The Biller workbook page offers the evidence pack for the auditors: a button with a key
and a name for a screen reader, run off the GUI thread like the workbook, its result named
on the page, in the same password as the workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from tests.helpers.cli import convwiz
from tests.helpers.workbooks import calamine, is_ole
from tests.ui.test_screens import GOOD_ROWS, write_export

LONG = 90_000


def test_the_page_writes_the_evidence_pack(qtbot: Any, wizard: Any, project: Path,
                                           tmp_path: Path) -> None:
    export = write_export(tmp_path / "portal.csv", GOOD_ROWS)
    assert convwiz("export-flags", project, "--input", export).code == 0
    main = wizard.open_project(project)
    main.go_to("report")
    page: Any = main.pages["report"]
    button = page.evidence_button
    assert "&e" in button.text().lower()  # Alt+E
    assert button.accessibleName() == "Write the evidence pack for the auditors"
    assert "No evidence pack written yet" in page.evidence_label.text()
    assert button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert main.runner.running("report.evidence")  # off the GUI thread: it returned at once
    assert not page.write_button.isEnabled()  # one work at a time on the project
    qtbot.waitUntil(lambda: page.banner.kind == "success" and not main.runner.busy,
                    timeout=LONG)
    pack = page.evidence
    assert pack is not None and pack.parent == project / "reports" and is_ole(pack)
    assert "evidence pack is written" in page.banner.label.text()
    assert pack.name in page.evidence_label.text()
    password = page.password_field.text()  # the workbook's password opens it
    book = calamine(pack, password)
    assert book.sheet_names == ["Summary", "Files", "Host Keys", "Sign-offs", "Setting Changes"]
    files = book.get_sheet_by_name("Files").to_python()
    assert any(str(row[3]).startswith("outbox/") for row in files[1:])
    page.refresh()
    assert pack.name in page.evidence_label.text()
    assert button.isEnabled() and page.write_button.isEnabled()
