"""No process opens `convwiz.sqlite` or its -wal, -shm or -journal except through SQLite
(CONTRACT.md, "The record"; issue 29). On POSIX, closing any descriptor of a file drops every
lock the process holds on it: a plain open() beside the window's live connection let the
next child step delete the -wal under it, and the window's later writes were lost.

Two checks: the source (no module outside the store opens, reads, hashes, copies, replaces
or deletes a path made from the store's name) and a run (the whole demo, then status, the
portfolio, the audit and purge, with every Python-level open, replace and delete of a store
file made to fail)."""

from __future__ import annotations

import ast
import builtins
import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import convwiz
from wizard.core.vocabulary import STORE_NAME, is_store_file
from wizard.services.store import Store

ROOT = Path(__file__).resolve().parents[2]
WIZARD = ROOT / "wizard"
ALLOWED = {WIZARD / "services" / "store.py"}  # the store: SQLite's connections alone

# calls that open, read, write, hash, copy, move or delete a file by its path
FILE_CALLS = {"open", "read_bytes", "read_text", "write_bytes", "write_text", "unlink",
              "rename", "replace", "remove", "copy", "copyfile", "copy2", "copytree", "move",
              "sha256_file", "atomic_output", "atomic_path", "fdopen", "touch", "truncate",
              "link", "symlink_to", "hardlink_to"}


# of these, a bare name is another function (dataclasses.replace); as a method, a file's
METHOD_ONLY = {"replace", "rename", "remove", "unlink", "touch", "truncate", "link"}


def _message(node: ast.AST) -> bool:
    """An f-string with words in it is a message naming the file, not a path."""
    return isinstance(node, ast.JoinedStr) and any(
        isinstance(v, ast.Constant) and " " in str(v.value) for v in node.values)


def _mentions_store(node: ast.AST, tainted: set[str]) -> bool:
    messages = {id(m) for n in ast.walk(node) if _message(n) for m in ast.walk(n)}
    for sub in ast.walk(node):
        if id(sub) in messages:
            continue
        if isinstance(sub, ast.Name) and (sub.id == "STORE_NAME" or sub.id in tainted):
            return True
        if isinstance(sub, ast.Attribute) and sub.attr == "STORE_NAME":
            return True
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) \
                and STORE_NAME in sub.value and " " not in sub.value:
            return True
    return False


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def store_opens(source: str) -> list[int]:
    """Lines of `source` where a file call takes a path made from the store's name, directly
    or through a variable assigned from one (in the same function or module)."""
    tree = ast.parse(source)
    found: list[int] = []
    scopes: list[ast.AST] = [tree, *(n for n in ast.walk(tree)
                                     if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))]
    for scope in scopes:
        tainted: set[str] = set()
        body = list(ast.walk(scope))
        for _ in range(3):  # a name made from a name made from the store's name
            for node in body:
                value = getattr(node, "value", None)
                if isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr) \
                        and value is not None and _mentions_store(value, tainted):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    tainted |= {t.id for t in targets if isinstance(t, ast.Name)}
        for node in body:
            if not isinstance(node, ast.Call) or _call_name(node) not in FILE_CALLS:
                continue
            if isinstance(node.func, ast.Name) and node.func.id in METHOD_ONLY:
                continue
            receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
            if (receiver is not None and not (isinstance(receiver, ast.Name)
                                              and receiver.id in ("os", "shutil", "io"))
                    and _mentions_store(receiver, tainted)) \
                    or any(_mentions_store(a, tainted) for a in node.args) \
                    or any(_mentions_store(k.value, tainted) for k in node.keywords):
                found.append(node.lineno)
    return sorted(set(found))


def test_the_scan_finds_each_kind_of_direct_open() -> None:
    """The check itself can fail: the portfolio's read before the fix, and its kin."""
    before_the_fix = (
        "def read(folder):\n"
        "    store_path = folder / STORE_NAME\n"
        "    with store_path.open('rb') as handle:\n"
        "        return handle.read(100)\n")
    assert store_opens(before_the_fix) == [3]
    for line in ("open(folder / 'convwiz.sqlite-wal', 'rb')",
                 "shutil.copyfile(folder / STORE_NAME, backup)",
                 "os.replace(tmp, project.folder / STORE_NAME)",
                 "sha256_file(folder / f'{STORE_NAME}-shm')",
                 "Path(str(folder / STORE_NAME) + '-journal').unlink()"):
        assert store_opens(line) == [1], line
    assert store_opens("(folder / STORE_NAME).stat()\nStore(folder / STORE_NAME)") == []


