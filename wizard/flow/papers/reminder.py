"""The re-registration reminder to the biller (`convwiz outreach --not-registered`): an
e-mail draft built like the other templates (`flow.papers.templates`: every sentence from the
procedure or the project, docs/templates-sources.md), filled with the latest
re-registration figures. It carries the biller workbook when one was written after that
measurement: its Re-registration sheet lists who has not registered, autopay first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wizard.core.registration_points import RegistrationPoint, percent_text
from wizard.core.vocabulary import BILLER_WORKBOOK_KIND
from wizard.flow.papers import templates
from wizard.flow.project.project import Project

NAME = "registration_reminder"


@dataclass(frozen=True)
class Drafted:
    text: Path
    draft: Path
    ready: bool
    attachments: list[Path]


def current_workbook(project: Project, point: RegistrationPoint) -> Path | None:
    """The biller workbook, when it was written after the measurement `point` (so its
    Re-registration sheet lists the customers of this figure)."""
    found = templates.workbook(project)
    if found is None:
        return None
    entries = project.store.manifest(BILLER_WORKBOOK_KIND)
    return found if entries and entries[-1].at >= point.at else None


def write(project: Project, point: RegistrationPoint, not_registered: int,
          autopay: int) -> Drafted:
    """Write reports/templates/registration_reminder.txt and .eml (0600, recorded)."""
    workbook = current_workbook(project, point)
    known = templates.values(project)
    known.update({
        "measured_on": point.date,
        "registered": f"{point.registered:,}",
        "expected": f"{point.expected:,}",
        "registered_percent": percent_text(point.registered, point.expected),
        "not_registered": f"{not_registered:,}",
        "autopay_not_registered": f"{autopay:,}",
        "list_sentence": (f"The customers not yet registered are listed, autopay first, on "
                          f"the Re-registration sheet of the attached conversion workbook, "
                          f"{workbook.name}.\n" if workbook is not None else ""),
    })
    filled = templates.fill(project, NAME, known)
    attachments = [workbook] if workbook is not None else []
    text_path, eml_path = templates.write_draft(project, filled, attachments)
    return Drafted(text_path, eml_path, filled.ready, attachments)
