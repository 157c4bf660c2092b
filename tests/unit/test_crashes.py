"""The window's marker (wizard/services/crashes.py): a window that did not close cleanly is
named, with its log, by the next start; one that closed cleanly, or is still open, is not."""

from __future__ import annotations

from pathlib import Path

from wizard.services.crashes import WindowMarker


def test_a_window_that_died_is_named_once_with_its_log(tmp_path: Path) -> None:
    died = WindowMarker(tmp_path)
    assert died.start(tmp_path / "user.log") == []
    died.update(tmp_path / "project" / "convwiz.log")
    assert died._lock is not None
    died._lock.release()  # what the system does when the process dies
    open_now = WindowMarker(tmp_path)
    assert open_now.start(tmp_path / "user.log") == [tmp_path / "project" / "convwiz.log"]
    # named once: the start after it hears nothing of it; an open window is not a crash
    assert WindowMarker(tmp_path).start(tmp_path / "user.log") == []


def test_a_clean_exit_leaves_nothing_to_say(tmp_path: Path) -> None:
    first = WindowMarker(tmp_path)
    first.start(tmp_path / "user.log")
    first.stop()
    assert list(tmp_path.iterdir()) == []
    assert WindowMarker(tmp_path).start(tmp_path / "user.log") == []