def test_no_module_outside_the_store_opens_a_database_file() -> None:
    offenders = {str(path.relative_to(ROOT)): lines
                 for path in sorted(WIZARD.rglob("*.py")) if path not in ALLOWED
                 if (lines := store_opens(path.read_text(encoding="utf-8")))}
    assert offenders == {}, ("open the store through SQLite (wizard.services.store), never "
                             f"as a file: {offenders}")


# -- a run --------------------------------------------------------------------------------------
@pytest.fixture
def store_files_refused(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every Python-level open, replace, rename and delete of a store file fails (and is
    listed, in case the program swallows the error). SQLite's own opens are below Python."""
    seen: list[str] = []

    def guard(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for arg in args[:2]:
                if isinstance(arg, str | bytes | os.PathLike) and not isinstance(arg, int):
                    text = os.fsdecode(arg)
                    if Path(text).name.casefold().startswith(STORE_NAME):
                        seen.append(f"{name}({text})")
                        raise AssertionError(f"{name} of a store file: {text}")
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(builtins, "open", guard("open", builtins.open))
    monkeypatch.setattr(io, "open", guard("io.open", io.open))
    for name in ("open", "replace", "rename", "remove", "unlink"):
        monkeypatch.setattr(os, name, guard(f"os.{name}", getattr(os, name)))
    yield seen


def test_a_whole_conversion_opens_no_store_file_but_through_sqlite(
        tmp_path: Path, store_files_refused: list[str]) -> None:
    folder = tmp_path / "demo"
    window = None
    run = convwiz("demo", folder, "--customers", "300", "--json")
    assert run.code == 0, run.stderr
    window = Store(folder / STORE_NAME)  # a window holding the project while others read it
    try:
        for args in (("status", folder), ("portfolio", folder), ("audit", folder, "--verify"),
                     ("audit", folder), ("report", folder, "--no-encrypt"),
                     ("purge", folder, "--yes", "--force")):
            run = convwiz(*args, "--json")
            assert run.code == 0, (args, run.stderr)
    finally:
        window.close()
    assert store_files_refused == []


# -- a store file given where a file is asked for ----------------------------------------------
CHILD = """
import sys
from pathlib import Path
from wizard.services.store import Store
s = Store(Path(sys.argv[1]))
s.set_setting("child", 2)
s.close()
"""


@pytest.mark.parametrize("suffix", ["", "-wal"])
def test_a_store_file_given_as_input_is_refused_and_the_window_keeps_its_wal(
        project: Path, suffix: str) -> None:
    """The PM picks the project's database as the customer export (the window's file dialog
    shows it): exit 2 naming it, and the window's locks stay (before, the reader's plain
    open() and close dropped them and the next step deleted the -wal)."""
    db = project / STORE_NAME
    window = Store(db)
    try:
        window.set_setting("before", 1)
        run = convwiz("export-flags", project, "--input", Path(str(db) + suffix), "--json")
        subprocess.run([sys.executable, "-c", CHILD, str(db)], check=True, cwd=ROOT,
                       timeout=120)
        assert Path(str(db) + "-wal").exists(), "the -wal went under a live connection"
        window.set_setting("after", 3)
    finally:
        window.close()
    assert run.code == 2 and "database" in run.result["error"], run.stderr
    with Store(db) as fresh:
        assert (fresh.setting("before"), fresh.setting("child"), fresh.setting("after")) \
            == (1, 2, 3)


def test_a_store_file_is_never_an_output_nor_purged(project: Path) -> None:
    run = convwiz("portfolio", project, "--workbook", project / STORE_NAME, "--json")
    assert run.code == 2 and "database" in run.result["error"]
    link = project / "reports" / "notes.xlsx"
    if sys.platform != "win32":  # a link to it is refused too (Windows needs a privilege)
        link.symlink_to(project / STORE_NAME)
        assert is_store_file(link)
    with Store(project / STORE_NAME) as s:
        s.record_file("made", "flag_file", STORE_NAME, "0" * 64, rows=1, size=1)
    run = convwiz("purge", project, "--yes", "--force", "--json")
    assert run.code == 0, run.stderr
    assert (project / STORE_NAME).is_file() and STORE_NAME not in run.result["removed"]
