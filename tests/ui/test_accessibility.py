"""The window as a screen reader meets it: the whole demo walked with the accessibility tree
read after every step and polled every 0.25 s meanwhile (as Orca does), five times in a
row, in-process and offscreen (the real screen reader's walk, twenty times over the
accessibility bus, is tests/ui/test_atspi.py); and every page walked through the
accessibility tree alone, finding a name on every visible control and reaching every button.

The accessibility client here is Qt's own `QAccessible` interfaces, in-process, on the
offscreen platform; tests/ui/test_atspi.py does the same walk as a real AT-SPI client in
another process, over the accessibility bus, with the program on Xvfb.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer

from tests.ui import a11y
from wizard.ui.main_window import MainWindow

os.environ.setdefault("QT_LINUX_ACCESSIBILITY_ALWAYS_ON", "1")
LONG = 90_000  # ms: child processes start Python on a shared 2-core machine
WALKS = 5  # the real screen reader walks twenty times: tests/ui/test_atspi.py


def idle(window: MainWindow) -> bool:
    return not window.runner.busy


def demo_walk(qtbot: Any, wizard: Any, folder: Path, after: Callable[[str], None]) -> MainWindow:
    """Every step of the demo through the window's buttons; `after(step)` after each."""
    wizard.start_demo(folder, customers=300)
    qtbot.waitUntil(lambda: wizard.main is not None, timeout=LONG)
    main: MainWindow = wizard.main
    after("opened")
    page: Any = main.pages["coordination"]
    for task_id in list(page.checklist.buttons):
        page.checklist.buttons[task_id].click()
        dialog = page.checklist.dialog
        dialog.by.setText("Pat PM")
        dialog.accept()
    after("coordination")
    main.go_to("flag_file")
    flag: Any = main.pages["flag_file"]
    flag.load_file(main.demo.customer_export)
    qtbot.waitUntil(lambda: flag.preview.model.rowCount() == 300 and idle(main), timeout=LONG)
    after("preview")
    flag.validate_button.click()
    qtbot.waitUntil(lambda: flag.banner.kind == "success" and idle(main), timeout=LONG)
    after("validate")
    flag.export_button.click()
    qtbot.waitUntil(lambda: "Flag file written" in flag.banner.text() and idle(main),
                    timeout=LONG)
    assert flag.findings.model.total_rows() == 2  # the demo's two warnings, as data
    after("export")
    main.go_to("send")
    send: Any = main.pages["send"]
    send.test_button.click()
    qtbot.waitUntil(lambda: send.dialog is not None, timeout=LONG)
    after("host key")
    send.dialog.accept_button.click()
    qtbot.waitUntil(lambda: send.banner.kind != "" and idle(main), timeout=LONG)
    send.send_button.click()
    qtbot.waitUntil(lambda: "SHA-256" in send.result_label.text() and idle(main), timeout=LONG)
    after("send")
    main.go_to("cross_reference")
    xref: Any = main.pages["cross_reference"]
    xref.fetch_button.click()
    qtbot.waitUntil(lambda: xref.xref_path is not None and idle(main), timeout=LONG)
    xref.import_button.click()
    qtbot.waitUntil(lambda: "accounts mapped" in xref.banner.text() and idle(main),
                    timeout=LONG)
    after("cross_reference")
    main.go_to("verification")
    verify: Any = main.pages["verification"]
    verify.demo_button.click()
    qtbot.waitUntil(lambda: verify.post_path is not None and idle(main), timeout=LONG)
    verify.verify_button.click()
    qtbot.waitUntil(lambda: verify.chart.groups != [] and idle(main), timeout=LONG)
    after("verification")
    main.go_to("report")
    report: Any = main.pages["report"]
    report.write_button.click()
    qtbot.waitUntil(lambda: "workbook is written" in report.banner.text() and idle(main),
                    timeout=LONG)
    after("report")
    return main


