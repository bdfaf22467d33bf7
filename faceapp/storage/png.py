"""Face crops as stored in the gallery: lossless PNG bytes."""

import cv2
import numpy as np

from faceapp.storage.database import GalleryError


def encode_png(crop: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", crop)
    if not ok:
        raise ValueError("could not encode the face crop as PNG")
    return buf.tobytes()


def decode_png(data: bytes) -> np.ndarray:
    crop = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if crop is None:
        raise GalleryError("a stored face crop is damaged and cannot be decoded")
    return crop
