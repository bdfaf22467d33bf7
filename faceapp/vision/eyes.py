"""Eye openness for blink liveness: MediaPipe's iris-landmark model on two eye crops.

The crops are placed from the detector's two eye points (config.EYE_CROP), not from a face mesh:
on the blink clip that read blinks as well as face-mesh eye corners did and saves the mesh run.
The model sees one 64x64 RGB eye in [0, 1] and returns 71 eye-contour points (0: outer corner,
1-7: lower lid, 8: inner corner, 9-15: upper lid, then halo rings and brow) and 5 iris points.
It was trained on the eye that appears on the image's left, so the other eye is fed mirrored.
"""

from __future__ import annotations

import cv2
import numpy as np

from faceapp.config import EYE_CROP, EyeCropConfig
from faceapp.vision.onnx_model import OnnxModel
from faceapp.types import Detection, EyeState

CROP_SIZE = 64
# Central lid pairs (upper-lid point, lower-lid point) of the contour: the three points over the
# iris. Lid ends converge on the corners and add nothing but noise.
_UPPER = np.array([11, 12, 13])
_LOWER = np.array([3, 4, 5])


def eye_crop_transforms(landmarks: np.ndarray, cfg: EyeCropConfig = EYE_CROP, size: int = CROP_SIZE) -> np.ndarray:
    """(2, 2, 3) affine maps from the image to the two eye crops: image-left eye as it is, the
    image-right eye mirrored. Each crop is rotated so the eye line is horizontal."""
    left, right = np.asarray(landmarks, np.float64)[:2]
    dist = float(np.hypot(*(right - left)))
    if dist < 1e-6:
        raise ValueError("the two eye landmarks coincide")
    u = (right - left) / dist  # along the eye line
    v = np.array([-u[1], u[0]])  # perpendicular, towards the mouth
    scale = size / (cfg.crop_scale * cfg.corner_fraction * dist)
    rot = scale * np.array([u, v])  # rows: crop x along u, crop y along v
    mid = (size - 1) / 2.0
    out = np.empty((2, 2, 3))
    for k, eye in enumerate((left, right)):
        centre = eye + cfg.centre_offset * dist * v
        out[k, :, :2] = rot
        out[k, :, 2] = mid - rot @ centre
    out[1, 0] = -out[1, 0]  # mirror x about the crop's centre column: x' = size - 1 - x
    out[1, 0, 2] += size - 1
    return out


def eyelid_opening(contour: np.ndarray) -> np.ndarray:
    """(..., 71, >=2) contour points in crop pixels -> (...,) upper-to-lower lid gap over eye width.

    The gap is measured across the crop's eye line (its y axis): a shut lid's upper and lower
    points are not paired exactly along x, and Euclidean distance would keep that offset as a
    floor (~0.07 higher for shut eyes on the blink clip).
    """
    p = contour[..., :2]
    width = np.linalg.norm(p[..., 0, :] - p[..., 8, :], axis=-1)
    gap = np.abs(p[..., _UPPER, 1] - p[..., _LOWER, 1]).mean(axis=-1)
    return gap / np.maximum(width, 1e-6)


def eye_crops(image_bgr: np.ndarray, detections: list[Detection]) -> np.ndarray:
    """(2 * len(detections), 64, 64, 3) uint8 BGR eye crops, image-left then mirrored image-right."""
    out = np.empty((2 * len(detections), CROP_SIZE, CROP_SIZE, 3), np.uint8)
    for i, det in enumerate(detections):
        for k, m in enumerate(eye_crop_transforms(det.landmarks)):
            out[2 * i + k] = cv2.warpAffine(image_bgr, m, (CROP_SIZE, CROP_SIZE), flags=cv2.INTER_LINEAR,
                                            borderMode=cv2.BORDER_REPLICATE)  # as MediaPipe's eye crop
    return out


class EyeModel(OnnxModel):
    """openness(image, detection) -> EyeState; left is the eye of landmarks[0] (image-left)."""

    file = "iris_landmark.onnx"
    key = "iris"

    def contours(self, crops_bgr: np.ndarray) -> np.ndarray:
        """(N, 71, 3) eye-contour points (x, y in crop pixels, z) for (N, 64, 64, 3) BGR crops."""
        x = crops_bgr[..., ::-1].transpose(0, 3, 1, 2).astype(np.float32) / 255.0
        return self.run(x)[0].reshape(len(crops_bgr), 71, 3)

    def openness_all(self, image_bgr: np.ndarray, detections: list[Detection]) -> list[EyeState]:
        """Eye states for every detection in one batched model run."""
        if not detections:
            return []
        ratios = eyelid_opening(self.contours(eye_crops(image_bgr, detections))).reshape(-1, 2)
        return [EyeState(left=float(a), right=float(b)) for a, b in ratios]

    def openness(self, image_bgr: np.ndarray, detection: Detection) -> EyeState:
        return self.openness_all(image_bgr, [detection])[0]
