"""The window as a screen reader meets it, over the real accessibility bus.

The program runs as a user starts it (`python -m wizard gui --demo DIR`), in its own
process, on a real X server (Xvfb) with Qt's AT-SPI bridge on
(`QT_LINUX_ACCESSIBILITY_ALWAYS_ON=1`). This test is the screen reader: an AT-SPI client
(tests/ui/atspi.py) in another process, reaching the program only through the accessibility
bus, as Orca does. It does the whole demo through the tree alone, pressing buttons, typing
into fields and choosing steps in the sidebar; after every step it reads every showing node
and requires a name on each interactive one and a Press action on each enabled button; and
all the while a second process reads the whole tree every 0.25 s as pyatspi does (child
count, then each child by index), as Orca polls. It also reads what a screen reader says
for the figures: each of Verify's values, the checklists' progress and each task's status
by accessible name, with its value ("Autopay lost: 0", "Coordination checklist: progress:
8 of 8 tasks done", "...: status: ✔ Pat PM, 2026-12-05"). The crash of issues 16 and 22 is
hunted by tests/ui/test_atspi_walks.py (32 walks of the busiest page); the whole demo runs
WALKS times here.

Needs Xvfb and at-spi2-core (the accessibility bus) on a D-Bus session bus: .ci/run installs
both and runs the tests under dbus-run-session.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.ui.atspi import Client, Node, a11y_bus_address, desktop_missing, xvfb

pytestmark = [pytest.mark.atspi]
ROOT = Path(__file__).resolve().parents[2]
WALKS = 3
STEP_TIMEOUT = 120.0  # s: a step's background work, on a shared 2-core machine


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """A private X server for the program's window (xcb carries Qt's AT-SPI bridge; the
    offscreen platform the other GUI tests use has none)."""
    missing = desktop_missing()
    if missing:
        pytest.skip(missing)
    with xvfb("1366x768x24") as name:
        yield name


class Program:
    """The wizard in its own process, and the screen reader's view of it."""

    def __init__(self, display: str, home: Path, folder: Path,
                 args: tuple[str, ...] = ("--demo",)) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM",)}
        env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", QT_LINUX_ACCESSIBILITY_ALWAYS_ON="1",
                   HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
                   XDG_STATE_HOME=str(home / ".state"), XDG_CACHE_HOME=str(home / ".cache"),
                   PYTHONFAULTHANDLER="1")
        self.stderr_path = home / "stderr.txt"
        self.stderr = self.stderr_path.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "wizard", "gui", *args,
                                      str(folder)], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=self.stderr)
        self.client = Client(a11y_bus_address())
        self.app = self.client.wait_for_application(self.proc.pid, timeout=STEP_TIMEOUT)
        self.nodes: list[Node] = []

    def alive(self) -> None:
        code = self.proc.poll()
        if code is not None:
            raise AssertionError(f"the program died (exit {code}, "
                                 f"{signal.Signals(-code).name if code < 0 else 'no signal'}):\n"
                                 + self.stderr_path.read_text(errors="replace")[-4000:])

    def read(self) -> list[Node]:
        self.alive()
        app = self.client.application(self.proc.pid)
        assert app is not None, "the program left the accessibility bus"
        self.nodes = self.client.walk(app)
        return self.nodes

    def wait(self, what: str, found: Callable[[list[Node]], Node | None],
             timeout: float = STEP_TIMEOUT) -> Node:
        deadline = time.monotonic() + timeout
        while True:
            try:
                node = found(self.read())
            except (AssertionError, TimeoutError):
                raise
            except Exception:  # noqa: BLE001 - the tree changed while it was read: again
                node = None
            if node is not None:
                return node
            if time.monotonic() > deadline:
                raise AssertionError(f"waited {timeout:.0f} s for {what}; the window shows:\n"
                                     + "\n".join(str(n) for n in self.nodes if n.name))
            time.sleep(0.2)

    def button(self, starts: str, timeout: float = STEP_TIMEOUT, exact: bool = False) -> Node:
        """A showing, enabled push button whose name starts with `starts`, with its Press
        action (a button being disabled as it is read can show one without the other)."""
        return self.wait(f"an enabled button {starts!r}", lambda nodes: next(
            (n for n in nodes if n.role == "push button"
             and (n.name == starts if exact else n.name.startswith(starts))
             and n.enabled and "press" in (a.lower() for a in n.actions)), None), timeout)

    def text(self, fragment: str, timeout: float = STEP_TIMEOUT) -> Node:
        """A showing node whose name holds `fragment` (a banner, a label, a result)."""
        return self.wait(repr(fragment), lambda nodes: next(
            (n for n in nodes if fragment in n.name), None), timeout)

    def press(self, starts: str, exact: bool = False) -> None:
        self.client.press(self.button(starts, exact=exact))

    def step(self, number: int) -> None:
        """Choose a step in the sidebar through its list item's action, as a screen reader
        user does (the page follows the selection)."""
        item = self.wait(f"step {number} in the sidebar", lambda nodes: next(
            (n for n in nodes if n.role == "list item" and n.name.startswith(f"{number}. ")),
            None))
        self.client.do(item, "Toggle")
        title = item.name.split(",")[0].split(". ", 1)[1]
        self.wait(f"the page of step {number} ({title})", lambda nodes: next(
            (n for n in nodes if n.role == "label" and n.name == title), None))

    def field(self, name: str) -> Node:
        return self.wait(f"the field {name!r}", lambda nodes: next(
            (n for n in nodes if n.role in ("text", "entry") and n.name.startswith(name)),
            None))

    def close(self) -> int:
        self.client.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # the program's polite kill: a clean quit
        try:
            code = self.proc.wait(60)
        finally:
            self.stderr.close()
        return code


