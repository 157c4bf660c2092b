"""The notices and tickets the PM sends, filled from the project."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.cli import convwiz
from tests.helpers.conversion import build
from wizard.flow.project import Project
from wizard.flow.templates import TEMPLATES, render, template_path


def test_templates_are_written_filled(project: Path) -> None:
    run = convwiz("templates", project, "--json")
    assert run.code == 0, run.stderr
    files = [Path(f) for f in run.result["files"]]
    assert {f.stem for f in files} == set(TEMPLATES)
    for f in files:
        assert f.parent == project / "reports" / "templates"
        assert f.stat().st_mode & 0o777 == 0o600
        text = f.read_text(encoding="utf-8")
        assert "$" not in text  # every placeholder filled
        assert "Acme Electric Co-op" in text
    texts = {f.stem: f.read_text(encoding="utf-8") for f in files}
    notice = texts["reregistration_notice"]
    assert "2026-12-14" in notice and "re-register" in notice
    assert "Passwords are NOT transferred" in notice
    assert "2026-12-12 to 2026-12-14" in notice  # the maintenance window
    request = texts["platform_conversion_request"]
    assert "two (2) Data Pump threads" in request
    assert "Production BID:          2806" in request and "9806" in request
    assert "CloudPay V2" in request and "EMV readers for the Cash Drawer" in request
    assert "not known yet" in request  # no flag file yet
    ticket = texts["dbr_ticket"]
    assert "Profile > Misc Settings: Username with Password" in ticket
    with Project.open(project) as p:
        kinds = {e.kind for e in p.store.manifest()}
    assert {f"template:{name}" for name in TEMPLATES} <= kinds


def test_customer_counts_come_from_the_snapshot(project: Path) -> None:
    built = build(project, n=120, xref=False)
    autopay = sum(1 for v in built.export_table.column("AutoPay").to_pylist() if v == "Y")
    with Project.open(project) as p:
        request = render(p, "platform_conversion_request")
    assert "Customers in flag file:  120" in request
    assert f"with autopay:          {autopay}" in request


def test_resources_are_found() -> None:
    for name in TEMPLATES:
        assert template_path(name).is_file()
