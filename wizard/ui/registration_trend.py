"""The Verify page's re-registration trend: a small hand-drawn line chart of the share of
customers registered again at each verification (flow.records.registration), from zero to 100%.

A screen reader hears the figures: the widget's accessible name says every point
("Re-registration: 35% on 2027-01-16 (700 of 1,998), 60% on ..."), and changes with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from wizard.core.registration_points import RegistrationPoint, percent_text, trend_text

LINE = "#1f6fb2"


class RegistrationTrend(QWidget):
    """Share registered (0-100%) against days after go-live, one dot per verification."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points: list[RegistrationPoint] = []
        self.go_live: date | None = None
        self.setMinimumHeight(170)
        self.setMinimumWidth(320)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # a screen reader reaches it by Tab
        self.setAccessibleDescription("Chart of customers registered again after go-live")
        self.load([], None)

    def load(self, points: Sequence[RegistrationPoint], go_live: date | None) -> None:
        self.points = list(points)
        self.go_live = go_live
        self.setAccessibleName(self.spoken())
        self.setToolTip(self.spoken())
        self.update()

    def spoken(self) -> str:
        return trend_text(self.points)

    def days(self, point: RegistrationPoint) -> int:
        if self.go_live is None:
            return 0
        return (date.fromisoformat(point.date) - self.go_live).days

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        painter.setPen(QColor("#333"))
        painter.drawText(QRectF(0, 2, self.width(), 18), Qt.AlignmentFlag.AlignHCenter,
                         "Re-registration")
        if not self.points:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             "Not measured yet: verify an export with a registration column")
            return
        left, right, top = 44.0, 24.0, 28.0
        bottom = float(self.height() - 34)
        width = max(1.0, self.width() - left - right)
        days = [self.days(p) for p in self.points]
        low, high = min(0, *days), max(1, *days)
        span = max(1, high - low)

        def x_of(day: int) -> float:
            return left + width * (day - low) / span

        def y_of(share: float) -> float:
            return bottom - (bottom - top) * share

        # axes from zero, with their labels
        painter.setPen(QColor("#aab4bf"))
        for share in (0.0, 0.5, 1.0):
            painter.drawLine(QPointF(left, y_of(share)), QPointF(left + width, y_of(share)))
            painter.setPen(QColor("#555"))
            painter.drawText(QRectF(0, y_of(share) - 8, left - 4, 16),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             f"{int(share * 100)}%")
            painter.setPen(QColor("#aab4bf"))
        painter.setPen(QColor("#555"))
        painter.drawText(QRectF(left, bottom + 16, width, 16), Qt.AlignmentFlag.AlignHCenter,
                         "days after go-live")
        for day in sorted({low, high, *days}):
            painter.drawText(QRectF(x_of(day) - 20, bottom + 2, 40, 14),
                             Qt.AlignmentFlag.AlignHCenter, str(day))
        spots = [QPointF(x_of(d), y_of(p.registered / p.expected if p.expected else 0.0))
                 for d, p in zip(days, self.points)]
        painter.setPen(QPen(QColor(LINE), 2))
        for a, b in zip(spots, spots[1:]):
            painter.drawLine(a, b)
        for spot, point in zip(spots, self.points):
            painter.setBrush(QColor(LINE))
            painter.drawEllipse(spot, 4, 4)
            painter.setPen(QColor("#1a1a1a"))
            painter.drawText(QRectF(spot.x() - 30, spot.y() - 22, 60, 16),
                             Qt.AlignmentFlag.AlignHCenter,
                             percent_text(point.registered, point.expected))
            painter.setPen(QPen(QColor(LINE), 2))
