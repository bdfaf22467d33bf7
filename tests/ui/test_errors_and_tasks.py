import logging
import time

from PySide6.QtWidgets import QMessageBox

from faceapp.ui.errors import show_error
from faceapp.ui.workers.tasks import run_with_progress


def test_error_dialog_in_words_with_details_in_the_log(context, qtbot):
    try:
        raise OSError(28, "No space left on device")
    except OSError as exc:
        box = show_error(None, "The photo could not be saved.", exc)
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert box.text() == "The photo could not be saved."
    assert str(context.log_path) in box.informativeText()
    assert "No space left" in box.detailedText()
    for handler in logging.getLogger().handlers:
        handler.flush()
    log = context.log_path.read_text(encoding="utf-8")
    assert "The photo could not be saved." in log and "Traceback" in log
    assert context.log_path == context.data_dir / "logs" / "faceapp.log"
    box.close()


def test_long_work_reports_progress_and_stops_on_cancel(qtbot):
    seen = []

    def work(job):
        for i in range(200):
            if job.cancelled:
                return i
            job.report(i, 200, f"item {i}")
            seen.append(i)
            time.sleep(0.01)
        return 200

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QProgressDialog, QPushButton

    shown = []

    def press_cancel():
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QProgressDialog) and w.objectName() == "taskProgress":
                shown.append((w.isVisible(), w.maximum(), w.value(), w.labelText()))
                w.findChild(QPushButton).click()
                shown.append(w.labelText())

    QTimer.singleShot(300, press_cancel)
    outcome = run_with_progress(None, "Working", work, delay_ms=0)
    assert outcome.cancelled and outcome.error is None
    assert 0 < outcome.result < 200
    (visible, maximum, value, label), after = shown
    assert visible and maximum == 200 and 0 < value < 200
    assert label == f"Working\n{value} of 200" and after == "Stopping…"


def test_long_work_errors_come_back(qtbot):
    def work(job):
        raise ValueError("bad photo")

    outcome = run_with_progress(None, "Working", work)
    assert isinstance(outcome.error, ValueError) and not outcome.cancelled
