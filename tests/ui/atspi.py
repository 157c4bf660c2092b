"""An AT-SPI client, as Orca is one: it talks to the program over the accessibility bus
(D-Bus), in another process, through Qt's AT-SPI bridge, never through Qt itself.

Written on `jeepney` (pure Python; keyring's Secret Service backend already depends on it)
because pyatspi needs the system's PyGObject, which a venv does not see. It knows the few
calls a screen reader makes: an application's children, names, descriptions, roles, states,
actions (press), editable text (type) and selection.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from jeepney import (
    DBusAddress,
    DBusErrorResponse,
    HeaderFields,
    MessageType,
    Properties,
    new_method_call,
)
from jeepney.io.blocking import DBusConnection, open_dbus_connection
from jeepney.low_level import Message

ACCESSIBLE = "org.a11y.atspi.Accessible"
ACTION = "org.a11y.atspi.Action"
EDITABLE = "org.a11y.atspi.EditableText"
SELECTION = "org.a11y.atspi.Selection"
REGISTRY = ("org.a11y.atspi.Registry", "/org/a11y/atspi/accessible/root")
TIMEOUT = 10.0  # s for one call: the program answers from its GUI thread

# AtspiStateType: the bits of GetState's two words
DEFUNCT, ENABLED, SHOWING, VISIBLE, SENSITIVE = 6, 8, 25, 30, 24
INTERACTIVE = {"push button", "toggle button", "check box", "radio button", "combo box",
               "text", "entry", "password text", "spin button", "list", "table", "tree",
               "tree table", "page tab", "slider"}
NULL_PATH = "/org/a11y/atspi/null"
FORGET_COUNTS_EVERY = 8  # walks: a cached child count lives about 2 s
ROWS_READ = 20  # children of a table or list read: the rows past these are alike


def a11y_bus_address() -> str:
    """The accessibility bus's address, from the session bus (starting the bus if needed)."""
    with open_dbus_connection(bus="SESSION") as session:
        msg = new_method_call(DBusAddress("/org/a11y/bus", bus_name="org.a11y.Bus",
                                          interface="org.a11y.Bus"), "GetAddress")
        return str(session.send_and_get_reply(msg, timeout=TIMEOUT).body[0])


@dataclass
class Node:
    """One accessible object as the client saw it when it walked."""

    bus: str
    path: str
    name: str = ""
    description: str = ""
    role: str = ""
    states: frozenset[int] = frozenset()
    actions: tuple[str, ...] = ()
    trail: str = ""
    children: list[Node] = field(default_factory=list, repr=False)

    @property
    def showing(self) -> bool:
        return SHOWING in self.states and VISIBLE in self.states

    @property
    def enabled(self) -> bool:
        return ENABLED in self.states or SENSITIVE in self.states

    @property
    def interactive(self) -> bool:
        return self.role in INTERACTIVE

    def __str__(self) -> str:
        return f"{self.trail} [{self.role}] {self.name!r}"


