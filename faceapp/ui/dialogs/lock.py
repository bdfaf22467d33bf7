"""The admin lock in the UI: a gate in front of locked pages and a PIN prompt for locked actions."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from faceapp.ui.context import AppContext
from faceapp.ui.i18n import tr
from faceapp.ui.widgets.builders import button


def pin_field() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMaxLength(128)  # a PIN or a passphrase
    return field


def wrong_pin_text(context: AppContext) -> str:
    wait = context.pin_wait_s()
    if wait <= 0:
        return tr("Wrong PIN.")
    return tr("Wrong PIN. Wait {n} s before the next try.").format(n=int(wait + 0.999))


class LockScreen(QWidget):
    """Shown instead of a locked page: the PIN field and Unlock."""

    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.title = QLabel()
        self.title.setObjectName("lockTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setStyleSheet("font-size: 20px; font-weight: 600;")
        self.hint = QLabel()
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pin = pin_field()
        self.pin.setObjectName("lockPin")
        self.pin.setFixedWidth(220)
        self.pin.returnPressed.connect(self.try_unlock)
        self.button = button("unlockButton", self.try_unlock)
        self.button.setFixedWidth(220)
        self.error = QLabel()
        self.error.setStyleSheet("color: #da3633;")
        self.error.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        for w in (self.title, self.hint, self.pin, self.button, self.error):
            layout.addWidget(w, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(tr("This page is locked"))
        self.hint.setText(tr("Enter the admin PIN to continue."))
        self.pin.setPlaceholderText(tr("Admin PIN"))
        self.button.setText(tr("Unlock"))
        self.error.clear()

    def try_unlock(self) -> None:
        if self.context.unlock(self.pin.text()):
            self.error.clear()
        else:
            self.error.setText(wrong_pin_text(self.context))
        self.pin.clear()


class LockGate(QStackedWidget):
    """Holds a page and its lock screen, and shows whichever the lock state allows."""

    def __init__(self, context: AppContext, page: QWidget, parent=None):
        super().__init__(parent)
        self.page = page
        self.lock_screen = LockScreen(context)
        self.addWidget(self.lock_screen)
        self.addWidget(page)
        context.lock_changed.connect(self.update_state)
        self.update_state(context.unlocked)

    def update_state(self, unlocked: bool) -> None:
        self.setCurrentWidget(self.page if unlocked else self.lock_screen)

    def retranslate(self) -> None:
        self.lock_screen.retranslate()
        self.page.retranslate()


class PinDialog(QDialog):
    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.setWindowTitle(tr("Admin PIN"))
        self.label = QLabel(tr("This action needs the admin PIN."))
        self.pin = pin_field()
        self.pin.setObjectName("pinDialogPin")
        self.error = QLabel()
        self.error.setStyleSheet("color: #da3633;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for w in (self.label, self.pin, self.error, buttons):
            layout.addWidget(w)

    def try_accept(self) -> None:
        if self.context.unlock(self.pin.text()):
            self.accept()
        else:
            self.error.setText(wrong_pin_text(self.context))
            self.pin.clear()


def require_unlock(context: AppContext, parent: QWidget | None) -> bool:
    """True if the admin parts are unlocked, asking for the PIN first when needed."""
    if context.unlocked:
        return True
    return PinDialog(context, parent).exec() == QDialog.DialogCode.Accepted
