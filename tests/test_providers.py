"""Execution providers: the plan for each setting, and the CPU fallback with its one-time message,
on the real onnxruntime of this machine (which offers no accelerator the app can choose)."""

import json

import onnxruntime as ort
import pytest

from faceapp import settings
from faceapp.reasons import ReasonError
from faceapp.vision import onnx_model
from faceapp.vision.embedder import Embedder
from faceapp.vision.providers import CPU, PROVIDER_CHOICES


@pytest.fixture
def provider():
    """use_provider for one test; back to "automatic" afterwards, the messages drained."""
    yield onnx_model.use_provider
    onnx_model.use_provider("automatic")
    onnx_model.notices()


def test_automatic_takes_the_first_accelerator_offered():
    assert onnx_model.plan("automatic", [CPU]) == (CPU, None)
    assert onnx_model.plan("automatic", ["OpenVINOExecutionProvider", "CUDAExecutionProvider", CPU]) == ("CUDAExecutionProvider", None)
    assert onnx_model.plan("cpu", ["CUDAExecutionProvider", CPU]) == (CPU, None)


def test_a_provider_not_offered_plans_the_cpu_with_a_reason():
    provider, why = onnx_model.plan("coreml", ["CUDAExecutionProvider", CPU])
    assert provider == CPU and why.code == "provider_not_offered"
    assert why.text() == "CoreML is not offered by the installed onnxruntime; running on the CPU."


def test_unavailable_provider_falls_back_to_cpu_with_one_message(provider, caplog):
    assert "CUDAExecutionProvider" not in ort.get_available_providers()  # this machine has no GPU
    provider("cuda")
    first = Embedder()
    second = Embedder()  # the same message is not repeated
    assert first.provider == second.provider == CPU
    assert first.session.get_providers() == [CPU]
    messages = onnx_model.notices()
    assert [m.code for m in messages] == ["provider_not_offered"]
    assert "CUDA is not offered" in caplog.text
    assert onnx_model.notices() == []  # shown once
    Embedder()
    assert onnx_model.notices() == []  # and not again for the next model
    assert "CPU" in onnx_model.active_providers()


def test_unknown_provider_is_refused():
    with pytest.raises(ValueError, match="unknown execution provider"):
        onnx_model.use_provider("tpu")


def test_provider_setting_is_checked():
    assert settings.Settings().provider == "automatic"
    assert settings.validate({"inference.provider": " CUDA "}) == {"inference.provider": "cuda"}
    with pytest.raises(ReasonError) as error:
        settings.validate({"inference.provider": "tpu"})
    assert error.value.reason.code == "not_a_choice"
    assert settings.SPECS["inference.provider"]["check"].options == PROVIDER_CHOICES


def test_self_test_names_the_provider_and_the_fallback(tmp_path, capsys, provider):
    from faceapp.eval.selftest import run_self_test
    from faceapp.storage.gallery import Gallery

    with Gallery.open(tmp_path) as gallery:
        settings.save(gallery, {"inference.provider": "directml"})
    assert run_self_test(tmp_path, as_json=True) == 0
    models = json.loads(capsys.readouterr().out)["checks"][0]
    assert models["detail"]["provider"] == "CPU"
    assert models["detail"]["fallback"] == ["DirectML is not offered by the installed onnxruntime; running on the CPU."]
