"""One path form in the project's store (POSIX separators, relative to the project) on every
system, migration 2 for projects made before it, and a project moved to another folder,
drive or system still purging exactly its files."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path, PureWindowsPath

import pytest

from tests.conftest import write_export
from tests.helpers.cli import convwiz
from wizard.core import generate
from wizard.flow.project import project as project_module
from wizard.flow.project.project import Project
from wizard.services import places
from wizard.services import store as store_module
from wizard.services.files import sha256_file
from wizard.services.store import MIGRATIONS, STORE_NAME, Store, stored_path

WINDOWS_HOME = r"C:\Users\José Müller\Documents\Conversion Wizard"


def _made_files(project: Path, tmp_path: Path) -> set[str]:
    """Run export-flags (a flag file, a blocked run's exceptions workbook, the snapshot) and
    record a received cross-reference; the names the manifest holds."""
    export = generate.write_csv(generate.customers(40), tmp_path / "customers.csv")
    assert convwiz("export-flags", project, "--input", export).code == 0
    bad = write_export(tmp_path / "bad.csv", ["Bob Ray,,bob@example.com,N,N,,"])
    assert convwiz("export-flags", project, "--input", bad).code == 3
    with Project.open(project) as p:
        received = p.inbox / "xref_final.csv"
        received.write_text("Old Account,New Account\r\n1,2\r\n", encoding="utf-8")
        p.store.record_file("received", "cross_reference", p.relative(received),
                            sha256_file(received), rows=1, size=received.stat().st_size)
        return {e.name for e in p.store.manifest() if e.direction != "sent"}


def test_names_are_posix_and_relative_whatever_path_form_is_given(tmp_path: Path) -> None:
    folder = tmp_path / "Acme"
    (folder / "inbox").mkdir(parents=True)
    (folder / "inbox" / "x.csv").write_text("a\n", encoding="utf-8")
    assert stored_path(folder, "inbox\\x.csv") == "inbox/x.csv"
    assert stored_path(folder, folder / "inbox" / "x.csv") == "inbox/x.csv"
    assert stored_path(folder, "/elsewhere/y.csv") == "/elsewhere/y.csv"
    assert stored_path(folder, "C:\\other\\y.csv") == "C:/other/y.csv"
    # written on a Windows laptop, on drive C: or D:, or a share, and moved here
    for old in (WINDOWS_HOME + r"\Acme\inbox\x.csv", r"D:\Projects\Acme\inbox\x.csv",
                r"\\server\share\Acme\inbox\x.csv", "/Users/ann/Acme/inbox/x.csv"):
        assert stored_path(folder, old, moved=True) == "inbox/x.csv", old
    # a file that is not in the project here is not claimed as one of its own
    assert stored_path(folder, r"D:\Projects\Acme\inbox\gone.csv", moved=True) == \
        "D:/Projects/Acme/inbox/gone.csv"


def test_migration_2_converts_a_project_made_with_the_old_schema(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A project made on Windows before migration 2 (schema 1; names as `str(path)` gave
    them there: backslashes, or absolute) opens here with every name in the one form, and
    purge removes exactly its files."""
    # the project was created at schema 1: make it so, then write names as Windows did
    names = _made_files(project, tmp_path)
    assert all("\\" not in n and not n.startswith("/") for n in names)
    db = sqlite3.connect(project / STORE_NAME)
    rows = db.execute("SELECT seq, name FROM manifest").fetchall()
    for i, (seq, name) in enumerate(rows):
        windows = str(PureWindowsPath(name))
        old = windows if i % 2 else f"{WINDOWS_HOME}\\{project.name}\\{windows}"
        db.execute("UPDATE manifest SET name = ? WHERE seq = ?", (old, seq))
    steps = dict(db.execute("SELECT id, detail FROM steps").fetchall())
    detail = json.loads(steps["flag_file"])
    paths = {k: v for k, v in detail.items() if k in ("output", "exceptions") and v}
    assert paths, detail
    detail.update({k: f"{WINDOWS_HOME}\\{project.name}\\{PureWindowsPath(v)}"
                   for k, v in paths.items()})
    db.execute("UPDATE steps SET detail = ? WHERE id = 'flag_file'", (json.dumps(detail),))
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS[:1])
    with Store(project / STORE_NAME) as old_store:  # the old program still opens it
        assert old_store.schema_version == 1
        assert any("\\" in e.name for e in old_store.manifest())
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS)

    with Project.open(project) as p:
        assert p.store.schema_version >= 2
        assert {e.name for e in p.store.manifest() if e.direction != "sent"} == names
        _status, _at, now = p.store.step("flag_file") or ("", "", {})
        assert {k: now[k] for k in paths} == paths
        audit = [e.action for e in p.store.audit_log()]  # the audit log is never rewritten
        assert "file made" in audit
    run = convwiz("purge", project, "--yes", "--force", "--json")
    assert run.code == 0, run.stderr
    assert sorted(run.result["removed"]) == sorted(names)
    assert not any((project / n).exists() for n in names)


