"""facenet-pytorch's MTCNN as a reference detector for measurements, without torchvision.

Importing `facenet_pytorch` imports torchvision, whose only wheel for this torch fails on import
(../shared/MODELS.md). Its two plain modules (models/mtcnn.py, models/utils/detect_face.py) need
torchvision only for `batched_nms` (and an unused `transforms.functional`), so they are loaded
by file path with a small NMS standing in. Build and measurement scripts only; the app uses
faceapp.detector.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import numpy as np
import torch

from faceapp.types import Detection

_PACKAGE = "_facenet_pytorch_ref"


def batched_nms(boxes: torch.Tensor, scores: torch.Tensor, idxs: torch.Tensor, iou: float) -> torch.Tensor:
    """Greedy IoU NMS within each idxs group; kept indices by falling score (torchvision's contract)."""
    b = boxes.detach().cpu().double().numpy()
    b = b + (idxs.detach().cpu().double().numpy() * (b.max() + 1.0 if len(b) else 0.0))[:, None]
    order = np.argsort(-scores.detach().cpu().numpy(), kind="stable")
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    keep = []
    while order.size:
        i, rest = order[0], order[1:]
        keep.append(i)
        w = np.clip(np.minimum(b[i, 2], b[rest, 2]) - np.maximum(b[i, 0], b[rest, 0]), 0, None)
        h = np.clip(np.minimum(b[i, 3], b[rest, 3]) - np.maximum(b[i, 1], b[rest, 1]), 0, None)
        inter = w * h
        order = rest[inter / (area[i] + area[rest] - inter) <= iou]
    return torch.as_tensor(np.array(keep, np.int64))


def _load(name: str, path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _mtcnn_class():
    if f"{_PACKAGE}.models.mtcnn" in sys.modules:
        return sys.modules[f"{_PACKAGE}.models.mtcnn"].MTCNN
    spec = importlib.util.find_spec("facenet_pytorch")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("facenet-pytorch is not installed (pip install --no-deps facenet-pytorch==2.6.0)")
    root = Path(spec.submodule_search_locations[0])
    fake = {
        "torchvision": types.ModuleType("torchvision"),
        "torchvision.ops": types.ModuleType("torchvision.ops"),
        "torchvision.ops.boxes": types.ModuleType("torchvision.ops.boxes"),
        "torchvision.transforms": types.ModuleType("torchvision.transforms"),
        "torchvision.transforms.functional": types.ModuleType("torchvision.transforms.functional"),
    }
    fake["torchvision.ops.boxes"].batched_nms = batched_nms
    saved = {k: sys.modules.get(k) for k in fake}
    sys.modules.update(fake)
    try:
        for pkg in (_PACKAGE, f"{_PACKAGE}.models", f"{_PACKAGE}.models.utils"):
            sys.modules[pkg] = types.ModuleType(pkg)
            sys.modules[pkg].__path__ = []
        _load(f"{_PACKAGE}.models.utils.detect_face", root / "models" / "utils" / "detect_face.py")
        return _load(f"{_PACKAGE}.models.mtcnn", root / "models" / "mtcnn.py").MTCNN
    finally:
        for k, v in saved.items():  # leave no fake torchvision behind for other imports
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


class ReferenceDetector:
    """facenet-pytorch MTCNN with its default thresholds; detect(bgr) -> list[Detection]."""

    def __init__(self, min_face_size: int = 40):
        self.mtcnn = _mtcnn_class()(keep_all=True, min_face_size=min_face_size, device="cpu").eval()

    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        rgb = np.ascontiguousarray(image_bgr[:, :, ::-1])
        with torch.no_grad():
            boxes, probs, points = self.mtcnn.detect(rgb, landmarks=True)
        if boxes is None:
            return []
        return [
            Detection(np.asarray(b, np.float32), float(p), np.asarray(l, np.float32).reshape(5, 2))
            for b, p, l in zip(boxes, probs, points)
        ]


def main(argv: list[str] | None = None) -> int:
    """Print {file name: {box, landmarks}} of the largest face per image as JSON (images loaded
    with faceapp.imageio.load_image, so coordinates are in its possibly shrunk frame)."""
    import argparse
    import json

    from faceapp.imageio import load_image

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("images", nargs="+", type=Path)
    args = parser.parse_args(argv)
    detector, out = ReferenceDetector(), {}
    for path in args.images:
        dets = detector.detect(load_image(path))
        if dets:
            best = max(dets, key=lambda d: d.size)
            out[path.name] = {"box": np.round(best.box, 1).tolist(), "landmarks": np.round(best.landmarks, 1).tolist()}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
