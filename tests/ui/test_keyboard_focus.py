"""The keyboard focus a screen reader needs (issue 32), in-process and on every system.

A screen reader says what gets the keyboard focus. tests/ui/test_orca.py hears it under a
real one (Linux); these check the window's side of it wherever the tests run: every page is
arrived at on its title, the scroll panes take no focus, Verify's figures, the checklists'
progress and every task's status are Tab stops named with their values, no table or list
keeps Tab, and every text box has a label naming it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QWidget,
)

from tests.helpers.cli import convwiz
from wizard.ui.views import ChecklistView


def tab_stop(widget: QWidget) -> bool:
    return bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)


def test_every_page_is_arrived_at_on_its_title_and_says_what_it_shows_by_tab(
        wizard: Any, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    assert convwiz("demo", folder, "--customers", 120).code == 0
    main = wizard.open_project(folder)
    for step in main.step_ids:
        assert main.can_open(step), step  # a finished demo: every page opens
        main.go_to(step)
        page = main.pages[step]
        title = page.title_label
        assert main.focusWidget() is title, (step, main.focusWidget())
        assert tab_stop(title) and title.accessibleName() == title.text(), step
        assert title.accessibleDescription(), step  # what the page is for, said after it
        assert main.stack.accessibleName().startswith(f"Step {main.step_ids.index(step) + 1} ")
        assert main.scrolls[step].area.focusPolicy() == Qt.FocusPolicy.NoFocus, step
    verification: Any = main.pages["verification"]
    figures = list(verification.figure_labels.values())
    assert len(figures) == 10
    assert all(tab_stop(label) for label in figures)
    assert "Autopay lost: 3" in [label.accessibleName() for label in figures]
    # a caption is not its figure's buddy: a screen reader would say it twice
    assert not [c for c in verification.findChildren(QLabel) if c.buddy() in figures]
    for checklist in main.findChildren(ChecklistView):
        assert tab_stop(checklist.summary), checklist.accessibleName()
        assert " tasks done" in checklist.summary.accessibleName()
        statuses = [w for w in checklist.findChildren(QLabel) if ": status: " in
                    w.accessibleName()]
        assert statuses and all(tab_stop(s) for s in statuses), checklist.accessibleName()


def test_tab_leaves_every_table_and_every_text_box_is_labelled(wizard: Any,
                                                                project: Path) -> None:
    main = wizard.open_project(project)
    views = main.findChildren(QAbstractItemView)
    assert views
    trapping = [v.accessibleName() or type(v).__name__ for v in views if v.tabKeyNavigation()]
    assert trapping == []
    labels = {id(label.buddy()): label for label in main.findChildren(QLabel)
              if label.buddy() is not None}
    unlabelled = []
    for box in main.findChildren(QLineEdit):
        if isinstance(box.parent(), (QAbstractSpinBox, QComboBox)):
            continue  # the box inside a spin box or a combo box: those are labelled
        label = labels.get(id(box))  # Qt names a box by its buddy unless it is named
        if label is None or not (label.accessibleName() or label.text()).strip():
            unlabelled.append(box.accessibleName() or box.placeholderText())
    assert unlabelled == []
