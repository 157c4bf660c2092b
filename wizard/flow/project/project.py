"""A conversion project: one folder, its store, its sub-folders, its dates and its lock.

`Project.create` makes the folder (`convwiz init`), `Project.open` opens one. Work that
writes runs inside `project.writing(command)`, which holds an exclusive lock on the
project's lock file through `filelock` (`flock` on Linux and macOS, `msvcrt.locking` on
Windows): a second process gets a clear exit 4 instead of interleaving writes, and a lock
left by a killed process vanishes with it (both systems drop the locks of dead processes),
so a stale lock is never a problem. Who holds it (pid and command) is written beside it,
in a separate file, since Windows forbids reading a locked byte range.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import filelock

from wizard.core.vocabulary import DEFAULT_WINDOW_DAYS, DEMO_PROVIDER_FOLDER, file_name_part
from wizard.errors import NotReady, UsageError
from wizard.flow.project.settings import EXTRA_SETTINGS, Settings, validate
from wizard.services import logs, room
from wizard.services.files import clear_folder, private_dir, sha256_file, sweep_temporaries
from wizard.services.places import (
    PRIVATE_DIR,
    path_limit,
    project_path_problem,
    restrict_fd,
    restrict_path,
)
from wizard.services.store import STORE_NAME, Store, stored_path

LOCK_NAME = ".convwiz.lock"
HOLDER_NAME = ".convwiz.lock.holder"
TEMP_FOLDER = ".tmp"
SUBFOLDERS = ("data", "outbox", "inbox", "reports")
# what the program writes under a project, each refused when it has become a link (a
# closed room: services/room.py); `--out` elsewhere is the person's own choice
OWN_PLACES = (*SUBFOLDERS, TEMP_FOLDER, "reports/templates", "reports/outreach",
              DEMO_PROVIDER_FOLDER, STORE_NAME, f"{STORE_NAME}-wal", f"{STORE_NAME}-shm",
              logs.LOG_NAME, LOCK_NAME, HOLDER_NAME)
log = logging.getLogger("wizard.project")


@dataclass(frozen=True)
class Dates:
    """The go-live date and the maintenance window before it."""

    go_live: date
    window_start: date
    window_end: date

    @property
    def window_days(self) -> int:
        return (self.window_end - self.window_start).days + 1

    def in_window(self, day: date) -> bool:
        return self.window_start <= day <= self.window_end

    def days_to_go_live(self, today: date) -> int:
        return (self.go_live - today).days


def maintenance_window(go_live: date, window_days: int) -> tuple[date, date]:
    """The window is the `window_days` days that end on the go-live date.

    The portal is down for renumbering while Daffron loads; customers sign in on the new
    numbers from the go-live date, the last day of the window.
    """
    return go_live - timedelta(days=window_days - 1), go_live


class Project:
    """An open conversion project."""

    def __init__(self, folder: Path, store: Store) -> None:
        self.folder = folder
        self.store = store
        self._lock: filelock.BaseFileLock | None = None
        self._lock_depth = 0
        self._lock_guard = threading.RLock()
        self._in_room = True
        room.enter(folder)  # every write under the folder is checked from now on

    # -- opening ----------------------------------------------------------------------------
    @staticmethod
    def is_project(folder: Path) -> bool:
        return (Path(folder) / STORE_NAME).is_file()

    @classmethod
    def create(cls, folder: Path, settings: Settings, *, allow_past: bool = False,
               today: date | None = None) -> Project:
        """Make a new project in `folder` (new, or an empty folder). UsageError (exit 2) for
        a folder that holds a project or any other file, and for a bad setting."""
        folder = Path(folder).expanduser().absolute()
        if cls.is_project(folder):
            raise UsageError(f"{folder} already holds a conversion project; open it instead")
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"{folder} is a file, not a folder: choose a folder for the project")
        if folder.is_dir() and any(folder.iterdir()):
            raise UsageError(
                f"{folder} already holds files: choose a new or empty folder for the project "
                "(purge removes only what the program made, so it must not share a folder)")
        settings = validate(settings, today or date.today(), allow_past)
        problem = project_path_problem(folder, path_limit())
        if problem:
            raise UsageError(problem)
        try:
            private_dir(folder)
            # the project folder is the project's, even when the person made it first
            restrict_path(folder, PRIVATE_DIR)
            for sub in SUBFOLDERS:
                private_dir(folder / sub)
        except OSError as exc:
            raise UsageError(f"cannot create the project folder {folder}: {exc.strerror}. "
                             "Choose a folder you can write") from None
        store = Store(folder / STORE_NAME)
        project = cls(folder, store)
        try:
            with project.writing("init"):
                project.save_settings(settings)
                store.audit("project created", **settings.to_json())
        except BaseException:
            project.close()  # never a connection left open behind a failed step
            raise
        return project

    def save_settings(self, settings: Settings) -> None:
        """Store every setting (checked by the caller), with the window's dates."""
        start, end = maintenance_window(settings.go_live, settings.window_days)
        values = {**settings.to_json(), "window_start": start.isoformat(),
                  "window_end": end.isoformat()}
        for key, value in values.items():
            self.store.set_setting(key, value)

    @classmethod
    def open(cls, folder: Path | str) -> Project:
        folder = Path(folder).expanduser().absolute()
        if not cls.is_project(folder):
            raise UsageError(
                f"{folder} is not a conversion project (no {STORE_NAME}); "
                "create one with `convwiz init`"
            )
        store = Store(folder / STORE_NAME)
        try:
            if not store.read_only:
                for sub in SUBFOLDERS:
                    private_dir(folder / sub)
            chain = store.verify_chain()  # the record checked on every open, never repaired
        except BaseException:
            store.close()
            raise
        if not chain.whole:
            log.warning("the audit log of %s: %s", folder, chain.describe())
        return cls(folder, store)

    def close(self) -> None:
        self.release()
        self.store.close()
        if self._in_room:
            self._in_room = False
            room.leave(self.folder)

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one writer at a time ---------------------------------------------------------------
    def acquire(self, command: str = "convwiz") -> None:
        """Take the project's write lock (re-entrant within this process)."""
        with self._lock_guard:
            if self._lock_depth:
                self._lock_depth += 1
                return
            problem = room.closed_room_problem(self.folder, OWN_PLACES)
            if problem:  # refused before the lock file or anything else is written
                raise UsageError(problem)
            lock = filelock.FileLock(self.folder / LOCK_NAME, mode=0o600, is_singleton=False,
                                     thread_local=False)
            try:
                lock.acquire(timeout=0)
            except filelock.Timeout:
                raise NotReady(
                    f"another process is working on {self.folder} ({_read_holder(self.folder)}); "
                    "wait for it to finish or close it, then try again"
                ) from None
            _write_holder(self.folder, f"pid {os.getpid()}: {command}\n")
            self._lock = lock
            self._lock_depth = 1
            # a crash while writing may have left temporary files: they are never data
            for sub in SUBFOLDERS:
                sweep_temporaries(self.folder / sub)
            clear_folder(self.folder / TEMP_FOLDER)

    def release(self) -> None:
        with self._lock_guard:
            if not self._lock_depth:
                return
            self._lock_depth -= 1
            if self._lock_depth == 0 and self._lock is not None:
                _write_holder(self.folder, "")
                self._lock.release()
                self._lock = None

    @contextlib.contextmanager
    def writing(self, command: str = "convwiz") -> Iterator[Project]:
        self.acquire(command)
        try:
            yield self
        finally:
            self.release()

    # -- folders ----------------------------------------------------------------------------
    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def outbox(self) -> Path:
        return self.folder / "outbox"

    @property
    def inbox(self) -> Path:
        return self.folder / "inbox"

    @property
    def reports(self) -> Path:
        return self.folder / "reports"

    @property
    def temp_dir(self) -> Path:
        """The project's own temporary folder (owner-only) for work files holding customer
        data, e.g. a workbook writer's spool files; emptied whenever a step takes the lock.
        Never the system's temporary folder: purge could not reach it."""
        return private_dir(self.folder / TEMP_FOLDER)

    @property
    def log_path(self) -> Path:
        return logs.log_path_for(self.folder)

    # -- settings -----------------------------------------------------------------------------
    def setting(self, key: str, default: Any = None) -> Any:
        return self.store.setting(key, default)

    @property
    def settings(self) -> Settings:
        """The project's settings, typed (see flow/settings.py)."""
        stored = self.store.settings()
        return Settings(
            biller=str(stored.get("biller", "")),
            go_live=date.fromisoformat(str(stored["go_live"])),
            production_bid=str(stored.get("production_bid", "")),
            test_bid=None if stored.get("test_bid") in (None, "") else str(stored["test_bid"]),
            window_days=int(stored.get("window_days", DEFAULT_WINDOW_DAYS)),
            pm_name=str(stored.get("pm_name") or ""),
            pm_email=str(stored.get("pm_email") or ""),
            pm_phone=str(stored.get("pm_phone") or ""),
            extra={k: str(stored[k]) for k in EXTRA_SETTINGS
                   if stored.get(k) not in (None, "")},
        )

    @property
    def biller(self) -> str:
        return str(self.setting("biller", ""))

    @property
    def production_bid(self) -> str:
        return str(self.setting("production_bid", ""))

    @property
    def test_bid(self) -> str | None:
        value = self.setting("test_bid")
        return None if value in (None, "") else str(value)

    @property
    def dates(self) -> Dates:
        go_live = date.fromisoformat(self.setting("go_live"))
        start = self.setting("window_start")
        end = self.setting("window_end")
        if start and end:
            return Dates(go_live, date.fromisoformat(start), date.fromisoformat(end))
        s, e = maintenance_window(go_live, int(self.setting("window_days", 3)))
        return Dates(go_live, s, e)

    def slug(self) -> str:
        """The biller's name made safe for file names on every system (letters of any
        alphabet kept; only what Windows forbids is replaced)."""
        return file_name_part(self.biller, limit=40)

    # -- files ------------------------------------------------------------------------------
    def relative(self, path: Path) -> str:
        """A file's name as the project stores and shows it: `inbox/xref.csv` on every
        system (see `store.stored_path`)."""
        return stored_path(self.folder, Path(path).absolute())

    def record_made(self, path: Path, kind: str, rows: int | None = None,
                    sha256: str | None = None, **detail: Any) -> str:
        """Put a file just made in the manifest (hashing it unless `sha256` is given, as
        computed while writing); return its SHA-256."""
        digest = sha256 or sha256_file(path)
        self.store.record_file(
            "made", kind, self.relative(path), digest, rows=rows, size=path.stat().st_size,
            **detail,
        )
        log.info("made %s %s (%s rows, sha256 %s)", kind, self.relative(path), rows, digest)
        return digest


def _write_holder(folder: Path, text: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder / HOLDER_NAME, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        restrict_fd(fd)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)


def _read_holder(folder: Path) -> str:
    try:
        text = (folder / HOLDER_NAME).read_text(encoding="utf-8", errors="replace")[:200]
    except OSError:
        text = ""
    return text.strip() or "a process that has not said who it is"
