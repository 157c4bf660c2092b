"""What "owner-only" means for a file on the system the tests run on (see places.py).

Linux and macOS: POSIX modes, 0600 for a file and 0700 for a folder. Windows has no POSIX
modes: Python reports 0666 for an ordinary file (0444 when read-only) and 0777 for a folder,
and the owner-only guarantee is the ACL of the user's profile folder the project lives in.
There a test asserts what places.py promises instead: the program's files are ordinary files
the owner can write and remove (never left read-only), in the project folder.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from wizard.services import places

PRIVATE_FILE = places.PRIVATE_FILE if places.POSIX_MODES else 0o666
PRIVATE_DIR = places.PRIVATE_DIR if places.POSIX_MODES else 0o777


def mode(path: Path | str) -> int:
    """The permission bits of `path`, as the system reports them."""
    return stat.S_IMODE(os.stat(path).st_mode)


def owner_only(path: Path | str) -> bool:
    """Whether `path` is kept as places.py keeps a customer file: POSIX, no permission for
    group or others; Windows, an ordinary file its owner can write (the profile folder's ACL
    keeps others out)."""
    if places.POSIX_MODES:
        return mode(path) & 0o077 == 0
    return mode(path) == PRIVATE_FILE
