"""A conversion's dates (core/dates.py): the maintenance window is the window's days ending on
the go-live date, read back from a project's stored settings as they were kept."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from wizard.core.dates import Dates, maintenance_window
from wizard.core.vocabulary import DEFAULT_WINDOW_DAYS
from wizard.flow.project.project import Project
from wizard.flow.project.settings import Settings

GO_LIVE = date(2026, 12, 14)


@pytest.mark.parametrize(("days", "start"), [(1, date(2026, 12, 14)), (3, date(2026, 12, 12)),
                                             (14, date(2026, 12, 1))])
def test_the_window_ends_on_the_go_live_date(days: int, start: date) -> None:
    assert maintenance_window(GO_LIVE, days) == (start, GO_LIVE)


def test_a_window_across_the_new_year() -> None:
    assert maintenance_window(date(2027, 1, 1), 3) == (date(2026, 12, 30), date(2027, 1, 1))


def test_the_days_in_and_around_the_window() -> None:
    dates = Dates(GO_LIVE, date(2026, 12, 12), GO_LIVE)
    assert dates.window_days == 3
    assert [dates.in_window(date(2026, 12, d)) for d in (11, 12, 13, 14, 15)] == [
        False, True, True, True, False]
    assert dates.days_to_go_live(date(2026, 12, 1)) == 13
    assert dates.days_to_go_live(date(2026, 12, 15)) == -1  # the day after go-live


def test_the_stored_window_is_read_as_it_was_kept() -> None:
    stored = {"go_live": "2026-12-14", "window_start": "2026-12-10",
              "window_end": "2026-12-14", "window_days": 3}
    # the kept days win over the length (a project stored with its own window)
    assert Dates.from_stored(stored) == Dates(GO_LIVE, date(2026, 12, 10), GO_LIVE)


@pytest.mark.parametrize("kept", [{}, {"window_start": "2026-12-10"},
                                  {"window_start": "", "window_end": ""}])
def test_without_both_kept_days_the_window_is_worked_out(kept: dict[str, str]) -> None:
    stored = {"go_live": "2026-12-14", "window_days": 5, **kept}
    assert Dates.from_stored(stored) == Dates(GO_LIVE, date(2026, 12, 10), GO_LIVE)
    del stored["window_days"]  # nor its length: the procedure's window
    dates = Dates.from_stored(stored)
    assert dates.window_days == DEFAULT_WINDOW_DAYS
    assert dates.window_end == GO_LIVE


def test_a_projects_dates_are_the_ones_it_stored(tmp_path: Path) -> None:
    settings = Settings(biller="Acme", go_live=GO_LIVE, production_bid="2806", window_days=5)
    with Project.create(tmp_path / "p", settings, allow_past=True) as project:
        assert project.store.setting("window_start") == "2026-12-10"
        assert project.store.setting("window_end") == "2026-12-14"
        assert project.dates == Dates(GO_LIVE, date(2026, 12, 10), GO_LIVE)
        assert project.dates.window_days == 5
