"""The world's refusals are the person's to fix, not our bugs: exit 2 naming the path and
the fix, and nothing changed. A full disk and a read-only medium are real here: a small
tmpfs, mounted (and remounted read-only) for the test, as root does in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.cli import convwiz, convwiz_process
from wizard.core import generate
from wizard.services import logs

ROOT = getattr(os, "geteuid", lambda: -1)() == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if not ROOT or not sys.platform.startswith("linux"):
        pytest.skip("mounting a small disk needs root on Linux (CI runs as root)")
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k,mode=0700", "tmpfs", str(mount)],
                   check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _init(folder: Path) -> None:
    run = convwiz("init", folder, "--biller", "Acme", "--go-live", "2026-12-14",
                  "--production-bid", "2806", "--allow-past")
    assert run.code == 0, run.stderr


def test_a_full_disk_is_exit_2_and_leaves_nothing(small_disk: Path, tmp_path: Path) -> None:
    project = small_disk / "acme"
    _init(project)
    export = generate.write_csv(generate.customers(20_000), tmp_path / "customers.csv")
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 2, run.stderr
    assert f"the disk holding {project} is full (" in run.result["error"]
    assert "Traceback" not in run.stderr
    leftovers = [p for p in (project / "outbox").rglob("*") if p.is_file()]
    assert leftovers == []  # no flag file, and no half-written one either


def test_a_read_only_project_still_shows_its_status(small_disk: Path, tmp_path: Path) -> None:
    project = small_disk / "acme"
    _init(project)
    logs.configure(None)  # this process's log handler let go of the project's log
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    status = convwiz_process("status", project, "--json")
    assert status.code == 0, status.stderr
    assert status.result["biller"] == "Acme"
    export = generate.write_csv(generate.customers(50), tmp_path / "customers.csv")
    run = convwiz_process("export-flags", project, "--input", export, "--json")
    assert run.code == 2, run.stderr
    assert "read-only" in run.result["error"]


def test_a_folder_as_output_is_exit_2(project: Path, tmp_path: Path,
                                     memory_keyring: object) -> None:
    export = generate.write_csv(generate.customers(30), tmp_path / "customers.csv")
    assert convwiz("export-flags", project, "--input", export).code == 0
    folder = tmp_path / "a folder"
    folder.mkdir()
    run = convwiz("report", project, "--out", folder, "--json")
    assert run.code == 2, run.stderr
    assert str(folder) in run.result["error"]
    assert list(folder.iterdir()) == []


def test_no_display_is_exit_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run([sys.executable, "-m", "wizard", "gui"], capture_output=True,
                          text=True, encoding="utf-8", timeout=60, env=env)
    if sys.platform in ("win32", "darwin"):
        pytest.skip("a desktop session always has a display")
    assert proc.returncode == 2, proc.stderr
    assert "no display" in proc.stderr
