"""Choosing the file an export writes: the save dialog, the suffix added when left out, and the
question before replacing a file the dialog did not ask about."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from faceapp.ui.i18n import tr


def export_path(parent: QWidget, title: str, default: Path, filter_text: str, suffix: str) -> tuple[str, bool] | None:
    """(path, force) for files.write_atomic, or None when the user backed out."""
    path, _ = QFileDialog.getSaveFileName(parent, title, str(default), filter_text)
    if not path:
        return None
    force = path.lower().endswith(suffix)  # the save dialog has asked before choosing an existing file
    if not force:
        path += suffix
        if Path(path).exists():
            answer = QMessageBox.question(parent, title, tr("{path} already exists. Replace it?").format(path=path))
            if answer != QMessageBox.StandardButton.Yes:
                return None
            force = True
    return path, force
