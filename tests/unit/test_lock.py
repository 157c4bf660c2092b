"""One project, one writer: a second process gets exit 4 and a clear message; a lock left by
a killed process does not block the next command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers.cli import convwiz
from tests.helpers.private import PRIVATE_FILE, mode
from wizard.errors import NotReady
from wizard.flow.project.lock import HOLDER_NAME, LOCK_NAME
from wizard.flow.project.project import Project

_HOLDER = """
import sys
from wizard.flow.project.project import Project
project = Project.open(sys.argv[1])
project.acquire(sys.argv[2])
(project.outbox / ".tmp-flags.csv.inprogress").write_text("half a file", encoding="utf-8")
print("locked", flush=True)
sys.stdin.readline()
project.close()
"""


@contextmanager
def lock_held(folder: Path, command: str = "export-flags") -> Iterator[subprocess.Popen[str]]:
    """Another process holding the project's write lock until the block ends.

    The holder says "locked" once it has the lock, then waits for its standard input to
    close: no sleeps, the test decides when it lets go.
    """
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(folder), command],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8",
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "locked", proc.stderr.read() if proc.stderr else ""
        yield proc
    finally:
        if proc.poll() is None:
            assert proc.stdin is not None
            proc.stdin.close()
        proc.wait(timeout=30)
        for stream in (proc.stdout, proc.stderr, proc.stdin):
            if stream is not None and not stream.closed:
                stream.close()


def test_second_process_gets_exit_4_naming_the_holder(project: Path) -> None:
    with lock_held(project, "export-flags") as holder:
        run = convwiz("purge", project, "--yes", "--json")
        assert run.code == 4, run.stderr
        assert "another process is working on" in run.stderr
        assert str(project) in run.stderr
        assert f"pid {holder.pid}: export-flags" in run.stderr
        assert "try again" in run.stderr
        assert run.result["exit"] == 4
        # the holder's work in progress was not swept away by the refused command
        assert (project / "outbox" / ".tmp-flags.csv.inprogress").exists()
    # once the holder is done, the same command goes through
    run = convwiz("purge", project, "--yes", "--json")
    assert run.code == 0, run.stderr


def test_lock_refused_through_the_api_too(project: Path) -> None:
    with lock_held(project, "send"), Project.open(project) as mine:
        with pytest.raises(NotReady, match="another process"):
            mine.acquire("report")
        with pytest.raises(NotReady):
            with mine.writing("report"):
                pass  # pragma: no cover - never entered


def test_stale_lock_of_a_killed_process_is_not_a_problem(project: Path) -> None:
    with lock_held(project, "import-xref") as holder:
        holder.kill()  # SIGKILL; on Windows TerminateProcess, exit code 1
        killed = 1 if sys.platform == "win32" else -signal.SIGKILL
        assert holder.wait(timeout=30) == killed
    # the lock file still names the dead process, but the kernel dropped its lock
    assert "import-xref" in (project / HOLDER_NAME).read_text(encoding="utf-8")
    run = convwiz("purge", project, "--yes", "--json")
    assert run.code == 0, run.stderr
    # and the half-written file the killed process left was swept, never kept as data
    assert not (project / "outbox" / ".tmp-flags.csv.inprogress").exists()
    with Project.open(project) as p:
        assert p.store.integrity_ok()
        p.acquire("status")
        assert f"pid {os.getpid()}: status" in (project / HOLDER_NAME).read_text(encoding="utf-8")
        p.release()
        assert (project / HOLDER_NAME).read_text(encoding="utf-8") == ""


def test_lock_is_reentrant_within_one_process(project: Path) -> None:
    with Project.open(project) as p:
        with p.writing("export-flags"):
            with p.writing("export-flags: snapshot"):
                pass
            # still held after the inner block let go
            with pytest.raises(NotReady):
                with Project.open(project) as other:
                    other.acquire("second window")
        with Project.open(project) as other:
            other.acquire("after")
            other.release()


def test_lock_file_is_private(project: Path) -> None:
    with Project.open(project) as p, p.writing("x"):
        assert oct(mode(project / LOCK_NAME)) == oct(PRIVATE_FILE)


WRITING_COMMANDS = [
    ("export-flags", "--input", "{export}"),
    ("send",),
    ("fetch-xref",),
    ("import-xref", "--xref", "{export}"),
    ("verify", "--post", "{export}"),
    ("report",),
    ("templates",),
    ("tokens",),
    ("checklist", "--done", "confirm_go_live", "--by", "Pat"),
    ("purge", "--yes"),
]


@pytest.mark.parametrize("command", WRITING_COMMANDS, ids=lambda c: c[0])
def test_every_writing_command_waits_its_turn(
    project: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    from tests.conftest import write_export

    export = write_export(tmp_path / "customers.csv",
                          ["Ann Lee,0001234567,ann@example.com,Y,Y,card,1111"])
    args = [a.format(export=export) for a in command]
    # the flag file is done, so steps that need it get as far as the lock
    assert convwiz("export-flags", project, "--input", export).code == 0
    with Project.open(project) as p:
        before = len(p.store.audit_log())
    with lock_held(project, "the GUI"):
        run = convwiz(args[0], project, *args[1:], "--json")
    assert run.code == 4, run.stderr
    assert "another process is working on" in run.stderr and "the GUI" in run.stderr
    with Project.open(project) as p:
        assert len(p.store.audit_log()) == before  # nothing was written meanwhile
