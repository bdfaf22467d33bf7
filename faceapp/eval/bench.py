"""`faceapp bench`: per-stage latency of the live path and a comparison with facenet-pytorch's MTCNN."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import cv2
import numpy as np

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
    per_stage: dict[str, list[float]] = {}
    totals = []
    faces_found = []
    for i, data in enumerate(frames):
        timer = StageTimer()
        t0 = time.perf_counter()
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        timer.add("decode", t0)
        faces = engine.analyze(image, timer=timer)
        total = (time.perf_counter() - t0) * 1000
        if i < warmup:
            continue
        faces_found.append(len(faces))
        totals.append(total)
        for stage, ms in timer.ms.items():
            per_stage.setdefault(stage, []).append(ms)
    median_total = _median(totals)
    return {
        "frames": len(totals),
        "size": f"{BENCH_SIZE[0]}x{BENCH_SIZE[1]}",
        "faces_per_frame": _median(faces_found),
        "median_ms": {k: round(_median(v), 2) for k, v in per_stage.items()},
        "median_total_ms": round(median_total, 2),
        "fps": round(1000.0 / median_total, 1) if median_total else None,
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


def bench_live(engine: Engine, frames: list[bytes], fps: float = 25.0, warmup: int = 10) -> dict:
    """The live pipeline as the kiosk runs it (tracking, detection around known faces between
    whole-frame detections, embedding only until identity settles), with one person enrolled from
    the first frame so recognition really runs. Frames are stamped as a `fps` camera would."""
    import tempfile

    from faceapp.storage.gallery import Gallery, Sample
    from faceapp.live.pipeline import LivePipeline

    with tempfile.TemporaryDirectory() as tmp, Gallery(f"{tmp}/bench.db") as gallery:
        first = cv2.imdecode(np.frombuffer(frames[0], np.uint8), cv2.IMREAD_COLOR)
        faces = engine.analyze(first, eyes=False, mask=False)
        if faces:
            from faceapp.recognition.recognizer import embedder_version

            version = embedder_version(gallery, engine.embedder)
            gallery.add_person("Bench Person", samples=[Sample(crop=faces[0].aligned)],
                               embeddings=faces[0].embedding[None], model_version=version)
        pipeline = LivePipeline(engine, gallery, log_events=False)
        totals = []
        for i, data in enumerate(frames):
            t0 = time.perf_counter()
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            pipeline.process(image, i / fps)
            if i >= warmup:
                totals.append((time.perf_counter() - t0) * 1000)
    median_total = _median(totals)
    return {"frames": len(totals), "median_ms": round(median_total, 2),
            "p90_ms": round(float(np.percentile(totals, 90)), 2), "fps": round(1000.0 / median_total, 1)}
