"""A crash at the worst moment: SIGKILL in the middle of a step loses nothing completed,
leaves the store whole and nothing half-written under a final name, and the step runs again.

Each step runs as its own process on a big enough input (300,000 generated customers) and is
killed as soon as it is seen working: a `.tmp-*` file appears under the project (the flows
write there first and rename), polled every 10 ms with a deadline, never a guessed sleep.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.helpers.cli import convwiz
from tests.helpers.conversion import write_xref
from tests.helpers.memkeyring import STORE_ENV
from tests.helpers.window import open_from_start_screen, portfolio_reads
from wizard.core import generate
from wizard.flow.project.lock import HOLDER_NAME
from wizard.flow.project.project import SUBFOLDERS, Project
from wizard.services.files import TEMP_PREFIX, sha256_file
from wizard.services.simulator import Simulator, start_simulator
from wizard.services.store import STORE_NAME

pytestmark = pytest.mark.slow
CUSTOMERS = 300_000
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def big_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("big")
    table = generate.customers(CUSTOMERS, seed=28)
    path = generate.write_csv(table, folder / "customer_export.csv")
    return path, table.column("Account Number").to_pylist()


def _temporaries(project: Path) -> list[Path]:
    return [p for sub in SUBFOLDERS for p in (project / sub).rglob(TEMP_PREFIX + "*")]


def _start(*args: object, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "wizard", *[str(a) for a in args]],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
    )


def _kill_when_working(proc: subprocess.Popen[bytes], project: Path,
                       deadline_s: float = 240) -> list[str]:
    """SIGKILL `proc` as soon as a temporary file shows it writing; return what was there."""
    deadline = time.monotonic() + deadline_s
    seen: list[Path] = []
    while time.monotonic() < deadline and proc.poll() is None:
        seen = _temporaries(project)
        if seen:
            break
        # wait on the step's process between looks: its exit ends the wait at once
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=0.01)
    assert proc.poll() is None, "the step finished before it could be killed"
    assert seen, "the step never started writing"
    # SIGKILL; on Windows TerminateProcess, as abrupt (no handler, no finally runs)
    proc.kill()
    assert proc.wait(timeout=60) == (1 if sys.platform == "win32" else -signal.SIGKILL)
    return [p.relative_to(project).as_posix() for p in seen]


def _assert_sound(project: Path, expected_rows: int) -> None:
    """The store is whole; every file under a final name is complete."""
    with Project.open(project) as p:
        assert p.store.integrity_ok()
        recorded = {e.name: e.sha256 for e in p.store.manifest()}
    for sub in SUBFOLDERS:
        for path in (project / sub).rglob("*"):
            if not path.is_file() or path.name.startswith(TEMP_PREFIX):
                continue
            name = str(path.relative_to(project))
            if recorded.get(name) == sha256_file(path):
                continue  # complete and recorded
            # renamed into place but killed before it was recorded: still whole
            if path.suffix == ".csv":
                data = path.read_bytes()
                assert data.endswith(b"\r\n"), name
                assert data.count(b"\r\n") == expected_rows + 1, name
            elif path.suffix == ".parquet":
                assert pq.read_table(path).num_rows == expected_rows, name
            elif path.suffix == ".xlsx":
                with zipfile.ZipFile(path) as z:
                    assert z.testzip() is None, name
            else:
                raise AssertionError(f"unexpected file {name}")


def _assert_clean_after_rerun(project: Path) -> None:
    assert _temporaries(project) == []
    with Project.open(project) as p:
        assert p.store.integrity_ok()


@pytest.fixture
def exported(project: Path, big_export: tuple[Path, list[str]]) -> Path:
    run = convwiz("export-flags", project, "--input", big_export[0], "--json")
    assert run.code == 0, run.stderr
    return project


def test_kill_during_export_flags(project: Path, big_export: tuple[Path, list[str]]) -> None:
    export, _ = big_export
    proc = _start("export-flags", project, "--input", export)
    seen = _kill_when_working(proc, project)
    assert any(s.startswith(("outbox/", "data/")) for s in seen), seen
    _assert_sound(project, CUSTOMERS)
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 0, run.stderr
    assert run.result["rows"] == CUSTOMERS
    _assert_clean_after_rerun(project)
    _assert_sound(project, CUSTOMERS)


def test_kill_during_import_xref(exported: Path, big_export: tuple[Path, list[str]],
                                 tmp_path: Path) -> None:
    xref = write_xref(tmp_path / "xref.csv", big_export[1])
    proc = _start("import-xref", exported, "--xref", xref)
    _kill_when_working(proc, exported)
    _assert_sound(exported, CUSTOMERS)
    _assert_no_update_without_its_rollback(exported)
    run = convwiz("import-xref", exported, "--xref", xref, "--json")
    assert run.code == 0, run.stderr
    assert run.result["mapped"] == CUSTOMERS
    _assert_clean_after_rerun(exported)
    _assert_sound(exported, CUSTOMERS)
    _assert_no_update_without_its_rollback(exported)


def test_kill_during_report(exported: Path) -> None:
    # plain: an encrypted workbook is built in memory, so only its short final write has a
    # temporary file for the kill to catch
    proc = _start("report", exported, "--no-encrypt")
    seen = _kill_when_working(proc, exported)
    assert any(s.startswith("reports/") for s in seen), seen
    assert not list((exported / "reports").glob("*.xlsx"))  # nothing under a final name
    _assert_sound(exported, CUSTOMERS)
    run = convwiz("report", exported, "--json", "--no-encrypt")
    assert run.code == 0, run.stderr
    _assert_clean_after_rerun(exported)
    _assert_sound(exported, CUSTOMERS)


@pytest.fixture
def slow_provider(tmp_path: Path) -> Iterator[Simulator]:
    with start_simulator(tmp_path / "provider") as sim:
        yield sim


def test_kill_during_a_download(project: Path, slow_provider: Simulator, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch,
                                memory_keyring: object) -> None:
    sim = slow_provider
    keyring_file = tmp_path / "test-keyring.json"
    monkeypatch.setenv(STORE_ENV, str(keyring_file))  # shared with the killed process
    run = convwiz("connect", project, "--host", sim.host, "--port", sim.port, "--user",
                  sim.user, "--password-stdin", "--host-key", sim.fingerprint,
                  "--upload-dir", sim.upload_dir, "--download-dir", sim.download_dir,
                  stdin=sim.password + "\n")
    assert run.code == 0, run.stderr
    lines = ["UTI Account Number,Daffron Account Number"]
    lines += [f"{i:010d},{10_000_000 + i}" for i in range(CUSTOMERS)]
    answer = sim.local_download / "xref_acme.csv"
    answer.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    sim.faults.slow = 0.3  # the provider answers slowly: the download takes a while
    proc = _start("fetch-xref", project, env={
        "PYTHON_KEYRING_BACKEND": "tests.helpers.memkeyring.MemoryKeyring",
        STORE_ENV: str(keyring_file),
    })
    seen = _kill_when_working(proc, project)
    assert all(s.startswith("inbox/") for s in seen), seen
    sim.faults.slow = 0.0
    assert [p.name for p in (project / "inbox").iterdir()
            if not p.name.startswith(TEMP_PREFIX)] == []
    _assert_sound(project, CUSTOMERS)
    run = convwiz("fetch-xref", project, "--json")
    assert run.code == 0, run.stderr
    assert run.result["sha256"] == sha256_file(answer)
    assert sha256_file(project / run.result["file"]) == sha256_file(answer)
    _assert_clean_after_rerun(project)


# -- the same kills while a window holds the project (issue 29) --------------------------------
# The window keeps its own connection to the store for as long as it is open and hands the
# project's lock to each step's child process. A child killed mid-step must cost nothing:
# not the rows the window wrote before, not the store, not the next run of the step.
KILL = getattr(signal, "SIGKILL", signal.SIGTERM)  # on Windows os.kill is TerminateProcess


@pytest.fixture
def wizard_app(qapp: object, tmp_path: Path, memory_keyring: object) -> Iterator[Any]:
    """The program's windows in this process (Qt offscreen), their settings in tmp_path."""
    from PySide6.QtCore import QSettings

    from wizard.ui.app import Wizard, application

    folder = tmp_path / "qsettings"
    folder.mkdir()
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    application()
    wizard = Wizard()
    yield wizard
    wizard.shutdown()
    if wizard.start is not None:
        wizard.start.close()