def test_a_project_moved_to_another_folder_or_drive_purges_its_own_files(
        project: Path, tmp_path: Path) -> None:
    """Names relative to the project: a copy elsewhere (another drive letter on Windows, a
    Mac's home folder) finds every file it made, and only those."""
    names = _made_files(project, tmp_path)
    other = _other_drive(project)
    base = Path(tempfile.mkdtemp(prefix="convwiz-test-", dir=other)) if other else tmp_path
    try:
        moved = base / "drive D" / "Conversion Wizard" / project.name
        # copyfile: Wine lacks CopyFile2, which copy2 calls on Windows
        shutil.copytree(project, moved, copy_function=shutil.copyfile)
        run = convwiz("purge", moved, "--yes", "--force", "--json")
        assert run.code == 0, run.stderr
        assert sorted(run.result["removed"]) == sorted(names)
        assert not any((moved / n).exists() for n in names)
        assert all((project / n).is_file() for n in names)  # the original is untouched
    finally:
        if other:
            shutil.rmtree(base, ignore_errors=True)


def _other_drive(project: Path) -> str | None:
    """On Windows, a writable fixed drive other than the project's (under Wine, Z: is the
    Linux root); None elsewhere or where there is none."""
    if sys.platform != "win32":
        return None
    for drive in os.listdrives():
        if Path(drive).drive.upper() == project.drive.upper():
            continue
        try:
            os.rmdir(tempfile.mkdtemp(prefix="convwiz-probe-", dir=drive))
        except OSError:
            continue
        return drive
    return None


def test_a_windows_project_path_over_the_limit_is_refused_naming_the_path_and_the_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows without long paths: a folder too long for the files the program keeps in it
    is refused before anything is made (exit 2), naming the folder and both fixes."""
    monkeypatch.setattr(places, "path_limit", lambda: places.WINDOWS_MAX_PATH - 1)
    monkeypatch.setattr(project_module, "path_limit", places.path_limit)
    deep = tmp_path / "José Müller" / "Documents" / "Conversion Wizard"
    folder = deep / ("Prairie Valley Electric Co-op " * 8).strip()
    run = convwiz("init", folder, "--biller", "Prairie Valley", "--go-live", "2026-12-14",
                  "--production-bid", "2806", "--allow-past")
    assert run.code == 2
    assert str(folder) in run.stderr and "260 characters" in run.stderr
    assert "LongPathsEnabled" in run.stderr and "Traceback" not in run.stderr
    assert not folder.exists()


def test_a_project_just_under_the_limit_keeps_every_path_within_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The longest folder allowed holds every file the steps make (a 40-letter biller name,
    the longest the file names take) within Windows' 259 characters."""
    limit = places.WINDOWS_MAX_PATH - 1
    monkeypatch.setattr(project_module, "path_limit", lambda: limit)
    room = limit - places.PROJECT_PATH_ROOM - len(str(tmp_path)) - 1
    assert room > 0, "the test's own folder is too deep to try this"
    folder = tmp_path / ("P" * room)
    run = convwiz("init", folder, "--biller", "Prairie Valley Rural Electric Cooperative Assn",
                  "--go-live", "2026-12-14", "--production-bid", "2806", "--allow-past")
    assert run.code == 0, run.stderr
    names = _made_files(folder, tmp_path)
    longest = max(len(str(folder / n)) for n in names)
    assert longest <= limit - 10, (longest, max(names, key=len))
    assert places.project_path_problem(folder, limit) is None
    assert places.project_path_problem(folder / "x", limit) is not None
    assert places.project_path_problem(folder / ("x" * 200), None) is None  # long paths on
