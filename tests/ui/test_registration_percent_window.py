"""The start screen's portfolio says 99% for 999 of 1,000 customers re-registered, as
`convwiz status` does (issue 33: it once rounded to 100% while a customer was missing)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.nearly_all import NEARLY_ALL, nearly_all_registered
from wizard.services import places
from wizard.ui.portfolio_view import COLUMNS


def test_the_start_screen_says_99(qtbot: Any, wizard: Any, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "Documents" / "Conversion Wizard"
    nearly_all_registered(folder, date.today())
    monkeypatch.setattr(places, "documents_dir", lambda: folder)
    start = wizard.show_start()
    qtbot.waitUntil(lambda: start.portfolio.loaded_once and
                    not wizard.runner.running("portfolio"), timeout=60_000)
    model = start.portfolio.model
    column = next(c for c, spec in enumerate(COLUMNS) if spec[0] == "Registered")
    assert [model.index(r, column).data() for r in range(model.rowCount())] == [NEARLY_ALL]
