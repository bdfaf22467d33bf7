"""Training data for fine-tuning: aligned crops of enrolled people, split per person, and augmentation.

One class per person, real samples only (the gallery's synthetic-masked enrollment variants would
leak the evaluation's masks into training as fixed copies; masks are drawn afresh here instead).
Augmentation is numpy + one cv2.warpAffine per crop: torchvision is not usable on this platform.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import torch

from faceapp.training import AugmentConfig
from faceapp.vision.embedder import MOBILEFACENET, network_input

CROP = 112


@dataclass(slots=True)
class FaceSet:
    """Aligned crops with a class index per crop; class k is the person names[k]."""

    crops: np.ndarray  # (N, 112, 112, 3) uint8 BGR, ArcFace template
    labels: np.ndarray  # (N,) int64 in [0, len(names))
    names: list[str]
    person_ids: list[int | None] = field(default_factory=list)  # gallery ids per class, if from a gallery

    def __post_init__(self) -> None:
        self.crops = np.asarray(self.crops, np.uint8).reshape(-1, CROP, CROP, 3)
        self.labels = np.asarray(self.labels, np.int64).reshape(-1)
        if len(self.crops) != len(self.labels):
            raise ValueError("crops and labels differ in length")

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def num_classes(self) -> int:
        return len(self.names)

    def counts(self) -> np.ndarray:
        return np.bincount(self.labels, minlength=self.num_classes)

    def photos(self) -> dict[str, int]:
        """{person name: photos}, what faceapp.training.check_trainable takes."""
        return {name: int(n) for name, n in zip(self.names, self.counts())}

    def subset(self, index: np.ndarray) -> FaceSet:
        return FaceSet(self.crops[index], self.labels[index], list(self.names), list(self.person_ids))

    @classmethod
    def from_groups(cls, groups: dict[str, list[np.ndarray]], person_ids: list[int | None] | None = None) -> FaceSet:
        """From {person name: [aligned crop, ...]}; people keep the dict's order."""
        names = list(groups)
        crops = [c for name in names for c in groups[name]]
        labels = [k for k, name in enumerate(names) for _ in groups[name]]
        return cls(np.stack(crops) if crops else np.zeros((0, CROP, CROP, 3), np.uint8), np.array(labels), names,
                   person_ids or [None] * len(names))

    def save(self, path) -> None:
        np.savez_compressed(path, crops=self.crops, labels=self.labels, names=np.array(self.names))

    @classmethod
    def load(cls, path) -> FaceSet:
        with np.load(path) as z:
            return cls(z["crops"], z["labels"], [str(n) for n in z["names"]])


def faceset_from_gallery(gallery) -> FaceSet:
    """Every active person's real photos (unmasked or really masked), not the synthetic variants."""
    groups: dict[str, list[np.ndarray]] = {}
    ids: list[int | None] = []
    for person in gallery.list_people(active_only=True):
        crops = [s.crop for s in gallery.samples_for(person.id) if not s.mask_kind.startswith("synthetic")]
        if crops:
            groups[person.name] = crops
            ids.append(person.id)
    return FaceSet.from_groups(groups, ids)


def split_per_person(faces: FaceSet, held_out_fraction: float, seed: int) -> tuple[FaceSet, FaceSet]:
    """Hold out round(fraction * n) photos of every person (at least 1, leaving at least 2 to train on)."""
    rng = np.random.default_rng(seed)
    train, held = [], []
    for k in range(faces.num_classes):
        idx = rng.permutation(np.flatnonzero(faces.labels == k))
        n_held = int(np.clip(round(held_out_fraction * len(idx)), 1, max(len(idx) - 2, 1)))
        held.extend(idx[:n_held])
        train.extend(idx[n_held:])
    return faces.subset(np.sort(train)), faces.subset(np.sort(held))


def to_input(crops_bgr: np.ndarray) -> np.ndarray:
    """(N, 112, 112, 3) BGR uint8 -> (N, 3, 112, 112) float32 RGB in [-1, 1): the embedder's input."""
    return np.ascontiguousarray(network_input(np.asarray(crops_bgr), MOBILEFACENET))


def masked_copies(crops: np.ndarray, seed: int) -> np.ndarray:
    """Each crop with a random synthetic mask, reproducible per seed (the held-out masked probes)."""
    from faceapp.vision.masks import draw_mask_aligned, random_style

    rng = np.random.default_rng(seed)
    return np.stack([draw_mask_aligned(c, random_style(rng), rng) for c in crops]) if len(crops) else crops


class Augmenter:
    """Random photometric, geometric and occlusion changes of one aligned crop (uint8 BGR in and out)."""

    def __init__(self, config: AugmentConfig = AugmentConfig()):
        self.config = config

    def __call__(self, crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        c = self.config
        out = crop
        if rng.random() < c.mask_p:
            from faceapp.vision.masks import draw_mask_aligned, random_style

            out = draw_mask_aligned(out, random_style(rng), rng)
        if rng.random() < c.occlusion_p:
            out = self._occlude(out, rng)
        out = self._warp(out, rng)
        out = out.astype(np.float32)
        mean = out.mean()
        out = (out - mean) * rng.uniform(1 - c.contrast, 1 + c.contrast) + mean
        out = out * rng.uniform(1 - c.brightness, 1 + c.brightness)
        if rng.random() < c.flip_p:
            out = out[:, ::-1]
        return np.clip(out, 0, 255).astype(np.uint8)

    def _warp(self, crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        c = self.config
        h, w = crop.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-c.rotation_deg, c.rotation_deg), rng.uniform(*c.scale))
        m[:, 2] += rng.uniform(-c.shift_px, c.shift_px, 2)
        return cv2.warpAffine(crop, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)

    def _occlude(self, crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        h, w = crop.shape[:2]
        area = rng.uniform(*self.config.occlusion_area) * h * w
        aspect = np.exp(rng.uniform(np.log(0.5), np.log(2.0)))
        rh = int(np.clip(round(np.sqrt(area * aspect)), 1, h))
        rw = int(np.clip(area // rh, 1, w))  # rounded down: never more than the drawn share
        y, x = int(rng.integers(0, h - rh + 1)), int(rng.integers(0, w - rw + 1))
        out = crop.copy()
        if rng.random() < 0.5:
            out[y : y + rh, x : x + rw] = rng.integers(0, 256, 3, dtype=np.uint8)
        else:
            out[y : y + rh, x : x + rw] = rng.integers(0, 256, (rh, rw, 3), dtype=np.uint8)
        return out


class AugmentedFaces(torch.utils.data.Dataset):
    """(input tensor, class, index) per crop, freshly augmented each epoch; `set_epoch` reseeds."""

    def __init__(self, faces: FaceSet, augmenter: Augmenter | None, seed: int, rank: int = 0):
        self.faces, self.augmenter, self.seed, self.rank = faces, augmenter, seed, rank
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        self.rng = np.random.default_rng((self.seed, epoch, self.rank))

    def __len__(self) -> int:
        return len(self.faces)

    def __getitem__(self, i: int):
        crop = self.faces.crops[i]
        if self.augmenter is not None:
            crop = self.augmenter(crop, self.rng)
        return torch.from_numpy(to_input(crop[None])[0]), int(self.faces.labels[i]), i
