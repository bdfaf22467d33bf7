"""Settings tab: recognition thresholds, attendance, liveness, the door's thresholds, rules and
output, camera, language and the admin PIN. Values live in the gallery's settings table; Save writes them."""

from __future__ import annotations

import logging

from PySide6.QtCore import QTime, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from faceapp import settings
from faceapp.access.admin_pin import PinError, check_new_pin
from faceapp.config import SETTING_DEFAULTS
from faceapp.reasons import Reason, ReasonError
from faceapp.ui import i18n
from faceapp.ui.context import AppContext
from faceapp.ui.errors import show_error
from faceapp.ui.i18n import N_, tr
from faceapp.ui.dialogs.form import ok_cancel_layout
from faceapp.ui.dialogs.lock import pin_field
from faceapp.ui.widgets.builders import button
from faceapp.ui.widgets.camera_list import CameraListEditor
from faceapp.ui.workers.tasks import ButtonTask
from faceapp.vision.providers import PROVIDER_CHOICES, PROVIDER_NAMES

log = logging.getLogger(__name__)

LIVENESS_MODES = (
    ("both", N_("A blink and the photo/screen check (recommended for a door)")),
    ("blink", N_("A blink only")),
    ("passive", N_("The photo/screen check only (no blink needed)")),
    ("none", N_("No liveness check")),
)
ACTIONS = (("none", N_("No output")), ("command", N_("Run a command")), ("http", N_("Call a web address (HTTP POST)")))


def hint_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet("color: palette(placeholder-text); font-size: 12px;")
    return label


class SetPinDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle(tr("Set admin PIN"))
        self.pin = pin_field()
        self.pin.setObjectName("newPin")
        self.repeat = pin_field()
        self.repeat.setObjectName("repeatPin")
        self.error = QLabel()
        self.error.setStyleSheet("color: #da3633;")
        form = QFormLayout()
        form.addRow(tr("New PIN (6 or more digits, or a passphrase of 10 or more characters):"), self.pin)
        form.addRow(tr("Repeat the PIN:"), self.repeat)
        ok_cancel_layout(self, self._check, form, self.error)

    def _check(self) -> None:
        if self.pin.text() != self.repeat.text():
            self.error.setText(tr("The two PINs differ."))
        else:
            try:
                check_new_pin(self.pin.text())
            except PinError:
                self.error.setText(tr("Use at least 6 digits, or a passphrase of at least 10 characters."))
                return
            self.accept()


