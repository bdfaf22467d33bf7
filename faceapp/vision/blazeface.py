"""BlazeFace short-range (MediaPipe face_detection_short_range) on onnxruntime.

The second detector: trained on selfie-distance faces, it keeps finding faces whose lower half is
covered (real masks), where MTCNN's cascade drops them (../shared/MODELS.md). The whole image is
letterboxed into the network's 128x128 input, so it sees faces larger than ~10% of the image side;
MTCNN stays the detector for small faces and for the landmarks.

Decoding follows MediaPipe's face_detection_short_range graph: SSD anchors on strides 8 (2 per
cell) and 16 (6 per cell), offsets scaled by 128, sigmoid scores, weighted NMS at IoU 0.3.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from faceapp.vision.boxes import overlap_matrix
from faceapp.vision.onnx_model import OnnxModel

INPUT = 128
_NMS_IOU = 0.3  # MediaPipe's min_suppression_threshold


def _anchors() -> np.ndarray:
    """(896, 2) anchor centres in 0..1: 16x16 cells x 2 anchors, then 8x8 cells x 6 anchors."""
    out = []
    for stride, per_cell in ((8, 2), (16, 6)):
        cells = INPUT // stride
        centre = (np.arange(cells, dtype=np.float32) + 0.5) / cells
        xs, ys = np.meshgrid(centre, centre)
        out.append(np.repeat(np.stack([xs.ravel(), ys.ravel()], axis=1), per_cell, axis=0))
    return np.concatenate(out)


_ANCHORS = _anchors()


@dataclass(slots=True)
class BlazeDetection:
    box: np.ndarray  # (4,) float32 x1 y1 x2 y2 in the image's pixels
    score: float
    keypoints: np.ndarray  # (6, 2): the subject's right eye, left eye, nose tip, mouth centre, right ear, left ear


class BlazeFace(OnnxModel):
    file, key = "blazeface.onnx", "blazeface"

    def detect(self, image_bgr: np.ndarray, threshold: float, *, mirrored: bool = True) -> list[BlazeDetection]:
        """Faces scoring at least `threshold`, best first; boxes may reach past the image edges.

        mirrored=True also runs the mirror image (in the same batch, ~1 ms more) and pools both
        views' candidates: a masked face often scores well in only one of them (on the masked-real
        close-ups, 150 of 155 reach 0.5 in the plain view, 153 in the better of the two).
        """
        return self.detect_at(image_bgr, (threshold,), mirrored=mirrored)[0]

    def detect_at(self, image_bgr: np.ndarray, thresholds: tuple[float, ...], *, mirrored: bool = True
                  ) -> list[list[BlazeDetection]]:
        """`detect` at several thresholds from one run of the network: each list is grouped on its
        own, so the faces at a threshold are the same as `detect` would find at it."""
        h, w = image_bgr.shape[:2]
        if h == 0 or w == 0:
            return [[] for _ in thresholds]
        scale = INPUT / max(h, w)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = cv2.resize(image_bgr, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        # Letterbox: centred, black borders (MediaPipe's keep_aspect_ratio with a zero border).
        x0, y0 = (INPUT - size[0]) // 2, (INPUT - size[1]) // 2
        canvas = np.zeros((INPUT, INPUT, 3), np.uint8)
        canvas[y0 : y0 + size[1], x0 : x0 + size[0]] = small
        views = np.stack([canvas, canvas[:, ::-1]] if mirrored else [canvas])
        x = views[..., ::-1].transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1.0
        reg, logit = self.run(x)
        view, anchor = np.nonzero(logit[..., 0] >= np.log(min(thresholds) / (1 - min(thresholds))))  # sigmoid >= it
        if not anchor.size:
            return [[] for _ in thresholds]
        reg, anchors = reg[view, anchor] / INPUT, _ANCHORS[anchor]
        score = 1.0 / (1.0 + np.exp(-logit[view, anchor, 0].astype(np.float64)))
        centre = reg[:, :2] + anchors
        half = reg[:, 2:4] / 2
        points = reg[:, 4:].reshape(-1, 6, 2) + anchors[:, None, :]
        flipped = view == 1  # back to the plain view: x -> 1 - x, and the subject's right/left swap
        centre[flipped, 0] = 1 - centre[flipped, 0]
        points[flipped, :, 0] = 1 - points[flipped, :, 0]
        points[flipped] = points[flipped][:, [1, 0, 2, 3, 5, 4]]
        boxes = np.concatenate([centre - half, centre + half], axis=1)
        back = np.array([x0, y0], np.float32)
        levels = []
        for threshold in thresholds:
            keep = np.nonzero(score >= threshold)[0]
            found = []
            for members in _weighted_groups(boxes[keep], score[keep]):
                members = keep[members]
                weight = (score[members] / score[members].sum())[:, None]
                box = (boxes[members] * weight).sum(0) * INPUT
                pts = (points[members] * weight[:, :, None]).sum(0) * INPUT
                found.append(BlazeDetection(
                    box=((box - np.tile(back, 2)) / scale).astype(np.float32),
                    score=float(score[members[0]]),
                    keypoints=((pts - back) / scale).astype(np.float32),
                ))
            levels.append(found)
        return levels


def _weighted_groups(boxes: np.ndarray, score: np.ndarray) -> list[np.ndarray]:
    """MediaPipe's weighted NMS: the best remaining box and every box overlapping it (IoU > 0.3)
    form one group, averaged by score; indices per group, best first."""
    order = np.argsort(-score, kind="stable")
    groups = []
    while order.size:
        near = overlap_matrix(boxes[order[0]], boxes[order])[0] > _NMS_IOU
        near[0] = True
        groups.append(order[near])
        order = order[~near]
    return groups
