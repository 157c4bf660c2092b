"""One screenshot per step of the wizard, made from the demo project, into docs/screenshots/.

    xvfb-run -a -s "-screen 0 1280x720x24" python scripts/screenshots.py

It runs the demo through the window exactly as a PM would (the same buttons), and grabs the
window after each step's work is done. Also `--out DIR` and `--customers N`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QWidget


def wait_until(condition: Callable[[], bool], timeout: float = 120.0) -> None:
    """Run the event loop until `condition()` holds (checked every 50 ms)."""
    deadline = time.monotonic() + timeout
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(50)

    def poll() -> None:
        if condition() or time.monotonic() > deadline:
            loop.quit()

    timer.timeout.connect(poll)
    timer.start()
    if not condition():
        loop.exec()
    timer.stop()
    if not condition():
        raise SystemExit("timed out waiting for the window")


def shoot(widget: QWidget, path: Path) -> None:
    # half a second of the event loop first: a layout with wrapped labels settles in a few
    # passes (one pass drew the checklist's two-line statuses on top of each other)
    settled = time.monotonic() + 0.5
    wait_until(lambda: time.monotonic() > settled)
    QApplication.processEvents()
    widget.grab().save(str(path))
    print(f"  {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs"
                                             / "screenshots"))
    parser.add_argument("--customers", type=int, default=5000)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtCore import QSettings

    from wizard.ui.app import Wizard, application

    work = Path(tempfile.mkdtemp(prefix="convwiz-shots-"))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(work / "qs"))
    app = application()
    wizard = Wizard()
    start = wizard.show_start()
    start.resize(1280, 720)  # the start screen's own shot: scripts/portfolio_screenshot.py

    wizard.start_demo(work / "demo", args.customers)
    wait_until(lambda: wizard.main is not None)
    main = wizard.main
    main.resize(1280, 720)
    idle = lambda: not main.runner.busy  # noqa: E731

    coordination = main.pages["coordination"]
    for task_id in list(coordination.checklist.buttons)[:5]:
        coordination.checklist.buttons[task_id].click()
        dialog = coordination.checklist.dialog
        dialog.by.setText("Pat Morgan")
        dialog.accept()
    shoot(main, out / "1-coordination.png")

    main.go_to("flag_file")
    flag = main.pages["flag_file"]
    flag.load_file(main.demo.customer_export)
    wait_until(lambda: flag.preview.model.rowCount() > 0 and idle())
    flag.export_button.click()
    wait_until(lambda: "Flag file written" in flag.banner.text() and idle())
    shoot(main, out / "2b-flag-file-findings.png")  # the page shows the result itself
    main.scrolls["flag_file"].verticalScrollBar().setValue(0)
    shoot(main, out / "2-flag-file.png")

    main.go_to("send")
    send = main.pages["send"]
    send.test_button.click()
    wait_until(lambda: send.dialog is not None)
    send.dialog.resize(640, 260)
    shoot(send.dialog, out / "3a-host-key.png")
    send.dialog.accept_button.click()
    wait_until(lambda: send.banner.kind != "" and idle())
    send.send_button.click()
    wait_until(lambda: "SHA-256" in send.result_label.text() and idle())
    shoot(main, out / "3-send.png")

    main.go_to("cross_reference")
    xref = main.pages["cross_reference"]
    xref.fetch_button.click()
    wait_until(lambda: xref.xref_path is not None and idle())
    xref.import_button.click()
    wait_until(lambda: xref.banner.kind != "" and idle())
    shoot(main, out / "4-cross-reference.png")

    main.go_to("verification")
    verify = main.pages["verification"]
    verify.demo_button.click()
    wait_until(lambda: verify.post_path is not None and idle())
    verify.verify_button.click()
    wait_until(lambda: verify.chart.groups != [] and idle())
    shoot(main, out / "5-verification.png")
    main.scrolls["verification"].ensureWidgetVisible(verify.details, 0, 40)
    shoot(main, out / "5b-verification-details.png")

    main.go_to("report")
    report = main.pages["report"]
    report.write_button.click()
    wait_until(lambda: report.banner.kind != "" and idle())
    shoot(main, out / "6-report.png")

    main.go_to("purge")
    shoot(main, out / "7-purge.png")

    # the flag file page when one column is not found by its usual names
    main.go_to("flag_file")
    lines = Path(main.demo.customer_export).read_text(encoding="utf-8").splitlines(True)
    odd = work / "portal_export_contact.csv"
    odd.write_text(lines[0].replace("Email Address", "Contact") + "".join(lines[1:]),
                   encoding="utf-8")
    flag.load_file(odd)
    wait_until(lambda: flag.missing_fields() == ["email"] and idle())
    main.scrolls["flag_file"].ensureWidgetVisible(flag.mapping_note, 0, 40)
    shoot(main, out / "2c-flag-file-missing-column.png")

    main.close()
    wizard.shutdown()
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
