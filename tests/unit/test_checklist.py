"""The conversion checklist: every task of the procedure, signed off by people or ticked
by the program, with every sign-off in the audit log."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.cli import convwiz
from tests.helpers.conversion import build
from wizard.flow.checklist import TASKS
from wizard.flow.project import Project


def _tasks(project: Path) -> dict[str, dict[str, object]]:
    run = convwiz("checklist", project, "--json")
    assert run.code == 0, run.stderr
    return {t["id"]: t for t in run.result["tasks"]}


def test_the_procedure_is_all_there(project: Path) -> None:
    tasks = _tasks(project)
    assert len(tasks) == len(TASKS)
    text = " ".join(str(t["title"]) for t in tasks.values())
    for words in ("3-day maintenance window", "re-register", "test BID", "production BID",
                  "account mapping file", "flag file", "cross-reference", "Renumber",
                  "passwords are not transferred", "token registration",
                  "Profile > Misc Settings: Username with Password", "DBR ticket",
                  "production BID from the test BID", "Unregister payers",
                  "Milsoft import into eBusiness", "EMV readers for the Cash Drawer",
                  "CloudPay V2", "two Data Pump threads", "sign in", "pay"):
        assert words.lower() in text.lower(), words
    assert {t["owner"] for t in tasks.values()} == {"Biller", "PM", "Provider"}
    assert {t["phase"] for t in tasks.values()} == {"coordination", "exchange", "window",
                                                    "post_go_live"}
    assert not any(t["done"] for t in tasks.values())


def test_sign_off_is_recorded_and_audited(project: Path) -> None:
    run = convwiz("checklist", project, "--done", "test_bid", "--by", "Dana (Daffron)",
                  "--note", "BID 9806 live", "--json")
    assert run.code == 0, run.stderr
    task = {t["id"]: t for t in run.result["tasks"]}["test_bid"]
    assert task["done"] is True and task["by"] == "Dana (Daffron)"
    assert task["note"] == "BID 9806 live" and task["at"]
    # shown as done by status and in the plain listing
    status = convwiz("status", project, "--json").result
    assert {t["id"]: t for t in status["checklist"]}["test_bid"]["done"] is True
    listing = convwiz("checklist", project)
    assert "[x] test_bid" in listing.stdout and "Dana (Daffron)" in listing.stdout
    with Project.open(project) as p:
        entries = [a for a in p.store.audit_log() if a.action == "checklist signed off"]
    assert len(entries) == 1
    assert entries[0].actor == "Dana (Daffron)" and entries[0].detail["task"] == "test_bid"


def test_bad_sign_offs_are_usage_errors(project: Path) -> None:
    run = convwiz("checklist", project, "--done", "tset_bid", "--by", "Pat", "--json")
    assert run.code == 2
    assert "confirm_go_live" in run.result["error"]  # the valid ids are listed
    run = convwiz("checklist", project, "--done", "test_bid", "--json")
    assert run.code == 2
    # a task the program performs cannot be ticked by hand
    run = convwiz("checklist", project, "--done", "flag_file", "--by", "Pat", "--json")
    assert run.code == 2
    assert "ticks itself" in run.result["error"]
    assert not any(t["done"] for t in _tasks(project).values())


def test_program_tasks_tick_themselves(project: Path) -> None:
    build(project, n=40)
    tasks = _tasks(project)
    assert tasks["flag_file"]["done"] and tasks["flag_file"]["auto"]
    assert tasks["cross_reference"]["done"] and tasks["cross_reference"]["by"] == "convwiz"
    assert not tasks["send"]["done"] and not tasks["check_flags"]["done"]


def test_coordination_is_done_when_its_tasks_are_signed_off(project: Path) -> None:
    coordination = [t.id for t in TASKS if t.phase == "coordination"]
    for task_id in coordination[:-1]:
        assert convwiz("checklist", project, "--done", task_id, "--by", "Pat").code == 0
    status = convwiz("status", project, "--json").result
    assert next(s for s in status["steps"] if s["id"] == "coordination")["state"] != "done"
    run = convwiz("checklist", project, "--done", coordination[-1], "--by", "Pat", "--json")
    assert run.result["coordination_done"] is True
    status = convwiz("status", project, "--json").result
    assert next(s for s in status["steps"] if s["id"] == "coordination")["state"] == "done"
