"""GNOME's Orca, a real screen reader, run headless beside the program, and what it says.

Orca (Debian's `orca` 43) runs from its Python module under the system's Python (it needs
pyatspi and PyGObject, which a venv does not see), with its own settings folder: its
launcher refuses to start while another Orca of the same user runs anywhere on the machine,
and `--replace` would kill those. No sound card is needed: speech-dispatcher is pointed at a
socket nobody serves, and Orca writes each utterance to its debug log
(`SPEECH OUTPUT: '…'`) before it hands it to a speech server, and each move of its focus
(`Changing locusOfFocus from … to [role | name]`). The keyboard is xdotool's (XTEST): a
window without a window manager is given the focus with `xdotool windowfocus`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"  # Orca's: pyatspi and gi are the system's packages
QUIET = 0.6  # s without a new utterance or focus move: Orca has said all a key made it say
ANSWER = 6.0  # s a key may take before Orca says anything (a page's refresh, a busy machine)
START_TIMEOUT = 90.0

# Orca's launcher (/usr/bin/orca) without its checks for other Orcas: the debug log at its
# info level (every utterance and focus move), key echo off (the log holds what the window
# says, not the keys), the settings in our own folder.
START = """
import sys
prefs, log = sys.argv[1], sys.argv[2]
sys.argv[0] = "orca"
from orca import debug
debug.debugLevel = debug.LEVEL_INFO
debug.eventDebugLevel = debug.LEVEL_OFF
debug.debugFile = open(log, "w", buffering=1, encoding="utf-8")
from orca import orca
manager = orca.getSettingsManager()
manager.activate(prefs, {"enableKeyEcho": False, "enableEchoByCharacter": False,
                         "enableEchoByWord": False, "enableTutorialMessages": False})
