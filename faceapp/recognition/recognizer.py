"""Who is this face? One probe against the gallery's search index -> types.Match.

The threshold follows the mask state: a mask hides half the face and lowers same-person similarity
by ~0.3, so masked probes get the lower masked threshold and are compared with the masked templates
(synthetic variants made at enrollment) as well as the plain ones, both sides through the mask
adapter when the model has one (faceapp.vision.mask_adapter). Unmasked probes only meet plain
templates: masked templates of different people resemble each other (same mask, half a face) and
would only add impostor scores. A winner too close to the runner-up person is unknown too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from faceapp.access.policy import AccessPolicy
from faceapp.storage.gallery import Gallery, ModelVersion, Person
from faceapp.recognition.model_versions import BASE_MODEL_FILE, file_sha256, upgrade_base
from faceapp.recognition.search import GallerySearch, SearchResult, Templates
from faceapp.types import Face, Match

def embedder_version(gallery: Gallery, embedder) -> ModelVersion:
    """The gallery's model version for this embedder's weights (registered if new, and made active
    when no version is active yet, or when the gallery is still on an earlier shipped base model and
    this is the current one): embeddings of different weights must never be compared."""
    path = Path(embedder.path)
    if path.name == BASE_MODEL_FILE:
        upgrade_base(gallery)
    dim = embedder.embed(np.zeros((1, 112, 112, 3), np.uint8)).shape[1]  # the model's own output size
    mv = gallery.register_model(path.stem, path.name, file_sha256(path), int(dim))
    if gallery.active_model() is None:
        gallery.activate_model(mv)
        mv = gallery.model_version(mv.id)
    return mv


class Recognizer:
    """1:N identification against one model version of the gallery; follows gallery changes."""

    def __init__(self, gallery: Gallery, model_version: int | ModelVersion, policy: AccessPolicy | None = None,
                 search: GallerySearch | None = None):
        """search: an index of this model version shared with other recognizers (several cameras)."""
        self.gallery = gallery
        self.search = search or GallerySearch(gallery, model_version)
        self.policy = policy or AccessPolicy.from_settings(gallery)

    def person(self, person_id: int) -> Person | None:
        """The enrolled person now (a rename or removal shows at once); None if removed."""
        return self.search.person(person_id)

    def reload_settings(self) -> None:
        """Pick up thresholds changed in Settings."""
        self.policy = AccessPolicy.from_settings(self.gallery)

    def policy_now(self) -> AccessPolicy:
        """The policy with its thresholds for the gallery's size now (AccessPolicy.for_people)."""
        return self.policy.for_people(self.search.people())

    def _match(self, result: SearchResult, masked: bool) -> Match:
        policy = self.policy_now()
        threshold = policy.threshold_masked if masked else policy.threshold_unmasked
        best = result.best
        known = best is not None and result.score >= threshold and result.margin >= policy.min_margin
        person = self.person(best.person_id) if known else None
        return Match(
            person_id=person.id if person else None,
            name=person.name if person else None,
            score=result.score,
            margin=result.margin,
            threshold=threshold,
            masked=masked,
        )

    def identify_embedding(self, embedding: np.ndarray, masked: bool | None) -> Match:
        """masked=None (no mask check) is treated as unmasked: the stricter threshold."""
        masked = bool(masked)
        result = self.search.search(embedding, k=2, templates=Templates.ALL if masked else Templates.UNMASKED,
                                    masked_probe=masked)
        return self._match(result, masked)

    def identify(self, face: Face) -> Match:
        if face.embedding is None:
            raise ValueError("the face has no embedding to identify")
        return self.identify_embedding(face.embedding, face.masked)

    def identify_many(self, faces: list[Face]) -> list[Match]:
        return self.identify_batch(np.stack([f.embedding for f in faces]), [f.masked for f in faces]) if faces else []

    def identify_batch(self, embeddings: np.ndarray, masked: list[bool | None]) -> list[Match]:
        """Several faces of one frame: one matrix product per template set."""
        out: list[Match | None] = [None] * len(masked)
        for state in (False, True):
            idx = [i for i, m in enumerate(masked) if bool(m) == state]
            if not idx:
                continue
            results = self.search.search_batch(embeddings[idx], k=2, templates=Templates.ALL if state else Templates.UNMASKED,
                                               masked_probe=state)
            for i, r in zip(idx, results):
                out[i] = self._match(r, state)
        return out
