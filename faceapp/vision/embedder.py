"""Face embeddings on 112x112 ArcFace-aligned crops: MobileFaceNet (ArcFace-trained, 192-D; its
fine-tuned versions too) and SFace (OpenCV Zoo, 128-D, stronger at strict thresholds: docs/benchmarks.md,
open-set section)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceapp.vision.onnx_model import OnnxModel


@dataclass(frozen=True, slots=True)
class Preprocessing:
    offset: float  # network input = (RGB - offset) / scale
    scale: float
    dim: int  # output size


MOBILEFACENET = Preprocessing(127.5, 128.0, 192)
# SFace scales inside its graph; BGR measured slightly worse than RGB (../shared/MODELS.md).
SFACE = Preprocessing(0.0, 1.0, 128)
# By file name: fine-tuned models (data folder's models/) are MobileFaceNets.
PREPROCESSING = {"mobilefacenet.onnx": MOBILEFACENET, "sface.onnx": SFACE}
INT8_SUFFIX = ".int8.onnx"  # trainer/build/quantize.py's copies: <stem>.int8.onnx


def source_name(path: str | os.PathLike) -> str:
    """The FP32 file an embedder file stands for: its own name, or for an INT8 copy its source's
    ("sface.int8.onnx" -> "sface.onnx"), whose preprocessing and thresholds it keeps."""
    name = Path(path).name
    return name[: -len(INT8_SUFFIX)] + ".onnx" if name.endswith(INT8_SUFFIX) else name


def preprocessing_of(path: str | os.PathLike) -> Preprocessing:
    return PREPROCESSING.get(source_name(path), MOBILEFACENET)


def network_input(crops_bgr: np.ndarray, p: Preprocessing) -> np.ndarray:
    """(N, 112, 112, 3) BGR crops -> the (N, 3, 112, 112) float32 RGB input the network was trained on."""
    return (crops_bgr[..., ::-1].transpose(0, 3, 1, 2).astype(np.float32) - p.offset) / p.scale


class Embedder(OnnxModel):
    """embed(aligned BGR crops) -> (N, dim) float32, L2-normalised.

    Both networks were trained on RGB: feeding BGR cost MobileFaceNet 13 points of masked rank-1
    (../shared/MODELS.md), so the channel swap happens here and callers keep OpenCV's BGR.
    """

    file = "sface.onnx"  # the shipped one (faceapp.recognition.model_versions.BASE_MODEL_FILE)
    key = "mobilefacenet"  # thread count, whichever network

    def __init__(self, path: str | os.PathLike | None = None, threads: int | None = None):
        super().__init__(path, threads)
        self.preprocessing = preprocessing_of(self.path)
        self.dim = self.preprocessing.dim

    def embed(self, aligned_bgr: np.ndarray, flip: bool = False) -> np.ndarray:
        """aligned_bgr: (N, 112, 112, 3) or (112, 112, 3) uint8. flip=True also embeds the mirror
        image and sums the two before normalising (one batched run of 2N crops). It doubles the
        cost for no real gain: faces-sample same-person mean 0.793 -> 0.802, rank-1 1.00 either
        way; LFW folds 0-1 best accuracy 99.25% -> 99.33%, AUC 0.99956 -> 0.99946."""
        crops = np.asarray(aligned_bgr)
        if crops.ndim == 3:
            crops = crops[None]
        if crops.shape[1:] != (112, 112, 3):
            raise ValueError(f"expected (N, 112, 112, 3) aligned crops, got {crops.shape}")
        n = len(crops)
        if n == 0:
            return np.zeros((0, self.dim), np.float32)
        if flip:
            crops = np.concatenate([crops, crops[:, :, ::-1]])
        out = self.run(network_input(crops, self.preprocessing))[0]
        if flip:
            out = out[:n] + out[n:]
        return (out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)).astype(np.float32)
