import os
import struct
import zlib

import numpy as np
import pytest

from faceapp.config import INPUTS
from faceapp.vision.imageio import ImageError, header_size, load_image, to_bgr8


def test_rgba_png(shared):
    img = load_image(shared / "faces-peer" / "32bit.png")
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3


def test_missing_and_empty(tmp_path):
    with pytest.raises(ImageError, match="no such file") as err:
        load_image(tmp_path / "nope.jpg")
    assert err.value.code == "not_found"
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
    text = tmp_path / "notes.jpg"
    text.write_text("just text, named .jpg")
    for p in (trunc, garbage, text):
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
    with pytest.raises(ImageError, match="too large") as err:
        load_image(p)
    assert err.value.code == "too_many_pixels"


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int = 60000, height: int = 60000) -> bytes:
    """A small valid-looking PNG whose header claims width x height (8-bit RGB)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def test_header_bomb_refused_before_decoding(tmp_path):
    p = tmp_path / "bomb.png"
    p.write_bytes(png_bomb())
    assert header_size(p.read_bytes()) == (60000, 60000)
    with pytest.raises(ImageError, match="60000x60000 is too large") as err:
        load_image(p)
    assert err.value.code == "too_many_pixels"


def test_header_sizes_of_every_format(tmp_path, shared):
    import cv2

    image = load_image(shared / "faces-peer" / "obama.jpg")
    h, w = image.shape[:2]
    for ext in (".jpg", ".png", ".bmp", ".webp", ".tiff", ".ppm"):
        ok, data = cv2.imencode(ext, image)
        assert ok
        assert header_size(data.tobytes()) == (w, h), ext
        p = tmp_path / f"x{ext}"
        p.write_bytes(data.tobytes())
        assert load_image(p).shape == image.shape


def test_unsupported_format_named(tmp_path):
    p = tmp_path / "x.gif"
    p.write_bytes(b"GIF89a" + b"\x00" * 100)
    with pytest.raises(ImageError, match="not a readable image") as err:
        load_image(p)
    assert err.value.code == "unsupported_format"


def test_byte_cap_before_reading(tmp_path):
    big = tmp_path / "big.jpg"
    with open(big, "wb") as f:  # sparse: takes no disk, would take 3 GB of memory if read
        f.truncate(3 * 2**30)
    with pytest.raises(ImageError, match="MB") as err:
        load_image(big)
    assert err.value.code == "too_large"
    assert INPUTS.max_image_bytes < 3 * 2**30


def test_paths_say_what_they_are(tmp_path):
    folder = tmp_path / "folder.jpg"
    folder.mkdir()
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.jpg"
    loop.symlink_to(tmp_path / "loop2.jpg")
    (tmp_path / "loop2.jpg").symlink_to(loop)
    dangling = tmp_path / "dangling.jpg"
    dangling.symlink_to(tmp_path / "gone.jpg")
    afile = tmp_path / "file"
    afile.write_bytes(b"x")
    cases = {
        folder: ("is_folder", "is a folder"),
        fifo: ("pipe", "named pipe"),
        "/dev/null": ("device", "is a device"),
        loop: ("link_loop", "symbolic link loop"),
        dangling: ("broken_link", "symbolic link to a file that does not exist"),
        "": ("empty_name", "file name is empty"),
        tmp_path / ("n" * 300 + ".jpg"): ("name_too_long", "304 bytes long"),
        afile / "x.jpg": ("parent_not_folder", "is a file, not a folder"),
    }
    for path, (code, words) in cases.items():
        with pytest.raises(ImageError) as err:
            load_image(path)
        assert err.value.code == code, (path, str(err.value))
        assert words in str(err.value) and "no such file" not in str(err.value)


def test_non_utf8_file_name_opens(tmp_path, shared):
    raw = os.fsencode(tmp_path) + b"/caf\xe9-\xff.jpg"  # Latin-1 bytes, not UTF-8
    with open(raw, "wb") as f:
        f.write((shared / "faces-peer" / "obama.jpg").read_bytes())
    name = os.fsdecode(raw)  # how argv hands it over: surrogate escapes
    assert load_image(name).shape[2] == 3
    assert load_image(raw).shape[2] == 3
    bad = raw.replace(b".jpg", b"-bad.jpg")  # an unreadable one is named printably
    with open(bad, "wb") as f:
        f.write(b"not an image")
    with pytest.raises(ImageError) as err:
        load_image(os.fsdecode(bad))
    assert "caf\\xe9-\\xff-bad.jpg" in str(err.value)
    str(err.value).encode("utf-8")  # printable on a UTF-8 terminal


# EXIF orientation: how a phone stores a photo (pixels as the sensor saw them) and the tag that
# says how to turn them upright. PIL's ROTATE_90 is counter-clockwise.
ORIENTATIONS = {6: "ROTATE_90", 3: "ROTATE_180", 8: "ROTATE_270"}


@pytest.mark.parametrize("orientation", sorted(ORIENTATIONS))
def test_exif_orientation_applied(tmp_path, shared, orientation):
    from PIL import Image

    src = shared / "faces-peer" / "obama.jpg"
    upright = load_image(src)
    with Image.open(src) as im:
        stored = im.transpose(getattr(Image.Transpose, ORIENTATIONS[orientation]))
        exif = Image.Exif()
        exif[0x0112] = orientation
        path = tmp_path / f"phone_{orientation}.jpg"
        stored.save(path, quality=95, exif=exif)
    loaded = load_image(path)
    assert loaded.shape == upright.shape
    assert np.abs(loaded.astype(int) - upright.astype(int)).mean() < 4  # JPEG noise only


def test_exif_rotated_phone_photo_finds_the_face(tmp_path, shared, engine):
    from PIL import Image

    src = shared / "faces-peer" / "obama.jpg"
    with Image.open(src) as im:
        exif = Image.Exif()
        exif[0x0112] = 6
        path = tmp_path / "portrait.jpg"
        im.transpose(Image.Transpose.ROTATE_90).save(path, quality=95, exif=exif)
    upright = engine.detect(load_image(src))
    found = engine.detect(load_image(path))
    assert len(found) == len(upright) >= 1
    assert np.abs(found[0].box - upright[0].box).max() < 8


def test_thin_strips_shrink_without_vanishing(tmp_path):
    import cv2

    p = tmp_path / "strip.png"
    cv2.imwrite(str(p), np.zeros((1, 20000, 3), np.uint8))
    assert load_image(p).shape == (1, INPUTS.work_long_side, 3)


def test_damaged_header_names_the_file(tmp_path):
    p = tmp_path / "bad.tif"
    p.write_bytes(b"II*\x00" + b"\xff" * 40)
    with pytest.raises(ImageError, match=r"bad.tif: the TIFF header is damaged"):
        load_image(p)