def _kill_the_windows_step(project: Path, deadline_s: float = 240) -> list[str]:
    """Kill the window's child process as soon as a temporary file shows it writing (the
    process named in the lock's holder file, which is not this one)."""
    deadline = time.monotonic() + deadline_s
    seen: list[Path] = []
    while time.monotonic() < deadline and not seen:
        seen = _temporaries(project)
    assert seen, "the step never started writing"
    holder = (project / HOLDER_NAME).read_text(encoding="utf-8")
    pid = int(holder.split(":")[0].removeprefix("pid "))
    assert pid != os.getpid(), holder
    os.kill(pid, KILL)
    return [p.relative_to(project).as_posix() for p in seen]


def _start_step(qtbot: Any, main: Any, step: str, export: Path, xref: Path) -> Any:
    """Press the step's button on its page, its input chosen; the page."""
    main.go_to(step)
    page = main.pages[step]
    if step == "flag_file":
        page.load_file(export)
        button = page.export_button
    else:
        page.use_file(xref)
        button = page.import_button
    qtbot.waitUntil(lambda: button.isEnabled() and not main.runner.busy, timeout=120_000)
    button.click()
    return page


@pytest.mark.parametrize("step", ["flag_file", "cross_reference"])
def test_kill_a_step_of_a_window_that_holds_the_project(
        qtbot: Any, wizard_app: Any, exported: Path, big_export: tuple[Path, list[str]],
        tmp_path: Path, step: str) -> None:
    project = exported
    xref = write_xref(tmp_path / "xref.csv", big_export[1])
    main = open_from_start_screen(qtbot, wizard_app, project)
    wal = project / f"{STORE_NAME}-wal"
    # a row of the window's own first: a task signed off
    assert main.pages["coordination"].sign_off_task("test_bid", "Pat PM", "")
    before = {s: main.states()[s] for s in ("flag_file", "cross_reference")}

    portfolio_reads(qtbot, wizard_app)  # the start screen reads the project meanwhile
    _start_step(qtbot, main, step, big_export[0], xref)
    seen = _kill_the_windows_step(project)
    assert any(s.startswith(("outbox/", "data/")) for s in seen), seen
    qtbot.waitUntil(lambda: not main.runner.busy, timeout=120_000)
    page = main.pages[step]
    assert page.banner.kind == "error", page.banner.text()
    # the window goes on with the store as it was: its own row, the step's state, whole
    store = main.project.store
    assert store.integrity_ok()
    assert "test_bid" in store.sign_offs()
    assert {s: main.states()[s] for s in before} == before
    assert wal.exists()

    # the step runs again in the same window, and its outcome is in the sidebar
    _start_step(qtbot, main, step, big_export[0], xref)
    qtbot.waitUntil(lambda: page.banner.kind == "success" and not main.runner.busy,
                    timeout=240_000)
    assert main.states()[step] == "done"
    row = main.step_ids.index(step)
    assert main.sidebar.item(row).text().startswith(f"{row + 1}. ")
    assert main.sidebar.item(row).toolTip().endswith("(done)")
    assert wal.exists(), "the -wal went while the window's connection was open"

    main.close()
    qtbot.waitUntil(lambda: wizard_app.main is None, timeout=120_000)
    _assert_clean_after_rerun(project)
    _assert_sound(project, CUSTOMERS)
    with Project.open(project) as again:
        assert "test_bid" in again.store.sign_offs()
        assert again.store.step(step) is not None and again.store.step(step)[0] == "done"

