"""Reading images from disk into the pipeline's one format: 8-bit BGR, 3 channels, upright.

Every file is treated as hostile: its size is capped before reading (files.read_capped), its
dimensions are read from the header and checked before any pixel is decoded, and only the formats
below reach OpenCV's decoders. EXIF orientation is applied, so a portrait phone photo is upright.
"""

from __future__ import annotations

import os
import struct

import cv2
import numpy as np

from faceapp.config import INPUTS
from faceapp.files import PathError, read_capped, shown

FORMATS = "JPEG, PNG, BMP, WebP, TIFF or PNM"


class ImageError(ValueError):
    """An image that cannot be used: `code` says why (a files.PathProblem value or one of
    unsupported_format / too_many_pixels / corrupt), the message says it in words."""

    def __init__(self, message: str, code: str = "corrupt"):
        self.code = str(code)
        super().__init__(message)


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # standalone markers carry no length
            i += 2
            continue
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start-of-frame
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        if marker == 0xDA or length < 2:  # scan data before any frame header: not a valid JPEG
            return None
        i += 2 + length
    return None


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    end = "<" if data[:2] == b"II" else ">"
    (ifd,) = struct.unpack(end + "I", data[4:8])
    if ifd + 2 > len(data):
        return None
    (count,) = struct.unpack(end + "H", data[ifd:ifd + 2])
    found = {}
    for k in range(count):
        entry = data[ifd + 2 + 12 * k: ifd + 14 + 12 * k]
        if len(entry) < 12:
            break
        tag, kind = struct.unpack(end + "HH", entry[:4])
        if tag in (256, 257):
            found[tag] = struct.unpack(end + ("H" if kind == 3 else "I"), entry[8:10] if kind == 3 else entry[8:12])[0]
    return (found[256], found[257]) if len(found) == 2 else None


def _pnm_size(data: bytes) -> tuple[int, int] | None:
    tokens: list[bytes] = []
    for line in data[2:4096].splitlines():
        tokens += line.split(b"#")[0].split()
        if len(tokens) >= 2:
            return int(tokens[0]), int(tokens[1])
    return None


def header_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from the file header of a supported format without decoding pixels;
    None when the format is not one of FORMATS; ImageError when the header is unreadable."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n":
            if data[12:16] != b"IHDR":
                raise ImageError("the PNG header is damaged")
            return struct.unpack(">II", data[16:24])
        if data[:3] == b"\xff\xd8\xff":
            size = _jpeg_size(data)
            if size is None:
                raise ImageError("the JPEG header is damaged or has no image size")
            return size
        if data[:2] == b"BM":
            w, h = struct.unpack("<ii", data[18:26])
            return abs(w), abs(h)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            chunk = data[12:16]
            if chunk == b"VP8 ":
                w, h = struct.unpack("<HH", data[26:30])
                return w & 0x3FFF, h & 0x3FFF
            if chunk == b"VP8L":
                (bits,) = struct.unpack("<I", data[21:25])
                return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            if chunk == b"VP8X":
                return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
            raise ImageError("the WebP header is damaged")
        if data[:4] in (b"II*\x00", b"MM\x00*"):
            size = _tiff_size(data)
            if size is None:
                raise ImageError("the TIFF header is damaged or has no image size")
            return size
        if data[:1] == b"P" and data[1:2] in b"123456" and data[2:3].isspace():
            size = _pnm_size(data)
            if size is None:
                raise ImageError("the PNM header is damaged")
            return size
    except (struct.error, ValueError, IndexError) as exc:
        if isinstance(exc, ImageError):
            raise
        raise ImageError("the image header is damaged") from None
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


def decode_image(data: bytes, name: str = "image") -> np.ndarray:
    """Decode image bytes to upright uint8 BGR, shrinking huge ones; raises ImageError."""
    try:
        size = header_size(data) if data else None
    except ImageError as exc:
        raise ImageError(f"{name}: {exc}", exc.code) from None
    if size is None:
        raise ImageError(f"{name}: not a readable image (the file is not {FORMATS})", "unsupported_format")
    width, height = size
    if width <= 0 or height <= 0:
        raise ImageError(f"{name}: the header says the image is {width}x{height}", "corrupt")
    if width * height > INPUTS.max_image_pixels:
        raise ImageError(f"{name}: {width}x{height} is too large (the limit is "
                         f"{INPUTS.max_image_pixels // 1_000_000} megapixels)", "too_many_pixels")
    # ANYCOLOR | ANYDEPTH keeps 16-bit and gray as they are, and (unlike IMREAD_UNCHANGED) lets
    # OpenCV apply the EXIF orientation; the alpha channel, which the pipeline drops anyway, goes.
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_ANYCOLOR | cv2.IMREAD_ANYDEPTH)
    if image is None:
        raise ImageError(f"{name}: not a readable image (corrupt, truncated or unsupported format)", "corrupt")
    if image.shape[0] * image.shape[1] > INPUTS.max_image_pixels:  # a header that lied
        raise ImageError(f"{name}: {image.shape[1]}x{image.shape[0]} is too large", "too_many_pixels")
    image = to_bgr8(image)
    long_side = max(image.shape[:2])
    if long_side > INPUTS.work_long_side:
        scale = INPUTS.work_long_side / long_side
        size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))  # a 1-px strip stays 1 px
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return image


def load_image(path: str | os.PathLike | bytes) -> np.ndarray:
    """Read and decode an image file (any file name the OS accepts, UTF-8 or not) to upright uint8
    BGR; raises ImageError with a reason code and a message naming what is wrong."""
    try:
        data = read_capped(path, INPUTS.max_image_bytes, what="image file")
    except PathError as exc:
        raise ImageError(str(exc), exc.code) from None
    return decode_image(data, shown(path))
