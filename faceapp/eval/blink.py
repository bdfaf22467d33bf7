"""Blink liveness over a whole video, offline: `faceapp eval-blink VIDEO` and the liveness tests.

Also makes the attack it must resist: a clip of a still photo held before the camera (sub-pixel
shake, slight zoom, sensor noise, JPEG re-compression), which must never show a blink.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np

from faceapp.config import ANTISPOOF, BLINK, BlinkConfig
from faceapp.live.liveness import Blink, BlinkDetector
from faceapp.live.sources import SourceStatus, VideoFileSource
from faceapp.types import EyeState


@dataclass(slots=True)
class BlinkReport:
    blinks: list[Blink]
    frames: int
    frames_with_face: int
    fps: float  # frames per media second (for turning blink times into frame numbers)
    timestamps: list[float]
    eyes: list[EyeState | None]
    # Anti-spoofing scores of the main face every AntiSpoofConfig.interval_s through the clip; the
    # live pipeline settles a track on the mean of its first AntiSpoofConfig.frames of them.
    passive: list[float] = field(default_factory=list)

    @property
    def passive_settled(self) -> float | None:
        first = self.passive[:ANTISPOOF.frames]
        return sum(first) / len(first) if len(first) == ANTISPOOF.frames else None

    @property
    def times(self) -> list[float]:
        return [b.time for b in self.blinks]

    def frame_of(self, t: float) -> int:
        return int(np.argmin(np.abs(np.asarray(self.timestamps) - t)))


def video_frames(path: str | os.PathLike) -> Iterator[tuple[np.ndarray, float]]:
    source = VideoFileSource(path)
    for frame in source.frames():
        yield frame.image, frame.timestamp
    if source.status == SourceStatus.FAILED:
        raise ValueError(source.message)


def analyze_blinks(frames: Iterable[tuple[np.ndarray, float]], engine, config: BlinkConfig = BLINK) -> BlinkReport:
    """Eye openness of the largest face in every frame, fed to one BlinkDetector; and its
    anti-spoofing score every AntiSpoofConfig.interval_s."""
    detector = BlinkDetector(config)
    eyes_series: list[EyeState | None] = []
    stamps: list[float] = []
    passive: list[float] = []
    last_passive = -np.inf
    with_face = 0
    for image, t in frames:
        faces = engine.analyze(image, mask=False, embed=False)
        main = max(faces, key=lambda f: f.detection.size) if faces else None
        eyes = main.eyes if main else None
        if main is not None and t - last_passive >= ANTISPOOF.interval_s:
            passive.append(float(engine.antispoof.score(image, main.box[None])[0]))
            last_passive = t
        with_face += eyes is not None
        detector.update(t, eyes)
        eyes_series.append(eyes)
        stamps.append(t)
    span = stamps[-1] - stamps[0] if len(stamps) > 1 else 0.0
    fps = (len(stamps) - 1) / span if span > 0 else 0.0
    return BlinkReport(detector.blinks, len(stamps), with_face, fps, stamps, eyes_series, passive)


def eval_blink(video_path: str | os.PathLike, engine, config: BlinkConfig = BLINK) -> list[float]:
    """Media times (s) of the blinks of the main face in a video."""
    return analyze_blinks(video_frames(video_path), engine, config).times


def still_photo_clip(
    image: np.ndarray, frames: int = 75, fps: float = 25.0, seed: int = 0, *, size: int = 640,
    shift_px: float = 1.5, scale: float = 0.01, noise: float = 3.0, jpeg: tuple[int, int] = (70, 95),
) -> Iterator[tuple[np.ndarray, float]]:
    """A photo 'filmed' by a camera (fitted into size x size, a webcam's resolution): per frame a
    random sub-pixel shift, a slight zoom and rotation, gaussian sensor noise and JPEG
    re-compression. A print held in a hand looks like this."""
    rng = np.random.default_rng(seed)
    if max(image.shape[:2]) > size:
        f = size / max(image.shape[:2])
        image = cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    h, w = image.shape[:2]
    for i in range(frames):
        m = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-0.5, 0.5), 1.0 + rng.uniform(-scale, scale))
        m[:, 2] += rng.uniform(-shift_px, shift_px, 2)
        out = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        out = np.clip(out.astype(np.float32) + rng.normal(0, noise, out.shape), 0, 255).astype(np.uint8)
        ok, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(*jpeg))])
        yield cv2.imdecode(data, cv2.IMREAD_COLOR), i / fps
