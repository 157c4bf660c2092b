"""The code's shape, read with `ast`: `wizard.flow` never prints (printing is the faces'
job: the command line's `say`, the window's banners), and no function or module grows past
the house's size (functions 60 lines, modules 500)."""

from __future__ import annotations

import ast
from pathlib import Path

WIZARD = Path(__file__).resolve().parents[2] / "wizard"
FLOW = WIZARD / "flow"
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 500
STREAMS = {"stdout", "stderr", "__stdout__", "__stderr__"}


def printing(source: str) -> list[str]:
    """Where `source` prints or writes to the standard streams: a call to `print` (or
    `print` handed on as a callback), `sys.stdout` / `sys.stderr` in any use, or either
    imported from `sys`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and node.id == "print":
            found.append(f"line {node.lineno}: print")
        elif isinstance(node, ast.Attribute) and node.attr in STREAMS and \
                isinstance(node.value, ast.Name) and node.value.id == "sys":
            found.append(f"line {node.lineno}: sys.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "sys" and \
                any(alias.name in STREAMS for alias in node.names):
            found.append(f"line {node.lineno}: from sys import a stream")
    return found


def test_the_scan_finds_each_way_of_printing() -> None:
    assert printing("print('x')") == ["line 1: print"]
    assert printing("def f(say=print):\n    pass") == ["line 1: print"]
    assert printing("import sys\nsys.stderr.write('x')") == ["line 2: sys.stderr"]
    assert printing("import sys\nout = sys.stdout") == ["line 2: sys.stdout"]
    assert printing("from sys import stderr") == ["line 1: from sys import a stream"]
    assert printing("say('x')\nlog.info('x')") == []


def test_no_module_under_flow_prints() -> None:
    """flow returns its results and says its messages through the `say` it is given; the
    command line prints them (to standard error), the window shows them."""
    offenders = {path.relative_to(WIZARD.parent).as_posix(): found
                 for path in sorted(FLOW.rglob("*.py"))
                 if (found := printing(path.read_text(encoding="utf-8")))}
    assert offenders == {}


def too_long(root: Path) -> list[str]:
    """Every function over MAX_FUNCTION_LINES (def line to last line) and every module over
    MAX_MODULE_LINES under `root`."""
    found = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(root.parent).as_posix()
        if len(text.splitlines()) > MAX_MODULE_LINES:
            found.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    found.append(f"{name}:{node.lineno} {node.name}: {lines} lines")
    return found


def test_the_size_scan_finds_a_long_function(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    (package / "long.py").write_text(f"def long():\n{body}\n", encoding="utf-8")
    (package / "short.py").write_text("def short():\n    return 1\n", encoding="utf-8")
    assert too_long(package) == [f"pkg/long.py:1 long: {MAX_FUNCTION_LINES + 1} lines"]


def test_no_function_over_60_lines_and_no_module_over_500_lines() -> None:
    assert too_long(WIZARD) == []
