"""The window as a PM starts it, driven from another process over the accessibility bus.

`convwiz` with no arguments (`python -m wizard`) on a private X server, the start screen
first; the demo ("Try the demo") or a project opened from there; then the steps walked
through the tree alone (tests/ui/test_atspi.py's `Program` and `demo_walk`), as a screen
reader user would (its display: tests/ui/atspi.py's `xvfb(size)`). Reusable: `Window` starts the
program with any arguments, `demo_from_start_screen` opens the demo and
`open_folder_from_start_screen` a project folder.

Also what a fresh process finds in a project's store once the window has closed
(`store_record`), and a project's record cut into what each step wrote (`step_blocks`), to
compare a walk in the window with the command line's demo.

Linux only (Xvfb, at-spi2-core, a D-Bus session bus): tests using it carry the `atspi`
marker.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.ui.atspi import Client, a11y_bus_address
from tests.ui.test_atspi import STEP_TIMEOUT, Program

ROOT = Path(__file__).resolve().parents[2]
STORE = "convwiz.sqlite"




def desktop_env(display: str, home: Path) -> dict[str, str]:
    """The program's environment: the display, Qt's AT-SPI bridge on, a home of its own
    (its QSettings, its Documents, its logs) and a keyring of its own (the tests' backend,
    its secrets in a file of that home, shared by the processes started with it)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "XDG_DOCUMENTS_DIR")}
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", QT_LINUX_ACCESSIBILITY_ALWAYS_ON="1",
               HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_STATE_HOME=str(home / ".state"), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_DOCUMENTS_DIR=str(home / "Documents"), PYTHONFAULTHANDLER="1",
               PYTHONPATH=str(ROOT),
               PYTHON_KEYRING_BACKEND="tests.helpers.memkeyring.MemoryKeyring",
               CONVWIZ_TEST_KEYRING=str(home / "test-keyring.json"))
    return env


class Window(Program):
    """`python -m wizard *args` (none: the start screen, as `convwiz` starts) on `display`,
    and the screen reader's view of it. `close()` ends it as the desktop does when the
    session asks (SIGTERM: the window closes, its work is awaited, the project let go)."""

    def __init__(self, display: str, home: Path, *args: str) -> None:
        # Program's own __init__ starts `gui --demo FOLDER`: the same, with any arguments
        home.mkdir(parents=True, exist_ok=True)
        self.home = home
        self.stderr_path = home / f"stderr-{time.monotonic_ns()}.txt"
        self.stderr = self.stderr_path.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "wizard", *args], cwd=ROOT,
                                     env=desktop_env(display, home),
                                     stdout=subprocess.DEVNULL, stderr=self.stderr)
        self.client = Client(a11y_bus_address())
        self.app = self.client.wait_for_application(self.proc.pid, timeout=STEP_TIMEOUT)
        self.nodes = []

    @property
    def documents(self) -> Path:
        """Documents/Conversion Wizard: where the start screen puts the demo."""
        return self.home / "Documents" / "Conversion Wizard"

    def stderr_text(self) -> str:
        if not self.stderr.closed:
            self.stderr.flush()
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")