class SettingsPage(QWidget):
    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.labels: dict[str, QLabel] = {}
        self.ranged: list[tuple[QDoubleSpinBox, str]] = []  # (box, settings key): tooltips from the key's range
        # recognition
        self.unmasked = self._threshold_box("thresholdUnmasked", "match.threshold_unmasked")
        self.masked = self._threshold_box("thresholdMasked", "match.threshold_masked")
        self.threshold_hint = hint_label()
        self.liveness = QComboBox()
        self.liveness.setObjectName("livenessMode")
        self.spoof_threshold = self._threshold_box("spoofThreshold", "liveness.spoof_threshold")
        self.liveness_hint = hint_label()
        self.recognition = QGroupBox()
        recognition_form = QFormLayout(self.recognition)
        recognition_form.addRow(self._new_label("unmasked"), self.unmasked)
        recognition_form.addRow(self._new_label("masked"), self.masked)
        recognition_form.addRow(self.threshold_hint)
        recognition_form.addRow(self._new_label("liveness"), self.liveness)
        recognition_form.addRow(self._new_label("spoof"), self.spoof_threshold)
        recognition_form.addRow(self.liveness_hint)
        # attendance
        self.cooldown = QSpinBox()
        self.cooldown.setObjectName("cooldownSpin")
        self.cooldown.setRange(*(round(limit / 60) for limit in settings.check_range("attendance.cooldown_s")))
        self.cooldown.setMaximumWidth(120)
        self.cooldown_hint = hint_label()
        self.attendance = QGroupBox()
        attendance_form = QFormLayout(self.attendance)
        attendance_form.addRow(self._new_label("cooldown"), self.cooldown)
        attendance_form.addRow(self.cooldown_hint)
        # door
        self.mask_policy = QComboBox()
        self.mask_policy.setObjectName("maskPolicy")
        self.mask_policy.currentIndexChanged.connect(self._mask_rule_changed)
        self.door_unmasked = self._threshold_box("doorThresholdUnmasked", "access.threshold_unmasked")
        self.door_masked = self._threshold_box("doorThresholdMasked", "access.threshold_masked")
        self.door_threshold_hint = hint_label()
        self.lower_mask = QCheckBox()
        self.lower_mask.setObjectName("lowerMask")
        self.lower_mask_hint = hint_label()
        self.always_open = QCheckBox()
        self.always_open.setObjectName("alwaysOpen")
        self.always_open.toggled.connect(self._schedule_enabled)
        self.day_checks, self.day_from, self.day_to = [], [], []
        schedule = QGridLayout()
        for row, _ in enumerate(settings.WEEKDAYS):
            check, start, end = QCheckBox(), QTimeEdit(), QTimeEdit()
            start.setDisplayFormat("HH:mm")
            end.setDisplayFormat("HH:mm")
            self.day_checks.append(check)
            self.day_from.append(start)
            self.day_to.append(end)
            schedule.addWidget(check, row, 0)
            schedule.addWidget(start, row, 1)
            schedule.addWidget(QLabel("–"), row, 2)
            schedule.addWidget(end, row, 3)
        schedule.setColumnStretch(4, 1)
        self.action_kind = QComboBox()
        self.action_kind.setObjectName("actionKind")
        self.action_kind.currentIndexChanged.connect(self._action_kind_changed)
        self.action_target = QLineEdit()
        self.action_target.setObjectName("actionTarget")
        self.test_button = button("testActionButton", self.test_action)
        self.test_task = ButtonTask(self.test_button)
        self.test_task.succeeded.connect(self._on_tested)
        self.test_task.failed.connect(self._on_test_failed)
        self.test_result = QLabel()
        self.test_result.setObjectName("testResult")
        self.test_result.setWordWrap(True)
        action_row = QHBoxLayout()
        action_row.addWidget(self.action_kind)
        action_row.addWidget(self.action_target, 1)
        action_row.addWidget(self.test_button)
        self.door = QGroupBox()
        door_form = QFormLayout(self.door)
        door_form.addRow(self._new_label("door_unmasked"), self.door_unmasked)
        door_form.addRow(self._new_label("door_masked"), self.door_masked)
        door_form.addRow(self.door_threshold_hint)
        door_form.addRow(self._new_label("mask"), self.mask_policy)
        door_form.addRow("", self.lower_mask)
        door_form.addRow(self.lower_mask_hint)
        door_form.addRow(self._new_label("hours"), self.always_open)
        door_form.addRow("", schedule)
        door_form.addRow(self._new_label("action"), action_row)
        door_form.addRow("", self.test_result)
        # camera and language (applied at once)
        self.camera = QComboBox()
        self.camera.setObjectName("cameraBox")
        self.camera.setEditable(True)
        self.probe_button = button()
        self.probe = ButtonTask(self.probe_button, context.probe_cameras)
        self.probe.succeeded.connect(self._on_probed)
        self.probe.failed.connect(self._on_probe_failed)
        camera_row = QHBoxLayout()
        camera_row.addWidget(self.camera, 1)
        camera_row.addWidget(self.probe_button)
        self.language = QComboBox()
        self.language.setObjectName("languageBox")
        for code, name in i18n.LANGUAGES.items():
            self.language.addItem(name, code)
        self.language.currentIndexChanged.connect(self._language_chosen)
        self.provider = QComboBox()
        self.provider.setObjectName("providerBox")
        self.provider_hint = hint_label()
        self.general = QGroupBox()
        general_form = QFormLayout(self.general)
        general_form.addRow(self._new_label("camera"), camera_row)
        self.camera_list = CameraListEditor()
        self.camera_list_hint = hint_label()
        general_form.addRow(self._new_label("cameras"), self.camera_list)
        general_form.addRow("", self.camera_list_hint)
        general_form.addRow(self._new_label("language"), self.language)
        general_form.addRow(self._new_label("provider"), self.provider)
        general_form.addRow(self.provider_hint)
        # admin PIN
        self.pin_state = QLabel()
        self.pin_state.setObjectName("pinState")
        self.set_pin_button = button("setPinButton", self.change_pin)
        self.remove_pin_button = button("removePinButton", self.remove_pin)
        self.pin_hint = hint_label()
        pin_row = QHBoxLayout()
        pin_row.addWidget(self.pin_state, 1)
        pin_row.addWidget(self.set_pin_button)
        pin_row.addWidget(self.remove_pin_button)
        self.admin = QGroupBox()
        admin_layout = QVBoxLayout(self.admin)
        admin_layout.addLayout(pin_row)
        admin_layout.addWidget(self.pin_hint)

        self.save_button = button("saveSettings", self.save)
        self.revert_button = button(clicked=self.load)
        self.saved_label = QLabel()
        buttons = QHBoxLayout()
        buttons.addWidget(self.saved_label, 1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)

        columns = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        for box in (self.recognition, self.attendance, self.general, self.admin):
            left.addWidget(box)
        left.addStretch(1)
        right.addWidget(self.door)
        right.addStretch(1)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        inner = QWidget()
        inner_layout = QVBoxLayout(inner)
        inner_layout.addLayout(columns)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)

        context.lock_changed.connect(self._render_pin)
        self.retranslate()
        self.load()

    def _threshold_box(self, name: str, key: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setObjectName(name)
        box.setRange(*settings.check_range(key))
        box.setSingleStep(0.01)
        box.setDecimals(2)
        box.setMaximumWidth(120)
        self.ranged.append((box, key))
        return box

    @staticmethod
    def _range_tip(key: str) -> str:
        """The range as the validator words a value outside it, and the default."""
        low, high = settings.check_range(key)
        limits = Reason("out_of_range", {"label": settings.SPECS[key]["label"], "low": low, "high": high})
        return limits.text(tr) + "\n" + tr("Default: {value:g}.").format(value=SETTING_DEFAULTS[key])

    # --- texts --------------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.recognition.setTitle(tr("Recognition"))
        self.labels["unmasked"].setText(tr("Match threshold, no mask:"))
        self.labels["masked"].setText(tr("Match threshold, with mask:"))
        self.threshold_hint.setText(tr(
            "How alike a face must be to an enrolled person to count as them (0 to 1). Higher: fewer "
            "strangers taken for someone, but enrolled people are more often not recognised. A mask "
            "hides half the face, so masked faces have a threshold of their own."))
        self.labels["liveness"].setText(tr("Liveness check:"))
        self._fill_combo(self.liveness, [(key, tr(text)) for key, text in LIVENESS_MODES])
        self.labels["spoof"].setText(tr("Photo/screen threshold:"))
        self.liveness_hint.setText(tr(
            "Stops a printed photo or a phone picture from passing as the person. The blink check waits "
            "for a blink, which a video on a phone also shows; the photo/screen check looks at a few "
            "frames for print and screen traces. A face must score at least the threshold (0 to 1) to "
            "count as real: at 0.5 it refused all 300 printed photos of a public test set and no live "
            "face in our tests; higher refuses more replays but may ask real people for a second look."))
        self.attendance.setTitle(tr("Attendance"))
        self.labels["cooldown"].setText(tr("Record a person again after:"))
        self.cooldown.setSuffix(" " + tr("min"))
        self.cooldown_hint.setText(tr("A person seen again within this time is not recorded twice."))
        self.door.setTitle(tr("Door access"))
        for key, setting in (("door_unmasked", "access.threshold_unmasked"), ("door_masked", "access.threshold_masked")):
            self.labels[key].setText(tr(settings.SPECS[setting]["label"]) + ":")
        self.door_threshold_hint.setText(tr(
            "The door asks for a closer match than attendance, since letting a stranger in costs more than "
            "a missed record. Higher: fewer strangers taken for an enrolled person, but enrolled people are "
            "more often asked to look at the camera again."))
        self.labels["mask"].setText(tr("Mask rule:"))
        self.lower_mask.setText(tr(settings.SPECS["access.lower_mask"]["label"]))
        self.lower_mask_hint.setText(tr(
            "A mask hides too much of the face to tell people apart as surely as a door needs: with this on, "
            "a masked face is asked to lower the mask and is then checked without it. Off: masked faces are "
            "checked against the door threshold with mask. Not used when a mask is required."))
        self.labels["hours"].setText(tr("Opening hours:"))
        self.labels["action"].setText(tr("On access granted:"))
        self._fill_combo(self.mask_policy, [(False, tr("No mask rule")), (True, tr("A mask is required"))])
        self.always_open.setText(tr("Known people may enter at any time"))
        for check, name in zip(self.day_checks, settings.WEEKDAY_NAMES):
            check.setText(tr(name))
        self._fill_combo(self.action_kind, [(key, tr(text)) for key, text in ACTIONS])
        self.test_button.setText(tr("Test"))
        self._action_kind_changed()
        self.general.setTitle(tr("Camera and language"))
        self.labels["camera"].setText(tr("Camera:"))
        self.labels["cameras"].setText(tr("Several cameras:"))
        self.camera_list_hint.setText(tr(
            "Leave the list empty to run the one camera above. Each camera watches a door: an In camera's "
            "recognitions count for first-in, an Out camera's for last-out. Changes apply to the live view when saved."))
        self.camera_list.retranslate()
        self.labels["language"].setText(tr("Language:"))
        self.probe_button.setText(tr("Find cameras"))
        self.labels["provider"].setText(tr("Inference hardware:"))
        self._fill_combo(self.provider, [("automatic", tr("Automatic (an accelerator if there is one, else the CPU)"))]
                         + [(key, PROVIDER_NAMES[key]) for key in PROVIDER_CHOICES[1:]])
        self.provider_hint.setText(tr(
            "Applies when faceapp starts again. Hardware that is missing or fails to start falls back to "
            "the CPU, and the status bar says so."))
        self.admin.setTitle(tr("Admin PIN"))
        self.pin_hint.setText(tr(
            "With a PIN set, People, Settings, Trainer and attendance export stay locked until the PIN is "
            "entered. F11 switches to kiosk mode and locks them."))
        self.remove_pin_button.setText(tr("Remove PIN"))
        self.save_button.setText(tr("Save"))
        self.revert_button.setText(tr("Undo changes"))
        self.language.blockSignals(True)  # the language may have been switched elsewhere
        self.language.setCurrentIndex(max(self.language.findData(i18n.language()), 0))
        self.language.blockSignals(False)
        for box, key in self.ranged:
            box.setToolTip(self._range_tip(key))
        self.saved_label.clear()
        self._render_pin()

    def _new_label(self, key: str) -> QLabel:
        self.labels[key] = QLabel()
        return self.labels[key]

    @staticmethod
    def _fill_combo(combo: QComboBox, items: list) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        for data, text in items:
            combo.addItem(text, data)
        index = combo.findData(current)
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)

    def _render_pin(self, *_) -> None:
        has_pin = self.context.pin_is_set()
        self.pin_state.setText(tr("A PIN is set.") if has_pin else tr("No PIN: everything is open."))
        self.set_pin_button.setText(tr("Change PIN…") if has_pin else tr("Set PIN…"))
        self.remove_pin_button.setEnabled(has_pin)

    # --- load / save --------------------------------------------------------------------------
    def load(self) -> None:
        problem = ""
        try:
            s = settings.Settings.load(self.context.gallery)
        except ReasonError as exc:  # a value stored by hand or an older version: show the defaults
            log.warning("stored settings refused: %s", exc)
            s, problem = settings.Settings(), exc.reason.text(tr)
        self.unmasked.setValue(s.threshold_unmasked)
        self.masked.setValue(s.threshold_masked)
        self.liveness.setCurrentIndex(max(self.liveness.findData(s.liveness_mode), 0))
        self.spoof_threshold.setValue(s.spoof_threshold)
        self.cooldown.setValue(round(s.cooldown_s / 60))
        self.mask_policy.setCurrentIndex(max(self.mask_policy.findData(s.mask_required), 0))
        self._mask_rule_changed()
        self.door_unmasked.setValue(s.door_threshold_unmasked)
        self.door_masked.setValue(s.door_threshold_masked)
        self.lower_mask.setChecked(s.lower_mask)
        schedule = s.schedule
        self.always_open.setChecked(schedule is None)
        for day, check, start, end in zip(settings.WEEKDAYS, self.day_checks, self.day_from, self.day_to):
            spans = (schedule or {}).get(day) or []
            check.setChecked(bool(spans) or schedule is None and day not in ("sat", "sun"))
            first = spans[0] if spans else ("08:00", "18:00")
            start.setTime(QTime.fromString(first[0], "HH:mm"))
            end.setTime(QTime.fromString(first[1], "HH:mm"))
        self._schedule_enabled(schedule is None)
        action = s.action
        self.action_kind.setCurrentIndex(max(self.action_kind.findData(action["kind"]), 0))
        command = action["kind"] == "command"
        self.action_target.setText(settings.join_command(action["argv"]) if command else action.get("url", ""))
        self.camera.clear()
        self.camera.addItem(str(s.camera), s.camera)
        self.camera_list.set_cameras(s.cameras)
        self.provider.setCurrentIndex(max(self.provider.findData(s.provider), 0))
        self.saved_label.setText(problem)

    def values(self) -> dict:
        """The settings as the form shows them, keyed like the gallery's settings table."""
        schedule = None
        if not self.always_open.isChecked():
            schedule = {
                day: [[start.time().toString("HH:mm"), end.time().toString("HH:mm")]] if check.isChecked() else []
                for day, check, start, end in zip(settings.WEEKDAYS, self.day_checks, self.day_from, self.day_to)
            }
        return {
            "match.threshold_unmasked": round(self.unmasked.value(), 2),
            "match.threshold_masked": round(self.masked.value(), 2),
            "liveness.mode": self.liveness.currentData(),
            "liveness.spoof_threshold": round(self.spoof_threshold.value(), 2),
            "attendance.cooldown_s": float(self.cooldown.value() * 60),
            "access.mask_required": bool(self.mask_policy.currentData()),
            "access.threshold_unmasked": round(self.door_unmasked.value(), 2),
            "access.threshold_masked": round(self.door_masked.value(), 2),
            "access.lower_mask": self.lower_mask.isChecked(),
            "access.schedule": schedule,
            "access.action": self.action(),
            "camera.source": self._camera_spec(),
            "camera.list": self.camera_list.cameras(),
            "inference.provider": self.provider.currentData() or "automatic",
        }

    def action(self) -> dict:
        """The output action as typed; faceapp.settings splits the command line and checks it."""
        kind = self.action_kind.currentData() or "none"
        target = self.action_target.text().strip()
        if kind == "command":
            return {"kind": "command", "argv": target}
        if kind == "http":
            return {"kind": "http", "url": target}
        return {"kind": "none"}

    def _camera_spec(self):
        text = self.camera.currentText().strip()
        data = self.camera.currentData()
        if data is not None and self.camera.itemText(self.camera.currentIndex()) == text:
            return data
        return int(text) if text.isdigit() else text

    def save(self) -> None:
        """Checked by faceapp.settings (as the core and the CLI check them), written in one go."""
        try:
            settings.save(self.context.gallery, self.values())
        except ReasonError as exc:
            show_error(self, exc.reason.text(tr))
            return
        except Exception as exc:
            show_error(self, tr("The settings could not be saved.") + f"\n{exc}", exc)
            return
        self.saved_label.setText(tr("Saved."))
        self.context.settings_changed.emit()

    # --- actions ------------------------------------------------------------------------------
    def _schedule_enabled(self, always: bool) -> None:
        for widgets in (self.day_checks, self.day_from, self.day_to):
            for w in widgets:
                w.setEnabled(not always)

    def _mask_rule_changed(self, *_) -> None:
        self.lower_mask.setEnabled(not self.mask_policy.currentData())  # a required mask stays on

    def _action_kind_changed(self, *_) -> None:
        kind = self.action_kind.currentData()
        self.action_target.setEnabled(kind in ("command", "http"))
        self.test_button.setEnabled(kind in ("command", "http"))
        examples = {"command": tr("e.g. /usr/local/bin/open-door --relay 1"), "http": tr("e.g. http://door-controller/open")}
        self.action_target.setPlaceholderText(examples.get(kind, ""))

    def test_action(self) -> None:
        action = self.action()  # read here, in the GUI thread
        self.test_result.setText(tr("Testing…"))
        self.test_task.run(lambda: self.context.test_action(action))

    @Slot(object)
    def _on_tested(self, message) -> None:
        self.test_result.setText(tr("Test done: {result}").format(result=message))

    @Slot(object)
    def _on_test_failed(self, exc) -> None:
        error = exc.reason.text(tr) if isinstance(exc, ReasonError) else exc
        self.test_result.setText(tr("Test failed: {error}").format(error=error))

    @Slot(object)
    def _on_probed(self, cameras) -> None:
        current = self._camera_spec()
        self.camera.clear()
        for cam in cameras:
            self.camera.addItem(str(cam.index), cam.index)
        if self.camera.findData(current) < 0:
            self.camera.addItem(str(current), current)
        self.camera.setCurrentIndex(self.camera.findData(current))
        self.saved_label.setText(tr("{n} camera(s) found.").format(n=len(cameras)))

    @Slot(object)
    def _on_probe_failed(self, exc) -> None:
        self.saved_label.setText(tr("The cameras could not be listed. Details are in the log file."))

    def _language_chosen(self, index: int) -> None:
        self.context.set_language(self.language.itemData(index))

    def change_pin(self) -> None:
        dialog = SetPinDialog(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            self.context.set_pin(dialog.pin.text())
        except PinError as exc:
            show_error(self, str(exc))
        self._render_pin()

    def remove_pin(self) -> None:
        self.context.set_pin(None)
        self._render_pin()
