"""Accuracy evaluations: `faceapp eval lfw` and `faceapp eval verify`.

Both run the live system's own path: detect -> align -> embed, with masks drawn on the full image and
the face detected again, as a camera would see a masked person.
"""

from __future__ import annotations

import csv
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from faceapp.eval import metrics
from faceapp.jobs import Job
from faceapp.vision.align import align_face
from faceapp.vision.engine import Engine
from faceapp.vision.imageio import ImageError, load_image
from faceapp.vision.mask_adapter import MaskAdapter, for_weights
from faceapp.types import Detection


@dataclass(slots=True)
class Embedded:
    """One photo run through the pipeline, unmasked and (optionally) with a synthetic mask."""

    plain: np.ndarray | None  # embedding of the photo as it is
    masked: np.ndarray | None = None  # after a mask was drawn and the face re-detected, analysed as live
    templates: list[np.ndarray] = field(default_factory=list)  # masked-template variants of `plain`
    # the same masked probe aligned from ONet's landmarks only (no face-mesh re-alignment): an ablation
    masked_mtcnn: np.ndarray | None = None
    # distance of each of the five landmarks of the masked face from the unmasked face's, in eye
    # distances: row 0 ONet's landmarks, row 1 the face mesh's five points
    drift: np.ndarray | None = None


def main_face(detections: list[Detection], shape: tuple[int, ...]) -> Detection | None:
    """The face a photo is about: the largest, nearest the centre."""
    if not detections:
        return None
    centre = np.array(shape[1::-1], np.float32) / 2

    def rank(d):
        mid = (d.box[:2] + d.box[2:]) / 2
        return d.size - 0.5 * float(np.linalg.norm(mid - centre))

    return max(detections, key=rank)


def _main_face(engine: Engine, image: np.ndarray) -> Detection | None:
    return main_face(engine.detect(image), image.shape)


def landmark_drift(bare: np.ndarray, *masked: np.ndarray) -> np.ndarray:
    """Distance of each landmark set in `masked` from `bare` (5 points each), in units of the bare
    face's eye distance: one row per set."""
    eye_distance = float(np.linalg.norm(bare[1] - bare[0]))
    return np.stack([np.linalg.norm(m - bare, axis=1) for m in masked]) / max(eye_distance, 1e-6)


def embed_photo(engine: Engine, path: Path, *, masked: bool, templates: bool, seed: int,
                flip: bool = False) -> Embedded:
    """flip: every embedding is the mean of the crop's and its mirror image's (an ablation)."""
    from faceapp.vision import masks
    try:
        image = load_image(path)
    except ImageError:
        return Embedded(None)
    det = _main_face(engine, image)
    if det is None:
        return Embedded(None)
    crop = align_face(image, det.landmarks)
    out = Embedded(engine.embedder.embed(crop, flip=flip)[0])
    rng = np.random.default_rng(seed)
    if templates:
        crops = [c for _, c in engine.masked_variants(image, det, seed)]
        out.templates = list(engine.embedder.embed(np.stack(crops), flip=flip))
    if masked:
        covered = masks.draw_mask(image, det.landmarks, masks.random_style(rng), rng)
        again = engine.redetect(covered, det)
        if again is not None:  # then as the live pipeline sees it: mask check, mesh alignment if masked
            live = engine.analyze(covered, [again], eyes=False, embed=False)[0].aligned
            onet_only = align_face(covered, again.landmarks)
            out.masked, out.masked_mtcnn = engine.embedder.embed(np.stack([live, onet_only]), flip=flip)
            out.drift = landmark_drift(det.landmarks, again.landmarks, engine.mesh.five(covered, again.landmarks))
    return out


