"""Evaluation sets built from photos: faces of people the fine-tune never saw, as labelled pairs.

Photos are detected and aligned once (largest face) with the app's own detector, so the crops are
what the app would embed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from faceapp.align import align_face
from faceapp.imageio import load_image


@dataclass(slots=True)
class PairSet:
    """Aligned crops and labelled pairs of crop indices (same person or not)."""

    crops: np.ndarray  # (M, 112, 112, 3) uint8 BGR
    pairs: np.ndarray  # (P, 2) int64 indices into crops
    same: np.ndarray  # (P,) bool


# Photos are searched at most this big (longest side, px): multi-megapixel portraits would otherwise
# cost dozens of pyramid scales for faces that are hundreds of pixels wide anyway.
DETECT_MAX_SIDE = 640


def align_largest(image_bgr: np.ndarray, detector) -> np.ndarray | None:
    """The largest face of the photo aligned to the ArcFace template (from the full-resolution photo),
    or None if none is found."""
    scale = min(1.0, DETECT_MAX_SIDE / max(image_bgr.shape[:2]))
    small = image_bgr if scale == 1.0 else cv2.resize(image_bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    detections = detector.detect(small)
    if not detections:
        return None
    best = max(detections, key=lambda d: d.size)
    return align_face(image_bgr, best.landmarks / scale)


def default_detector():
    from faceapp.detector import Detector

    return Detector()


def align_files(paths: list[Path], detector=None) -> dict[Path, np.ndarray]:
    """Aligned crop per photo; photos without a face are left out."""
    detector = detector or default_detector()
    out = {}
    for path in paths:
        crop = align_largest(load_image(path), detector)
        if crop is not None:
            out[path] = crop
    return out


def pair_set_from_csv(folder: Path, csv_names: tuple[str, ...] = ("face-recognition-pivot.csv", "master.csv"),
                      detector=None) -> PairSet:
    """Pairs listed in deepface-style CSVs (file_x, file_y, Yes/No) of photos in `folder`, deduplicated."""
    folder = Path(folder)
    labelled: dict[tuple[str, str], bool] = {}
    for name in csv_names:
        with open(folder / name, newline="") as f:
            for row in csv.DictReader(f):
                a, b = Path(row["file_x"]).name, Path(row["file_y"]).name
                decision = (row.get("decision") or row.get("Decision") or "").strip().lower()
                if a != b:
                    labelled[tuple(sorted((a, b)))] = decision == "yes"
    files = sorted({n for pair in labelled for n in pair})
    crops = align_files([folder / n for n in files], detector)
    index = {p.name: i for i, p in enumerate(crops)}
    kept = [(index[a], index[b], s) for (a, b), s in labelled.items() if a in index and b in index]
    return PairSet(
        crops=np.stack(list(crops.values())),
        pairs=np.array([(a, b) for a, b, _ in kept], np.int64).reshape(-1, 2),
        same=np.array([s for *_, s in kept], bool),
    )
