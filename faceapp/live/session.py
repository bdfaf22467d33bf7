"""One live session, Qt-free: the loop that both `faceapp run` and the GUI's live worker drive.

It opens the source, paces video files to their frame rate (optional), reopens a lost camera or
stream with back-off, applies settings changes between frames, runs the door output of every grant
on a background thread and reports what happens as a stream of updates from `run()`, a generator
(the shape of napari's generator workers): the CLI prints them, the GUI worker turns them into
signals. Other threads steer it with `set_source`, `post`, `set_tap` and `stop`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from faceapp.access.policy import ActionError, ActionRunner
from faceapp.config import SESSION
from faceapp.live.sources import Frame, FrameSource, SourceStatus, open_source
from faceapp.types import FrameResult

log = logging.getLogger(__name__)


class State(StrEnum):
    OPENING = "opening"
    LOADING = "loading"  # frames show, the models are still loading
    RUNNING = "running"
    LOST = "lost"  # a camera or stream dropped out; reconnecting
    ENDED = "ended"  # a video file reached its end
    STOPPED = "stopped"  # no source (closed on request, or the run's frame budget is spent)
    FAILED = "failed"
    NO_MODELS = "no_models"  # the picture shows, but the pipeline could not be loaded


@dataclass(slots=True)
class StateChanged:
    state: State
    detail: str  # the source's name, or what went wrong


@dataclass(slots=True)
class Processed:
    """One frame read and handled: result is None before the models load or while a tap takes frames."""

    frame: Frame
    result: FrameResult | None
    fps: float  # smoothed frames per wall second, for a readout


@dataclass(slots=True)
class Tapped:
    value: Any  # what the frame tap returned (enrollment feedback)


@dataclass(slots=True)
class ActionDone:
    event: dict[str, Any]
    error: ActionError | None


Update = StateChanged | Processed | Tapped | ActionDone
_NO_REQUEST = object()


# Frame times are kept as a histogram, not a list: a door runs for months, and a list of every
# frame's time grew by 32 bytes a frame (69 MB a day at 25 FPS; seen in the 100,000-frame soak).
# Log-spaced bins 1% wide from 0.01 ms to ~100 s: a percentile is read to within 0.5%.
_BIN_RATIO = 1.01
_BIN_FLOOR_MS = 0.01
_LOG_RATIO = math.log(_BIN_RATIO)
_BINS = math.ceil(math.log(1e7) / _LOG_RATIO) + 1


@dataclass
class Speed:
    """Per-frame times (read and decode included, pacing waits excluded) and throughput: frames
    handled per wall second from the first read to the last result. Fixed memory however long it runs."""

    counts: np.ndarray = field(default_factory=lambda: np.zeros(_BINS, np.int64))
    frames: int = 0
    started: float | None = None
    finished: float | None = None
    rate: float = 0.0  # smoothed, for the live readout

    def add(self, begin: float, busy_ms: float) -> None:
        now = time.perf_counter()
        if self.finished is not None and now > self.finished:
            step = 1.0 / (now - self.finished)
            self.rate = step if self.rate == 0 else (1 - SESSION.fps_alpha) * self.rate + SESSION.fps_alpha * step
        if self.started is None:
            self.started = begin
        self.finished = now
        b = int(math.log(max(busy_ms, _BIN_FLOOR_MS) / _BIN_FLOOR_MS) / _LOG_RATIO)
        self.counts[min(b, _BINS - 1)] += 1
        self.frames += 1

    def percentile(self, q: float) -> float | None:
        """The q-th percentile of the frame times (ms), the centre of its bin."""
        if not self.frames:
            return None
        b = int(np.searchsorted(np.cumsum(self.counts), q / 100 * self.frames))
        return float(_BIN_FLOOR_MS * _BIN_RATIO ** (b + 0.5))

    def summary(self) -> dict[str, Any]:
        seconds = (self.finished - self.started) if self.started is not None else 0.0
        median, p90 = self.percentile(50), self.percentile(90)
        return {
            "frames": self.frames,
            "seconds": round(seconds, 2),
            "throughput_fps": round(self.frames / seconds, 1) if seconds > 0 else None,
            "median_ms": round(median, 2) if median is not None else None,
            "p90_ms": round(p90, 2) if p90 is not None else None,
        }


class LiveSession:
    """make_pipeline(actions) builds the pipeline (actions: the door's ActionRunner, None with
    door=False). background_load loads it in a helper thread while frames already show (the GUI);
    otherwise it loads before the first frame. realtime plays files at their frame rate, not faster.
    keep_open waits for the next `set_source` when a source ends instead of returning; retry reopens
    a failed camera or stream with back-off for as long as the session runs."""

    def __init__(
        self,
        make_pipeline: Callable[[ActionRunner | None], Any],
        *,
        source: Any = None,
        open_source: Callable[[Any], FrameSource] = open_source,
        door: bool = True,
        background_load: bool = False,
        realtime: bool = False,
        keep_open: bool = False,
        retry: bool = False,
    ):
        self._make_pipeline = make_pipeline
        self._open_source = open_source
        self.door = door
        self.background_load = background_load
        self.realtime = realtime
        self.keep_open = keep_open
        self.retry = retry
        # reentrant: a CLI signal handler may post while the main thread holds it
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._request: Any = source if source is not None else _NO_REQUEST
        self._tap: Callable | None = None
        self._posted: list[Callable[[Any], None]] = []
        self._finished_actions: deque[ActionDone] = deque()
        self.actions: ActionRunner | None = None
        self.pipeline: Any = None
        self.pipeline_error: BaseException | None = None
        self._loader: threading.Thread | None = None
        self.state: State | None = None
        self.detail = ""
        self.source_name = "" if source is None else str(source)
        self.speed = Speed()

    # --- steering, from any thread ------------------------------------------------------------
    def set_source(self, spec: Any) -> None:
        """Switch to a camera index, video file or stream URL; None closes the source."""
        with self._lock:
            self._request = spec
        self._wake.set()

    def post(self, fn: Callable[[Any], None]) -> None:
        """Run fn(pipeline) before the next frame (a settings reload); dropped if the pipeline has not
        loaded yet, which then reads the settings fresh anyway."""
        with self._lock:
            self._posted.append(fn)

    def set_tap(self, tap: Callable | None) -> None:
        """Hand frames to tap(frame, timestamp) instead of the pipeline (enrollment capture)."""
        with self._lock:
            self._tap = tap

    def stop(self) -> None:
        """End `run()` after the current frame."""
        self._stop.set()
        self._wake.set()

    def close(self) -> None:
        """Wait for the model loader (a thread still inside onnxruntime when the interpreter exits
        takes the process down) and finish the queued door actions."""
        if self._loader is not None:
            self._loader.join()
        self._close_actions()

    # --- the loop -----------------------------------------------------------------------------
    def run(self, max_frames: int | None = None) -> Iterator[Update]:
        """Updates until stopped, or (without keep_open) until the source ends or fails, or
        max_frames frames were handled."""
        source: FrameSource | None = None
        spec: Any = None
        failures, clock = 0, None
        try:
            if not self.background_load:
                self._load()
            while not self._stop.is_set():
                yield from self._drain_actions()
                if max_frames is not None and self.speed.frames >= max_frames:
                    yield self._set(State.STOPPED, f"{max_frames} frames")
                    break
                request = self._take_request()
                if request is not _NO_REQUEST:
                    if source is not None:
                        source.close()
                    source, spec, failures, self.speed = None, request, 0, Speed()
                    if spec is None:
                        yield self._set(State.STOPPED, "")
                if spec is None:
                    if not self.keep_open:
                        break
                    self._sleep(SESSION.idle_poll_s)
                    continue
                if source is None:
                    self.source_name = str(spec)
                    yield self._set(State.OPENING, self.source_name)
                    source, clock, self.state = self._open_source(spec), None, None
                    if self.pipeline is None and self._loader is None:
                        self._start_loader()
                begin = time.perf_counter()
                frame = source.read()
                if frame is None:
                    if source.status == SourceStatus.RECONNECTING:
                        if self.state != State.LOST:
                            yield self._set(State.LOST, source.message)
                        continue
                    yield self._lost(source, spec, failures)
                    source = None
                    if self.state == State.LOST:  # retrying
                        self._sleep(SESSION.retry_delays_s[min(failures, len(SESSION.retry_delays_s) - 1)])
                        failures += 1
                    else:
                        spec = None
                    continue
                failures = 0
                read_ms = (time.perf_counter() - begin) * 1000.0
                if not source.live and self.realtime:
                    clock = self._pace(frame.timestamp, clock)
                begin_work = time.perf_counter()
                yield from self._handle(frame, source, begin, read_ms, begin_work)
        finally:
            if source is not None:
                source.close()
        self._close_actions()  # the last grants still open the door before the run reports its end
        yield from self._drain_actions()

    def _handle(self, frame: Frame, source: FrameSource, begin: float, read_ms: float,
                begin_work: float) -> Iterator[Update]:
        with self._lock:
            tap, posted, self._posted = self._tap, self._posted, []
        result, tapped = None, None
        if self.pipeline is not None:
            for fn in posted:
                fn(self.pipeline)
        if tap is not None:
            tapped = Tapped(tap(frame.image, frame.timestamp))
        elif self.pipeline is not None:
            result = self.pipeline.process(frame.image, frame.timestamp)
        self.speed.add(begin, read_ms + (time.perf_counter() - begin_work) * 1000.0)
        if tapped is not None:
            yield tapped
        if self.pipeline is None and self.pipeline_error is not None:
            if self.state != State.NO_MODELS:
                yield self._set(State.NO_MODELS, str(self.pipeline_error))
        else:
            state = State.RUNNING if self.pipeline is not None else State.LOADING
            if state != self.state:
                yield self._set(state, source.description)
        yield Processed(frame, result, self.speed.rate)

    def _lost(self, source: FrameSource, spec: Any, failures: int) -> StateChanged:
        """A source that gives no frame and is not reconnecting by itself: ended, failed, or (a
        camera or stream, with retry) lost until it is reopened."""
        status, message = source.status, source.message
        source.close()
        if status == SourceStatus.ENDED:
            return self._set(State.ENDED, message)
        if not source.live or not self.retry:
            return self._set(State.FAILED, message)  # retrying a file would not change it
        log.warning("source %r: %s (attempt %d)", spec, message, failures + 1)
        return self._set(State.LOST, message)

    def _set(self, state: State, detail: str) -> StateChanged:
        self.state, self.detail = state, detail
        return StateChanged(state, detail)

    def _take_request(self) -> Any:
        with self._lock:
            request, self._request = self._request, _NO_REQUEST
        return request

    def _sleep(self, seconds: float) -> None:
        """A sleep that a new request or stop cuts short."""
        self._wake.wait(seconds)
        self._wake.clear()

    def _pace(self, media_time: float, clock: tuple[float, float] | None) -> tuple[float, float]:
        """Play a video file at its own speed (not faster), like the camera it stands in for."""
        now = time.perf_counter()
        if clock is None or media_time < clock[1]:
            return now, media_time
        ahead = (media_time - clock[1]) - (now - clock[0])
        if ahead > 0:
            self._stop.wait(min(ahead, 1.0))
        elif ahead < -SESSION.catch_up_s:
            return now, media_time  # fell behind (slow frames): go on from here, no fast-forward
        return clock

    # --- models and door ----------------------------------------------------------------------
    def _load(self) -> None:
        if self.door and self.actions is None:
            self.actions = ActionRunner(on_done=self._action_done)
        self.pipeline = self._make_pipeline(self.actions)

    def _start_loader(self) -> None:
        def load():
            try:
                self._load()
            except Exception as exc:
                log.exception("the recognition pipeline could not be loaded")
                self.pipeline_error = exc

        self._loader = threading.Thread(target=load, name="ModelLoader")
        self._loader.start()

    def _close_actions(self) -> None:
        if self.actions is not None:
            self.actions.close(timeout=SESSION.action_drain_s)
            self.actions = None

    def _action_done(self, event: dict[str, Any], error: ActionError | None) -> None:
        self._finished_actions.append(ActionDone(event, error))  # on the action thread; run() reports it

    def _drain_actions(self) -> Iterator[ActionDone]:
        while self._finished_actions:
            yield self._finished_actions.popleft()
