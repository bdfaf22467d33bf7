"""The layout of a small input dialog: its parts top to bottom, then OK and Cancel."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLayout, QVBoxLayout, QWidget


def ok_cancel_layout(dialog: QDialog, on_ok: Callable[[], None], *parts: QWidget | QLayout) -> QVBoxLayout:
    """Lays out parts (widgets or layouts) above OK and Cancel. OK calls on_ok, which accepts the
    dialog once the input passes (else it says why and the dialog stays); Cancel rejects it."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(on_ok)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    for part in parts:
        if isinstance(part, QLayout):
            layout.addLayout(part)
        else:
            layout.addWidget(part)
    layout.addWidget(buttons)
    return layout
