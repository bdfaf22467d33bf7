"""Presentation-attack evaluation: `faceapp eval spoof DIR`, measured as ISO/IEC 30107-3 does.

DIR holds the images and a labels.csv (columns file,label with label live or spoof; other columns
are ignored). Each image's main face is found by the app's detector and scored by the passive
anti-spoofing models (faceapp.vision.antispoof). At the shipped threshold:

- APCER: share of attack presentations accepted as live (the door opens for a photo);
- BPCER: share of live presentations rejected as attacks (a person is refused);
- ACER: their mean;

and, independent of the threshold, the ROC AUC and the highest threshold that keeps BPCER at or
below 1% (with the APCER there). Images where no face is found are counted apart ("no face"): an
attack with no face opens nothing, a live face with none is the detector's miss, not this check's.

`--boxes` measures the crop convention: the models were trained on crops around another detector's
boxes, so the same figures are computed for our boxes (MTCNN's, and BlazeFace's refined by ONet, the
second detector's path) rescaled about their centre by several factors.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceapp.config import ANTISPOOF, DETECTOR
from faceapp.eval.metrics import roc_auc
from faceapp.eval.sheet import contact_sheet
from faceapp.eval.verification import main_face
from faceapp.types import Detection
from faceapp.vision.antispoof import AntiSpoof
from faceapp.vision.finder import FaceFinder
from faceapp.vision.imageio import load_image

LABELS = "labels.csv"
# BPCER the "threshold at BPCER 1%" figure is reported for: a person refused once in 100 visits.
TARGET_BPCER = 0.01
# Box rescaling factors tried by --boxes (the models were checked at +-20% with their detector).
BOX_SCALES = (0.8, 0.9, 1.0, 1.1, 1.2, 1.3)


@dataclass(frozen=True, slots=True)
class Sample:
    path: Path
    live: bool


@dataclass(slots=True)
class Scored:
    sample: Sample
    detection: Detection | None
    score: float | None  # probability of a real face; None when no face was found


def read_labels(folder: str | Path) -> list[Sample]:
    """The images listed in DIR/labels.csv; a ValueError that names the problem otherwise."""
    folder = Path(folder)
    path = folder / LABELS
    if not path.is_file():
        raise ValueError(f"{folder}: no {LABELS} (columns: file,label with label live or spoof)")
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows or not {"file", "label"} <= set(rows[0]):
        raise ValueError(f"{path}: needs a header with the columns file,label")
    samples = []
    for line, row in enumerate(rows, start=2):
        label = (row["label"] or "").strip().lower()
        if label not in ("live", "spoof"):
            raise ValueError(f"{path}, line {line}: label {row['label']!r} is neither live nor spoof")
        image = folder / row["file"].strip()
        if not image.is_file():
            raise ValueError(f"{path}, line {line}: {image} does not exist")
        samples.append(Sample(image, label == "live"))
    if not samples:
        raise ValueError(f"{path}: lists no images")
    return samples


def spread(samples: list[Sample], limit: int | None) -> list[Sample]:
    """At most `limit` samples, evenly spread over the list (both labels keep their share)."""
    if not limit or limit >= len(samples):
        return samples
    return [samples[int(i)] for i in np.linspace(0, len(samples) - 1, limit)]


def pad_metrics(scores: np.ndarray, live: np.ndarray, threshold: float) -> dict:
    """APCER, BPCER, ACER at `threshold` (score >= threshold is accepted as live), AUC, and the
    highest threshold with BPCER <= TARGET_BPCER and the APCER it gives."""
    scores, live = np.asarray(scores, np.float64), np.asarray(live, bool)
    attacks, people = scores[~live], scores[live]
    apcer = float((attacks >= threshold).mean()) if len(attacks) else float("nan")
    bpcer = float((people < threshold).mean()) if len(people) else float("nan")
    out = {"attacks": int(len(attacks)), "live": int(len(people)), "threshold": threshold,
           "apcer": round(apcer, 4), "bpcer": round(bpcer, 4), "acer": round((apcer + bpcer) / 2, 4),
           "auc": round(roc_auc(scores, live), 5)}
    if len(people):
        # Rejecting the `allowed` lowest live scores is within target: the threshold sits on the next one.
        allowed = int(np.floor(TARGET_BPCER * len(people)))
        t = float(np.sort(people)[allowed])
        out["threshold_at_bpcer_1%"] = round(t, 4)
        out["apcer_at_bpcer_1%"] = round(float((attacks >= t).mean()), 4) if len(attacks) else float("nan")
    return out


def score_samples(samples: list[Sample], scorers: list[AntiSpoof], find) -> tuple[list[list[Scored]], list[tuple[float, float]]]:
    """Each sample's main face (find(image) -> detections), scored by each of `scorers` (one list of
    results per scorer, the image decoded and detected once); also (wall ms, CPU ms) per scoring of
    the first. CPU time is this thread's: the models run single-threaded in the caller's thread,
    and on a shared machine it says what the check costs where wall time says how busy the
    machine was."""
    scored: list[list[Scored]] = [[] for _ in scorers]
    clock = []
    for sample in samples:
        image = load_image(sample.path)
        face = main_face(find(image), image.shape)
        for k, antispoof in enumerate(scorers):
            score = None
            if face is not None:
                t, cpu = time.perf_counter(), time.thread_time()
                score = float(antispoof.score(image, face.box[None])[0])
                if k == 0:
                    clock.append((1000 * (time.perf_counter() - t), 1000 * (time.thread_time() - cpu)))
            scored[k].append(Scored(sample, face, score))
    return scored, clock


def summarise(scored: list[Scored], threshold: float) -> dict:
    """pad_metrics over the faces found, the images without one, and how close each side came to
    the threshold (lowest live score, highest attack score)."""
    found = [s for s in scored if s.score is not None]
    out = pad_metrics(np.array([s.score for s in found]), np.array([s.sample.live for s in found]), threshold)
    out["no_face"] = {"live": sum(s.score is None and s.sample.live for s in scored),
                      "spoof": sum(s.score is None and not s.sample.live for s in scored)}
    live = [s.score for s in found if s.sample.live]
    attacks = [s.score for s in found if not s.sample.live]
    out["live_score_min"] = round(min(live), 4) if live else None
    out["spoof_score_max"] = round(max(attacks), 4) if attacks else None
    return out


def errors(scored: list[Scored], threshold: float) -> list[Scored]:
    """Attacks accepted and live faces refused at `threshold`, worst first."""
    wrong = [s for s in scored if s.score is not None and (s.score >= threshold) != s.sample.live]
    return sorted(wrong, key=lambda s: -abs(s.score - threshold))


def eval_spoof(folder: str | Path, *, threshold: float | None = None, limit: int | None = None,
               sheet: str | Path | None = None) -> dict:
    """The figures of `faceapp eval spoof` with the app's detector and models."""
    threshold = ANTISPOOF.threshold if threshold is None else threshold
    samples = spread(read_labels(folder), limit)
    finder, antispoof = FaceFinder(DETECTOR), AntiSpoof()
    (scored,), clock = score_samples(samples, [antispoof], finder.detect)
    result = {"folder": str(folder), "box_scale": antispoof.config.box_scale, **summarise(scored, threshold),
              "ms_per_face": round(float(np.median([w for w, _ in clock])), 2) if clock else None,
              "cpu_ms_per_face": round(float(np.median([c for _, c in clock])), 2) if clock else None}
    wrong = errors(scored, threshold)
    result["errors"] = [{"file": s.sample.path.name, "label": "live" if s.sample.live else "spoof",
                         "score": round(s.score, 4)} for s in wrong]
    result["scores"] = {s.sample.path.name: None if s.score is None else round(s.score, 4) for s in scored}
    if sheet is not None:
        items = [(load_image(s.sample.path), s.detection.box,
                  f"{'live' if s.sample.live else 'spoof'} {s.score:.2f} {s.sample.path.stem[:16]}") for s in wrong]
        result["sheet"] = str(contact_sheet(items, Path(sheet)))
    return result


