"""The main error path of each page, as a PM meets it: a blocked export, a refused host key,
a cross-reference with duplicates; and Cancel leaving nothing half-written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from tests.conftest import write_export
from tests.helpers.cli import convwiz
from tests.helpers.window import flag_file_page
from wizard.core import generate
from wizard.flow.project import steps

LONG = 90_000

GOOD_ROWS = [
    "Mary Smith,0001234567,mary@example.com,Y,Y,Credit Card,0042",
    "John Brown,0001234568,john@example.com,N,N,,",
    "Ana Núñez,0001234569,ana@example.com,Y,N,Checking,7777",
]


def test_blocked_export_shows_findings_and_writes_no_flag_file(qtbot: Any, wizard: Any,
                                                                project: Path,
                                                                tmp_path: Path) -> None:
    export = write_export(tmp_path / "portal.csv", [
        *GOOD_ROWS,
        "Card In Name,0001234570,card@example.com,Y,Y,Credit Card,4111 1111 1111 1111",
        "No Account,,none@example.com,N,N,,",
    ])
    main = wizard.open_project(project)
    main.go_to("flag_file")
    page: Any = main.pages["flag_file"]
    page.load_file(export)
    qtbot.waitUntil(lambda: page.preview.model.rowCount() == 5, timeout=LONG)
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.banner.kind == "error" and not main.runner.busy, timeout=LONG)
    assert "blocking" in page.banner.text()
    assert page.banner.action.isVisible()  # "Open the exceptions workbook"
    qtbot.waitUntil(lambda: page.findings.model.total_rows() > 0, timeout=LONG)
    page.findings.choice.setCurrentIndex(1)  # blocking only
    shown = [page.findings.model.data(page.findings.model.index(r, 2))
             for r in range(page.findings.model.rowCount())]
    assert any("1111" in v for v in shown)
    assert not any("4111 1111 1111 1111" in v for v in shown)  # masked, never in full
    assert not list(project.joinpath("outbox").glob("flag_file_*.csv"))
    assert not steps.is_done(main.project, "flag_file")
    # the sidebar still keeps Send blocked
    assert not main.can_open("send")


def test_refused_host_key_saves_nothing(qtbot: Any, wizard: Any, project: Path,
                                        tmp_path: Path) -> None:
    from wizard.services.simulator import start_simulator

    simulator = start_simulator(tmp_path / "provider")
    try:
        main = wizard.open_project(project)
        page = main.pages["send"]
        page.refresh()
        page.host.setText(simulator.host)
        page.port.setValue(simulator.port)
        page.user.setText(simulator.user)
        page.password.setText(simulator.password)
        qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.dialog is not None, timeout=LONG)
        assert page.dialog.shown.text() == simulator.fingerprint
        assert page.dialog.refuse_button.isDefault()  # Enter never trusts a key
        page.dialog.refuse_button.click()
        assert page.banner.kind == "warning"
        assert "not trusted" in page.banner.text()
        assert main.project.setting("sftp_host") is None
        assert main.project.setting("sftp_host_key") is None
    finally:
        simulator.stop()


def test_cross_reference_with_duplicates_is_refused(qtbot: Any, wizard: Any, project: Path,
                                                   tmp_path: Path) -> None:
    export = write_export(tmp_path / "portal.csv", GOOD_ROWS)
    assert convwiz("export-flags", project, "--input", export).code == 0
    xref = tmp_path / "xref.csv"
    xref.write_text("UTI Account Number,Daffron Account Number\r\n"
                    "0001234567,90000001\r\n0001234568,90000002\r\n"
                    "0001234569,90000002\r\n", encoding="utf-8")
    main = wizard.open_project(project)
    main.go_to("cross_reference")
    page: Any = main.pages["cross_reference"]
    page.use_file(xref)
    qtbot.waitUntil(lambda: page.old_column.count() == 3 and not main.runner.busy,
                    timeout=LONG)
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.banner.kind == "error" and not main.runner.busy, timeout=LONG)
    assert "90000002" in page.banner.text() or "blocking" in page.banner.text()
    qtbot.waitUntil(lambda: page.findings.model.total_rows() > 0, timeout=LONG)
    assert not (project / "outbox" / "ic_account_update.csv").exists()
    assert not (project / "outbox" / "ic_account_rollback.csv").exists()
    assert not steps.is_done(main.project, "cross_reference")


def test_cancel_leaves_no_flag_file(qtbot: Any, wizard: Any, project: Path,
                                    tmp_path: Path) -> None:
    export = generate.write_csv(generate.customers(300_000), tmp_path / "big.csv")
    main = wizard.open_project(project)
    main.go_to("flag_file")
    page: Any = main.pages["flag_file"]
    page.load_file(export)
    qtbot.waitUntil(lambda: page.export_button.isEnabled(), timeout=LONG)
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    assert page.progress.isVisibleTo(page)
    qtbot.mouseClick(page.progress.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not main.runner.busy, timeout=LONG)
    assert "Cancelled" in page.banner.text()
    outbox = list((project / "outbox").iterdir())
    assert outbox == []  # no flag file, no temporary left behind
    assert not steps.is_done(main.project, "flag_file")


def test_one_page_at_a_time_works_on_the_project(qtbot: Any, wizard: Any, project: Path,
                                                  tmp_path: Path) -> None:
    """While one page's work holds the project (the export here), the other pages' actions
    are disabled and say what to wait for, instead of failing with "another process is
    working on …"; they come back when it ends."""
    export = write_export(tmp_path / "portal.csv", GOOD_ROWS)
    main, flag = flag_file_page(qtbot, wizard, project, export, 3)
    send: Any = main.pages["send"]
    assert send.test_button.isEnabled()
    flag.export_button.click()  # the export starts; no event is processed before the checks
    assert not send.test_button.isEnabled()
    assert send.test_button.toolTip() == (
        "Wait for 'Flag file' to finish: it is working on the project")
    purge: Any = main.pages["purge"]
    assert not purge.purge_button.isEnabled()
    qtbot.waitUntil(lambda: "Flag file written" in flag.banner.text() and not main.runner.busy,
                    timeout=LONG)
    assert send.test_button.isEnabled()
    assert send.test_button.toolTip() == ""
    report: Any = main.pages["report"]  # the export done, the workbook can be written
    assert report.write_button.isEnabled()
