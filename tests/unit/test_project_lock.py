"""The project's lock on its own (flow/project/lock.py): one holder at a time, the holder file
saying who, re-entry within the process, a dead holder's lock taken over, and a link among the
project's own places refused before anything is written. (tests/unit/test_lock.py checks the
same through the command line and another process.)"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from wizard.errors import NotReady, UsageError
from wizard.flow.project.lock import HOLDER_NAME, LOCK_NAME, NOBODY, ProjectLock, read_holder


def _holder(folder: Path) -> str:
    return (folder / HOLDER_NAME).read_text(encoding="utf-8")


def test_the_holder_file_names_this_process_and_its_command(tmp_path: Path) -> None:
    lock = ProjectLock(tmp_path, ())
    lock.acquire("export-flags")
    try:
        assert lock.held
        assert _holder(tmp_path) == f"pid {os.getpid()}: export-flags\n"
        assert (tmp_path / LOCK_NAME).exists()
    finally:
        lock.release()
    assert not lock.held
    assert _holder(tmp_path) == ""  # nobody holds it now


def test_a_second_holder_is_refused_naming_the_first(tmp_path: Path) -> None:
    first, second = ProjectLock(tmp_path, ()), ProjectLock(tmp_path, ())
    first.acquire("send")
    try:
        with pytest.raises(NotReady) as refused:
            second.acquire("report")
        message = str(refused.value)
        assert f"another process is working on {tmp_path}" in message
        assert f"(pid {os.getpid()}: send)" in message
        assert message.endswith("wait for it to finish or close it, then try again")
        assert not second.held
        assert _holder(tmp_path) == f"pid {os.getpid()}: send\n"  # the refused one wrote nothing
    finally:
        first.release()
    second.acquire("report")  # free once the first let go
    second.release()


def test_reentry_keeps_the_lock_until_the_last_release(tmp_path: Path) -> None:
    lock, other = ProjectLock(tmp_path, ()), ProjectLock(tmp_path, ())
    taken: list[str] = []
    lock.acquire("export-flags", on_taken=lambda: taken.append("swept"))
    lock.acquire("export-flags: snapshot", on_taken=lambda: taken.append("swept again"))
    assert taken == ["swept"]  # only a newly taken lock sweeps
    assert _holder(tmp_path) == f"pid {os.getpid()}: export-flags\n"  # the outer command
    lock.release()
    assert lock.held
    with pytest.raises(NotReady):
        other.acquire("status")
    lock.release()
    assert not lock.held
    lock.release()  # one release too many is harmless
    other.acquire("status")
    other.release()


def test_a_dead_holders_lock_is_taken_over(tmp_path: Path) -> None:
    died = ProjectLock(tmp_path, ())
    died.acquire("import-xref")
    assert died._lock is not None
    died._lock.release()  # what the system does when the process dies
    assert "import-xref" in _holder(tmp_path)  # its holder file still names it
    mine = ProjectLock(tmp_path, ())
    mine.acquire("purge")
    assert _holder(tmp_path) == f"pid {os.getpid()}: purge\n"
    mine.release()


def test_a_holder_that_has_not_said_who_it_is(tmp_path: Path) -> None:
    assert read_holder(tmp_path) == NOBODY  # no holder file
    (tmp_path / HOLDER_NAME).write_text("  \n", encoding="utf-8")
    assert read_holder(tmp_path) == NOBODY
    (tmp_path / HOLDER_NAME).write_text("pid 7: send\n" + "x" * 500, encoding="utf-8")
    assert read_holder(tmp_path) == ("pid 7: send\n" + "x" * 500)[:200]


@pytest.mark.skipif(sys.platform == "win32", reason="a symbolic link needs privileges there")
def test_a_link_among_the_own_places_is_refused_before_anything_is_written(
        tmp_path: Path) -> None:
    folder, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    (folder / "outbox").symlink_to(elsewhere, target_is_directory=True)
    lock = ProjectLock(folder, ("outbox", LOCK_NAME, HOLDER_NAME))
    taken: list[bool] = []
    with pytest.raises(UsageError, match="outbox"):
        lock.acquire("send", on_taken=lambda: taken.append(True))
    assert not lock.held and not taken
    assert not (folder / LOCK_NAME).exists() and not (folder / HOLDER_NAME).exists()
