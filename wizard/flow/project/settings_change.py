"""Changing a project's settings after `init` (`convwiz settings`, the Coordinate page).

Each change is checked as `init` checks it (`settings.validate`), stored under the project's
lock and audited with its old and new value. A change that makes a finished step's output
stale (see `settings.STALE_AFTER`) marks that step, and every finished step after it, "stale":
ready to run again. The result (`SettingsChange`) says which, so the person knows what to
run again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from wizard.errors import UsageError
from wizard.flow.project import steps
from wizard.flow.project.project import Project
from wizard.flow.project.settings import (
    EDITABLE,
    EXTRA_SETTINGS,
    STALE_AFTER,
    Settings,
    parse_change,
    validate,
)


@dataclass(frozen=True)
class SettingsChange:
    """What `change_settings` did."""

    settings: Settings
    changed: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # key -> (old, new)
    stale_steps: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "settings": self.settings.to_json(),
            "changed": {k: {"old": _plain(o), "new": _plain(n)}
                        for k, (o, n) in self.changed.items()},
            "stale_steps": list(self.stale_steps),
        }


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def change_settings(project: Project, changes: Mapping[str, str | None], *,
                    allow_past: bool = False, by: str = "convwiz",
                    today: date | None = None) -> SettingsChange:
    """Apply `changes` (setting key -> new value as text); UsageError names a bad one."""
    unknown = [k for k in changes if k not in EDITABLE and k not in EXTRA_SETTINGS]
    if unknown:
        raise UsageError(f"no setting {unknown[0]!r}; the settings are: "
                         + ", ".join(EDITABLE + EXTRA_SETTINGS))
    current = project.settings
    typed = {k: parse_change(k, v) for k, v in changes.items() if k in EDITABLE}
    extra = {**current.extra, **{k: (v or "").strip() for k, v in changes.items()
                                 if k in EXTRA_SETTINGS}}
    # a go-live already in the past may stay as it is; moving it into the past needs consent
    past_ok = allow_past or "go_live" not in typed
    wanted = validate(replace(current, **typed, extra=extra), today or date.today(), past_ok)
    old, new = current.to_json(), wanted.to_json()
    changed = {k: (old.get(k), new.get(k)) for k in new if old.get(k) != new.get(k)}
    if not changed:
        return SettingsChange(current)
    stale = _stale_steps(project, changed)
    with project.writing("settings"):
        project.save_settings(wanted)
        for key, (before, after) in changed.items():
            project.store.audit("setting changed", actor=by, setting=key, old=before, new=after)
        for step_id in stale:
            project.store.set_step(step_id, "stale", {"because": sorted(changed)})
            project.store.audit("step stale", step=step_id, because=sorted(changed))
    return SettingsChange(wanted, changed, stale)


def _stale_steps(project: Project, changed: Mapping[str, object]) -> tuple[str, ...]:
    """The steps whose finished output used a changed setting, and the steps after them."""
    hit: set[str] = {s for key in changed for s in STALE_AFTER.get(key, ())}
    grew = True
    while grew:
        more = {s.id for s in steps.STEPS if set(s.requires) & hit} - hit
        grew = bool(more)
        hit |= more
    records = project.store.steps()
    finished = {"done", "attention"}
    return tuple(s.id for s in steps.STEPS
                 if s.id in hit and records.get(s.id, ("",))[0] in finished)
