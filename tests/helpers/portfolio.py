"""A generated portfolio: conversions in every state, for the portfolio's tests and bench.

One template project per kind is made with the real flow (`Project.create`, steps marked,
tasks signed off, purge's marks); the others are copies of its `convwiz.sqlite` with their
own biller, BID and go-live, written straight into the copy (fast: 500 in a few seconds).
Broken ones are broken the way the world breaks them: garbage in the database, a schema
from a newer program.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from wizard.core.dates import maintenance_window
from wizard.flow.project import steps
from wizard.flow.project.project import Project
from wizard.flow.project.settings import Settings
from wizard.flow.steps import checklist
from wizard.services.store import STORE_NAME, Store


@dataclass(frozen=True)
class Kind:
    name: str
    state: str  # the state the portfolio must give
    offset: int  # go-live, days from today (the first of its kind)
    action: str | None  # how the next action must begin
    owner: str | None
    make: Callable[[Project], None]


def _nothing(project: Project) -> None:
    return None


def _coordinated(project: Project) -> None:
    for t in checklist.TASKS:
        if t.phase == "coordination":
            checklist.sign_off(project, t.id, "Pat PM")


def _exported(project: Project) -> None:
    _coordinated(project)
    with project.writing("test"):
        steps.mark_done(project, "flag_file", rows=10)


def _attention(project: Project) -> None:
    _exported(project)
    with project.writing("test"):
        steps.mark_done(project, "cross_reference", mapped=10)
        steps.mark_attention(project, "verification", lost=3)


def _complete(project: Project) -> None:
    _exported(project)
    with project.writing("test"):
        for s in ("send", "cross_reference", "verification", "report"):
            steps.mark_done(project, s)
    for t in checklist.TASKS:
        if t.step is None and t.phase != "coordination":
            checklist.sign_off(project, t.id, "Pat PM")


def _purged(project: Project) -> None:
    _complete(project)
    with project.writing("test"):
        for s in ("flag_file", "send", "cross_reference", "verification", "report"):
            steps.mark_purged(project, s)


def _live(project: Project) -> None:
    """Gone live, every task signed off, verification still to run, with a re-registration
    history of two points (the registration developer's table, schema 3)."""
    _exported(project)
    with project.writing("test"):
        for s in ("send", "cross_reference"):
            steps.mark_done(project, s)
    for t in checklist.TASKS:
        if t.step is None and t.phase != "coordination":
            checklist.sign_off(project, t.id, "Pat PM")


KINDS = (
    Kind("fresh", "on track", 40, "Confirm the go-live date", "PM", _nothing),
    Kind("coordinated", "on track", 45, "Provide Daffron with the account mapping file",
         "Biller", _exported),
    Kind("attention", "needs attention", 10, "'Verify' needs attention", "PM", _attention),
    Kind("overdue", "overdue", -6, "Overdue since", "PM", _nothing),
    Kind("done", "done", -30, "Complete", "PM", _complete),
    Kind("purged", "purged", -60, "Nothing more to do", None, _purged),
    # gone live, the workbook not yet handed over (due on the go-live date): overdue
    Kind("live", "overdue", -2, "Overdue since", "PM", _live),
)


@dataclass(frozen=True)
class Made:
    folder: Path
    kind: Kind
    go_live: date


def _template(root: Path, kind: Kind, today: date) -> Path:
    folder = root / f".template-{kind.name}"
    go_live = today + timedelta(days=kind.offset)
    with Project.create(folder, Settings(f"Template {kind.name}", go_live, "100"),
                        allow_past=True, today=today) as project:
        kind.make(project)
    return folder / STORE_NAME


def _copy(template: Path, folder: Path, biller: str, bid: int, go_live: date) -> None:
    folder.mkdir(parents=True)
    target = folder / STORE_NAME
    shutil.copyfile(template, target)
    start, end = maintenance_window(go_live, 3)
    db = sqlite3.connect(target)
    try:
        db.execute("PRAGMA synchronous=OFF")
        with db:
            for key, value in (("biller", biller), ("production_bid", str(bid)),
                               ("go_live", go_live.isoformat()),
                               ("window_start", start.isoformat()),
                               ("window_end", end.isoformat())):
                db.execute("UPDATE settings SET value = ? WHERE key = ?",
                           (f'"{value}"', key))
    finally:
        db.close()


def add_registration(store_file: Path, registered: int, expected: int) -> None:
    """The registration developer's table (schema 3), with two points; the newest counts."""
    db = sqlite3.connect(store_file)
    try:
        with db:
            db.execute("CREATE TABLE IF NOT EXISTS registration_points (seq INTEGER PRIMARY "
                       "KEY AUTOINCREMENT, at TEXT NOT NULL, date TEXT NOT NULL, "
                       "export_sha256 TEXT NOT NULL UNIQUE, registered INTEGER NOT NULL, "
                       "expected INTEGER NOT NULL, by_segment TEXT NOT NULL DEFAULT '{}')")
            for n, (r, e) in enumerate(((registered // 2, expected), (registered, expected))):
                db.execute("INSERT INTO registration_points (at, date, export_sha256, "
                           "registered, expected) VALUES ('2026-01-01T00:00:00+00:00', "
                           "'2026-01-01', ?, ?, ?)", (f"sha{n}", r, e))
    finally:
        db.close()


def _make(root: Path, templates: dict[str, Path], name: str, kind: Kind,
          go_live: date) -> Made:
    folder = root / name
    _copy(templates[kind.name], folder, f"Biller {name}", 2000 + len(name), go_live)
    if kind.name == "live":
        add_registration(folder / STORE_NAME, 620, 1000)
    return Made(folder, kind, go_live)


def generate_portfolio(root: Path, count: int, today: date | None = None) -> list[Made]:
    """`count` conversions under `root`, the kinds in turn, go-lives 4 days apart within a
    kind so that no two windows overlap by chance; plus one damaged database, one from a
    newer program and a plain folder of notes (not a conversion: not listed)."""
    today = today or date.today()
    root.mkdir(parents=True, exist_ok=True)
    templates = {k.name: _template(root / ".templates", k, today) for k in KINDS}
    made: list[Made] = []
    ahead, behind = 0, 0  # go-lives 3 days apart: no two windows overlap by chance
    for i in range(max(count - 4, 0)):
        kind = KINDS[i % len(KINDS)]
        if kind.offset > 0:
            go_live = today + timedelta(days=10 + 3 * ahead)
            ahead += 1
        else:
            go_live = today + timedelta(days=kind.offset - 3 * behind)
            behind += 1
        made.append(_make(root, templates, f"{i:04d}-{kind.name}", kind, go_live))
    # two windows that overlap on two days, ahead of every other
    fresh = KINDS[0]
    made.append(_make(root, templates, "clash-a", fresh, today + timedelta(days=5)))
    made.append(_make(root, templates, "clash-b", fresh, today + timedelta(days=6)))
    broken = root / "zz-damaged"
    broken.mkdir()
    (broken / STORE_NAME).write_bytes(b"this is not a database\n" * 200)
    newer = root / "zz-newer"
    _copy(templates["fresh"], newer, "Newer Program Co", 9999, today + timedelta(days=90))
    db = sqlite3.connect(newer / STORE_NAME)
    db.execute(f"PRAGMA user_version = {Store.known_schema() + 1}")
    db.close()
    (root / "PM notes").mkdir()
    (root / "PM notes" / "todo.txt").write_text("call Acme\n", encoding="utf-8")
    shutil.rmtree(root / ".templates")
    return made
