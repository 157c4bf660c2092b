"""`convwiz status`'s headline and the window's status line follow one rule
(`flow.overview.standing`), each in its own words. They once had a rule each and disagreed:
after a purge the command line said "Next step: Flag file" (the files are gone on purpose:
nothing is next), and with the flag file made but the coordination tasks still open it
said "Next step: Coordinate" where the window, like its Next button, moved on (to "Send to
Daffron", then "Cross-reference") and said Coordinate was still open. The window's rule was
kept in both cases: it names what is still open, so nothing is hidden, and it agrees with
the Next button."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.helpers.cli import convwiz
from tests.helpers.portfolio import KINDS
from wizard.flow.overview.standing import PURGED_WORDS
from wizard.flow.overview.status import status
from wizard.flow.project import steps
from wizard.flow.project.project import Project
from wizard.flow.project.settings import Settings
from wizard.flow.steps import checklist
from wizard.ui.truth import conversion


def _headlines(folder: Path) -> tuple[str, str]:
    """(the command line's, the window's)."""
    shown = convwiz("status", folder, "--json")
    assert shown.code == 0, shown.stderr
    with Project.open(folder) as p:
        window = conversion(p).headline()
        assert status(p).complete == conversion(p).complete
    return str(shown.result["headline"]), window


def _made(tmp_path: Path, name: str) -> Project:
    return Project.create(tmp_path / name, Settings(f"Co-op {name}", date(2026, 12, 14), "100"),
                          allow_past=True, today=date(2026, 11, 1))


def test_sent_with_the_coordination_still_open(tmp_path: Path) -> None:
    with _made(tmp_path, "sent") as project:
        with project.writing("test"):
            steps.mark_done(project, "flag_file", rows=10)
            steps.mark_done(project, "send")
    said, window = _headlines(tmp_path / "sent")
    assert said == "Next step: Cross-reference (still open: Coordinate)"
    assert window == "Next: Cross-reference (still open: Coordinate)"


def test_purged(tmp_path: Path) -> None:
    with _made(tmp_path, "purged") as project:
        for t in checklist.TASKS:
            if t.step is None:
                checklist.sign_off(project, t.id, "Pat PM")
        with project.writing("test"):
            for s in ("flag_file", "send", "cross_reference", "verification", "report"):
                steps.mark_done(project, s)
                steps.mark_purged(project, s)
    assert _headlines(tmp_path / "purged") == (PURGED_WORDS, PURGED_WORDS)


def test_the_faces_agree_in_every_state(tmp_path: Path) -> None:
    """Each kind of the generated portfolio: the same case, in each face's words."""
    for kind in KINDS:
        with _made(tmp_path, kind.name) as project:
            kind.make(project)
        said, window = _headlines(tmp_path / kind.name)
        if said.startswith("Next step: "):
            assert window == "Next: " + said.removeprefix("Next step: "), kind.name
        elif "needs attention" in said:
            assert said.split("'")[1] in window and "needs attention" in window, kind.name
        elif said.endswith(": complete"):
            assert window.endswith("the conversion is complete"), kind.name
        elif said == PURGED_WORDS:
            assert window == PURGED_WORDS, kind.name
        else:
            assert said.startswith("Every step is done; ") and window.startswith(
                "Every step is done; "), kind.name
