"""Attendance charts with pyqtgraph: people per day stacked as on time / late / absent, and the
distribution of arrival times, for the period and department the Attendance tab filters on."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QWidget

from faceapp.hr.report import DayCounts
from faceapp.ui.i18n import tr

ON_TIME, LATE, ABSENT = "#2e7d32", "#e8710a", "#c62828"
ARRIVAL_BIN_MIN = 15  # a quarter of an hour: fine enough to see a queue at the door, coarse enough to fill


def plot_widget(name: str) -> pg.PlotWidget:
    plot = pg.PlotWidget(background="w")
    plot.setObjectName(name)
    plot.showGrid(x=False, y=True, alpha=0.3)
    plot.setMenuEnabled(False)
    plot.getViewBox().setMouseEnabled(x=False, y=False)
    plot.addLegend(offset=(-10, 10))
    return plot


class AttendanceCharts(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("attendanceCharts")
        self.per_day = plot_widget("arrivalsPerDay")
        self.arrivals = plot_widget("arrivalTimes")
        layout = QHBoxLayout(self)
        layout.addWidget(self.per_day, 3)
        layout.addWidget(self.arrivals, 2)
        self.counts: list[DayCounts] = []
        self.minutes: list[float] = []

    def show_data(self, counts: list[DayCounts], minutes: list[float]) -> None:
        self.counts, self.minutes = counts, minutes
        self._draw()

    def retranslate(self) -> None:
        self._draw()

    def _draw(self) -> None:
        self.per_day.clear()
        self.per_day.getPlotItem().legend.clear()
        self.per_day.setTitle(tr("People per day"))
        self.per_day.setLabel("left", tr("People"))
        x = np.arange(len(self.counts))
        bottom = np.zeros(len(self.counts))
        for values, color, label in (([c.on_time for c in self.counts], ON_TIME, tr("On time")),
                                     ([c.late for c in self.counts], LATE, tr("Late")),
                                     ([c.absent for c in self.counts], ABSENT, tr("Absent"))):
            heights = np.asarray(values, dtype=float)
            self.per_day.addItem(pg.BarGraphItem(x=x, y0=bottom, height=heights, width=0.7, brush=color, pen=None, name=label))
            bottom = bottom + heights
        # headroom above the tallest bar for the legend
        self.per_day.setYRange(0, max(1.0, float(bottom.max(initial=0))) * 1.3, padding=0)
        step = max(1, len(self.counts) // 10)
        self.per_day.getAxis("bottom").setTicks([[(i, f"{c.day:%m-%d}") for i, c in enumerate(self.counts)][::step]])

        self.arrivals.clear()
        self.arrivals.setTitle(tr("Arrival times"))
        self.arrivals.setLabel("left", tr("Arrivals"))
        if self.minutes:
            lo = int(min(self.minutes) // ARRIVAL_BIN_MIN) * ARRIVAL_BIN_MIN
            hi = int(max(self.minutes) // ARRIVAL_BIN_MIN + 1) * ARRIVAL_BIN_MIN
            heights, edges = np.histogram(self.minutes, bins=np.arange(lo, hi + 1, ARRIVAL_BIN_MIN))
            self.arrivals.addItem(pg.BarGraphItem(x0=edges[:-1], x1=edges[1:], height=heights, brush="#1f6feb", pen="w"))
            ticks = [(m, f"{int(m) // 60:02d}:{int(m) % 60:02d}") for m in edges[:: max(1, len(edges) // 6)]]
            self.arrivals.getAxis("bottom").setTicks([ticks])
