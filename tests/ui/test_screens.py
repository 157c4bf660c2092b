"""What a PM meets on the screens beyond the walk-through: mnemonics that work (no literal
'&', no letter twice on one screen), Enter pressing the page's action, the sheet of a
workbook chosen from a list, a missing column left alone for the PM to choose while the
others are filled in, and findings tables a person can read."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from tests.conftest import EXPORT_HEADER, write_export
from tests.helpers.cli import convwiz
from tests.helpers.window import flag_file_page
from tests.ui.test_error_paths import GOOD_ROWS

LONG = 90_000


def mnemonics(*roots: QWidget) -> tuple[dict[str, list[str]], list[str]]:
    """Letter -> the texts that use it, and the labels that would show a literal '&'."""
    letters: dict[str, list[str]] = {}
    literal: list[str] = []
    for root in roots:
        for widget in [root, *root.findChildren(QWidget)]:
            if isinstance(widget, QAbstractButton):
                text = widget.text()
            elif isinstance(widget, QLabel) and widget.buddy() is not None:
                text = widget.text()
            elif isinstance(widget, QLabel):
                if "&" in widget.text().replace("&&", "") and not QtGui.Qt.mightBeRichText(
                        widget.text()):
                    literal.append(widget.text())
                continue
            else:
                continue
            found = re.search(r"&([^&])", text.replace("&&", ""))
            if found:
                letters.setdefault(found.group(1).lower(), []).append(text)
    return letters, literal


def clashes(letters: dict[str, list[str]]) -> dict[str, list[str]]:
    return {k: v for k, v in letters.items() if len(v) > 1}


def test_every_screen_has_working_distinct_mnemonics(wizard: Any, project: Path) -> None:
    start = wizard.show_start()
    letters, literal = mnemonics(start)
    assert literal == [] and clashes(letters) == {}
    assert "f" in letters  # "Project &folder:" is a real mnemonic now, not a literal '&'
    main = wizard.open_project(project)
    nav = (main.back_button, main.next_button)
    for step, page in main.pages.items():
        letters, literal = mnemonics(page, *nav)
        assert literal == [], step
        assert clashes(letters) == {}, step
    for dialog_of in ("send",):
        page = main.pages[dialog_of]
        dialog = page.ask_host_key("sftp.example", 22, "SHA256:" + "A" * 43)
        letters, literal = mnemonics(dialog)
        assert literal == [] and clashes(letters) == {}
        dialog.reject()


def test_enter_tests_the_connection_from_the_connection_form(qtbot: Any, wizard: Any,
                                                            project: Path,
                                                            tmp_path: Path) -> None:
    export = write_export(tmp_path / "portal.csv", GOOD_ROWS)
    assert convwiz("export-flags", project, "--input", export).code == 0
    main = wizard.open_project(project)
    main.go_to("send")
    page: Any = main.pages["send"]
    # no connection yet: Send cannot work, and says why; Enter tests the connection
    assert main.current_page is page and not page.send_button.isEnabled()
    assert "Test connection" in page.send_button.toolTip()
    assert page.default_button() is page.test_button
    page.host.clear()
    page.host.setFocus()
    QTest.keyClick(page.host, Qt.Key.Key_Return)
    # Test connection ran (it asks for the host first), not Send flag file
    assert page.banner.kind == "warning"
    assert "Fill in the host" in page.banner.text()
    assert not main.runner.busy


def test_enter_in_the_mapping_exports_and_findings_are_readable(
        qtbot: Any, wizard: Any, project: Path, tmp_path: Path) -> None:
    export = write_export(tmp_path / "portal.csv", [
        *GOOD_ROWS, "Eve Paper,0001234571,,Y,N,,",  # paperless without an email: a warning
        "No Account,,none@example.com,N,N,,"])
    main, page = flag_file_page(qtbot, wizard, project, export, 5)
    assert not page.sheet.isVisibleTo(page)  # a CSV has no sheets to choose
    combo = page.mapping["email"]
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key.Key_Return)  # Enter: the page's default action, Export
    qtbot.waitUntil(lambda: page.banner.kind == "error" and not main.runner.busy, timeout=LONG)
    qtbot.waitUntil(lambda: page.findings.model.total_rows() == 2, timeout=LONG)
    table = page.findings
    assert not table.view.verticalHeader().isVisible()  # no 1, 2, 3 beside the Row column
    model = table.model
    rows = {model.data(model.index(r, 4)): [model.data(model.index(r, c)) for c in range(6)]
            for r in range(model.rowCount())}
    assert rows["paperless without an email address"][:4] == ["5", "Paperless", "", "Warning"]
    assert rows["the account number is empty"][1:4] == ["Account number", "", "Blocking"]
    # the rule is wide enough to read whole, and its full text is the tooltip
    header = table.view.horizontalHeader()
    rule = "paperless without an email address"
    assert header.sectionSize(4) >= table.view.fontMetrics().horizontalAdvance(rule)
    assert model.data(model.index(0, 4), Qt.ItemDataRole.ToolTipRole) == model.data(
        model.index(0, 4))
    table.choice.setCurrentIndex(1)  # Blocking only
    assert model.rowCount() == 1


def test_missing_column_is_left_for_the_pm_the_rest_filled_in(qtbot: Any, wizard: Any,
                                                              project: Path,
                                                              tmp_path: Path) -> None:
    header = EXPORT_HEADER.replace("Email Address", "Contact")
    export = write_export(tmp_path / "portal.csv", GOOD_ROWS, header=header)
    main, page = flag_file_page(qtbot, wizard, project, export, 3)
    assert page.chosen_mapping() == {
        "name": "Customer Name", "account": "Account Number", "paperless": "Paperless",
        "autopay": "AutoPay", "method": "Payment Type", "last4": "Last Four"}
    assert page.missing_fields() == ["email"]
    assert page.banner.kind == "warning" and "no column found for Email" in page.banner.text()
    assert "Still to choose: Email" in page.mapping_note.text()
    assert not page.validate_button.isEnabled() and not page.export_button.isEnabled()
    page.mapping["email"].setCurrentIndex(page.mapping["email"].findData("Contact"))
    assert page.validate_button.isEnabled() and page.export_button.isEnabled()
    assert page.mapping_note.isHidden() and page.banner.kind == ""
    qtbot.mouseClick(page.validate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.banner.kind == "success" and not main.runner.busy,
                    timeout=LONG)
    assert "3 customers" in page.banner.text()


def write_workbook(path: Path) -> Path:
    """A biller's workbook: a notes sheet first, the customers on the second sheet."""
    book = Workbook()
    notes = book.active
    notes.title = "Read me"
    notes.append(["Exported from the portal on 2 March; customers on the next sheet."])
    customers = book.create_sheet("Customers")
    customers.append(EXPORT_HEADER.split(","))
    for line in GOOD_ROWS:
        customers.append(line.split(","))
    book.create_sheet("Totals").append(["Customers", 3])
    book.save(path)
    return path