# -- the IC account update never stands without its rollback ---------------------------------
UPDATE = "ic_account_update.csv"
ROLLBACK = "ic_account_rollback.csv"
# `convwiz import-xref` in a process that kills itself (SIGKILL; on Windows an exit that runs
# no handler and no finally, as abrupt for the files) right after the Nth rename of a file of
# the pair into its final name: the one instant a kill at 95% of import-xref can land in
_KILLED_AT_RENAME = """
import os, signal, sys
from pathlib import Path
real, left = os.replace, int(sys.argv[1])
def replace(src, dst, *args, **kwargs):
    global left
    real(src, dst, *args, **kwargs)
    if Path(dst).name in ("ic_account_update.csv", "ic_account_rollback.csv"):
        left -= 1
        if left == 0:
            kill = getattr(signal, "SIGKILL", None)
            os.kill(os.getpid(), kill) if kill is not None else os._exit(9)
os.replace = replace
from wizard.cli import main
raise SystemExit(main(sys.argv[2:]))
"""


def _import_xref_killed_at_rename(project: Path, xref: Path, nth: int) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_AT_RENAME, str(nth), "import-xref", str(project),
         "--xref", str(xref)],
        capture_output=True, timeout=240, env={**os.environ, "PYTHONPATH": str(REPO)})
    killed = 9 if sys.platform == "win32" else -getattr(signal, "SIGKILL", 9)
    assert proc.returncode == killed, proc.stderr.decode(errors="replace")