class Poller:
    """Another process reading the whole tree every 0.25 s on its own connection, as Orca
    polls (python -m tests.ui.atspi PID)."""

    def __init__(self, pid: int) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.ui.atspi", str(pid)],
                                     cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, encoding="utf-8")

    def stop(self) -> int:
        """Stop it; how many whole reads it made."""
        out, _ = self.proc.communicate(input="", timeout=60)
        return int(out.strip() or 0)


def parent_of(nodes: list[Node], node: Node) -> str:
    trail = node.trail.rsplit("/", 1)[0]
    return next((str(n) for n in nodes if n.trail == trail), "?")


def check_names(program: Program, where: str) -> None:
    """Every showing interactive control has a name; every enabled button can be pressed.

    A node's state and its actions are two calls, so a button the page disables and enables
    again meanwhile (its background work starting and ending) can read "enabled, no action":
    a finding is read again, and counts only if it holds on every one of three reads."""
    def unnamed(n: Node) -> bool:
        return n.interactive and not n.name.strip()

    def mute(n: Node) -> bool:
        return (n.role == "push button" and n.enabled
                and "press" not in (a.lower() for a in n.actions))

    nodes = program.read()
    for rule, what in ((unnamed, "controls a screen reader cannot name"),
                       (mute, "buttons a screen reader cannot press")):
        found = [n for n in nodes if rule(n)]
        for _ in range(2):
            if not found:
                break
            time.sleep(0.3)
            again = [program.client.read(n.bus, n.path, n.trail) for n in found]
            found = [n for n in again if n.showing and rule(n)]
        assert found == [], (f"{where}: {what}: "
                             f"{[f'{n} (in {parent_of(nodes, n)})' for n in found]}")


def signed_off(button: str) -> Callable[[list[Node]], Node | None]:
    """Found once the button `button` ("Sign off: <task>") has gone: its task is signed."""
    def found(nodes: list[Node]) -> Node | None:
        return None if any(n.name == button for n in nodes) else nodes[0]
    return found


FIGURES = ("Customers before go-live", "Found after go-live", "Missing after go-live",
           "Unexpected after go-live", "Autopay lost", "Autopay gained", "Paperless lost",
           "Paperless gained", "Payment method changed", "Last 4 changed")
STATUS = re.compile(r".+: status: (open|ticks itself when the step is done|✔ done \d{4}-\d\d-\d\d"
                    r"|✔ Pat PM, \d{4}-\d\d-\d\d)")


def heard_values(program: Program, checklist: str, tasks_done: bool) -> None:
    """A checklist's progress and each task's status are read with their values."""
    nodes = program.read()
    progress = [n.name for n in nodes if n.name.startswith(f"{checklist}: progress")]
    assert len(progress) == 1 and re.fullmatch(
        rf"{checklist}: progress: (\d+) of \1 tasks done" if tasks_done
        else rf"{checklist}: progress: \d+ of \d+ tasks done", progress[0]), progress
    statuses = [n.name for n in nodes if ": status" in n.name and n.role == "label"]
    assert statuses, f"no task status of the {checklist} was read"
    bad = [name for name in statuses if not STATUS.fullmatch(name)]
    assert bad == [], bad
    if tasks_done:
        assert all(": status: ✔" in name for name in statuses), statuses


