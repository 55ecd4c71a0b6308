"""Events over time: a pyqtgraph step histogram with a draggable time range.

The plot items are built once and fed new arrays. Zooming the time axis
re-bins the visible window on a worker thread, so a case that spans years
still shows minute-level detail when zoomed in. Dragging the region selects
the time range that filters the events table.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.gui.background import CaseSession
from workspace import Workspace
from workspace.queries import EventFilter, histogram, time_bounds

logger = logging.getLogger(__name__)

BINS = 200
RANGE_DELAY_MS = 300
ZOOM_DELAY_MS = 250
EPOCH = datetime(1970, 1, 1)
ONE_US = timedelta(microseconds=1)
# A single instant gets this much room on each side so its bar is visible.
_SINGLE_INSTANT_MARGIN = timedelta(seconds=30)


def to_epoch(moment: datetime) -> float:
    """Seconds since 1970-01-01 of a naive UTC datetime."""
    return (moment - EPOCH) / timedelta(seconds=1)


def from_epoch(seconds: float) -> datetime:
    """Naive UTC datetime of `seconds` since 1970, rounded to the microsecond."""
    return EPOCH + timedelta(microseconds=round(seconds * 1_000_000))


@dataclass(frozen=True)
class Bins:
    """Histogram counts with their bin edges in seconds since 1970 (UTC).

    `edges` has one value more than `counts`. `first` and `last` bound the
    events matching the filter, or are None when nothing matches.
    """

    edges: np.ndarray
    counts: np.ndarray
    first: datetime | None
    last: datetime | None

    @property
    def is_empty(self) -> bool:
        return self.counts.size == 0


def load_bins(
    workspace: Workspace,
    event_filter: EventFilter,
    window: tuple[datetime, datetime] | None = None,
    bins: int = BINS,
) -> Bins:
    """Count events per bin over `window`, or over all matching events.

    Runs on a worker thread. `window` is clipped to the matching events.
    """
    first, last = time_bounds(workspace.con, event_filter)
    if first is None:
        return Bins(np.zeros(0), np.zeros(0), None, None)
    start, end = first, last + ONE_US
    if window is not None:
        start, end = max(start, window[0]), min(end, window[1])
    if end <= start:
        return Bins(np.zeros(0), np.zeros(0), first, last)
    if end - start < timedelta(seconds=1):
        start, end = start - _SINGLE_INSTANT_MARGIN, end + _SINGLE_INSTANT_MARGIN
    frame = histogram(workspace.con, event_filter, start, end, bins)
    starts_us = frame.get_column("bin_start").dt.epoch("us").to_numpy()
    width_us = starts_us[1] - starts_us[0] if starts_us.size > 1 else 1
    edges = np.append(starts_us, starts_us[-1] + width_us) / 1_000_000
    counts = frame.get_column("events").to_numpy().astype(float)
    return Bins(edges, counts, first, last)


def describe_span(seconds: float) -> str:
    """Format a duration for the plot title, e.g. '2 h 15 min' or '40 ms'."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def format_instant(moment: datetime) -> str:
    return moment.isoformat(sep=" ", timespec="seconds")


