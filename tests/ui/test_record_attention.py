"""A row removed or changed in the audit log with the sqlite3 shell (triggers dropped) is
shown where the PM looks: the start screen's portfolio row and the window's status line say
the project needs attention, naming the row (CONTRACT.md, "The record")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import convwiz
from tests.helpers.old_store import audit_rows, tamper
from wizard.services import places
from wizard.ui.portfolio_view import NEXT_ACTION, STATE

LONG = 60_000


@pytest.fixture
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, int, str]:
    """A project in the documents folder whose second audit row was changed by hand."""
    documents = tmp_path / "Documents" / "Conversion Wizard"
    folder = documents / "acme"
    run = convwiz("init", folder, "--biller", "Acme Electric Co-op", "--go-live",
                  "2027-03-15", "--production-bid", "2806", "--allow-past")
    assert run.code == 0, run.stderr
    assert convwiz("settings", folder, "--pm-name", "Pat Lee").code == 0
    seq, at, _action = audit_rows(folder)[1]
    tamper(folder, f"UPDATE audit SET actor = 'someone else' WHERE seq = {seq}")
    monkeypatch.setattr(places, "documents_dir", lambda: documents)
    return folder, seq, at


def test_the_start_screen_shows_the_broken_record(qtbot: Any, wizard: Any,
                                                  broken: tuple[Path, int, str]) -> None:
    folder, seq, at = broken
    start = wizard.show_start()
    qtbot.waitUntil(lambda: start.portfolio.loaded_once and
                    not wizard.runner.running("portfolio"), timeout=LONG)
    model = start.portfolio.model
    row = next(i for i, c in enumerate(model.rows) if c.path == folder)
    assert str(model.index(row, STATE).data()).startswith("Needs attention")
    assert f"broken at row {seq}, {at}" in str(model.index(row, NEXT_ACTION).data())


def test_the_window_s_status_line_says_the_record_needs_attention(
        qtbot: Any, wizard: Any, broken: tuple[Path, int, str]) -> None:
    folder, seq, at = broken
    main = wizard.open_project(folder)
    assert main is not None
    text = main.status_label.text()
    assert text.startswith("The audit log needs attention"), text
    assert f"row {seq}, {at}" in text