@pytest.mark.slow
@pytest.mark.parametrize("walk", range(WALKS))
def test_demo_walk_with_a_screen_reader_polling(qtbot: Any, wizard: Any, tmp_path: Path,
                                                walk: int) -> None:
    seen: list[int] = []
    poller = QTimer()
    poller.setInterval(250)
    poller.timeout.connect(lambda: seen.append(len(a11y.walk_all())))
    poller.start()
    steps: list[str] = []

    def after(step: str) -> None:
        nodes = a11y.walk_all()
        assert nodes, step
        steps.append(step)

    try:
        main = demo_walk(qtbot, wizard, tmp_path / f"demo{walk}", after)
    finally:
        poller.stop()
    assert steps[-1] == "report" and seen
    simulator_root = main.demo.simulator_root
    main.close()
    qtbot.waitUntil(lambda: wizard.main is None, timeout=LONG)
    # the simulator's folder (with its private host key) is gone with the window
    assert not Path(simulator_root).exists()


def choose_through_accessibility(list_widget: Any, name_starts: str) -> None:
    """Select the list item whose accessible name starts with `name_starts`, as a screen
    reader user does: through the item's accessible action, not a click."""
    from PySide6.QtGui import QAccessibleActionInterface

    items = [n for n in a11y.walk(list_widget) if n.name.startswith(name_starts)
             and n.role != a11y.Role.List]
    assert items, (f"no item named {name_starts!r} in the accessibility tree",
                   [(n.name, n.role.name) for n in a11y.walk(list_widget)])
    item = items[0]
    assert item.actions, f"{name_starts!r} has no accessible action"
    action = (QAccessibleActionInterface.toggleAction()
              if QAccessibleActionInterface.toggleAction() in item.actions else item.actions[0])
    item.interface.actionInterface().doAction(action)


def test_every_page_through_the_accessibility_tree(qtbot: Any, wizard: Any,
                                                   tmp_path: Path) -> None:
    main = demo_walk(qtbot, wizard, tmp_path / "demo", lambda _step: None)
    pressed_sign_off = False
    for n, step_id in enumerate(main.step_ids, start=1):
        title = "Purge" if step_id == "purge" else main._steps.step(step_id).title
        choose_through_accessibility(main.sidebar, f"{n}. {title}")
        qtbot.waitUntil(lambda s=step_id: main.current_step == s, timeout=5_000)
        nodes = a11y.walk_all()
        assert a11y.unnamed(nodes) == [], (step_id, a11y.unnamed(nodes))
        buttons = [x for x in nodes if x.role == a11y.Role.PushButton and x.visible]
        assert buttons, step_id
        for button in (b for b in buttons if b.enabled):
            assert a11y.QAccessibleActionInterface.pressAction() in button.actions, button.path
        sign_offs = [b for b in buttons if b.name.startswith(("Sign off: ", "Sign again: "))]
        if step_id in ("coordination", "verification"):
            assert sign_offs, f"no Sign off button on {step_id} in the accessibility tree"
            assert all(len(b.name) > len("Sign off: ") + 3 for b in sign_offs)
        if step_id == "verification" and not pressed_sign_off:
            open_tasks = [b for b in sign_offs if b.name.startswith("Sign off: ")]
            assert open_tasks
            a11y.press(open_tasks[0])
            page: Any = main.pages["verification"]
            qtbot.waitUntil(lambda p=page: p.checklist.dialog is not None, timeout=5_000)
            page.checklist.dialog.reject()
            pressed_sign_off = True
    assert pressed_sign_off
    # a template chosen through the accessibility interface shows its text
    main.go_to("coordination")
    page = main.pages["coordination"]
    page.template_list.setCurrentRow(0)
    second = page.template_list.item(1).text()
    choose_through_accessibility(page.template_list, second)
    qtbot.waitUntil(lambda: page.template_list.currentRow() == 1, timeout=5_000)
    assert page.template_text.toPlainText()
