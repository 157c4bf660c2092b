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


def password_drafts_dir() -> Path:
    """Where `templates --password-draft` writes the one draft that carries a workbook
    password: the user's own local data folder (Windows `%LOCALAPPDATA%`, macOS Application
    Support, Linux `~/.local/share`), never the project, which sits in Documents (often
    synced or shared, beside the workbook the password opens)."""
    return Path(platformdirs.user_data_dir(APP_SLUG, appauthor=False)) / "password drafts"


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


# Windows' MAX_PATH: 260 characters with the drive and the final NUL, so 259 to name a file,
# unless long paths are turned on (LongPathsEnabled; the official Python is long-path aware).
WINDOWS_MAX_PATH = 260
# the longest path the program makes inside a project folder, with its separator: an inbox
# copy `inbox/crossref_flag_file_<biller, 40>_<stamp>.csv` (86) while it is written under a
# temporary name (a few more); room to spare
PROJECT_PATH_ROOM = 110


def path_limit() -> int | None:
    """The longest path this system opens, or None when it has no practical limit: Linux,
    macOS, and Windows with long paths turned on."""
    if sys.platform != "win32":
        return None
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE,
                            r"SYSTEM\CurrentControlSet\Control\FileSystem") as key:
            if winreg.QueryValueEx(key, "LongPathsEnabled")[0] == 1:
                return None
    except OSError:
        pass
    return WINDOWS_MAX_PATH - 1


def project_path_problem(folder: Path, limit: int | None) -> str | None:
    """Why a project cannot live in `folder` on a system whose paths stop at `limit`
    characters (see `path_limit`), or None. Said before anything is made: a step would
    otherwise fail half-way, on a file whose name is too long."""
    if limit is None:
        return None
    longest = limit - PROJECT_PATH_ROOM
    if len(str(folder)) <= longest:
        return None
    return (f"the project folder {folder} is {len(str(folder))} characters long, and the "
            f"files the program keeps in it would pass Windows' limit of {limit + 1} "
            f"characters for a path. Choose a folder of at most {longest} characters (a "
            "shorter name, or one nearer the drive, e.g. under Documents), or turn on "
            "Windows' long paths (the \"Enable Win32 long paths\" policy, or "
            "LongPathsEnabled=1 in the registry) and run the command again")
def window_settings_file() -> Path:
    """The window's QSettings file (IniFormat, user scope, "Convwiz"/"Conversion Wizard"),
    where Qt puts it: `%APPDATA%\\Convwiz\\Conversion Wizard.ini` on Windows,
    `$XDG_CONFIG_HOME` (or `~/.config`) `/Convwiz/Conversion Wizard.ini` on Linux, and
    `~/.config/Convwiz/Conversion Wizard.ini` on macOS (Qt's rule for INI files there). Read
    without Qt by the portfolio (its recent projects)."""
    name = Path("Convwiz") / "Conversion Wizard.ini"
    if sys.platform == "win32":
        appdata = os.environ.get("APPDATA")
        base = Path(appdata) if appdata else Path.home() / "AppData" / "Roaming"
        return base / name
    if sys.platform != "darwin":
        xdg = os.environ.get("XDG_CONFIG_HOME")
        if xdg and Path(xdg).is_absolute():
            return Path(xdg) / name
    return Path.home() / ".config" / name


def flock_holders() -> dict[int, int] | None:
    """Which files (by inode) another process holds a `flock` lock on, and its pid, read
    without taking or testing any lock: Linux lists every lock in `/proc/locks`. None where
    the system has no such list (Windows, macOS): the caller then trusts the lock holder
    file and whether its process is alive (`process_alive`). Asked by the platform, not by
    whether the file opens: on Windows "/proc/locks" is a path on the current drive (under
    Wine, Linux's own list, whose inodes are not Windows' file ids)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        text = Path("/proc/locks").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    held: dict[int, int] = {}
    me = os.getpid()
    for line in text.splitlines():
        # "1: FLOCK  ADVISORY  WRITE 12345 08:01:123456 0 EOF" ("->" marks a waiter)
        parts = line.split()
        if len(parts) < 6 or "->" in parts or parts[1] != "FLOCK":
            continue
        try:
            pid, inode = int(parts[4]), int(parts[5].rsplit(":", 1)[1])
        except (ValueError, IndexError):
            continue
        if pid != me:
            held[inode] = pid
    return held


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this computer. POSIX: signal 0 (sends
    nothing). Windows: `os.kill` would end the process, so the process is opened for a
    query with the Win32 API instead."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        import ctypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True
