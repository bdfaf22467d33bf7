"""The committed MTCNN ONNX files against torch, from facenet-pytorch 2.6.0's weights.

The fixture (tests/fixtures/mtcnn_reference.npz, written by `python -m trainer.build.mtcnn --fixture`)
holds seeded uint8 inputs and the torch outputs for them, so the first tests need no torch.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from faceapp.resources import model_path

FIXTURE = Path(__file__).parent / "fixtures" / "mtcnn_reference.npz"
OUTPUTS = {"pnet": ["reg", "prob"], "rnet": ["reg", "prob"], "onet": ["reg", "landmarks", "prob"]}


def normalise(pixels: np.ndarray) -> np.ndarray:
    return (pixels.astype(np.float32) - 127.5) * np.float32(0.0078125)


def session(name: str) -> ort.InferenceSession:
    return ort.InferenceSession(str(model_path(f"{name}.onnx")), providers=["CPUExecutionProvider"])


def installed_state_dicts() -> Path:
    """facenet_pytorch/data of the installed package (not imported: that needs torchvision)."""
    spec = importlib.util.find_spec("facenet_pytorch")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("facenet-pytorch is not installed")
    return Path(spec.submodule_search_locations[0]) / "data"


@pytest.mark.parametrize("name", OUTPUTS)
def test_onnx_reproduces_torch_fixture(name):
    data = np.load(FIXTURE)
    got = session(name).run(OUTPUTS[name], {"image": normalise(data[f"{name}/input"])})
    for out, value in zip(OUTPUTS[name], got):
        want = data[f"{name}/{out}"]
        assert value.shape == want.shape
        # The build's acceptance rule: |onnx - torch| <= 1e-4 * max(1, |torch|).
        assert np.max(np.abs(value - want) / np.maximum(1.0, np.abs(want))) <= 1e-4, (name, out)


def test_dynamic_shapes():
    pnet, rnet, onet = session("pnet"), session("rnet"), session("onet")
    for h, w in [(12, 12), (13, 40), (145, 193)]:
        reg, prob = pnet.run(None, {"image": np.zeros((1, 3, h, w), np.float32)})
        out_h, out_w = (h - 2 + 1) // 2 - 4, (w - 2 + 1) // 2 - 4  # conv3, pool/2 (ceil), conv3, conv3
        assert reg.shape == (1, 4, out_h, out_w) and prob.shape == (1, 2, out_h, out_w)
        np.testing.assert_allclose(prob.sum(axis=1), 1.0, rtol=1e-5)
    for n in (1, 7):
        assert [o.shape for o in rnet.run(None, {"image": np.zeros((n, 3, 24, 24), np.float32)})] == [(n, 4), (n, 2)]
        shapes = [o.shape for o in onet.run(None, {"image": np.zeros((n, 3, 48, 48), np.float32)})]
        assert shapes == [(n, 4), (n, 10), (n, 2)]


@pytest.mark.parametrize("name", OUTPUTS)
def test_state_dict_keys_match_facenet(name):
    torch = pytest.importorskip("torch")
    from trainer.build.mtcnn_torch import NETS

    theirs = torch.load(installed_state_dicts() / f"{name}.pt", map_location="cpu", weights_only=True)
    ours = NETS[name]().state_dict()
    assert {k: tuple(v.shape) for k, v in ours.items()} == {k: tuple(v.shape) for k, v in theirs.items()}


@pytest.mark.parametrize("name", OUTPUTS)
def test_torch_modules_match_facenet_modules(name):
    """Our module definitions compute what facenet-pytorch's own PNet/RNet/ONet compute."""
    torch = pytest.importorskip("torch")
    installed_state_dicts()
    from trainer.build.mtcnn_torch import load_net
    from trainer.build.reference_mtcnn import reference_mtcnn_class

    reference = getattr(reference_mtcnn_class()(), name).eval()
    ours = load_net(name, installed_state_dicts() / f"{name}.pt")
    x = torch.from_numpy(normalise(np.load(FIXTURE)[f"{name}/input"]))
    with torch.no_grad():
        for a, b in zip(ours(x), reference(x)):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_export_is_reproducible(tmp_path):
    """Re-exporting the installed weights gives byte-identical files to the committed ones."""
    pytest.importorskip("torch")
    pytest.importorskip("onnx")
    from trainer.build.mtcnn import export, verify
    from trainer.build.mtcnn_torch import load_net

    for name in OUTPUTS:
        net = load_net(name, installed_state_dicts() / f"{name}.pt")
        path = tmp_path / f"{name}.onnx"
        export(name, net, path)
        assert verify(name, net, path) <= 1e-4
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest == hashlib.sha256(model_path(path.name).read_bytes()).hexdigest(), name
