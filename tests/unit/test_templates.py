"""The notices and tickets the PM sends: faithful to the procedure, filled from the project,
held back while a setting is missing, written as text, as e-mail drafts and a calendar."""

from __future__ import annotations

import email
import re
from datetime import date, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path

import icalendar

from tests.helpers.cli import convwiz
from tests.helpers.conversion import build
from tests.helpers.private import PRIVATE_FILE, mode
from wizard.flow.papers.templates import (
    FOLLOW_UPS,
    SIGNATURE_SETTINGS,
    SPECS,
    TEMPLATE_SETTINGS,
    TEMPLATES,
    marker,
    render,
    template_path,
)
from wizard.flow.project.project import Project
from wizard.flow.steps import checklist
from wizard.services.email_draft import draft

ROOT = Path(__file__).resolve().parents[2]
FILLED = {
    "biller_email": "billing@acme-electric.example",
    "customer_service_phone": "(555) 010-0199",
    "office_hours": "Monday to Friday, 8 AM to 5 PM",
    "reregistration_opens": "December 14, 2026 at 6 PM",
    "new_account_number_where": "on your first bill from the new system",
    "window_payment_options": "at the office, 12 Main Street",
    "platform_conversion_email": "conversions@ic.example",
    "dbr_email": "dbr@ic.example",
    "pm_name": "Pat Morgan",
    "pm_email": "pat.morgan@ic.example",
    "pm_phone": "(555) 010-0100",
}


def _fill_settings(project: Path, **skip: bool) -> None:
    with Project.open(project) as p:
        for key, value in FILLED.items():
            if not skip.get(key):
                p.store.set_setting(key, value)


