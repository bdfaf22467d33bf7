from PySide6.QtCore import Qt

from faceapp.ui.context import PIN_KEY
from faceapp.ui.main_window import PEOPLE, SETTINGS


def test_pin_locks_and_unlocks(window, context, qtbot):
    gate = window.gates[PEOPLE]
    assert gate.currentWidget() is window.people  # no PIN: open

    settings = window.settings
    window.tabs.setCurrentIndex(SETTINGS)
    context.set_pin("123456")
    stored = context.gallery.setting(PIN_KEY)
    assert stored.startswith("pbkdf2_sha256$") and "123456" not in stored
    assert settings.remove_pin_button.isEnabled()

    qtbot.mouseClick(window.lock_button, Qt.MouseButton.LeftButton)
    assert not context.unlocked
    for index, g in window.gates.items():
        assert g.currentWidget() is g.lock_screen, index

    screen = gate.lock_screen
    qtbot.keyClicks(screen.pin, "999999")
    qtbot.keyClick(screen.pin, Qt.Key.Key_Return)
    assert not context.unlocked
    assert screen.error.text() == "Wrong PIN."
    assert screen.pin.text() == ""

    qtbot.keyClicks(screen.pin, "123456")
    qtbot.mouseClick(screen.button, Qt.MouseButton.LeftButton)
    assert context.unlocked
    assert all(g.currentWidget() is g.page for g in window.gates.values())


def test_export_asks_for_the_pin_when_locked(window, context, monkeypatch):
    from faceapp.ui.dialogs import save_as
    from faceapp.ui.pages import attendance as attendance_page
    context.set_pin("123456")
    context.lock()
    asked = []
    monkeypatch.setattr(attendance_page, "require_unlock", lambda ctx, parent: asked.append(True) or False)
    chooser = []
    monkeypatch.setattr(save_as.QFileDialog, "getSaveFileName", lambda *a, **k: chooser.append(a) or ("", ""))
    window.export_attendance()
    assert asked and not chooser  # refused before the file dialog


def test_kiosk_mode_locks_hides_tabs_and_needs_the_pin_to_leave(window, context, monkeypatch):
    from faceapp.ui import main_window

    context.set_pin("123456")
    assert context.unlocked
    window.toggle_kiosk()
    assert not context.unlocked and window.isFullScreen()
    assert window.tabs.tabBar().isHidden()
    monkeypatch.setattr(main_window, "require_unlock", lambda ctx, parent: False)  # wrong PIN / Cancel
    window.toggle_kiosk()
    assert window.isFullScreen() and window.tabs.tabBar().isHidden()
    monkeypatch.setattr(main_window, "require_unlock", lambda ctx, parent: ctx.unlock("123456"))
    window.toggle_kiosk()
    assert not window.isFullScreen() and not window.tabs.tabBar().isHidden()


def test_wrong_pins_make_the_lock_screen_wait(window, context, qtbot):
    context.set_pin("123456")
    context.lock()
    screen = window.gates[PEOPLE].lock_screen
    for _ in range(4):
        qtbot.keyClicks(screen.pin, "000000")
        qtbot.keyClick(screen.pin, Qt.Key.Key_Return)
    assert screen.error.text().startswith("Wrong PIN. Wait ")
    qtbot.keyClicks(screen.pin, "123456")  # right, but inside the wait: not even checked
    qtbot.keyClick(screen.pin, Qt.Key.Key_Return)
    assert not context.unlocked
    assert [e["event"] for e in context.pin_guard.audit_trail()] == ["admin_pin_wrong"] * 4 + ["admin_pin_try_during_wait"]
