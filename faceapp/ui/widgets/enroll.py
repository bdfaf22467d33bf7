"""Pieces of the enroll dialog: the camera view with its face oval, the photo drop area, the strips
of accepted crops and rejected shots."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QFrame, QLabel, QListView, QListWidget, QListWidgetItem, QVBoxLayout

from faceapp.config import CAPTURE
from faceapp.recognition.enroll import IMAGE_SUFFIXES, image_files
from faceapp.ui.i18n import tr
from faceapp.ui.qimage import bgr_to_pixmap
from faceapp.ui.widgets.video_view import AMBER, GREEN, RED, VideoView

IMAGE_FILTER = " ".join(f"*{suffix}" for suffix in sorted(IMAGE_SUFFIXES))


def dropped_images(paths: list[str]) -> list[str]:
    """The image files among dropped paths, and those inside dropped folders."""
    return [str(p) for p in image_files(paths) if p.suffix.lower() in IMAGE_SUFFIXES]


class CaptureView(VideoView):
    """The camera picture with an oval to put the face in; the oval's colour is the last verdict."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.verdict: bool | None = None  # True: last shot taken, False: rejected, None: waiting

    def set_verdict(self, verdict: bool | None) -> None:
        self.verdict = verdict
        self.update()

    def paint_guides(self, p: QPainter, target: QRectF) -> None:
        h = target.height() * CAPTURE.oval_height  # the oval GuidedCapture checks the face against
        w = target.height() * CAPTURE.oval_width
        oval = QRectF(target.center().x() - w / 2, target.center().y() - h / 2, w, h)
        colour = {True: GREEN, False: RED, None: AMBER}[self.verdict]
        # dim everything outside the oval so the eye goes to it
        outside = QPainterPath()
        outside.addRect(target)
        inside = QPainterPath()
        inside.addEllipse(oval)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 90))
        p.drawPath(outside.subtracted(inside))
        p.setPen(QPen(colour, 4, Qt.PenStyle.DashLine))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(oval)


class DropArea(QFrame):
    """'Drop photos here': accepts image files and folders dragged from the file manager."""

    files_dropped = Signal(list)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("dropArea")
        self.setAcceptDrops(True)
        self.setMinimumHeight(120)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("QFrame#dropArea { border: 2px dashed #8b949e; border-radius: 10px; }"
                           "QFrame#dropArea[hover=\"true\"] { border-color: #1f6feb; background: rgba(31,111,235,0.08); }")
        self.label = QLabel()
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        self.retranslate()

    def retranslate(self) -> None:
        self.label.setText(tr("Drop photos or a folder here"))

    def _set_hover(self, on: bool) -> None:
        self.setProperty("hover", on)
        self.style().unpolish(self)
        self.style().polish(self)

    def dragEnterEvent(self, event):  # noqa: N802 (Qt naming)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
            self._set_hover(True)

    def dragLeaveEvent(self, event):  # noqa: N802 (Qt naming)
        self._set_hover(False)

    def dropEvent(self, event):  # noqa: N802 (Qt naming)
        self._set_hover(False)
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        files = dropped_images(paths)
        if files:
            event.acceptProposedAction()
            self.files_dropped.emit(files)


class ShotStrip(QListWidget):
    """Accepted face crops as a row of thumbnails."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("acceptedList")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setIconSize(QSize(88, 88))
        self.setFixedHeight(118)
        self.setMovement(QListView.Movement.Static)
        self.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)

    def add_crop(self, crop, tooltip: str) -> None:
        item = QListWidgetItem(QIcon(bgr_to_pixmap(crop, 88)), "")
        item.setToolTip(tooltip)
        item.setSizeHint(QSize(96, 96))
        self.addItem(item)
        self.scrollToItem(item)
