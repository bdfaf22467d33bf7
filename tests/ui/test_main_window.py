from PySide6.QtCore import Qt

from faceapp.ui.main_window import ATTENDANCE, LIVE, PEOPLE, SETTINGS, MainWindow


def test_window_opens_on_live_with_five_tabs(window):
    assert window.isVisible()
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == ["Live", "People", "Attendance", "Trainer", "Settings"]
    assert window.tabs.currentIndex() == LIVE
    assert window.live.video.isVisible()


def test_shortcuts_switch_tabs(window, qtbot):
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == ATTENDANCE
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == LIVE


def test_size_and_last_tab_are_remembered(context, qtbot):
    # the offscreen screen is 800x600: restoreGeometry fits a window into the screen
    first = MainWindow(context)
    qtbot.addWidget(first)
    first.show()
    size = (first.minimumSizeHint().width() + 10, 560)  # not the default size, and within the screen
    first.resize(*size)
    first.tabs.setCurrentIndex(SETTINGS)
    first.close()
    second = MainWindow(context)
    qtbot.addWidget(second)
    second.show()
    assert second.tabs.currentIndex() == SETTINGS
    assert (second.width(), second.height()) == size


def test_locked_last_tab_opens_on_live(context, qtbot):
    first = MainWindow(context)
    qtbot.addWidget(first)
    first.tabs.setCurrentIndex(PEOPLE)
    first.close()
    context.set_pin("246813")
    context.lock()
    second = MainWindow(context)
    qtbot.addWidget(second)
    assert second.tabs.currentIndex() == LIVE


def test_status_bar_names_the_provider_and_shows_a_fallback_once(window, context):
    from faceapp.vision import onnx_model
    from faceapp.vision.embedder import Embedder

    assert window.provider_label.text() == "Inference: CPU"
    try:
        onnx_model.use_provider("openvino")  # not in this machine's onnxruntime
        Embedder()
        context.models_loaded.emit()
        assert window.statusBar().currentMessage() == "OpenVINO is not offered by the installed onnxruntime; running on the CPU."
        assert window.provider_label.text() == "Inference: CPU"
        window.statusBar().clearMessage()
        context.models_loaded.emit()
        assert window.statusBar().currentMessage() == ""  # once
    finally:
        onnx_model.use_provider("automatic")
