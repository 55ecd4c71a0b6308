"""One identity over time: its risk score per day above, its events per day below.

Both plots share a date axis in UTC and a vertical line at the as-of date.
Days with a finding are marked on the risk curve. The plot items are built
once and fed new arrays.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

DAY_S = 86_400
_TEXT = "#222"
_RISK_PEN = pg.mkPen(170, 30, 30, width=2)
_MARK_PEN = pg.mkPen(120, 0, 0)
_AS_OF_PEN = pg.mkPen(200, 90, 0, width=2, style=pg.QtCore.Qt.PenStyle.DashLine)


def day_epoch(day: date) -> float:
    """Seconds since 1970-01-01 (UTC) at the start of `day`."""
    return float((day - date(1970, 1, 1)).days * DAY_S)


def day_epochs(days: pl.Series) -> np.ndarray:
    """Start of each day in seconds since 1970 (UTC), as floats."""
    return days.cast(pl.Int64).to_numpy().astype(float) * DAY_S


class DayAxisItem(pg.DateAxisItem):
    """A UTC date axis with one row of day labels ("Jan 08") that never overlap.

    pyqtgraph's DateAxisItem (0.14) draws month and day labels on separate
    levels, which can collide near the first day of a month. This axis picks
    one step, from 1 day to 52 weeks, so labels stay MIN_LABEL_PX apart.
    """

    MIN_LABEL_PX = 64
    STEPS_DAYS = (1, 2, 7, 14, 28, 56, 91, 182, 364)
    # 1970-01-05 was a Monday; week steps start on Mondays.
    MONDAY_OFFSET = 4

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, orientation="bottom", utcOffset=0, **kwargs)

    def tickValues(self, minVal: float, maxVal: float, size: float):  # noqa: N802
        span_days = max((maxVal - minVal) / DAY_S, 1.0)
        labels = max(size / self.MIN_LABEL_PX, 1.0)
        step = next(
            (s for s in self.STEPS_DAYS if span_days / s <= labels),
            self.STEPS_DAYS[-1],
        )
        first = int(np.ceil(minVal / DAY_S))
        offset = self.MONDAY_OFFSET if step % 7 == 0 else 0
        first += (offset - first) % step
        days = np.arange(first, int(maxVal // DAY_S) + 1, step)
        return [(step * DAY_S, (days * DAY_S).astype(float).tolist())]

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        epoch = date(1970, 1, 1)
        pattern = "%b %d" if spacing < 182 * DAY_S else "%b %Y"
        return [
            (epoch + timedelta(days=round(value / DAY_S))).strftime(pattern)
            for value in values
        ]


class TimelinePanel(QWidget):
    """Risk score and daily event count of the selected identity."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground("w")
        self.risk_plot = self._add_plot(0, "risk score")
        self.events_plot = self._add_plot(1, "events per day")
        self.events_plot.setXLink(self.risk_plot)
        self.risk_plot.getAxis("bottom").setStyle(showValues=False)
        self.events_plot.setLabel("bottom", "date (UTC)", color=_TEXT)
        self.view.ci.layout.setRowStretchFactor(0, 3)
        self.view.ci.layout.setRowStretchFactor(1, 2)

        self.risk_curve = self.risk_plot.plot(
            pen=_RISK_PEN,
            fillLevel=0,
            brush=pg.mkBrush(200, 60, 60, 50),
        )
        self.finding_marks = pg.ScatterPlotItem(
            size=8, pen=_MARK_PEN, brush=pg.mkBrush(255, 255, 255)
        )
        self.risk_plot.addItem(self.finding_marks)
        self.event_bars = pg.BarGraphItem(
            x=[], height=[], width=DAY_S * 0.8, brush=pg.mkBrush(70, 120, 180, 190)
        )
        self.events_plot.addItem(self.event_bars)
        self.as_of_lines = [
            pg.InfiniteLine(angle=90, movable=False, pen=_AS_OF_PEN) for _ in range(2)
        ]
        self.risk_plot.addItem(self.as_of_lines[0], ignoreBounds=True)
        self.events_plot.addItem(self.as_of_lines[1], ignoreBounds=True)
        self.legend = self.risk_plot.addLegend(offset=(8, 8), labelTextColor=_TEXT)
        # Stand-in line samples, because the legend draws a filled curve as a
        # filled shape and cannot draw an InfiniteLine.
        self.legend.addItem(
            pg.PlotDataItem(pen=_RISK_PEN), "risk at the end of the day"
        )
        self.legend.addItem(self.finding_marks, "day with findings")
        self.as_of_sample = pg.PlotDataItem(pen=_AS_OF_PEN)
        self.legend.addItem(self.as_of_sample, "as-of day")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.clear()

    def _add_plot(self, row: int, y_label: str) -> pg.PlotItem:
        axis = DayAxisItem()
        plot = self.view.addPlot(row=row, col=0, axisItems={"bottom": axis})
        plot.setLabel("left", y_label, color=_TEXT)
        for name in ("left", "bottom"):
            plot.getAxis(name).setPen(pg.mkPen("#555"))
            plot.getAxis(name).setTextPen(pg.mkPen(_TEXT))
        plot.getAxis("left").setWidth(62)
        plot.showGrid(x=True, y=True, alpha=0.15)
        plot.setMouseEnabled(x=True, y=False)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.getViewBox().setLimits(yMin=0)
        return plot

    def clear(self, message: str = "Select an identity to see its risk over time"):
        self.risk_curve.setData([], [])
        self.finding_marks.setData([], [])
        self.event_bars.setOpts(x=[], height=[])
        self.risk_plot.setTitle(message, color=_TEXT, size="10pt")

    def show_timeline(
        self, title: str, timeline: pl.DataFrame, finding_days: list[date]
    ) -> None:
        """Draw `timeline` (day, risk, events) and mark the days with findings."""
        x = day_epochs(timeline.get_column("day"))
        risk = timeline.get_column("risk").to_numpy()
        events = timeline.get_column("events").to_numpy().astype(float)
        self.risk_curve.setData(x + DAY_S / 2, risk)
        marked = np.isin(x, [day_epoch(day) for day in finding_days])
        self.finding_marks.setData(x[marked] + DAY_S / 2, risk[marked])
        self.event_bars.setOpts(x=x + DAY_S / 2, height=events)
        self.risk_plot.setTitle(title, color=_TEXT, size="10pt")
        if x.size:
            self.risk_plot.setXRange(x[0], x[-1] + DAY_S, padding=0.01)
        self.risk_plot.enableAutoRange(axis="y")
        self.events_plot.enableAutoRange(axis="y")

    def set_days(self, first: date, last: date) -> None:
        """Show the case's days on the date axis, even before any data."""
        self.risk_plot.setXRange(
            day_epoch(first), day_epoch(last) + DAY_S, padding=0.01
        )

    def set_as_of(self, day: date | None) -> None:
        """Move the as-of line to the end of `day`, or hide it."""
        for line in self.as_of_lines:
            line.setVisible(day is not None)
            if day is not None:
                line.setValue(day_epoch(day) + DAY_S)
        label = f"as-of day {day}" if day is not None else "as-of day"
        self.legend.getLabel(self.as_of_sample).setText(label, color=_TEXT)

    def as_of_value(self) -> float:
        return float(self.as_of_lines[0].value())
