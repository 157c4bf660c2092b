"""`convwiz portfolio` on a generated portfolio of 200 conversions in every state: each gets
the right state, next action and owner, the clash and the holiday flags, in the order of
urgency; broken ones are unreadable with why and the list goes on; nothing is written."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import holidays
import icalendar
import pytest
from openpyxl import load_workbook

from tests.helpers.cli import convwiz
from tests.helpers.portfolio import KINDS, Made, generate_portfolio
from wizard.flow.overview.portfolio import urgency
from wizard.flow.project.project import Project
from wizard.flow.project.settings import Settings
from wizard.services.store import STORE_NAME, Store

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class OneDay:
    """A portfolio generated and listed on the same day."""
    root: Path
    made: list[Made]
    today: date
    rows: dict[str, dict[str, object]]


@pytest.fixture(scope="module")
def one_day(tmp_path_factory: pytest.TempPathFactory) -> OneDay:
    """States and days left count from the day the program reads the portfolio, and the
    kinds were made relative to the day they were generated: a run across midnight makes
    and lists them again, so the two are always the same day (the listing says its day)."""
    for _ in range(3):
        today = date.today()
        root = tmp_path_factory.mktemp("portfolio") / "Conversion Wizard"
        made = generate_portfolio(root, 200, today)
        run = convwiz("portfolio", root, "--json")
        assert run.code == 0, run.stderr
        if run.result["today"] == today.isoformat():
            rows = {Path(str(c["path"])).name: c for c in run.result["conversions"]}
            return OneDay(root, made, today, rows)
    raise AssertionError("the day turned three times while 200 conversions were listed")


@pytest.fixture
def generated(one_day: OneDay) -> tuple[Path, list[Made]]:
    return one_day.root, one_day.made


@pytest.fixture
def listed(one_day: OneDay) -> dict[str, dict[str, object]]:
    return one_day.rows


def files_and_times(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_every_conversion_gets_its_state_next_action_and_owner(one_day: OneDay) -> None:
    made, listed = one_day.made, one_day.rows
    assert {m.kind.name for m in made} == {k.name for k in KINDS}
    for m in made:
        row = listed[m.folder.name]
        assert row["state"] == m.kind.state, (m.folder.name, row)
        assert str(row["next_action"]).startswith(str(m.kind.action)), (m.folder.name, row)
        assert row["owner"] == m.kind.owner, (m.folder.name, row)
        assert row["go_live"] == m.go_live.isoformat()
        assert row["days_left"] == (m.go_live - one_day.today).days
        assert row["window"] == [(m.go_live - timedelta(days=2)).isoformat(),
                                 m.go_live.isoformat()]
        assert set(row["open_tasks"]) == {"PM", "Biller", "Milsoft"}  # type: ignore[arg-type]
    # a live conversion shows its latest re-registration; one not yet live shows none
    live = next(m for m in made if m.kind.name == "live")
    assert listed[live.folder.name]["registration"] == "62%"
    fresh = next(m for m in made if m.kind.name == "fresh")
    assert listed[fresh.folder.name]["registration"] is None
    # a fresh one: every task open, by owner as the checklist says
    assert listed[fresh.folder.name]["open_tasks"] == {"PM": 18, "Biller": 4, "Milsoft": 3}
    assert listed[fresh.folder.name]["step"] == "checklist"


def test_broken_ones_are_unreadable_with_why_and_plain_folders_are_not_listed(
        listed: dict[str, dict[str, object]]) -> None:
    assert listed["zz-damaged"]["state"] == "unreadable"
    assert "damaged" in str(listed["zz-damaged"]["error"])
    newer = listed["zz-newer"]
    assert newer["state"] == "unreadable"
    assert f"schema {Store.known_schema() + 1}" in str(newer["error"])
    assert "newer" in str(newer["error"])
    assert "PM notes" not in listed
    assert len(listed) == 200


def test_sorted_by_urgency(generated: tuple[Path, list[Made]]) -> None:
    root, _made = generated
    rows = convwiz("portfolio", root, "--json").result["conversions"]
    groups = [0 if r["state"] in ("overdue", "needs attention") else
              1 if r["state"] in ("on track", "busy") else
              2 if r["state"] == "unreadable" else 3 for r in rows]
    assert groups == sorted(groups)
    urgent = [r["days_left"] for r, g in zip(rows, groups) if g == 0]
    running = [r["days_left"] for r, g in zip(rows, groups) if g == 1]
    assert urgent == sorted(urgent) and running == sorted(running)
    assert rows[0]["state"] in ("overdue", "needs attention")


def test_overlapping_windows_are_flagged_on_both_rows(one_day: OneDay) -> None:
    root, made, listed = one_day.root, one_day.made, one_day.rows
    result = convwiz("portfolio", root, "--json").result
    active = [m for m in made if m.kind.state not in ("done", "purged")]
    expected = set()
    for i, a in enumerate(active):
        for b in active[i + 1:]:
            if a.go_live - timedelta(days=2) <= b.go_live and \
                    b.go_live - timedelta(days=2) <= a.go_live:
                expected.add(frozenset((str(a.folder), str(b.folder))))
    got = {frozenset(c["paths"]) for c in result["clashes"]}
    assert got == expected
    assert frozenset((str(root / "clash-a"), str(root / "clash-b"))) in got
    clash = next(c for c in result["clashes"] if str(root / "clash-a") in c["paths"])
    assert clash["days"] == [(one_day.today + timedelta(days=n)).isoformat() for n in (4, 5)]
    for name, other in (("clash-a", "clash-b"), ("clash-b", "clash-a")):
        assert listed[name]["clash"] is True
        assert any(other in w and "clashes" in w for w in listed[name]["warnings"])  # type: ignore[attr-defined]
    flagged = {n for n, r in listed.items() if r["clash"]}
    assert flagged == {Path(p).name for pair in expected for p in pair}


def test_weekends_and_federal_holidays_are_named(
        generated: tuple[Path, list[Made]], listed: dict[str, dict[str, object]]) -> None:
    _root, made = generated
    federal = holidays.country_holidays("US")
    for m in made:
        warnings = [w for w in listed[m.folder.name]["warnings"]  # type: ignore[attr-defined]
                    if "clashes" not in w]
        if m.kind.state in ("done", "purged"):
            assert warnings == []
            continue
        expected = 0
        for n in range(3):
            day = m.go_live - timedelta(days=n)
            if day.weekday() >= 5:
                expected += 1
                assert any(day.isoformat() in w and "weekend" in w for w in warnings)
            if day in federal:
                expected += 1
                assert any(federal[day] in w for w in warnings)
        assert len(warnings) == expected, (m.folder.name, warnings)


def test_a_go_live_on_martin_luther_king_day(tmp_path: Path) -> None:
    with Project.create(tmp_path / "acme", Settings("Acme Electric Co-op", date(2027, 1, 18),
                                                    "2806"), allow_past=True):
        pass
    row = convwiz("portfolio", tmp_path / "acme", "--json").result["conversions"][0]
    assert "go-live on a US federal holiday: Martin Luther King Jr. Day" in row["warnings"]
    assert "maintenance window on a weekend: Saturday 2027-01-16" in row["warnings"]


def test_the_portfolio_writes_nothing(generated: tuple[Path, list[Made]]) -> None:
    root, _made = generated
    before = files_and_times(root)
    assert convwiz("portfolio", root, "--json").code == 0
    assert files_and_times(root) == before
    assert not [p for p in root.rglob("*") if p.name.endswith(("-wal", "-shm", ".lock"))]


def test_a_schema_this_program_knows_is_read(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p", Settings("Acme", date.today() + timedelta(days=40), "1")):
        pass
    db = sqlite3.connect(tmp_path / "p" / STORE_NAME)
    assert db.execute("PRAGMA user_version").fetchone()[0] == Store.known_schema()
    db.close()
    assert convwiz("portfolio", tmp_path, "--json").result["conversions"][0]["state"] == \
        "on track"


def test_named_folders_that_are_not_projects_are_unreadable(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "a-file.txt").write_text("x", encoding="utf-8")
    run = convwiz("portfolio", tmp_path / "notes", tmp_path / "gone", tmp_path / "a-file.txt",
                  "--json")
    assert run.code == 0
    rows = {Path(r["path"]).name: r for r in run.result["conversions"]}
    assert {r["state"] for r in rows.values()} == {"unreadable"}
    assert "not a conversion project" in rows["notes"]["error"]
    assert "not there" in rows["gone"]["error"]
    assert "not a conversion project" in rows["a-file.txt"]["error"]


HOLD = """
import sys
from wizard.flow.project.project import Project
p = Project.open(sys.argv[1])
p.acquire("fetch-xref")
print("holding", flush=True)
sys.stdin.read()
"""


def test_a_project_another_process_writes_is_busy_with_its_last_state(
        generated: tuple[Path, list[Made]], tmp_path: Path) -> None:
    root, made = generated
    attention = next(m for m in made if m.kind.name == "attention")
    copy = tmp_path / "busy"
    # copyfile: Wine lacks CopyFile2, which copy2 calls on Windows
    shutil.copytree(attention.folder, copy, copy_function=shutil.copyfile)
    with subprocess.Popen([sys.executable, "-c", HOLD, str(copy)], cwd=ROOT,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, encoding="utf-8",
                          env={**os.environ, "PYTHONPATH": str(ROOT)}) as holder:
        assert holder.stdout is not None and holder.stdin is not None
        try:
            assert holder.stdout.readline().strip() == "holding"
            row = convwiz("portfolio", copy, "--json").result["conversions"][0]
            assert row["state"] == "busy"
            assert row["last_state"] == "needs attention"
            assert f"pid {holder.pid}: fetch-xref" in row["next_action"]
            assert row["biller"] == f"Biller {attention.folder.name}"
            # it sorts as urgent as its last state
            rows = convwiz("portfolio", root, copy, "--json").result["conversions"]
            assert [r["path"] for r in rows].index(str(copy)) < len(rows) // 2
        finally:
            holder.stdin.close()
            holder.wait(30)
    assert convwiz("portfolio", copy, "--json").result["conversions"][0]["state"] == \
        "needs attention"


def test_without_a_list_of_locks_the_holder_file_and_its_process_decide(
        tmp_path: Path) -> None:
    """Windows and macOS have no /proc/locks: the holder file names the writer, who is busy
    only while that process lives, and never this program itself (its own window)."""
    from wizard.flow.overview.portfolio import _busy_holder
    from wizard.flow.project.lock import HOLDER_NAME

    holder = tmp_path / HOLDER_NAME
    with subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                          stdin=subprocess.PIPE) as other:
        assert other.stdin is not None
        holder.write_text(f"pid {other.pid}: send\n", encoding="utf-8")
        assert _busy_holder(tmp_path, None) == f"pid {other.pid}: send"
        other.stdin.close()
        other.wait(30)
    assert _busy_holder(tmp_path, None) is None  # it ended without clearing the file
    holder.write_text(f"pid {os.getpid()}: convwiz gui\n", encoding="utf-8")
    assert _busy_holder(tmp_path, None) is None
    holder.write_text("", encoding="utf-8")  # released
    assert _busy_holder(tmp_path, None) is None


NOBODY = 65534


AS_NOBODY = """
import os, sys
from pathlib import Path
from wizard.cli import main
from wizard.flow.overview.portfolio import portfolio
import wizard.flow.overview.portfolio_files
portfolio([Path(sys.argv[1])])  # every module loaded while root: Python lives in /root
os.setgid(65534)
os.setuid(65534)
sys.exit(main(["portfolio", sys.argv[1], "--json"]))
"""


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX users and modes")
def test_a_folder_without_permission_is_unreadable(tmp_path: Path) -> None:
    """Root reads every folder, so as root the reader gives its rights up (becomes
    `nobody`) before it reads; as anyone else, a folder made unreadable is enough."""
    base = tmp_path / "share"
    base.mkdir()
    for name in ("mine", "theirs"):
        with Project.create(base / name, Settings(name, date.today() + timedelta(days=40), "1")):
            pass
    opened = (tmp_path.parent.parent, tmp_path.parent, tmp_path, base)
    modes = [p.stat().st_mode & 0o777 for p in opened]
    if os.geteuid() == 0:
        for p in opened:  # pytest's folders are root's alone: nobody must reach `base`
            os.chmod(p, 0o755)  # noqa: S103 - given back below
        for p in (base / "mine", *(base / "mine").rglob("*")):
            os.chown(p, NOBODY, NOBODY)
        command = [sys.executable, "-c", AS_NOBODY, str(base)]
    else:
        os.chmod(base / "theirs", 0)
        command = [sys.executable, "-m", "wizard", "portfolio", str(base), "--json"]
    try:
        proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, encoding="utf-8",
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    finally:
        os.chmod(base / "theirs", 0o700)
        for p, mode in zip(opened, modes):
            os.chmod(p, mode)
    assert proc.returncode == 0, proc.stderr
    rows = {Path(r["path"]).name: r
            for r in json.loads(proc.stdout.splitlines()[-1])["conversions"]}
    assert rows["mine"]["state"] == "on track"
    assert rows["theirs"]["state"] == "unreadable"
    assert "no permission" in rows["theirs"]["error"]


def test_calendar_imported_twice_has_no_duplicates(generated: tuple[Path, list[Made]],
                                                   tmp_path: Path) -> None:
    root, made = generated
    first, second = tmp_path / "one.ics", tmp_path / "two.ics"
    assert convwiz("portfolio", root, "--calendar", first, "--json").code == 0
    assert convwiz("portfolio", root, "--calendar", second, "--json").code == 0
    calendars = [icalendar.Calendar.from_ical(p.read_bytes()) for p in (first, second)]
    uids = [[str(e["uid"]) for e in c.walk("VEVENT")] for c in calendars]
    assert len(uids[0]) == len(set(uids[0]))  # one import: no two events alike
    assert set(uids[0]) == set(uids[1])  # a second import updates the same events
    # go-live, window and 25 tasks each; a live conversion with re-registration measured
    # has the biller's "Customers re-registered" task too
    measured = [m for m in made if m.kind.name == "live"]
    assert measured
    assert len(uids[0]) == len(made) * 27 + len(measured)
    assert len([u for u in uids[0] if "task-customers_reregistered" in u]) == len(measured)
    clash = next(m for m in made if m.folder.name == "clash-a")
    events = {str(e["uid"]): e for e in calendars[0].walk("VEVENT")}
    go_live = next(e for u, e in events.items() if "clash-a" in u and "go-live" in u)
    assert go_live.decoded("dtstart") == clash.go_live


def test_workbook_one_printable_sheet(generated: tuple[Path, list[Made]],
                                      tmp_path: Path) -> None:
    root, _made = generated
    out = tmp_path / "portfolio.xlsx"
    run = convwiz("portfolio", root, "--workbook", out, "--json")
    assert run.code == 0 and "not encrypted" in run.stderr
    book = load_workbook(out)
    assert book.sheetnames == ["Portfolio"]
    ws = book["Portfolio"]
    assert ws.max_row == 201
    states = [ws.cell(r, 1).value for r in range(2, 202)]
    assert states == [r["state"] + (" (clash)" if r["clash"] else "")
                      for r in run.result["conversions"]]
    assert ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows == "$1:$1"
    # fitted to one page wide, as tall as it takes (1 is the default, so left out)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
    assert isinstance(ws.cell(2, 3).value, __import__("datetime").datetime)


def test_forty_conversions_fit_one_page(tmp_path: Path) -> None:
    generate_portfolio(tmp_path / "p", 40, date.today())
    out = tmp_path / "forty.xlsx"
    assert convwiz("portfolio", tmp_path / "p", "--workbook", out).code == 0
    ws = load_workbook(out)["Portfolio"]
    assert ws.max_row == 41
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight in (None, 1)


def test_urgency_puts_unreadable_after_running_ones() -> None:
    from wizard.flow.overview.portfolio import Conversion, unreadable

    rows = [unreadable(Path("/x"), "gone"),
            Conversion(Path("/a"), "on track", days_left=3),
            Conversion(Path("/b"), "overdue", days_left=-2),
            Conversion(Path("/c"), "done", days_left=-40)]
    assert [r.path.name for r in sorted(rows, key=urgency)] == ["b", "a", "x", "c"]