def drift_report(embedded: list[Embedded]) -> dict:
    """Median and 90th percentile landmark drift under a mask, eyes apart from nose and mouth."""
    drifts = np.array([e.drift for e in embedded if e.drift is not None]).reshape(-1, 2, 5)
    out = {"faces": len(drifts)}
    for row, name in enumerate(("onet", "mesh")):
        for part, points in (("eyes", slice(0, 2)), ("nose_mouth", slice(2, 5))):
            d = drifts[:, row, points].ravel()
            out[f"{name}_{part}"] = ({"median": round(float(np.median(d)), 3), "p90": round(float(np.percentile(d, 90)), 3)}
                                     if len(d) else None)
    return out


def pair_score(gallery: Embedded, probe: np.ndarray, probe_masked: bool, adapter: MaskAdapter | None = None) -> float:
    """Similarity of a probe to an enrolled photo, scored as the recognizer's search scores it:
    unmasked probes meet the plain template only; masked probes also the masked templates, both
    through the mask adapter when there is one."""
    if not probe_masked:
        return float(gallery.plain @ probe)
    masked_templates = np.array(gallery.templates, np.float32).reshape(-1, len(probe))
    if adapter is not None:
        probe, masked_templates = adapter.apply(probe), adapter.apply(masked_templates)
    return max([float(gallery.plain @ probe)] + [float(t @ probe) for t in masked_templates])


def adapter_pairs(embedded: list[Embedded], probe: str = "masked") -> tuple[np.ndarray, np.ndarray]:
    """(masked, plain) embedding rows of the same photos, to fit a mask adapter on: each masked
    probe (the `probe` attribute: "masked" or "masked_mtcnn") and each masked template against its
    photo's plain embedding."""
    masked, plain = [], []
    for e in embedded:
        if e.plain is None:
            continue
        m_probe = getattr(e, probe)
        for m in e.templates + ([m_probe] if m_probe is not None else []):
            masked.append(m)
            plain.append(e.plain)
    if not masked:
        raise ValueError("no masked faces to fit a mask adapter on")
    return np.array(masked, np.float32), np.array(plain, np.float32)


@dataclass(slots=True)
class LfwEmbeddings:
    """Every image of (a spread subset of) LFW's pairs through the pipeline: the first image of a
    pair with its masked templates (the enrolled side), the second also masked (the probe side)."""

    rows: list[dict]
    photos: dict[str, Embedded]
    seconds: float

    def fold_of(self) -> dict[str, int]:
        """LFW's folds hold disjoint people, so each photo belongs to one fold."""
        return {r[k]: int(r["fold"]) for r in self.rows for k in ("img1", "img2")}


