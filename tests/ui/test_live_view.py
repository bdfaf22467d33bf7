"""The live view end to end: a video file stands in for the camera; its person is enrolled from the
camera capture in the enroll dialog, then recognised, and the attendance table gets the event."""

from dataclasses import replace

from PySide6.QtCore import Qt

from faceapp.ui.workers import live as lw
from faceapp.ui.main_window import ATTENDANCE, LIVE, PEOPLE

VIDEO = "videos/fi_protagonist.mp4"


def _names(result):
    return [t.match.name for t in result.tracks if t.match is not None] if result is not None else []


def _granted(result):
    return [t.match.name for t in result.tracks if t.decision is not None and t.decision.granted] if result is not None else []


def test_enroll_from_the_camera_then_recognise_with_attendance(model_window, model_context, shared, qtbot):
    window = model_window
    live = window.live
    video = str(shared / VIDEO)
    live.start(video)
    qtbot.waitUntil(lambda: live.state == lw.RUNNING, timeout=60000)

    window.tabs.setCurrentIndex(PEOPLE)
    dialog = window.people.enroll()
    qtbot.keyClicks(dialog.form.name, "Protagonist")
    assert dialog.sources.currentIndex() == 0  # the camera tab first
    qtbot.mouseClick(dialog.capture_button, Qt.MouseButton.LeftButton)
    assert dialog.capture is not None and dialog.guidance.text() == "Look straight at the camera"
    # a video cannot follow the prompts (its face sits off the oval): skip the wait for it sooner
    dialog.capture.config = replace(dialog.capture.config, step_timeout_s=1.0)
    qtbot.waitUntil(lambda: dialog.accepted.count() >= 3 or live.state == lw.ENDED, timeout=120000)
    assert dialog.accepted.count() >= 3, dialog.feedback.text()
    assert dialog.view.image is not None  # the dialog showed the camera picture
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=60000)
    person = model_context.gallery.find_person("Protagonist")
    assert person is not None and person.sample_count >= 3

    window.tabs.setCurrentIndex(LIVE)
    seen, granted = [], []
    live.worker.frame_ready.connect(lambda image, result: (seen.extend(_names(result)), granted.extend(_granted(result))))
    live.start(video)  # from the start again, now with the person enrolled
    qtbot.waitUntil(lambda: "Protagonist" in seen, timeout=180000)
    attendance = window.attendance
    window.tabs.setCurrentIndex(ATTENDANCE)  # the recognition goes on behind it
    qtbot.waitUntil(lambda: attendance.records.rowCount() > 0, timeout=180000)
    assert "Protagonist" in granted  # the overlay and the banner had a GRANTED decision to show
    assert attendance.records.item(0, 1).text() == "Protagonist"
    assert any("Protagonist — granted" in live.recent.item(i).text() for i in range(live.recent.count()))
    assert attendance.summary.item(0, 1).text() == "Protagonist"
