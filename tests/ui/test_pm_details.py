"""The smaller things a new PM met (issue 31), each as the PM meets it: a sign-off typed
over the name offered, what Export says, the status line and the Next button agreeing, the
main button after a send, the focus ring, the Tab order, the Notices list, the workbook
password the command line made, the folder "Open a project folder…" starts in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from wizard.flow.steps import checklist
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
    signed = checklist.entries(main.project)
    assert next(t for t in signed if t.id == task_id).by == "Sam Roe"


def exported(qtbot: Any, wizard: Any, project: Path, tmp_path: Path) -> tuple[Any, Any]:
    """The project's window after Export flag file, the coordination checklist still open."""
    from tests.conftest import write_export
    from tests.helpers.window import flag_file_page
    from tests.ui.test_error_paths import GOOD_ROWS

    export = write_export(tmp_path / "portal export.csv", GOOD_ROWS)
    main, page = flag_file_page(qtbot, wizard, project, export, len(GOOD_ROWS))
    main.resize(1280, 720)
    account = page.preview.view.horizontalHeader()
    before = account.sectionSize(1)
    page.export_button.click()
    qtbot.waitUntil(lambda: "Flag file written" in page.banner.text() and
                    not main.runner.busy, timeout=LONG)
    return main, page, before


def test_after_export_the_page_says_rows_and_folder_and_the_next_step_agrees(
        qtbot: Any, wizard: Any, project: Path, tmp_path: Path) -> None:
    main, page, before = exported(qtbot, wizard, project, tmp_path)
    outbox = str(project / "outbox")
    # what is written, how many rows and where: in the banner and beside the findings
    assert outbox in page.banner.text() and "3 customers" in page.banner.text()
    assert outbox in page.summary.text() and "3 customers" in page.summary.text()
    assert page.summary.accessibleName() == "" or outbox in page.summary.accessibleName()
    # the status line's "Next:" and the Next button name the same step
    main.refresh()
    assert main.next_button.text().replace("&", "") == "Next: Send to Daffron ›"
    assert "Next: Send to Daffron" in main.status_label.text(), main.status_label.text()
    assert "Coordinate" in main.status_label.text()  # still open, and said so
    # the preview keeps its columns readable
    header = page.preview.view.horizontalHeader()
    account = next(c for c in range(header.count()) if page.preview.model.headerData(
        c, Qt.Orientation.Horizontal) == "Account Number")
    assert header.sectionSize(account) >= header.fontMetrics().horizontalAdvance(
        "Account Number"), (before, header.sectionSize(account))


def test_after_the_send_the_send_button_is_no_longer_the_main_one(
        qtbot: Any, wizard: Any, project: Path, tmp_path: Path) -> None:
    from wizard.core.vocabulary import S_HOST, S_HOST_KEY, S_USER
    from wizard.flow.project import steps

    main, _page, _before = exported(qtbot, wizard, project, tmp_path)
    with main.project.writing("test"):  # a connection saved, as Test connection saves it
        for key, value in ((S_HOST, "127.0.0.1"), (S_USER, "biller"),
                           (S_HOST_KEY, "SHA256:" + "A" * 43)):
            main.project.store.set_setting(key, value)
    main.go_to("send")
    send: Any = main.pages["send"]
    send._update_buttons()
    assert send.primary is send.send_button and send.send_button.objectName() == "primary"
    with main.project.writing("test"):  # the upload succeeded (flow.steps.exchange.send's mark)
        steps.mark_done(main.project, "send", file="flag_file.csv")
    send._update_buttons()
    assert send.send_button.objectName() != "primary"  # not the blue main button ...
    assert send.primary is None  # ... nor what Enter presses: Enter goes on to the next step
    assert send.send_button.isEnabled()  # a second send stays possible, on purpose


def test_the_focus_ring_is_two_pixels_of_a_dark_colour(qtbot: Any, wizard: Any,
                                                      project: Path) -> None:
    from PySide6.QtGui import QColor

    from wizard.ui.widgets import FOCUS_COLOUR

    ring = QColor(FOCUS_COLOUR)

    def ringed(widget: Any) -> None:
        widget.setFocus()
        qtbot.waitUntil(widget.hasFocus)
        image = widget.grab().toImage()
        middle = image.height() // 2
        edge = [image.pixelColor(x, middle).name() for x in range(3)]
        # its two outermost columns of pixels are the ring's colour (a faint line was not)
        assert edge[:2] == [ring.name()] * 2, (widget.accessibleName(), edge)

    start = wizard.show_start()
    start.activateWindow()
    qtbot.waitUntil(start.isActiveWindow)
    for widget in (start.create_button, start.demo_button, start.biller,
                   start.portfolio.table):
        ringed(widget)
    main = wizard.open_project(project)
    main.activateWindow()
    qtbot.waitUntil(main.isActiveWindow)
    for widget in (main.sidebar, main.pages["coordination"].settings_button):
        ringed(widget)


def tab_stops(main: Any, count: int = 40) -> list[str]:
    """What Tab reaches from the step sidebar, in order, by name."""
    main.sidebar.setFocus()
    names = []
    for _ in range(count):
        main.focusNextChild()
        widget = main.focusWidget()
        names.append(widget.accessibleName() or getattr(widget, "text", lambda: "")()
                     .replace("&", ""))
    return names


