"""Under a real screen reader (issue 32): what a blind PM hears, walking the window by keyboard.

GNOME's Orca (tests/ui/orca.py) reads the window of a finished demo project (`convwiz demo
DIR`, then `convwiz gui DIR`) while xdotool's keyboard alone walks every page: the window
opened (on Verify, the first step not done), Back to the first page, every step page reached
with Alt+N, and the last one (Purge) chosen in the step list. On each page Tab goes all the
way round the window. What Orca said is read from its own log, and it must hold:

- each page's title, on arriving at it (opened, Back, Alt+N, the step list);
- each of Verify's ten figures with its number, the numbers of `convwiz status --json`;
- each checklist's progress ("8 of 8 tasks done", the real count) and each task's status;
- no Tab stop said as a role alone ('layered pane') or as nothing;
- Tab leaves every table at once (arrow keys move inside it) and Shift+Tab comes back.

Needs Xvfb, the accessibility bus on a D-Bus session, Orca and xdotool: .ci/run installs them
and runs the tests under dbus-run-session. Time: 2 to 2.5 minutes (a shared 2-core machine).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ui import orca as orca_module
from tests.ui.orca import Heard, Orca
from tests.ui.test_atspi import ROOT, Program, display  # noqa: F401

pytestmark = [pytest.mark.atspi, pytest.mark.orca, pytest.mark.slow]
CUSTOMERS = 300  # the demo's size: the figures are read, not the speed
ARRIVAL = 15.0  # s a page may take to be shown and its title said (a loaded machine)
MAX_TABS = 90  # presses of Tab for one round of the busiest page (Verify: about 60 stops)
STEP_PAGES = ("Coordinate", "Flag file", "Send to Daffron", "Cross-reference", "Verify",
              "Biller workbook")
TITLE_ROLES = ("heading", "heading level 1", "label", "layered pane", "panel")
TABLE_ROLES = {"table", "table cell", "column header", "row header"}
FIGURES = (("Customers before go-live", "customers"), ("Found after go-live", "matched"),
           ("Missing after go-live", "missing_after"),
           ("Unexpected after go-live", "unexpected_after"),
           ("Autopay lost", ("autopay", "lost")), ("Autopay gained", ("autopay", "gained")),
           ("Paperless lost", ("paperless", "lost")),
           ("Paperless gained", ("paperless", "gained")),
           ("Payment method changed", "method_changed"), ("Last 4 changed", "last4_changed"))
CHECKLISTS = {"Coordinate": ("Coordination checklist", ("coordination",)),
              "Verify": ("After go-live checklist", ("window", "post_go_live"))}


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_STATE_HOME=str(home / ".state"), XDG_CACHE_HOME=str(home / ".cache"))
    return env


def convwiz(home: Path, *args: str) -> dict[str, Any]:
    """`convwiz ARGS --json` as a user runs it; its JSON result."""
    done = subprocess.run([sys.executable, "-m", "wizard", *args, "--json"], cwd=ROOT,
                          env=environment(home), capture_output=True, text=True,
                          encoding="utf-8", timeout=300, check=False)
    assert done.returncode in (0, 1), (args, done.returncode, done.stderr[-3000:])
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.fixture
def screen_reader(display: str, tmp_path: Path) -> Iterator[Orca]:  # noqa: F811
    why = orca_module.unavailable()
    if why:
        pytest.skip(why)
    reader = Orca(display, tmp_path / "orca-home")
    try:
        yield reader
    finally:
        reader.stop()


def title_heard(heard: Heard, title: str) -> bool:
    """The page's own title said on its own, as a heading, a label or the name of the
    pages' pane (not the step list's "2. Flag file, done", the Next button's "Next: Flag
    file ›", nor a push button that shares its word, "Verify push button")."""
    return any(said.strip().rstrip(".").strip() in (
        title, *(f"{title} {role}" for role in TITLE_ROLES)) for said in heard.speech)


def in_table(heard: Heard) -> bool:
    return heard.last_focus is not None and heard.last_focus[0] in TABLE_ROLES


