"""`faceapp bench`: throughput and per-frame latency of the live path, per-stage latency, and a comparison
with facenet-pytorch's MTCNN."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from faceapp.config import SOURCES
from faceapp.live.session import Processed, Speed
from faceapp.live.sources import Frame, FrameSource, SourceStatus, VideoFileSource
from faceapp.vision.engine import Engine, StageTimer

BENCH_SIZE = (640, 480)
DEFAULT_VIDEO = Path(__file__).resolve().parents[3] / "shared" / "data" / "videos" / "fi_protagonist.mp4"


def _median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def read_frames(source: str | Path, count: int) -> list[bytes]:
    """Frames of a video, resized to 640x480 and JPEG-encoded, so 'decode' is timed like a camera's MJPEG."""
    cap = cv2.VideoCapture(str(source))
    if not cap.isOpened():
        raise ValueError(f"cannot open video {source}")
    frames = []
    while len(frames) < count:
        ok, frame = cap.read()
        if not ok:
            break
        frame = cv2.resize(frame, BENCH_SIZE, interpolation=cv2.INTER_AREA)
        frames.append(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes())
    cap.release()
    if not frames:
        raise ValueError(f"no frames could be read from {source}")
    return frames


def bench_pipeline(engine: Engine, frames: list[bytes], warmup: int = 5) -> dict:
    """Every stage on every frame (no tracking): where the time of a whole-frame analysis goes."""
    per_stage: dict[str, list[float]] = {}
    speed = Speed()
    faces_found = []
    for i, data in enumerate(frames):
        timer = StageTimer()
        t0 = time.perf_counter()
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        timer.add("decode", t0)
        faces = engine.analyze(image, timer=timer)
        if faces:  # the passive photo/screen check, which the live loop runs on a few frames per face
            t = time.perf_counter()
            engine.antispoof.score(image, np.stack([f.box for f in faces]))
            timer.add("antispoof", t)
        if i < warmup:
            continue
        speed.add(t0, (time.perf_counter() - t0) * 1000)
        faces_found.append(len(faces))
        for stage, ms in timer.ms.items():
            per_stage.setdefault(stage, []).append(ms)
    return {
        "size": f"{BENCH_SIZE[0]}x{BENCH_SIZE[1]}",
        "faces_per_frame": _median(faces_found),
        "stage_median_ms": {k: round(_median(v), 2) for k, v in per_stage.items()},
        **speed.summary(),
    }


def bench_reference_mtcnn(frames: list[bytes], threads: int = 2, warmup: int = 3) -> dict | None:
    """facenet-pytorch's own MTCNN in torch on the same frames, or None where torch is absent."""
    try:
        import torch

        from trainer.build.reference_mtcnn import reference_detect
    except Exception as exc:  # torch is an optional extra
        return {"skipped": f"torch reference unavailable: {exc}"}
    torch.set_num_threads(threads)
    times = []
    for i, data in enumerate(frames):
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        t0 = time.perf_counter()
        reference_detect(image)
        if i >= warmup:
            times.append((time.perf_counter() - t0) * 1000)
    return {"torch_threads": threads, "median_detect_ms": round(_median(times), 2)}


def bench_live(engine: Engine, source: str | Path, max_frames: int | None = None, liveness: str | None = None) -> dict:
    """The live pipeline as `faceapp run` runs it (the same LiveSession: tracking, detection around
    known faces between whole-frame detections, embedding only until identity settles) over the
    whole clip read from its file as fast as it goes, decoding included, with one person enrolled
    from the first frame so recognition really runs. liveness: the liveness mode (default: the
    settings' default)."""
    import tempfile

    from faceapp.live.pipeline import LivePipeline
    from faceapp.live.session import LiveSession
    from faceapp.live.sources import open_source
    from faceapp.recognition.recognizer import embedder_version
    from faceapp.storage.gallery import Gallery, Sample

    with tempfile.TemporaryDirectory() as tmp, Gallery(f"{tmp}/bench.db") as gallery:
        with open_source(source) as first_frames:
            first = next(first_frames.frames(), None)
        if first is None:
            raise ValueError(f"no frames could be read from {source}")
        faces = engine.analyze(first.image, eyes=False, mask=False)
        if faces:
            gallery.add_person("Bench Person", samples=[Sample(crop=faces[0].aligned)],
                               embeddings=faces[0].embedding[None],
                               model_version=embedder_version(gallery, engine.embedder))
        session = LiveSession(lambda actions: LivePipeline(engine, gallery, log_events=False, liveness=liveness),
                              source=str(source), door=False)
        cpu = time.process_time()
        ran: dict[str, int] = {}  # frames each stage ran in: what the live pipeline's skipping saves
        try:
            for update in session.run(max_frames):
                if isinstance(update, Processed) and update.result is not None:
                    for stage in update.result.timings_ms:
                        ran[stage] = ran.get(stage, 0) + 1
        finally:
            session.close()
        cpu = time.process_time() - cpu
    height, width = first.image.shape[:2]
    speed = session.speed.summary()
    # CPU seconds per frame (all threads): on a shared, loaded machine the wall-clock throughput
    # swings by a third between identical runs, CPU time much less.
    cpu_ms = round(1000 * cpu / speed["frames"], 2) if speed.get("frames") else None
    return {"source": str(source), "size": f"{width}x{height}", "liveness": liveness or "default",
            "cpu_ms_per_frame": cpu_ms, **speed, "stage_frames": ran}


