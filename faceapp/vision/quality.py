"""Face quality measures for enrollment gates and for weighting a track's identity votes.

All measured on what the embedder sees (the aligned 112x112 crop) or from the five landmarks, so
the figures mean the same for a 4K photo and a webcam frame.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import cv2
import numpy as np

from faceapp.config import QUALITY, QualityConfig
from faceapp.reasons import Reason
from faceapp.types import Face


@dataclass(slots=True)
class FaceQuality:
    size: float  # face box side, px in the source image
    score: float  # detector confidence
    sharpness: float  # variance of the Laplacian of the aligned crop's gray
    yaw: float  # degrees, estimated from the nose offset between the eyes/mouth
    roll: float  # degrees, tilt of the eye line
    pitch: float  # nose height between eye line (0) and mouth line (1); ~0.5 frontal
    brightness: float  # mean gray of the crop's central face region, 0..255
    clipped: float  # share of that region's pixels at black or white

    def as_dict(self) -> dict:
        return {k: round(float(v), 3) for k, v in asdict(self).items()}


def pose(landmarks: np.ndarray) -> tuple[float, float, float]:
    """(yaw deg, roll deg, pitch ratio) from the five landmarks (eyes, nose, mouth corners)."""
    lm = np.asarray(landmarks, np.float64)
    eye_l, eye_r, nose, mouth_l, mouth_r = lm
    d = eye_r - eye_l
    roll = math.degrees(math.atan2(d[1], d[0]))
    # undo roll so that the eye line is horizontal, then read the nose against the face's midline
    c, s = math.cos(-math.radians(roll)), math.sin(-math.radians(roll))
    rot = np.array([[c, -s], [s, c]])
    p = (lm - lm[:2].mean(0)) @ rot.T
    eye_half = max(np.linalg.norm(d) / 2, 1e-6)
    mid_x = (p[0, 0] + p[1, 0] + p[3, 0] + p[4, 0]) / 4
    # the nose tip stands ~0.6 eye distances in front of the eyes: offset = 1.2 * half-distance * tan(yaw)
    yaw = math.degrees(math.atan((p[2, 0] - mid_x) / (1.2 * eye_half)))
    mouth_y = (p[3, 1] + p[4, 1]) / 2
    pitch = p[2, 1] / mouth_y if mouth_y > 1e-6 else 0.0
    return yaw, roll, float(pitch)


def sharpness(aligned: np.ndarray) -> float:
    gray = cv2.cvtColor(aligned, cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def exposure(aligned: np.ndarray) -> tuple[float, float]:
    """(mean gray, clipped share) over the inner face (eyes to mouth), not the background or hair."""
    gray = cv2.cvtColor(aligned, cv2.COLOR_BGR2GRAY)
    h, w = gray.shape
    inner = gray[int(0.35 * h):int(0.9 * h), int(0.2 * w):int(0.8 * w)]
    clipped = float(np.mean((inner <= 5) | (inner >= 250)))
    return float(inner.mean()), clipped


def assess(face: Face) -> FaceQuality:
    yaw, roll, pitch = pose(face.detection.landmarks)
    brightness, clipped = exposure(face.aligned)
    return FaceQuality(
        size=face.detection.size, score=float(face.detection.score), sharpness=sharpness(face.aligned),
        yaw=yaw, roll=roll, pitch=pitch, brightness=brightness, clipped=clipped,
    )


def problems(q: FaceQuality, config: QualityConfig = QUALITY) -> list[Reason]:
    """Reasons this face is not good enough to enroll, as codes with their figures; empty when it passes."""
    c = config
    out = []
    if q.size < c.min_face_size:
        out.append(Reason("too_small", {"size": q.size, "need": c.min_face_size}))
    if q.score < c.min_score:
        out.append(Reason("unsure", {"score": q.score, "need": c.min_score}))
    if q.sharpness < c.min_sharpness:
        out.append(Reason("blurred", {"sharpness": q.sharpness, "need": c.min_sharpness}))
    if abs(q.yaw) > c.max_yaw_deg:
        out.append(Reason("turned", {"yaw": q.yaw, "limit": c.max_yaw_deg}))
    if abs(q.roll) > c.max_roll_deg:
        out.append(Reason("tilted", {"roll": q.roll, "limit": c.max_roll_deg}))
    if not c.pitch_range[0] <= q.pitch <= c.pitch_range[1]:
        out.append(Reason("pitched", {"pitch": q.pitch}))
    if q.brightness < c.brightness_range[0]:
        out.append(Reason("too_dark", {"brightness": q.brightness}))
    elif q.brightness > c.brightness_range[1]:
        out.append(Reason("too_bright", {"brightness": q.brightness}))
    if q.clipped > c.max_clipped:
        out.append(Reason("clipped", {"clipped": q.clipped}))
    return out
