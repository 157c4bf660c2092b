"""The PM's portfolio (`convwiz portfolio`, the start screen): every conversion at a glance,
most urgent first, with the clashes between maintenance windows and the days that fall on a
weekend or a US federal holiday.

It never harms a conversion. Each project's store is opened immutable (`Store(...,
immutable=True)`: no lock, no migration, no -wal or -shm made, nothing written), and what it
says comes from the same rules as `convwiz status` (`flow.overview.status`, `flow.project.steps`,
`flow.steps.checklist`). A project another process is writing (it holds the one-writer lock) is
`busy`, shown with its state as last saved. A broken one is `unreadable`, with why, and the
list goes on.

A row's state, the first that applies in the contract's order: unreadable, busy, purged,
needs attention (a step found something a person must resolve, or the audit log's chain is
broken), overdue (a checklist task
whose due date, the conversion calendar's, has passed without a sign-off), done (every
step done and every task signed off), on track.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import holidays

from wizard.core.registration_points import percent_text
from wizard.flow.overview.portfolio_sources import Candidate, candidates
from wizard.flow.overview.status import ProjectStatus, status
from wizard.flow.papers.conversion_calendar import CalendarEvent, events
from wizard.flow.project.lock import LOCK_NAME, holder_text
from wizard.flow.project.project import Project
from wizard.flow.project.settings import is_demo
from wizard.flow.project.steps import State
from wizard.flow.project.steps import step as step_of
from wizard.flow.steps import checklist
from wizard.services import places
from wizard.services.store import STORE_NAME, Store, stored_schema

UNREADABLE, BUSY, PURGED = "unreadable", "busy", "purged"
ATTENTION, OVERDUE, DONE, ON_TRACK = "needs attention", "overdue", "done", "on track"
# where several apply, the first wins (CONTRACT.md, "The portfolio")
STATES = (UNREADABLE, BUSY, PURGED, ATTENTION, OVERDUE, DONE, ON_TRACK)
OWNERS = (checklist.PM, checklist.BILLER, checklist.MILSOFT)
READERS = 4  # projects read at once: the disk waits overlap (a cold cache, a network share)


@dataclass(frozen=True)
class Clash:
    """Two conversions whose maintenance windows overlap: the PM cannot renumber both."""

    paths: tuple[Path, Path]
    billers: tuple[str, str]
    days: tuple[date, ...]

    def describe(self, this: Path) -> str:
        other = self.billers[1] if self.paths[0] == this else self.billers[0]
        other_path = self.paths[1] if self.paths[0] == this else self.paths[0]
        return (f"maintenance window clashes with {other}'s ({other_path}) on "
                f"{days_words(self.days)}")

    def to_json(self) -> dict[str, Any]:
        return {"paths": [str(p) for p in self.paths], "billers": list(self.billers),
                "days": [d.isoformat() for d in self.days]}


@dataclass(frozen=True)
class Conversion:
    """One row of the portfolio. For `unreadable`, only `path` and `error` are known."""

    path: Path
    state: str
    biller: str | None = None
    go_live: date | None = None
    days_left: int | None = None
    window: tuple[date, date] | None = None
    step: str | None = None  # the command of the step to do next (`status`'s next step)
    step_title: str | None = None
    open_tasks: dict[str, int] | None = None
    overdue_tasks: int = 0
    next_action: str | None = None
    owner: str | None = None
    warnings: tuple[str, ...] = ()
    error: str | None = None
    last_state: str | None = None  # busy: the state as last saved, when it could be read
    registration: str | None = None  # live: the latest registered / expected, e.g. "62%"
    clashes: tuple[Path, ...] = ()
    demo: bool = False  # a demo project: marked, in no clash, never overdue (demo_projects.py)
    calendar: tuple[CalendarEvent, ...] = field(default=(), compare=False)

    @property
    def urgent_state(self) -> str:
        """The state that says how urgent it is (a busy one's, as last saved)."""
        return self.last_state if self.state == BUSY and self.last_state else self.state

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path), "biller": self.biller,
            "go_live": self.go_live.isoformat() if self.go_live else None,
            "days_left": self.days_left,
            "window": [d.isoformat() for d in self.window] if self.window else None,
            "state": self.state, "step": self.step,
            "open_tasks": self.open_tasks, "overdue_tasks": self.overdue_tasks,
            "next_action": self.next_action, "owner": self.owner,
            "warnings": list(self.warnings), "error": self.error,
            "last_state": self.last_state, "registration": self.registration,
            "clash": bool(self.clashes), "clashes_with": [str(p) for p in self.clashes],
            "demo": self.demo,
        }


