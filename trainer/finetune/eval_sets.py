"""Evaluation sets built from photos: faces of people the fine-tune never saw, as labelled pairs and as
strangers at the door.

Photos are detected and aligned once (largest face) with the app's own detector, so the crops are
what the app would embed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from faceapp.vision.align import align_face
from faceapp.vision.imageio import load_image

CSV_NAMES = ("face-recognition-pivot.csv", "master.csv")  # deepface's pair lists in faces-sample


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
    from faceapp.vision.mtcnn import Detector

    return Detector()


def align_files(paths: list[Path], detector=None, landmarks: dict[str, np.ndarray] | None = None) -> dict[Path, np.ndarray]:
    """Aligned crop per photo; photos without a face are left out. With `landmarks` ({file name:
    five points in load_image's frame}) nothing is detected and photos not listed are left out."""
    if landmarks is None:
        detector = detector or default_detector()
    out = {}
    for path in paths:
        if landmarks is not None:
            if path.name in landmarks:
                out[path] = align_face(load_image(path), np.asarray(landmarks[path.name], np.float32))
            continue
        crop = align_largest(load_image(path), detector)
        if crop is not None:
            out[path] = crop
    return out


def _labelled_pairs(folder: Path, csv_names: tuple[str, ...]) -> dict[tuple[str, str], bool]:
    """{(file a, file b) sorted: same person} from deepface-style CSVs (file_x, file_y, Yes/No)."""
    labelled: dict[tuple[str, str], bool] = {}
    for name in csv_names:
        with open(folder / name, newline="") as f:
            for row in csv.DictReader(f):
                a, b = Path(row["file_x"]).name, Path(row["file_y"]).name
                decision = (row.get("decision") or row.get("Decision") or "").strip().lower()
                if a != b:
                    labelled[tuple(sorted((a, b)))] = decision == "yes"
    return labelled


def pair_set_from_csv(folder: Path, csv_names: tuple[str, ...] = CSV_NAMES, detector=None,
                      landmarks: dict[str, np.ndarray] | None = None, exclude: set[str] = frozenset()) -> PairSet:
    """Labelled pairs of the photos in `folder`, deduplicated; pairs touching `exclude` (file names,
    e.g. people trained on) are left out."""
    folder = Path(folder)
    labelled = {k: v for k, v in _labelled_pairs(folder, csv_names).items() if not (set(k) & exclude)}
    files = sorted({n for pair in labelled for n in pair})
    crops = align_files([folder / n for n in files], detector, landmarks)
    index = {p.name: i for i, p in enumerate(crops)}
    kept = [(index[a], index[b], s) for (a, b), s in labelled.items() if a in index and b in index]
    return PairSet(
        crops=np.stack(list(crops.values())),
        pairs=np.array([(a, b) for a, b, _ in kept], np.int64).reshape(-1, 2),
        same=np.array([s for *_, s in kept], bool),
    )


def unseen_set(folder: Path, detector=None) -> PairSet:
    """Photos of people not enrolled: labelled pairs where the folder has deepface-style pair lists,
    else every photo in it (largest face each) as a stranger, without pairs."""
    from faceapp.recognition.enroll import photos_under

    folder = Path(folder)
    if all((folder / name).is_file() for name in CSV_NAMES):
        return pair_set_from_csv(folder, detector=detector)
    crops = list(align_files(sorted(photos_under(folder)), detector).values())
    return PairSet(crops=np.stack(crops) if crops else np.zeros((0, 112, 112, 3), np.uint8),
                   pairs=np.zeros((0, 2), np.int64), same=np.zeros(0, bool))
