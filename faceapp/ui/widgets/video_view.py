"""The live picture with the pipeline's overlays, painted in the GUI thread from a FrameResult."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from faceapp.types import FrameResult, TrackView
from faceapp.ui.i18n import tr

GREEN = QColor("#2ea043")
AMBER = QColor("#d29922")
RED = QColor("#da3633")
BLUE = QColor("#1f6feb")


def track_colour(track: TrackView) -> QColor:
    if track.decision is not None:
        return GREEN if track.decision.granted else RED
    if track.spoof_suspected:
        return RED
    if track.liveness_pending:
        return AMBER
    if track.match is not None and track.match.known:
        return GREEN
    return RED if track.match is not None else BLUE


def place_label(box: QRectF, width: float, height: float, bounds: QRectF, taken: list[QRectF]) -> QRectF:
    """Where a face's label goes: above its box, else below it, kept inside the view (a face at the
    edge must not have its name cut off) and, where it can, clear of the labels already placed (faces
    side by side in a group would otherwise hide each other's names)."""
    left = min(max(box.left(), bounds.left()), max(bounds.left(), bounds.right() - width))
    above, below = box.top() - height - 2, box.bottom() + 2
    tops = [t for t in (above, below) if bounds.top() <= t <= bounds.bottom() - height] or [max(bounds.top(), above)]
    for top in tops:
        label = QRectF(left, top, width, height)
        if not any(label.intersects(other) for other in taken):
            return label
    # every side clashes: stack under the lowest clashing label
    label = QRectF(left, tops[0], width, height)
    for other in sorted(taken, key=QRectF.top):
        if label.intersects(other):
            label.moveTop(other.bottom() + 1)
    return label


def track_label(track: TrackView) -> str:
    match = track.match
    if match is None:
        return tr("Checking…")
    name = match.name if match.known else tr("Unknown")
    return f"{name}  {match.score:.2f}"


def track_states(track: TrackView) -> list[str]:
    states = []
    if track.masked is not None:
        states.append(tr("mask") if track.masked else tr("no mask"))
    if track.live:
        states.append(tr("live"))
    elif track.spoof_suspected:
        states.append(tr("photo or screen?"))
    elif track.liveness_pending:
        states.append(tr("blink pending"))
    return states


class VideoView(QWidget):
    """Paints the latest frame scaled to fit, the tracks' boxes and labels, and a centred message."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 180)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.image: QImage | None = None
        self.result: FrameResult | None = None
        self.message = ""

    def show_frame(self, image: QImage, result: FrameResult | None) -> None:
        self.image, self.result = image, result
        self.update()

    def set_message(self, text: str) -> None:
        self.message = text
        self.update()

    def clear(self) -> None:
        self.image, self.result = None, None
        self.update()

    def image_rect(self) -> QRectF:
        """Where the frame lands in the widget: scaled to fit, centred, aspect kept."""
        if self.image is None or self.image.isNull():
            return QRectF(self.rect())
        iw, ih = self.image.width(), self.image.height()
        scale = min(self.width() / iw, self.height() / ih)
        w, h = iw * scale, ih * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def paintEvent(self, event):  # noqa: N802 (Qt naming)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.fillRect(self.rect(), QColor("#101418"))
        target = self.image_rect()
        if self.image is not None:
            p.drawImage(target, self.image)
            if self.result is not None:
                scale = target.width() / self.image.width()
                taken: list[QRectF] = []  # labels already drawn this frame
                for track in self.result.tracks:
                    taken.append(self._paint_track(p, track, target.topLeft(), scale, taken))
                # a suspected photo or screen first: no blink helps it, and the person holding it
                # should know why nothing happens
                if any(t.spoof_suspected for t in self.result.tracks):
                    self._paint_prompt(p, target, tr("Photo or screen suspected"), RED)
                # only faces a blink can help: not those already found unknown (a poster, a stranger)
                elif any(t.liveness_pending and (t.match is None or t.match.known) for t in self.result.tracks):
                    self._paint_prompt(p, target, tr("Please blink"), AMBER)
            self.paint_guides(p, target)
        if self.message:
            # over a picture the message sits at the top, so the face stays visible
            self._paint_message(p, self.message, at_top=self.image is not None)
        p.end()

    def paint_guides(self, p: QPainter, target: QRectF) -> None:
        """Subclasses draw over the picture here (one painter per paint event, also for grab())."""

    def _paint_track(self, p: QPainter, track: TrackView, origin: QPointF, scale: float, taken: list[QRectF]) -> QRectF:
        x1, y1, x2, y2 = (float(v) for v in track.box)
        box = QRectF(origin.x() + x1 * scale, origin.y() + y1 * scale, (x2 - x1) * scale, (y2 - y1) * scale)
        colour = track_colour(track)
        p.setPen(QPen(colour, 3))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(box, 6, 6)
        font = QFont(self.font())
        font.setPointSizeF(max(10.0, min(16.0, box.width() / 12)))
        font.setBold(True)
        p.setFont(font)
        lines = [track_label(track)]
        states = track_states(track)
        if states:
            lines.append(" · ".join(states))
        metrics = p.fontMetrics()
        line_h = metrics.height()
        width = max(metrics.horizontalAdvance(s) for s in lines) + 12
        height = line_h * len(lines) + 6
        label = place_label(box, width, height, QRectF(self.rect()), taken)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawRoundedRect(label, 4, 4)
        p.setPen(QColor("white"))
        for i, text in enumerate(lines):
            p.drawText(QRectF(label.left() + 6, label.top() + 3 + i * line_h, width, line_h), Qt.AlignmentFlag.AlignLeft, text)
        return label

    def _paint_prompt(self, p: QPainter, target: QRectF, text: str, colour: QColor) -> None:
        font = QFont(self.font())
        font.setPointSize(22)
        font.setBold(True)
        p.setFont(font)
        w = p.fontMetrics().horizontalAdvance(text) + 48
        h = p.fontMetrics().height() + 20
        rect = QRectF(target.center().x() - w / 2, target.bottom() - h - 24, w, h)
        path = QPainterPath()
        path.addRoundedRect(rect, h / 2, h / 2)
        p.fillPath(path, QColor(colour.red(), colour.green(), colour.blue(), 230))
        p.setPen(QColor("white"))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_message(self, p: QPainter, text: str, at_top: bool) -> None:
        font = QFont(self.font())
        font.setPointSize(15)
        p.setFont(font)
        rect = QRectF(self.rect()).adjusted(40, 0, -40, 0)
        flags = Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignCenter
        bounds = QRectF(p.fontMetrics().boundingRect(rect.toRect(), flags, text))
        if at_top:
            bounds.moveTop(self.image_rect().top() + 24)
        box = bounds.adjusted(-20, -14, 20, 14)
        path = QPainterPath()
        path.addRoundedRect(box, 10, 10)
        p.fillPath(path, QColor(0, 0, 0, 170))
        p.setPen(QColor("white"))
        p.drawText(box, Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignCenter, text)
