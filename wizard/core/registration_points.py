"""The re-registration history's points and the words said about them: one home for the
percentage rule, the trend line and the checklist task's title, so `convwiz status`, the
portfolio, the window, the biller workbook and the reminder draft all say the same.

A percentage is whole and floored: 999 of 1,000 is "99%", never "100%" while anyone is
missing. No pyarrow here: `status` and the checklist read only the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RegistrationPoint:
    """One verification's re-registration figures (the store's `registration_points`)."""

    seq: int
    at: str  # when the verification ran (UTC ISO)
    date: str  # the day measured (YYYY-MM-DD)
    export_sha256: str
    registered: int
    expected: int
    by_segment: dict[str, Any]


def percent(registered: int, expected: int) -> int:
    """Whole percent, floored (99.7 is 99: never 100 while anyone is missing); 0 of 0 is 0."""
    return 100 * registered // expected if expected else 0


def percent_text(registered: int, expected: int) -> str:
    """"60%", by `percent`'s rule."""
    return f"{percent(registered, expected)}%"


def point_text(point: RegistrationPoint) -> str:
    """"60% on 2027-01-22 (1,204 of 1,998)"."""
    return (f"{percent_text(point.registered, point.expected)} on {point.date} "
            f"({point.registered:,} of {point.expected:,})")


def trend_text(found: list[RegistrationPoint]) -> str:
    """The trend in one line, for `convwiz status` and screen readers."""
    if not found:
        return "Re-registration: not measured yet (verify an export with a registration column)"
    return "Re-registration: " + ", ".join(point_text(p) for p in found)


def points_json(found: list[RegistrationPoint]) -> list[dict[str, Any]]:
    return [{"date": p.date, "registered": p.registered, "expected": p.expected,
             "by_segment": p.by_segment, "at": p.at} for p in found]


def task_title(point: RegistrationPoint) -> str:
    """The checklist task the biller signs off for the latest figure."""
    return (f"Customers re-registered: {percent_text(point.registered, point.expected)} on "
            f"{point.date}")