def command(home: Path, *args: object, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`convwiz *args` as its own process, as the same person as the window started with
    `home` (its keyring, its Documents), without a display."""
    env = desktop_env("", home)
    del env["DISPLAY"]
    return subprocess.run([sys.executable, "-m", "wizard", *[str(a) for a in args]],
                          cwd=ROOT, env=env, capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout)


def demo_from_start_screen(program: Window) -> Path:
    """Press "Try the demo" on the start screen; once its project's window shows, the
    project's folder."""
    program.text("Your conversions")  # the start screen, its portfolio
    program.press("Try the demo")
    program.wait("the demo's window", lambda nodes: next(
        (n for n in nodes if n.role == "list" and n.name == "Steps"), None))
    found = [p.parent for p in program.documents.glob(f"demo-*/{STORE}")]
    assert len(found) == 1, found
    return found[0]


def open_folder_from_start_screen(program: Window, folder: Path) -> None:
    """"Open a project folder" on the start screen, the folder typed into the dialog."""
    program.text("Your conversions")
    program.press("Open a project folder")
    program.client.type_text(program.field("Directory"), str(folder))
    program.press("Choose", exact=True)
    program.wait("the project's window", lambda nodes: next(
        (n for n in nodes if n.role == "list" and n.name == "Steps"), None))


# -- what the store holds ----------------------------------------------------------------------
READ_STORE = """
import json, sys
from pathlib import Path
from wizard.services.store import Store
s = Store(Path(sys.argv[1]))
print(json.dumps({
    "steps": {k: v[0] for k, v in s.steps().items()},
    "audit": [[e.actor, e.action, e.detail] for e in s.audit_log()],
    "manifest": [[e.direction, e.kind, e.name] for e in s.manifest()],
    "integrity": s.integrity_ok()}, default=str))
s.close()
"""


@dataclass
class StoreRecord:
    """A project's store as a fresh process reads it."""

    steps: dict[str, str]
    audit: list[tuple[str, str, dict[str, Any]]]
    manifest: list[tuple[str, str, str]]
    integrity: bool

    def files_audited(self) -> int:
        """The audit rows that say a file was made, sent or received (one per manifest
        row: the store writes both in one transaction)."""
        return sum(1 for _actor, action, _d in self.audit
                   if action in ("file made", "file sent", "file received"))


def store_record(project: Path) -> StoreRecord:
    """What another process finds in `project`'s store (read in a new process)."""
    run = subprocess.run([sys.executable, "-c", READ_STORE, str(project / STORE)], cwd=ROOT,
                         capture_output=True, text=True, encoding="utf-8", timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout.strip().splitlines()[-1])
    return StoreRecord(got["steps"], [tuple(a) for a in got["audit"]],
                       [tuple(m) for m in got["manifest"]], bool(got["integrity"]))


# rows of the command line's demo that the window's walk has no counterpart for: the token
# file, the notices and their drafts, the calendar, the outreach list
DEMO_EXTRAS = ("tokens", "template:", "draft:", "calendar", "outreach_list")


def step_blocks(audit: list[tuple[str, str, dict[str, Any]]]) -> dict[str, list[tuple[str, str]]]:
    """What each step wrote, in order: the audit rows from the previous step's end to the
    row that records this step's outcome ("step done", "step needs attention"), each as
    (action, what: the file's kind or the step), times, paths and people left out. The
    first run of each step; sign-offs and the command line demo's extras left out."""
    blocks: dict[str, list[tuple[str, str]]] = {}
    pending: list[tuple[str, str]] = []
    for _actor, action, detail in audit:
        what = str(detail.get("kind") or detail.get("step") or "")
        if action in ("project created", "checklist signed off") or (
                action == "file made" and what.startswith(DEMO_EXTRAS)):
            continue
        pending.append((action, what))
        if action.startswith("step ") and action != "step cancelled":
            blocks.setdefault(what, pending)
            pending = []
    return blocks


def signed_off(audit: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    return [str(d.get("task")) for _actor, action, d in audit if action == "checklist signed off"]


# -- the -wal under a live connection -------------------------------------------------------------
@dataclass
class WalWatch:
    """Looks at `project`'s -wal every few milliseconds, in a thread, while a process holds
    the store open: it must stay, the same file, all along (only the last connection to
    close may delete it)."""

    project: Path
    seen: int = 0
    problems: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> WalWatch:
        wal = self.project / f"{STORE}-wal"
        first = wal.stat().st_ino  # the holder has it open now

        def look() -> None:
            while not self._stop.wait(0.005):
                try:
                    inode = wal.stat().st_ino
                except FileNotFoundError:
                    self.problems.append(f"{wal.name} was deleted (look {self.seen})")
                    return
                if inode != first:
                    self.problems.append(f"{wal.name} was replaced (look {self.seen})")
                    return
                self.seen += 1

        self._thread = threading.Thread(target=look, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> list[str]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        return self.problems
