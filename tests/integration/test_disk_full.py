"""A full local disk is the local disk's failure, never the server's (issue 30, case 7): the
server offered a file larger than the disk holding the project, and `fetch-xref` said "the
server refused to send ... (No space left on device)", exit 5. A full or over-quota disk is
exit 2, "the disk holding PROJECT is full (N MB free)", for downloads, flag files and
workbooks alike, and leaves no temporary file.

Two ways: everywhere, the file-writing seam (`files._open_output`) fails as a full disk does
after the first 64 KB; on Linux as root (CI), a real 2 MB disk (tmpfs).
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from tests.helpers.cli import Run, convwiz
from tests.helpers.conversion import build
from tests.integration.test_sftp_simulator import connect_ok
from wizard.core import generate
from wizard.services import files
from wizard.services.simulator import Simulator

pytestmark = pytest.mark.usefixtures("memory_keyring")
ROOT = getattr(os, "geteuid", lambda: -1)() == 0
XREF_HEADER = "Old Account Number,New Account Number\r\n"
NO_ROOM = [errno.ENOSPC] + ([errno.EDQUOT] if hasattr(errno, "EDQUOT") else [])


class _FillingUp:
    """A file on a disk with 64 KB left: the write past them fails as the system's does."""

    def __init__(self, handle: IO[bytes], code: int) -> None:
        self._handle, self._code, self._written = handle, code, 0

    def write(self, data: Any) -> int:
        self._written += len(data)
        if self._written > 64 * 1024:
            raise OSError(self._code, os.strerror(self._code))
        return self._handle.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)

    def __enter__(self) -> _FillingUp:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()


@pytest.fixture(params=NO_ROOM, ids=lambda code: errno.errorcode[code])
def full_disk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = files._open_output
    monkeypatch.setattr(files, "_open_output",
                        lambda fd, mode: _FillingUp(opened(fd, mode), request.param))


def _says_the_disk_is_full(run: Run, project: Path) -> None:
    assert run.code == 2, run.stderr
    assert "Traceback" not in run.stderr
    error = run.result["error"]
    assert f"the disk holding {project} is full (" in error and " MB free)" in error, error
    assert "server" not in error
    left = [p for p in project.rglob("*") if p.name.startswith(".tmp-")]
    assert left == []


def _large_xref(simulator: Simulator, rows: int) -> Path:
    path = simulator.local_download / "xref_large.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(XREF_HEADER)
        out.writelines(f"{n:010d},7{n:09d}\r\n" for n in range(rows))
    return path


def test_a_download_onto_a_full_disk_blames_the_disk(flag_project: Path, simulator: Simulator,
                                                     full_disk: None) -> None:
    connect_ok(flag_project, simulator)
    _large_xref(simulator, 20_000)  # 460 KB

    run = convwiz("fetch-xref", flag_project, "--json")

    _says_the_disk_is_full(run, flag_project)
    assert list((flag_project / "inbox").iterdir()) == []


def test_a_flag_file_onto_a_full_disk_blames_the_disk(project: Path, tmp_path: Path,
                                                      full_disk: None) -> None:
    export = generate.write_csv(generate.customers(5_000), tmp_path / "customers.csv")

    run = convwiz("export-flags", project, "--input", export, "--json")

    _says_the_disk_is_full(run, project)
    assert list((project / "outbox").iterdir()) == []


def test_a_workbook_onto_a_full_disk_blames_the_disk(project: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    build(project, n=2_000)
    opened = files._open_output
    monkeypatch.setattr(files, "_open_output",
                        lambda fd, mode: _FillingUp(opened(fd, mode), errno.ENOSPC))

    run = convwiz("report", project, "--no-encrypt", "--json")

    _says_the_disk_is_full(run, project)
    assert not list((project / "reports").glob("*.xlsx"))


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 2 MB disk: a tmpfs, which only root may mount (CI runs as root)."""
    if not sys.platform.startswith("linux") or not ROOT:
        pytest.skip("a real small disk needs a tmpfs mount, which needs root on Linux")
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(mount)],
                   check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_download_larger_than_a_real_disk(small_disk: Path, simulator: Simulator,
                                            tmp_path: Path) -> None:
    project = small_disk / "acme"
    run = convwiz("init", project, "--biller", "Acme", "--go-live", "2026-12-14",
                  "--production-bid", "2806", "--allow-past")
    assert run.code == 0, run.stderr
    export = generate.write_csv(generate.customers(300), tmp_path / "customers.csv")
    assert convwiz("export-flags", project, "--input", export).code == 0
    connect_ok(project, simulator)
    _large_xref(simulator, 200_000)  # 4.6 MB onto a 2 MB disk

    run = convwiz("fetch-xref", project, "--json")

    _says_the_disk_is_full(run, project)
    assert list((project / "inbox").iterdir()) == []


@pytest.mark.parametrize("code", NO_ROOM, ids=lambda code: errno.errorcode[code])
def test_any_full_disk_the_command_line_meets_names_the_project(project: Path,
                                                                code: int) -> None:
    """The last line of defence: a full disk met outside the writing seam (SQLite, a
    library writing by name) is exit 2 naming the project's disk too, never a bug."""
    import sqlite3

    from wizard.cli import environment_failure

    for exc in (OSError(code, os.strerror(code), str(project / "data" / "x.parquet")),
                OSError(code, os.strerror(code)),
                sqlite3.OperationalError("database or disk is full")):
        refused = environment_failure(exc, str(project))
        assert refused is not None and refused.exit_code == 2
        assert f"the disk holding {project} is full (" in refused.message, refused.message
