"""The conversion checklist: every task of the procedure, signed off by people or ticked
by the program, with every sign-off in the audit log."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers.cli import convwiz
from tests.helpers.conversion import build
from wizard.flow.project import steps
from wizard.flow.project.project import Project
from wizard.flow.steps.checklist import TASKS


def _tasks(project: Path) -> dict[str, dict[str, object]]:
    run = convwiz("checklist", project, "--json")
    assert run.code == 0, run.stderr
    return {t["id"]: t for t in run.result["tasks"]}


def test_the_procedure_is_all_there(project: Path) -> None:
    tasks = _tasks(project)
    assert len(tasks) == len(TASKS)
    text = " ".join(str(t["title"]) for t in tasks.values())
    for words in ("3 days", "go-live date", "re-register", "test BID", "production BID",
                  "account mapping file", "UTI account number", "cross-reference",
                  "Update the account numbers in IC", "Do not transfer passwords",
                  "token-based registration", "Profile > Misc Settings -> Username with "
                  "Password (via DBR ticket)", "setup from the test BID",
                  "Unregister payers from the production BID during maintenance",
                  "Import the data into eBusiness", "EMV readers for Daffron's Cash Drawer",
                  "CloudPay V2", "two Data Pump threads (reference Biller or CDE Lightband)",
                  "Platform Conversion request", "manage payment methods",
                  "portal authentication", "customer access and payment functionality"):
        assert words.lower() in text.lower(), words
    assert {t["phase"] for t in tasks.values()} == {"coordination", "exchange", "window",
                                                    "post_go_live"}
    assert not any(t["done"] for t in tasks.values())


def test_owners_are_the_procedures(project: Path) -> None:
    owner = {task_id: t["owner"] for task_id, t in _tasks(project).items()}
    assert set(owner.values()) == {"PM", "Biller", "Milsoft"}  # no vague "Provider"
    for task_id in ("production_bid", "unregister_payers", "renumber_accounts",
                    "reconfigure_production_bid", "test_bid", "dbr_ticket",
                    "platform_conversion_request", "check_flags"):
        assert owner[task_id] == "PM", task_id
    for task_id in ("emv_readers", "cloudpay_v2", "milsoft_import"):
        assert owner[task_id] == "Milsoft", task_id
    for task_id in ("account_mapping", "notify_customers", "biller_confirms_go_live",
                    "check_access_payments"):
        assert owner[task_id] == "Biller", task_id
    assert "Provide Daffron with the account mapping file" == _tasks(project)[
        "account_mapping"]["title"]


def test_due_dates_follow_the_window_and_go_live(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    assert convwiz("init", folder, "--biller", "Acme", "--go-live", "2026-12-14",
                   "--window-days", "4", "--production-bid", "2806", "--allow-past",
                   "--json").code == 0
    tasks = _tasks(folder)
    # the window is 2026-12-11 .. 2026-12-14 (four days ending on go-live)
    assert tasks["confirm_go_live"]["due"] == "2026-12-10"  # before the window opens
    assert tasks["send"]["due"] == "2026-12-10"
    assert tasks["unregister_payers"]["due"] == "2026-12-14"  # during the window
    assert tasks["emv_readers"]["due"] == "2026-12-14"  # in place by go-live
    assert tasks["check_access_payments"]["due"] == "2026-12-14"  # post go-live
    assert all(t["due_meaning"] for t in tasks.values())


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


def test_a_step_not_really_done_does_not_tick_its_task(project: Path) -> None:
    build(project, n=40)
    with Project.open(project) as p:
        steps.mark_purged(p, "cross_reference", files=2)
        steps.mark_attention(p, "verification", lost=7)
    tasks = _tasks(project)
    assert not tasks["cross_reference"]["done"]
    assert "purged" in str(tasks["cross_reference"]["note"])
    assert tasks["flag_file"]["done"]
    # a verification with losses: the QA task stays open and shows why
    assert not tasks["check_flags"]["done"] and not tasks["check_flags"]["auto"]
    assert tasks["check_flags"]["evidence"] == "needs attention"


def test_the_program_never_signs_the_flags_check_off(project: Path) -> None:
    build(project, n=40)
    with Project.open(project) as p:
        steps.mark_done(p, "verification", preserved=True)
    tasks = _tasks(project)
    assert tasks["check_flags"]["evidence"] == "done"
    assert not tasks["check_flags"]["done"]  # a person signs it off
    run = convwiz("checklist", project, "--done", "check_flags", "--by", "Pat", "--json")
    assert run.code == 0, run.stderr
    assert {t["id"]: t for t in run.result["tasks"]}["check_flags"]["by"] == "Pat"
    with Project.open(project) as p:
        entry = [a for a in p.store.audit_log() if a.action == "checklist signed off"][-1]
    assert entry.detail["evidence"] == "done"


def test_steps_does_not_need_the_checklist() -> None:
    """flow.project.steps imports nothing of flow.steps.checklist when it loads (no cycle)."""
    code = ("import sys, wizard.flow.project.steps; "
            "print('wizard.flow.steps.checklist' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, encoding="utf-8",
                          check=True)
    assert done.stdout.strip() == "False"


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
