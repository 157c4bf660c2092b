"""The project is a closed room (issue 30): a folder of the project replaced by a link (a
symbolic link; on Windows a junction) is refused with exit 2 naming it, and nothing outside
the project is written, renamed or deleted, by any command, purge included.

The links are made as an attacker or a tidy-minded person would: on Linux and macOS a
symbolic link, on Windows a junction (`_winapi.CreateJunction`, which needs no privilege).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import convwiz
from tests.helpers.conversion import build
from wizard.core import generate
from wizard.errors import UsageError
from wizard.flow.project.project import Project
from wizard.services import logs
from wizard.services.files import atomic_output, sha256_file

_ERROR_NOT_SUPPORTED = 50


def make_link(link: Path, target: Path) -> None:
    """`link` becomes a link to the folder `target`: a junction on Windows, else a
    symbolic link."""
    target.mkdir(parents=True, exist_ok=True)
    if sys.platform == "win32":
        import _winapi

        try:
            _winapi.CreateJunction(str(target), str(link))
        except OSError as exc:
            if getattr(exc, "winerror", None) != _ERROR_NOT_SUPPORTED:
                raise
            # Wine 8 (CI's Windows harness) implements no reparse points: its
            # FSCTL_SET_REPARSE_POINT answers ERROR_NOT_SUPPORTED, after making the folder
            with contextlib.suppress(OSError):
                link.rmdir()
            pytest.skip("this Windows cannot make a junction (CreateJunction: ERROR_NOT_"
                        "SUPPORTED, as under Wine 8, which has no reparse points)")
    else:
        os.symlink(target, link, target_is_directory=True)


def replace_with_link(folder: Path, target: Path) -> None:
    """A folder of the project becomes a link to `target` (its files go with it, as when a
    person moves a folder elsewhere and leaves a link behind)."""
    target.mkdir(parents=True, exist_ok=True)
    if folder.exists():
        for entry in folder.iterdir():
            entry.rename(target / entry.name)
        folder.rmdir()
    make_link(folder, target)


def listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under `folder` with its size and modification time (ns)."""
    seen = {}
    for here, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(here) / name
            st = path.stat()
            seen[path.relative_to(folder).as_posix()] = (st.st_size, st.st_mtime_ns)
    return seen


def outside_folder(tmp_path: Path) -> Path:
    """A folder of the person's, outside the project, holding a file of the same name as
    the project's flag file and a workbook's."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "keep.txt").write_text("the person's own file", encoding="utf-8")
    return outside


def _refused(run_code: int, stderr: str, name: str) -> None:
    assert run_code == 2, stderr
    assert "Traceback" not in stderr
    assert f"{name} in the project" in stderr and "is a link" in stderr, stderr


def _no_temporaries(*folders: Path) -> None:
    for folder in folders:
        left = [p for p in folder.rglob("*") if p.name.startswith(".tmp-")]
        assert not left, left


def test_junctions_or_symlinks_are_seen_as_links(tmp_path: Path) -> None:
    """The harness itself: the link this file makes is a link to the program (on Windows
    under Wine too), else every test below would prove nothing."""
    from wizard.services.room import is_link

    make_link(tmp_path / "link", tmp_path / "target")
    assert is_link(tmp_path / "link")
    assert not is_link(tmp_path / "target")
    assert os.path.realpath(tmp_path / "link") == os.path.realpath(tmp_path / "target")


def test_export_flags_refuses_an_outbox_that_is_a_link(project: Path, tmp_path: Path) -> None:
    outside = outside_folder(tmp_path)
    replace_with_link(project / "outbox", outside)
    before = listing(outside)
    export = generate.write_csv(generate.customers(50), tmp_path / "customers.csv")

    run = convwiz("export-flags", project, "--input", export, "--json")

    _refused(run.code, run.stderr, "outbox")
    assert run.result["exit"] == 2 and "outbox" in run.result["error"]
    assert listing(outside) == before
    _no_temporaries(project, outside)


def test_report_refuses_a_reports_folder_that_is_a_link(project: Path, tmp_path: Path) -> None:
    build(project, n=30)
    outside = outside_folder(tmp_path)
    replace_with_link(project / "reports", outside)
    before = listing(outside)

    run = convwiz("report", project, "--no-encrypt", "--json")

    _refused(run.code, run.stderr, "reports")
    assert listing(outside) == before
    _no_temporaries(project, outside)


@pytest.mark.parametrize("deeper", ["reports/templates", "reports/outreach"])
def test_a_link_one_level_deeper_is_refused_too(project: Path, tmp_path: Path,
                                                deeper: str) -> None:
    build(project, n=30, xref=False)
    outside = outside_folder(tmp_path)
    replace_with_link(project / deeper, outside)
    before = listing(outside)

    command = "templates" if deeper.endswith("templates") else "outreach"
    run = convwiz(command, project, "--json")

    _refused(run.code, run.stderr, deeper)
    assert listing(outside) == before


def test_every_write_under_a_project_checks_every_folder_on_the_way(project: Path,
                                                                     tmp_path: Path) -> None:
    """The seam every file goes through: a link at any depth under the project is refused,
    and nothing is written where it points."""
    outside = outside_folder(tmp_path)
    deep = project / "reports" / "a" / "b"
    deep.mkdir(parents=True)
    make_link(deep / "c", outside)
    before = listing(outside)
    with Project.open(project), pytest.raises(UsageError) as refused:
        with atomic_output(deep / "c" / "d" / "keep.txt") as (handle, _tmp):
            handle.write(b"overwritten")
    assert "reports/a/b/c in the project" in refused.value.message
    assert listing(outside) == before
    # outside every open project, the same path is the person's choice
    with atomic_output(deep / "c" / "mine.txt") as (handle, _tmp):
        handle.write(b"chosen")
    assert (outside / "mine.txt").read_bytes() == b"chosen"


def test_purge_deletes_nothing_through_a_linked_folder(project: Path, tmp_path: Path) -> None:
    """Issue 30, case 5: `outbox/` replaced by a link to a folder holding a file of the same
    name as the flag file in the manifest; `purge --yes --force` deleted that file."""
    build(project, n=30, xref=False)
    flag_files = [p.name for p in (project / "outbox").iterdir()]
    assert flag_files
    outside = outside_folder(tmp_path)
    replace_with_link(project / "outbox", outside)  # the flag file now lies outside
    before = listing(outside)
    digests = {name: sha256_file(outside / name) for name in flag_files}
    inside_before = listing(project / "data")

    run = convwiz("purge", project, "--yes", "--force", "--json")

    _refused(run.code, run.stderr, "outbox")
    assert listing(outside) == before
    assert {name: sha256_file(outside / name) for name in flag_files} == digests
    assert listing(project / "data") == inside_before  # refused before anything went


def test_purge_leaves_a_link_in_a_files_place_and_says_why(project: Path,
                                                           tmp_path: Path) -> None:
    """A manifest file replaced by a link to a file elsewhere: purge removes the project's
    plain files, leaves the link (and the file it points at) alone, and names it."""
    build(project, n=30, xref=False)
    flag = next((project / "outbox").iterdir())
    outside = outside_folder(tmp_path)
    flag.unlink()
    if sys.platform == "win32":
        make_link(flag, outside / "a folder")  # a junction: Windows' link without privilege
    else:
        os.symlink(outside / "keep.txt", flag)
    before = listing(outside)

    run = convwiz("purge", project, "--yes", "--force", "--json")

    assert run.code == 0, run.stderr
    assert "Traceback" not in run.stderr
    name = f"outbox/{flag.name}"
    skipped = {s["name"]: s["reason"] for s in run.result["skipped"]}
    assert "link" in skipped[name]
    assert f"Left in place: {name}" in run.stderr
    assert listing(outside) == before
    assert not any((project / "data").glob("*.parquet"))  # the plain files did go


def test_a_junction_counts_as_a_link_and_a_cloud_placeholder_does_not(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Windows says what a folder is by its reparse tag: a junction (mount point) and a
    symbolic link are links; OneDrive's placeholders are ordinary folders (a project in a
    synced Documents folder must still work). Runs everywhere, by the tags alone."""
    import stat as stat_module

    from wizard.services import room

    real = os.lstat(tmp_path)

    class Seen:
        def __init__(self, tag: int) -> None:
            self.st_mode = real.st_mode
            self.st_reparse_tag = tag

    for tag, expected in ((0xA0000003, True), (0xA000000C, True), (0x9000001A, False),
                          (0, False)):
        monkeypatch.setattr(room.os, "lstat", lambda _p, tag=tag: Seen(tag))
        assert room.is_link(tmp_path) is expected, hex(tag)
        assert stat_module.S_ISDIR(Seen(tag).st_mode)


