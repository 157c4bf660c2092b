"""The window's file dialogs never open a project's database (issue 29). Qt's own dialog
reads each listed file's first bytes to name its type; listing a project's folder opened
`convwiz.sqlite`, its -wal and -shm in the window's process, and that close dropped the
window's locks: the next step's child process deleted the -wal under the window, and the
window's later writes were lost. Each dialog lists the project folder (its Type column read
for every file, as the view does) while the window holds the store; then a child process
writes and closes, and the window writes again: nothing is lost."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QFileSystemModel

from wizard.services.store import STORE_NAME, Store
from wizard.ui import file_dialogs

ROOT = Path(__file__).resolve().parents[2]
CHILD = ("import sys; from pathlib import Path; from wizard.services.store import Store; "
         "s = Store(Path(sys.argv[1])); s.set_setting('child', 2); s.close()")

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="Windows keeps its native dialog: its file locks belong to "
    "a handle, so no other close drops them")


def _list_then_cancel(folder: Path, names: set[str], seen: list[str]) -> None:
    """Once the dialog lists `folder`, read every row's type and icon (what its view shows),
    then cancel it. Polls with a deadline."""
    deadline = time.monotonic() + 30

    def poll() -> None:
        dialogs = [w for w in QApplication.topLevelWidgets()
                   if isinstance(w, QFileDialog) and w.isVisible()]
        model = dialogs[0].findChild(QFileSystemModel) if dialogs else None
        if model is not None:
            parent = model.index(str(folder))
            shown = {model.index(r, 0, parent).data() for r in range(model.rowCount(parent))}
            if names <= shown or time.monotonic() > deadline:
                for r in range(model.rowCount(parent)):
                    model.index(r, 2, parent).data()  # the Type column
                    model.index(r, 0, parent).data(1)  # the icon
                seen.extend(sorted(str(n) for n in shown))
                dialogs[0].reject()
                return
        if time.monotonic() > deadline:
            for d in dialogs:
                d.reject()
            return
        QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)


@pytest.mark.parametrize("kind", ["open", "save", "folder"])
def test_a_file_dialog_on_the_project_folder_leaves_the_window_s_locks(
        qapp: Any, tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "acme"
    folder.mkdir()
    (folder / "inbox").mkdir()
    (folder / "portal_export.csv").write_text("Account\n1\n", encoding="utf-8")
    db = folder / STORE_NAME
    window = Store(db)
    try:
        window.set_setting("window_before", 1)
        names = {STORE_NAME, f"{STORE_NAME}-wal", f"{STORE_NAME}-shm", "portal_export.csv"}
        if kind == "folder":
            names = {"inbox"}
        seen: list[str] = []
        _list_then_cancel(folder, names, seen)
        ask: Callable[[], str] = {
            "open": lambda: file_dialogs.open_file_name(None, "Choose", str(folder),
                                                        "All files (*)"),
            "save": lambda: file_dialogs.save_file_name(None, "Save", str(folder / "x.xlsx"),
                                                        "All files (*)"),
            "folder": lambda: file_dialogs.existing_directory(None, "Open", str(folder)),
        }[kind]
        assert ask() == ""
        assert names <= set(seen), seen
        subprocess.run([sys.executable, "-c", CHILD, str(db)], check=True, cwd=ROOT,
                       timeout=120)
        assert Path(f"{db}-wal").exists(), "the -wal went under the window's connection"
        window.set_setting("window_after", 3)
    finally:
        window.close()
    with Store(db) as fresh:
        assert (fresh.setting("window_before"), fresh.setting("child"),
                fresh.setting("window_after")) == (1, 2, 3)
