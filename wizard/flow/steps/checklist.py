"""The conversion checklist as data: every task of the procedure, who owns it, when it is
due, and whether it is done.

The tasks, their wording and their owners follow the conversion procedure this program
follows (the PMs' "Things to Know when converting to Daffron/Milsoft"): its Procedure
sections say who does what, its Key Responsibilities and Quality Assurance add what the
biller does. Where the procedure names the provider (Milsoft, Daffron) the task is theirs;
the PM signs their tasks off once they confirm them.

Due dates are relative to the maintenance window and the go-live date, as the procedure
implies them: what comes before the data can be renumbered is due the day before the window
opens; what happens "during maintenance" is due when the window ends; what must work when
customers come back is due on the go-live date; the post-go-live checks start on the go-live
date. They feed the conversion calendar (`flow.papers.conversion_calendar`).

Tasks the program performs itself (`auto`: the flag file, sending it, the cross-reference,
the biller workbook) tick themselves only when their step is done: a step that needs
attention, failed or was purged does not tick its task. The program never signs off a check
a person must make: validating that autopay and paperless were preserved is signed off by
the PM, who sees the verification step's state beside it. Every other task is signed off by
a person (`convwiz checklist PROJECT --done ID --by NAME`); each sign-off goes to the audit
log. Signing off a task again replaces the earlier sign-off (the audit log keeps both). When
every coordination task is signed off, the coordination step is done.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any, Literal

from wizard.core.dates import Dates
from wizard.core.registration_points import task_title
from wizard.errors import UsageError
from wizard.flow.project import steps
from wizard.flow.project.project import Project
from wizard.flow.records import registration

BILLER, PM, DAFFRON, MILSOFT = "Biller", "PM", "Daffron", "Milsoft"
OWNERS = (PM, BILLER, DAFFRON, MILSOFT)

Anchor = Literal["window_start", "window_end", "go_live"]


@dataclass(frozen=True)
class Due:
    """When a task is due: `days` after (or before, when negative) a date of the project."""

    anchor: Anchor
    days: int
    meaning: str  # in words, for the list and the calendar

    def on(self, dates: Dates) -> date:
        base: date = getattr(dates, self.anchor)
        return base + timedelta(days=self.days)


BEFORE_WINDOW = Due("window_start", -1, "before the maintenance window opens")
DURING_WINDOW = Due("window_end", 0, "during the maintenance window (by its last day)")
BY_GO_LIVE = Due("go_live", 0, "in place by the go-live date")
AFTER_GO_LIVE = Due("go_live", 0, "post go-live, from the go-live date")


@dataclass(frozen=True)
class Task:
    id: str
    title: str
    owner: str
    phase: str
    due: Due
    step: str | None = None  # the program's step that ticks this task, if any
    evidence: str | None = None  # the step whose result a person checks before signing


TASKS: tuple[Task, ...] = (
    # -- Initial Coordination (who: Project Manager); the biller confirms go-live
    Task("confirm_go_live", "Confirm the go-live date and the maintenance window (3 days in "
         "the procedure)", PM, "coordination", BEFORE_WINDOW),
    Task("biller_confirms_go_live", "Confirm the go-live date", BILLER, "coordination",
         BEFORE_WINDOW),
    Task("notify_biller", "Notify the biller that customers will need to re-register", PM,
         "coordination", BEFORE_WINDOW),
    Task("notify_customers", "Notify customers about re-registration", BILLER,
         "coordination", BEFORE_WINDOW),
    Task("test_bid", "Coordinate with Daffron regarding the test BID", PM, "coordination",
         BEFORE_WINDOW),
    Task("production_bid", "Prepare the production BID", PM, "coordination", BEFORE_WINDOW),
    Task("platform_conversion_request", "Request two Data Pump threads (reference Biller or "
         "CDE Lightband) in the Platform Conversion request", PM, "coordination",
         BEFORE_WINDOW),
    Task("dbr_ticket", "Update CRM: Profile > Misc Settings -> Username with Password (via "
         "DBR ticket)", PM, "coordination", BEFORE_WINDOW),
    # -- Autopay & Paperless Data Handling (who: Project Manager); the biller's mapping file
    Task("account_mapping", "Provide Daffron with the account mapping file", BILLER,
         "exchange", BEFORE_WINDOW),
    Task("flag_file", "Prepare the file of name, UTI account number, email, paperless and "
         "autopay flags, default payment method type and last 4", PM, "exchange",
         BEFORE_WINDOW, step="flag_file"),
    Task("send", "Send the file to Daffron for the system update", PM, "exchange",
         BEFORE_WINDOW, step="send"),
    Task("cross_reference", "Receive the cross-reference file with the new Daffron account "
         "numbers (and make the IC account update)", PM, "exchange", BEFORE_WINDOW,
         step="cross_reference"),
    # -- the maintenance window (System Configuration; Customer Registration)
    Task("unregister_payers", "Unregister payers from the production BID during "
         "maintenance", PM, "window", DURING_WINDOW),
    Task("renumber_accounts", "Update the account numbers in IC with the cross-reference "
         "during the maintenance window", PM, "window", DURING_WINDOW),
    Task("reconfigure_production_bid", "Reconfigure the production BID using the setup from "
         "the test BID", PM, "window", BY_GO_LIVE),
    Task("no_password_transfer", "Do not transfer passwords: customers must re-register "
         "(use token-based registration if needed)", PM, "window", BY_GO_LIVE),
    # -- Milsoft Integration & Technical Setup (who: Provider (Milsoft))
    Task("milsoft_import", "Import the data into eBusiness", MILSOFT, "window", BY_GO_LIVE),
    Task("emv_readers", "Configure EMV readers for Daffron's Cash Drawer", MILSOFT, "window",
         BY_GO_LIVE),
    Task("cloudpay_v2", "Code to CloudPay V2", MILSOFT, "window", BY_GO_LIVE),
    # -- Post-Go Live Validation and Quality Assurance (who: Project Manager, Biller)
    Task("check_flags", "Validate that autopay and paperless flags are preserved", PM,
         "post_go_live", AFTER_GO_LIVE, evidence="verification"),
    Task("check_payment_methods", "Confirm that customers can manage payment methods post "
         "go-live", PM, "post_go_live", AFTER_GO_LIVE),
    Task("check_portal_authentication", "Ensure customer portal authentication is "
         "functioning post-conversion", PM, "post_go_live", AFTER_GO_LIVE),
    Task("check_crm", "Ensure the CRM reflects the updated account numbers and "
         "authentication settings", PM, "post_go_live", AFTER_GO_LIVE),
    Task("check_access_payments", "Confirm customer access and payment functionality post "
         "go-live", BILLER, "post_go_live", AFTER_GO_LIVE),
    Task("biller_workbook", "Hand the biller the conversion workbook", PM, "post_go_live",
         AFTER_GO_LIVE, step="report"),
)
TASK_IDS = tuple(t.id for t in TASKS)
# offered once re-registration was measured, titled with the latest figure ("Customers
# re-registered: 60% on 2027-01-22"); only the biller signs it off, and a newer figure
# offers it again (flow.records.registration)
REREGISTERED = Task("customers_reregistered", "Customers re-registered", BILLER,
                    "post_go_live", AFTER_GO_LIVE)


@dataclass(frozen=True)
class ChecklistItem:
    """One task of the checklist as it stands in a project."""

    id: str
    title: str
    owner: str
    phase: str
    due: str  # YYYY-MM-DD
    due_meaning: str
    done: bool
    by: str | None
    at: str | None
    note: str
    auto: bool
    evidence: str | None  # the evidence step's state ("done", "needs attention", ...)

    def to_json(self) -> dict[str, Any]:
        """The task as the `--json` objects show it. Its fields are plain values: a flat
        copy, not `asdict`'s deep one (5x faster, and the portfolio reads hundreds of
        checklists)."""
        return {name: getattr(self, name) for name in _ITEM_FIELDS}


_ITEM_FIELDS = tuple(f.name for f in fields(ChecklistItem))


def task(task_id: str) -> Task:
    for t in (*TASKS, REREGISTERED):
        if t.id == task_id:
            return t
    raise UsageError(
        f"no checklist task {task_id!r}; the tasks are: {', '.join(TASK_IDS)}"
    )


def _state_words(record: tuple[str, str, dict[str, Any]] | None) -> str:
    if record is None:
        return "not run"
    return {"attention": "needs attention"}.get(record[0], record[0])


def entries(project: Project) -> list[ChecklistItem]:
    """Every task, in order, with its due date and whether it is done, by whom and when."""
    sign_offs = project.store.sign_offs()
    records = project.store.steps()
    dates = project.dates
    out: list[ChecklistItem] = []
    for t in TASKS:
        done, by, at, note = False, None, None, ""
        evidence = None
        if t.step is not None:
            record = records.get(t.step)
            title = steps.step(t.step).title
            if record is not None and record[0] == "done":
                done, by, at = True, "convwiz", record[1]
                note = f"done by the program ({title})"
            elif record is not None:
                note = f"'{title}': {_state_words(record)}, not done"
        else:
            signed = sign_offs.get(t.id)
            if signed is not None:
                done, by, at, note = True, signed["by"], signed["at"], signed["note"]
        if t.evidence is not None:
            evidence = _state_words(records.get(t.evidence))
        out.append(ChecklistItem(
            id=t.id, title=t.title, owner=t.owner, phase=t.phase,
            due=t.due.on(dates).isoformat(), due_meaning=t.due.meaning, done=done, by=by,
            at=at, note=note, auto=t.step is not None, evidence=evidence,
        ))
    reregistered = _reregistered(project, sign_offs, dates)
    if reregistered is not None:
        out.append(reregistered)
    return out


def _reregistered(project: Project, sign_offs: dict[str, dict[str, str]],
                  dates: Dates) -> ChecklistItem | None:
    """The re-registration task for the latest measured figure: done only when the biller
    signed it off after that figure was measured."""
    point = registration.latest(project)
    if point is None:
        return None
    t = REREGISTERED
    signed = sign_offs.get(t.id)
    done = signed is not None and signed["at"] >= point.at
    return ChecklistItem(
        id=t.id, title=task_title(point), owner=t.owner, phase=t.phase,
        due=t.due.on(dates).isoformat(), due_meaning=t.due.meaning, done=done,
        by=signed["by"] if done and signed else None,
        at=signed["at"] if done and signed else None,
        note=signed["note"] if done and signed else "", auto=False, evidence=None)


def sign_off(project: Project, task_id: str, by: str, note: str = "") -> ChecklistItem:
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
    title = t.title
    if t is REREGISTERED:
        point = registration.latest(project)
        if point is None:
            raise UsageError(f"{t.id!r} is offered once re-registration is measured: verify a "
                             "post-conversion export with a registration column first")
        title = task_title(point)
    with project.writing("checklist"):
        project.store.sign_off(t.id, by, note)
        detail: dict[str, Any] = {"task": t.id, "title": title, "note": note}
        if t.evidence is not None:
            detail["evidence"] = _state_words(project.store.step(t.evidence))
        project.store.audit("checklist signed off", actor=by, **detail)
        current = entries(project)
        coordination = [i for i in current if i.phase == "coordination"]
        if all(i.done for i in coordination) and not steps.is_done(project, "coordination"):
            steps.mark_done(project, "coordination", tasks=len(coordination), last_by=by)
    return next(i for i in current if i.id == t.id)


@dataclass(frozen=True)
class Checklist:
    """`convwiz checklist`: every task as it stands, and the one just signed off."""

    tasks: list[ChecklistItem]
    coordination_done: bool
    signed_off: ChecklistItem | None = None

    @property
    def done(self) -> int:
        return sum(1 for t in self.tasks if t.done)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"tasks": [t.to_json() for t in self.tasks], "done": self.done,
                               "total": len(self.tasks),
                               "coordination_done": self.coordination_done}
        if self.signed_off is not None:
            out["signed_off"] = self.signed_off.to_json()
        return out


def checklist_command(project: Project, done: str | None = None, by: str | None = None,
                      note: str | None = None) -> Checklist:
    """`convwiz checklist`: the list, after signing `done` off when it is given."""
    signed = sign_off(project, done, by or "", note or "") if done else None
    return Checklist(entries(project), steps.is_done(project, "coordination"), signed)
