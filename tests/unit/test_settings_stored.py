"""A project's settings read back from its store (`Settings.from_stored`): typed, with their
defaults, the notice settings kept beside them, and nothing else."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from wizard.core.vocabulary import DEFAULT_WINDOW_DAYS
from wizard.flow.project.project import Project
from wizard.flow.project.settings import EXTRA_SETTINGS, Settings, kept_test_bid

FULL = Settings(biller="Acme Electric Co-op", go_live=date(2026, 12, 14), production_bid="2806",
                test_bid="9806", window_days=5, pm_name="Pat Doe", pm_email="pat@example.com",
                pm_phone="555-0100", extra={EXTRA_SETTINGS[0]: "billing@acme.example"})


def test_what_was_stored_reads_back_the_same() -> None:
    assert Settings.from_stored(FULL.to_json()) == FULL


def test_the_stored_values_become_their_types() -> None:
    stored: dict[str, Any] = {"biller": 42, "go_live": "2026-12-14", "production_bid": 2806,
                              "test_bid": 9806, "window_days": "4", "pm_name": None}
    settings = Settings.from_stored(stored)
    assert settings.biller == "42"
    assert settings.go_live == date(2026, 12, 14)
    assert (settings.production_bid, settings.test_bid) == ("2806", "9806")
    assert settings.window_days == 4
    assert settings.pm_name == ""


def test_what_was_not_stored_takes_its_default() -> None:
    settings = Settings.from_stored({"go_live": "2026-12-14"})
    assert settings == Settings(biller="", go_live=date(2026, 12, 14), production_bid="",
                                test_bid=None, window_days=DEFAULT_WINDOW_DAYS)


@pytest.mark.parametrize("empty", [None, ""])
def test_an_empty_test_bid_is_none(empty: str | None) -> None:
    assert Settings.from_stored({"go_live": "2026-12-14", "test_bid": empty}).test_bid is None
    assert kept_test_bid(empty) is None  # what `project.test_bid` says too


def test_only_the_notice_settings_are_kept_beside_and_only_when_given() -> None:
    given, empty, absent = EXTRA_SETTINGS[0], EXTRA_SETTINGS[1], EXTRA_SETTINGS[2]
    stored = {"go_live": "2026-12-14", given: "billing@acme.example", empty: "",
              "window_start": "2026-12-12", "window_end": "2026-12-14", "demo": True,
              "no_such_setting": "x"}
    settings = Settings.from_stored(stored)
    assert settings.extra == {given: "billing@acme.example"}
    assert absent not in settings.extra


def test_a_project_without_a_go_live_date_is_an_error() -> None:
    with pytest.raises(KeyError):
        Settings.from_stored({"biller": "Acme"})


def test_a_projects_settings_are_the_stored_ones_typed(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p", FULL, allow_past=True) as project:
        assert project.settings == FULL
        assert project.settings == Settings.from_stored(project.store.settings())
        assert (project.biller, project.production_bid, project.test_bid) == (
            FULL.biller, FULL.production_bid, FULL.test_bid)
