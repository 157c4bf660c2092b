"""Issue 31 in the window: a wrong file is named as wrong before it is used, advice names the
window's controls, registration words the contract does not list are asked for (and the
Verify page takes them), the verdict's total is the sum of what it names, and the chart is
linear."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
from PySide6.QtCore import Qt

from tests.helpers.cli import convwiz
from tests.helpers.conversion import build, drifted_post, write_xref
from tests.helpers.headline import read_headline
from tests.helpers.window import LONG
from wizard.core import generate
from wizard.flow.project import steps


def _idle(main: Any) -> bool:
    return not main.runner.busy


def test_the_rollback_as_cross_reference_is_named_and_advice_names_the_checkbox(
        qtbot: Any, wizard: Any, project: Path) -> None:
    build(project, n=60)
    main = wizard.open_project(project)
    main.go_to("cross_reference")
    page: Any = main.pages["cross_reference"]
    page.use_file(project / "outbox" / "ic_account_rollback.csv")
    qtbot.waitUntil(lambda: page.banner.kind == "error" and _idle(main), timeout=LONG)
    assert "is the program's own rollback file" in page.banner.text()  # said when chosen
    page.banner.clear()
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.banner.kind == "error" and _idle(main), timeout=LONG)
    said = page.banner.text()
    assert said.startswith("ic_account_rollback.csv is the program's own rollback file "
                           "(outbox/ic_account_rollback.csv, made "), said
    assert "\n" not in said and not page.findings.isVisibleTo(page)
    assert steps.is_done(main.project, "cross_reference")  # nothing changed
    # a cross-reference missing a few customers: the fix names the checkbox, not the flag
    accounts = [f"{r}" for r in _accounts(project)]
    page.use_file(write_xref(project.parent / "partial.csv", accounts[:50]))
    qtbot.waitUntil(lambda: page.import_button.isEnabled() and _idle(main), timeout=LONG)
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.findings.model.total_rows() > 0 and _idle(main),
                    timeout=LONG)
    model = page.findings.model
    todo = {model.data(model.index(r, model.columnCount() - 1))
            for r in range(model.rowCount())}
    assert any("the checkbox 'Allow customers missing from the cross-reference' ticked" in t
               for t in todo), todo
    assert not any("--allow-unmatched" in t for t in todo)
    assert "--" not in page.banner.text()
    assert page.allow_unmatched.text().startswith(
        "&Allow customers missing from the cross-reference")
    # another biller's file: the question comes first, before the rows
    page.use_file(write_xref(project.parent / "other.csv", [f"55{i:08d}" for i in range(60)]))
    qtbot.waitUntil(lambda: page.import_button.isEnabled() and _idle(main), timeout=LONG)
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "right file" in page.banner.text() and _idle(main), timeout=LONG)
    assert page.banner.text().startswith("Is other.csv the right file? 60 of 60 customers")


def _accounts(project: Path) -> list[str]:
    from wizard.flow.project.project import Project
    from wizard.flow.records import snapshot

    with Project.open(project) as p:
        return [str(a) for a in snapshot.load(p, snapshot.CUSTOMERS)["account"].to_pylist()]


def test_verify_refuses_the_pre_go_live_export_and_asks_for_unknown_words(
        qtbot: Any, wizard: Any, project: Path) -> None:
    built = build(project, n=90)
    table = drifted_post(project, autopay_lost=2, last4_changed=1, paperless_gained=0,
                         missing=0).table
    column = ["Registered", "Invited", "Not Registered"] * (table.num_rows // 3 + 1)
    table = table.append_column("Registration Status",
                                pa.array(column[:table.num_rows], pa.string()))
    post = generate.write_csv(table, project.parent / "post.csv")
    main = wizard.open_project(project)
    main.go_to("verification")
    page: Any = main.pages["verification"]
    page.use_file(built.export)  # said as soon as it is chosen ...
    qtbot.waitUntil(lambda: page.banner.kind == "error" and _idle(main), timeout=LONG)
    refused = ("customer_export.csv is the pre-go-live customer export the flag file was "
               "made from (same SHA-256 as customer_export.csv, used ")
    assert page.banner.text().startswith(refused)
    page.banner.clear()
    qtbot.mouseClick(page.verify_button, Qt.MouseButton.LeftButton)  # ... and when pressed
    qtbot.waitUntil(lambda: page.banner.kind == "error" and _idle(main), timeout=LONG)
    assert page.banner.text().startswith(refused)
    assert main.project.store.step("verification") is None  # nothing verified, nothing kept
    # the real export: its words are asked for, not counted
    page.use_file(post)
    qtbot.waitUntil(lambda: _idle(main), timeout=LONG)
    qtbot.mouseClick(page.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Invited" in page.banner.text() and _idle(main), timeout=LONG)
    said = page.banner.text()
    assert said.startswith("Re-registration was not measured: the column 'Registration Status' "
                           "holds words")
    assert "the 'Registration words' fields of the Verify page" in said
    assert "--registered-values" not in said
    assert convwiz("status", project, "--json").result["registration"] == []
    # the verdict's total is the sum of the problems it names
    total, parts = read_headline(page.verdict.text().split("Needs attention: ")[1]
                                 .split("</b>")[0])
    assert total == sum(parts.values()) == 3 and parts == {"lost": 2, "last-4 changed": 1}
    # the words named in the page: measured
    names = {e.accessibleName() for e in page.words.values()}
    assert names == {"Registration words: registered (words separated by commas)",
                     "Registration words: not registered (words separated by commas)"}
    page.words["no"].setText("Invited")
    qtbot.mouseClick(page.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Invited" not in page.banner.text() and _idle(main),
                    timeout=LONG)
    points = convwiz("status", project, "--json").result["registration"]
    assert [(p["registered"], p["expected"]) for p in points] == [(30, 90)]


def test_the_chart_is_linear(qtbot: Any) -> None:
    from wizard.ui.views import BarChart

    chart = BarChart()
    qtbot.addWidget(chart)
    chart.set_groups([("Autopay", {"kept": 1852, "lost": 7, "gained": 0})])
    room = 150.0
    assert chart.bar_height(1852, 1852, room) == room
    assert chart.bar_height(7, 1852, room) < room / 30  # 7 of 1,852 looks small
    assert chart.bar_height(926, 1852, room) == room / 2
    assert "linear" in chart.accessibleName()
    assert "1,852 kept, 7 lost, 0 gained" in chart.accessibleDescription()


def test_a_text_file_as_customer_export_says_it_shares_no_column(
        qtbot: Any, wizard: Any, project: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.csv"
    notes.write_text("Call Dana about the go-live\nand the window\n", encoding="utf-8")
    main = wizard.open_project(project)
    main.go_to("flag_file")
    page: Any = main.pages["flag_file"]
    page.load_file(notes)
    qtbot.waitUntil(lambda: page.banner.kind == "warning" and _idle(main), timeout=LONG)
    said = page.banner.text()
    assert said.startswith("notes.csv shares no column with a customer export")
    assert "filled in" not in said and "--map" not in said
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n")
    page.load_file(pdf)
    qtbot.waitUntil(lambda: "PDF document" in page.banner.text() and _idle(main),
                    timeout=LONG)
    assert page.preview.model.rowCount() == 0  # never a table of PDF syntax
