"""A generated corpus of hostile inputs, as a careless or malicious user would hand them to the CLI:
broken, truncated and lying image files, decompression bombs, special files and odd paths, names
with terminal escapes and bidi tricks, and export targets that would destroy data.

Used by tests/test_bad_inputs.py (every input to every command that takes it) and by
tests/reliability.py (the figures in docs/reliability.md). Deterministic: the same seed gives the
same files.
"""

from __future__ import annotations

import io
import os
import random
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np


@dataclass
class Corpus:
    root: Path
    good: list[str]  # real photos with one face each, for mixing into batches
    files: list[str] = field(default_factory=list)  # hostile image inputs (paths as argv gives them)
    names: list[str] = field(default_factory=list)  # hostile person names
    exports: list[str] = field(default_factory=list)  # hostile export targets
    largest: str = ""  # the largest input by bytes read (for peak memory)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_claiming(width: int, height: int, depth: int = 8, colour: int = 2, payload: bytes = b"\x00" * 64) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(payload))
            + _png_chunk(b"IEND", b""))


def png_zip_bomb(width: int = 7000, height: int = 7000) -> bytes:
    """A real PNG of width x height black pixels: a few hundred KB that inflate to ~150 MB."""
    row = b"\x00" + b"\x00" * (3 * width)
    comp = zlib.compressobj(9)
    data = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", data) + _png_chunk(b"IEND", b"")


