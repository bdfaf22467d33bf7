"""Detection evaluation: `faceapp eval detection`.

Recall on real masked faces (../shared/data/masked-real) and false detections on unmasked photos
(faces-sample, LFW), for the app's detector settings and for plain MTCNN at its published defaults.

Masked photos have one annotated main face each (tests/fixtures/masked_real_faces.csv: the
largest face, boxes from MTCNN or BlazeFace at lenient thresholds and checked by eye, a few drawn
by eye where neither found it; empty where every face is a few pixels of a crowd). A photo is a
**close-up** when that face's side (geometric mean of the box) is at least CLOSE_UP_SHARE of the
photo's short side: a face filling a third of the frame, as at a kiosk. A face is found when a
detection covers its box (faceapp.vision.finder.covers).

Unmasked photos have one main face (the photo's subject: LFW crops are centred on it); every other
detection is an "extra". Some extras are real faces in the background, so the extras a setting adds
over the baseline are listed (and can be drawn on a contact sheet) to be judged by eye.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceapp.config import DetectorConfig
from faceapp.eval.sheet import contact_sheet as draw_sheet
from faceapp.eval.verification import main_face, sample_photos
from faceapp.jobs import Job
from faceapp.vision.boxes import side
from faceapp.vision.finder import FaceFinder, covers
from faceapp.vision.imageio import ImageError, load_image
from faceapp.types import Detection

ROOT = Path(__file__).resolve().parents[2]
FACES_CSV = ROOT / "tests" / "fixtures" / "masked_real_faces.csv"
# Main face side / photo short side for a close-up. 0.3 gives 155 of the 300 photos, about the 150
# close-ups of ../shared/MODELS.md that were picked by eye.
CLOSE_UP_SHARE = 0.3
# Plain MTCNN as facenet-pytorch ships it: the reference for recall and for false detections.
BASELINE = DetectorConfig(thresholds=(0.6, 0.7, 0.7), second_pass="never", presence_check=False)


@dataclass(frozen=True, slots=True)
class MaskedPhoto:
    path: Path
    name: str  # path relative to the masked folder, as listed in the CSV
    face: np.ndarray | None  # annotated main face x1 y1 x2 y2; None when no face was big enough to box
    short_side: int

    @property
    def close_up(self) -> bool:
        if self.face is None:
            return False
        return side(self.face) >= CLOSE_UP_SHARE * self.short_side


def load_masked_photos(masked_dir: Path, faces_csv: Path = FACES_CSV) -> list[MaskedPhoto]:
    import cv2

    photos = []
    for row in csv.DictReader(open(faces_csv)):
        path = Path(masked_dir) / row["path"]
        image = cv2.imread(str(path))
        if image is None:
            raise FileNotFoundError(f"{path} (listed in {faces_csv}) is missing or unreadable")
        face = None if not row["x1"] else np.array([float(row[k]) for k in ("x1", "y1", "x2", "y2")], np.float32)
        photos.append(MaskedPhoto(path, row["path"], face, min(image.shape[:2])))
    return photos


def _timed(finder, image: np.ndarray, clock: list[float]) -> list[Detection]:
    start = time.perf_counter()
    found = finder.detect(image)
    clock.append(time.perf_counter() - start)
    return found


def eval_masked_detection(finder, photos: list[MaskedPhoto], job: Job | None = None) -> dict:
    """Main faces found on close-ups and on all photos; `finder` is anything with detect(image)."""
    clock: list[float] = []
    close, close_found, annotated, found, with_detection, by_second = 0, 0, 0, 0, 0, 0
    missed = []
    for photo in (job or Job()).each(photos, "masked photos"):
        dets = _timed(finder, load_image(photo.path), clock)
        with_detection += bool(dets)
        if photo.face is None:
            continue
        hits = [d for d in dets if covers(d.box, photo.face)]
        annotated += 1
        found += bool(hits)
        by_second += bool(hits) and all(d.source != "mtcnn" for d in hits)
        if photo.close_up:
            close += 1
            close_found += bool(hits)
            if not hits:
                missed.append(photo.name)
    return {
        "close_up": {"photos": close, "found": close_found, "rate": round(close_found / max(close, 1), 4),
                     "missed": missed},
        "all": {"photos": len(photos), "annotated": annotated, "main_face_found": found,
                "rate": round(found / max(annotated, 1), 4), "with_detection": with_detection},
        "found_only_by_second_detector": by_second,
        "ms_per_photo": round(1000 * float(np.mean(clock)), 1) if clock else 0.0,
    }


@dataclass(slots=True)
class Extra:
    path: Path
    detection: Detection


def eval_false_detections(finder, paths: list[Path], job: Job | None = None) -> tuple[dict, list[Extra]]:
    """Detections other than each photo's main face, and photos where no face was found at all."""
    clock: list[float] = []
    extras: list[Extra] = []
    no_face = []
    for path in (job or Job()).each(paths, "unmasked photos"):
        try:
            image = load_image(path)
        except ImageError:
            continue
        dets = _timed(finder, image, clock)
        main = main_face(dets, image.shape)
        if main is None:
            no_face.append(str(path))
        extras += [Extra(path, d) for d in dets if d is not main]
    summary = {"photos": len(clock), "no_face": len(no_face), "extra_detections": len(extras),
               "photos_with_extra": len({e.path for e in extras}),
               "ms_per_photo": round(1000 * float(np.mean(clock)), 1) if clock else 0.0}
    return summary, extras


