"""The Trainer tab's live plot of training loss and accuracy, with pyqtgraph (the same chart library
as the attendance charts; PySide6-Essentials has no QtCharts, and matplotlib would double the
packaged app)."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor

from faceapp.ui.i18n import tr

LOSS_COLOR = QColor("#1f6feb")
ACCURACY_COLOR = QColor("#e8710a")
STEP_ALPHA = 80  # the per-step line, faint under the per-epoch one


class TrainingPlot(pg.PlotWidget):
    """Loss (left axis, from 0) and training accuracy (right axis, 0-100%) against the epoch; the
    x axis spans the whole run from the start, so the curves grow towards the right edge.

    The trainer reports running means over the epoch, which restart at every epoch: a faint line
    joins every step, a bold one each epoch's last value (the epoch's mean), which shows the trend.
    """

    def __init__(self, parent=None):
        super().__init__(parent, background="w")
        self.setObjectName("trainingPlot")
        self.setMinimumSize(240, 160)
        self.setMenuEnabled(False)
        self.points: list[tuple[int, int, float, float]] = []  # (epoch, step, loss, accuracy)
        self.epochs = 0
        self.total_steps = 0
        item = self.getPlotItem()
        item.showGrid(x=False, y=True, alpha=0.3)
        item.getViewBox().setMouseEnabled(x=False, y=False)
        item.showAxis("right")
        item.getAxis("right").setLabel("%")
        # accuracy has its own view box, tied to the plot's x range, so its axis reads 0-100%
        self.accuracy_box = pg.ViewBox(enableMouse=False)
        item.scene().addItem(self.accuracy_box)
        item.getAxis("right").linkToView(self.accuracy_box)
        self.accuracy_box.setXLink(item)
        self.accuracy_box.setYRange(0, 100, padding=0)
        item.getViewBox().sigResized.connect(lambda: self.accuracy_box.setGeometry(item.getViewBox().sceneBoundingRect()))
        faint_loss, faint_acc = QColor(LOSS_COLOR), QColor(ACCURACY_COLOR)
        faint_loss.setAlpha(STEP_ALPHA)
        faint_acc.setAlpha(STEP_ALPHA)
        self.legend = item.addLegend(offset=(10, 5))
        self.loss_steps = item.plot(pen=pg.mkPen(faint_loss, width=1.5))
        self.loss_epochs = item.plot(pen=pg.mkPen(LOSS_COLOR, width=2.5), symbol="o", symbolSize=6,
                                     symbolBrush=LOSS_COLOR, symbolPen=None)
        self.acc_steps = pg.PlotDataItem(pen=pg.mkPen(faint_acc, width=1.5))
        self.acc_epochs = pg.PlotDataItem(pen=pg.mkPen(ACCURACY_COLOR, width=2.5), symbol="o", symbolSize=6,
                                          symbolBrush=ACCURACY_COLOR, symbolPen=None)
        for curve in (self.acc_steps, self.acc_epochs):
            self.accuracy_box.addItem(curve)
        self.placeholder = pg.TextItem(anchor=(0.5, 0.5), color="#888888")
        item.addItem(self.placeholder)
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        return QSize(520, 260)

    def start(self, epochs: int, total_steps: int) -> None:
        """A new run: clear the curves and size the x axis for it."""
        self.points.clear()
        self.epochs, self.total_steps = epochs, total_steps
        self.update()

    def add_point(self, epoch: int, step: int, loss: float, accuracy: float) -> None:
        self.points.append((epoch, step, loss, accuracy))
        self.update()

    def clear(self) -> None:
        self.start(0, 0)

    def update(self) -> None:
        """Redraw from the points, in the current language (the page calls it after a switch)."""
        item = self.getPlotItem()
        item.setLabel("bottom", tr("Epoch"))
        self.legend.clear()
        self.legend.addItem(self.loss_epochs, tr("Loss"))
        self.legend.addItem(self.acc_epochs, tr("Training accuracy"))
        valid = [pt for pt in self.points if math.isfinite(pt[2]) and math.isfinite(pt[3])]
        per_epoch = self.total_steps / self.epochs if self.epochs and self.total_steps else 1.0
        x_max = max(self.total_steps, max((pt[1] for pt in valid), default=0), 1) / per_epoch
        item.setXRange(0, x_max, padding=0.02)
        item.setYRange(0, max((pt[2] for pt in valid), default=1.0), padding=0.05)
        epoch_ends = list({pt[0]: pt for pt in valid}.values())  # the last point of every epoch
        for steps, ends, value in ((self.loss_steps, self.loss_epochs, lambda pt: pt[2]),
                                   (self.acc_steps, self.acc_epochs, lambda pt: 100 * min(max(pt[3], 0.0), 1.0))):
            many = len(epoch_ends) < len(valid)
            steps.setData([pt[1] / per_epoch for pt in valid] if many else [], [value(pt) for pt in valid] if many else [])
            ends.setData([pt[1] / per_epoch for pt in epoch_ends], [value(pt) for pt in epoch_ends])
        self.placeholder.setText("" if valid else tr("Loss and accuracy appear here while the model trains."))
        self.placeholder.setPos(x_max / 2, 0.5)
        super().update()
