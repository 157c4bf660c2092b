"""The start screen as a PM with several conversions sees it: the demo and made-up
conversions in every state, into docs/screenshots/0-portfolio.png.

    xvfb-run -a -s "-screen 0 1366x768x24" python scripts/portfolio_screenshot.py

The window takes the size it opens at on that screen (a 1366x768 laptop's), as a PM sees it.

Everything is made in a temporary home folder (its Documents/Conversion Wizard), so the
person's own projects and settings are never touched.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
HOME = Path(tempfile.mkdtemp(prefix="convwiz-portfolio-shot-"))
os.environ["HOME"] = str(HOME)  # before platformdirs is asked for the documents folder
os.environ.pop("XDG_DOCUMENTS_DIR", None)
os.environ["XDG_CONFIG_HOME"] = str(HOME / ".config")

# made-up conversions: (biller, go-live from today, what has happened)
MADE_UP = (
    ("Riverbend Water District", 9, "attention"),
    ("Cedar Falls Utilities", -4, "overdue"),
    ("Lakeshore Electric Membership Corp.", 23, "fresh"),
    ("Blue Ridge Natural Gas", 24, "coordinated"),  # its window overlaps Lakeshore's
    ("Sunset Municipal Water", 41, "coordinated"),
    ("Oak Hollow Power Cooperative", -35, "done"),
    ("Mesa Verde Irrigation", -90, "purged"),
)


def next_holiday(after: date) -> date:
    import holidays

    federal = holidays.country_holidays("US", years=[after.year, after.year + 1])
    return min(d for d in federal if d > after and d.weekday() < 5)


def make(documents: Path, today: date) -> None:
    from tests.helpers.portfolio import KINDS
    from wizard.flow.project.project import Project
    from wizard.flow.project.settings import Settings

    kinds = {k.name: k for k in KINDS}
    for n, (biller, days, kind) in enumerate(MADE_UP):
        folder = documents / biller.lower().replace(" ", "-").replace(".", "")
        with Project.create(folder, Settings(biller, today + timedelta(days=days),
                                             str(3100 + n), pm_name="Pat Morgan"),
                            allow_past=True, today=today) as project:
            kinds[kind].make(project)
    holiday = next_holiday(today + timedelta(days=45))
    with Project.create(documents / "granite-state-electric",
                        Settings("Granite State Electric", holiday, "3200"),
                        today=today):
        pass
    broken = documents / "old-copy-of-acme"
    broken.mkdir()
    (broken / "convwiz.sqlite").write_bytes(b"\0" * 4096)  # a copy that went wrong
    (documents / "Meeting notes").mkdir()  # the PM's own folder: not listed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots" /
                                             "0-portfolio.png"))
    args = parser.parse_args()
    from PySide6.QtCore import QSettings

    from scripts.screenshots import wait_until
    from wizard.flow.demo import run_demo
    from wizard.flow.runtime import projects_folder
    from wizard.ui.app import Wizard, application

    documents = projects_folder()
    documents.mkdir(parents=True)
    today = date.today()
    make(documents, today)
    run_demo(documents / "demo", 300, say=lambda _text: None)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      str(HOME / ".config"))
    app = application()
    wizard = Wizard()
    start = wizard.show_start()
    wait_until(lambda: start.portfolio.loaded_once and not wizard.runner.busy)
    start.portfolio.table.setFocus()
    wait_until(lambda: True)
    app.processEvents()
    start.grab().save(args.out)
    print(f"  {args.out}")
    wizard.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
