"""Trainer tab: a placeholder until fine-tuning the recognizer from the app is built."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from faceapp.ui.i18n import tr


class TrainerPage(QWidget):
    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 20px; font-weight: 600;")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setMaximumWidth(560)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.title, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.note, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(tr("Fine-tune the recognizer"))
        self.note.setText(
            tr(
                "Coming in a later version: fine-tune the face recognizer on the photos of the people "
                "enrolled here, to recognise them better (for example with masks). Until then the app "
                "uses the shipped model, and recognition works as it is."
            )
        )
