"""The Verify page's re-registration trend: drawn, and heard by a screen reader with its
figures."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtGui import QImage

from tests.helpers.conversion import build, drifted_post
from wizard.core import generate
from wizard.flow.project.project import Project
from wizard.flow.steps import verification


def test_the_verify_page_draws_the_trend_and_says_its_figures(wizard: Any,
                                                              project: Path) -> None:
    build(project, n=80)
    table = drifted_post(project, autopay_lost=0, paperless_gained=0, last4_changed=0,
                         missing=0).table
    for day, values in ((date(2026, 12, 15), ["Y", "N", "N", "N"]),
                        (date(2026, 12, 21), ["Y", "Y", "N", "N"])):
        column = [values[i % 4] for i in range(table.num_rows)]
        post = generate.write_csv(table.append_column("Registered", [column]),
                                  project.parent / f"post-{day}.csv")
        with Project.open(project) as p:
            verification.verify(p, post, {}, say=lambda _m: None, measured_on=day)
    main = wizard.open_project(project)
    page: Any = main.pages["verification"]
    page.refresh()
    trend = page.trend
    assert trend.accessibleName() == ("Re-registration: 25% on 2026-12-15 (20 of 80), "
                                      "50% on 2026-12-21 (40 of 80)")
    assert [trend.days(p) for p in trend.points] == [1, 7]
    image = QImage(trend.size().expandedTo(trend.minimumSize()), QImage.Format.Format_ARGB32)
    image.fill(0)
    trend.resize(image.size())
    trend.render(image)
    # the line is drawn: some pixels carry its blue
    blue = sum(1 for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)
               if image.pixelColor(x, y).name() == "#1f6fb2")
    assert blue > 10


def test_before_any_measurement_it_says_so(wizard: Any, project: Path) -> None:
    main = wizard.open_project(project)
    page: Any = main.pages["verification"]
    page.refresh()
    assert page.trend.accessibleName() == ("Re-registration: not measured yet (verify an "
                                           "export with a registration column)")