sys.path.insert(0, manager.getPrefsDir())
sys.exit(orca.main())
"""
SPEECH = re.compile(r"SPEECH OUTPUT: '(.*)'(?: voice=\w+)?\{")
FOCUS = re.compile(r"ORCA: Changing locusOfFocus from .* to \[([^|\]]*) \| (.*)\]\. Notify")
# the roles Orca speaks: a stop that says one of these alone is a stop without a name
ROLES = {"layered pane", "scroll pane", "panel", "filler", "viewport", "text", "read only text",
         "label", "table", "list", "push button", "combo box", "tool bar", "status bar",
         "frame", "unknown", "section", "graphic", "canvas", "drawing area", "entry",
         "password text", "heading", "table cell", "list item", "column header", "row header",
         "scroll bar", "slider", "spin button", "check box", "radio button", "separator",
         "page tab", "page tab list", "split pane", "internal frame", "tree", "tree table"}
# what Orca says of a text box it cannot name
NAMELESS = {"text unselected", "selected", "unselected", "blank"}


def unavailable() -> str:
    """"" when Orca and xdotool can run here, else why not (the reason to skip)."""
    if shutil.which("xdotool") is None:
        return "needs xdotool (apt install xdotool)"
    if not Path(SYSTEM_PYTHON).exists():
        return f"needs the system's Python ({SYSTEM_PYTHON}) for Orca"
    found = subprocess.run([SYSTEM_PYTHON, "-c", "import orca.orca_platform as p; "
                            "print(p.version)"], capture_output=True, text=True, check=False)
    if found.returncode != 0:
        return "needs the Orca screen reader (apt install orca)"
    return ""


@dataclass
class Heard:
    """What one key made Orca do: where its focus went and what it said."""

    key: str
    focus: list[tuple[str, str]] = field(default_factory=list)  # (role, name), in order
    speech: list[str] = field(default_factory=list)

    @property
    def last_focus(self) -> tuple[str, str] | None:
        return self.focus[-1] if self.focus else None

    @property
    def text(self) -> str:
        return " | ".join(self.speech)

    def bare(self) -> bool:
        """Nothing said but a role, or words that name nothing ("Text unselected")."""
        words = [s.strip().rstrip(".").strip().lower() for s in self.speech]
        return all(not w or w in ROLES or w in NAMELESS for w in words)

    def __str__(self) -> str:
        return f"{self.key}: focus {self.focus} said {self.speech}"


class Orca:
    """One Orca on the accessibility bus of the session this process runs in."""

    def __init__(self, display: str, home: Path) -> None:
        prefs = home / "orca"
        prefs.mkdir(parents=True, exist_ok=True)
        self.log_path = home / "orca-debug.log"
        self.log_path.write_text("")
        env = {k: v for k, v in os.environ.items()
               if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "QT_QPA_PLATFORM")}
        env.update(DISPLAY=display, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
                   XDG_DATA_HOME=str(home / ".local" / "share"),
                   XDG_CACHE_HOME=str(home / ".cache"),
                   # no speech-dispatcher: nobody serves this socket, so no sound is made
                   SPEECHD_ADDRESS=f"unix_socket:{home / 'no-speech-dispatcher.sock'}",
                   GSETTINGS_BACKEND="memory")
        self.stderr = (home / "orca-stderr.txt").open("wb")
        self.proc = subprocess.Popen([SYSTEM_PYTHON, "-c", START, str(prefs),
                                      str(self.log_path)], env=env,
                                     stdout=subprocess.DEVNULL, stderr=self.stderr)
        self.display = display
        self._offset = 0
        self._buffer = ""
        self.events: list[tuple[str, str, str]] = []  # ("speech"|"focus", role, text)
        self.heard: list[Heard] = []  # what each key made it say, in order
        self.wait_for(lambda: any(kind == "speech" and "Screen reader on" in text
                                  for kind, _r, text in self.events), START_TIMEOUT,
                      "Orca to start ('Screen reader on.' in its log)")

    # -- its log ----------------------------------------------------------------------------
    def read(self) -> None:
        """Take in what Orca wrote since the last read."""
        with self.log_path.open("r", encoding="utf-8", errors="replace") as log:
            log.seek(self._offset)
            chunk = log.read()
            self._offset = log.tell()
        lines = (self._buffer + chunk).split("\n")
        self._buffer = lines.pop()  # a line not yet ended
        for line in lines:
            said = SPEECH.search(line)
            if said:
                self.events.append(("speech", "", said.group(1)))
                continue
            moved = FOCUS.search(line)
            if moved:
                self.events.append(("focus", moved.group(1), moved.group(2)))

    def alive(self) -> None:
        code = self.proc.poll()
        if code is not None:
            raise AssertionError(f"Orca ended (exit {code}): "
                                 + (self.log_path.parent / "orca-stderr.txt").read_text(
                                     errors="replace")[-3000:])

    def wait_for(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self.read()
            if done():
                return
            self.alive()
            if time.monotonic() > deadline:
                raise AssertionError(f"waited {timeout:.0f} s for {what}; Orca said: "
                                     f"{[t for k, _r, t in self.events if k == 'speech'][-20:]}")
            time.sleep(0.05)

    def settle(self, start: int, key: str, until: Callable[[Heard], bool] | None = None,
               answer: float = ANSWER) -> Heard:
        """What Orca did from event `start` on: once it said or moved something, and what
        it did satisfies `until` (or `answer` s passed), until QUIET s pass with nothing
        new. `until` keeps a slow machine's late utterance with the key that made it."""
        deadline = time.monotonic() + answer
        seen, quiet_since = start, time.monotonic()
        while True:
            self.read()
            now = time.monotonic()
            if len(self.events) != seen:
                seen, quiet_since = len(self.events), now
            if seen > start and now - quiet_since >= QUIET and (
                    until is None or until(self._heard(start, key)) or now > deadline):
                break
            if seen == start and now > deadline:
                break  # said nothing at all
            time.sleep(0.05)
        heard = self._heard(start, key)
        self.heard.append(heard)
        return heard

    def _heard(self, start: int, key: str) -> Heard:
        heard = Heard(key)
        for kind, role, text in self.events[start:]:
            if kind == "speech":
                heard.speech.append(text)
            else:
                heard.focus.append((role, text))
        return heard

    # -- the keyboard -----------------------------------------------------------------------
    def xdotool(self, *args: str) -> str:
        done = subprocess.run(["xdotool", *args], capture_output=True, text=True,
                              env={**os.environ, "DISPLAY": self.display}, timeout=60,
                              check=False)
        assert done.returncode == 0, f"xdotool {args}: {done.stderr}"
        return done.stdout

    def focus_window(self, pid: int, title: str,
                     until: Callable[[Heard], bool] | None = None) -> Heard:
        """Give the program's window the keyboard (there is no window manager to)."""
        self.read()
        start = len(self.events)
        window = self.xdotool("search", "--sync", "--onlyvisible", "--pid", str(pid),
                              "--name", title).split()[0]
        self.xdotool("windowfocus", "--sync", window)
        return self.settle(start, "window focused", until, answer=30.0)

    def press(self, key: str, until: Callable[[Heard], bool] | None = None,
              answer: float = ANSWER) -> Heard:
        """Press `key` (xdotool's words: Tab, shift+Tab, alt+n, End) and hear what follows
        (until `until` holds of it, if it comes within `answer` s)."""
        self.read()
        start = len(self.events)
        self.xdotool("key", "--clearmodifiers", key)
        return self.settle(start, key, until, answer)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.stderr.close()
