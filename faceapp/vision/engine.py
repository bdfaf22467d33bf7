"""The vision engine: every model loaded once and shared by the CLI, the GUI worker and the tests.

It turns an image into Faces: detect -> align -> eye openness -> mask check -> embed. Matching
against the gallery and decisions live in the recognition modules above it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import numpy as np

from faceapp.vision.align import align_face
from faceapp.config import DETECTOR, THRESHOLDS, DetectorConfig
from faceapp.types import Detection, Face


@dataclass(slots=True)
class StageTimer:
    """Milliseconds spent per stage, for the bench command and the GUI's readout."""

    ms: dict[str, float] = field(default_factory=dict)

    def add(self, stage: str, start: float) -> float:
        now = time.perf_counter()
        self.ms[stage] = self.ms.get(stage, 0.0) + (now - start) * 1000.0
        return now


class Engine:
    def __init__(self, detector_config: DetectorConfig = DETECTOR, *, with_mask: bool = True,
                 embedder_file: str | os.PathLike | None = None):
        """embedder_file: the embedder's ONNX weights (a fine-tuned model version); default the shipped ones."""
        from faceapp.vision.embedder import Embedder
        from faceapp.vision.eyes import EyeModel
        from faceapp.vision.face_mesh import FaceMesh
        from faceapp.vision.finder import FaceFinder

        from faceapp.vision.antispoof import AntiSpoof

        self.detector = FaceFinder(detector_config)
        self.embedder = Embedder(embedder_file)
        self.antispoof = AntiSpoof()
        self.eyes = EyeModel()
        self.mesh = self.detector.mesh or FaceMesh()
        self.mask_classifier = None
        self.mask_threshold = THRESHOLDS.mask_probability
        if with_mask:
            from faceapp.vision.mask_classifier import MaskClassifier

            self.mask_classifier = MaskClassifier()

    def detect(self, image: np.ndarray) -> list[Detection]:
        return self.detector.detect(image)

    def redetect(self, image: np.ndarray, near: Detection) -> Detection | None:
        """The detection in `image` of the same face as `near` (closest box), or None if it is gone."""
        found = self.detector.detect(image)
        if not found:
            return None
        return min(found, key=lambda d: float(np.abs(d.box - near.box).sum()))

    def masked_variants(self, image: np.ndarray, detection: Detection, seed: int = 0) -> list[tuple[str, np.ndarray]]:
        """(mask kind, aligned crop) for each enrollment mask style drawn on this face.

        The mask is drawn on the full image and the face detected again, because a camera sees the
        landmarks of a masked face shifted (by a median 0.17 eye distances, ../shared/MODELS.md):
        templates aligned the same way match masked probes better.
        """
        from faceapp.vision import masks
        variants = []
        for kind, style in masks.ENROLLMENT_STYLES.items():
            covered = masks.draw_mask(image, detection.landmarks, style, seed)
            again = self.redetect(covered, detection)
            landmarks = detection.landmarks if again is None else again.landmarks
            variants.append((f"synthetic-{kind}", align_face(covered, landmarks)))
        return variants

    def analyze(
        self,
        image: np.ndarray,
        detections: list[Detection] | None = None,
        *,
        eyes: bool = True,
        mask: bool = True,
        embed: bool = True,
        timer: StageTimer | None = None,
        embedder=None,
    ) -> list[Face]:
        """Run the per-face stages on every detection (detecting first if none are given).
        embedder: embed with these weights instead of the engine's current ones."""
        timer = timer or StageTimer()
        t = time.perf_counter()
        if detections is None:
            detections = self.detector.detect(image)
            t = timer.add("detect", t)
        faces = [Face(detection=d, aligned=align_face(image, d.landmarks)) for d in detections]
        t = timer.add("align", t)
        if not faces:
            return faces
        if eyes:
            for f in faces:
                f.eyes = self.eyes.openness(image, f.detection)
            t = timer.add("eyes", t)
        crops = np.stack([f.aligned for f in faces])
        if mask and self.mask_classifier is not None:
            for f, p in zip(faces, self.mask_classifier.predict(crops)):
                f.mask_score = float(p)
            t = timer.add("mask", t)
            # Masked faces are aligned again from the face mesh: ONet guesses the nose and mouth
            # under a mask (faceapp.vision.face_mesh).
            for i, f in enumerate(faces):
                if f.masked:
                    f.aligned = crops[i] = align_face(image, self.mesh.five(image, f.detection.landmarks))
            t = timer.add("mesh", t)
        if embed:
            for f, e in zip(faces, (embedder or self.embedder).embed(crops)):
                f.embedding = e
            timer.add("embed", t)
        return faces
