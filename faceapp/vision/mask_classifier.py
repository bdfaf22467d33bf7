"""Is this face masked? A small CNN on the 112x112 aligned crop (trainer/build/mask_classifier.py)."""

from __future__ import annotations

import numpy as np

from faceapp.vision.onnx_model import OnnxModel


class MaskClassifier(OnnxModel):
    file = "mask_classifier.onnx"
    key = "mask_classifier"

    def predict(self, aligned_bgr: np.ndarray) -> np.ndarray:
        """(N, 112, 112, 3) uint8 BGR crops (or one crop) -> (N,) float32 probability of a mask.

        The graph itself converts BGR 0..255 to its input scaling, so crops go in as they are.
        """
        crops = np.asarray(aligned_bgr)
        if crops.ndim == 3:
            crops = crops[None]
        if crops.shape[1:] != (112, 112, 3):
            raise ValueError(f"expected aligned crops of shape (N, 112, 112, 3), got {crops.shape}")
        if len(crops) == 0:
            return np.zeros(0, np.float32)
        return self.run(crops)[0][:, 0].astype(np.float32)
