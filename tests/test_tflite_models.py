"""The committed tflite-converted models reproduce LiteRT's outputs (fixtures from trainer.build.tflite)."""

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from faceapp.resources import model_path

FIXTURES = Path(__file__).parent / "fixtures" / "tflite_reference.npz"
MODELS = ["mobilefacenet", "face_landmark", "iris_landmark", "blazeface"]


def _case(stem: str) -> tuple[np.ndarray, list[np.ndarray]]:
    data = np.load(FIXTURES)
    offset, scale = data[f"{stem}/norm"]
    x = ((data[f"{stem}/input"].astype(np.float32) - offset) / scale).transpose(0, 3, 1, 2)
    outputs = [data[k] for k in sorted(k for k in data.files if k.startswith(f"{stem}/output"))]
    return np.ascontiguousarray(x), outputs


def _assert_close(got: np.ndarray, ref: np.ndarray) -> None:
    err = np.abs(got - ref).max() / np.abs(ref).max()
    assert err < 1e-4, f"relative error {err:.2e}"


@pytest.mark.parametrize("stem", MODELS)
def test_onnx_reproduces_litert(stem):
    x, refs = _case(stem)
    sess = ort.InferenceSession(str(model_path(f"{stem}.onnx")), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    for got, ref in zip(sess.run(None, {name: x}), refs, strict=True):
        _assert_close(got, ref)
    # dynamic batch: one input at a time gives the same rows
    single = sess.run(None, {name: x[-1:]})
    for got, ref in zip(single, refs):
        _assert_close(got, ref[-1:])


def test_mobilefacenet_state_dict_reproduces_litert():
    torch = pytest.importorskip("torch")
    from trainer.mobilefacenet import MobileFaceNet

    model = MobileFaceNet()
    model.load_state_dict(torch.load(model_path("mobilefacenet.pt"), weights_only=True))
    assert all(p.requires_grad for p in model.parameters())
    x, (ref,) = _case("mobilefacenet")
    with torch.no_grad():
        _assert_close(model.eval()(torch.from_numpy(x)).numpy(), ref)


def test_mobilefacenet_export_roundtrip(tmp_path):
    """export_mobilefacenet writes an ONNX that matches the module it was given."""
    torch = pytest.importorskip("torch")
    from trainer.mobilefacenet import MobileFaceNet, export_mobilefacenet

    torch.manual_seed(0)
    model = MobileFaceNet().eval()  # random weights: the export must not depend on the tflite ones
    export_mobilefacenet(model.state_dict(), tmp_path / "m.onnx")
    x = torch.randn(3, 3, 112, 112)
    sess = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        ref = model(x).numpy()
    _assert_close(sess.run(None, {"input": x.numpy()})[0], ref)


def test_same_padding_puts_the_odd_pixel_after():
    pytest.importorskip("tflite")
    from trainer.build.tflite_convert import same_padding

    assert same_padding(112, 3, 2) == (0, 1)
    assert same_padding(56, 3, 1) == (1, 1)
    assert same_padding(7, 7, 1) == (3, 3)
    assert same_padding(64, 2, 2) == (0, 0)
