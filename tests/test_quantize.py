"""The INT8 build (trainer/build/quantize.py): a calibrated file per shipped embedder that onnxruntime
runs through the app's Embedder with its source's preprocessing and that embeds like the FP32 one;
the same crops give the same bytes; `eval openset` takes the file and judges it at its source's thresholds."""

import numpy as np
import pytest

from faceapp.eval import openset
from faceapp.recognition.model_versions import file_sha256
from faceapp.resources import model_path
from faceapp.vision.embedder import MOBILEFACENET, SFACE, Embedder, preprocessing_of
from trainer.build.quantize import int8_name, main, quantize_embedder


@pytest.mark.parametrize("source, dim", [("mobilefacenet.onnx", 192), ("sface.onnx", 128)])
def test_int8_embedder_is_built_reproducibly_and_embeds_like_fp32(trainer_faces, tmp_path, source, dim):
    faces, _ = trainer_faces
    crops = faces.crops[:12]  # calibration: a few aligned faces-sample crops (LFW is never used)
    first, second = tmp_path / "a" / int8_name(source), tmp_path / "b" / int8_name(source)
    quantize_embedder(model_path(source), first, crops)
    quantize_embedder(model_path(source), second, crops)
    assert file_sha256(first) == file_sha256(second)
    assert first.stat().st_size < model_path(source).stat().st_size / 2.5
    probes = faces.crops[12:20]
    int8, fp32 = Embedder(first).embed(probes), Embedder(model_path(source)).embed(probes)
    assert int8.shape == fp32.shape == (len(probes), dim)
    assert np.sum(int8 * fp32, axis=1).min() > 0.9  # the same face, to within quantisation


def test_an_int8_copy_keeps_its_sources_preprocessing_and_thresholds(tmp_path):
    assert int8_name("sface.onnx") == "sface.int8.onnx"
    assert preprocessing_of("build/int8/sface.int8.onnx") == SFACE
    assert preprocessing_of("build/int8/mobilefacenet.int8.onnx") == MOBILEFACENET
    assert openset.shipped_name("build/int8/sface.int8.onnx") == "sface"
    assert openset.shipped_name("models/finetuned-3.onnx") == ""
    file = tmp_path / "sface.int8.onnx"
    file.write_bytes(b"")
    assert openset.embedder_path(str(file)) == file
    with pytest.raises(ValueError, match="unknown embedder"):
        openset.embedder_path(str(tmp_path / "missing.onnx"))


def test_the_default_embedder_is_the_apps(monkeypatch, tmp_path):
    built = []

    def quantize(source, target, *options):
        built.append((source.name, target.name))
        target.write_bytes(b"int8")

    monkeypatch.setattr("trainer.build.quantize.calibration_crops", lambda folders: np.zeros((1, 112, 112, 3), np.uint8))
    monkeypatch.setattr("trainer.build.quantize.quantize_embedder", quantize)
    monkeypatch.setattr("trainer.build.quantize.ms_per_face", lambda path: {})
    main(["--out", str(tmp_path)])
    assert built == [("sface.onnx", "sface.int8.onnx")]


def test_eval_lfw_refuses_a_missing_embedder_file(cli, capsys, tmp_path):
    with pytest.raises(SystemExit):
        cli("eval", "lfw", tmp_path, "--embedder", tmp_path / "missing.onnx")
    assert "no such file" in capsys.readouterr().err
