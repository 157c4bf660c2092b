"""A conversion's dates: the go-live day and the maintenance window that ends on it.

Date arithmetic only, no I/O: the project keeps the go-live date and the window's first and
last day among its stored settings (flow/project/project.py writes them), and the checklist,
the papers and the pages read them through `Dates`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from wizard.core.vocabulary import DEFAULT_WINDOW_DAYS


@dataclass(frozen=True)
class Dates:
    """The go-live date and the maintenance window before it."""

    go_live: date
    window_start: date
    window_end: date

    @property
    def window_days(self) -> int:
        return (self.window_end - self.window_start).days + 1

    def in_window(self, day: date) -> bool:
        return self.window_start <= day <= self.window_end

    def days_to_go_live(self, today: date) -> int:
        return (self.go_live - today).days

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> Dates:
        """The dates from a project's stored settings (ISO dates as text): the window's own
        first and last day when both are kept, else the `window_days` days (the procedure's
        default when not kept either) that end on the go-live date."""
        kept: Any = stored.get("go_live")
        go_live = date.fromisoformat(kept)
        start, end = stored.get("window_start"), stored.get("window_end")
        if start and end:
            return cls(go_live, date.fromisoformat(start), date.fromisoformat(end))
        days = int(stored.get("window_days", DEFAULT_WINDOW_DAYS))
        return cls(go_live, *maintenance_window(go_live, days))


def maintenance_window(go_live: date, window_days: int) -> tuple[date, date]:
    """The window is the `window_days` days that end on the go-live date.

    The portal is down for renumbering while Daffron loads; customers sign in on the new
    numbers from the go-live date, the last day of the window.
    """
    return go_live - timedelta(days=window_days - 1), go_live
