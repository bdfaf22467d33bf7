"""Starting the Qt application."""

from __future__ import annotations

import sys


def run_gui(args) -> int:
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("faceapp")
    window.setCentralWidget(QLabel("faceapp"))
    window.resize(1100, 720)
    window.show()
    return app.exec()
