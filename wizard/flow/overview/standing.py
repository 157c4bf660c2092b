"""Where a conversion stands, said first: the one rule behind `convwiz status`'s headline
and the window's status line (`ui.truth`). Each face words it its own way; which case it
is, and which step it names, are decided here alone.

A step is done only when its state is DONE. The conversion is complete only when every step
is done and every checklist task is signed off. In this order, the first that applies:

- the audit log needs attention (its chain is broken): why;
- a step needs attention: the first such;
- complete;
- purged: every step done or purged, one at least purged (the customer files are gone on
  purpose: nothing is "next");
- the next step: the first not done after the furthest one done (the window's Next button
  moves on from there), with the steps before it left open (the Coordinate step, done only
  when its tasks are signed off, is often one); when every step after the furthest done is
  done, the first not done;
- every step done, checklist tasks still to sign off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wizard.flow.project.steps import State

RECORD, ATTENTION, COMPLETE, PURGED, NEXT, SIGN_OFF = (
    "record", "attention", "complete", "purged", "next", "sign off")
PURGED_WORDS = "The customer files were purged; the audit log is kept"


@dataclass(frozen=True)
class Standing:
    case: str  # one of the cases above
    step: int | None = None  # ATTENTION: the first step that needs it; NEXT: the step to do
    still_open: tuple[int, ...] = ()  # NEXT: the steps before it not done, in order
    record: str | None = None  # RECORD: why the audit log needs attention


def is_complete(states: Sequence[State], open_tasks: int) -> bool:
    """Every step done and every checklist task signed off."""
    return all(s is State.DONE for s in states) and open_tasks == 0


def standing(states: Sequence[State], open_tasks: int, record: str | None) -> Standing:
    """The case that applies to steps in `states` (in the steps' order) with `open_tasks`
    tasks not signed off and the audit log's `record` (None when its chain is whole)."""
    if record:
        return Standing(RECORD, record=record)
    attention = next((i for i, s in enumerate(states) if s is State.ATTENTION), None)
    if attention is not None:
        return Standing(ATTENTION, step=attention)
    if is_complete(states, open_tasks):
        return Standing(COMPLETE)
    done = [s is State.DONE for s in states]
    if State.PURGED in states and all(d or s is State.PURGED for d, s in zip(done, states)):
        return Standing(PURGED)
    furthest = max((i for i, d in enumerate(done) if d), default=-1)
    after = next((i for i in range(furthest + 1, len(done)) if not done[i]), None)
    step = after if after is not None else next((i for i, d in enumerate(done) if not d), None)
    if step is not None:
        return Standing(NEXT, step=step,
                        still_open=tuple(i for i in range(step) if not done[i]))
    return Standing(SIGN_OFF)
