"""The Coordinate page edits the project's settings (the same ones `convwiz settings`
changes, audited), and opens a notice as an e-mail draft."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QMessageBox

from wizard.flow.project.project import Project
from wizard.ui.settings_dialog import ProjectSettingsDialog


def test_the_settings_dialog_changes_and_audits(qtbot: Any, project: Path) -> None:
    with Project.open(project) as opened:
        dialog = ProjectSettingsDialog(opened)
        qtbot.addWidget(dialog)
        dialog.fields["pm_name"].setText("Pat Lee")
        dialog.fields["customer_service_phone"].setText("(555) 010-0199")
        dialog.save()
        assert dialog.result() == dialog.DialogCode.Accepted
        assert "pm_name changed" in dialog.result_text
        assert opened.settings.pm_name == "Pat Lee"
        assert opened.settings.extra["customer_service_phone"] == "(555) 010-0199"
        assert any(e.action == "setting changed" for e in opened.store.audit_log())


def test_a_bad_bid_is_refused_in_words(qtbot: Any, project: Path, monkeypatch: Any) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda _parent, _title, text: shown.append(text))
    with Project.open(project) as opened:
        dialog = ProjectSettingsDialog(opened)
        qtbot.addWidget(dialog)
        dialog.fields["production_bid"].setText("abc")
        dialog.save()
        assert dialog.result() != dialog.DialogCode.Accepted
        assert shown and "BID" in shown[0]
        assert opened.settings.production_bid == "2806"
    for name in ("biller", "production_bid", "pm_email"):
        assert dialog.fields[name].accessibleName()
