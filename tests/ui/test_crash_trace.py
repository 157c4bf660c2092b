"""A crash leaves a trace (issue 22): the window killed by SIGSEGV (as a fault in Qt kills
it) leaves the Python stack of its threads in the project's convwiz.log, and the next start
of the window says it closed unexpectedly and where that log is. The project opens again
with everything the finished steps wrote.

The program runs as a user starts it, on Xvfb, read over the accessibility bus
(tests/ui/test_atspi.py's Program): the notice is checked as a screen reader hears it.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import convwiz
from tests.ui.test_atspi import STEP_TIMEOUT, Program, display  # noqa: F401 - the fixture

pytestmark = [pytest.mark.atspi, pytest.mark.skipif(
    sys.platform == "win32", reason="SIGSEGV by kill: a POSIX signal")]


def test_a_killed_window_leaves_its_stack_in_the_log_and_says_so_next_time(
        display: str, tmp_path: Path) -> None:  # noqa: F811 - the fixture
    home = tmp_path / "home"
    home.mkdir()
    folder = tmp_path / "demo"
    program = Program(display, home, folder)
    try:
        program.text("Steps")  # the main window is open on the demo project
        project = next(folder.rglob("convwiz.sqlite")).parent
        before = convwiz("status", project, "--json")
        os.kill(program.proc.pid, signal.SIGSEGV)
        assert program.proc.wait(STEP_TIMEOUT) == -signal.SIGSEGV
    finally:
        program.close()
    log = (project / "convwiz.log").read_text(errors="replace")
    assert "Fatal Python error: Segmentation fault" in log
    assert "in run_gui" in log and "wizard/ui/app.py" in log.replace("\\", "/"), log[-3000:]

    again = Program(display, home, project, args=())
    try:
        notice = again.text("closed unexpectedly last time")
        assert str(project / "convwiz.log") in notice.name
        again.text("Steps")  # and the project opened again
    finally:
        code = again.close()
    assert code in (0, -signal.SIGTERM)
    after = convwiz("status", project, "--json")
    assert after.code == before.code == 0, (before.stderr, after.stderr)
    assert after.stdout == before.stdout  # nothing the steps had written was lost

    # a clean exit leaves no notice for the start after it
    third = Program(display, home, project, args=())
    try:
        third.text("Steps")
        assert not [n for n in third.read() if "closed unexpectedly" in n.name]
    finally:
        third.close()
