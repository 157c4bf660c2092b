"""The conversion calendar: go-live, the maintenance window and every checklist task's due
date as an iCalendar file (RFC 5545) the PM imports into Outlook, Apple Calendar or
Thunderbird.

Every event is a whole-day event (`DTSTART;VALUE=DATE`, `DTEND` the day after its last day,
as RFC 5545 says for all-day events), so it lands on the same days in every time zone. Each
event has a UID made from the project's production BID, biller and the event's name: a
calendar imported again after a date moved updates its events instead of doubling them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import icalendar

from wizard import __version__
from wizard.flow.project.project import Project
from wizard.flow.steps import checklist

CALENDAR_NAME = "conversion_calendar.ics"


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    summary: str
    first_day: date
    last_day: date
    description: str


def events(project: Project) -> list[CalendarEvent]:
    """The go-live, the maintenance window, then each checklist task at its due date."""
    d = project.dates
    biller = project.biller
    stem = f"{project.slug()}-{project.production_bid}"
    found = [
        CalendarEvent(f"{stem}-go-live@convwiz", f"{biller}: go-live", d.go_live, d.go_live,
                      f"Go-live date of {biller}'s conversion to Daffron (production BID "
                      f"{project.production_bid}). It is the last day of the maintenance "
                      "window."),
        CalendarEvent(f"{stem}-maintenance-window@convwiz",
                      f"{biller}: maintenance window ({d.window_days} days)", d.window_start,
                      d.window_end,
                      f"Maintenance window, {d.window_start} to {d.window_end}, ending on the "
                      "go-live date: account numbers are updated in IC and payers are "
                      "unregistered from the production BID."),
    ]
    for item in checklist.entries(project):
        due = date.fromisoformat(item.due)
        found.append(CalendarEvent(
            f"{stem}-task-{item.id}@convwiz", f"{biller}: {item.title} ({item.owner})", due,
            due, f"Checklist task {item.id}, owner {item.owner}, due {item.due_meaning}. "
                 f"Sign it off with: convwiz checklist PROJECT --done {item.id} --by NAME"
            if not item.auto else
            f"Checklist task {item.id}, owner {item.owner}, due {item.due_meaning}. "
            "The program ticks it when its step is done."))
    return found


def calendar_bytes(project: Project, now: datetime | None = None) -> bytes:
    """The project's calendar as RFC 5545 text."""
    return ical(events(project), f"{project.biller} conversion", now)


def ical(found: list[CalendarEvent], name: str, now: datetime | None = None) -> bytes:
    """Events as one RFC 5545 calendar (the portfolio's holds every conversion's)."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//InvoiceCloud//Conversion Wizard {__version__}//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for e in found:
        event = icalendar.Event()
        event.add("uid", e.uid)
        event.add("dtstamp", stamp)
        event.add("summary", e.summary)
        event.add("dtstart", e.first_day)
        event.add("dtend", e.last_day + timedelta(days=1))
        event.add("description", e.description)
        event.add("transp", "TRANSPARENT")  # a reminder, not a meeting that fills the day
        calendar.add_component(event)
    return bytes(calendar.to_ical())
