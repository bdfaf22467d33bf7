"""The live worker thread: a thin QThread around the Qt-free LiveSession (faceapp/live/session.py),
which owns the source, the pipeline, reconnects, pacing and the door output; this only turns the
session's updates into signals. The GUI thread only paints.

Frames travel to the GUI as deep-copied QImages with their FrameResult; a frame the GUI has not
painted yet is replaced rather than queued, so a slow GUI never builds up latency. Events are never
dropped. Models load in a helper thread while the camera already shows, and a lost camera is
reopened with back-off until it returns or the user picks another source.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QThread, Signal
from PySide6.QtGui import QImage

from faceapp.live.session import ActionDone, LiveSession, Processed, State, StateChanged, Tapped
from faceapp.ui.qimage import bgr_to_qimage

log = logging.getLogger(__name__)

# States sent with state_changed (the session's, by their names here for the pages).
OPENING, LOADING, RUNNING, LOST = State.OPENING, State.LOADING, State.RUNNING, State.LOST
ENDED, STOPPED, FAILED, NO_MODELS = State.ENDED, State.STOPPED, State.FAILED, State.NO_MODELS


class LiveWorker(QThread):
    frame_ready = Signal(QImage, object)  # the frame, its FrameResult (None before the models load)
    events_ready = Signal(list)  # events of one frame
    state_changed = Signal(str, str)  # one of the states above, a detail (error text, source name)
    fps_changed = Signal(float)
    tap_result = Signal(object)  # what the frame tap returned (enrollment feedback)
    action_failed = Signal(str)  # a door output action failed, and why

    def __init__(self, open_source: Callable[[Any], Any], make_pipeline: Callable[[Any], Any], parent=None):
        super().__init__(parent)
        self.setObjectName("LiveWorker")
        self.session = LiveSession(make_pipeline, open_source=open_source, background_load=True,
                                   realtime=True, keep_open=True, retry=True)
        self._shown = threading.Event()  # set when the GUI painted the last frame sent
        self._shown.set()

    # --- called from the GUI thread -----------------------------------------------------------
    def set_source(self, spec: Any) -> None:
        """Switch to a camera index, video file or stream URL; None closes the source."""
        self.session.set_source(spec)

    def post(self, fn: Callable[[Any], None]) -> None:
        """Run fn(pipeline) in the worker thread before the next frame (e.g. reload settings)."""
        self.session.post(fn)

    def set_tap(self, tap: Callable | None) -> None:
        """Hand frames to tap(frame, timestamp) instead of the pipeline (enrollment capture)."""
        self.session.set_tap(tap)

    def frame_shown(self) -> None:
        self._shown.set()

    def stop(self) -> None:
        self.session.stop()
        self.wait()
        self.session.close()

    @property
    def pipeline(self):
        return self.session.pipeline

    # --- the worker thread --------------------------------------------------------------------
    def run(self) -> None:
        try:
            for update in self.session.run():
                self._forward(update)
        except Exception as exc:
            log.exception("live worker stopped by an error")
            self.state_changed.emit(FAILED, str(exc))

    def _forward(self, update) -> None:
        if isinstance(update, Processed):
            if update.result is not None and update.result.events:
                self.events_ready.emit(update.result.events)
            if update.fps:
                self.fps_changed.emit(update.fps)
            if self._shown.is_set():
                self._shown.clear()
                self.frame_ready.emit(bgr_to_qimage(update.frame.image), update.result)
        elif isinstance(update, StateChanged):
            self.state_changed.emit(update.state, update.detail)
        elif isinstance(update, Tapped):
            self.tap_result.emit(update.value)
        elif isinstance(update, ActionDone) and update.error is not None:
            self.action_failed.emit(str(update.error))
