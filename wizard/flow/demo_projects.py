"""Demo projects (`convwiz demo`, "Try the demo"): what marks one, and removing one from the
start screen. A demo is not a conversion, so the portfolio marks it, leaves it out of window
clashes and never counts it overdue (CONTRACT.md, "The portfolio").

The demo records the setting `demo` when it makes the project. Demo projects made before
that setting existed are known by the demo's own made-up project manager, whose e-mail is
on the reserved example.com domain (`demo.pm@example.com`, with the name "Demo PM"): the
demo writes both into every project it makes, and no real PM has that address.

Removing a demo follows purge's rules (`flow.purge.purge`: only the files in the manifest,
inside the project), then removes the project's own bookkeeping (its store, log and lock
files) and the folders left empty, so it leaves the portfolio. A file the PM put there stays,
and so does its folder.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from wizard.errors import UsageError
from wizard.flow.project.settings import is_demo
from wizard.services import logs


@dataclass(frozen=True)
class DemoRemoved:
    folder: Path
    files: int  # the manifest's files purge removed
    kept: tuple[str, ...]  # what stays: files the PM put there (relative to the folder)

    def words(self) -> str:
        if not self.kept:
            return f"The demo project {self.folder} is removed."
        return (f"The demo project is removed from the list; {len(self.kept)} file(s) that "
                f"the program did not make stay in {self.folder}: "
                + ", ".join(self.kept[:5]) + (" …" if len(self.kept) > 5 else ""))


def remove_demo(folder: Path) -> DemoRemoved:
    """Remove the demo project in `folder`: purge's files, then its store, log and lock files
    and the folders left empty. UsageError (exit 2) for a project that is not a demo; NotReady
    (exit 4) while another program has it open."""
    from wizard.flow.project.lock import HOLDER_NAME, LOCK_NAME
    from wizard.flow.project.project import Project
    from wizard.flow.purge import purge
    from wizard.services.store import STORE_NAME

    folder = Path(folder).expanduser().absolute()
    project = Project.open(folder)
    try:
        if not is_demo(project.store.settings()):
            raise UsageError(f"{folder} is not a demo project: only a demo is removed this "
                             "way (a conversion is purged on its Purge page)")
        result = purge(project, lambda _question: True, assume_yes=True, force=True,
                       remove_secret=lambda _account: True,
                       remove_workbook_password=lambda _entry: True)
        log_file = project.log_path
    finally:
        project.close()
    logs.release(folder)  # Windows removes no file this process still writes
    own = [STORE_NAME, *(f"{STORE_NAME}{s}" for s in ("-wal", "-shm", "-journal")),
           LOCK_NAME, HOLDER_NAME]
    for path in [*(folder / name for name in own), log_file]:
        if path.parent == folder and not path.is_symlink():
            with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
                path.unlink()
    for here, _dirs, _files in os.walk(folder, topdown=False):
        with contextlib.suppress(OSError):  # not empty: something of the PM's is there
            if not Path(here).is_symlink():
                Path(here).rmdir()
    # what stays is the PM's (a log another process still writes, on Windows, is not)
    kept = tuple(sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                        if not p.is_dir() and p != log_file)) if folder.exists() else ()
    return DemoRemoved(folder, result.files, kept)
