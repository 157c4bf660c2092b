"""One rule for "done" and "complete", as every part of the window says it.

A step is done only when the flow says DONE (its outcome was good). A step that ran and
found problems "needs attention", with the count; a purged step's files are gone. The
conversion is complete only when every step is done and every checklist task is signed
off. The sidebar, the status line and the pages all read this, never their own guess; the
rule (which case the status line says, which step is next) is `flow.overview.standing`'s,
the same as `convwiz status`'s headline, in the window's words.

No Qt here: the same words are tested without a window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wizard.flow.overview.standing import ATTENTION as STANDING_ATTENTION
from wizard.flow.overview.standing import COMPLETE, NEXT, PURGED_WORDS, is_complete, standing
from wizard.flow.overview.standing import PURGED as STANDING_PURGED
from wizard.flow.project.steps import State

ATTENTION = "needs attention"
PURGED = "purged"


def attention_count(detail: dict[str, Any] | None) -> int:
    """How many problems a step that needs attention recorded (0 when it does not say); a
    verification's are counted by `flow.steps.verification.Problems`, as its headline names them."""
    if not detail:
        return 0
    for key in ("problems", "issues", "count"):
        if isinstance(detail.get(key), int):
            return int(detail[key])
    if "autopay" in detail:
        from wizard.flow.steps.verification import Problems

        try:
            return Problems.of_figures(detail).total
        except (KeyError, TypeError, ValueError):  # an older record: not the contract's keys
            return 0
    return 0


@dataclass(frozen=True)
class StepTruth:
    id: str
    title: str
    state: str  # the flow's State value: done, needs attention, purged, current, ...
    problems: int  # for "needs attention": how many

    @property
    def done(self) -> bool:
        return self.state == "done"

    def words(self) -> str:
        if self.state == ATTENTION:
            return (f"needs attention: {self.problems:,} problem"
                    f"{'s' if self.problems != 1 else ''}" if self.problems else ATTENTION)
        return {"done": "done", "current": "to do next", "ready": "ready",
                "blocked": "waiting for an earlier step",
                PURGED: "purged: its files were removed"}.get(self.state, self.state)


@dataclass(frozen=True)
class Conversion:
    steps: list[StepTruth]
    tasks_open: list[str]  # titles of checklist tasks not signed off
    record: str | None = None  # flow.overview.status: why the audit log needs attention (its chain)

    @property
    def complete(self) -> bool:
        return is_complete(self._states(), len(self.tasks_open))

    def step(self, step_id: str) -> StepTruth:
        return next(s for s in self.steps if s.id == step_id)

    def _states(self) -> list[State]:
        return [State(s.state) for s in self.steps]

    def headline(self) -> str:
        """What the status line says first (`flow.overview.standing`'s rule, as `convwiz
        status` says it)."""
        at = standing(self._states(), len(self.tasks_open), self.record)
        if at.record:
            return at.record
        if at.case == COMPLETE:
            return "Every step is done and every task signed off: the conversion is complete"
        if at.case == STANDING_ATTENTION and at.step is not None:
            s = self.steps[at.step]
            return f"{s.title} {s.words()}: open the {s.title} page"
        if at.case == STANDING_PURGED:
            return PURGED_WORDS
        # the step after the furthest one done, as the Next button names it; a step left
        # open before it is said too ("Next: Send to Daffron (still open: Coordinate)")
        if at.case == NEXT and at.step is not None:
            behind = [self.steps[i].title for i in at.still_open]
            return f"Next: {self.steps[at.step].title}" + (
                f" (still open: {', '.join(behind)})" if behind else "")
        n = len(self.tasks_open)
        return (f"Every step is done; {n} checklist task{'s' if n != 1 else ''} still to sign "
                "off on the Coordinate and Verify pages")


def conversion(project: Any) -> Conversion:
    """The steps' states and the open tasks of `project`, read now."""
    from wizard.flow.overview.status import record_attention
    from wizard.flow.project import steps
    from wizard.flow.steps.checklist import entries

    records = project.store.steps()
    found = []
    for s, state in zip(steps.STEPS, steps.states(project).values(), strict=True):
        detail = records.get(s.id, (None, None, {}))[2]
        value = str(getattr(state, "value", state))
        found.append(StepTruth(s.id, s.title, value,
                               attention_count(detail) if value == ATTENTION else 0))
    open_tasks = [i.title for i in entries(project) if not i.done]
    return Conversion(found, open_tasks, record_attention(project))