def test_tab_goes_sidebar_settings_sign_offs_notices_next(qtbot: Any, wizard: Any,
                                                         project: Path) -> None:
    main = wizard.open_project(project)
    main.go_to("coordination")
    main.activateWindow()
    qtbot.waitUntil(main.isActiveWindow)
    stops = tab_stops(main)
    first = stops.index("Edit settings…")
    following = next(i for i, name in enumerate(stops[first:], first)
                     if name.startswith("Next: "))
    cycle = stops[first:following + 1]  # Edit settings … Next
    signs = [i for i, name in enumerate(cycle) if name.startswith("Sign off: ")]
    assert len(signs) == 8 and signs[-1] < cycle.index("Notices and tickets"), cycle
    assert stops[following + 1] == "Steps"  # and round again: the sidebar first


def test_a_focused_list_is_scrolled_fully_into_view(qtbot: Any, wizard: Any,
                                                    project: Path) -> None:
    main = wizard.open_project(project)
    main.resize(1280, 720)
    main.go_to("coordination")
    main.activateWindow()
    qtbot.waitUntil(main.isActiveWindow)
    page: Any = main.pages["coordination"]
    notices = page.template_list
    main.scrolls["coordination"].verticalScrollBar().setValue(0)
    main.sidebar.setFocus()
    notices.setFocus()  # as Tab from the last Sign off button does

    def whole() -> bool:
        return notices.visibleRegion().boundingRect() == notices.rect()

    qtbot.waitUntil(whole)


def test_the_notices_list_shows_every_notice_without_a_sideways_scroll_bar(
        qtbot: Any, wizard: Any, project: Path) -> None:
    main = wizard.open_project(project)
    main.resize(1280, 720)
    main.go_to("coordination")
    notices = main.pages["coordination"].template_list
    qtbot.waitUntil(lambda: notices.count() >= 5)
    qtbot.waitUntil(lambda: notices.isVisible())
    for row in range(notices.count()):  # each title whole, within the list's width
        rect = notices.visualItemRect(notices.item(row))
        assert notices.viewport().rect().contains(rect), (notices.item(row).text(), rect)
    assert notices.horizontalScrollBar().maximum() == 0
    assert notices.verticalScrollBar().maximum() == 0  # every notice shown: none scrolled


@pytest.mark.parametrize("how", ["keyring", "no-encrypt", "password kept nowhere",
                                 "password removed"])
def test_a_workbook_the_command_line_wrote_is_never_no_password_yet(
        qtbot: Any, wizard: Any, project: Path, how: str, memory_keyring: Any) -> None:
    from tests.helpers.cli import convwiz
    from tests.helpers.conversion import build
    from wizard.core.vocabulary import S_WORKBOOK_ENTRY
    from wizard.flow.project.project import Project

    build(project)
    run = convwiz("report", project, *(["--no-encrypt"] if how == "no-encrypt" else []),
                  "--json")
    assert run.code == 0, run.stderr
    if how == "password kept nowhere":  # as a demo without a usable keyring leaves it
        with Project.open(project) as opened, opened.writing("test"):
            opened.store.set_setting(S_WORKBOOK_ENTRY, "")
    if how == "password removed":
        memory_keyring.secrets.clear()
    main = wizard.open_project(project)
    main.go_to("report")
    status = main.pages["report"].password_status.text()
    assert "No password yet" not in status
    expected = {"keyring": "Kept in this computer's system keyring",
                "no-encrypt": "without a password (--no-encrypt",
                "password kept nowhere": "shown once when it was written",
                "password removed": "is not in this computer's keyring"}[how]
    assert expected in status, status


def test_verify_what_to_do_is_readable_at_1280x720(qtbot: Any, wizard: Any,
                                                    project: Path, tmp_path: Path) -> None:
    from tests.helpers.cli import convwiz
    from tests.helpers.conversion import build, drifted_post
    from wizard.core import generate

    build(project)
    post = generate.write_csv(drifted_post(project).table, tmp_path / "post.csv")
    assert convwiz("verify", project, "--post", post, "--json").code == 3  # losses planted
    main = wizard.open_project(project)
    main.resize(1280, 720)
    main.go_to("verification")
    details = main.pages["verification"].details
    qtbot.waitUntil(lambda: details.isVisible() and details.model.rowCount() > 0,
                    timeout=LONG)
    header = details.view.horizontalHeader()
    todo = next(c for c in range(header.count())
                if details.model.headerData(c, Qt.Orientation.Horizontal) == "What to do")
    qtbot.waitUntil(lambda: header.sectionSize(todo) > 0)
    chars = header.sectionSize(todo) / details.view.fontMetrics().averageCharWidth()
    assert chars >= 40, header.sectionSize(todo)  # a line of advice, not a few characters
    # read without scrolling sideways: second, after the issue
    assert todo == 1 and header.sectionViewportPosition(todo) + header.sectionSize(todo) <= \
        details.view.viewport().width()


def test_open_a_project_folder_starts_in_documents_conversion_wizard(
        qtbot: Any, wizard: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    from wizard.services import places

    documents = tmp_path / "Documents" / "Conversion Wizard"
    documents.mkdir(parents=True)
    monkeypatch.setattr(places, "documents_dir", lambda: documents)
    asked: list[str] = []

    def dialog(_parent: Any, _title: str, folder: str, *_more: Any) -> str:
        asked.append(folder)
        return ""  # cancelled

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", dialog)
    try:  # the window's own dialogs (issue 29), where they are
        from wizard.ui import file_dialogs  # type: ignore[attr-defined, unused-ignore]

        monkeypatch.setattr(file_dialogs, "existing_directory", dialog)
    except ImportError:
        pass
    start = wizard.show_start()
    qtbot.keyClick(start.portfolio.open_button, Qt.Key.Key_Space)
    assert asked == [str(documents)]  # not the home folder