class Walk:
    """The keyboard walk, and every finding on the way (all reported at once)."""

    def __init__(self, reader: Orca) -> None:
        self.orca = reader
        self.problems: list[str] = []
        self.rounds: dict[str, list[Heard]] = {}

    def arrive_by(self, key: str, title: str) -> Heard:
        """Press `key`, and hear what follows until the page's title (if it comes)."""
        return self.orca.press(key, until=lambda heard: title_heard(heard, title),
                               answer=ARRIVAL)

    def arrived(self, title: str, heard: Heard) -> None:
        if not title_heard(heard, title):
            self.problems.append(f"{title}: its title was not said on arriving by "
                                 f"{heard.key}: {heard.speech}")

    def tab_round(self, page: str) -> list[Heard]:
        """Tab until the focus comes back to the round's first stop."""
        stops: list[Heard] = []
        for _ in range(MAX_TABS):
            heard = self.orca.press("Tab", until=lambda h: bool(h.focus))
            if stops and in_table(stops[-1]) and in_table(heard):
                self.problems.append(f"{page}: Tab did not leave the table: "
                                     f"{stops[-1].last_focus} then {heard.last_focus}")
                break  # a keyboard trap: the rest of the round is the table's cells
            if stops and in_table(stops[-1]):
                self.back_into_table(page, stops[-1], heard)
            if stops and heard.last_focus == stops[0].last_focus:
                break
            stops.append(heard)
        else:
            self.problems.append(f"{page}: Tab never came round in {MAX_TABS} presses; the "
                                 f"last stops: {[str(s) for s in stops[-5:]]}")
        for heard in stops:
            if heard.bare():
                self.problems.append(f"{page}: a Tab stop said as a role alone or as nothing: "
                                     f"{heard}")
            elif heard.last_focus is not None and not heard.last_focus[1].strip():
                self.problems.append(f"{page}: a Tab stop without a name: {heard}")
        self.rounds[page] = stops
        return stops

    def back_into_table(self, page: str, table: Heard, left: Heard) -> None:
        """Tab just left a table: Shift+Tab comes back to it, the arrow keys move inside it
        (Ctrl+End: to its last cell), and from there one Tab leaves it again."""
        back = self.orca.press("shift+Tab")
        if not in_table(back):
            self.problems.append(f"{page}: Shift+Tab did not come back into the table left "
                                 f"({table.last_focus}): {back}")
        if not any(" rows " in said for said in back.speech):
            last = back  # an empty table ("table."): no cell to move to
        else:
            last = self.orca.press("ctrl+End")
        if not in_table(last) or last.bare():
            self.problems.append(f"{page}: Ctrl+End did not say the last cell of the table "
                                 f"({table.last_focus}): {last}")
        again = self.orca.press("Tab")
        if again.last_focus != left.last_focus:
            self.problems.append(f"{page}: one Tab from the last cell of the table did not "
                                 f"leave it for {left.last_focus}: {again}")

    def said_on(self, page: str) -> str:
        return " | ".join(h.text for h in self.rounds.get(page, []))

    def figures(self, verification: dict[str, Any]) -> None:
        said = self.said_on("Verify")
        for caption, key in FIGURES:
            value = (verification[key] if isinstance(key, str)
                     else verification[key[0]][key[1]])
            if f"{caption}: {int(value):,}" not in said:
                self.problems.append(f"Verify: the figure '{caption}: {int(value):,}' was "
                                     "never said")
            if f"{caption}: {caption}:" in said:
                self.problems.append(f"Verify: the caption '{caption}' is said twice")

    def checklist(self, page: str, checklist: list[dict[str, Any]]) -> None:
        name, phases = CHECKLISTS[page]
        tasks = [t for t in checklist if t["phase"] in phases]
        done = sum(1 for t in tasks if t["done"])
        said = self.said_on(page)
        progress = f"{name}: progress: {done} of {len(tasks)} tasks done"
        if progress not in said:
            self.problems.append(f"{page}: '{progress}' was never said")
        unheard = [t["title"] for t in tasks if f"{t['title']}: status: " not in said]
        if unheard:
            self.problems.append(f"{page}: no status was said for {unheard}")


def test_a_blind_pm_hears_every_page_its_figures_and_leaves_every_table(
        display: str, tmp_path: Path, screen_reader: Orca) -> None:  # noqa: F811
    home = tmp_path / "home"
    home.mkdir()
    folder = tmp_path / "demo project"
    convwiz(home, "demo", "--customers", str(CUSTOMERS), str(folder))
    status = convwiz(home, "status", str(folder))
    verification = next(s for s in status["steps"] if s["id"] == "verification")["detail"]
    program = Program(display, home, folder, args=())
    walk = Walk(screen_reader)
    try:
        opened = screen_reader.focus_window(program.proc.pid, "Conversion Wizard",
                                            until=lambda h: title_heard(h, "Verify"))
        walk.arrived("Verify", opened)  # reopened: the first step not done
        for title in reversed(STEP_PAGES[:4]):  # Back to the first page
            walk.arrived(title, walk.arrive_by("alt+b", title))
        walk.tab_round("Coordinate")
        for title in STEP_PAGES[1:]:
            walk.arrived(title, walk.arrive_by("alt+n", title))
            walk.tab_round(title)
            program.alive()
        walk.figures(verification)
        for page in CHECKLISTS:
            walk.checklist(page, status["checklist"])
        # Purge: chosen in the step list, the last item; Tab then enters its page
        for _ in range(MAX_TABS):
            heard = screen_reader.press("Tab")
            if heard.last_focus is not None and heard.last_focus[0] == "list item":
                break
        chosen = screen_reader.press("End")
        entered = screen_reader.press("Tab")
        walk.arrived("Purge", Heard("End, Tab", speech=chosen.speech + entered.speech))
        walk.tab_round("Purge")
        program.alive()
    finally:
        code = program.close()
        transcript = tmp_path / "heard.txt"  # what Orca said, key by key, to read after a failure
        transcript.write_text("\n".join(str(h) for h in screen_reader.heard), encoding="utf-8")
    stderr = program.stderr_path.read_text(errors="replace")
    assert code in (0, -signal.SIGTERM), (code, stderr[-4000:])
    assert walk.problems == [], "\n".join([*walk.problems, f"(all that was heard: {transcript})"])
