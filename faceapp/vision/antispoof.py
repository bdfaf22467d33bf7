"""Passive anti-spoofing: is this face a live person, or a photo or screen held up to the camera?

Two MiniFASNet models (Silent-Face, trainer/build/minifasnet.py) look at the face with context
around it: V2 at 2.7x the face box, V1SE at 4.0x, each crop resized to 80x80 BGR 0..255 unscaled.
Each gives a 3-way softmax (class 1 = real, 0 and 2 = attack kinds); the score is the two models'
mean class-1 probability. Context matters: the crops take in the bezel of a phone, the edge of a
print, moiré and the lighting around the face, which the aligned 112x112 crop never sees.

The models were trained on a different detector's boxes; AntiSpoofConfig.box_scale maps ours onto
that convention (its reason and the measurement are in faceapp/config.py).
"""

from __future__ import annotations

import cv2
import numpy as np

from faceapp.config import ANTISPOOF, AntiSpoofConfig
from faceapp.vision.boxes import centre
from faceapp.vision.onnx_model import OnnxModel

INPUT = 80


def context_box(shape: tuple[int, ...], box: np.ndarray, scale: float) -> tuple[int, int, int, int]:
    """The face box enlarged `scale` times about its centre, shifted (never shrunk unless it is bigger
    than the image) to lie inside an image of `shape`: Silent-Face's crop, as the models saw it in
    training. Returns integer x1, y1, x2, y2 (exclusive)."""
    h, w = shape[:2]
    bw, bh = float(box[2] - box[0]), float(box[3] - box[1])
    if bw <= 0 or bh <= 0:
        raise ValueError(f"empty face box {box.tolist()}")
    scale = min(scale, (h - 1) / bh, (w - 1) / bw)
    cx, cy = centre(box)
    half_w, half_h = bw * scale / 2, bh * scale / 2
    x1 = min(max(cx - half_w, 0.0), w - 1 - 2 * half_w)
    y1 = min(max(cy - half_h, 0.0), h - 1 - 2 * half_h)
    return int(x1), int(y1), int(x1 + 2 * half_w) + 1, int(y1 + 2 * half_h) + 1


class MiniFASNet(OnnxModel):
    key = "antispoof"

    def __init__(self, file: str, crop_scale: float, threads: int | None = None):
        self.file, self.crop_scale = file, crop_scale
        super().__init__(threads=threads)

    def crop(self, image_bgr: np.ndarray, box: np.ndarray) -> np.ndarray:
        x1, y1, x2, y2 = context_box(image_bgr.shape, box, self.crop_scale)
        return cv2.resize(image_bgr[y1:y2, x1:x2], (INPUT, INPUT), interpolation=cv2.INTER_LINEAR)

    def real_probability(self, image_bgr: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        crops = np.stack([self.crop(image_bgr, b) for b in boxes]).transpose(0, 3, 1, 2)
        logits = self.run(crops)[0]
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (e[:, 1] / e.sum(axis=1)).astype(np.float32)


class AntiSpoof:
    """`score(frame, boxes)`: per face box (our detector's), the probability that the face is real."""

    def __init__(self, config: AntiSpoofConfig = ANTISPOOF, threads: int | None = None):
        self.config = config
        self.models = [MiniFASNet("minifasnet_v2.onnx", 2.7, threads), MiniFASNet("minifasnet_v1se.onnx", 4.0, threads)]

    def model_boxes(self, boxes: np.ndarray) -> np.ndarray:
        """Our boxes rescaled about their centre to the size the models' detector would have drawn."""
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        centre = (boxes[:, :2] + boxes[:, 2:]) / 2
        half = (boxes[:, 2:] - boxes[:, :2]) / 2 * self.config.box_scale
        return np.concatenate([centre - half, centre + half], axis=1)

    def score(self, image_bgr: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """(N,) float32 in 0..1 for (N, 4) boxes x1 y1 x2 y2 in image_bgr's pixels (uint8 BGR)."""
        boxes = self.model_boxes(boxes)
        if len(boxes) == 0:
            return np.zeros(0, np.float32)
        return np.mean([m.real_probability(image_bgr, boxes) for m in self.models], axis=0).astype(np.float32)

    def is_real(self, score: float) -> bool:
        return score >= self.config.threshold
