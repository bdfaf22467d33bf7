"""Work off the GUI thread, one way for every job: a JobThread runs work(job) with a faceapp.jobs.Job,
sends the job's progress as a signal and its result or error at the end. run_with_progress shows a
job behind a progress bar with Cancel; call_in_background runs a short call and hands its result to
a slot, and a ButtonTask does so for a button that stays off meanwhile; the Trainer tab keeps its own
view of a training JobThread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QAbstractButton, QProgressDialog, QWidget

from faceapp.jobs import Cancelled, Job, Step
from faceapp.ui.i18n import tr

log = logging.getLogger(__name__)

# The work gets the Job to report progress to and to ask whether it was cancelled; it returns a result.
Work = Callable[[Job], Any]


@dataclass(slots=True)
class TaskOutcome:
    result: Any = None
    error: BaseException | None = None
    cancelled: bool = False


class JobThread(QThread):
    progressed = Signal(object)  # faceapp.jobs.Step
    succeeded = Signal(object)  # the work's result, also when a cancel made it stop early
    failed = Signal(object)  # the exception, logged with its traceback

    def __init__(self, work: Work, parent=None):
        super().__init__(parent)
        self.work = work
        self.job = Job(self.progressed.emit)
        self.outcome = TaskOutcome()

    def cancel(self) -> None:
        self.job.cancel()

    def run(self) -> None:
        try:
            self.outcome.result = self.work(self.job)
        except Cancelled:
            pass
        except Exception as exc:  # reported by the caller as a dialog, with the traceback logged
            log.exception("background job failed")
            self.outcome.error = exc
        self.outcome.cancelled = self.job.cancelled
        if self.outcome.error is not None:
            self.failed.emit(self.outcome.error)
        else:
            self.succeeded.emit(self.outcome.result)


def run_with_progress(parent: QWidget | None, title: str, work: Work, *, delay_ms: int = 300) -> TaskOutcome:
    """Run work in a thread behind a modal progress dialog; returns when it has finished or stopped.

    The dialog appears only if the work takes longer than delay_ms; Cancel cancels the job, and the
    call still waits for the work to stop, so nothing runs on after it returns.
    """
    dialog = QProgressDialog(title, tr("Cancel"), 0, 0, parent)
    dialog.setObjectName("taskProgress")
    dialog.setWindowTitle(tr("faceapp"))
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(delay_ms)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    thread = JobThread(work)

    def on_progress(step: Step) -> None:
        # the bar and a count; the job's own text is English, for logs and the CLI. The label goes
        # first: a modal dialog's setValue processes events, so a newer step can run inside it,
        # and a label set after it would then be one step behind the bar.
        if step.total > 0 and not thread.job.cancelled:
            dialog.setLabelText(f"{title}\n" + tr("{done} of {total}").format(done=step.done, total=step.total))
        dialog.setMaximum(max(step.total, 0))
        dialog.setValue(min(step.done, step.total) if step.total > 0 else 0)

    def on_cancel() -> None:
        thread.cancel()
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


_running: set[JobThread] = set()  # keeps each thread object alive until its run has ended


def call_in_background(fn: Callable[[], Any], on_done: Callable[[Any], None],
                       on_failed: Callable[[BaseException], None] | None = None) -> JobThread:
    """Run fn in a thread; its result (or exception) comes back to the slots in the GUI thread.

    Pass bound methods of widgets as slots: Qt drops the call if the widget is gone by then.
    """
    call = JobThread(lambda job: fn())
    call.succeeded.connect(on_done)
    if on_failed is not None:
        call.failed.connect(on_failed)
    _running.add(call)
    call.finished.connect(lambda: _running.discard(call))
    call.start()
    return call


class ButtonTask(QObject):
    """A button's short call off the GUI thread (call_in_background): the button stays off until the
    call answers, so one click makes one call; the answer comes as succeeded(result) or failed(error).
    With fn, a click runs it; else the page calls run() with what the click should do."""

    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, button: QAbstractButton, fn: Callable[[], Any] | None = None):
        super().__init__(button)  # gone with the button, and so is an answer still on its way
        self.button = button
        self.fn = fn
        if fn is not None:
            button.clicked.connect(self._clicked)

    def run(self, fn: Callable[[], Any]) -> None:
        self.button.setEnabled(False)
        call_in_background(fn, self._succeeded, self._failed)

    @Slot()
    def _clicked(self) -> None:
        self.run(self.fn)

    @Slot(object)
    def _succeeded(self, result) -> None:
        self.button.setEnabled(True)
        self.succeeded.emit(result)

    @Slot(object)
    def _failed(self, error) -> None:
        self.button.setEnabled(True)
        self.failed.emit(error)


def wait_for_background(timeout_ms: int = 5000) -> None:
    """At exit: let running calls end, so no thread object is destroyed while it runs."""
    for call in list(_running):
        call.wait(timeout_ms)
