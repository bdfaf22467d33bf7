"""MTCNN face detection (boxes + five landmarks) on onnxruntime, numpy and OpenCV.

A re-implementation of facenet-pytorch 2.6.0's `detect_face` for its converted nets
(trainer/build/mtcnn.py), kept faithful to it so that boxes and landmarks agree with the reference:

- input RGB, (x - 127.5) / 128, NCHW with rows = image rows (facenet-pytorch converted the Caffe
  weights so that no H/W transpose of the image is needed; the only transpose, before RNet/ONet's
  dense layers, lives inside the ONNX graphs);
- every resize (pyramid levels and the 24/48 px crops) is torch's `interpolate(mode="area")`, i.e.
  adaptive average pooling; it is computed exactly from an integral image, which is also much
  faster than cv2.INTER_AREA at the pyramid's non-integer scales;
- crops are the in-image part of each square box, stretched to 24/48 px (facenet-pytorch's
  padding), NMS rules per stage as facenet-pytorch (torchvision IoU for P/R, "min" overlap with +1
  pixel areas for O).
"""

from __future__ import annotations

import cv2
import numpy as np

from faceapp.config import DETECTOR, DetectorConfig
from faceapp.vision.boxes import overlap_matrix
from faceapp.vision.imageio import to_bgr8
from faceapp.vision.onnx_model import OnnxModel
from faceapp.types import Detection

_SCALE = np.float32(0.0078125)  # MTCNN input scaling: (x - 127.5) / 128
_SHIFT = np.float32(127.5 * 0.0078125)
_NMS_BLOCK = 256  # boxes per overlap matrix in nms()


class _PNet(OnnxModel):
    file, key = "pnet.onnx", "pnet"


class _RNet(OnnxModel):
    file, key = "rnet.onnx", "rnet"


class _ONet(OnnxModel):
    file, key = "onet.onnx", "onet"


class _IntegralImage:
    """Integral image of a BGR image: any adaptive-average-pooled rectangle in four gathers."""

    def __init__(self, image_bgr: np.ndarray):
        self.stride = image_bgr.shape[1] + 1
        # int32 is exact while h * w * 255 < 2**31, guaranteed by DetectorConfig.max_image_side.
        self.sums = cv2.integral(image_bgr, sdepth=cv2.CV_32S).reshape(-1, 3)  # ((h+1) * (w+1), BGR)

    def pool(self, y0: np.ndarray, y1: np.ndarray, x0: np.ndarray, x1: np.ndarray, oh: int, ow: int) -> np.ndarray:
        """Rectangles [y0, y1) x [x0, x1) (int arrays, N) pooled to (N, 3, oh, ow) RGB, MTCNN-normalised.

        Output cell i of an n-pixel span covers [floor(i n / o), ceil((i + 1) n / o)): the windows of
        torch's adaptive_avg_pool2d, which is what interpolate(mode="area") computes.
        """
        rs, re = _windows(y0, y1, oh)
        cs, ce = _windows(x0, x1, ow)
        count = ((re - rs)[:, :, None] * (ce - cs)[:, None, :]).astype(np.float32)
        rs, re = rs[:, :, None] * self.stride, re[:, :, None] * self.stride
        cs, ce = cs[:, None, :], ce[:, None, :]
        total = np.take(self.sums, re + ce, axis=0)  # (N, oh, ow, 3); take() beats fancy indexing
        total -= np.take(self.sums, rs + ce, axis=0)
        total -= np.take(self.sums, re + cs, axis=0)
        total += np.take(self.sums, rs + cs, axis=0)
        out = np.empty((len(y0), 3, oh, ow), np.float32)
        out[:] = total.transpose(0, 3, 1, 2)[:, ::-1]  # NHWC BGR -> NCHW RGB
        out *= (_SCALE / count)[:, None]
        out -= _SHIFT
        return out


