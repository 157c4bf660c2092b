"""`init` checks what it is given; `settings` changes it later, audited, and says which
steps must run again; `--json` works before or after the command."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.helpers.cli import convwiz
from tests.helpers.conversion import build
from wizard.flow.project.project import Project

FUTURE = (date.today() + timedelta(days=30)).isoformat()


def _init(folder: Path, *extra: str) -> object:
    return convwiz("init", folder, "--biller", "Acme", "--go-live", FUTURE, *extra, "--json")


@pytest.mark.parametrize("bid", ["abc", "-5", "0", "12.5", "", "2806x"])
def test_a_production_bid_that_is_not_a_positive_number_is_refused(tmp_path: Path,
                                                                   bid: str) -> None:
    run = _init(tmp_path / "p", "--production-bid", bid)
    assert run.code == 2, run.stderr
    assert "BID" in run.result["error"]
    assert not (tmp_path / "p").exists()


def test_the_production_bid_is_required(tmp_path: Path) -> None:
    run = _init(tmp_path / "p")
    assert run.code == 2
    assert "--production-bid" in run.result["error"]


def test_test_bid_equal_to_production_bid_is_refused(tmp_path: Path) -> None:
    run = _init(tmp_path / "p", "--production-bid", "2806", "--test-bid", "2806")
    assert run.code == 2
    assert "both 2806" in run.result["error"]


def test_a_go_live_in_the_past_needs_allow_past(tmp_path: Path) -> None:
    past = (date.today() - timedelta(days=3)).isoformat()
    run = convwiz("init", tmp_path / "p", "--biller", "A", "--go-live", past,
                  "--production-bid", "2806", "--json")
    assert run.code == 2 and "in the past" in run.result["error"]
    run = convwiz("init", tmp_path / "p", "--biller", "A", "--go-live", past,
                  "--production-bid", "2806", "--allow-past", "--json")
    assert run.code == 0, run.stderr


def test_init_refuses_a_folder_that_holds_files(tmp_path: Path) -> None:
    folder = tmp_path / "busy"
    folder.mkdir()
    mine = folder / "notes.txt"
    mine.write_text("mine", encoding="utf-8", newline="")
    run = _init(folder, "--production-bid", "2806")
    assert run.code == 2
    assert "already holds files" in run.result["error"]
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _init(empty, "--production-bid", "2806").code == 0
    again = _init(empty, "--production-bid", "2806")
    assert again.code == 2 and "already holds a conversion project" in again.result["error"]


def test_the_pm_is_kept_in_the_project(tmp_path: Path) -> None:
    run = _init(tmp_path / "p", "--production-bid", "2806", "--pm-name", "Pat Lee",
                "--pm-email", "pat.lee@invoicecloud.example", "--pm-phone", "555-0142")
    assert run.code == 0, run.stderr
    with Project.open(tmp_path / "p") as p:
        s = p.settings
    assert (s.pm_name, s.pm_email, s.pm_phone) == ("Pat Lee", "pat.lee@invoicecloud.example",
                                                   "555-0142")


@pytest.mark.parametrize("where", ["before", "after"])
def test_json_before_or_after_the_command(project: Path, where: str) -> None:
    args = ["--json", "status", project] if where == "before" else ["status", project, "--json"]
    run = convwiz(*args)
    assert run.code == 0, run.stderr
    assert run.result["biller"] == "Acme Electric Co-op"
    assert run.result["complete"] is False


def test_settings_shows_and_changes_with_an_audit(project: Path) -> None:
    shown = convwiz("settings", project, "--json")
    assert shown.code == 0, shown.stderr
    assert shown.result["settings"]["production_bid"] == "2806"
    run = convwiz("settings", project, "--test-bid", "9807", "--pm-name", "Pat Lee", "--json")
    assert run.code == 0, run.stderr
    assert run.result["changed"]["test_bid"] == {"old": "9806", "new": "9807"}
    with Project.open(project) as p:
        changes = [e for e in p.store.audit_log() if e.action == "setting changed"]
        assert {(e.detail["setting"], e.detail["new"]) for e in changes} == {
            ("test_bid", "9807"), ("pm_name", "Pat Lee")}
    bad = convwiz("settings", project, "--production-bid", "abc", "--json")
    assert bad.code == 2


def test_a_new_production_bid_makes_the_ic_update_stale(project: Path) -> None:
    build(project, n=40, seed=5)  # flag file and cross-reference done
    states = {s["id"]: s["state"] for s in convwiz("status", project, "--json")
              .result["steps"]}
    assert states["cross_reference"] == "done"
    run = convwiz("settings", project, "--production-bid", "3907", "--json")
    assert run.code == 0, run.stderr
    assert "cross_reference" in run.result["stale_steps"]
    assert "back to ready" in run.stderr
    states = {s["id"]: s["state"] for s in convwiz("status", project, "--json")
              .result["steps"]}
    assert states["cross_reference"] != "done"
    assert states["flag_file"] == "done"


def test_what_the_biller_decides_is_a_setting_the_notices_use(project: Path) -> None:
    run = convwiz("settings", project, "--set", "customer_service_phone=(555) 010-0199",
                  "--json")
    assert run.code == 0, run.stderr
    assert run.result["settings"]["customer_service_phone"] == "(555) 010-0199"
    templates = convwiz("templates", project, "--json")
    assert templates.code == 0, templates.stderr
    unfilled = {u["key"] for u in templates.result["unfilled"]}
    assert "customer_service_phone" not in unfilled
    assert convwiz("settings", project, "--set", "password=x", "--json").code == 2
