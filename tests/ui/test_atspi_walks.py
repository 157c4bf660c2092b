"""Issue 22's crash, as a screen reader meets it: the window must live through a reader
that walks the whole tree while the PM works.

The reader (tests/ui/atspi.py's poller, in its own process) reads as pyatspi does, which is
how the crash was found: depth first, a node's child count in one call and each child by
index in the next, with the counts cached between walks. On the code before the fix it
killed the window with SIGSEGV in 8 of 10 such runs (Qt's QScrollArea accessible interface
read past the end of its child list when a page's scroll bar hid between the two calls;
wizard/ui/scroll.py). These walks run what changes the tree the most while it reads:

- Validate and Export of the flag file at 5,000 customers (QUICK_WALKS times) and at
  100,000 (HEAVY_WALKS times, a file of that size chosen on the Flag file page);
- the findings filter, typed while the table is read;
- each page's rebuild after a change on disk (a file added to the project's `reports/`,
  which the window watches), every page that can be opened chosen in the sidebar.

Verify's details and the names with values are walked by tests/ui/test_atspi.py's whole
demo, which runs under the same reader. CI time: about 12 s a quick walk, about 60 s a heavy
one (a shared 2-core machine).
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.ui.atspi import Node
from tests.ui.test_atspi import Poller, Program, check_names, display  # noqa: F401

pytestmark = [pytest.mark.atspi, pytest.mark.slow]
QUICK_WALKS = 30
HEAVY_WALKS = 2
HEAVY_CUSTOMERS = 100_000
HEAVY_TIMEOUT = 400.0  # s: a 100,000-customer validate and export on a loaded machine


def shown_rows(program: Program, what: str) -> Node:
    """The 'Rows shown in the findings: …' label once it says a count."""
    return program.wait(f"the rows shown in the {what}", lambda nodes: next(
        (n for n in nodes if n.name.startswith(f"Rows shown in the {what}: ")
         and n.name.rstrip().endswith(("rows", "0", "1", "2", "3", "4", "5", "6", "7", "8",
                                       "9"))), None))


def flag_file_walk(program: Program, export_of: Callable[[Path], Path],
                   timeout: float) -> None:
    """Flag file: choose `export`, Validate, filter the findings, Export; then a change on
    disk and every page that opens, each rebuilt while the reader reads."""
    program.text("Steps")  # the demo is made and its project open
    export = export_of(program_folder(program))
    program.step(2)
    program.press("Choose file")
    program.client.type_text(program.field("File name"), str(export))
    program.press("Open", exact=True)
    program.button("Validate", timeout=timeout)
    program.press("Validate")
    program.button("Export flag file", timeout=timeout)
    program.text("no blocking findings", timeout=timeout)
    check_names(program, "validate")
    if any(n.name == "Filter the findings" for n in program.read()):
        before = shown_rows(program, "findings").name
        program.client.type_text(program.field("Filter the findings"), "row")
        program.wait("the findings filtered", lambda nodes: next(
            (n for n in nodes if n.name.startswith("Rows shown in the findings: ")
             and n.name != before and "filtering" not in n.name), None), timeout)
        program.client.type_text(program.field("Filter the findings"), "")
    program.press("Export flag file")
    program.text("Flag file written", timeout=timeout)
    check_names(program, "export")
    project = next(program_folder(program).rglob("convwiz.sqlite"))
    (project.parent / "reports" / "note from the biller.txt").write_text("changed on disk")
    for number in (1, 2, 3, 7, 2):
        program.step(number)
        check_names(program, f"step {number} after a change on disk")
    program.alive()


def program_folder(program: Program) -> Path:
    return Path(program.proc.args[-1])


def run_walk(display: str, tmp_path: Path, export_of: Callable[[Path], Path],  # noqa: F811
             timeout: float) -> None:
    home = tmp_path / "home"
    home.mkdir()
    folder = tmp_path / "demo"
    program = Program(display, home, folder)
    poller = Poller(program.proc.pid)
    try:
        flag_file_walk(program, export_of, timeout)
    finally:
        reads = poller.stop()
        code = program.close()
    assert reads > 3, "the reading client hardly read the tree"
    stderr = program.stderr_path.read_text(errors="replace")
    assert code in (0, -signal.SIGTERM), (code, stderr[-4000:])
    assert "Fatal Python error" not in stderr, stderr


def demo_export(folder: Path) -> Path:
    return next(folder.rglob("demo_portal_export.csv"))


@pytest.mark.parametrize("walk", range(QUICK_WALKS))
def test_flag_file_at_5000_customers_under_a_reading_screen_reader(
        display: str, tmp_path: Path, walk: int) -> None:  # noqa: F811
    run_walk(display, tmp_path, demo_export, 120.0)


@pytest.fixture(scope="module")
def heavy_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from wizard.core import generate
    from wizard.flow.demo import portal_export

    path = tmp_path_factory.mktemp("heavy") / f"portal export {HEAVY_CUSTOMERS}.csv"
    generate.write_csv(portal_export(HEAVY_CUSTOMERS), path)
    return path


@pytest.mark.timeout(3 * HEAVY_TIMEOUT)
@pytest.mark.parametrize("walk", range(HEAVY_WALKS))
def test_flag_file_at_100000_customers_under_a_reading_screen_reader(
        display: str, tmp_path: Path, heavy_export: Path, walk: int) -> None:  # noqa: F811
    run_walk(display, tmp_path, lambda _folder: heavy_export, HEAVY_TIMEOUT)
