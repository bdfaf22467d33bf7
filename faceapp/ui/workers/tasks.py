"""Long work (enrolling a folder, re-embedding, exporting) off the GUI thread, with progress and Cancel."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEventLoop, Qt, QThread, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from faceapp.ui.i18n import tr

log = logging.getLogger(__name__)

# The work function gets progress(done, total, text) and cancelled() -> bool, and returns a result.
Progress = Callable[[int, int, str], None]
Work = Callable[[Progress, Callable[[], bool]], Any]


@dataclass(slots=True)
class TaskOutcome:
    result: Any = None
    error: BaseException | None = None
    cancelled: bool = False


class TaskThread(QThread):
    progressed = Signal(int, int, str)

    def __init__(self, work: Work, parent=None):
        super().__init__(parent)
        self.work = work
        self.cancel_event = threading.Event()
        self.outcome = TaskOutcome()

    def run(self) -> None:
        try:
            self.outcome.result = self.work(self.progressed.emit, self.cancel_event.is_set)
        except Exception as exc:  # reported by the caller as a dialog, with the traceback logged
            log.exception("background task failed")
            self.outcome.error = exc
        self.outcome.cancelled = self.cancel_event.is_set()


def run_with_progress(parent: QWidget | None, title: str, work: Work, *, delay_ms: int = 300) -> TaskOutcome:
    """Run work in a thread behind a modal progress dialog; returns when it has finished or stopped.

    The dialog appears only if the work takes longer than delay_ms; Cancel asks the work to stop at
    its next check and the call still waits for it, so nothing runs on after it returns.
    """
    dialog = QProgressDialog(title, tr("Cancel"), 0, 0, parent)
    dialog.setObjectName("taskProgress")
    dialog.setWindowTitle(tr("faceapp"))
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(delay_ms)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    thread = TaskThread(work)

    def on_progress(done: int, total: int, text: str) -> None:
        dialog.setMaximum(max(total, 0))
        dialog.setValue(min(done, total) if total > 0 else 0)
        if text:
            dialog.setLabelText(f"{title}\n{text}")

    def on_cancel() -> None:
        thread.cancel_event.set()
        dialog.setLabelText(tr("Stopping…"))

    thread.progressed.connect(on_progress)
    dialog.canceled.connect(on_cancel)
    loop = QEventLoop()
    thread.finished.connect(loop.quit)
    thread.start()
    loop.exec()
    thread.wait()
    dialog.close()
    dialog.deleteLater()
    return thread.outcome


class BackgroundCall(QThread):
    """One short blocking call (probing cameras, testing an output) off the GUI thread."""

    done = Signal(object)
    failed = Signal(object)

    def __init__(self, fn: Callable[[], Any]):
        super().__init__()
        self.fn = fn

    def run(self) -> None:
        try:
            self.done.emit(self.fn())
        except Exception as exc:
            log.exception("background call failed")
            self.failed.emit(exc)


_running: set[BackgroundCall] = set()  # keeps each thread object alive until its run has ended


def call_in_background(fn: Callable[[], Any], on_done: Callable[[Any], None],
                       on_failed: Callable[[BaseException], None] | None = None) -> BackgroundCall:
    """Run fn in a thread; its result (or exception) comes back to the slots in the GUI thread.

    Pass bound methods of widgets as slots: Qt drops the call if the widget is gone by then.
    """
    call = BackgroundCall(fn)
    call.done.connect(on_done)
    if on_failed is not None:
        call.failed.connect(on_failed)
    _running.add(call)
    call.finished.connect(lambda: _running.discard(call))
    call.start()
    return call


def wait_for_background(timeout_ms: int = 5000) -> None:
    """At exit: let running calls end, so no thread object is destroyed while it runs."""
    for call in list(_running):
        call.wait(timeout_ms)
