"""The conversion's steps as data: what each needs first, whether it is done, what it made.

The command line refuses a step whose prerequisites are not done (exit 4); the GUI draws the
same list in its sidebar (done, current, blocked). A step is done when its work recorded
`done` in the store; the coordination step is done when its checklist tasks are signed off.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from wizard.errors import NotReady
from wizard.flow.project.project import Project


class State(StrEnum):
    DONE = "done"  # its work finished with a good outcome
    ATTENTION = "needs attention"  # it ran, and found something a person must resolve
    PURGED = "purged"  # it was done, and its files were removed by purge
    CURRENT = "current"  # the first step not done whose prerequisites are done
    READY = "ready"  # prerequisites done, not the first such step
    BLOCKED = "blocked"  # a prerequisite is not done


@dataclass(frozen=True)
class Step:
    """One step, under one name everywhere: `id` in the store and the code, `title` on the
    screen, `command` on the command line."""

    id: str
    title: str
    requires: tuple[str, ...]
    summary: str
    command: str


STEPS: tuple[Step, ...] = (
    Step("coordination", "Coordinate", (),
         "Confirm go-live and the maintenance window, the BIDs and who does what.",
         "checklist"),
    Step("flag_file", "Flag file", (),
         "Export every customer's paperless and autopay flags for Daffron.",
         "export-flags"),
    Step("send", "Send to Daffron", ("flag_file",),
         "Upload the flag file to the provider over SFTP.",
         "send"),
    # the cross-reference may reach the PM another way than our SFTP (e-mail, the
    # provider's portal): it needs the flag file's snapshot, not our upload
    Step("cross_reference", "Cross-reference", ("flag_file",),
         "Import the old-to-new account map and make the IC account update.",
         "import-xref"),
    Step("verification", "Verify", ("cross_reference",),
         "Prove every autopay and paperless enrolment survived go-live.",
         "verify"),
    Step("report", "Biller workbook", ("flag_file",),
         "Hand the biller the workbook of it all.",
         "report"),
)


def step(step_id: str) -> Step:
    for s in STEPS:
        if s.id == step_id:
            return s
    raise KeyError(step_id)


def is_done(project: Project, step_id: str) -> bool:
    record = project.store.step(step_id)
    return record is not None and record[0] == "done"


def mark_done(project: Project, step_id: str, **detail: Any) -> None:
    project.store.set_step(step_id, "done", detail)
    project.store.audit("step done", step=step_id, **detail)


def mark_attention(project: Project, step_id: str, **detail: Any) -> None:
    """Record that the step ran and found problems a person must resolve (e.g. verification
    with losses): not done, and never shown as done."""
    project.store.set_step(step_id, "attention", detail)
    project.store.audit("step needs attention", step=step_id, **detail)


def mark_purged(project: Project, step_id: str, **detail: Any) -> None:
    """Record that the step's files were removed by purge: it is no longer done."""
    project.store.set_step(step_id, "purged", detail)
    project.store.audit("step purged", step=step_id, **detail)


def record_cancelled(project: Project, step_id: str, by: str = "convwiz") -> None:
    """A run the person cancelled: it wrote nothing and leaves the step as it was; the audit
    log keeps the line."""
    project.store.audit("step cancelled", actor=by, step=step_id)


def mark_failed(project: Project, step_id: str, **detail: Any) -> None:
    """Record a failed attempt, without undoing an earlier success of the step."""
    if not is_done(project, step_id):
        project.store.set_step(step_id, "failed", detail)
    project.store.audit("step failed", step=step_id, **detail)


def require(project: Project, step_id: str) -> None:
    """Raise `NotReady` (exit 4) unless every prerequisite of `step_id` is done."""
    missing = [r for r in step(step_id).requires if not is_done(project, r)]
    if missing:
        names = ", ".join(f"'{step(m).title}'" for m in missing)
        raise NotReady(f"'{step(step_id).title}' needs {names} done first")


def states(project: Project) -> dict[str, State]:
    """Each step's state, in order; exactly one step is CURRENT unless all are done."""
    done = {s.id for s in STEPS if is_done(project, s.id)}
    result: dict[str, State] = {}
    current_given = False
    records = project.store.steps()
    for s in STEPS:
        recorded = records.get(s.id, (None, None, {}))[0]
        if s.id in done:
            result[s.id] = State.DONE
        elif recorded == "attention" and all(r in done for r in s.requires):
            result[s.id] = State.ATTENTION
            current_given = True  # the step to look at next
        elif recorded == "purged":
            result[s.id] = State.PURGED
        elif any(r not in done for r in s.requires):
            result[s.id] = State.BLOCKED
        elif not current_given:
            result[s.id] = State.CURRENT
            current_given = True
        else:
            result[s.id] = State.READY
    return result


def first_not_done(project: Project) -> str | None:
    for step_id, state in states(project).items():
        if state is not State.DONE:
            return step_id
    return None
