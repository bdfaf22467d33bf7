"""The Settings editor of several cameras on one PC: one row per camera with its source, the door
it watches and its direction; faceapp.settings checks the list when it is saved."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from faceapp.settings import DIRECTIONS
from faceapp.ui.i18n import N_, tr
from faceapp.ui.widgets.builders import button, button_row

DIRECTION_NAMES = {"in": N_("Entry"), "out": N_("Exit"), "both": N_("Entry and exit")}
SOURCE, DOOR, DIRECTION = range(3)


class CameraListEditor(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("cameraTable")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(SOURCE, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(120)
        self.add_button = button("addCamera", lambda: self.add_camera(self.table.rowCount(), "", "both"))
        self.remove_button = button("removeCamera", self.remove_selected)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(button_row(self.add_button, self.remove_button))
        self.retranslate()

    def add_camera(self, source, door: str, direction: str) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, SOURCE, QTableWidgetItem(str(source)))
        self.table.setItem(row, DOOR, QTableWidgetItem(door))
        box = QComboBox()
        for key in DIRECTIONS:
            box.addItem(tr(DIRECTION_NAMES[key]), key)
        box.setCurrentIndex(max(box.findData(direction), 0))
        self.table.setCellWidget(row, DIRECTION, box)
        self.table.setCurrentCell(row, SOURCE)

    def remove_selected(self) -> None:
        for row in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(row)

    def set_cameras(self, cameras: list[dict]) -> None:
        self.table.setRowCount(0)
        for cam in cameras:
            self.add_camera(cam["source"], cam["door"], cam["direction"])

    def cameras(self) -> list[dict]:
        """The rows as typed: faceapp.settings makes digits a camera index and checks the rest."""
        return [{"source": self.table.item(row, SOURCE).text().strip(), "door": self.table.item(row, DOOR).text(),
                 "direction": self.table.cellWidget(row, DIRECTION).currentData()}
                for row in range(self.table.rowCount())]

    def retranslate(self) -> None:
        self.table.setHorizontalHeaderLabels([tr("Camera or video"), tr("Door"), tr("Direction")])
        self.add_button.setText(tr("Add camera"))
        self.remove_button.setText(tr("Remove camera"))
        for row in range(self.table.rowCount()):
            box = self.table.cellWidget(row, DIRECTION)
            for i in range(box.count()):
                box.setItemText(i, tr(DIRECTION_NAMES[box.itemData(i)]))