class CameraClip(FrameSource):
    """A clip standing in for a live 640x480 MJPEG camera, for `bench_cameras`: its frames are read
    once into memory as JPEG (read_frames), then come due on the wall clock at the clip's frame rate
    from the first read, looping until `seconds` of frames were due. A reader that falls behind gets
    the newest due frame, as from a camera, and the frames it missed count as dropped (costing
    nothing, as a camera's do); one that is ahead waits for the next frame. clocked=False hands every
    frame at once instead (no clock, nothing dropped): what the cameras could take at most."""

    live = False  # a file: never reconnected

    def __init__(self, path: str | Path, seconds: float, max_frames: int = 1000, clocked: bool = True):
        super().__init__(str(path))
        cap = cv2.VideoCapture(str(path))
        self.fps = (cap.get(cv2.CAP_PROP_FPS) if cap.isOpened() else 0.0) or SOURCES.assumed_fps
        cap.release()
        self.jpegs = read_frames(path, max_frames)
        self.seconds, self.dropped, self.clocked = seconds, 0, clocked
        self._due_total = round(seconds * self.fps)
        self._start: float | None = None
        self.status = SourceStatus.OK

    def read(self) -> Frame | None:
        if self.status != SourceStatus.OK:
            return None
        if self._start is None:
            self._start = time.perf_counter()
        if self.clocked:
            wait = self._start + self.index / self.fps - time.perf_counter()
            if wait > 0:
                time.sleep(wait)  # ahead of the camera: its next frame is not taken yet
            newest = int((time.perf_counter() - self._start) * self.fps)  # the frame a camera shows now
            skipped = max(min(newest, self._due_total) - self.index, 0)
            self.index += skipped
            self.dropped += skipped
        if self.index >= self._due_total:
            self._set(SourceStatus.ENDED, f"{self.target}: {self.index} frames due in {self.seconds:g} s")
            return None
        jpeg = self.jpegs[self.index % len(self.jpegs)]
        frame = Frame(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR), self.index / self.fps, self.index)
        self.index += 1
        return frame


def bench_cameras(engine: Engine, clips: list[str | Path], seconds: float = 15.0, threaded: bool = True,
                  clocked: bool = True) -> dict:
    """Several cameras on one PC as `faceapp run` runs them (faceapp.live.multi): one session per
    clip, each clip standing in for a live camera (CameraClip: frames due at the clip's rate, late
    ones dropped), with every check on (blink liveness, mask check, embedding, attendance and events
    logged to a gallery with the clips' first faces enrolled), sharing one Engine and one search
    index. Per camera: frames handled / wall seconds, and dropped frames. clocked=False: every frame
    of `seconds` of each clip as fast as it goes (CameraClip)."""
    import tempfile

    from faceapp.live.multi import MultiSession
    from faceapp.live.pipeline import LivePipeline
    from faceapp.recognition.recognizer import embedder_version
    from faceapp.settings import Camera
    from faceapp.storage.gallery import Gallery, Sample

    sources = [CameraClip(clip, seconds, clocked=clocked) for clip in clips]
    # camera i is source i: the same clip may stand in for two cameras
    cameras = [Camera(i, f"Door {i // 2 + 1}", ("in", "out")[i % 2]) for i in range(len(clips))]
    with tempfile.TemporaryDirectory() as tmp, Gallery(f"{tmp}/bench.db") as gallery:
        version = embedder_version(gallery, engine.embedder)
        for i, clip in enumerate(clips):
            with VideoFileSource(clip) as first_frames:
                first = next(first_frames.frames(), None)
            if first is None:
                raise ValueError(f"no frames could be read from {clip}")
            for k, face in enumerate(engine.analyze(first.image, eyes=False, mask=False)):
                gallery.add_person(f"Bench {i}.{k}", samples=[Sample(crop=face.aligned)],
                                   embeddings=face.embedding[None], model_version=version)
        searches: dict = {}
        multi = MultiSession(cameras, lambda cam, actions: LivePipeline(engine, gallery, camera=cam, searches=searches),
                             threaded=threaded, door=False,
                             open_source=sources.__getitem__)
        events = [0] * len(clips)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        try:
            for item in multi.run():
                result = getattr(item.update, "result", None)
                events[item.camera] += len(result.events) if result is not None else 0
        finally:
            multi.close()
        cpu_s, wall_s = time.process_time() - cpu0, time.perf_counter() - wall0
    frames = sum(session.speed.summary()["frames"] for session in multi.sessions)
    return {
        "mode": ("threads" if threaded else "interleaved") + ("" if clocked else ", every frame, no clock"),
        "seconds_per_camera": seconds,
        # What the run got of the machine, and what a frame costs in CPU whatever the load: on a
        # shared machine throughput says how loaded it was, CPU time per frame what an idle one does.
        "cpu_cores_used": round(cpu_s / wall_s, 2),
        "cpu_ms_per_frame": round(cpu_s * 1000 / frames, 1) if frames else None,
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "cameras": [
            {"source": str(clip), "fps_offered": round(src.fps, 2), "frames_due": src.index,
             "dropped": src.dropped, "events": n, **session.speed.summary()}
            for clip, src, session, n in zip(clips, sources, multi.sessions, events)
        ],
    }