@dataclass(frozen=True)
class Portfolio:
    conversions: tuple[Conversion, ...]
    clashes: tuple[Clash, ...]
    today: date

    def to_json(self) -> dict[str, Any]:
        return {"conversions": [c.to_json() for c in self.conversions],
                "clashes": [c.to_json() for c in self.clashes],
                "today": self.today.isoformat()}

    def count(self, state: str) -> int:
        return sum(1 for c in self.conversions if c.state == state)


def portfolio(folders: Sequence[Path] | None = None, today: date | None = None, *,
              with_calendar: bool = False, recent: Sequence[Path] | None = None,
              readers: int | None = None) -> Portfolio:
    """Every conversion under `folders` (default: the documents folder's `Conversion
    Wizard` and the window's recent projects, `recent` when the window gives them), most
    urgent first. `readers`: projects read at once (the window reads one at a time, so its
    own thread waits less for Python's lock)."""
    today = today or date.today()
    found = candidates(folders, recent)
    locks = places.flock_holders()
    read = functools.partial(read_conversion, today=today, locks=locks,
                             with_calendar=with_calendar)
    readers = READERS if readers is None else readers
    if len(found) > 1 and readers > 1:
        with ThreadPoolExecutor(max_workers=min(readers, len(found))) as pool:
            rows = [r for r in pool.map(read, found) if r is not None]
    else:
        rows = [r for r in map(read, found) if r is not None]
    clashes = find_clashes(rows)
    rows = flag_clashes(rows, clashes)
    return Portfolio(tuple(sorted(rows, key=urgency)), tuple(clashes), today)


def urgency(c: Conversion) -> tuple[int, int, str, str]:
    """Overdue and needs attention first, then by days to go-live (the nearest first);
    unreadable ones after those still running, done and purged last, demos after all."""
    s = c.urgent_state
    group = 4 if c.demo else {ATTENTION: 0, OVERDUE: 0, ON_TRACK: 1, BUSY: 1,
                              UNREADABLE: 2}.get(s, 3)
    days = c.days_left if c.days_left is not None else 1 << 30
    return group, days, (c.biller or "").casefold(), str(c.path)


# -- one project ----------------------------------------------------------------------------
def unreadable(folder: Path, why: str) -> Conversion:
    return Conversion(path=folder, state=UNREADABLE, error=why,
                      next_action=f"Check the folder: {why}", owner=checklist.PM)


def read_conversion(candidate: Candidate, today: date, locks: dict[int, int] | None = None,
                    with_calendar: bool = False) -> Conversion | None:
    """The row for one folder; None for a plain folder found while scanning."""
    folder = candidate.folder
    if candidate.error:
        return unreadable(folder, candidate.error)
    store_path = folder / STORE_NAME
    try:
        schema = stored_schema(store_path)
    except FileNotFoundError:
        if not candidate.named:
            return None
        if not folder.exists():
            return unreadable(folder, "the folder is not there (a drive or network share "
                                      "that is not connected, or it was moved)")
        return unreadable(folder, f"not a conversion project (no {STORE_NAME})")
    except PermissionError:
        return unreadable(folder, f"no permission to read {STORE_NAME}: ask for access to "
                                  "the folder")
    except NotADirectoryError:
        return unreadable(folder, "not a conversion project: a file, not a folder")
    except IsADirectoryError:
        return unreadable(folder, f"{STORE_NAME} is a folder, not a project's database")
    except sqlite3.DatabaseError:
        return unreadable(folder, f"{STORE_NAME} is damaged: it is not a SQLite database")
    except OSError as exc:
        return unreadable(folder, f"{STORE_NAME} cannot be read: {exc.strerror}")
    if schema > Store.known_schema():
        return unreadable(folder, f"made by a newer Conversion Wizard (schema {schema}; this "
                                  f"one knows up to {Store.known_schema()}): update the "
                                  "program to open it")
    holder = _busy_holder(folder, locks)
    try:
        row = _read_store(folder, today, with_calendar)
    except sqlite3.DatabaseError as exc:
        if holder is None:
            return unreadable(folder, f"{STORE_NAME} is damaged ({exc})")
        row = Conversion(path=folder, state=BUSY)
    except (KeyError, ValueError, TypeError) as exc:
        if holder is None:
            return unreadable(folder, f"{STORE_NAME} holds no usable settings ({exc!r}): an "
                                      "interrupted `convwiz init`?")
        row = Conversion(path=folder, state=BUSY)
    if holder is not None:
        last = row.state if row.state != BUSY else None
        before = f"; as last saved: {row.next_action}" if row.next_action else ""
        return replace(row, state=BUSY, last_state=last, owner=row.owner,
                       next_action=f"Wait: another program is writing it ({holder}){before}")
    return row


