"""The path a PM takes (issue 29): `convwiz` with no arguments, the start screen, the demo
or a project opened from there, the steps done in the window, and the window closed; then
what any other process finds in the project's store.

The program runs in its own process on Xvfb and is driven over the accessibility bus alone
(tests/helpers/pm_walk.py, on tests/ui/test_atspi.py's client and demo walk). The walks of
tests/ui/test_atspi.py open the demo with `convwiz gui --demo`, which never shows the start
screen: they never met issue 29, where the start screen's portfolio, reading the project the
window held, dropped the window's locks, and a step's child process then deleted the -wal
under it. The window lost its own rows and hid the child's (Cross-reference never ticked,
Verify stayed locked); on closing it wrote its stale pages over the child's.
"""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import pytest

from tests.helpers.cli import convwiz, convwiz_process
from tests.helpers.pm_walk import (
    WalWatch,
    Window,
    command,
    demo_from_start_screen,
    open_folder_from_start_screen,
    signed_off,
    step_blocks,
    store_record,
)
from tests.ui.atspi import desktop_missing, xvfb
from tests.ui.test_atspi import demo_walk

pytestmark = [pytest.mark.atspi, pytest.mark.slow]
BIG = 300_000  # customers: the biller workbook's child process works for several seconds
HOLDER = ".convwiz.lock.holder"


@pytest.fixture(scope="module")
def display() -> object:
    missing = desktop_missing()
    if missing:
        pytest.skip(missing)
    with xvfb("1366x768x24") as name:
        yield name


def closed_cleanly(program: Window) -> None:
    """The program ends as the desktop ends it: no crash, no traceback."""
    code = program.close()
    stderr = program.stderr_text()
    assert code in (0, -signal.SIGTERM), (code, stderr[-4000:])
    assert "Traceback" not in stderr and "Fatal Python error" not in stderr, stderr[-4000:]


def test_the_demo_from_the_start_screen_through_verify_loses_nothing(
        display: str, tmp_path: Path) -> None:
    """The window's demo, walked to the end, leaves the record the command line's demo
    leaves: the same step states, and for each step the same audit rows in the same
    order (times, paths and signers aside; the command line also verifies two more days,
    and writes notices, tokens and a calendar the walk does not)."""
    home = tmp_path / "home"
    # a PM who has used the program before: Documents/Conversion Wizard is there, so the
    # start screen watches it, and reads again each project in it that changes
    (home / "Documents" / "Conversion Wizard").mkdir(parents=True)
    program = Window(display, home)  # `convwiz`: the start screen
    watch: WalWatch | None = None
    seen: list[str] = []
    try:
        project = demo_from_start_screen(program)
        watch = WalWatch(project).start()
        demo_walk(program, project, seen, sign_all=True)
        program.alive()
    finally:
        problems = watch.stop() if watch is not None else []
        closed_cleanly(program)
    assert seen[-1] == "purge"
    assert problems == [], problems
    assert watch is not None and watch.seen > 100

    window = store_record(project)
    run = command(home, "demo", tmp_path / "cli demo", "--customers", "5000")
    assert run.returncode == 0, run.stderr
    cli = store_record(tmp_path / "cli demo")
    assert window.integrity
    assert window.steps == cli.steps
    mine, theirs = step_blocks(window.audit), step_blocks(cli.audit)
    assert list(mine) == ["coordination", "flag_file", "send", "cross_reference",
                          "verification", "report"]
    for step in mine:
        assert mine[step] == theirs[step], step
    coordination = signed_off(window.audit)
    assert len(coordination) == 8 and set(coordination) <= set(signed_off(cli.audit))
    # every file in the manifest has its audit row: none was lost on either side
    assert window.files_audited() == len(window.manifest)


def holder_pid(project: Path) -> int | None:
    """The process that holds the project's one-writer lock, as it says."""
    text = (project / HOLDER).read_text(encoding="utf-8", errors="replace")
    found = re.match(r"pid (\d+):", text)
    return int(found.group(1)) if found else None


def test_other_processes_read_the_project_while_the_window_runs_a_step(
        display: str, tmp_path: Path) -> None:
    """While the window's child process writes the biller workbook: `convwiz status` and
    `convwiz portfolio` read the project, and a second window on it is refused with the
    reason. Nothing is lost, and the -wal stays while the window holds the store."""
    from wizard.core import generate
    from wizard.flow.demo import portal_export

    home = tmp_path / "home"
    # where the PM's projects are: the start screen lists it, and reads it again whenever
    # it changes, also while its window is open
    project = home / "Documents" / "Conversion Wizard" / "acme"
    assert convwiz("init", project, "--biller", "Acme Electric Co-op", "--go-live",
                   "2026-12-14", "--production-bid", "2806", "--allow-past").code == 0
    export = generate.write_csv(portal_export(BIG), tmp_path / "portal export.csv")
    assert convwiz("export-flags", project, "--input", export).code == 0

    program = Window(display, home)
    second: Window | None = None
    watch: WalWatch | None = None
    reads: list[tuple[str, bool]] = []  # (what, whether the step's child ran all along)
    try:
        open_folder_from_start_screen(program, project)
        watch = WalWatch(project).start()
        program.step(6)
        program.press("Write the workbook")
        deadline = time.monotonic() + 120
        while holder_pid(project) in (None, program.proc.pid):  # the child takes the lock
            assert time.monotonic() < deadline, "the step's child never took the project"
            program.alive()
            time.sleep(0.01)
        child = holder_pid(project)
        second = Window(display, tmp_path / "home 2", "gui", str(project))
        while holder_pid(project) == child:
            for what, args in (("status", ("status", project, "--json")),
                               ("portfolio", ("portfolio", project, "--json"))):
                run = convwiz_process(*args, timeout=120)
                assert run.code == 0, (what, run.stderr)
                reads.append((what, holder_pid(project) == child))
        second.text("another process is working on")  # the second window says why
        second.alive()
        program.text("workbook is written", timeout=300)
        after = convwiz_process("status", project, "--json")
        assert [s["state"] for s in after.result["steps"] if s["id"] == "report"] == ["done"]
    finally:
        if second is not None:
            closed_cleanly(second)
        problems = watch.stop() if watch is not None else []
        closed_cleanly(program)
    assert problems == [], problems
    assert any(overlapped for _what, overlapped in reads), (
        f"no read ran while the step's child did: {reads}")
    record = store_record(project)
    assert record.integrity
    assert record.steps["report"] == "done" and record.steps["flag_file"] == "done"
    actions = [(a, d.get("kind") or d.get("step")) for _who, a, d in record.audit]
    assert ("file made", "biller_workbook") in actions and ("step done", "report") in actions
    assert record.files_audited() == len(record.manifest)