class Client:
    """A connection to the accessibility bus and the one application it reads."""

    def __init__(self, address: str) -> None:
        self.conn: DBusConnection = open_dbus_connection(bus=address)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the calls -----------------------------------------------------------------------
    def call(self, bus: str, path: str, interface: str, method: str,
             signature: str | None = None, *args: Any) -> tuple[Any, ...]:
        msg = new_method_call(DBusAddress(path, bus_name=bus, interface=interface), method,
                              signature, args) if signature else new_method_call(
            DBusAddress(path, bus_name=bus, interface=interface), method)
        return tuple(self.conn.send_and_get_reply(msg, timeout=TIMEOUT).body)

    def prop(self, bus: str, path: str, interface: str, name: str) -> Any:
        msg = Properties(DBusAddress(path, bus_name=bus, interface=interface)).get(name)
        return self.conn.send_and_get_reply(msg, timeout=TIMEOUT).body[0][1]

    def pid_of(self, bus: str) -> int:
        msg = new_method_call(DBusAddress("/org/freedesktop/DBus", bus_name="org.freedesktop.DBus",
                                          interface="org.freedesktop.DBus"),
                              "GetConnectionUnixProcessID", "s", (bus,))
        return int(self.conn.send_and_get_reply(msg, timeout=TIMEOUT).body[0])

    def application(self, pid: int) -> Node | None:
        """The application registered on the bus by process `pid`, if it is there yet."""
        for bus, path in self.call(*REGISTRY, ACCESSIBLE, "GetChildren")[0]:
            try:
                if self.pid_of(bus) == pid:
                    return self.read(bus, path, "app")
            except DBusErrorResponse:
                continue  # an application that went away meanwhile
        return None

    def wait_for_application(self, pid: int, timeout: float = 60.0) -> Node:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            app = self.application(pid)
            if app is not None:
                return app
            time.sleep(0.2)
        raise TimeoutError(f"process {pid} never appeared on the accessibility bus")

    def batch(self, messages: list[Message]) -> list[Any]:
        """Send every message, then gather the replies: one round trip for the lot, as a
        screen reader's library pipelines its calls. Each result is the reply's body, or
        the DBusErrorResponse when the call failed (a node gone meanwhile)."""
        serials = []
        for msg in messages:
            serial = next(self.conn.outgoing_serial)
            self.conn.send(msg, serial=serial)
            serials.append(serial)
        replies: dict[int, Any] = {}
        deadline = time.monotonic() + TIMEOUT
        while len(replies) < len(serials):
            msg_in = self.conn.receive(timeout=max(0.01, deadline - time.monotonic()))
            reply_to = msg_in.header.fields.get(HeaderFields.reply_serial)
            if reply_to is None:
                continue  # a signal: not ours
            replies[reply_to] = (DBusErrorResponse(msg_in)
                                 if msg_in.header.message_type == MessageType.error
                                 else msg_in.body)
        return [replies[s] for s in serials]

    def read(self, bus: str, path: str, trail: str) -> Node:
        """One node's name, description, role, states and action names."""
        node = Node(bus, path, trail=trail)
        self._fill([node])
        return node

    def _fill(self, nodes: list[Node]) -> list[Node]:
        """Name, description, role, states and actions of each of `nodes`, in two round
        trips; the nodes that went away meanwhile are left out of the result."""
        def addr(n: Node, interface: str) -> DBusAddress:
            return DBusAddress(n.path, bus_name=n.bus, interface=interface)

        asks = []
        for n in nodes:
            asks += [Properties(addr(n, ACCESSIBLE)).get("Name"),
                     Properties(addr(n, ACCESSIBLE)).get("Description"),
                     new_method_call(addr(n, ACCESSIBLE), "GetRoleName"),
                     new_method_call(addr(n, ACCESSIBLE), "GetState"),
                     new_method_call(addr(n, ACCESSIBLE), "GetInterfaces")]
        answers = self.batch(asks)
        alive: list[Node] = []
        with_actions: list[Node] = []
        for i, n in enumerate(nodes):
            name, description, role, state, interfaces = answers[5 * i:5 * i + 5]
            if any(isinstance(a, Exception) for a in (name, description, role, state,
                                                      interfaces)):
                continue
            n.name, n.description = str(name[0][1]), str(description[0][1])
            n.role = str(role[0])
            n.states = frozenset(32 * w + bit for w, word in enumerate(state[0])
                                 for bit in range(32) if word >> bit & 1)
            alive.append(n)
            if ACTION in interfaces[0]:
                with_actions.append(n)
        actions = self.batch([new_method_call(addr(n, ACTION), "GetActions")
                              for n in with_actions])
        for n, got in zip(with_actions, actions, strict=True):
            if not isinstance(got, Exception):
                n.actions = tuple(a[0] for a in got[0])
        return alive

    def walk(self, root: Node) -> list[Node]:
        """Every showing node under `root`, as a screen reader reads a window: a node that
        is not showing hides its children; a table's or list's rows past ROWS_READ are
        not read (they are alike). Level by level, each level's calls pipelined."""
        seen: list[Node] = []
        level = [root]
        while level:
            seen += level
            kids = self.batch([new_method_call(
                DBusAddress(n.path, bus_name=n.bus, interface=ACCESSIBLE), "GetChildren")
                for n in level])
            below: list[Node] = []
            for node, got in zip(level, kids, strict=True):
                if isinstance(got, Exception):
                    continue  # gone while we read it: the window changed under us
                children = got[0]
                if node.role in ("table", "list", "tree", "tree table"):
                    children = children[:ROWS_READ]
                for i, (bus, path) in enumerate(children):
                    child = Node(bus, path, trail=f"{node.trail}/{i}")
                    node.children.append(child)
                    below.append(child)
            level = [n for n in self._fill(below) if n.showing]
        return seen

    def walk_by_index(self, root: Node, counts: dict[str, int] | None = None) -> int:
        """Every showing node under `root` read as pyatspi reads it (Orca's library),
        depth first, one call at a time: a node's child count, then its first child by
        index and that child's whole subtree, then the second child by index, and so on.
        Between a node's count and its last child the window goes on changing (a progress
        bar hides, a page is chosen). `counts` is the reader's cache of child counts, kept
        between walks as libatspi keeps them (it forgets a count when the application
        announces that the node's children changed, which Qt does not do when a scroll bar
        hides). A child asked for that is no longer there must come back as nothing, never
        crash the program (issue 22: Qt's scroll area read past the end of its list).
        Returns how many nodes were read."""
        cache = {} if counts is None else counts

        def count_of(node: Node) -> int:
            if node.path not in cache:
                try:
                    got = self.prop(node.bus, node.path, ACCESSIBLE, "ChildCount")
                except DBusErrorResponse:
                    return 0  # gone meanwhile
                if not isinstance(got, int):
                    return 0  # an answer that is not a count: read nothing below
                cache[node.path] = got
            count = cache[node.path]
            return min(count, ROWS_READ) if node.role in (
                "table", "list", "tree", "tree table") else count

        def visit(node: Node) -> int:
            read = 1
            for i in range(count_of(node)):
                try:
                    bus, path = self.call(node.bus, node.path, ACCESSIBLE, "GetChildAtIndex",
                                          "i", i)[0]
                except DBusErrorResponse:
                    continue  # gone meanwhile
                if str(path) == NULL_PATH:
                    continue
                child = Node(str(bus), str(path), trail=f"{node.trail}/{i}")
                if self._fill([child]) and child.showing:
                    read += visit(child)
            return read

        return visit(root)

    # -- what a user does ----------------------------------------------------------------
    def do(self, node: Node, action: str) -> None:
        names = [a.lower() for a in node.actions]
        if action.lower() not in names:
            raise AssertionError(f"{node} has no action {action!r}: {node.actions}")
        done = self.call(node.bus, node.path, ACTION, "DoAction", "i", names.index(action.lower()))
        assert done[0], f"{action} on {node} was refused"

    def press(self, node: Node) -> None:
        self.do(node, "Press")

    def type_text(self, node: Node, text: str) -> None:
        done = self.call(node.bus, node.path, EDITABLE, "SetTextContents", "s", text)
        assert done[0], f"typing into {node} was refused"

    def select_child(self, node: Node, index: int) -> None:
        done = self.call(node.bus, node.path, SELECTION, "SelectChild", "i", index)
        assert done[0], f"selecting child {index} of {node} was refused"