def _busy_holder(folder: Path, locks: dict[int, int] | None) -> str | None:
    """Who writes the project now (the one-writer lock's holder), or None. Read without
    touching the lock: Linux's list of locks, elsewhere the holder file and its process."""
    text = holder_text(folder)
    if locks is not None:
        try:
            inode = (folder / LOCK_NAME).stat().st_ino
        except OSError:
            return None
        if inode not in locks:
            return None
        return text or f"pid {locks[inode]}"
    if not text.startswith("pid "):
        return None
    try:
        pid = int(text[4:].split(":", 1)[0])
    except ValueError:
        return None
    if pid == os.getpid():
        return None  # this program's own window holds it (as /proc/locks leaves out our pid)
    return text if places.process_alive(pid) else None


class _Snapshot(Store):
    """A project's store read once, immutable: settings, steps and sign-offs in three
    queries, then every read `status` makes served from memory (it asks for the same rows
    some twenty times)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, immutable=True)
        try:
            self._settings = super().settings()
            self._steps = super().steps()
            self._sign_offs = super().sign_offs()
        except BaseException:
            self.close()
            raise

    def settings(self) -> dict[str, Any]:
        return dict(self._settings)

    def setting(self, key: str, default: Any = None) -> Any:
        return self._settings.get(key, default)

    def steps(self) -> dict[str, tuple[str, str, dict[str, Any]]]:
        return self._steps

    def step(self, step_id: str) -> tuple[str, str, dict[str, Any]] | None:
        return self._steps.get(step_id)

    def sign_offs(self) -> dict[str, dict[str, str]]:
        return self._sign_offs


def _read_store(folder: Path, today: date, with_calendar: bool) -> Conversion:
    store = _Snapshot(folder / STORE_NAME)
    try:
        project = Project(folder, store)
        current = status(project)
        registration = None
        if current.dates.go_live <= today:
            point = store.latest_registration_point()
            if point is not None and point[1] > 0:
                registration = percent_text(point[0], point[1])
        calendar = tuple(events(project)) if with_calendar else ()
    finally:
        store.close()
    row = describe(current, today, demo=is_demo(store.settings()))
    warnings = list(row.warnings)
    if _has_unmerged_changes(folder):
        warnings.append(f"its last changes are still in {STORE_NAME}-wal (a program stopped "
                        "while writing?): shown as last merged; opening it merges them")
    return replace(row, registration=registration, calendar=calendar,
                   warnings=tuple(warnings))


def _has_unmerged_changes(folder: Path) -> bool:
    with contextlib.suppress(OSError):
        return (folder / f"{STORE_NAME}-wal").stat().st_size > 0
    return False


def describe(current: ProjectStatus, today: date, demo: bool = False) -> Conversion:
    """A readable project's row, from what `status` computes. A demo is never overdue."""
    d = current.dates
    tasks = [t for t in current.checklist if not t.done]
    overdue = [] if demo else sorted(
        (t for t in tasks if date.fromisoformat(t.due) < today), key=lambda t: t.due)
    open_tasks = {owner: sum(1 for t in tasks if t.owner == owner) for owner in OWNERS}
    attention = [s for s in current.steps if s.state is State.ATTENTION]
    title = next((s.title for s in current.steps if s.id == current.next_step), None)
    record = current.record_attention
    if any(s.state is State.PURGED for s in current.steps):
        state, action, owner = (PURGED, record or "Nothing more to do: its files were purged "
                                "(the audit log stays)", None if record is None else checklist.PM)
    elif attention or record:
        state, action, owner = ATTENTION, current.headline(), checklist.PM
    elif overdue:
        first = overdue[0]
        more = f" (and {len(overdue) - 1} more overdue)" if len(overdue) > 1 else ""
        state, owner = OVERDUE, first.owner
        action = f"Overdue since {first.due}: {first.title}{more}"
    elif current.complete:
        state, action, owner = DONE, ("Complete: purge its files when the biller no longer "
                                      "needs them"), checklist.PM
    else:
        state = ON_TRACK
        action, owner = _next_action(current, tasks, title)
    return Conversion(
        path=current.folder, state=state, biller=current.settings.biller,
        go_live=d.go_live, days_left=d.days_to_go_live(today),
        window=(d.window_start, d.window_end),
        step=step_of(current.next_step).command if current.next_step else None,
        step_title=title, open_tasks=open_tasks, overdue_tasks=len(overdue),
        next_action=action, owner=owner,
        warnings=tuple(date_warnings(d.go_live, d.window_start, d.window_end))
        if state not in (DONE, PURGED) and not demo else (),
        demo=demo,
    )


