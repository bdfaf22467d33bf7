"""Errors as dialogs a user can act on; the technical details go to the log file."""

from __future__ import annotations

import logging
import sys
import traceback

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from faceapp.logfile import current_log_file
from faceapp.ui.i18n import tr

log = logging.getLogger("faceapp.ui")


def show_error(parent: QWidget | None, message: str, exc: BaseException | None = None) -> QMessageBox:
    """Log the error with its traceback and show `message` (already translated) in a dialog.

    The dialog is opened window-modal without blocking, so callers (and tests) carry on.
    """
    if exc is not None:
        log.error("%s", message, exc_info=(type(exc), exc, exc.__traceback__))
    else:
        log.error("%s", message)
    box = QMessageBox(QMessageBox.Icon.Warning, tr("faceapp"), message, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorDialog")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    path = current_log_file()
    if path:
        box.setInformativeText(tr("Details were written to the log file:") + f"\n{path}")
    if exc is not None:
        box.setDetailedText("".join(traceback.format_exception_only(type(exc), exc)).strip())
    box.open()
    return box


def install_excepthook() -> None:
    """An exception escaping a slot is logged and reported instead of silently lost (or crashing)."""

    def hook(kind, exc, tb):
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        exc.__traceback__ = tb
        parent = QApplication.activeWindow()
        show_error(parent, tr("Something went wrong. The app keeps running; please try again."), exc)

    sys.excepthook = hook
