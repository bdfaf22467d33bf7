"""Box maths for x1, y1, x2, y2 face boxes: overlap (IoU, or intersection over the smaller box),
size, centres and containment. One place for it, used by detection NMS, the face finder and the tracker."""

import numpy as np


def overlap_matrix(a: np.ndarray, b: np.ndarray, *, min_mode: bool = False, offset: float = 0.0) -> np.ndarray:
    """Pairwise overlap (len(a), len(b)) of two sets of boxes: IoU, or intersection over the smaller
    area with min_mode; 0 where the boxes have no area. offset=1 counts areas in whole pixels
    (x2 - x1 + 1), as MTCNN's reference NMS does."""
    a, b = np.atleast_2d(a)[:, :4], np.atleast_2d(b)[:, :4]
    iw = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]) + offset
    ih = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]) + offset
    inter = np.maximum(iw, 0) * np.maximum(ih, 0)
    area_a = (a[:, 2] - a[:, 0] + offset) * (a[:, 3] - a[:, 1] + offset)
    area_b = (b[:, 2] - b[:, 0] + offset) * (b[:, 3] - b[:, 1] + offset)
    if min_mode:
        denom = np.minimum(area_a[:, None], area_b[None, :])
    else:
        denom = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, denom, out=np.zeros(inter.shape, np.result_type(inter, denom)), where=denom > 0)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boxes."""
    return float(overlap_matrix(a, b)[0, 0])


def over_smaller(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection of two boxes over the smaller one's area: 1 when one lies inside the other."""
    return float(overlap_matrix(a, b, min_mode=True)[0, 0])


def side(box: np.ndarray) -> float:
    """The side of a box's square of equal area (geometric mean of width and height): a face's size."""
    return float(np.sqrt(max(box[2] - box[0], 0.0) * max(box[3] - box[1], 0.0)))


def centre(box: np.ndarray) -> tuple[float, float]:
    return float(box[0] + box[2]) / 2, float(box[1] + box[3]) / 2


def contains(box: np.ndarray, point: tuple[float, float]) -> bool:
    """Whether a point lies in a box (edges included)."""
    return bool(box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3])