def _next_action(current: ProjectStatus, tasks: list[checklist.ChecklistItem],
                 title: str | None) -> tuple[str, str | None]:
    """The open task due first (its owner's), or the next step when no task is open."""
    if tasks:
        first = min(tasks, key=lambda t: t.due)  # min keeps the checklist's order on ties
        return f"{first.title} (due {first.due})", first.owner
    if title:
        return f"Next step: {title}", checklist.PM
    return current.headline(), checklist.PM


# -- dates ----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _federal() -> holidays.HolidayBase:
    """US federal holidays, with the days they are observed on (the `holidays` library)."""
    return holidays.country_holidays("US")


_HOLIDAYS_LOCK = threading.Lock()  # the library fills in a year when first asked: one at a time


def holiday(day: date) -> str | None:
    with _HOLIDAYS_LOCK:
        name = _federal().get(day)
    return None if name is None else str(name)


def day_words(day: date) -> str:
    return f"{day:%A} {day.isoformat()}"


def days_words(days: Sequence[date]) -> str:
    if len(days) == 1:
        return day_words(days[0])
    return f"{day_words(days[0])} to {day_words(days[-1])} ({len(days)} days)"


def date_warnings(go_live: date, window_start: date, window_end: date) -> list[str]:
    """A go-live or a maintenance window day on a weekend or a US federal holiday."""
    out: list[str] = []
    name = holiday(go_live)
    if name:
        out.append(f"go-live on a US federal holiday: {name}")
    if go_live.weekday() >= 5:
        out.append(f"go-live on a weekend: {day_words(go_live)}")
    day = window_start
    while day <= window_end:
        if day != go_live:
            name = holiday(day)
            if name:
                out.append(f"maintenance window on a US federal holiday: {name} "
                           f"({day_words(day)})")
            if day.weekday() >= 5:
                out.append(f"maintenance window on a weekend: {day_words(day)}")
        day += timedelta(days=1)
    return out


# -- clashes --------------------------------------------------------------------------------
def find_clashes(rows: Sequence[Conversion]) -> list[Clash]:
    """Every pair of conversions still to renumber whose maintenance windows overlap.
    Done and purged conversions are past renumbering; unreadable ones have no window; a
    demo renumbers nobody's customers."""
    live = sorted((r for r in rows if r.window is not None and not r.demo
                   and r.urgent_state not in (DONE, PURGED, UNREADABLE)),
                  key=lambda r: (r.window[0] if r.window else date.min, str(r.path)))
    out: list[Clash] = []
    for i, a in enumerate(live):
        assert a.window is not None
        for b in live[i + 1:]:
            assert b.window is not None
            if b.window[0] > a.window[1]:
                break  # sorted by start: no later window reaches back to `a`
            first, last = max(a.window[0], b.window[0]), min(a.window[1], b.window[1])
            days = tuple(first + timedelta(days=n) for n in range((last - first).days + 1))
            out.append(Clash((a.path, b.path), (a.biller or "", b.biller or ""), days))
    return out


def flag_clashes(rows: Sequence[Conversion], clashes: Sequence[Clash]) -> list[Conversion]:
    by_path: dict[Path, list[Clash]] = {}
    for clash in clashes:
        for p in clash.paths:
            by_path.setdefault(p, []).append(clash)
    out = []
    for r in rows:
        mine = by_path.get(r.path, [])
        if not mine:
            out.append(r)
            continue
        others = tuple(c.paths[1] if c.paths[0] == r.path else c.paths[0] for c in mine)
        out.append(replace(r, clashes=others,
                           warnings=(*(c.describe(r.path) for c in mine), *r.warnings)))
    return out