def test_a_linked_temporary_folder_is_never_emptied(project: Path, tmp_path: Path) -> None:
    """Every step empties the project's own temporary folder when it takes the lock: with
    `.tmp/` a link, that emptied the folder it pointed at."""
    outside = outside_folder(tmp_path)
    (outside / ".tmp-looks-like-ours.csv").write_text("the person's", encoding="utf-8")
    replace_with_link(project / ".tmp", outside)
    before = listing(outside)
    export = generate.write_csv(generate.customers(20), tmp_path / "customers.csv")

    run = convwiz("export-flags", project, "--input", export)

    _refused(run.code, run.stderr, ".tmp")
    assert listing(outside) == before


@pytest.mark.parametrize("name", ["convwiz.log", ".convwiz.lock", ".convwiz.lock.holder"])
def test_a_file_of_the_project_that_is_a_link_is_never_written_through(
        project: Path, tmp_path: Path, name: str) -> None:
    """The log, the lock and its holder are written by every step: a link in their place
    would append to, truncate or lock a file elsewhere."""
    outside = outside_folder(tmp_path)
    logs.configure(None)  # this process lets go of the project's log (Windows: in use)
    (project / name).unlink(missing_ok=True)
    if sys.platform == "win32":
        make_link(project / name, outside / "a folder")  # a junction: no privilege needed
    else:
        os.symlink(outside / "keep.txt", project / name)
    before = listing(outside)
    export = generate.write_csv(generate.customers(20), tmp_path / "customers.csv")

    run = convwiz("export-flags", project, "--input", export)

    _refused(run.code, run.stderr, name)
    assert listing(outside) == before


def test_purge_never_follows_a_manifest_name_out_of_the_project(project: Path,
                                                                tmp_path: Path) -> None:
    """A manifest name that climbs out (`../elsewhere/keep.txt`: a store edited by hand) is
    named and left, never deleted."""
    outside = outside_folder(tmp_path)
    before = listing(outside)
    with Project.open(project) as p:
        p.store.record_file("made", "flag_file", "../elsewhere/keep.txt",
                            sha256_file(outside / "keep.txt"), rows=0, size=1)

    run = convwiz("purge", project, "--yes", "--force", "--json")

    assert run.code == 0, run.stderr
    assert {s["name"] for s in run.result["skipped"]} == {"../elsewhere/keep.txt"}
    assert listing(outside) == before
