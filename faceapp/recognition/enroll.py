"""Enrollment: photos (files, folders) or camera frames -> checked samples -> one person in the gallery.

Every photo passes quality gates with a stated reason when it fails (one face, size, sharpness,
pose, exposure, same person as the other photos). Each accepted photo is stored with its crop and
embedding plus synthetically masked variants (their own embeddings), so a masked face at the door
finds a masked template. A new face that already matches another enrolled person is flagged.
Everything of one person is written in one transaction: a crash or a cancel saves all or nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from faceapp.vision import quality
from faceapp.config import INPUTS, QUALITY, QualityConfig
from faceapp.jobs import Job
from faceapp.reasons import Reason, joined
from faceapp.storage.gallery import Gallery, GalleryError, Person, Sample
from faceapp.files import shown
from faceapp.recognition.names import InvalidName, clean_name, clean_optional
from faceapp.vision.imageio import ImageError, load_image
from faceapp.recognition.recognizer import Recognizer, embedder_version
from faceapp.types import Face, Match

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}

@dataclass(slots=True)
class Accepted:
    source: str
    quality: quality.FaceQuality
    variants: int  # masked variants stored with it
    sample_id: int | None = None
    notes: list[Reason] = field(default_factory=list)  # what was decided for it (the largest face used)


@dataclass(slots=True)
class Rejected:
    source: str
    reasons: list[Reason]  # every gate it failed

    @property
    def reason(self) -> str:
        """The reasons in English (the CLI's table, the log)."""
        return joined(self.reasons)

    def to_json(self) -> dict:
        return {"source": self.source, "reason": self.reason, "reasons": [r.to_json() for r in self.reasons]}


@dataclass(slots=True)
class Duplicate:
    """A new photo that already matches someone else in the gallery."""

    source: str
    person_id: int
    name: str
    score: float


@dataclass(slots=True)
class EnrollReport:
    person: Person | None  # None when nothing was saved
    accepted: list[Accepted] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    cancelled: bool = False
    error: Reason | None = None  # why nothing was saved, when something went wrong as a whole

    @property
    def saved(self) -> bool:
        return self.person is not None and bool(self.accepted)

    def to_json(self) -> dict:
        return {
            "person": None if self.person is None else {"id": self.person.id, "name": self.person.name},
            "saved": self.saved,
            "accepted": [{"source": a.source, "sample_id": a.sample_id, "variants": a.variants,
                          "quality": a.quality.as_dict(), "notes": [n.to_json() for n in a.notes]}
                         for a in self.accepted],
            "rejected": [r.to_json() for r in self.rejected],
            "duplicates": [{"source": d.source, "person_id": d.person_id, "name": d.name,
                            "score": round(d.score, 4)} for d in self.duplicates],
            "cancelled": self.cancelled,
            "error": None if self.error is None else self.error.to_json(),
        }


@dataclass(slots=True)
class Checked:
    """A photo or frame that passed the gates (what `Enroller.check` returns for a live preview)."""

    source: str
    face: Face
    quality: quality.FaceQuality
    variants: list[tuple[str, np.ndarray]] = field(default_factory=list)  # (mask kind, crop)
    variant_embeddings: np.ndarray | None = None
    notes: list[Reason] = field(default_factory=list)  # e.g. the largest of several faces was used


@dataclass(slots=True)
class PhotoCheck:
    """A photo's verdict from the gates before saving: `checked` when it passed, else `rejected`."""

    source: str
    checked: Checked | None = None
    rejected: Rejected | None = None
    duplicate: Match | None = None  # an enrolled other person it already matches


def photos_under(folder: str | os.PathLike) -> Iterator[Path]:
    """The image files in a folder and its subfolders, as found (a caller may stop at the first)."""
    return (p for p in Path(folder).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def image_files(paths: Iterable[str | os.PathLike]) -> list[Path | str]:
    """Files as given, and the image files inside given folders (sorted, not recursive)."""
    out: list[Path | str] = []
    for p in paths:
        if os.fspath(p) == "":  # Path("") is "." and would enroll the current folder: keep it a bad file
            out.append("")
            continue
        try:
            out += sorted(f for f in Path(p).iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
        except OSError:  # not a folder (or not one we can list): load_image says what it is
            out.append(Path(p))
    return out


class Enroller:
    def __init__(self, engine, gallery: Gallery, *, config: QualityConfig = QUALITY):
        self.engine = engine
        self.gallery = gallery
        self.config = config
        self.model_version = embedder_version(gallery, engine.embedder)
        self.recognizer = Recognizer(gallery, self.model_version)

    # --- one photo ---------------------------------------------------------------------------------

    def check(self, image: np.ndarray, source: str, *, allow_largest: bool = False) -> Checked | Rejected:
        """The quality gates for one image; the accepted face comes back with its embedding."""
        detections = self.engine.detect(image)
        if not detections:
            return Rejected(source, [Reason("no_face")])
        ranked = sorted(detections, key=lambda d: -d.size)
        det, notes = ranked[0], []
        if len(ranked) > 1:
            if not allow_largest and det.size < self.config.dominant_face_ratio * ranked[1].size:
                return Rejected(source, [Reason("many_faces", {"count": len(ranked)})])
            notes.append(Reason("largest_face_used", {"count": len(ranked)}))
        face = self.engine.analyze(image, [det], eyes=False)[0]
        q = quality.assess(face)
        problems = quality.problems(q, self.config)
        if problems:
            return Rejected(source, problems)
        return Checked(source, face, q, notes=notes)

    def _load_and_check(self, item, allow_largest: bool) -> tuple[np.ndarray | None, Checked | Rejected]:
        """(the image, the gates' verdict) for a path or a (source, frame) pair."""
        # the path as stored and printed: a non-UTF-8 or escape-laden file name must not stop the save
        source, image = item if isinstance(item, tuple) else (shown(item), None)
        try:
            image = load_image(item) if image is None else image
        except ImageError as exc:
            return None, Rejected(source, [Reason("unreadable", {"detail": str(exc)})])
        return image, self.check(image, source, allow_largest=allow_largest)

    def duplicate_of(self, embedding: np.ndarray, person_id: int | None) -> Match | None:
        """The enrolled other person this face already matches, if any (adding photos to
        `person_id`: matching them is no duplicate)."""
        match = self.recognizer.identify_embedding(embedding, False)
        return match if match.known and match.person_id != person_id else None

    def check_photos(
        self,
        paths: Iterable[str | os.PathLike],
        *,
        person_id: int | None = None,
        job: Job | None = None,
    ) -> list[PhotoCheck]:
        """Each photo's verdict before saving (the enroll dialog's preview): accepted with its crop
        and a possible duplicate, or rejected with reasons. Stops early when the job is cancelled."""
        job = job or Job()
        files = image_files(paths)
        checks = []
        for i, path in enumerate(files):
            if job.cancelled:
                break
            job.report(i, len(files), path.name)
            _, got = self._load_and_check(path, allow_largest=False)
            if isinstance(got, Rejected):
                checks.append(PhotoCheck(str(path), rejected=got))
            else:
                checks.append(PhotoCheck(str(path), got, duplicate=self.duplicate_of(got.face.embedding, person_id)))
        return checks

    def _variants(self, image: np.ndarray, cand: Checked, seed: int) -> None:
        """Masked variants of an unmasked face (masks.ENROLLMENT_STYLES, re-detected under the mask
        the way a camera sees a masked face) with their embeddings."""
        det = cand.face.detection
        # only the face and its surroundings: the re-detections then search a small image, not the
        # whole (maybe 12-megapixel) photo
        x0, y0 = np.maximum(det.box[:2] - det.size, 0).astype(int)
        x1, y1 = np.minimum(det.box[2:] + det.size, image.shape[1::-1]).astype(int)
        local = det.moved(1.0, -x0, -y0)
        cand.variants = self.engine.masked_variants(image[y0:y1, x0:x1], local, seed)
        cand.variant_embeddings = self.engine.embedder.embed(np.stack([crop for _, crop in cand.variants]))

    # --- a person ------------------------------------------------------------------------------------

    def enroll(
        self,
        name: str | None,
        images: Iterable[str | os.PathLike | tuple[str, np.ndarray]],
        *,
        person_id: int | None = None,
        employee_no: str | None = None,
        department: str = "",
        allow_largest: bool = False,
        masked_variants: bool = True,
        job: Job | None = None,
    ) -> EnrollReport:
        """Enroll a new person `name` (or add samples to `person_id`) from image paths, folders or
        (source, BGR frame) pairs. Returns what was accepted, rejected (with reasons) and flagged;
        a cancelled `job` saves nothing (report.cancelled)."""
        job = job or Job()
        report = EnrollReport(person=None)
        if person_id is None:
            try:  # before any photo is checked: a name the gallery would refuse wastes no work
                name = clean_name(name or "").value
                employee_no = clean_optional(employee_no, "employee number", INPUTS.max_employee_no_chars) or None
                department = clean_optional(department, "department") or ""
            except InvalidName as exc:
                report.error = Reason("bad_name", {"detail": str(exc)})
                return report
        items: list = []
        for item in images:
            items += [item] if isinstance(item, tuple) else image_files([item])
        total = len(items) + 1  # + the final save
        cands: list[Checked] = []
        for i, item in enumerate(items):
            if job.cancelled:
                report.cancelled = True
                return report
            job.report(i, total, f"checking {item[0] if isinstance(item, tuple) else shown(item)}")
            image, got = self._load_and_check(item, allow_largest)
            if isinstance(got, Rejected):
                report.rejected.append(got)
                continue
            if masked_variants and not got.face.masked:
                self._variants(image, got, seed=i)
            cands.append(got)
        cands = self._consistent(cands, report)
        if not cands:
            report.error = Reason("none_passed" if report.rejected else "no_usable_photo")
            return report
        self._duplicates(cands, person_id, report)
        if job.cancelled:
            report.cancelled = True
            return report
        job.report(total - 1, total, "saving")
        try:
            report.person = self._save(name, person_id, employee_no, department, cands, report)
        except GalleryError as exc:
            report.error = Reason("save_failed", {"detail": str(exc)})
            report.accepted.clear()
            return report
        job.report(total, total, "done")
        return report

    def _consistent(self, cands: list[Checked], report: EnrollReport) -> list[Checked]:
        """Drop photos that match fewer than half of the batch's other photos (someone else's photo
        in the folder). With two photos there is no telling which one is the odd one."""
        if len(cands) < 3:
            return cands
        emb = np.stack([c.face.embedding for c in cands])
        sims = emb @ emb.T
        need = len(cands) // 2  # half of the n - 1 others, rounded up
        keep = []
        for i, c in enumerate(cands):
            others = np.delete(sims[i], i)
            if int((others >= self.recognizer.policy.threshold_unmasked).sum()) < need:
                report.rejected.append(Rejected(c.source, [Reason("inconsistent", {"best": float(others.max())})]))
            else:
                keep.append(c)
        return keep

    def _duplicates(self, cands: list[Checked], person_id: int | None, report: EnrollReport) -> None:
        for c in cands:
            # on a shared server: against every door's enrolments as of now, not this door's copy
            result = self.recognizer.search.search_latest(c.face.embedding, k=2, unmasked_only=True)
            for cand in result.candidates:
                if cand.person_id != person_id and cand.score >= self.recognizer.policy.threshold_unmasked:
                    other = self.recognizer.person(cand.person_id)
                    if other is not None:
                        report.duplicates.append(Duplicate(c.source, other.id, other.name, cand.score))

    def _save(self, name, person_id, employee_no, department, cands: list[Checked], report: EnrollReport) -> Person:
        samples, vectors = [], []
        for c in cands:
            plain = Sample(crop=c.face.aligned, mask_kind="real" if c.face.masked else "none", source=c.source,
                           quality=c.quality.as_dict())
            samples.append(plain)
            vectors.append(c.face.embedding)
            for (kind, crop), emb in zip(c.variants, c.variant_embeddings if c.variants else []):
                samples.append(Sample(crop=crop, mask_kind=kind, source=c.source, parent=plain))
                vectors.append(emb)
        emb = np.stack(vectors).astype(np.float32)
        if person_id is None:
            if not name:
                raise GalleryError("A new person needs a name.")
            person = self.gallery.add_person(name, employee_no=employee_no, department=department, samples=samples,
                                              embeddings=emb, model_version=self.model_version)
        else:
            self.gallery.add_samples(person_id, samples, emb, self.model_version)
            person = self.gallery.get_person(person_id)
        plain_ids = iter(s.id for s in samples if s.parent is None)
        for c in cands:
            report.accepted.append(Accepted(c.source, c.quality, len(c.variants), next(plain_ids), c.notes))
        return person

