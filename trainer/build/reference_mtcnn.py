"""facenet-pytorch's own MTCNN, the reference our ONNX detector is checked and timed against.

`import facenet_pytorch` imports torchvision, and the only torchvision wheel for torch 2.13 fails
to import here (../shared/MODELS.md). MTCNN needs a single function from it, `batched_nms`, so the
two source files are loaded straight from the installed package while a small stand-in
`torchvision` sits in sys.modules; the stand-in is removed again once they are loaded.
Only `MTCNN.detect` is supported (face extraction would need torchvision's `to_tensor`).
"""

from __future__ import annotations

import functools
import importlib.util
import sys
import types
from pathlib import Path

import numpy as np
import torch


def _nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy NMS with torchvision's conventions: areas without +1, drop IoU > threshold."""
    order = torch.sort(scores, descending=True, stable=True).indices
    boxes = boxes[order]
    x1, y1, x2, y2 = boxes.unbind(1)
    area = (x2 - x1) * (y2 - y1)
    xx1 = torch.maximum(x1[:, None], x1[None, :])
    yy1 = torch.maximum(y1[:, None], y1[None, :])
    xx2 = torch.minimum(x2[:, None], x2[None, :])
    yy2 = torch.minimum(y2[:, None], y2[None, :])
    inter = (xx2 - xx1).clamp(min=0) * (yy2 - yy1).clamp(min=0)
    iou = inter / (area[:, None] + area[None, :] - inter)
    suppressed = torch.zeros(len(order), dtype=torch.bool)
    keep = []
    for i in range(len(order)):
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= iou[i] > iou_threshold
    return order[torch.as_tensor(keep, dtype=torch.long)]


def batched_nms(boxes: torch.Tensor, scores: torch.Tensor, idxs: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """torchvision.ops.boxes.batched_nms: NMS per index value, by offsetting each group apart."""
    if boxes.numel() == 0:
        return torch.empty((0,), dtype=torch.int64)
    offsets = idxs.to(boxes) * (boxes.max() + 1)
    return _nms(boxes + offsets[:, None], scores, iou_threshold)


def _fake_torchvision() -> dict[str, types.ModuleType]:
    tv = types.ModuleType("torchvision")
    transforms = types.ModuleType("torchvision.transforms")
    functional = types.ModuleType("torchvision.transforms.functional")
    ops = types.ModuleType("torchvision.ops")
    ops_boxes = types.ModuleType("torchvision.ops.boxes")
    ops_boxes.batched_nms = batched_nms
    tv.transforms, transforms.functional, tv.ops, ops.boxes = transforms, functional, ops, ops_boxes
    return {m.__name__: m for m in (tv, transforms, functional, ops, ops_boxes)}


def _load(name: str, path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@functools.cache
def reference_mtcnn_class() -> type:
    """facenet_pytorch.MTCNN, loaded without torchvision. Raises ImportError if facenet-pytorch is absent."""
    spec = importlib.util.find_spec("facenet_pytorch")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("facenet-pytorch is not installed (pip install --no-deps facenet-pytorch==2.6.0)")
    models_dir = Path(spec.submodule_search_locations[0]) / "models"
    # A private package name, so mtcnn.py's relative import resolves without running
    # facenet_pytorch/__init__.py (which imports torchvision).
    pkg = "_facenet_reference"
    fakes = _fake_torchvision()
    saved = {name: sys.modules.get(name) for name in fakes}
    sys.modules.update(fakes)
    try:
        for name, path in ((pkg, None), (f"{pkg}.models", models_dir), (f"{pkg}.models.utils", models_dir / "utils")):
            package = types.ModuleType(name)
            package.__path__ = [str(path)] if path else []
            sys.modules[name] = package
        _load(f"{pkg}.models.utils.detect_face", models_dir / "utils" / "detect_face.py")
        mtcnn = _load(f"{pkg}.models.mtcnn", models_dir / "mtcnn.py")
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return mtcnn.MTCNN


@functools.cache
def _reference_instance(min_face_size: float, thresholds: tuple[float, float, float], factor: float):
    return reference_mtcnn_class()(
        min_face_size=min_face_size, thresholds=list(thresholds), factor=factor, select_largest=False, keep_all=True
    )


def reference_detect(
    image_bgr: np.ndarray, min_face_size: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Detect with facenet-pytorch, parameters from faceapp.config.DETECTOR.

    Returns float32 boxes (N, 4) x1 y1 x2 y2, probs (N,), landmarks (N, 5, 2), highest score first.
    Its detect() returns object arrays (or None) under numpy 2; they are converted here.
    """
    from faceapp.config import DETECTOR

    mtcnn = _reference_instance(
        float(min_face_size or DETECTOR.min_face_size), tuple(DETECTOR.thresholds), DETECTOR.scale_factor
    )
    rgb = np.ascontiguousarray(image_bgr[:, :, ::-1])  # facenet-pytorch expects RGB
    boxes, probs, points = mtcnn.detect(rgb, landmarks=True)
    if boxes is None:
        return np.zeros((0, 4), np.float32), np.zeros((0,), np.float32), np.zeros((0, 5, 2), np.float32)
    return (
        np.asarray(boxes.tolist(), np.float32).reshape(-1, 4),
        np.asarray(probs.tolist(), np.float32).reshape(-1),
        np.asarray(points.tolist(), np.float32).reshape(-1, 5, 2),
    )
