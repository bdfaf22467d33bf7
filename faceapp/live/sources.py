"""Frame sources for the live pipeline: a camera index, a video file or a stream URL.

Every source says what happened when no frame comes: a file has `ended`, a source that cannot be
opened is `failed` with the reason, and a camera or stream that drops out is `reconnecting` until it
comes back (or `failed` once the reconnect time is spent), so the pipeline stops or waits cleanly
instead of spinning on a dead device.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import cv2
import numpy as np

from faceapp.config import SOURCES
from faceapp.files import printable
from faceapp.reasons import ReasonError


class SourceStatus(str, Enum):
    IDLE = "idle"  # not opened yet
    OK = "ok"
    RECONNECTING = "reconnecting"  # a camera or stream dropped out; retrying
    ENDED = "ended"  # a video file reached its end
    FAILED = "failed"  # cannot be opened, or gave up reconnecting
    CLOSED = "closed"


@dataclass(slots=True)
class Frame:
    image: np.ndarray  # BGR uint8
    timestamp: float  # seconds: media time for files, monotonic clock for live sources
    index: int


@dataclass(slots=True)
class CameraInfo:
    index: int
    width: int
    height: int
    fps: float
    backend: str


def _open_capture(target: int | str) -> cv2.VideoCapture:
    return cv2.VideoCapture(target)


class FrameSource:
    """One source of frames. `read()` gives the next Frame or None, and `status`/`message` say why."""

    live = True  # live sources are timed by the clock and may reconnect; files by their media time

    def __init__(self, target: int | str, *, reconnect_s: float | None = None,
                 opener: Callable[[int | str], cv2.VideoCapture] = _open_capture):
        self.target = target
        self.reconnect_s = SOURCES.reconnect_s if reconnect_s is None else reconnect_s
        self._opener = opener
        self._cap: cv2.VideoCapture | None = None
        self.status = SourceStatus.IDLE
        self.message = ""
        self.index = 0
        self._lost_at: float | None = None
        self._next_try = 0.0

    @property
    def description(self) -> str:
        return str(self.target)

    def _set(self, status: SourceStatus, message: str = "") -> None:
        self.status, self.message = status, message

    def open(self) -> bool:
        cap = self._opener(self.target)
        if cap is None or not cap.isOpened():
            if cap is not None:
                cap.release()
            self._set(SourceStatus.FAILED, f"cannot open {self.description}")
            return False
        self._configure(cap)
        self._cap = cap
        self._set(SourceStatus.OK)
        return True

    def _configure(self, cap: cv2.VideoCapture) -> None:
        """Source-specific capture settings (cameras: size and buffering)."""

    def _timestamp(self) -> float:
        return time.monotonic()

    def read(self) -> Frame | None:
        if self.status in (SourceStatus.ENDED, SourceStatus.FAILED, SourceStatus.CLOSED):
            return None
        if self.status == SourceStatus.IDLE and not self.open():
            return None
        if self.status == SourceStatus.RECONNECTING:
            return self._try_reconnect()
        ok, image = self._cap.read()
        if ok and image is not None and image.size:
            frame = Frame(image=image, timestamp=self._timestamp(), index=self.index)
            self.index += 1
            return frame
        self._on_no_frame()
        return None

    def _on_no_frame(self) -> None:
        """A live source that stops giving frames has dropped out: release it and retry."""
        self._release()
        self._lost_at = time.monotonic()
        self._next_try = 0.0
        self._set(SourceStatus.RECONNECTING, f"{self.description} stopped sending frames; reconnecting")

    def _try_reconnect(self) -> Frame | None:
        now = time.monotonic()
        if now - self._lost_at > self.reconnect_s:
            self._set(SourceStatus.FAILED, f"{self.description} lost and not back after {self.reconnect_s:.0f} s")
            return None
        if now < self._next_try:
            time.sleep(min(SOURCES.reconnect_poll_s, self._next_try - now))  # do not spin on a dead device
            return None
        self._next_try = now + SOURCES.reconnect_interval_s
        cap = self._opener(self.target)
        if cap is not None and cap.isOpened():
            self._configure(cap)
            self._cap = cap
            self._set(SourceStatus.OK, f"{self.description} reconnected")
            return self.read()
        if cap is not None:
            cap.release()
        return None

    def frames(self, stop: Callable[[], bool] = lambda: False) -> Iterator[Frame]:
        """Frames until the source ends, fails or `stop()` says so; waits through reconnects."""
        while not stop():
            frame = self.read()
            if frame is not None:
                yield frame
            elif self.status in (SourceStatus.ENDED, SourceStatus.FAILED, SourceStatus.CLOSED):
                return

    def _release(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def close(self) -> None:
        self._release()
        self._set(SourceStatus.CLOSED)

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class CameraSource(FrameSource):
    def __init__(self, index: int, *, size: tuple[int, int] | None = SOURCES.camera_size, **kw):
        super().__init__(index, **kw)
        self.size = size

    @property
    def description(self) -> str:
        return f"camera {self.target}"

    def _configure(self, cap: cv2.VideoCapture) -> None:
        if self.size:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not a queue of stale ones


class StreamSource(FrameSource):
    @property
    def description(self) -> str:
        return f"stream {self.target}"


class VideoFileSource(FrameSource):
    """A video file, read as fast as it decodes; timestamps are media time, so liveness timing holds."""

    live = False

    def __init__(self, path: str | os.PathLike, **kw):
        super().__init__(str(path), **kw)
        self.fps = 0.0

    @property
    def description(self) -> str:
        return f"video {self.target}"

    def open(self) -> bool:
        if not Path(self.target).is_file():
            self._set(SourceStatus.FAILED, f"{self.target}: no such file")
            return False
        if not super().open():
            self.message = f"{self.target}: not a readable video"
            return False
        self.fps = self._cap.get(cv2.CAP_PROP_FPS) or 0.0
        return True

    def _timestamp(self) -> float:
        ms = self._cap.get(cv2.CAP_PROP_POS_MSEC)
        if ms > 0 or self.index == 0:
            return ms / 1000.0
        # some containers report no position: fall back on the frame rate
        return self.index / (self.fps or SOURCES.assumed_fps)

    def _on_no_frame(self) -> None:
        self._release()
        if self.index == 0:
            self._set(SourceStatus.FAILED, f"{self.target}: no frame could be decoded")
        else:
            self._set(SourceStatus.ENDED, f"{self.target}: end of video after {self.index} frames")


def camera_index(spec: int | str) -> int | None:
    """The camera index a source names (an int, or a string of ASCII digits), None for a file or
    stream; ReasonError for a number no camera can have."""
    if isinstance(spec, bool) or not (isinstance(spec, int) or (isinstance(spec, str) and spec.isascii() and spec.isdigit())):
        return None
    index = int(spec)
    if not 0 <= index <= SOURCES.max_camera_index:
        raise ReasonError("camera_out_of_range", detail=printable(str(spec))[:24], high=SOURCES.max_camera_index)
    return index


def open_source(spec: int | str | os.PathLike, **kw) -> FrameSource:
    """A camera index (int or digits), a stream URL (scheme://...) or a video file path."""
    index = camera_index(spec) if isinstance(spec, (int, str)) else None
    if index is not None:
        return CameraSource(index, **kw)
    text = str(spec)
    if "://" in text:
        return StreamSource(text, **kw)
    return VideoFileSource(text, **kw)


def probe_cameras(max_index: int = SOURCES.probe_max_index,
                  opener: Callable[[int | str], cv2.VideoCapture] = _open_capture) -> list[CameraInfo]:
    """Cameras that open and deliver a frame, for the Settings camera list."""
    found = []
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # absent indices are expected
    try:
        for index in range(max_index):
            info = _probe_one(index, opener)
            if info is not None:
                found.append(info)
    finally:
        cv2.utils.logging.setLogLevel(level)
    return found


def _probe_one(index: int, opener: Callable[[int | str], cv2.VideoCapture]) -> CameraInfo | None:
    cap = opener(index)
    try:
        if cap is None or not cap.isOpened():
            return None
        ok, image = cap.read()
        if not ok or image is None:
            return None
        return CameraInfo(index=index, width=image.shape[1], height=image.shape[0],
                          fps=float(cap.get(cv2.CAP_PROP_FPS) or 0.0), backend=cap.getBackendName())
    finally:
        if cap is not None:
            cap.release()
