"""The main window: Live, People, Attendance, Trainer and Settings tabs, shortcuts and kiosk mode."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget

from faceapp.ui.pages.attendance import AttendancePage
from faceapp.ui.context import AppContext
from faceapp.ui.i18n import N_, tr
from faceapp.ui.pages.live import LivePage
from faceapp.ui.dialogs.lock import LockGate, require_unlock
from faceapp.ui.pages.people import PeoplePage
from faceapp.ui.pages.settings import SettingsPage
from faceapp.ui.pages.trainer import TrainerPage
from faceapp.ui.widgets.builders import button

LIVE, PEOPLE, ATTENDANCE, TRAINER, SETTINGS = range(5)
TAB_TITLES = (N_("Live"), N_("People"), N_("Attendance"), N_("Trainer"), N_("Settings"))
# A door on a shared server: how often the status bar says whether it is online and what waits.
DOOR_STATUS_MS = 2000


class MainWindow(QMainWindow):
    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.setObjectName("mainWindow")
        self.live = LivePage(context)
        self.people = PeoplePage(context)
        self.attendance = AttendancePage(context)
        self.trainer = TrainerPage(context)
        self.settings = SettingsPage(context)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.setDocumentMode(True)
        self.gates = {
            PEOPLE: LockGate(context, self.people),
            TRAINER: LockGate(context, self.trainer),
            SETTINGS: LockGate(context, self.settings),
        }
        for page in (self.live, self.gates[PEOPLE], self.attendance, self.gates[TRAINER], self.gates[SETTINGS]):
            self.tabs.addTab(page, "")
        self.setCentralWidget(self.tabs)

        self.lock_button = button("lockButton", self._lock_clicked)
        self.lock_button.setFlat(True)
        self.data_label = QLabel()
        self.statusBar().addWidget(self.data_label, 1)
        self.provider_label = QLabel()
        self.provider_label.setObjectName("providerLabel")
        self.statusBar().addPermanentWidget(self.provider_label)
        self.statusBar().addPermanentWidget(self.lock_button)
        # "Offline since HH:MM, N events waiting" on a door of a shared server (faceapp.storage.door)
        self.door_label = QLabel()
        self.door_label.setObjectName("doorStatus")
        self.statusBar().addPermanentWidget(self.door_label)
        self.door_label.setVisible(context.gallery.door_status() is not None)
        self.door_timer = QTimer(self)
        self.door_timer.setInterval(DOOR_STATUS_MS)
        self.door_timer.timeout.connect(self._update_door_status)
        if self.door_label.isVisible():
            self.door_timer.start()

        for n in range(5):
            QShortcut(QKeySequence(f"Ctrl+{n + 1}"), self, activated=lambda n=n: self.tabs.setCurrentIndex(n))
        QShortcut(QKeySequence("Ctrl+N"), self, activated=self.enroll)
        QShortcut(QKeySequence("Ctrl+E"), self, activated=self.export_attendance)
        QShortcut(QKeySequence(Qt.Key.Key_F11), self, activated=self.toggle_kiosk)

        context.language_changed.connect(self.retranslate)
        context.lock_changed.connect(self._update_lock_button)
        context.action_failed.connect(self._action_failed)
        context.models_loaded.connect(self._models_loaded)
        self.retranslate()
        self._restore()

    # --- actions ------------------------------------------------------------------------------
    def enroll(self) -> None:
        self.tabs.setCurrentIndex(PEOPLE)
        if require_unlock(self.context, self):
            self.people.enroll()

    def export_attendance(self) -> None:
        self.tabs.setCurrentIndex(ATTENDANCE)
        self.attendance.export_csv()

    def toggle_kiosk(self) -> None:
        """Full screen on the live view with the tabs hidden; the admin parts lock on the way in,
        and the way out needs the PIN (a visitor must not leave the kiosk)."""
        kiosk = not self.isFullScreen()
        if not kiosk and not require_unlock(self.context, self):
            return
        self.tabs.tabBar().setVisible(not kiosk)
        self.statusBar().setVisible(not kiosk)
        if kiosk:
            self.tabs.setCurrentIndex(LIVE)
            self.context.lock()
            self.showFullScreen()
        else:
            self.showNormal()

    def _lock_clicked(self) -> None:
        if self.context.unlocked:
            self.context.lock()
        else:
            require_unlock(self.context, self)

    def _action_failed(self, error: str) -> None:
        self.statusBar().showMessage(tr("The door output failed: {error}").format(error=error), 15000)

    def _models_loaded(self) -> None:
        """Name the provider the models run on, and say once why it is not the one chosen."""
        from faceapp.vision.onnx_model import notices

        self._render_provider()
        messages = [reason.text(tr) for reason in notices()]
        if messages:
            self.statusBar().showMessage(" ".join(messages), 30000)

    def _render_provider(self) -> None:
        from faceapp.vision.onnx_model import active_providers

        self.provider_label.setText(tr("Inference: {provider}").format(provider=" + ".join(active_providers())))

    # --- state --------------------------------------------------------------------------------
    def _update_lock_button(self, *_):
        if not self.context.pin_is_set():
            self.lock_button.setText(tr("No admin PIN set"))
            self.lock_button.setEnabled(False)
        else:
            self.lock_button.setEnabled(True)
            self.lock_button.setText(tr("Lock") if self.context.unlocked else tr("Unlock…"))

    def retranslate(self) -> None:
        self.setWindowTitle(tr("faceapp — face recognition"))
        for index, title in enumerate(TAB_TITLES):
            self.tabs.setTabText(index, tr(title))
        self.data_label.setText(tr("Data folder: {path}").format(path=self.context.data_dir))
        self._render_provider()
        self._update_lock_button()
        self._update_door_status()
        self.live.retranslate()
        self.attendance.retranslate()
        for gate in self.gates.values():
            gate.retranslate()

    def _update_door_status(self) -> None:
        status = self.context.gallery.door_status()
        if status is not None:
            self.door_label.setText(status.reason.text(tr))

    def _restore(self) -> None:
        geometry = self.context.ui_settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1180, 760)
        tab = int(self.context.ui_settings.value("window/tab", LIVE))
        locked = tab in self.gates and not self.context.unlocked
        self.tabs.setCurrentIndex(LIVE if locked or not 0 <= tab < self.tabs.count() else tab)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt naming)
        if not self.isFullScreen():
            self.context.ui_settings.setValue("window/geometry", self.saveGeometry())
        self.context.ui_settings.setValue("window/tab", self.tabs.currentIndex())
        self.context.ui_settings.sync()
        self.live.shutdown()
        self.trainer.shutdown()
        super().closeEvent(event)
