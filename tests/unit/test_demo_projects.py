"""Demo projects are demo projects (issue 31): the demo marks what it makes; the portfolio
says so (`"demo": true`), never counts a demo overdue nor in a window clash, lists it after
the real conversions; and a demo is removed by purge's rules, leaving what the PM put there."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.helpers.cli import convwiz
from wizard.errors import UsageError
from wizard.flow import demo
from wizard.flow.demo_projects import remove_demo
from wizard.flow.project.project import Project
from wizard.flow.project.settings import Settings
from wizard.services.store import STORE_NAME

TODAY = date.today()


def real_conversion(folder: Path, go_live: date) -> Path:
    with Project.create(folder, Settings(biller="Real Co-op", go_live=go_live,
                                         production_bid="4410", window_days=3,
                                         pm_name="Pat Lee"), allow_past=True) as project:
        return project.folder


def a_demo(folder: Path, today: date) -> Path:
    """A project made as the demo makes it (without its simulator)."""
    with demo._create_project(folder, today) as project:
        return project.folder


def an_old_demo(folder: Path, today: date) -> Path:
    """A demo made before the demo recorded the setting: its settings alone."""
    with Project.create(folder, Settings(
            biller=demo.BILLER, go_live=today + timedelta(days=2), production_bid="2806",
            window_days=3, pm_name="Demo PM", pm_email="demo.pm@example.com"),
            today=today) as project:
        return project.folder


def listed(*folders: Path) -> dict[str, dict[str, object]]:
    run = convwiz("portfolio", *folders, "--json")
    assert run.code == 0, run.stderr
    return {Path(str(c["path"])).name: c for c in run.result["conversions"]} | {
        "_clashes": {"n": len(run.result["clashes"])}}


def test_demos_are_marked_never_overdue_and_in_no_clash(tmp_path: Path) -> None:
    # two demos made 40 days ago (their checklists long overdue, their windows overlapping
    # each other's and a real conversion's), one made before the setting existed
    old = TODAY - timedelta(days=40)
    first = a_demo(tmp_path / "demo-1", old)
    second = a_demo(tmp_path / "demo-2", old)
    older = an_old_demo(tmp_path / "demo-old", old)
    real = real_conversion(tmp_path / "real", old + timedelta(days=2))
    rows = listed(first, second, older, real)
    for name in ("demo-1", "demo-2", "demo-old"):
        assert rows[name]["demo"] is True, rows[name]
        assert rows[name]["state"] != "overdue", rows[name]
        assert rows[name]["overdue_tasks"] == 0
        assert rows[name]["clash"] is False and rows[name]["clashes_with"] == []
    assert rows["real"]["demo"] is False
    assert rows["real"]["state"] == "overdue"  # the real one is still counted
    assert rows["_clashes"]["n"] == 0
    # the real conversion first: demos come after every real conversion
    run = convwiz("portfolio", first, real, second, "--json")
    assert [Path(str(c["path"])).name for c in run.result["conversions"]][0] == "real"


def test_the_portfolio_workbook_marks_demos(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    first = a_demo(tmp_path / "demo-1", TODAY)
    real = real_conversion(tmp_path / "real", TODAY + timedelta(days=20))
    out = tmp_path / "portfolio.xlsx"
    assert convwiz("portfolio", first, real, "--workbook", out).code == 0
    ws = load_workbook(out).active
    states = {ws.cell(r, 2).value: ws.cell(r, 1).value for r in range(2, ws.max_row + 1)}
    assert states[demo.BILLER].endswith("(demo)")
    assert "demo" not in states["Real Co-op"]


def test_a_demo_is_removed_by_purges_rules_and_what_the_pm_put_there_stays(
        tmp_path: Path) -> None:
    folder = a_demo(tmp_path / "demo", TODAY)
    with Project.open(folder) as project, project.writing("test"):
        made = project.outbox / "flags.csv"
        made.write_text("made by the program")
        project.record_made(made, "flag_file", rows=1)
    mine = folder / "reports" / "my notes.txt"
    mine.write_text("the PM's own")
    removed = remove_demo(folder)
    assert not made.exists() and not (folder / STORE_NAME).exists()
    assert mine.read_text() == "the PM's own"
    assert removed.kept == (str(Path("reports") / "my notes.txt"),)
    assert "my notes.txt" in removed.words()
    assert not (folder / "outbox").exists()  # left empty: removed
    # no longer a project: a scan lists it no more
    run = convwiz("portfolio", tmp_path, "--json")
    assert [c for c in run.result["conversions"] if c["path"] == str(folder)] == []


def test_a_demo_with_nothing_of_the_pms_goes_entirely(tmp_path: Path) -> None:
    folder = a_demo(tmp_path / "demo", TODAY)
    assert remove_demo(folder).kept == ()
    assert not folder.exists()


def test_a_real_conversion_is_not_removed_as_a_demo(tmp_path: Path) -> None:
    folder = real_conversion(tmp_path / "real", TODAY + timedelta(days=20))
    with pytest.raises(UsageError, match="not a demo project"):
        remove_demo(folder)
    assert (folder / STORE_NAME).exists()


def test_the_command_says_which_are_demos(tmp_path: Path) -> None:
    first = a_demo(tmp_path / "demo-1", TODAY - timedelta(days=40))
    real = real_conversion(tmp_path / "real", TODAY + timedelta(days=20))
    run = convwiz("portfolio", first, real)
    assert run.code == 0, run.stderr
    demo_line = next(line for line in run.stdout.splitlines() if demo.BILLER in line)
    assert demo_line.startswith("DEMO ") and "OVERDUE" not in demo_line
    assert "1 conversion and 1 demo project" in run.stderr