def _message(path: str | Path) -> EmailMessage:
    parsed = email.message_from_bytes(Path(path).read_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _templates(run_result: dict[str, object]) -> dict[str, dict[str, object]]:
    return {t["name"]: t for t in run_result["templates"]}  # type: ignore[attr-defined,index]


def test_unfilled_settings_are_marked_and_block_sending(project: Path) -> None:
    run = convwiz("templates", project, "--json")
    assert run.code == 0, run.stderr
    result = run.result
    assert result["ready"] is False
    keys = {u["key"] for u in result["unfilled"]}
    assert keys == {s.key for s in TEMPLATE_SETTINGS + SIGNATURE_SETTINGS}
    assert "NOT READY" in run.stderr and "customer_service_phone" in run.stderr
    for name, t in _templates(result).items():
        text = Path(str(t["text"])).read_text(encoding="utf-8")
        assert "$" not in text  # every placeholder substituted
        for key in t["unfilled"]:  # type: ignore[attr-defined]
            assert marker(key) in text, (name, key)
        message = _message(str(t["draft"]))
        assert message["X-Unsent"] == "1"
        assert message["To"] is None  # nothing to send it to until it is ready
        assert str(message["Subject"]).startswith("[NOT READY: fill ")
        assert "[[FILL IN: " in message.get_content()
    notice = _templates(result)["reregistration_notice"]
    assert set(notice["unfilled"]) == {  # type: ignore[arg-type]
        "biller_email", "customer_service_phone", "office_hours", "reregistration_opens",
        "new_account_number_where", "window_payment_options"}


def test_filled_drafts_are_ready_to_send(project: Path) -> None:
    _fill_settings(project)
    build(project, n=40, xref=False)
    assert convwiz("report", project, "--json").code == 0
    workbook = next((project / "reports").glob("*_conversion_workbook.xlsx"))
    run = convwiz("templates", project, "--json")
    assert run.code == 0, run.stderr
    assert run.result["ready"] is True and run.result["unfilled"] == []
    recipients = {"biller_letter": FILLED["biller_email"],
                  "reregistration_notice": FILLED["biller_email"],
                  "platform_conversion_request": FILLED["platform_conversion_email"],
                  "dbr_ticket": FILLED["dbr_email"]}
    for name, t in _templates(run.result).items():
        message = _message(str(t["draft"]))
        assert message["X-Unsent"] == "1"
        assert message["To"] == recipients[name]
        assert message["From"] == FILLED["pm_email"]
        assert "NOT READY" not in str(message["Subject"]) and "Acme Electric Co-op" in str(
            message["Subject"])
        body = message.get_body(("plain",))
        assert body is not None
        content = body.get_content().replace("\r\n", "\n")
        assert "[[FILL IN" not in content and "$" not in content
        attached = list(message.iter_attachments())
        if name == "biller_letter":
            assert [a.get_filename() for a in attached] == [workbook.name]
            assert attached[0].get_content() == workbook.read_bytes()
            assert f"The conversion workbook is attached: {workbook.name}." in content
        else:
            assert attached == []
        if name != "reregistration_notice":  # the PM signs; the biller signs its notice
            assert content.rstrip().endswith(
                f"{FILLED['pm_name']}\n{FILLED['pm_email']}\n{FILLED['pm_phone']}")
    notice = Path(str(_templates(run.result)["reregistration_notice"]["text"])).read_text(
        encoding="utf-8")
    assert "Call (555) 010-0199 (Monday to Friday, 8 AM to 5 PM)." in notice
    assert "You can re-register from: December 14, 2026 at 6 PM" in notice


def test_one_missing_setting_holds_back_only_its_drafts(project: Path) -> None:
    _fill_settings(project, customer_service_phone=True)
    run = convwiz("templates", project, "--json")
    assert run.result["ready"] is False
    assert [(u["key"], u["templates"]) for u in run.result["unfilled"]] == [
        ("customer_service_phone", ["reregistration_notice"])]
    drafts = _templates(run.result)
    assert _message(str(drafts["reregistration_notice"]["draft"]))["To"] is None
    assert _message(str(drafts["dbr_ticket"]["draft"]))["To"] == FILLED["dbr_email"]


def test_the_platform_conversion_request_asks_as_the_procedure_writes(project: Path) -> None:
    with Project.open(project) as p:
        request = render(p, "platform_conversion_request")
    assert "Request two Data Pump threads (reference Biller or CDE Lightband)." in request
    assert "thread 1" not in request.lower() and "thread 2" not in request.lower()
    assert "Production BID:      2806" in request and "Test BID:            9806" in request


def test_dates_say_what_they_mean(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    assert convwiz("init", folder, "--biller", "Acme", "--go-live", "2026-12-14",
                   "--window-days", "5", "--production-bid", "2806", "--allow-past",
                   "--json").code == 0
    with Project.open(folder) as p:
        notice = render(p, "reregistration_notice")
        letter = render(p, "biller_letter")
        request = render(p, "platform_conversion_request")
    assert "Maintenance window: 2026-12-10 through 2026-12-14 (5 days)." in notice
    assert "Go-live date: 2026-12-14, the last day of the maintenance window." in notice
    assert "opens on" not in notice and "unavailable" not in notice
    assert ("the 5-day maintenance window, 2026-12-10 through 2026-12-14 (the window ends on "
            "the go-live date)") in letter
    assert "2026-12-10 through 2026-12-14 (5 days, ending on the go-live date)" in request
    # no test BID set: it is a placeholder too
    assert marker("test_bid") in request


def test_every_template_line_has_a_documented_source() -> None:
    """docs/templates-sources.md quotes each line of each template with its source."""
    sources = (ROOT / "docs" / "templates-sources.md").read_text(encoding="utf-8")
    procedure_quotes = re.findall(r'procedure: "([^"]+)"', sources)
    assert procedure_quotes
    procedure = (ROOT / "docs" / "procedure.txt").read_text(encoding="utf-8")
    flat = " ".join(procedure.split())
    for quote in procedure_quotes:  # every quote is really in the procedure
        assert " ".join(quote.split()) in flat, quote
    for name in [*TEMPLATES, *(spec.name for spec in FOLLOW_UPS)]:
        for line in template_path(name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                assert f"`{line.strip()}`" in sources, (name, line)


def test_the_calendar_has_go_live_window_and_every_due_date(project: Path) -> None:
    run = convwiz("templates", project, "--json")
    path = Path(run.result["calendar"])
    assert path == project / "reports" / "conversion_calendar.ics"
    assert mode(path) == PRIVATE_FILE
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    assert calendar["VERSION"] == "2.0" and calendar.get("PRODID")
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}

    def days(uid_part: str) -> tuple[date, date]:
        event = next(e for uid, e in events.items() if uid_part in uid)
        return event.decoded("DTSTART"), event.decoded("DTEND")

    assert days("-go-live@") == (date(2026, 12, 14), date(2026, 12, 15))
    assert days("-maintenance-window@") == (date(2026, 12, 12), date(2026, 12, 15))
    with Project.open(project) as p:
        tasks = checklist.entries(p)
    assert len(events) == 2 + len(tasks)
    for item in tasks:
        start, end = days(f"-task-{item.id}@")
        assert start.isoformat() == item.due and end == start + timedelta(days=1)
    assert days("-task-confirm_go_live@")[0] == date(2026, 12, 11)
    assert days("-task-unregister_payers@")[0] == date(2026, 12, 14)


def test_files_are_private_and_in_the_manifest(project: Path) -> None:
    run = convwiz("templates", project, "--json")
    made = [Path(f) for f in run.result["files"] + run.result["drafts"]]
    made.append(Path(run.result["calendar"]))
    assert {f.suffix for f in made} == {".txt", ".eml", ".ics"}
    for f in made:
        assert mode(f) == PRIVATE_FILE, f
    with Project.open(project) as p:
        named = {e.name: e.kind for e in p.store.manifest()}
    for spec in SPECS:
        assert named[f"reports/templates/{spec.name}.txt"] == f"template:{spec.name}"
        assert named[f"reports/templates/{spec.name}.eml"] == f"draft:{spec.name}"
    assert named["reports/conversion_calendar.ics"] == "calendar"
    assert not list((project / "reports").rglob(".tmp-*"))


def test_a_draft_round_trips_through_the_email_package(tmp_path: Path) -> None:
    sheet = tmp_path / "Café workbook.xlsx"
    sheet.write_bytes(b"PK\x03\x04 not really a workbook")
    raw = draft("Résumé: go-live → 2026-12-14", "Line one\nLine two, café\n",
                to=["a@example.com"], sender="pm@example.com", attachments=[sheet])
    assert b"\r\n" in raw and raw.isascii()  # RFC 5322 as sent: CRLF, encoded headers
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == "Résumé: go-live → 2026-12-14"
    assert message["X-Unsent"] == "1"
    body = message.get_body(("plain",))
    assert body is not None and body.get_content().replace("\r\n", "\n") == (
        "Line one\nLine two, café\n")
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == sheet.name
    assert attachment.get_content_type() == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert attachment.get_content() == sheet.read_bytes()


def test_resources_are_found() -> None:
    for name in TEMPLATES:
        assert template_path(name).is_file()
