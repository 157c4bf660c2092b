"""Where each operating system differs, said in one place: folders and file permissions.

- Folders come from `platformdirs`: a new project and the demo go under the user's documents
  folder (`Documents/Conversion Wizard/...` on Windows and macOS, `~/Documents/...` or the
  XDG documents folder on Linux), the log without a project under the user's log folder,
  settings under the user's config folder. Never the current directory: a program started
  by double-click on Windows runs in a folder the person cannot write, or does not know.
- Owner-only files: on Linux and macOS every file holding customer data is created 0600
  and every folder 0700 (`restrict_fd`, `restrict_path`). Windows has no POSIX modes
  (`os.fchmod` does not exist there and `os.chmod` only toggles read-only): there the
  owner-only guarantee comes from the folders themselves, which live in the user's own
  profile (Documents, AppData), whose ACL grants access to that user, the administrators
  and SYSTEM only. The same holds for a macOS home folder. A project placed elsewhere by
  hand on Windows inherits that folder's ACL: the README says so.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "Conversion Wizard"
APP_SLUG = "convwiz"  # folder names where a space is unusual (log, config on Linux)
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
POSIX_MODES = os.name == "posix"  # Linux and macOS; False on Windows


def documents_dir() -> Path:
    """The folder under which new projects and the demo go: Documents/Conversion Wizard."""
    return Path(platformdirs.user_documents_dir()) / APP_NAME


def user_log_dir() -> Path:
    """The log of commands run without a project (e.g. `host-key`, a failed `init`)."""
    return Path(platformdirs.user_log_dir(APP_SLUG, appauthor=False))


def user_config_dir() -> Path:
    """Program settings that are not a project's (the window's are kept by QSettings)."""
    return Path(platformdirs.user_config_dir(APP_SLUG, appauthor=False))


def user_state_dir() -> Path:
    """What the program keeps between runs that is neither a setting nor a log: the marker
    of a window that is open (a crash leaves it behind)."""
    return Path(platformdirs.user_state_dir(APP_SLUG, appauthor=False))


def restrict_fd(fd: int, mode: int = PRIVATE_FILE) -> None:
    """Make an open file owner-only where the system has POSIX modes (see the docstring)."""
    if sys.platform != "win32":
        os.fchmod(fd, mode)


def restrict_path(path: Path, mode: int = PRIVATE_FILE) -> None:
    """Make a file or folder owner-only where the system has POSIX modes."""
    if sys.platform != "win32":
        with contextlib.suppress(OSError):
            os.chmod(path, mode)


def fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable. Windows cannot open a folder for fsync (and NTFS
    journals the rename itself), so there it does nothing."""
    if sys.platform == "win32":
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
