"""numpy <-> Qt image conversion that never lets a QImage outlive the array it points into."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage, QPixmap


def bgr_to_qimage(frame: np.ndarray) -> QImage:
    """A deep-copied QImage of a uint8 BGR (or gray) frame, safe to send to another thread.

    QImage(data, ...) only borrows the buffer; .copy() gives the image its own pixels, so the
    worker can reuse or drop the numpy frame while the GUI thread still paints the image.
    """
    frame = np.ascontiguousarray(frame)
    h, w = frame.shape[:2]
    if frame.ndim == 2:
        return QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_Grayscale8).copy()
    return QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_BGR888).copy()


def bgr_to_pixmap(frame: np.ndarray, size: int | None = None) -> QPixmap:
    """A pixmap for thumbnails (GUI thread only), optionally scaled to fit size x size."""
    pixmap = QPixmap.fromImage(bgr_to_qimage(frame))
    if size:
        from PySide6.QtCore import Qt

        pixmap = pixmap.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    return pixmap
