"""Eye openness over a clip: the figures behind faceapp.vision.eyes and config.EYE_CROP.

    python -m trainer.build.measure_blink [VIDEO] [--threshold 0.2]

Detects the face on every frame with the project's MTCNN (faceapp.vision.mtcnn), reads both
eyes with faceapp.vision.eyes.EyeModel and prints the open level and every dip below the threshold
(blinks: both eyes; winks: one).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from faceapp.vision.eyes import EyeModel
from faceapp.config import DetectorConfig
from faceapp.vision.mtcnn import Detector

CLIP = Path(__file__).resolve().parents[3] / "shared" / "data" / "blink" / "blink.mp4"


def clip_openness(path: Path) -> np.ndarray:
    """(frames, 2) openness of the image-left and image-right eye of the largest face; NaN without one."""
    detector, eyes = Detector(DetectorConfig(min_face_size=80)), EyeModel()
    video, rows = cv2.VideoCapture(str(path)), []
    while True:
        ok, frame = video.read()
        if not ok:
            break
        dets = detector.detect(frame)
        if dets:
            state = eyes.openness(frame, max(dets, key=lambda d: d.size))
            rows.append((state.left, state.right))
        else:
            rows.append((np.nan, np.nan))
    return np.array(rows)


def dips(values: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """[first, last] frame ranges where either eye reads below threshold."""
    low = np.nanmin(values, axis=1) < threshold
    edges = np.flatnonzero(np.diff(np.r_[0, low.astype(int), 0]))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("video", nargs="?", type=Path, default=CLIP)
    parser.add_argument("--threshold", type=float, default=0.2)
    args = parser.parse_args(argv)
    values = clip_openness(args.video)
    events = dips(values, args.threshold)
    steady = np.ones(len(values), bool)
    for a, b in events:
        steady[max(a - 3, 0) : b + 4] = False  # lids are still moving next to a dip
    p5, med = np.nanpercentile(values[steady], 5, axis=0), np.nanmedian(values[steady], axis=0)
    print(f"{len(values)} frames; open (left, right): 5th percentile {p5.round(3)}, median {med.round(3)}")
    for a, b in events:
        seg = values[a : b + 1]
        print(f"frames {a}-{b}: minimum {np.nanmin(seg, 0).round(3)}, median {np.nanmedian(seg, 0).round(3)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
