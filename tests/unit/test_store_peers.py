"""A project's record never loses a row when several processes hold its store: the window
keeps a connection, the start screen reads the same project for its portfolio, and a step's
child process writes and closes its own connection (issue 29)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

from wizard.flow.overview.portfolio import read_conversion
from wizard.flow.overview.portfolio_sources import Candidate
from wizard.flow.project.project import Project
from wizard.flow.project.settings import Settings
from wizard.services.store import STORE_NAME, Store

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import sys
from pathlib import Path
from wizard.services.store import Store
s = Store(Path(sys.argv[1]))
s.set_setting("child", 2)
s.close()
"""


def _child_writes(db: Path) -> None:
    subprocess.run([sys.executable, "-c", CHILD, str(db)], check=True, cwd=ROOT, timeout=120)


def test_the_portfolio_read_beside_a_live_store_loses_no_row(tmp_path: Path) -> None:
    """The start screen's read of a project the window holds open, then a child step's
    write and close: the window's next write, and the child's, are in the store that a
    fresh process reads. Before the fix the portfolio read the header with a plain open(),
    whose close dropped the window's locks, and the child deleted the -wal under it."""
    folder = tmp_path / "acme"
    Project.create(folder, Settings("Acme Electric Co-op", date(2027, 1, 15), "2806"),
                   allow_past=True).close()
    db = folder / STORE_NAME
    window = Store(db)
    try:
        window.set_setting("window_before", 1)
        row = read_conversion(Candidate(folder, True), date(2026, 12, 6))
        assert row is not None and row.biller == "Acme Electric Co-op"
        _child_writes(db)
        assert (folder / f"{STORE_NAME}-wal").exists(), "the -wal went under a live connection"
        window.set_setting("window_after", 3)
    finally:
        window.close()
    fresh = subprocess.run(
        [sys.executable, "-c", "import sys, json; from pathlib import Path; "
         "from wizard.services.store import Store; s = Store(Path(sys.argv[1])); "
         "print(json.dumps(s.settings())); s.close()", str(db)],
        check=True, cwd=ROOT, capture_output=True, text=True, timeout=120)
    settings = __import__("json").loads(fresh.stdout.strip().splitlines()[-1])
    assert settings["window_before"] == 1
    assert settings["child"] == 2
    assert settings["window_after"] == 3