def demo_walk(program: Program, demo_folder: Path, seen: list[str], sign_all: bool) -> None:
    """Every step of the demo, through the accessibility tree alone; `sign_all`: every
    coordination task signed off, else the first one (signing is alike for each)."""
    program.text("Conversion Wizard")
    check_names(program, "opened")
    seen.append("opened")
    # 1. Coordinate: every task signed off through its own "Sign off: <task>" button, until
    # the sidebar says the step is done
    for signed in range(30):
        nodes = program.read()
        if any(n.role == "list item" and n.name.startswith("1. ") and n.name.endswith(", done")
               for n in nodes) or (signed and not sign_all):
            break
        task = program.button("Sign off: ")
        program.client.press(task)
        program.client.type_text(program.field("Signed off by"), "Pat PM")
        program.press("Sign off", exact=True)  # the dialog's, not a task's "Sign off: …"
        program.wait(f"{task.name!r} signed", signed_off(task.name))
    else:
        raise AssertionError("the Coordinate step never became done")
    check_names(program, "coordination")
    heard_values(program, "Coordination checklist", tasks_done=sign_all)
    seen.append("coordination")
    # 2. Flag file: the demo's export through the file dialog, then Validate and Export
    program.step(2)
    program.press("Choose file")
    export = next(demo_folder.rglob("*customer*export*.csv"), None) or next(
        demo_folder.rglob("*.csv"))
    program.client.type_text(program.field("File name"), str(export))
    program.press("Open", exact=True)  # the file dialog's, not "Open outbox folder"
    program.button("Validate")
    check_names(program, "preview")
    program.press("Validate")
    program.button("Export flag file")
    program.text("no blocking findings")
    check_names(program, "validate")
    seen.append("validate")
    program.press("Export flag file")
    program.text("Flag file written")
    check_names(program, "export")
    seen.append("export")
    # 3. Send: trust the simulator's host key, then send
    program.step(3)
    program.press("Test connection")
    program.field("Host key fingerprint")
    check_names(program, "host key")
    program.press("Trust and connect")
    program.press("Send flag file")
    program.text("SHA-256")
    check_names(program, "send")
    seen.append("send")
    # 4. Cross-reference: fetch it, then renumber
    program.step(4)
    program.press("Fetch from the provider")
    program.press("Make the IC account update")
    program.text("accounts mapped")
    check_names(program, "cross_reference")
    seen.append("cross_reference")
    # 5. Verify on the demo's post-conversion export
    program.step(5)
    program.press("Use the demo's export")
    program.press("Verify")
    program.text("was preserved")  # "Every enrolment …" or "Not everything …"
    check_names(program, "verification")
    nodes = program.wait("Verify's figures with their values", lambda nodes: next(
        (n for n in nodes if n.name.startswith("Autopay lost: ")), None)) and program.nodes
    for caption in FIGURES:
        figure = [n for n in nodes if n.role == "label" and n.name.startswith(f"{caption}: ")]
        assert figure and re.fullmatch(rf"{re.escape(caption)}: [\d,]+", figure[0].name), (
            caption, [n.name for n in figure])
    heard_values(program, "After go-live checklist", tasks_done=False)
    program.text("Rows shown in the who lost or gained what: ")
    seen.append("verification")
    # 6. The biller's workbook
    program.step(6)
    program.press("Write the workbook")
    program.text("workbook is written")
    check_names(program, "report")
    seen.append("report")
    # 7. Purge: its page is read, nothing removed
    program.step(7)
    check_names(program, "purge")
    seen.append("purge")


@pytest.mark.slow
@pytest.mark.parametrize("walk", range(WALKS))
def test_demo_walk_through_the_accessibility_bus(display: str, tmp_path: Path,
                                                 walk: int) -> None:
    home = tmp_path / "home"
    home.mkdir()
    folder = tmp_path / f"demo {walk} ñ"
    program = Program(display, home, folder)
    poller = Poller(program.proc.pid)
    seen: list[str] = []
    try:
        demo_walk(program, folder, seen, sign_all=walk == 0)
        program.alive()
    finally:
        reads = poller.stop()
        code = program.close()
    assert seen[-1] == "purge"
    assert reads > 10, "the polling client hardly read the tree"
    # a polite kill ends the program cleanly: not a crash signal, and nothing on stderr
    # that says one came (faulthandler prints "Fatal Python error")
    stderr = program.stderr_path.read_text(errors="replace")
    assert code in (0, -signal.SIGTERM), (code, stderr[-4000:])
    assert "Fatal Python error" not in stderr and "Segmentation fault" not in stderr, stderr
