"""The smaller things a new PM met (issue 31), each as the PM meets it: a sign-off typed
over the name offered, what Export says, the status line and the Next button agreeing, the
main button after a send, the focus ring, the Tab order, the Notices list, the workbook
password the command line made, the folder "Open a project folder…" starts in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from wizard.flow import checklist
from wizard.ui import settings

LONG = 90_000


def test_a_sign_off_typed_over_the_name_offered_records_what_was_typed(
        qtbot: Any, wizard: Any, project: Path) -> None:
    settings.store().setValue("signer", "Pat Lee")  # the name signed with last time
    main = wizard.open_project(project)
    page: Any = main.pages["coordination"]
    task_id = next(iter(page.checklist.buttons))
    qtbot.keyClick(page.checklist.buttons[task_id], Qt.Key.Key_Space)
    dialog = page.checklist.dialog
    qtbot.waitUntil(lambda: dialog.isVisible())
    assert dialog.by.text() == "Pat Lee"  # offered ...
    qtbot.keyClicks(dialog.by, "Sam Roe")  # ... and typed over
    qtbot.keyClick(dialog.by, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.checklist.dialog is None)
    signed = checklist.items(main.project)
    assert next(t for t in signed if t["id"] == task_id)["by"] == "Sam Roe"