def jpeg_with_size(jpeg: bytes, width: int, height: int) -> bytes:
    """A JPEG whose start-of-frame claims another size."""
    i = 2
    while i < len(jpeg) - 9:
        marker, length = jpeg[i + 1], struct.unpack(">H", jpeg[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xC2:
            return jpeg[:i + 5] + struct.pack(">HH", height, width) + jpeg[i + 9:]
        i += 2 + length
    raise ValueError("no SOF")


def _exif_jpeg(image: np.ndarray, orientation: int) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    Image.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)).save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def generate(root: Path, shared: Path, seed: int = 12) -> Corpus:
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    files = root / "files"
    files.mkdir(exist_ok=True)
    peer = shared / "faces-peer"
    good = [str(peer / n) for n in ("obama.jpg", "biden.jpg")]
    corpus = Corpus(root, good)
    jpeg = (peer / "obama.jpg").read_bytes()
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    png = cv2.imencode(".png", image)[1].tobytes()

    def put(name: str | bytes, data: bytes) -> str:
        path = os.path.join(os.fsencode(files), os.fsencode(name))
        with open(path, "wb") as f:
            f.write(data)
        corpus.files.append(os.fsdecode(path))
        return os.fsdecode(path)

    # empty and tiny
    put("empty.jpg", b"")
    for n in (1, 2, 3, 8):
        put(f"tiny{n}.jpg", jpeg[:n])
    # truncated at many points
    for k in range(24):
        put(f"trunc{k}.jpg", jpeg[: max(4, int(len(jpeg) * (k + 1) / 26))])
    for k in range(12):
        put(f"trunc{k}.png", png[: max(9, int(len(png) * (k + 1) / 14))])
    # random bytes behind each format's magic, and no magic at all
    magics = {"jpg": b"\xff\xd8\xff\xe0", "png": b"\x89PNG\r\n\x1a\n", "bmp": b"BM", "webp": b"RIFF\x00\x00\x00\x00WEBPVP8 ",
              "tif": b"II*\x00", "tiff": b"MM\x00*", "ppm": b"P6\n", "gif": b"GIF89a", "none": b""}
    for ext, magic in magics.items():
        for k in range(5):
            put(f"garbage{k}.{ext}", magic + rng.randbytes(rng.choice((5, 40, 700, 5000))))
    # bit flips in a real photo
    for k in range(50):
        data = bytearray(jpeg)
        for _ in range(rng.choice((1, 5, 50))):
            data[rng.randrange(2, len(data))] ^= 1 << rng.randrange(8)
        put(f"flipped{k}.jpg", bytes(data))
    # headers that lie about the size (decompression bombs)
    for w, h in ((60000, 60000), (0, 0), (0, 100), (1, 2**31 - 1), (2**32 - 1, 2**32 - 1), (100000, 1), (7072, 7072)):
        put(f"bomb_{w}x{h}.png", png_claiming(w, h))
    for w, h in ((65535, 65535), (0, 0), (40000, 40000)):
        put(f"bomb_{w}x{h}.jpg", jpeg_with_size(jpeg, w, h))
    put("bomb.bmp", b"BM" + struct.pack("<IHHI", 54, 0, 0, 54) + struct.pack("<IiiHHIIiiII", 40, 60000, -60000, 1, 24, 0, 0, 0, 0, 0, 0))
    put("bomb.webp", b"RIFF" + struct.pack("<I", 30) + b"WEBPVP8X" + struct.pack("<I", 10) + b"\x00" * 4
        + (16383).to_bytes(3, "little") + (16383).to_bytes(3, "little"))
    put("bomb.tif", b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 2)
        + struct.pack("<HHII", 256, 4, 1, 100000) + struct.pack("<HHII", 257, 4, 1, 100000) + b"\x00" * 4)
    put("bomb.ppm", b"P6\n# a comment\n90000 90000\n255\n" + b"\x00" * 100)
    put("zipbomb.png", png_zip_bomb())  # real pixels, 49.0 MP: under the limit, the largest decode
    put("zipbomb_over.png", png_zip_bomb(7500, 7500))  # 56 MP: over it
    # real but odd images
    for ext in (".png", ".bmp", ".webp", ".tiff", ".ppm", ".jpg"):
        put(f"real{ext}", cv2.imencode(ext, image)[1].tobytes())
    put("wrong_extension.png", jpeg)
    put("gray.png", cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))[1].tobytes())
    put("deep16.png", cv2.imencode(".png", image.astype(np.uint16) * 257)[1].tobytes())
    put("alpha.png", cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_BGR2BGRA))[1].tobytes())
    put("one_pixel.png", cv2.imencode(".png", image[:1, :1])[1].tobytes())
    put("strip.png", cv2.imencode(".png", np.zeros((1, 20000, 3), np.uint8))[1].tobytes())
    put("tall.png", cv2.imencode(".png", np.zeros((20000, 2, 3), np.uint8))[1].tobytes())
    put("black.jpg", cv2.imencode(".jpg", np.zeros((480, 640, 3), np.uint8))[1].tobytes())
    put("noise.jpg", cv2.imencode(".jpg", np.random.default_rng(seed).integers(0, 255, (480, 640, 3), np.uint8))[1].tobytes())
    for o in range(0, 10):
        put(f"exif_orientation_{o}.jpg", _exif_jpeg(image, o))
    put("exif_orientation_99.jpg", _exif_jpeg(image, 99))
    # not images at all
    for name, data in (("notes.jpg", b"just some text\n" * 20), ("page.png", b"<html><body>hi</body></html>"),
                       ("archive.jpg", b"PK\x03\x04" + rng.randbytes(300)), ("doc.jpg", b"%PDF-1.7\n" + rng.randbytes(300)),
                       ("script.jpg", b"#!/bin/sh\nrm -rf /\n"), ("nul.jpg", b"\x00" * 4096),
                       ("utf16.jpg", "text".encode("utf-16")), ("svg.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>")):
        put(name, data)
    # a 3 GB sparse file (no disk used) and the largest real read just under the cap
    big = os.path.join(files, "big.jpg")
    with open(big, "wb") as f:
        f.truncate(3 * 2**30)
    corpus.files.append(big)
    # names a file system allows but a terminal or an encoder does not like
    for raw in (b"caf\xe9.jpg", b"\xff\xfe.jpg", "\x1b[31mred\x1b[0m.jpg".encode(), "\u202egpj.exe".encode(),
                "新建 文件.jpg".encode(), b"line\nbreak.jpg", b" leading space.jpg", b"-dash-first.jpg", b"semi;colon,comma.jpg",
                ("n" * 250 + ".jpg").encode()):
        put(raw, jpeg)
    # special paths
    folder = root / "a folder.jpg"
    folder.mkdir(exist_ok=True)
    fifo = root / "pipe.jpg"
    if not fifo.exists():
        os.mkfifo(fifo)
    loop = root / "loop.jpg"
    if not loop.is_symlink():
        loop.symlink_to(root / "loop2.jpg")
        (root / "loop2.jpg").symlink_to(loop)
    dangling = root / "dangling.jpg"
    if not dangling.is_symlink():
        dangling.symlink_to(root / "gone.jpg")
    afile = root / "plainfile"
    afile.write_bytes(b"x")
    corpus.files += [str(folder), str(fifo), "/dev/null", "/dev/zero", str(loop), str(dangling), "", str(root / "missing.jpg"),
                     str(root / ("x" * 300 + ".jpg")), str(afile / "child.jpg"), str(root / ("d" * 200) / ("d" * 200) / "x.jpg"),
                     str(root / "nested" / ".." / "missing.jpg")]
    corpus.largest = str(files / "zipbomb.png")

    # person names
    corpus.names = [
        "", " ", "\t", "\u3000", "\x1b[31mRed\x1b[0m", "Li\x1b]0;pwned\x07Wei", "Li\nWei", "Li\rWei", "Li\x00Wei", "\x7f",
        "evil\u202egnp.exe", "\u2066Li\u2069", "\u200b", "\u200d\u200c", "\ufeffAnn", "\u202e", "Li\u2028Wei",
        "x" * 101, "长" * 500, os.fsdecode(b"caf\xe9"), os.fsdecode(b"\xff\xfe"), "\ud800", "'; DROP TABLE people;--",
        "%s%n%x", "../../etc/passwd", "=cmd|' /C calc'!A0", "-rf", "--help", "Вarack Оbama", "👩‍💻", "محمد\u200cرضا",
        "Zoë", "Jose\u0301", "  spaced   out  ", "*", "?", "NULL", "None", "0", "a" * 100,
    ]
    # export targets (relative to a data dir created by the caller: {db} stands for the database)
    corpus.exports = ["{db}", "{db}-wal", "{db}-shm", "{data}", str(folder), str(fifo), "/dev/null", "", str(afile / "out.csv"),
                      str(root / ("e" * 300)), str(root / "missing" / "out.csv"), str(afile), str(loop), str(dangling)]
    return corpus