def new_extras(extras: list[Extra], baseline: list[Extra]) -> list[Extra]:
    """Extras that the baseline did not also produce (same photo, covering box)."""
    return [e for e in extras
            if not any(b.path == e.path and covers(b.detection.box, e.detection.box) for b in baseline)]


def contact_sheet(extras: list[Extra], out: Path) -> Path:
    """Each extra detection drawn on its photo (red box), for judging by eye whether it is a face."""
    return draw_sheet([(load_image(e.path), e.detection.box,
                        f"{e.detection.source[0]} {e.detection.score:.2f} {e.path.stem[:14]}") for e in extras], out)


def eval_clip_detections(finder, video: Path, every: int, job: Job | None = None) -> dict:
    """Detections on every `every`-th frame of a clip, and how many frames had 0, 1, 2... of them: on a
    clip of known people (fi_protagonist.mp4: one; multispeaker_short.mp4: three) the rest are false."""
    import cv2

    cap = cv2.VideoCapture(str(video))
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    counts: dict[int, int] = {}
    index = 0
    for _ in (job or Job()).each(range(total), Path(video).name):
        ok, frame = cap.read()
        if not ok:
            break
        if index % every == 0:
            n = len(finder.detect(frame))
            counts[n] = counts.get(n, 0) + 1
        index += 1
    cap.release()
    return {"clip": str(video), "frames": sum(counts.values()), "detections": sum(n * k for n, k in counts.items()),
            "frames_by_detections": {str(n): counts[n] for n in sorted(counts)}}


def eval_detection(
    masked_dir: Path,
    unmasked_dirs: list[Path],
    *,
    config: DetectorConfig | None = None,
    limit: int = 1000,
    faces_csv: Path | None = None,
    sheet: Path | None = None,
    clips: list[Path] = (),
    clip_every: int = 5,
    job: Job | None = None,
) -> dict:
    """The app's detector settings (or `config`) against BASELINE on both sets (and on `clips`,
    every `clip_every`-th frame)."""
    from faceapp.config import DETECTOR

    config = config or DETECTOR
    photos = load_masked_photos(masked_dir, faces_csv or FACES_CSV)
    paths = [p for folder in unmasked_dirs for p in sample_photos(folder, limit)]
    result = {"settings": {"thresholds": list(config.thresholds), "min_face_size": config.min_face_size,
                           "second_pass": config.second_pass, "blazeface_threshold": config.blazeface_threshold,
                           "blazeface_mirrored": config.blazeface_mirrored, "presence_check": config.presence_check}}
    extras = {}
    job, per_config = job or Job(), len(photos) + len(paths) + len(clips)
    for k, (name, cfg) in enumerate((("baseline", BASELINE), ("app", config))):
        finder = FaceFinder(cfg)
        start = k * per_config
        result[name] = {"masked": eval_masked_detection(finder, photos, job.part(start, 2 * per_config))}
        result[name]["unmasked"], extras[name] = eval_false_detections(
            finder, paths, job.part(start + len(photos), 2 * per_config))
        result[name]["clips"] = [eval_clip_detections(finder, clip, clip_every) for clip in clips]
    added = new_extras(extras["app"], extras["baseline"])
    result["app"]["unmasked"]["extra_not_in_baseline"] = [
        {"photo": str(e.path), "box": [round(float(v), 1) for v in e.detection.box],
         "score": round(e.detection.score, 3), "source": e.detection.source} for e in added]
    if sheet is not None:
        result["sheet"] = str(contact_sheet(added, sheet))
    return result
