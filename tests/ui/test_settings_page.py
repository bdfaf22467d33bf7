import sys

from PySide6.QtCore import QTime

from faceapp.ui.main_window import SETTINGS


def test_save_reload_and_validate(window, context, qtbot):
    page = window.settings
    window.tabs.setCurrentIndex(SETTINGS)
    seen = []
    context.settings_changed.connect(lambda: seen.append(True))
    page.unmasked.setValue(0.5)
    page.masked.setValue(0.33)
    page.cooldown.setValue(10)
    page.liveness.setCurrentIndex(page.liveness.findData("blink"))
    page.spoof_threshold.setValue(0.6)
    page.mask_policy.setCurrentIndex(page.mask_policy.findData(True))
    page.always_open.setChecked(False)
    page.day_checks[5].setChecked(False)
    page.day_checks[6].setChecked(False)
    page.day_from[0].setTime(QTime(7, 30))
    page.save()
    s = context.gallery.setting
    assert (s("match.threshold_unmasked"), s("match.threshold_masked"), s("attendance.cooldown_s")) == (0.5, 0.33, 600.0)
    assert s("liveness.mode") == "blink" and s("liveness.spoof_threshold") == 0.6 and s("access.mask_required") is True
    assert s("access.schedule")["mon"] == [["07:30", "18:00"]] and s("access.schedule")["sun"] == []
    assert seen and page.saved_label.text() == "Saved."

    page.unmasked.setValue(0.7)
    page.load()  # "Undo changes"
    assert page.unmasked.value() == 0.5 and not page.always_open.isChecked()

    page.day_to[1].setTime(QTime(6, 0))  # closes before it opens
    page.save()
    assert context.gallery.setting("access.schedule")["tue"] == [["08:00", "18:00"]]  # refused


def test_output_action_test_button(window, context, qtbot):
    page = window.settings
    page.action_kind.setCurrentIndex(page.action_kind.findData("command"))
    page.action_target.setText(f'"{sys.executable}" -c "import sys; sys.exit(0)"')
    page.test_button.click()
    qtbot.waitUntil(lambda: page.test_result.text().startswith("Test done"), timeout=20000)
    page.action_target.setText(f'"{sys.executable}" -c "import sys; sys.exit(3)"')
    page.test_button.click()
    qtbot.waitUntil(lambda: page.test_result.text().startswith("Test failed"), timeout=20000)
    assert "exit code 3" in page.test_result.text()


def test_pin_dialog_sets_and_removes_the_pin(window, context, monkeypatch):
    from faceapp.ui.pages import settings as settings_page
    def fill(dialog, pin):
        dialog.pin.setText(pin)
        dialog.repeat.setText(pin)
        dialog._check()
        return dialog.result()

    monkeypatch.setattr(settings_page.SetPinDialog, "exec", lambda d: fill(d, "2580"))
    window.settings.change_pin()
    assert not context.pin_is_set()  # 4 digits fall to guessing: refused in the dialog
    monkeypatch.setattr(settings_page.SetPinDialog, "exec", lambda d: fill(d, "258025"))
    window.settings.change_pin()
    assert context.pin_is_set() and window.settings.pin_state.text() == "A PIN is set."
    assert window.lock_button.text() == "Lock"
    window.settings.remove_pin()
    assert not context.pin_is_set() and window.lock_button.text() == "No admin PIN set"


def test_provider_choice_is_saved(window, context):
    page = window.settings
    assert page.provider.currentData() == "automatic"
    assert [page.provider.itemData(i) for i in range(page.provider.count())][:2] == ["automatic", "cuda"]
    page.provider.setCurrentIndex(page.provider.findData("cpu"))
    page.save()
    assert context.gallery.setting("inference.provider") == "cpu"


def test_door_thresholds_and_lower_mask(window, context, qtbot):
    from PySide6.QtWidgets import QMessageBox

    from faceapp import settings

    settings.save(context.gallery, {"access.threshold_unmasked": 0.6, "access.threshold_masked": 0.65,
                                    "access.lower_mask": False})
    page = window.settings
    page.load()
    assert (page.door_unmasked.value(), page.door_masked.value(), page.lower_mask.isChecked()) == (0.6, 0.65, False)
    # range and default from the setting itself, worded as the validator words a value outside it
    assert (page.door_unmasked.minimum(), page.door_unmasked.maximum()) == settings.check_range("access.threshold_unmasked")
    assert page.door_masked.toolTip() == "Door threshold, with mask must be between 0.1 and 0.95.\nDefault: 0.55."
    assert page.labels["door_unmasked"].text() == "Door threshold, no mask:"

    page.door_unmasked.setValue(0.58)
    page.lower_mask.setChecked(True)
    page.save()
    s = context.gallery.setting
    assert (s("access.threshold_unmasked"), s("access.threshold_masked"), s("access.lower_mask")) == (0.58, 0.65, True)
    assert page.saved_label.text() == "Saved."

    page.mask_policy.setCurrentIndex(page.mask_policy.findData(True))
    assert not page.lower_mask.isEnabled()  # a required mask is never asked to come off
    page.mask_policy.setCurrentIndex(page.mask_policy.findData(False))
    assert page.lower_mask.isEnabled()

    # the box keeps to the range; a value past it (a box built wider, a hand edit) is still refused
    page.saved_label.clear()
    page.door_masked.setMaximum(1.0)
    page.door_masked.setValue(0.99)
    page.door_unmasked.setValue(0.7)
    page.save()
    (box,) = [b for b in page.findChildren(QMessageBox) if b.objectName() == "errorDialog"]
    assert box.text() == "Door threshold, with mask must be between 0.1 and 0.95."
    assert (s("access.threshold_unmasked"), s("access.threshold_masked")) == (0.58, 0.65)  # nothing of the batch
    assert page.saved_label.text() == ""
    box.close()


def test_door_widgets_in_chinese(window, context):
    page = window.settings
    page.language.setCurrentIndex(page.language.findData("zh_CN"))
    assert page.labels["door_masked"].text() == "门禁阈值（戴口罩）:"
    assert page.lower_mask.text() == "门禁处请戴口罩者摘下口罩"
    assert page.door_unmasked.toolTip() == "门禁阈值（无口罩）必须在 0.1 到 0.95 之间。\n默认值：0.52。"
