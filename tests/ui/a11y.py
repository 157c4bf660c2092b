"""A screen reader's view of the window, in-process: Qt's own `QAccessible` interfaces.

The client walks the accessibility tree from each top-level window, as Orca does through
AT-SPI (the Linux bridge serves these very interfaces over D-Bus): names, roles, states,
actions, children; in-process, on the GUI thread, which is where the bridge asks them too.
The same walk over the real accessibility bus, from another process, is tests/ui/atspi.py
and tests/ui/test_atspi.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from PySide6.QtGui import QAccessible, QAccessibleActionInterface, QAccessibleInterface

__all__ = ["QAccessibleActionInterface", "Node", "walk", "walk_all", "unnamed", "press"]
from PySide6.QtWidgets import QApplication, QWidget

Role = QAccessible.Role
INTERACTIVE = {Role.PushButton, Role.CheckBox, Role.RadioButton, Role.ComboBox,
               Role.EditableText, Role.SpinBox, Role.List, Role.Table, Role.Slider,
               Role.PageTab, Role.Tree}
MAX_CHILDREN = 60  # of a table or list: its cells past the first rows are alike


@dataclass(frozen=True)
class Node:
    name: str
    description: str
    role: QAccessible.Role
    visible: bool
    enabled: bool
    actions: tuple[str, ...]
    interface: QAccessibleInterface
    path: str

    @property
    def interactive(self) -> bool:
        return self.role in INTERACTIVE


def _node(iface: QAccessibleInterface, path: str) -> Node:
    state = iface.state()
    actions = iface.actionInterface()
    return Node(
        name=iface.text(QAccessible.Text.Name) or "",
        description=iface.text(QAccessible.Text.Description) or "",
        role=iface.role(),
        visible=not state.invisible,  # shown, if perhaps scrolled out of the viewport
        enabled=not state.disabled,
        actions=tuple(actions.actionNames()) if actions is not None else (),
        interface=iface,
        path=path,
    )


def walk(root: QWidget) -> Iterator[Node]:
    """Every node under `root` that is not invisible (an invisible one hides its children)."""
    top = QAccessible.queryAccessibleInterface(root)
    if top is None or not top.isValid():
        return
    stack = [(top, root.objectName() or type(root).__name__)]
    while stack:
        iface, path = stack.pop()
        if not iface.isValid():
            continue
        node = _node(iface, path)
        if iface.state().invisible:
            continue
        yield node
        count = iface.childCount()
        if node.role in (Role.Table, Role.List, Role.Tree):
            count = min(count, MAX_CHILDREN)  # cells past the first rows are alike
        for i in range(count):
            child = iface.child(i)
            if child is not None and child.isValid():
                stack.append((child, f"{path}/{child.role().name}[{i}]"))


def walk_all() -> list[Node]:
    """What a screen reader sees of every visible top-level window now."""
    nodes: list[Node] = []
    app = QApplication.instance()
    if app is None:
        return nodes
    for window in QApplication.topLevelWidgets():
        if window.isVisible():
            nodes.extend(walk(window))
    return nodes


def unnamed(nodes: list[Node]) -> list[str]:
    """The visible interactive controls without an accessible name."""
    return [f"{n.path} ({n.role.name})" for n in nodes
            if n.interactive and n.visible and not n.name.strip()]


def press(node: Node) -> None:
    """Press a button through its accessibility action, as a screen reader user does."""
    actions = node.interface.actionInterface()
    assert actions is not None, node.path
    actions.doAction(QAccessibleActionInterface.pressAction())
