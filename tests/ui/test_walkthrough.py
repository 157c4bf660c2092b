"""The demo project walked through every step in the window, with the simulator as provider,
waiting on conditions (never sleeps); then closed and reopened where it stopped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from wizard.flow.project import steps
from wizard.flow.project.project import Project
from wizard.ui.main_window import MainWindow

LONG = 90_000  # ms: child processes start Python on a shared 2-core machine


def idle(window: MainWindow) -> bool:
    return not window.runner.busy


def test_demo_project_walks_through_every_step(qtbot: Any, wizard: Any, tmp_path: Path) -> None:
    wizard.start_demo(tmp_path / "demo", customers=400)
    qtbot.waitUntil(lambda: wizard.main is not None, timeout=LONG)
    main: MainWindow = wizard.main
    project = main.project
    assert main.current_step == "coordination"  # resumes at the first step not done
    assert main.sidebar.item(2).flags() & Qt.ItemFlag.ItemIsEnabled == Qt.ItemFlag(0)  # send

    # -- Coordinate: sign every coordination task off through the dialog
    page: Any = main.pages["coordination"]
    assert "Go-live in 2 days" in page.countdown.text()
    for task_id in list(page.checklist.buttons):
        qtbot.mouseClick(page.checklist.buttons[task_id], Qt.MouseButton.LeftButton)
        dialog = page.checklist.dialog
        assert dialog is not None
        dialog.by.setText("Pat PM")
        dialog.accept()
    assert steps.is_done(project, "coordination")
    assert page.checklist.summary.text() == "8 of 8 tasks done"
    page.template_list.setCurrentRow(0)
    qtbot.mouseClick(page.copy_button, Qt.MouseButton.LeftButton)
    assert "Prairie Valley" in page.template_text.toPlainText()

    # -- Flag file: preview, detected mapping, validate, export
    qtbot.mouseClick(main.next_button, Qt.MouseButton.LeftButton)
    assert main.current_step == "flag_file"
    flag: Any = main.pages["flag_file"]
    flag.load_file(main.demo.customer_export)
    qtbot.waitUntil(lambda: flag.preview.model.rowCount() == 400, timeout=LONG)
    assert flag.chosen_mapping()["account"] == "Account Number"
    qtbot.mouseClick(flag.validate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: flag.banner.kind == "success", timeout=LONG)
    assert "no blocking findings" in flag.banner.text()
    assert flag.findings.model.total_rows() >= 2  # the demo's two warnings
    qtbot.mouseClick(flag.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Flag file written" in flag.banner.text() and idle(main),
                    timeout=LONG)
    assert steps.is_done(project, "flag_file")
    assert list(project.outbox.glob("flag_file_*.csv"))
    assert main.sidebar.item(2).flags() & Qt.ItemFlag.ItemIsEnabled  # send is open now

    # -- Send: test the connection, trust the simulator's key, upload
    main.go_to("send")
    send: Any = main.pages["send"]
    assert send.host.text() == main.demo.simulator.host
    qtbot.mouseClick(send.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: send.dialog is not None, timeout=LONG)
    assert send.dialog.shown.text() == main.demo.simulator.fingerprint
    send.dialog.accept_button.click()
    qtbot.waitUntil(lambda: send.banner.kind != "" and idle(main), timeout=LONG)
    assert send.banner.kind == "success", send.banner.text()
    assert project.setting("sftp_host_key") == main.demo.simulator.fingerprint
    qtbot.mouseClick(send.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "SHA-256" in send.result_label.text() and idle(main), timeout=LONG)
    assert steps.is_done(project, "send")

    # -- Cross-reference: fetch from the simulator, then make the update and rollback
    main.go_to("cross_reference")
    xref: Any = main.pages["cross_reference"]
    assert xref.window_banner.isVisibleTo(xref)
    qtbot.mouseClick(xref.fetch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: xref.xref_path is not None and idle(main), timeout=LONG)
    qtbot.mouseClick(xref.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "accounts mapped" in xref.banner.text() and idle(main),
                    timeout=LONG)
    assert (project.outbox / "ic_account_update.csv").exists()
    assert (project.outbox / "ic_account_rollback.csv").exists()

    # -- Verify: the demo's post-go-live export, figures, chart, who lost what
    main.go_to("verification")
    verify: Any = main.pages["verification"]
    qtbot.mouseClick(verify.demo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: verify.post_path is not None and idle(main), timeout=LONG)
    qtbot.mouseClick(verify.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: verify.figure_labels["customers"].text() == "400" and idle(main),
                    timeout=LONG)
    # the demo loses enrolments on purpose: nothing may call that done or complete
    # the demo's drift: not preserved, so the step needs attention and is not done
    assert steps.states(project)["verification"] is steps.State.ATTENTION
    assert verify.chart.groups and verify.details.model.total_rows() > 0
    assert "Needs attention" in verify.verdict.text()
    assert int(verify.figure_labels["autopay_lost"].text()) > 0
    assert "complete" not in main.status_label.text()
    # who lost what, in words a PM reads, names and emails whole
    details = verify.details
    model = details.model
    headings = [model.headerData(c, Qt.Orientation.Horizontal)
                for c in range(model.columnCount())]
    assert headings[:3] == ["Issue", "What to do", "Name"]  # what a PM reads first
    issues = {model.data(model.index(r, 0)) for r in range(model.rowCount())}
    assert "Autopay lost" in issues and not any("_" in i for i in issues), issues
    todo = {model.data(model.index(r, 1)) for r in range(model.rowCount())}
    assert "Autopay was on before go-live and is off now: re-enrol the customer" in todo
    assert not details.view.verticalHeader().isVisible()
    metrics = details.view.fontMetrics()
    for name in ("Name", "Email"):
        c = headings.index(name)
        widest = max(metrics.horizontalAdvance(model.data(model.index(r, c)))
                     for r in range(model.rowCount()))
        assert details.view.horizontalHeader().sectionSize(c) > widest, name
    details.choice.setCurrentIndex(details.choice.findText("Autopay lost"))
    assert 0 < model.rowCount() < model.total_rows()
    assert {model.data(model.index(r, 0)) for r in range(model.rowCount())} == {"Autopay lost"}

    # -- Report: write the biller workbook
    main.go_to("report")
    report: Any = main.pages["report"]
    qtbot.mouseClick(report.write_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "workbook is written" in report.banner.text() and idle(main),
                    timeout=LONG)
    assert report.output is not None and report.output.exists()
    assert report.open_button.isEnabled()
    folder = project.folder
    # steps done, but tasks open and losses found: the window never says complete
    assert "complete" not in main.status_label.text()
    sidebar_verify = main.sidebar.item(4)
    if steps.states(project)["verification"] != "done":
        assert "needs attention" in sidebar_verify.text()
    first_open = steps.first_not_done(project)
    assert first_open == "verification"  # it needs attention

    # -- close: the lock is released (a command may write), nothing is lost on reopening
    main.close()
    qtbot.waitUntil(lambda: wizard.main is None, timeout=LONG)
    with Project.open(folder) as again:
        again.acquire("test")  # would raise NotReady if the window still held it
        again.release()
        assert steps.first_not_done(again) == first_open


def test_reopening_resumes_at_first_step_not_done(qtbot: Any, wizard: Any,
                                                  project: Path) -> None:
    from tests.helpers.cli import convwiz

    window = wizard.open_project(project)
    assert window.current_step == "coordination"
    # while the window is open, a command writing to the project is refused (exit 4)
    run = convwiz("checklist", project, "--done", "test_bid", "--by", "Someone")
    assert run.code == 4
    window.close()
    qtbot.waitUntil(lambda: wizard.main is None)
    from wizard.flow.steps.checklist import TASKS

    for task in (t.id for t in TASKS if t.phase == "coordination"):
        assert convwiz("checklist", project, "--done", task, "--by", "Pat").code == 0
    window = wizard.open_project(project)
    assert window.current_step == "flag_file"
    assert window.sidebar.item(0).toolTip().endswith("(done)")
    # and the project is in the start screen's portfolio (a recent project); the lock this
    # very window holds does not make it busy
    start = wizard.show_start()
    qtbot.waitUntil(lambda: any(c.path == project and c.state != "busy"
                                for c in start.portfolio.model.rows), timeout=30_000)
