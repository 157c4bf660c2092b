"""A conversion project: one folder, its store, its sub-folders, its dates and its lock.

`Project.create` makes the folder (`convwiz init`), `Project.open` opens one. Work that
writes runs inside `project.writing(command)`, which holds an exclusive `flock` on the
project's lock file: a second process gets a clear exit 4 instead of interleaving writes,
and a lock left by a killed process vanishes with it (the kernel drops `flock`s of dead
processes), so a stale lock is never a problem; its pid is reported for the message.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from wizard.errors import NotReady, UsageError
from wizard.services import logs
from wizard.services.files import private_dir, sha256_file, sweep_temporaries
from wizard.services.store import STORE_NAME, Store

LOCK_NAME = ".convwiz.lock"
SUBFOLDERS = ("data", "outbox", "inbox", "reports")
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


def parse_date(text: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise UsageError(f"{what} {text!r} is not a date: write it as YYYY-MM-DD") from None


def _check_bid(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", value):
        raise UsageError(f"{what} {value!r} is not a BID: use the biller ID, e.g. 2806")
    return value


class Project:
    """An open conversion project."""

    def __init__(self, folder: Path, store: Store) -> None:
        self.folder = folder
        self.store = store
        self._lock_fd: int | None = None
        self._lock_depth = 0
        self._lock_guard = threading.RLock()

    # -- opening ----------------------------------------------------------------------------
    @staticmethod
    def is_project(folder: Path) -> bool:
        return (Path(folder) / STORE_NAME).is_file()

    @classmethod
    def create(
        cls,
        folder: Path,
        biller: str,
        go_live: date,
        production_bid: str = "2806",
        test_bid: str | None = None,
        window_days: int = 3,
    ) -> Project:
        folder = Path(folder).expanduser().absolute()
        if cls.is_project(folder):
            raise UsageError(f"{folder} already holds a conversion project; open it instead")
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"{folder} is a file, not a folder: choose a folder for the project")
        biller = (biller or "").strip()
        if not biller:
            raise UsageError("the biller's name is empty: give --biller NAME")
        if not 1 <= window_days <= 14:
            raise UsageError(f"a maintenance window of {window_days} days? Use 1 to 14 days")
        production_bid = _check_bid(production_bid, "production BID") or "2806"
        test_bid = _check_bid(test_bid, "test BID")
        try:
            private_dir(folder)
            # the project folder is the project's, even when the person made it first
            os.chmod(folder, 0o700)
            for sub in SUBFOLDERS:
                private_dir(folder / sub)
        except OSError as exc:
            raise UsageError(f"cannot create the project folder {folder}: {exc.strerror}") from None
        store = Store(folder / STORE_NAME)
        start, end = maintenance_window(go_live, window_days)
        project = cls(folder, store)
        with project.writing("init"):
            for key, value in {
                "biller": biller,
                "go_live": go_live.isoformat(),
                "window_days": window_days,
                "window_start": start.isoformat(),
                "window_end": end.isoformat(),
                "production_bid": production_bid,
                "test_bid": test_bid,
            }.items():
                store.set_setting(key, value)
            store.audit("project created", biller=biller, go_live=go_live.isoformat(),
                        production_bid=production_bid, test_bid=test_bid,
                        window_days=window_days)
        return project

    @classmethod
    def open(cls, folder: Path | str) -> Project:
        folder = Path(folder).expanduser().absolute()
        if not cls.is_project(folder):
            raise UsageError(
                f"{folder} is not a conversion project (no {STORE_NAME}); "
                "create one with `convwiz init`"
            )
        for sub in SUBFOLDERS:
            private_dir(folder / sub)
        store = Store(folder / STORE_NAME)
        return cls(folder, store)

    def close(self) -> None:
        self.release()
        self.store.close()

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
            path = self.folder / LOCK_NAME
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = _read_holder(fd)
                os.close(fd)
                if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise NotReady(
                        f"another process is working on {self.folder} ({holder}); "
                        "wait for it to finish or close it, then try again"
                    ) from None
                raise
            os.ftruncate(fd, 0)
            os.write(fd, f"pid {os.getpid()}: {command}\n".encode())
            self._lock_fd = fd
            self._lock_depth = 1
            # a crash while writing may have left temporary files: they are never data
            for sub in SUBFOLDERS:
                sweep_temporaries(self.folder / sub)

    def release(self) -> None:
        with self._lock_guard:
            if not self._lock_depth:
                return
            self._lock_depth -= 1
            if self._lock_depth == 0 and self._lock_fd is not None:
                with contextlib.suppress(OSError):
                    os.ftruncate(self._lock_fd, 0)
                    fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                os.close(self._lock_fd)
                self._lock_fd = None

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
    def log_path(self) -> Path:
        return logs.log_path_for(self.folder)

    # -- settings -----------------------------------------------------------------------------
    def setting(self, key: str, default: Any = None) -> Any:
        return self.store.setting(key, default)

    @property
    def biller(self) -> str:
        return str(self.setting("biller", ""))

    @property
    def production_bid(self) -> str:
        return str(self.setting("production_bid", "2806"))

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
        """The biller's name made safe for file names."""
        return re.sub(r"[^A-Za-z0-9]+", "_", self.biller).strip("_")[:40] or "biller"

    # -- files ------------------------------------------------------------------------------
    def relative(self, path: Path) -> str:
        try:
            return str(Path(path).absolute().relative_to(self.folder))
        except ValueError:
            return str(path)

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


def _read_holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 200).decode(errors="replace").strip()
    except OSError:
        text = ""
    return text or "a process that has not said who it is"