def test_sheet_is_chosen_from_the_workbooks_sheets(qtbot: Any, wizard: Any, project: Path,
                                                   tmp_path: Path) -> None:
    workbook = write_workbook(tmp_path / "portal.xlsx")
    main = wizard.open_project(project)
    main.go_to("flag_file")
    page: Any = main.pages["flag_file"]
    page.load_file(workbook)
    qtbot.waitUntil(lambda: page.preview.model.rowCount() == 3 and not main.runner.busy,
                    timeout=LONG)
    assert page.sheet.isVisibleTo(page) and page.sheet.isEnabled()
    assert [page.sheet.itemText(i) for i in range(page.sheet.count())] == [
        "Read me", "Customers", "Totals"]
    assert page.sheet.currentText() == "Customers"  # the sheet with the customers' columns
    assert page.missing_fields() == []
    # choosing a sheet without customers says so and keeps the choice of sheets
    page.sheet.setCurrentIndex(2)
    page.sheet.activated.emit(2)
    qtbot.waitUntil(lambda: page.banner.kind in ("error", "warning") and not main.runner.busy,
                    timeout=LONG)
    assert page.sheet.count() == 3 and page.sheet.currentText() == "Totals"
    assert not page.export_button.isEnabled()
    page.sheet.setCurrentIndex(1)
    page.sheet.activated.emit(1)
    qtbot.waitUntil(lambda: page.export_button.isEnabled(), timeout=LONG)
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Flag file written" in page.banner.text() and not main.runner.busy,
                    timeout=LONG)
    # and a CSV afterwards hides the sheet box again
    page.load_file(write_export(tmp_path / "portal.csv", GOOD_ROWS))
    qtbot.waitUntil(lambda: not main.runner.busy and page.preview.model.rowCount() == 3,
                    timeout=LONG)
    assert not page.sheet.isVisibleTo(page) and page._sheet() is None


def test_verify_details_say_each_reason_once() -> None:
    """A customer missing after go-live reads "The customer is not in the post-conversion
    export: …", not the reason twice; a reason the advice does not say is kept before it."""
    import pyarrow as pa

    from wizard.core.verify import ISSUES, NOT_IN_EXPORT, NOT_IN_XREF
    from wizard.ui.pages.verification import readable_details

    table = pa.table({
        "issue": ["missing_after", "missing_after", "autopay_lost"],
        "old_account": ["0001", "0002", "0003"], "new_account": ["9001", None, "9003"],
        "name": ["A", "B", "C"], "email": ["", "", "c@example.com"],
        "before": ["", "", "Y"], "after": ["", "", "N"],
        "reason": [NOT_IN_EXPORT, NOT_IN_XREF, None],
    })
    todo = readable_details(table).column("What to do").to_pylist()
    assert todo == [ISSUES["missing_after"], f"{NOT_IN_XREF}: {ISSUES['missing_after']}",
                    ISSUES["autopay_lost"]]
