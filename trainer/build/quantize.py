"""INT8 copies of the embedders, statically quantised with onnxruntime.quantization.

Calibration data: ArcFace-aligned crops of every face the app finds in the shared photo folders
(faces-sample and faces-peer by default), each also with the three enrollment mask styles drawn on,
so the activation ranges cover masked faces as well, preprocessed as that embedder's own
(faceapp.vision.embedder.PREPROCESSING). Never LFW: LFW is the evaluation set.
Static, per-channel signed weights, MinMax ranges over the crops in file order: the same photos
give the same file (no random draws anywhere). The defaults, QDQ with unsigned activations on every
op, are the most accurate of the variants tried on MobileFaceNet; none is shipped: each loses
accuracy for a small saving, and the quantiser's own default (signed activations) is slower than
FP32 on this CPU (figures, commands and the ship decision per embedder: docs/benchmarks.md, "INT8").

    python -m trainer.build.quantize [--embedder sface.onnx|mobilefacenet.onnx] [--photos DIR ...]
                                     [--out build/int8] [--format F --activations A --ops O]
    python -m trainer.build.quantize [--embedder E] --time-only [--out DIR]   # ms per face, FP32 and INT8

The output is <out>/<stem>.int8.onnx; the app's Embedder gives it its source's preprocessing.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "build" / "int8"


def calibration_crops(folders: list[Path]) -> np.ndarray:
    """(N, 112, 112, 3) BGR uint8: every detected face of every photo, plain and with each
    enrollment mask style (the embedder sees both in the app)."""
    from faceapp.vision.engine import Engine
    from faceapp.vision.imageio import load_image

    engine = Engine(with_mask=False)
    crops = []
    for folder in folders:
        for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png")):
            image = load_image(path)
            for face in engine.analyze(image, eyes=False, mask=False, embed=False):
                crops.append(face.aligned)
                crops.extend(crop for _, crop in engine.masked_variants(image, face.detection))
    if not crops:
        raise SystemExit(f"no face found in {', '.join(map(str, folders))}")
    return np.stack(crops)


def int8_name(embedder: str) -> str:
    from faceapp.vision.embedder import INT8_SUFFIX

    return Path(embedder).stem + INT8_SUFFIX


def embedder_input(crops: np.ndarray, embedder: str | Path) -> np.ndarray:
    """The network input the app's Embedder feeds this file."""
    from faceapp.vision.embedder import network_input, preprocessing_of

    return network_input(crops, preprocessing_of(embedder))


def quantize_embedder(source: Path, target: Path, crops: np.ndarray, fmt: str = "qdq",
                      activations: str = "uint8", ops: str = "all") -> None:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Crops(CalibrationDataReader):
        def __init__(self, x: np.ndarray, name: str, batch: int = 16):
            self.batches = iter([{name: x[i:i + batch]} for i in range(0, len(x), batch)])

        def get_next(self):
            return next(self.batches, None)

    import onnx

    name = onnx.load(str(source)).graph.input[0].name
    target.parent.mkdir(parents=True, exist_ok=True)
    prepared = target.with_suffix(".prep.onnx")
    quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
    quantize_static(str(prepared), str(target), Crops(embedder_input(crops, source), name),
                    quant_format={"qoperator": QuantFormat.QOperator, "qdq": QuantFormat.QDQ}[fmt], per_channel=True,
                    activation_type={"uint8": QuantType.QUInt8, "int8": QuantType.QInt8}[activations],
                    weight_type=QuantType.QInt8, op_types_to_quantize=["Conv"] if ops == "conv" else None)
    prepared.unlink()


def ms_per_face(path: Path, threads: int = 2, faces: int = 200) -> dict[str, float]:
    """One face per run, as the live pipeline embeds a face or two per frame: the median wall ms,
    and the process CPU ms per face (both threads), which a loaded machine distorts far less."""
    from faceapp.vision.embedder import Embedder

    embedder = Embedder(path, threads=threads)
    crop = np.random.default_rng(0).integers(0, 255, (1, 112, 112, 3), dtype=np.uint8)
    for _ in range(10):
        embedder.embed(crop)
    times = []
    cpu0 = time.process_time()
    for _ in range(faces):
        t0 = time.perf_counter()
        embedder.embed(crop)
        times.append((time.perf_counter() - t0) * 1000)
    return {"wall_ms_median": round(float(np.median(times)), 2),
            "cpu_ms_per_face": round((time.process_time() - cpu0) * 1000 / faces, 2)}


def main(argv: list[str] | None = None) -> None:
    from faceapp.recognition.model_versions import BASE_MODEL_FILE
    from faceapp.vision.embedder import PREPROCESSING

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedder", choices=sorted(PREPROCESSING), default=BASE_MODEL_FILE,
                        help="the shipped embedder to quantise (default: the app's, %(default)s)")
    parser.add_argument("--photos", type=Path, nargs="+",
                        default=[SHARED / "faces-sample", SHARED / "faces-peer"])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--format", choices=("qdq", "qoperator"), default="qdq")
    parser.add_argument("--activations", choices=("uint8", "int8"), default="uint8")
    parser.add_argument("--ops", choices=("all", "conv"), default="all",
                        help="quantise the convolutions only, or every op the quantiser knows (PReLU's parts too)")
    parser.add_argument("--time-only", action="store_true", help="only time the FP32 and the built INT8 file")
    args = parser.parse_args(argv)

    import os

    from faceapp.resources import model_path

    source = model_path(args.embedder)
    target = args.out / int8_name(args.embedder)
    if not args.time_only:
        crops = calibration_crops(args.photos)
        print(f"calibrating on {len(crops)} aligned crops from {', '.join(p.name for p in args.photos)}")
        quantize_embedder(source, target, crops, args.format, args.activations, args.ops)
    load = os.getloadavg()[0]
    report = {"load_1min": round(load, 1)}
    for label, path in (("fp32", source), ("int8", target)):
        report[label] = {"file": path.name, "bytes": path.stat().st_size, "threads": 2, **ms_per_face(path)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
