"""Several cameras on one PC, Qt-free: one LiveSession per camera, run together.

The heavy parts are shared, not copied: one Engine (onnxruntime sessions are safe for concurrent
`run` calls and release the GIL while they compute, so two cameras' models run on both cores at
once) and one gallery search index per model version (the `searches` dict the pipelines share).
Each camera keeps its own tracker, votes, liveness and door output.

Each session runs in its own thread (`threaded=True`, the default) and their updates arrive on one
queue, tagged with the camera. `threaded=False` interleaves the sessions frame by frame in the
calling thread instead: no parallelism at all, kept to measure what the threads gain
(`faceapp bench --cameras ... --interleave`, docs/benchmarks.md).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from faceapp.access.policy import ActionRunner
from faceapp.live.session import LiveSession, Update
from faceapp.settings import Camera


@dataclass(slots=True)
class CameraUpdate:
    camera: int  # index into MultiSession.cameras
    update: Update


_DONE = object()


class MultiSession:
    """make_pipeline(camera, actions) builds one camera's pipeline; session options (door, realtime,
    retry, open_source, ...) apply to every camera's LiveSession."""

    def __init__(self, cameras: list[Camera], make_pipeline: Callable[[Camera, ActionRunner | None], Any],
                 *, threaded: bool = True, **session_options: Any):
        if not cameras:
            raise ValueError("no camera to run")
        self.cameras = list(cameras)
        self.threaded = threaded
        self.sessions = [LiveSession(lambda actions, cam=cam: make_pipeline(cam, actions), source=cam.source,
                                     **session_options) for cam in self.cameras]
        self._threads: list[threading.Thread] = []

    def run(self, max_frames: int | None = None) -> Iterator[CameraUpdate]:
        """Every camera's updates until all of them ended (max_frames: per camera)."""
        runs = [s.run(max_frames) for s in self.sessions]
        yield from (self._threads_run if self.threaded else self._interleave)(runs)

    def _threads_run(self, runs: list[Iterator[Update]]) -> Iterator[CameraUpdate]:
        # Bounded: a slow reader holds the cameras back instead of piling up frames in memory.
        updates: queue.Queue = queue.Queue(maxsize=8 * len(runs))

        def pump(i: int, run: Iterator[Update]) -> None:
            try:
                for update in run:
                    updates.put(CameraUpdate(i, update))
            except BaseException as exc:  # the reader re-raises it: a broken camera is not silent
                updates.put(exc)
            finally:
                updates.put(_DONE)

        self._threads = [threading.Thread(target=pump, args=(i, run), name=f"Camera{i}", daemon=True)
                         for i, run in enumerate(runs)]
        for t in self._threads:
            t.start()
        running = len(runs)
        try:
            while running:
                item = updates.get()
                if item is _DONE:
                    running -= 1
                elif isinstance(item, BaseException):
                    raise item
                else:
                    yield item
        finally:
            self.stop()
            while any(t.is_alive() for t in self._threads):  # unblock pumps waiting on a full queue
                try:
                    updates.get(timeout=0.05)
                except queue.Empty:
                    pass

    @staticmethod
    def _interleave(runs: list[Iterator[Update]]) -> Iterator[CameraUpdate]:
        live = dict(enumerate(runs))
        while live:
            for i, run in list(live.items()):
                update = next(run, _DONE)
                if update is _DONE:
                    del live[i]
                else:
                    yield CameraUpdate(i, update)

    def post(self, fn: Callable[[Any], None]) -> None:
        """Run fn(pipeline) in every camera's session before its next frame (a settings reload)."""
        for s in self.sessions:
            s.post(fn)

    def stop(self) -> None:
        for s in self.sessions:
            s.stop()

    def close(self) -> None:
        self.stop()
        for t in self._threads:
            t.join()
        for s in self.sessions:
            s.close()