def iter_named(nodes: list[Node], role: str, starts: str) -> Iterator[Node]:
    return (n for n in nodes if n.role == role and n.name.startswith(starts))


def poll(pid: int, interval: float = 0.25, by_index: bool = True) -> int:
    """Read the whole tree of process `pid` every `interval` s, as Orca polls (child count,
    then each child by index, as pyatspi does; `by_index=False`: all children in one call),
    until the process leaves the bus or stdin closes; returns how many reads were made."""
    import select
    import sys

    reads = 0
    counts: dict[str, int] = {}  # the reader's cache of child counts (walk_by_index)
    with Client(a11y_bus_address()) as client:
        while True:
            ready, _, _ = select.select([sys.stdin], [], [], interval)
            if ready:
                break  # the test closed our stdin: stop
            try:
                app = client.application(pid)
            except DBusErrorResponse:
                continue
            if app is None and reads:
                break
            if app is not None:
                try:
                    if reads % FORGET_COUNTS_EVERY == 0:
                        counts.clear()  # as if the application had announced changes
                    client.walk_by_index(app, counts) if by_index else client.walk(app)
                    reads += 1
                except (DBusErrorResponse, TimeoutError, ValueError, TypeError):
                    continue  # a node gone mid-read, an odd answer: Orca reads on
    return reads


if __name__ == "__main__":  # python -m tests.ui.atspi PID [--children]: the polling reader
    import sys

    print(poll(int(sys.argv[1]), by_index="--children" not in sys.argv), flush=True)


# -- a screen for the program: the walks' private X server ----------------------------------
def desktop_missing() -> str | None:
    """Why the window cannot be driven here (a reason to skip), or None."""
    if shutil.which("Xvfb") is None:
        return "needs Xvfb (apt install xvfb)"
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return "needs a D-Bus session bus (run under dbus-run-session)"
    try:
        a11y_bus_address()
    except Exception as exc:  # noqa: BLE001 - any failure here means: no accessibility bus
        return f"needs the AT-SPI bus (apt install at-spi2-core): {exc}"
    return None


@contextlib.contextmanager
def xvfb(size: str = "1366x768x24") -> Iterator[str]:
    """A private X server with one screen of `size` (WIDTHxHEIGHTxDEPTH); its display."""
    xvfb_path = shutil.which("Xvfb")
    assert xvfb_path is not None, desktop_missing()
    read, write = os.pipe()
    server = subprocess.Popen([xvfb_path, "-displayfd", str(write), "-screen", "0", size,
                               "-nolisten", "tcp"], pass_fds=(write,),
                              stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    assert number, "Xvfb did not start"
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)
