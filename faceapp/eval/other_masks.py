"""A second synthetic-mask renderer, for evaluation only: enrollment never uses it.

The app stores masked templates drawn by faceapp.vision.masks, and the mask adapter was fitted on
those masks, so a figure measured with the same renderer could be tuned to our own masks. These
masks differ on purpose in every way the embedder sees: the outline comes from the face box and the
eye line in image space (not from the ArcFace template), with a straight top edge over the nose
bridge and a bandana point or a rounded bottom; colours come from the whole hue circle with a
plaid or a mottled texture and a side light; edges are blurred.
"""

from __future__ import annotations

import cv2
import numpy as np

from faceapp.types import Detection


def draw_other_mask(image_bgr: np.ndarray, detection: Detection, rng: np.random.Generator | int | None = None) -> np.ndarray:
    """A copy of the image with a bandana-like or rounded mask over the lower face; deterministic per seed."""
    rng = np.random.default_rng(rng)
    lm = detection.landmarks.astype(np.float64)
    x0, y0, x1, y1 = detection.box.astype(np.float64)
    w, h = x1 - x0, y1 - y0
    eye_y = (lm[0, 1] + lm[1, 1]) / 2
    top = eye_y + rng.uniform(0.25, 0.55) * (lm[2, 1] - eye_y)  # between the eyes and the nose tip
    spread = rng.uniform(0.05, 0.18) * w
    left, right = x0 - spread, x1 + spread
    chin = y1 + rng.uniform(0.05, 0.35) * h
    if rng.random() < 0.5:  # bandana: a point hanging below the chin
        mid = (lm[3, 0] + lm[4, 0]) / 2
        outline = [(left, top), (right, top), (right, y1 - 0.1 * h), (mid, chin + 0.25 * h), (left, y1 - 0.1 * h)]
    else:  # rounded: half an ellipse below the top edge
        cx, rx, ry = (left + right) / 2, (right - left) / 2, chin - top
        t = np.linspace(0, np.pi, 24)
        outline = [(left, top), (right, top)] + list(zip(cx + rx * np.cos(t), top + ry * np.sin(t)))
    ih, iw = image_bgr.shape[:2]
    alpha = np.zeros((ih, iw), np.float32)
    cv2.fillPoly(alpha, [np.round(np.array(outline)).astype(np.int32)], 1.0, cv2.LINE_AA)
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(0.01 * w, 0.5))

    hsv = np.uint8([[[rng.integers(180), rng.uniform(0.2, 1.0) * 255, rng.uniform(0.25, 0.95) * 255]]])
    base = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(np.float32)
    yy, xx = np.mgrid[0:ih, 0:iw].astype(np.float32)
    if rng.random() < 0.5:  # plaid: two sets of stripes at the face's scale
        period = max(rng.uniform(0.08, 0.2) * w, 2.0)
        texture = 0.8 + 0.2 * ((np.sin(xx / period * np.pi) > 0) ^ (np.sin(yy / period * np.pi) > 0))
    else:  # mottled: blurred noise
        noise = cv2.GaussianBlur(rng.standard_normal((ih, iw)).astype(np.float32), (0, 0), max(0.05 * w, 1.0))
        texture = 1.0 + 0.25 * noise / max(float(noise.std()), 1e-6)
    light = 1.0 + rng.uniform(-0.3, 0.3) * (xx - (x0 + x1) / 2) / max(w, 1.0)  # a side light
    layer = base[None, None, :] * (texture * light)[..., None]
    a = alpha[..., None]
    out = image_bgr.astype(np.float32) * (1 - a) + layer * a
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