def blazeface_path(finder: FaceFinder):
    """find(image) through the second detector's path only: BlazeFace boxes refined by ONet."""

    def find(image: np.ndarray) -> list[Detection]:
        found = finder.blazeface.detect(image, finder.config.blazeface_threshold, mirrored=finder.config.blazeface_mirrored)
        if not found:
            return []
        refined = finder.mtcnn.landmarks_in(image, np.stack([b.box for b in found]))
        return [Detection(r.box, b.score, r.landmarks, "blazeface") for b, r in zip(found, refined) if r is not None]

    return find


def box_geometry(scored: list[Scored]) -> dict:
    """Median height/width and width/eye distance of the boxes: what distinguishes one detector's
    box convention from another's."""
    boxes = [s.detection for s in scored if s.detection is not None]
    if not boxes:
        return {}
    eyes = [float(np.linalg.norm(d.landmarks[1] - d.landmarks[0])) for d in boxes]
    return {"faces": len(boxes), "height_over_width": round(float(np.median([d.height / d.width for d in boxes])), 3),
            "width_over_eye_distance": round(float(np.median([d.width / e for d, e in zip(boxes, eyes) if e > 0])), 3)}


def eval_box_convention(folder: str | Path, *, scales=BOX_SCALES, threshold: float | None = None,
                        limit: int | None = None) -> dict:
    """Per detector path (MTCNN alone, BlazeFace+ONet) and box scale: the figures of eval_spoof."""
    from dataclasses import replace

    threshold = ANTISPOOF.threshold if threshold is None else threshold
    samples = spread(read_labels(folder), limit)
    finder = FaceFinder(DETECTOR)
    paths = {"mtcnn": lambda image: finder.mtcnn.detect(image), "blazeface+onet": blazeface_path(finder)}
    result = {"folder": str(folder), "threshold": threshold, "paths": {}}
    scorers = [AntiSpoof(replace(ANTISPOOF, box_scale=scale)) for scale in scales]
    for name, find in paths.items():
        rows = {}
        by_scale, _ = score_samples(samples, scorers, find)
        for scale, scored in zip(scales, by_scale):
            rows[f"{scale:g}"] = summarise(scored, threshold)
        result["paths"][name] = {"geometry": box_geometry(by_scale[0]), "by_scale": rows}
    return result
