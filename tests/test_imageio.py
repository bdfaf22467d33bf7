import numpy as np
import pytest

from faceapp.vision.imageio import ImageError, load_image, to_bgr8


def test_rgba_png(shared):
    img = load_image(shared / "faces-peer" / "32bit.png")
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3


def test_missing_and_empty(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "nope.jpg")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(ImageError, match="empty"):
        load_image(empty)


def test_truncated_and_garbage(tmp_path, shared):
    data = (shared / "faces-peer" / "obama.jpg").read_bytes()
    trunc = tmp_path / "trunc.jpg"
    trunc.write_bytes(data[:200])
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"\x89PNG not really" * 10)
    for p in (trunc, garbage):
        with pytest.raises(ImageError):
            load_image(p)


def test_gray_16bit_float():
    assert to_bgr8(np.zeros((10, 10), np.uint8)).shape == (10, 10, 3)
    assert to_bgr8(np.full((10, 10, 3), 65535, np.uint16)).max() == 255
    assert to_bgr8(np.ones((4, 4, 3), np.float32)).max() == 255


def test_huge_image_refused(tmp_path):
    import cv2

    huge = np.zeros((9000, 12000), np.uint8)
    p = tmp_path / "huge.png"
    cv2.imwrite(str(p), huge)
    with pytest.raises(ImageError, match="too large"):
        load_image(p)