def _windows(start: np.ndarray, stop: np.ndarray, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Adaptive-pooling windows (N, n_out) over spans [start, stop)."""
    n_in = (stop - start)[:, None]
    i = np.arange(n_out)[None, :]
    return start[:, None] + (i * n_in) // n_out, start[:, None] - ((-(i + 1) * n_in) // n_out)


def nms(
    boxes: np.ndarray, scores: np.ndarray, threshold: float, *, min_mode: bool = False, offset: float = 0.0
) -> np.ndarray:
    """Greedy non-maximum suppression; indices kept, best score first.

    Overlap is IoU, or intersection over the smaller area with min_mode; a box is dropped when its
    overlap with a kept one exceeds threshold. offset=1 counts areas in whole pixels (x2 - x1 + 1).
    Equal scores (saturated probabilities are common) are ordered as the reference does: first box
    first (torchvision's stable sort), but last first in min mode (facenet-pytorch's numpy NMS
    reads an ascending argsort from the end).
    Works in blocks of the sorted boxes: one overlap matrix per block against itself and against
    the boxes kept so far, so the Python loop only tests booleans and memory stays O(n * block).
    """
    order = np.argsort(scores)[::-1] if min_mode else np.argsort(-scores, kind="stable")
    boxes = boxes[order, :4]
    kept: list[int] = []
    for start in range(0, len(boxes), _NMS_BLOCK):
        block = boxes[start : start + _NMS_BLOCK]
        alive = np.ones(len(block), bool)
        if kept:
            alive &= ~(overlap_matrix(boxes[kept], block, min_mode=min_mode, offset=offset) > threshold).any(axis=0)
        suppresses = overlap_matrix(block, block, min_mode=min_mode, offset=offset) > threshold
        for j in range(len(block)):
            if alive[j]:
                kept.append(start + j)
                alive[j + 1 :] &= ~suppresses[j, j + 1 :]
    return order[kept]


def _square(boxes: np.ndarray) -> np.ndarray:
    """Boxes (N, 4) grown to squares around the same centre (MTCNN's rerec)."""
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    side = np.maximum(w, h)
    x1 = boxes[:, 0] + w * 0.5 - side * 0.5
    y1 = boxes[:, 1] + h * 0.5 - side * 0.5
    return np.stack([x1, y1, x1 + side, y1 + side], axis=1)


def _regress(boxes: np.ndarray, reg: np.ndarray) -> np.ndarray:
    """Apply R/O-net box regression (offsets in units of the box's pixel size, +1 convention)."""
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    return boxes + reg * np.stack([w, h, w, h], axis=1)


def pyramid_scales(height: int, width: int, min_face_size: float, factor: float) -> list[float]:
    """Scales at which PNet's 12 px window sees faces from min_face_size up to the whole image."""
    scale = 12.0 / min_face_size
    side = min(height, width) * scale
    scales = []
    while side >= 12:
        scales.append(scale)
        scale *= factor
        side *= factor
    return scales


class Detector:
    """MTCNN: PNet over an image pyramid, then RNet and ONet on the candidate crops."""

    def __init__(self, config: DetectorConfig = DETECTOR):
        self.config = config
        self.pnet, self.rnet, self.onet = _PNet(), _RNet(), _ONet()

    def detect(self, image_bgr: np.ndarray, *, min_face_size: float | None = None) -> list[Detection]:
        """Faces in a BGR uint8 image, largest first. Boxes may reach past the image edges."""
        cfg = self.config
        if image_bgr.size == 0:
            return []
        image = self._working_image(image_bgr)
        h, w = image.shape[:2]
        back = np.array([image_bgr.shape[1] / w, image_bgr.shape[0] / h], np.float32)  # to caller's pixels
        scales = pyramid_scales(h, w, (min_face_size or cfg.min_face_size) / back.max(), cfg.scale_factor)
        if not scales:
            return []
        integral = _IntegralImage(image)
        boxes = self._propose(integral, h, w, scales)
        if len(boxes):
            boxes = self._refine(integral, h, w, boxes)
        if not len(boxes):
            return []
        boxes, scores, points = self._output(integral, h, w, boxes)
        boxes, points = boxes * np.tile(back, 2), points * back
        sides = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        return [
            Detection(box=boxes[i].astype(np.float32), score=float(scores[i]), landmarks=points[i].astype(np.float32))
            for i in np.argsort(-sides, kind="stable")
        ]

    def landmarks_in(self, image_bgr: np.ndarray, boxes: np.ndarray, passes: int = 2) -> list[Detection | None]:
        """ONet alone on face boxes (N, 4) found by another detector, in the caller's pixels: per box
        (None where it lies outside the image) ONet's regressed box, face probability and landmarks.

        Each pass squares the box and hands ONet's regressed box to the next: two passes bring a
        BlazeFace box to where MTCNN's own cascade would have put it (landmarks within a median 5%
        of the eye distance of MTCNN's on faces both detectors find, 15% at the 90th percentile).
        """
        image = self._working_image(image_bgr)
        h, w = image.shape[:2]
        back = np.array([image_bgr.shape[1] / w, image_bgr.shape[0] / h], np.float32)
        integral = _IntegralImage(image)
        current = np.asarray(boxes, np.float32).reshape(-1, 4) / np.tile(back, 2)
        index = np.arange(len(current))
        for _ in range(passes):
            current, scores, points, valid = self._onet(integral, h, w, _square(current))
            index = index[valid]
        out: list[Detection | None] = [None] * len(boxes)
        for k, i in enumerate(index):
            out[i] = Detection(box=(current[k] * np.tile(back, 2)).astype(np.float32), score=float(scores[k]),
                               landmarks=(points[k] * back).astype(np.float32))
        return out

    def _working_image(self, image: np.ndarray) -> np.ndarray:
        """Contiguous BGR uint8, shrunk to max_image_side."""
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            image = to_bgr8(image)
        long_side = max(image.shape[:2])
        if long_side <= self.config.max_image_side:
            return np.ascontiguousarray(image)
        scale = self.config.max_image_side / long_side
        size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
        return cv2.resize(image, size, interpolation=cv2.INTER_AREA)

    def _propose(self, integral: _IntegralImage, h: int, w: int, scales: list[float]) -> np.ndarray:
        """Stage 1: PNet candidates (N, 5) x1 y1 x2 y2 score, regressed and squared."""
        cfg = self.config
        zero, full_h, full_w = np.zeros(1, np.intp), np.array([h]), np.array([w])
        found = []
        for scale in scales:
            level = integral.pool(zero, full_h, zero, full_w, int(h * scale + 1), int(w * scale + 1))
            reg, prob = self.pnet.run(level)
            ys, xs = np.nonzero(prob[0, 1] >= cfg.thresholds[0])
            if not ys.size:
                continue
            # Cell (x, y) sees the 12x12 window at (2x, 2y) of this level; float32 as torch does it.
            cell = np.stack([xs, ys, xs, ys], axis=1).astype(np.float32) * 2
            cell[:, :2] += 1
            cell[:, 2:] += 12
            cand = np.empty((ys.size, 9), np.float32)
            cand[:, :4] = np.floor(cell / np.float32(scale))
            cand[:, 4] = prob[0, 1, ys, xs]
            cand[:, 5:] = reg[0][:, ys, xs].T
            found.append(cand[nms(cand[:, :4], cand[:, 4], cfg.nms_pnet_scale)])
        if not found:
            return np.zeros((0, 5), np.float32)
        cand = np.concatenate(found)
        cand = cand[nms(cand[:, :4], cand[:, 4], cfg.nms_pnet_all)]
        size = cand[:, 2:4] - cand[:, 0:2]  # PNet's regression is in units of w, h without +1
        boxes = cand[:, :4] + cand[:, 5:9] * np.concatenate([size, size], axis=1)
        return np.concatenate([_square(boxes), cand[:, 4:5]], axis=1)

    def _crops(
        self, integral: _IntegralImage, h: int, w: int, boxes: np.ndarray, size: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """(crops (M, 3, size, size), indices of the M boxes with a non-empty in-image part)."""
        b = np.trunc(boxes[:, :4]).astype(np.intp)  # facenet-pytorch's pad(): truncate, clamp
        x0 = np.maximum(b[:, 0], 1) - 1
        y0 = np.maximum(b[:, 1], 1) - 1
        x1 = np.minimum(b[:, 2], w)
        y1 = np.minimum(b[:, 3], h)
        valid = np.flatnonzero((x1 > x0) & (y1 > y0))
        return integral.pool(y0[valid], y1[valid], x0[valid], x1[valid], size, size), valid

    def _refine(self, integral: _IntegralImage, h: int, w: int, boxes: np.ndarray) -> np.ndarray:
        """Stage 2: RNet rescoring, NMS, regression, squaring."""
        cfg = self.config
        crops, valid = self._crops(integral, h, w, boxes, 24)
        if not valid.size:
            return boxes[:0]
        reg, prob = self.rnet.run(crops)
        passed = prob[:, 1] > cfg.thresholds[1]
        boxes, reg, score = boxes[valid[passed], :4], reg[passed], prob[passed, 1]
        keep = nms(boxes, score, cfg.nms_rnet)
        return np.concatenate([_square(_regress(boxes[keep], reg[keep])), score[keep, None]], axis=1)

    def _output(
        self, integral: _IntegralImage, h: int, w: int, boxes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stage 3: boxes (N, 4), scores (N,), landmarks (N, 5, 2) from ONet; final min-overlap NMS."""
        cfg = self.config
        boxes, score, points, _ = self._onet(integral, h, w, boxes)
        passed = score > cfg.thresholds[2]
        boxes, score, points = boxes[passed], score[passed], points[passed]
        keep = nms(boxes, score, cfg.nms_onet, min_mode=True, offset=1.0)
        return boxes[keep], score[keep], points[keep]

    def _onet(
        self, integral: _IntegralImage, h: int, w: int, boxes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """ONet on square boxes: regressed boxes, scores and landmarks of the boxes with an in-image
        part, and those boxes' indices."""
        crops, valid = self._crops(integral, h, w, boxes, 48)
        if not valid.size:
            return np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros((0, 5, 2), np.float32), valid
        reg, marks, prob = self.onet.run(crops)
        boxes = boxes[valid, :4]
        # Landmarks are fractions of the (+1) box size, relative to its corner minus one pixel.
        wh = boxes[:, 2:4] - boxes[:, 0:2] + 1
        points = np.stack([marks[:, :5], marks[:, 5:]], axis=2) * wh[:, None, :] + (boxes[:, None, 0:2] - 1)
        return _regress(boxes, reg), prob[:, 1], points, valid
