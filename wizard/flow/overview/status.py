"""Where a conversion stands (`convwiz status`, the window's sidebar and status line).

One rule for every face of the program: a step is done only when its outcome is good; the
conversion is complete only when every step is done AND every checklist task is signed off.
The audit log's chain is checked every time: a broken one is said first (`flow.records.audit`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard.core.dates import Dates
from wizard.core.registration_points import RegistrationPoint, points_json, trend_text
from wizard.flow.overview.standing import (
    ATTENTION,
    COMPLETE,
    NEXT,
    PURGED,
    PURGED_WORDS,
    is_complete,
    standing,
)
from wizard.flow.project import steps
from wizard.flow.project.project import Project
from wizard.flow.project.settings import Settings
from wizard.flow.project.steps import State
from wizard.flow.records import registration
from wizard.flow.records.audit import attention as record_attention_of
from wizard.flow.steps import checklist
from wizard.flow.steps.checklist import ChecklistItem
from wizard.services.audit_chain import ChainState


@dataclass(frozen=True)
class StepStatus:
    id: str
    title: str
    state: State
    updated: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class ProjectStatus:
    folder: Path
    settings: Settings
    dates: Dates
    steps: tuple[StepStatus, ...]
    checklist: tuple[ChecklistItem, ...]
    next_step: str | None
    registration: tuple[RegistrationPoint, ...] = ()  # re-registration, oldest first
    chain: ChainState | None = None  # the audit log's hash chain, checked now

    @property
    def record_attention(self) -> str | None:
        """Why the audit log needs attention (its chain is broken), or None."""
        return record_attention_of(self.chain)

    @property
    def open_tasks(self) -> int:
        return sum(1 for t in self.checklist if not t.done)

    @property
    def steps_done(self) -> bool:
        return all(s.state is State.DONE for s in self.steps)

    @property
    def complete(self) -> bool:
        return is_complete([s.state for s in self.steps], self.open_tasks)

    def headline(self) -> str:
        """One sentence that never claims more than is known (`standing`'s rule)."""
        at = standing([s.state for s in self.steps], self.open_tasks, self.record_attention)
        if at.record:
            return at.record
        if at.case == ATTENTION and at.step is not None:
            step = self.steps[at.step]
            if "autopay" in step.detail:  # a verification: its problems, as Verify names them
                from wizard.flow.steps.verification import Problems

                with contextlib.suppress(KeyError, TypeError, ValueError):
                    return (f"'{step.title}' needs attention: "
                            f"{Problems.of_figures(step.detail).headline()}")
            return f"'{step.title}' needs attention: see its findings"
        if at.case == COMPLETE:
            return "Every step is done and every checklist task signed off: complete"
        if at.case == PURGED:
            return PURGED_WORDS
        if at.case == NEXT and at.step is not None:
            behind = ", ".join(self.steps[i].title for i in at.still_open)
            return (f"Next step: {self.steps[at.step].title}"
                    + (f" (still open: {behind})" if behind else ""))
        return (f"Every step is done; {self.open_tasks} checklist task"
                f"{'' if self.open_tasks == 1 else 's'} still to sign off")

    def registration_trend(self) -> str:
        return trend_text(list(self.registration))

    def to_json(self) -> dict[str, Any]:
        d = self.dates
        return {
            "project": str(self.folder),
            **self.settings.to_json(),
            "window_start": d.window_start.isoformat(),
            "window_end": d.window_end.isoformat(),
            "next_step": self.next_step,
            "complete": self.complete,
            "open_tasks": self.open_tasks,
            "steps": [{"id": s.id, "title": s.title, "state": s.state.value,
                       "updated": s.updated, "detail": s.detail} for s in self.steps],
            "checklist": [t.to_json() for t in self.checklist],
            "registration": points_json(list(self.registration)),
            "chain": self.chain.to_json() if self.chain is not None else None,
            "headline": self.headline(),
        }


def record_attention(project: Project) -> str | None:
    """Why the project's audit log needs attention (its chain checked now), or None: for a
    face that shows `headline` without the whole status (the window's status line)."""
    return record_attention_of(project.store.verify_chain())


def status(project: Project) -> ProjectStatus:
    records = project.store.steps()
    states = steps.states(project)
    return ProjectStatus(
        folder=project.folder,
        settings=project.settings,
        dates=project.dates,
        steps=tuple(
            StepStatus(s.id, s.title, states[s.id], records.get(s.id, (None, None, {}))[1],
                       records.get(s.id, (None, None, {}))[2])
            for s in steps.STEPS
        ),
        checklist=tuple(checklist.entries(project)),
        next_step=steps.first_not_done(project),
        registration=tuple(registration.points(project)),
        chain=project.store.verify_chain(),
    )
