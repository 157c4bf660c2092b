"""The conversion checklist as data: every task of the procedure, who owns it, when it
happens, and whether it is done.

Tasks the program performs itself (`auto`: the flag file, sending it, the cross-reference,
the post-go-live check of the flags, the biller workbook) tick themselves when their step
is done; they cannot be signed off by hand, because a tick there must mean the program did
the work and kept its record. Every other task is signed off by a person
(`convwiz checklist PROJECT --done ID --by NAME`); each sign-off goes to the audit log.
Signing off a task again replaces the earlier sign-off (the audit log keeps both). When
every coordination task is signed off, the coordination step is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wizard.errors import UsageError
from wizard.flow import steps
from wizard.flow.project import Project

BILLER, PM, PROVIDER = "Biller", "PM", "Provider"
PHASES = ("coordination", "exchange", "window", "post_go_live")


@dataclass(frozen=True)
class Task:
    id: str
    title: str
    owner: str
    phase: str
    step: str | None = None  # the program's step that ticks this task, if any


TASKS: tuple[Task, ...] = (
    # -- coordination, before anything is exchanged
    Task("confirm_go_live", "Confirm the go-live date and the 3-day maintenance window with "
         "the biller and the provider", PM, "coordination"),
    Task("notify_customers", "Notify customers that they must re-register after go-live "
         "(the re-registration notice)", BILLER, "coordination"),
    Task("test_bid", "Set up the test BID", PROVIDER, "coordination"),
    Task("production_bid", "Set up the production BID", PROVIDER, "coordination"),
    Task("platform_conversion_request", "Send the Platform Conversion request with the two "
         "Data Pump threads", PM, "coordination"),
    Task("cloudpay_v2", "Set up CloudPay V2 for the biller", PROVIDER, "coordination"),
    Task("emv_readers", "Order and set up EMV readers for the Cash Drawer", BILLER,
         "coordination"),
    Task("dbr_ticket", "Open the DBR ticket for the CRM change: Profile > Misc Settings: "
         "Username with Password", PM, "coordination"),
    # -- the data exchange
    Task("account_mapping", "Receive the account mapping file from the biller", BILLER,
         "exchange"),
    Task("flag_file", "Make the flag file of paperless and autopay flags", PM, "exchange",
         "flag_file"),
    Task("send", "Send the flag file to the provider over SFTP", PM, "exchange", "send"),
    Task("cross_reference", "Import the cross-reference of old to new account numbers and "
         "make the IC account update", PM, "exchange", "cross_reference"),
    # -- the maintenance window
    Task("unregister_payers", "Unregister payers during the maintenance window", PROVIDER,
         "window"),
    Task("renumber_accounts", "Renumber the accounts with the IC account update during the "
         "maintenance window", PROVIDER, "window"),
    Task("no_password_transfer", "Confirm passwords are not transferred and send the token "
         "registration file", PM, "window"),
    Task("reconfigure_production_bid", "Reconfigure the production BID from the test BID",
         PROVIDER, "window"),
    Task("milsoft_import", "Run the Milsoft import into eBusiness", PROVIDER, "window"),
    Task("crm_username_password", "Apply the CRM change by the DBR ticket: Profile > Misc "
         "Settings: Username with Password", PROVIDER, "window"),
    # -- after go-live
    Task("check_flags", "Verify the paperless and autopay flags after go-live", PM,
         "post_go_live", "verification"),
    Task("check_access_payments", "Check that customers can sign in, re-register and pay",
         BILLER, "post_go_live"),
    Task("check_crm", "Check the CRM shows Profile > Misc Settings: Username with Password",
         PM, "post_go_live"),
    Task("biller_workbook", "Hand the biller the conversion workbook", PM, "post_go_live",
         "report"),
)
TASK_IDS = tuple(t.id for t in TASKS)


def task(task_id: str) -> Task:
    for t in TASKS:
        if t.id == task_id:
            return t
    raise UsageError(
        f"no checklist task {task_id!r}; the tasks are: {', '.join(TASK_IDS)}"
    )


def items(project: Project) -> list[dict[str, Any]]:
    """Every task, in order, with whether it is done, by whom, when and with what note."""
    sign_offs = project.store.sign_offs()
    records = project.store.steps()
    out: list[dict[str, Any]] = []
    for t in TASKS:
        item: dict[str, Any] = {
            "id": t.id, "title": t.title, "owner": t.owner, "phase": t.phase,
            "done": False, "by": None, "at": None, "note": "", "auto": t.step is not None,
        }
        if t.step is not None:
            record = records.get(t.step)
            if record is not None and record[0] == "done":
                item.update(done=True, by="convwiz", at=record[1],
                            note=f"done by the program ({steps.step(t.step).title})")
        else:
            signed = sign_offs.get(t.id)
            if signed is not None:
                item.update(done=True, by=signed["by"], at=signed["at"], note=signed["note"])
        out.append(item)
    return out


def sign_off(project: Project, task_id: str, by: str, note: str = "") -> dict[str, Any]:
    """Sign a task off (audited); return its item. Marks coordination done when complete."""
    t = task(task_id.strip())
    by = (by or "").strip()
    if not by:
        raise UsageError("a sign-off needs the name of who signs it off (--by NAME)")
    if t.step is not None:
        raise UsageError(
            f"{t.id!r} ticks itself when the program does it "
            f"('{steps.step(t.step).title}'); it cannot be signed off by hand"
        )
    note = (note or "").strip()
    with project.writing("checklist"):
        project.store.sign_off(t.id, by, note)
        project.store.audit("checklist signed off", actor=by, task=t.id, title=t.title,
                            note=note)
        current = items(project)
        coordination = [i for i in current if i["phase"] == "coordination"]
        if all(i["done"] for i in coordination) and not steps.is_done(project, "coordination"):
            steps.mark_done(project, "coordination", tasks=len(coordination), last_by=by)
    return next(i for i in current if i["id"] == t.id)


def checklist_command(project: Project, done: str | None = None, by: str | None = None,
                      note: str | None = None) -> dict[str, Any]:
    """`convwiz checklist`: the list, after signing `done` off when it is given."""
    result: dict[str, Any] = {}
    if done:
        result["signed_off"] = sign_off(project, done, by or "", note or "")
    tasks = items(project)
    result["tasks"] = tasks
    result["done"] = sum(1 for t in tasks if t["done"])
    result["total"] = len(tasks)
    result["coordination_done"] = steps.is_done(project, "coordination")
    return result
