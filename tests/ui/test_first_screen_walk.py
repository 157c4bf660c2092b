"""A new PM's first minute, in the real window (issue 31): `convwiz` with no arguments, at
1280x720, 1366x768 and 1920x1080 at 150% (`QT_SCALE_FACTOR=1.5`, many Windows laptops'
default), on a real X server. The start screen must show the whole new-conversion form and
"Create the project" on the screen without scrolling, and a conversion is created from it
by the keyboard alone: keys go in through the X server (tests/ui/xkeys.py), as from a
keyboard; the screen reader's view (tests/ui/atspi.py) only watches where the focus is and
where the controls are. At each size the demo is also started from there by its key and
walked through Verify to the end (tests/ui/test_atspi.py's walk). About 45 s for the six.

It failed before the fix: the start screen opened at a fixed 1280x860, so at each of these
sizes "Your name", "Project folder" and "Create the project" were below the screen's edge.
Needs Xvfb and the AT-SPI bus, as tests/ui/test_atspi.py.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.atspi import Client, Node, a11y_bus_address, desktop_missing, xvfb
from tests.ui.test_atspi import ROOT, STEP_TIMEOUT, Program
from tests.ui.xkeys import Keyboard

pytestmark = [pytest.mark.atspi, pytest.mark.skipif(sys.platform != "linux",
                                                    reason="an X server and AT-SPI")]
COMPONENT = "org.a11y.atspi.Component"
FOCUSED = 12  # AtspiStateType
SIZES = {"1280x720": "1", "1366x768": "1", "1920x1080": "1.5"}
FORM = ("Biller:", "Go-live date:", "Maintenance window:", "Production BID:", "Test BID:",
        "Your name:", "Project folder:")


@pytest.fixture(params=list(SIZES))
def screen(request: pytest.FixtureRequest) -> Iterator[tuple[str, int, int, str]]:
    """A private X server of the size asked: (display, width, height, scale)."""
    missing = desktop_missing()
    if missing:
        pytest.skip(missing)
    try:
        ctypes.CDLL("libXtst.so.6")  # the keyboard's way in (tests/ui/xkeys.py)
    except OSError:
        pytest.skip("needs libXtst (apt install libxtst6; at-spi2-core brings it)")
    size = str(request.param)
    width, height = (int(n) for n in size.split("x"))
    with xvfb(f"{size}x24") as name:
        yield name, width, height, SIZES[size]


class FirstStart(Program):
    """`python -m wizard`, no arguments: the start screen, as a PM first opens the program
    (a fresh home: no project, no recent list)."""

    def __init__(self, display: str, home: Path, scale: str) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM",)}
        env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", QT_LINUX_ACCESSIBILITY_ALWAYS_ON="1",
                   QT_SCALE_FACTOR=scale, HOME=str(home),
                   XDG_CONFIG_HOME=str(home / ".config"), XDG_STATE_HOME=str(home / ".state"),
                   XDG_DATA_HOME=str(home / ".local" / "share"),
                   XDG_CACHE_HOME=str(home / ".cache"), PYTHONFAULTHANDLER="1")
        self.stderr_path = home / "stderr.txt"
        self.stderr = self.stderr_path.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "wizard"], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=self.stderr)
        try:
            self.client = connect()
            self.app = self.client.wait_for_application(self.proc.pid, timeout=STEP_TIMEOUT)
        except BaseException:
            self.proc.kill()
            self.proc.wait(30)
            self.stderr.close()
            raise
        self.nodes: list[Node] = []

    def extents(self, node: Node) -> tuple[int, int, int, int]:
        """Where `node` is on the screen: x, y, width, height."""
        x, y, w, h = self.client.call(node.bus, node.path, COMPONENT, "GetExtents", "u", 0)[0]
        return int(x), int(y), int(w), int(h)

    def focused(self, role: str, name: str) -> Node:
        return self.wait(f"the focus on the {role} {name!r}", lambda nodes: next(
            (n for n in nodes if n.role == role and n.name == name and FOCUSED in n.states),
            None))


def connect() -> Client:
    """A connection to the accessibility bus; asked again while its launcher starts it (its
    address can name a socket not there yet)."""
    deadline = time.monotonic() + STEP_TIMEOUT
    while True:
        try:
            return Client(a11y_bus_address())
        except FileNotFoundError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def on_screen(program: FirstStart, node: Node, width: int, height: int) -> bool:
    x, y, w, h = program.extents(node)
    return node.showing and w > 0 and h > 0 and x >= 0 and y >= 0 and \
        x + w <= width and y + h <= height


@pytest.mark.slow
def test_a_new_pm_creates_a_conversion_by_keyboard_at_each_size(
        screen: tuple[str, int, int, str], tmp_path: Path) -> None:
    display, width, height, scale = screen
    # Qt's bridge gives places in its own (device-independent) pixels: 1280x720 at 150%
    width, height = round(width / float(scale)), round(height / float(scale))
    home = tmp_path / "home"
    home.mkdir()
    program = FirstStart(display, home, scale)
    keys = Keyboard(display)
    try:
        create = program.button("Create the project", exact=True)
        # the whole form and its button on the screen, nothing scrolled by hand
        nodes = program.read()
        for name in FORM:
            field = next(n for n in nodes if n.name == name and n.role != "label")
            assert on_screen(program, field, width, height), (name, program.extents(field))
        assert on_screen(program, create, width, height), program.extents(create)
        keys.focus_window()  # as a window manager gives a new window the keyboard
        program.focused("text", "Biller:")  # no conversion yet: the form is where to start
        keys.type("Prairie Valley Electric")
        keys.press("p", "Alt_L")  # &Production BID
        program.focused("text", "Production BID:")
        keys.type("2806")
        keys.press("m", "Alt_L")  # Your na&me
        keys.type("Pat Lee")
        keys.press("Tab")  # the project folder (filled in from the biller's name)
        keys.press("Tab")  # Browse…
        keys.press("Tab")
        program.focused("push button", "Create the project")
        keys.press("Return")
        program.text("Steps")  # the project's window, on its first step
        program.text("Prairie Valley Electric")
        made = home / "Documents" / "Conversion Wizard" / "prairie-valley-electric"
        assert (made / "convwiz.sqlite").is_file(), sorted(home.rglob("*"))[:40]
        program.alive()
    finally:
        keys.close()
        code = program.close()
    stderr = program.stderr_path.read_text(errors="replace")
    assert code in (0, -signal.SIGTERM), (code, stderr[-4000:])
    assert "Fatal Python error" not in stderr, stderr


@pytest.mark.slow
def test_a_new_pm_tries_the_demo_by_keyboard_and_walks_it_through_verify(
        screen: tuple[str, int, int, str], tmp_path: Path) -> None:
    """From the same first screen: "Try the demo" by its key (Alt+D), then the whole demo
    through Verify and on, as tests/ui/test_atspi.py's screen reader walks it."""
    from tests.ui.test_atspi import demo_walk

    display, _width, _height, scale = screen
    home = tmp_path / "home"
    home.mkdir()
    program = FirstStart(display, home, scale)
    keys = Keyboard(display)
    seen: list[str] = []
    try:
        program.button("Try the demo", exact=True)
        keys.focus_window()
        program.focused("text", "Biller:")
        keys.press("d", "Alt_L")  # Try the &demo
        program.text("Steps", timeout=STEP_TIMEOUT)  # the demo project's window
        demo_walk(program, home / "Documents" / "Conversion Wizard", seen, sign_all=False)
        program.alive()
    finally:
        keys.close()
        code = program.close()
    assert "verification" in seen and seen[-1] == "purge", seen
    stderr = program.stderr_path.read_text(errors="replace")
    assert code in (0, -signal.SIGTERM), (code, stderr[-4000:])
    assert "Fatal Python error" not in stderr, stderr
