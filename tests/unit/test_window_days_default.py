"""The maintenance window's default length and range live once, in core/vocabulary.py
(`DEFAULT_WINDOW_DAYS`, `WINDOW_DAYS_RANGE`): no other module writes them as a number, so
changing the procedure's window changes `init`, the start screen and an old project's dates
alike. (Project.dates and the start screen once each had their own literal 3.)"""

from __future__ import annotations

import ast
from pathlib import Path

import wizard

WIZARD = Path(wizard.__file__).parent


def _is_window_days(node: ast.AST) -> bool:
    """`"window_days"` as a string, or an attribute or name `window_days`."""
    return ((isinstance(node, ast.Constant) and node.value == "window_days")
            or (isinstance(node, ast.Attribute) and node.attr == "window_days")
            or (isinstance(node, ast.Name) and node.id == "window_days"))


def _number(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, int)
            and not isinstance(node.value, bool))


def _literal_default(node: ast.AST) -> bool:
    """`x.get("window_days", 3)`, `setting("window_days", 3)`, `<...window_days...> or 3`,
    `window_days.setValue(3)` and `window_days.setRange(1, 14)`."""
    if isinstance(node, ast.Call):
        args = node.args
        if len(args) >= 2 and _is_window_days(args[0]) and _number(args[1]):
            return True
        func = node.func
        if (isinstance(func, ast.Attribute) and func.attr in ("setValue", "setRange")
                and _is_window_days(func.value) and any(_number(a) for a in args)):
            return True
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        first, *rest = node.values
        return (any(_is_window_days(n) for n in ast.walk(first))
                and any(_number(n) for n in rest))
    return False


def literal_window_defaults(root: Path) -> list[str]:
    """Where a module under `root` writes the window's default or range as a number."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "vocabulary.py" and path.parent.name == "core":
            continue  # their one home
        tree = ast.parse(path.read_text(encoding="utf-8"))
        lines = sorted({node.lineno for node in ast.walk(tree) if _literal_default(node)})
        found += [f"{path.relative_to(root).as_posix()}:{line}" for line in lines]
    return found


def test_no_module_writes_the_window_days_default_as_a_number() -> None:
    assert literal_window_defaults(WIZARD) == []


def test_the_check_sees_a_literal_default(tmp_path: Path) -> None:
    (tmp_path / "page.py").write_text(
        'days = int(values.get("window_days") or 3)\n'
        'old = int(project.setting("window_days", 3))\n'
        'self.window_days.setValue(3)\n'
        'self.window_days.setRange(1, 14)\n'
        'fine = int(values.get("window_days") or DEFAULT_WINDOW_DAYS)\n',
        encoding="utf-8")
    assert literal_window_defaults(tmp_path) == [f"page.py:{n}" for n in (1, 2, 3, 4)]