class HistogramPanel(QWidget):
    """Events per time bin over the current filter, with a range selector."""

    sig_range_changed = Signal(object, object)
    """Emitted with (start, end) naive UTC datetimes, or (None, None) when cleared."""

    sig_bins_loaded = Signal()
    """Emitted after new bins are drawn."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session: CaseSession | None = None
        self._filter = EventFilter()
        self._bins = Bins(np.zeros(0), np.zeros(0), None, None)
        self._binned_window: tuple[float, float] | None = None

        self.plot = self._build_plot()
        self.curve = self.plot.plot(
            stepMode="center",
            fillLevel=0,
            fillOutline=True,
            brush=pg.mkBrush(70, 120, 180, 170),
            pen=pg.mkPen(40, 80, 140, width=1),
        )
        self.region = pg.LinearRegionItem(
            brush=pg.mkBrush(255, 170, 40, 70),
            hoverBrush=pg.mkBrush(255, 170, 40, 110),
            pen=pg.mkPen(220, 110, 0, width=2),
        )
        # Below the bars, so bars inside the range keep their colour.
        self.region.setZValue(-10)
        self.region.setVisible(False)
        self.plot.addItem(self.region, ignoreBounds=True)

        self.select_button = QPushButton("Select range")
        self.select_button.setToolTip(
            "Show a range on the plot; drag it or its edges to filter the table"
        )
        self.clear_button = QPushButton("Clear range")
        self.clear_button.setEnabled(False)
        self.show_all_button = QPushButton("Show all")
        self.show_all_button.setToolTip("Zoom out to the whole time span")
        self.range_label = QLabel("Range: all time")

        self._range_timer = _single_shot(self, RANGE_DELAY_MS, self._emit_range)
        self._zoom_timer = _single_shot(self, ZOOM_DELAY_MS, self._rebin_view)
        self._layout_widgets()

        self.select_button.clicked.connect(self.begin_selection)
        self.clear_button.clicked.connect(lambda: self.clear_range())
        self.show_all_button.clicked.connect(self.show_all)
        self.region.sigRegionChanged.connect(self._on_region_changed)
        self.plot.getViewBox().sigXRangeChanged.connect(self._zoom_timer.start)

    def _build_plot(self) -> pg.PlotWidget:
        axis = pg.DateAxisItem(orientation="bottom", utcOffset=0)
        plot = pg.PlotWidget(background="w", axisItems={"bottom": axis})
        plot.setTitle("Events over time", color="#222", size="11pt")
        plot.setLabel("left", "events per bin", color="#222")
        plot.setLabel("bottom", "time (UTC)", color="#222")
        for name in ("left", "bottom"):
            plot.getAxis(name).setPen(pg.mkPen("#555"))
            plot.getAxis(name).setTextPen(pg.mkPen("#222"))
        plot.showGrid(x=True, y=True, alpha=0.15)
        plot.setMouseEnabled(x=True, y=False)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        view = plot.getViewBox()
        view.setAutoVisible(y=True)
        view.enableAutoRange(axis="y")
        view.setLimits(yMin=0)
        return plot

    def _layout_widgets(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(self.select_button)
        bar.addWidget(self.clear_button)
        bar.addWidget(self.show_all_button)
        bar.addSpacing(12)
        bar.addWidget(self.range_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 0)
        layout.addLayout(bar)
        layout.addWidget(self.plot, 1)

    # Data ---------------------------------------------------------------------

    def set_session(self, session: CaseSession | None) -> None:
        self._session = session
        self.clear_range(emit=False)
        self.set_filter(EventFilter(), force=True)

    def set_filter(self, event_filter: EventFilter, force: bool = False) -> None:
        """Re-bin over all events matching `event_filter`, ignoring its time range."""
        event_filter = replace(event_filter, start=None, end=None)
        if event_filter == self._filter and not force:
            return
        self._filter = event_filter
        self.refresh()

    def refresh(self) -> None:
        """Reload the overview, e.g. after an import added events."""
        if self._session is None:
            self._show(Bins(np.zeros(0), np.zeros(0), None, None), overview=True)
            return
        event_filter = self._filter
        self._session.query(
            "histogram",
            lambda workspace: load_bins(workspace, event_filter),
            lambda bins: self._show(bins, overview=True),
        )

    def _rebin_view(self) -> None:
        if self._session is None or self._bins.first is None:
            return
        (x0, x1), _ = self.plot.getViewBox().viewRange()
        first, last = to_epoch(self._bins.first), to_epoch(self._bins.last)
        window = (max(x0, first), min(x1, last))
        if self._binned_window and _windows_match(window, self._binned_window):
            return
        event_filter = self._filter
        start, end = from_epoch(window[0]), from_epoch(window[1]) + ONE_US
        self._session.query(
            "histogram",
            lambda workspace: load_bins(workspace, event_filter, (start, end)),
            lambda bins: self._show(bins, overview=False),
        )

    def _show(self, bins: Bins, overview: bool) -> None:
        self._bins = bins
        self.select_button.setEnabled(not bins.is_empty or self.region.isVisible())
        if bins.is_empty:
            self.curve.setData([], [])
            self._binned_window = None
            self.plot.setTitle("Events over time: no events match", color="#222")
            self.sig_bins_loaded.emit()
            return
        self.curve.setData(bins.edges, bins.counts)
        self._binned_window = (float(bins.edges[0]), float(bins.edges[-1]))
        width = describe_span(float(bins.edges[1] - bins.edges[0]))
        self.plot.setTitle(f"Events over time ({width} per bin)", color="#222")
        if overview:
            self._binned_window = (to_epoch(bins.first), to_epoch(bins.last))
            self.plot.setXRange(bins.edges[0], bins.edges[-1], padding=0.02)
        self.sig_bins_loaded.emit()

    def show_all(self) -> None:
        """Zoom out to every matching event."""
        self.refresh()

    # Time range ---------------------------------------------------------------

    def begin_selection(self) -> None:
        """Show the range selector over the middle fifth of the visible span."""
        (x0, x1), _ = self.plot.getViewBox().viewRange()
        span = x1 - x0
        self.region.setVisible(True)
        self.region.setRegion((x0 + 0.4 * span, x0 + 0.6 * span))
        self.clear_button.setEnabled(True)
        self._range_timer.start()

    def set_range(self, start: datetime, end: datetime) -> None:
        """Select [start, end) as if the user had dragged the region there."""
        self.region.setVisible(True)
        self.clear_button.setEnabled(True)
        self.region.setRegion((to_epoch(start), to_epoch(end)))
        self._range_timer.start()

    def selected_range(self) -> tuple[datetime, datetime] | None:
        if not self.region.isVisible():
            return None
        low, high = self.region.getRegion()
        return from_epoch(low), from_epoch(high)

    def clear_range(self, emit: bool = True) -> None:
        self._range_timer.stop()
        self.region.setVisible(False)
        self.clear_button.setEnabled(False)
        self.range_label.setText("Range: all time")
        if emit:
            self.sig_range_changed.emit(None, None)

    def _on_region_changed(self) -> None:
        if self.region.isVisible():
            self._update_range_label()
            self._range_timer.start()

    def _update_range_label(self) -> None:
        selected = self.selected_range()
        if selected is None:
            return
        start, end = selected
        self.range_label.setText(
            f"Range: {format_instant(start)} → {format_instant(end)} UTC "
            f"({describe_span((end - start).total_seconds())})"
        )

    def _emit_range(self) -> None:
        selected = self.selected_range()
        if selected is not None:
            self._update_range_label()
            self.sig_range_changed.emit(*selected)


def _windows_match(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Tell whether two windows differ by less than 1 % of their span."""
    tolerance = 0.01 * max(a[1] - a[0], b[1] - b[0], 1e-6)
    return abs(a[0] - b[0]) <= tolerance and abs(a[1] - b[1]) <= tolerance


def _single_shot(parent: QWidget, interval_ms: int, slot) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(interval_ms)
    timer.timeout.connect(slot)
    return timer
