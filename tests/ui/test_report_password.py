"""The Biller workbook page: writing the workbook encrypts it; the page shows the password
(from the keyring) with a Copy button and says how to hand it over."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel

from tests.helpers.cli import convwiz
from tests.helpers.workbooks import calamine, is_ole
from tests.ui.test_screens import GOOD_ROWS, write_export

LONG = 90_000


def test_the_page_writes_an_encrypted_workbook_and_shows_its_password(
        qtbot: Any, wizard: Any, project: Path, tmp_path: Path) -> None:
    export = write_export(tmp_path / "portal.csv", GOOD_ROWS)
    assert convwiz("export-flags", project, "--input", export).code == 0
    main = wizard.open_project(project)
    main.go_to("report")
    page: Any = main.pages["report"]
    assert page.password_field.text() == ""  # none made yet
    assert not page.copy_password_button.isEnabled()
    assert "writing the workbook makes one" in page.password_status.text()
    qtbot.mouseClick(page.write_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.banner.kind == "success" and not main.runner.busy,
                    timeout=LONG)
    password = page.password_field.text()
    assert len(password.split("-")) == 6
    assert page.output is not None and is_ole(page.output)
    assert calamine(page.output, password).sheet_names[0] == "Summary"
    assert "separate message" in page.banner.label.text()
    # the words for the person, and every control named for a screen reader, with a key
    assert "never in the same mail" in page.tell_label.text()
    assert page.password_field.accessibleName() == "Workbook password"
    assert page.copy_password_button.accessibleName() == "Copy the workbook password"
    assert "&" in page.copy_password_button.text()
    assert page.password_field.isReadOnly()
    qtbot.mouseClick(page.copy_password_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == password
    assert "Copied" in page.password_status.text()
    # the same password next time: it is the project's, kept in the keyring, and it says so
    page.refresh()
    assert page.password_field.text() == password
    assert "system keyring" in page.password_status.text()


def test_the_demo_without_a_keyring_still_encrypts_and_shows_the_password(
        qtbot: Any, wizard: Any, project: Path, tmp_path: Path, memory_keyring: Any) -> None:
    """The demo needs no keyring (as `convwiz demo`): its password is for the session only."""
    export = write_export(tmp_path / "portal.csv", GOOD_ROWS)
    assert convwiz("export-flags", project, "--input", export).code == 0
    main = wizard.open_project(project)
    main.go_to("report")
    page: Any = main.pages["report"]
    page.ctx.demo = object()  # what the window holds while a demo runs
    type(memory_keyring).locked = True  # no usable keyring
    try:
        qtbot.mouseClick(page.write_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.banner.kind == "success" and not main.runner.busy,
                        timeout=LONG)
        password = page.password_field.text()
        assert len(password.split("-")) == 6 and page.copy_password_button.isEnabled()
        assert "this session only" in page.password_status.text()
        # and nothing on the page claims a keyring keeps it
        shown = " ".join(label.text() for label in page.findChildren(QLabel)
                         if label.isVisibleTo(page))
        assert "kept in" not in shown.lower(), shown
        assert page.output is not None and calamine(page.output, password).sheet_names
    finally:
        type(memory_keyring).locked = False


def test_the_purge_page_offers_to_remove_the_workbook_password(
        qtbot: Any, wizard: Any, project: Path, tmp_path: Path, memory_keyring: Any) -> None:
    export = write_export(tmp_path / "portal.csv", GOOD_ROWS)
    assert convwiz("export-flags", project, "--input", export).code == 0
    assert convwiz("report", project).code == 0
    assert type(memory_keyring).secrets["convwiz"]
    main = wizard.open_project(project)
    main.go_to("purge")
    page: Any = main.pages["purge"]
    assert page.workbook_password_box.isVisibleTo(main)
    assert page.workbook_password_box.isChecked()
    page.confirm.setText("PURGE")
    qtbot.mouseClick(page.purge_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.banner.kind == "success" and not main.runner.busy,
                    timeout=LONG)
    assert type(memory_keyring).secrets["convwiz"] == {}
