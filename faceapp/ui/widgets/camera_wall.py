"""Several live pictures at once: side by side in a grid, or one large with the others as a strip
below it. A click on a picture enlarges it (a click on the large one goes back to side by side);
`cycle` (the Live tab's F6) steps side by side -> camera 1 large -> camera 2 large -> ..."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from faceapp.ui.widgets.video_view import VideoView

# Height of the small pictures under the enlarged one: big enough to see someone at the door.
STRIP_HEIGHT = 150


class CameraTile(QFrame):
    """One camera's picture with its caption (door, direction, frame rate)."""

    clicked = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("cameraTile")
        self.view = VideoView()
        self.caption = QLabel()
        self.caption.setObjectName("cameraCaption")
        self.caption.setStyleSheet("font-weight: 600; padding: 2px 4px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.caption)
        layout.addWidget(self.view, 1)

    def mousePressEvent(self, event):  # noqa: N802 (Qt naming); the picture passes its clicks up
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mousePressEvent(event)


class CameraWall(QWidget):
    focus_changed = Signal(object)  # the enlarged tile's index, or None: side by side

    def __init__(self, parent=None):
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(6)
        self.tiles: list[CameraTile] = []
        self.focus: int | None = None

    def set_count(self, count: int) -> list[CameraTile]:
        """Keep `count` tiles (the first ones stay, with their pictures); back to side by side."""
        while len(self.tiles) > count:
            tile = self.tiles.pop()
            self.grid.removeWidget(tile)
            tile.deleteLater()
        while len(self.tiles) < count:
            tile = CameraTile(self)
            index = len(self.tiles)
            tile.clicked.connect(lambda i=index: self.set_focus(None if self.focus == i else i))
            self.tiles.append(tile)
        self.set_focus(None)
        return self.tiles

    def set_focus(self, index: int | None) -> None:
        if index is not None and not 0 <= index < len(self.tiles) or len(self.tiles) < 2:
            index = None
        self.focus = index
        for tile in self.tiles:
            self.grid.removeWidget(tile)
            tile.setMaximumHeight(16777215)  # QWIDGETSIZE_MAX: no cap
        n = len(self.tiles)
        if index is None:
            cols = math.ceil(math.sqrt(n))
            for i, tile in enumerate(self.tiles):
                self.grid.addWidget(tile, i // cols, i % cols)
            rows = math.ceil(n / cols) if n else 0
            stretches = [(r, 1) for r in range(rows)]
        else:
            others = [t for i, t in enumerate(self.tiles) if i != index]
            self.grid.addWidget(self.tiles[index], 0, 0, 1, len(others))
            for col, tile in enumerate(others):
                tile.setMaximumHeight(STRIP_HEIGHT)
                self.grid.addWidget(tile, 1, col)
            stretches = [(0, 1), (1, 0)]
        for r in range(self.grid.rowCount()):
            self.grid.setRowStretch(r, 0)
        for r, stretch in stretches:
            self.grid.setRowStretch(r, stretch)
        for tile in self.tiles:
            tile.show()
        self.focus_changed.emit(index)

    def cycle(self) -> None:
        """Side by side -> each camera large in turn -> side by side."""
        if len(self.tiles) < 2:
            return
        nxt = 0 if self.focus is None else self.focus + 1
        self.set_focus(nxt if nxt < len(self.tiles) else None)