def embed_lfw(engine: Engine, lfw_dir: Path, *, masked: bool = True, limit: int | None = None,
              flip: bool = False, job: Job | None = None) -> LfwEmbeddings:
    lfw_dir = Path(lfw_dir)
    rows = list(csv.DictReader(open(lfw_dir / "pairs_resolved.csv")))
    if limit:
        rows = rows[:: max(1, len(rows) // limit)]
    needed_first, needed_second = {r["img1"] for r in rows}, {r["img2"] for r in rows}
    photos: dict[str, Embedded] = {}
    t0 = time.perf_counter()
    paths = sorted(needed_first | needed_second)
    for i, rel in enumerate((job or Job()).each(paths, "embedding the photos")):
        photos[rel] = embed_photo(engine, lfw_dir / rel, masked=masked and rel in needed_second,
                                  templates=masked and rel in needed_first, seed=i, flip=flip)
    return LfwEmbeddings(rows, photos, time.perf_counter() - t0)


def eval_lfw(engine: Engine, lfw_dir: Path, *, masked: bool = True, limit: int | None = None, flip: bool = False,
             far_at: tuple[float, ...] = (), job: Job | None = None) -> dict:
    """LFW 10-fold protocol on the 6,000 pairs; with masked=True also with every second image masked,
    scored step by step: plain embeddings, + masked templates, + the mask adapter, for the probe
    aligned as the app does (face mesh when called masked) and from ONet's landmarks only. The
    adapter is fitted on the 9 folds the threshold is chosen on, never on the tested fold's people.
    far_at: thresholds at which to report each row's FAR and TAR as well."""
    lfw = embed_lfw(engine, lfw_dir, masked=masked, limit=limit, flip=flip, job=job)
    return lfw_report(lfw, masked, far_at)


# The masked rows of the LFW report: key prefix -> the Embedded attribute holding the masked probe.
MASKED_PROBES = {"masked": "masked", "masked_mtcnn": "masked_mtcnn"}


def lfw_report(lfw: LfwEmbeddings, masked: bool = True, far_at: tuple[float, ...] = ()) -> dict:
    """The figures of eval_lfw from photos already embedded."""
    rows, cache = lfw.rows, lfw.photos
    folds = np.array([int(r["fold"]) for r in rows])
    same = np.array([r["same"] == "1" for r in rows])
    no_face = sum(1 for e in cache.values() if e.plain is None)

    def score_rows(probe_of, score) -> np.ndarray:
        scores = []
        for r in rows:
            a, b = cache[r["img1"]], cache[r["img2"]]
            probe = probe_of(b)
            # a miss counts as "different": the honest outcome for a kiosk
            scores.append(-1.0 if a.plain is None or probe is None else score(a, probe, int(r["fold"])))
        return np.array(scores)

    def report(scores):
        mean, std, _ = metrics.kfold_accuracy(scores, same, folds)
        rep = metrics.verification_report(scores, same, far_at)
        tar_mean, tar_std, _ = metrics.kfold_tar_at_far(scores, same, folds, 0.001)
        rep.update({"accuracy_mean": round(mean * 100, 2), "accuracy_std": round(std * 100, 2),
                    "tar_at_far_0.1%_folds_mean": round(tar_mean, 4), "tar_at_far_0.1%_folds_std": round(tar_std, 4)})
        return rep

    result = {"pairs": len(rows), "images": len(cache), "no_face": no_face, "seconds": round(lfw.seconds, 1),
              "unmasked": report(score_rows(lambda b: b.plain, lambda a, p, k: pair_score(a, p, False)))}
    if masked:
        fold_of = lfw.fold_of()
        result["masked_no_face"] = sum(1 for r in rows if cache[r["img2"]].plain is not None and cache[r["img2"]].masked is None)
        for prefix, attr in MASKED_PROBES.items():
            adapters = {}
            for k in np.unique(folds):
                x, y = adapter_pairs([e for p, e in cache.items() if fold_of[p] != k], attr)
                adapters[int(k)] = MaskAdapter.fit(x, y, "")
            probe = lambda b: getattr(b, attr)  # noqa: E731
            result[f"{prefix}_plain"] = report(score_rows(probe, lambda a, p, k: float(a.plain @ p)))
            result[f"{prefix}_with_templates"] = report(score_rows(probe, lambda a, p, k: pair_score(a, p, True)))
            result[f"{prefix}_with_adapter"] = report(score_rows(probe, lambda a, p, k: pair_score(a, p, True, adapters[k])))
    return result


def faces_sample_identities(folder: Path) -> dict[str, int]:
    """Identity label per photo from deepface's pair files: union of the 'Yes' pairs (10 people, 3+ photos)."""
    folder = Path(folder)
    parent: dict[str, str] = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for name, (a, b, d) in (("master.csv", ("file_x", "file_y", "Decision")),
                            ("face-recognition-pivot.csv", ("file_x", "file_y", "decision"))):
        path = folder / name
        if not path.exists():
            continue
        for row in csv.DictReader(open(path)):
            if row[d].strip() == "Yes":
                x, y = Path(row[a]).name, Path(row[b]).name
                parent[find(x)] = find(y)
    groups: dict[str, list[str]] = defaultdict(list)
    for photo in parent:
        if (folder / photo).exists():
            groups[find(photo)].append(photo)
    people = [sorted(g) for g in groups.values() if len(g) >= 3]
    return {photo: label for label, group in enumerate(sorted(people)) for photo in group}


def eval_verify(engine: Engine, folder: Path, *, far_at: tuple[float, ...] = (), job: Job | None = None) -> dict:
    """Each photo of a labelled folder as a probe against all the others enrolled (leave one out);
    also how far a mask moves the landmarks (ONet's and the face mesh's) from the bare face's."""
    labels = faces_sample_identities(folder)
    photos = sorted(labels)
    adapter = for_weights(engine.embedder.path)
    embedded = {p: embed_photo(engine, Path(folder) / p, masked=True, templates=True, seed=i)
                for i, p in enumerate((job or Job()).each(photos, "embedding the photos"))}
    result = {"photos": len(photos), "people": len(set(labels.values())), "mask_adapter": adapter is not None,
              "no_face": [p for p in photos if embedded[p].plain is None],
              "landmark_drift": drift_report(list(embedded.values()))}
    # row -> (the probe's Embedded attribute, the adapter): the app's masked row, then the ablations
    # without face-mesh re-alignment of the probe, with and without the adapter
    rows = {"unmasked": ("plain", None), "masked": ("masked", adapter),
            "masked_mtcnn": ("masked_mtcnn", None), "masked_mtcnn_with_adapter": ("masked_mtcnn", adapter)}
    for kind, (attr, row_adapter) in rows.items():
        scores, same, hits, probes = [], [], 0, 0
        for p in photos:
            probe = getattr(embedded[p], attr)
            if probe is None:
                continue
            probes += 1
            best_by_person: dict[int, float] = {}
            for q in photos:
                if q == p or embedded[q].plain is None:
                    continue
                s = pair_score(embedded[q], probe, kind != "unmasked", row_adapter)
                scores.append(s)
                same.append(labels[p] == labels[q])
                best_by_person[labels[q]] = max(best_by_person.get(labels[q], -1.0), s)
            hits += max(best_by_person, key=best_by_person.get) == labels[p]
        rep = metrics.verification_report(np.array(scores), np.array(same), far_at)
        rep["rank1"] = round(hits / max(probes, 1), 4)
        rep["probes"] = probes
        result[kind] = rep
    return result


def sample_photos(folder: Path, limit: int | None = None) -> list[Path]:
    """The photos of a folder tree, sorted; with `limit`, at most that many, evenly spread."""
    paths = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".bmp", ".webp"})
    return paths[:: max(1, len(paths) // limit)][:limit] if limit else paths


def eval_mask_detection(engine: Engine, masked_dir: Path, unmasked_dir: Path, limit: int = 1000,
                        masked_limit: int | None = None, job: Job | None = None) -> dict:
    """Share of faces called masked: every detected face in (up to `masked_limit`, evenly spread)
    photos of masked people, and the main face of (up to `limit`) photos of unmasked people."""

    def called(paths, main_only, part: Job):
        faces = masked = no_face = 0
        for path in part.each(paths, "checking the photos"):
            try:
                image = load_image(path)
            except ImageError:
                continue
            dets = engine.detect(image)
            if main_only:
                main = main_face(dets, image.shape)
                dets = [main] if main else []
            if not dets:
                no_face += 1
                continue
            crops = np.stack([align_face(image, d.landmarks) for d in dets])
            probs = engine.mask_classifier.predict(crops)
            faces += len(probs)
            masked += int((probs >= engine.mask_threshold).sum())
        return {"photos": len(paths), "photos_without_face": no_face, "faces": faces,
                "called_masked": masked, "rate": round(masked / max(faces, 1), 4)}

    job = job or Job()
    masked_paths, unmasked_paths = sample_photos(masked_dir, masked_limit), sample_photos(unmasked_dir, limit)
    total = len(masked_paths) + len(unmasked_paths)
    return {"masked": called(masked_paths, False, job.part(0, total)),
            "unmasked": called(unmasked_paths, True, job.part(len(masked_paths), total))}
