"""Mask adapter: a linear map that moves a masked face's embedding toward the one the same face has
without the mask.

A mask does not only hide half the face: it pushes every masked embedding the same way (the network
sees the same fabric on everyone), so masked strangers look alike and a masked probe drifts away
from its owner's plain templates. A ridge regression from masked to plain embeddings of the same
photos, fitted on LFW with synthetic masks, undoes most of that drift. Masked probes and the
gallery's masked templates go through it; plain templates stay as they are.

Figures (`faceapp eval lfw`, second image masked, adapter fitted on the 9 other folds each time):
in docs/benchmarks.md. The map belongs to one embedder's weights; a fine-tuned model runs without it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from faceapp.config import MASK_ADAPTER
from faceapp.recognition.model_versions import file_sha256
from faceapp.resources import resources_dir

SHIPPED_FILE = "mask_adapter.npz"  # in resources/models: MobileFaceNet's
# One adapter per shipped embedder, named mask_adapter[_<embedder stem>].npz; each names its weights' sha256.
SHIPPED_PATTERN = "mask_adapter*.npz"


def shipped_file(embedder_file: str) -> str:
    """The adapter file name for a shipped embedder ("sface.onnx" -> "mask_adapter_sface.npz")."""
    stem = Path(embedder_file).stem
    return SHIPPED_FILE if stem == "mobilefacenet" else f"mask_adapter_{stem}.npz"


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)).astype(np.float32)


@dataclass(frozen=True, slots=True)
class MaskAdapter:
    matrix: np.ndarray  # (D, D): adapted = unit(embedding @ matrix)
    embedder_sha256: str  # the weights whose embeddings it maps
    info: dict  # how it was fitted

    def apply(self, embeddings: np.ndarray) -> np.ndarray:
        """Adapted, unit-length copies of (N, D) or (D,) masked-face embeddings."""
        return _unit(np.asarray(embeddings, np.float32) @ self.matrix)

    @classmethod
    def fit(cls, masked: np.ndarray, plain: np.ndarray, embedder_sha256: str,
            ridge: float = MASK_ADAPTER.ridge, **info) -> MaskAdapter:
        """Least squares from masked to plain embeddings (row i: the same photo with and without a
        mask), pulled toward the identity map by `ridge` so directions the data barely covers stay put."""
        x, y = np.asarray(masked, np.float64), np.asarray(plain, np.float64)
        if x.shape != y.shape or x.ndim != 2 or len(x) == 0:
            raise ValueError(f"need matching (N, D) masked and plain embeddings, got {x.shape} and {y.shape}")
        eye = np.eye(x.shape[1])
        matrix = np.linalg.solve(x.T @ x + ridge * eye, x.T @ y + ridge * eye)
        return cls(matrix.astype(np.float32), embedder_sha256, {"pairs": len(x), "ridge": ridge, **info})

    def save(self, path: str | Path) -> None:
        np.savez(path, matrix=self.matrix, embedder_sha256=self.embedder_sha256, info=json.dumps(self.info))

    @classmethod
    def load(cls, path: str | Path) -> MaskAdapter:
        with np.load(path) as f:
            return cls(f["matrix"].astype(np.float32), str(f["embedder_sha256"]), json.loads(str(f["info"])))


@lru_cache(maxsize=1)
def _shipped() -> dict[str, MaskAdapter]:
    """{embedder sha256: adapter} of every shipped adapter."""
    adapters = (MaskAdapter.load(p) for p in sorted((resources_dir() / "models").glob(SHIPPED_PATTERN)))
    return {a.embedder_sha256: a for a in adapters}


def for_embedder(embedder_sha256: str) -> MaskAdapter | None:
    """The shipped adapter fitted for these weights, else None (masked probes are then matched as
    they are: a map fitted for other weights would only scramble them)."""
    return _shipped().get(embedder_sha256)


def for_weights(path: str | Path) -> MaskAdapter | None:
    """for_embedder of the embedder weights in this ONNX file."""
    return for_embedder(file_sha256(path))
