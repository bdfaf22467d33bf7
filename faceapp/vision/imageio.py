"""Reading images from disk into the pipeline's one format: 8-bit BGR, 3 channels."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

# Larger images are refused before decoding: a 12000x9000 photo is 324 MB as BGR, and a decoding
# bomb could claim far more. 50 megapixels covers every real camera photo.
MAX_PIXELS = 50_000_000
# A face photo never needs more than this on its long side; bigger ones are shrunk after decoding
# so detection stays fast and memory bounded.
WORK_LONG_SIDE = 1920


class ImageError(ValueError):
    """An image that cannot be used, with a message a user can act on."""


def _header_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from the file header without decoding pixels, or None if unknown."""
    try:
        from PIL import Image  # optional: Pillow is present whenever torch is, but not required

        with Image.open(path) as im:
            return im.size
    except Exception:
        return None


def to_bgr8(image: np.ndarray) -> np.ndarray:
    """Any decoded array (gray, BGRA, 16-bit, float) as contiguous uint8 BGR."""
    if image is None or image.size == 0:
        raise ImageError("the image is empty")
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype in (np.float32, np.float64):
        image = np.clip(image * (255.0 if image.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise ImageError(f"unsupported pixel type {image.dtype}")
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    elif image.ndim == 3 and image.shape[2] == 1:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif not (image.ndim == 3 and image.shape[2] == 3):
        raise ImageError(f"unsupported image shape {image.shape}")
    return np.ascontiguousarray(image)


def load_image(path: str | os.PathLike) -> np.ndarray:
    """Decode an image file to uint8 BGR, shrinking huge ones; raises ImageError with a reason."""
    path = Path(path)
    if not path.is_file():
        raise ImageError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise ImageError(f"{path}: the file is empty")
    size = _header_size(path)
    if size and size[0] * size[1] > MAX_PIXELS:
        raise ImageError(f"{path}: {size[0]}x{size[1]} is too large (limit {MAX_PIXELS // 1_000_000} megapixels)")
    data = np.fromfile(path, dtype=np.uint8)  # fromfile+imdecode also handles non-ASCII paths
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH)
    if image is None:
        raise ImageError(f"{path}: not a readable image (corrupt, truncated or unsupported format)")
    if image.shape[0] * image.shape[1] > MAX_PIXELS:
        raise ImageError(f"{path}: {image.shape[1]}x{image.shape[0]} is too large")
    image = to_bgr8(image)
    long_side = max(image.shape[:2])
    if long_side > WORK_LONG_SIDE:
        scale = WORK_LONG_SIDE / long_side
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return image