def _assert_no_update_without_its_rollback(project: Path) -> None:
    """What a PM may find in outbox/: nothing, a rollback alone (it undoes nothing), or an
    update with the rollback that undoes it, row for row."""
    update, rollback = project / "outbox" / UPDATE, project / "outbox" / ROLLBACK
    if not update.exists():
        return
    assert rollback.exists(), "the IC account update stands without its rollback"
    rows = [line.split(",") for line in update.read_text("utf-8").splitlines()[1:]]
    back = [line.split(",") for line in rollback.read_text("utf-8").splitlines()[1:]]
    assert back == [[bid, new, old] for bid, old, new in rows], (
        "the rollback beside the update does not undo it")


def _small_exported(project: Path, tmp_path: Path, n: int = 300) -> list[str]:
    table = generate.customers(n, seed=29)
    export = generate.write_csv(table, tmp_path / "export.csv")
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 0, run.stderr
    return [str(a) for a in table.column("Account Number").to_pylist()]


def test_a_kill_between_the_two_renames_never_leaves_the_update_alone(
        project: Path, tmp_path: Path) -> None:
    xref = write_xref(tmp_path / "xref.csv", _small_exported(project, tmp_path))
    _import_xref_killed_at_rename(project, xref, 1)
    _assert_no_update_without_its_rollback(project)
    assert (project / "outbox" / ROLLBACK).exists()  # the rollback was put in place first
    run = convwiz("import-xref", project, "--xref", xref, "--json")
    assert run.code == 0, run.stderr
    _assert_no_update_without_its_rollback(project)
    assert (project / "outbox" / UPDATE).exists()
    _assert_clean_after_rerun(project)


@pytest.mark.parametrize("nth", [1, 2])
def test_a_kill_while_a_new_pair_replaces_an_old_one_never_mixes_them(
        project: Path, tmp_path: Path, nth: int) -> None:
    olds = _small_exported(project, tmp_path)
    first = write_xref(tmp_path / "xref.csv", olds)
    assert convwiz("import-xref", project, "--xref", first).code == 0
    # the provider's corrected file: other new numbers for the same customers
    second = tmp_path / "xref_corrected.csv"
    second.write_text("Old Account Number,New Account Number\n" + "".join(
        f"{old},8{old[-9:]}\n" for old in olds), encoding="utf-8")
    _import_xref_killed_at_rename(project, second, nth)
    _assert_no_update_without_its_rollback(project)
    run = convwiz("import-xref", project, "--xref", second, "--json")
    assert run.code == 0, run.stderr
    _assert_no_update_without_its_rollback(project)
    assert "8" + olds[0][-9:] in (project / "outbox" / UPDATE).read_text("utf-8")
