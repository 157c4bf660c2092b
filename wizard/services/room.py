"""The project is a closed room: every write, rename and delete under a project stays inside
the project's own folder.

A project's folders (`data/`, `outbox/`, `reports/`, ...) and the folders under them are the
program's. One replaced by a link (a symbolic link on Linux and macOS; on Windows a symbolic
link or a junction) would carry a flag file, a workbook or a purge to wherever it points, so
such a folder is refused (exit 2, naming it). Two checks, both here:

- `closed_room_problem` names the first of the project's own folders and files that has
  become a link: a step refuses before it starts (`Project.acquire`).
- `check_inside` is called by every write, rename and delete under an open project
  (`services/files.py`): no folder on the way from the project to the file may be a link, at
  any depth, and the real path must stay inside the project's real path. The project folder
  itself may be reached through links (`~/Documents` often is one): the room is what lies
  under it.

A file that is itself a link is never followed: a write replaces the link (a rename onto
it), and purge leaves it where it is and says so.

Which folders are projects: every `Project` opened in this process says so (`enter`,
`leave`); a path outside every open project is the person's own choice (`report --out`).
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterable
from pathlib import Path

from wizard.core.visible import shown
from wizard.errors import UsageError

_rooms: dict[Path, int] = {}
_guard = threading.Lock()
# Windows' reparse tags of a link: a symbolic link, and a junction ("mount point"). Other tags
# (OneDrive's placeholders, deduplicated files) are ordinary files and folders to a program.
# (stat.IO_REPARSE_TAG_SYMLINK and _MOUNT_POINT; spelt here since typeshed has them on Windows)
_LINK_TAGS = (0xA000000C, 0xA0000003)


def enter(folder: Path) -> None:
    """`folder` is an open project: writes under it are checked from now on."""
    key = Path(os.path.abspath(folder))
    with _guard:
        _rooms[key] = _rooms.get(key, 0) + 1


def leave(folder: Path) -> None:
    key = Path(os.path.abspath(folder))
    with _guard:
        left = _rooms.get(key, 0) - 1
        if left > 0:
            _rooms[key] = left
        else:
            _rooms.pop(key, None)


def is_link(path: Path) -> bool:
    """A symbolic link, or (Windows) a junction; never followed to find out."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISLNK(st.st_mode) or getattr(st, "st_reparse_tag", 0) in _LINK_TAGS


def room_of(path: Path) -> Path | None:
    """The open project `path` lies in (the innermost, by its name), or None."""
    target = Path(os.path.abspath(path))
    with _guard:
        rooms = list(_rooms)
    inside = [r for r in rooms if r == target or r in target.parents]
    return max(inside, key=lambda r: len(r.parts)) if inside else None


def _real(path: Path) -> str:
    return os.path.normcase(os.path.realpath(path))


def _within(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:  # another drive on Windows
        return False


def link_problem(root: Path, link: Path) -> str:
    """The message for a folder (or file) of the project that is a link."""
    name = link.relative_to(root).as_posix()
    try:
        target = os.path.realpath(link)
    except OSError:  # pragma: no cover - realpath does not fail on a dangling link
        target = "elsewhere"
    return shown(
        f"{name} in the project {root} is a link (to {target}), not a folder of the project: "
        "the program writes and deletes only inside the project's own folder. Replace the "
        f"link with a real folder (move what you need into it), then run the step again. "
        "Nothing was changed")


def check_inside(path: Path, *, folder: bool = False) -> None:
    """UsageError (exit 2) when `path`, under an open project, would be reached through a
    link, or its real path lies outside the project's. `folder`: `path` is a folder to
    write into (a link there counts too); else a file (a link there is replaced, never
    followed, so only the folders on the way count)."""
    root = room_of(path)
    if root is None:
        return
    target = Path(os.path.abspath(path))
    parts = target.relative_to(root).parts
    current = root
    for part in parts if folder else parts[:-1]:
        current = current / part
        if is_link(current):
            raise UsageError(link_problem(root, current))
    real_root = _real(root)
    nearest = target if folder else target.parent
    while not os.path.lexists(nearest) and nearest != root:
        nearest = nearest.parent
    if not _within(_real(nearest), real_root):
        raise UsageError(shown(
            f"{target} leaves the project {root} (its real path is {os.path.realpath(nearest)}): "
            "the program writes and deletes only inside the project's own folder. Nothing was "
            "changed"))


def closed_room_problem(root: Path, names: Iterable[str]) -> str | None:
    """The message for the first of `names` (relative to `root`: the project's own folders
    and files) that is a link, or None when the room is closed."""
    real_root = _real(root)
    for name in names:
        current = root
        for part in Path(name).parts:
            current = current / part
            if is_link(current):
                return link_problem(root, current)
        # a link the system does not call one (Wine shows a Unix symlink as a plain folder)
        # still leads elsewhere: its real path says so
        if os.path.lexists(current) and _real(current) != os.path.join(
                real_root, os.path.normcase(os.path.join(*Path(name).parts))):
            return link_problem(root, current)
    return None
