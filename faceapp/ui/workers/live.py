"""The live worker thread: it owns the frame source and the pipeline, the GUI thread only paints.

Frames travel to the GUI as deep-copied QImages with their FrameResult; a frame the GUI has not
painted yet is replaced rather than queued, so a slow GUI never builds up latency. Events are never
dropped. Models load in a helper thread while the camera already shows, and a lost camera is
reopened with back-off until it returns or the user picks another source.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QThread, Signal
from PySide6.QtGui import QImage

from faceapp.ui.qimage import bgr_to_qimage

if TYPE_CHECKING:  # imported lazily: OpenCV is not needed to show the window
    from faceapp.live.sources import FrameSource

log = logging.getLogger(__name__)

# Seconds between reconnection attempts to a lost camera or stream: quick at first (a loose cable,
# a stream hiccup), then every 5 s so a missing camera costs almost nothing.
RETRY_DELAYS = (0.5, 1.0, 2.0, 5.0)
# A video file that falls further behind its own clock than this (slow processing) is not played
# faster to catch up: it continues at its normal speed from where it is.
CATCH_UP_S = 0.25
# Smoothing of the FPS readout (weight of the newest frame).
FPS_ALPHA = 0.1

# States sent with state_changed.
OPENING, LOADING, RUNNING, LOST, ENDED, STOPPED, FAILED = "opening", "loading", "running", "lost", "ended", "stopped", "failed"
NO_MODELS = "no_models"  # the picture shows, but the pipeline could not be loaded

_NO_REQUEST = object()


class LiveWorker(QThread):
    frame_ready = Signal(QImage, object)  # the frame, its FrameResult (None before the models load)
    events_ready = Signal(list)  # events of one frame
    state_changed = Signal(str, str)  # one of the states above, a detail (error text, source name)
    fps_changed = Signal(float)
    tap_result = Signal(object)  # what the frame tap returned (enrollment feedback)

    def __init__(self, open_source: Callable[[Any], "FrameSource"], make_pipeline: Callable[[], Any], parent=None):
        super().__init__(parent)
        self.setObjectName("LiveWorker")
        self._open_source = open_source
        self._make_pipeline = make_pipeline
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._shown = threading.Event()  # set when the GUI painted the last frame sent
        self._shown.set()
        self._request: Any = _NO_REQUEST
        self._tap: Callable | None = None
        self._posted: list[Callable[[Any], None]] = []
        self._pipeline: Any = None
        self._pipeline_error: BaseException | None = None
        self._loader: threading.Thread | None = None
        self._state: str | None = None  # the last LOADING / RUNNING / LOST / NO_MODELS sent
        self.realtime = True  # pace video files to their frame rate (tests turn it off)

    # --- called from the GUI thread -----------------------------------------------------------
    def set_source(self, spec: Any) -> None:
        """Switch to a camera index, video file or stream URL; None closes the source."""
        with self._lock:
            self._request = spec
        self._wake.set()

    def post(self, fn: Callable[[Any], None]) -> None:
        """Run fn(pipeline) in the worker thread before the next frame (e.g. reload settings); it is
        dropped if the pipeline has not loaded yet, which then reads the settings fresh anyway."""
        with self._lock:
            self._posted.append(fn)

    def set_tap(self, tap: Callable | None) -> None:
        """Hand frames to tap(frame, timestamp) instead of the pipeline (enrollment capture)."""
        with self._lock:
            self._tap = tap

    def frame_shown(self) -> None:
        self._shown.set()

    def stop(self) -> None:
        """Stop and wait, for the model loader too: a thread still inside onnxruntime when the
        interpreter exits takes the process down with it."""
        self._stop.set()
        self._wake.set()
        self.wait()
        if self._loader is not None:
            self._loader.join()

    @property
    def pipeline(self):
        return self._pipeline

    # --- the worker thread --------------------------------------------------------------------
    def _take_request(self) -> Any:
        with self._lock:
            request, self._request = self._request, _NO_REQUEST
        return request

    def _sleep(self, seconds: float) -> None:
        """Sleep that a new request or stop cuts short."""
        self._wake.wait(seconds)
        self._wake.clear()

    def _start_loader(self) -> None:
        def load():
            try:
                self._pipeline = self._make_pipeline()
            except Exception as exc:
                log.exception("the recognition pipeline could not be loaded")
                self._pipeline_error = exc

        self._loader = threading.Thread(target=load, name="ModelLoader")
        self._loader.start()

    def run(self) -> None:
        source, spec, failures = None, None, 0
        fps, last, clock = 0.0, None, None
        try:
            while not self._stop.is_set():
                request = self._take_request()
                if request is not _NO_REQUEST:
                    if source is not None:
                        source.close()
                    source, spec, failures, last = None, request, 0, None
                    if spec is None:
                        self.state_changed.emit(STOPPED, "")
                if spec is None:
                    self._sleep(0.5)
                    continue
                if source is None:
                    self.state_changed.emit(OPENING, str(spec))
                    source, clock, self._state = self._open_source(spec), None, None
                    if self._loader is None:
                        self._start_loader()
                frame = source.read()
                if frame is None:
                    source, spec, failures = self._on_no_frame(source, spec, failures)
                    continue
                failures = 0
                if not source.live and self.realtime:
                    clock = self._pace(frame.timestamp, clock)
                result = self._process(frame.image, frame.timestamp)
                state = RUNNING if self._pipeline is not None else LOADING
                if state != self._state and self._pipeline_error is None:
                    self._state = state
                    self.state_changed.emit(state, source.description)
                now = time.perf_counter()
                if last is not None and now > last:
                    fps = 1.0 / (now - last) if fps == 0 else (1 - FPS_ALPHA) * fps + FPS_ALPHA / (now - last)
                    self.fps_changed.emit(fps)
                last = now
                if self._shown.is_set():
                    self._shown.clear()
                    self.frame_ready.emit(bgr_to_qimage(frame.image), result)
        except Exception as exc:
            log.exception("live worker stopped by an error")
            self.state_changed.emit(FAILED, str(exc))
        finally:
            if source is not None:
                source.close()

    def _on_no_frame(self, source, spec, failures: int):
        """What a source's status means for the loop: (source, spec, failures) to carry on with."""
        from faceapp.live.sources import SourceStatus

        if source.status == SourceStatus.RECONNECTING:
            if self._state != LOST:
                self._state = LOST
                self.state_changed.emit(LOST, source.message)
            return source, spec, failures
        status, message = source.status, source.message
        source.close()
        if status == SourceStatus.ENDED or not source.live:
            # a file that ended or cannot be read stays stopped: retrying would not change it
            self.state_changed.emit(ENDED if status == SourceStatus.ENDED else FAILED, message)
            return None, None, 0
        # a camera or stream that failed (or gave up reconnecting) is tried again, indefinitely
        log.warning("source %r: %s", spec, message)
        self._state = LOST
        self.state_changed.emit(LOST, message)
        self._sleep(RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)])
        return None, spec, failures + 1

    def _pace(self, media_time: float, clock: tuple[float, float] | None) -> tuple[float, float]:
        """Play a video file at its own speed (not faster), like the camera it stands in for."""
        now = time.perf_counter()
        if clock is None or media_time < clock[1]:
            return now, media_time
        ahead = (media_time - clock[1]) - (now - clock[0])
        if ahead > 0:
            self._stop.wait(min(ahead, 1.0))
        elif ahead < -CATCH_UP_S:
            return now, media_time  # fell behind (slow frames): go on from here, no fast-forward
        return clock

    def _process(self, frame, timestamp):
        with self._lock:
            tap, posted, self._posted = self._tap, self._posted, []
        if self._pipeline is not None:
            for fn in posted:
                fn(self._pipeline)
        if tap is not None:
            self.tap_result.emit(tap(frame, timestamp))
            return None
        if self._pipeline is None:
            if self._pipeline_error is not None and self._state != NO_MODELS:
                self._state = NO_MODELS
                self.state_changed.emit(NO_MODELS, str(self._pipeline_error))
            return None
        result = self._pipeline.process(frame, timestamp)
        if result.events:
            self.events_ready.emit(result.events)
        return result
