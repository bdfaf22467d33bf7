"""The Trainer tab's live plot of training loss and accuracy, drawn with QPainter (no chart library:
PySide6-Essentials has no QtCharts, and matplotlib would double the packaged app)."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from faceapp.ui.i18n import tr

LOSS_COLOR = QColor("#1f6feb")
ACCURACY_COLOR = QColor("#e8710a")
GRID_COLOR = QColor(128, 128, 128, 60)
STEP_ALPHA = 80  # the per-step line, faint under the per-epoch one


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 x 10^k at or above value: a round top for the loss axis."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value - 1e-12)


class TrainingPlot(QWidget):
    """Loss (left axis, from 0) and training accuracy (right axis, 0-100%) against the step; the
    x axis spans the whole run from the start, so the curves grow towards the right edge.

    The trainer reports running means over the epoch, which restart at every epoch: a faint line
    joins every step, a bold one each epoch's last value (the epoch's mean), which shows the trend.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("trainingPlot")
        self.setMinimumSize(240, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.points: list[tuple[int, int, float, float]] = []  # (epoch, step, loss, accuracy)
        self.epochs = 0
        self.total_steps = 0

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

    # --- painting -----------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt naming)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        p.fillRect(self.rect(), pal.base())
        fm = QFontMetrics(self.font())
        left = fm.horizontalAdvance("00.0") + 14
        right = fm.horizontalAdvance("100%") + 14
        top = fm.height() + 14
        bottom = fm.height() * 2 + 10
        plot = QRectF(left, top, max(self.width() - left - right, 10), max(self.height() - top - bottom, 10))
        text_pen = QPen(pal.text().color())

        valid = [pt for pt in self.points if math.isfinite(pt[2]) and math.isfinite(pt[3])]
        loss_top = nice_ceiling(max((pt[2] for pt in valid), default=1.0))
        x_max = max(self.total_steps, max((pt[1] for pt in valid), default=0), 1)

        def x_of(step: float) -> float:
            return plot.left() + plot.width() * step / x_max

        # grid and y axes: 5 lines, loss values on the left, accuracy percentages on the right
        p.setFont(self.font())
        for i in range(5):
            frac = i / 4
            y = plot.bottom() - plot.height() * frac
            p.setPen(QPen(GRID_COLOR, 1))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(LOSS_COLOR)
            p.drawText(QRectF(0, y - fm.height() / 2, left - 6, fm.height()),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{loss_top * frac:.3g}")
            p.setPen(ACCURACY_COLOR)
            p.drawText(QRectF(plot.right() + 6, y - fm.height() / 2, right - 6, fm.height()),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{round(100 * frac)}%")

        # x axis: epoch boundaries, labelled as far apart as the labels need
        p.setPen(text_pen)
        p.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.bottom()))
        if self.epochs and self.total_steps:
            per_epoch = self.total_steps / self.epochs
            label_every = max(1, math.ceil(self.epochs * (fm.horizontalAdvance("000") + 8) / plot.width()))
            for epoch in range(0, self.epochs + 1):
                x = x_of(epoch * per_epoch)
                p.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 4))
                if epoch % label_every == 0:
                    p.drawText(QRectF(x - 30, plot.bottom() + 4, 60, fm.height()), Qt.AlignmentFlag.AlignHCenter,
                               str(epoch))
        p.drawText(QRectF(plot.left(), plot.bottom() + 4 + fm.height(), plot.width(), fm.height()),
                   Qt.AlignmentFlag.AlignHCenter, tr("Epoch"))

        # legend above the plot
        x = plot.left()
        for color, label in ((LOSS_COLOR, tr("Loss")), (ACCURACY_COLOR, tr("Training accuracy"))):
            p.setPen(QPen(color, 3))
            y = top / 2
            p.drawLine(QPointF(x, y), QPointF(x + 18, y))
            p.setPen(text_pen)
            p.drawText(QRectF(x + 24, y - fm.height() / 2, fm.horizontalAdvance(label) + 4, fm.height()),
                       Qt.AlignmentFlag.AlignVCenter, label)
            x += 24 + fm.horizontalAdvance(label) + 24

        if not valid:
            p.setPen(QPen(pal.placeholderText().color()))
            p.drawText(plot, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       tr("Loss and accuracy appear here while the model trains."))
            p.end()
            return

        def curve(points: list[tuple[int, int, float, float]], value, color: QColor, bold: bool) -> None:
            xy = [QPointF(x_of(pt[1]), plot.bottom() - plot.height() * value(pt)) for pt in points]
            path = QPainterPath(xy[0])
            for point in xy[1:]:
                path.lineTo(point)
            faint = QColor(color)
            faint.setAlpha(STEP_ALPHA)
            p.setPen(QPen(color if bold else faint, 2.5 if bold else 1.5))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPath(path)
            if bold:
                p.setBrush(color)
                for point in xy:
                    p.drawEllipse(point, 3, 3)

        epoch_ends = list({pt[0]: pt for pt in valid}.values())  # the last point of every epoch
        p.setClipRect(plot.adjusted(-4, -4, 4, 4))
        for color, value in ((LOSS_COLOR, lambda pt: pt[2] / loss_top),
                             (ACCURACY_COLOR, lambda pt: min(max(pt[3], 0.0), 1.0))):
            if len(epoch_ends) < len(valid):
                curve(valid, value, color, bold=False)
            curve(epoch_ends, value, color, bold=True)
        p.end()
