"""Text from outside is shown, never obeyed, in the window too (issue 30): a message naming a
file from the provider's server is shown as plain text, its control characters made
visible; markup in a name is never drawn as a link."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from wizard.ui.widgets import Banner


def test_the_banner_shows_a_hostile_name_as_text(qtbot: Any) -> None:
    banner = Banner()
    qtbot.addWidget(banner)
    name = "xref\x1b]0;owned\x07<a href='https://example.com'>click to fix</a>.csv"
    banner.show_message("error", f"Skipped {name}: not a cross-reference.\nTry again")

    assert banner.label.textFormat() == Qt.TextFormat.PlainText
    assert banner.text() == ("Skipped xref\\x1b]0;owned\\x07<a href='https://example.com'>"
                             "click to fix</a>.csv: not a cross-reference.\nTry again")
