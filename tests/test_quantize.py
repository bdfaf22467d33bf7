"""The INT8 build (trainer/build/quantize.py): a calibrated file that onnxruntime runs through the
app's Embedder and that embeds like the FP32 one; the same crops give the same bytes."""

import numpy as np
import pytest

from faceapp.recognition.model_versions import file_sha256
from faceapp.resources import model_path
from faceapp.vision.embedder import Embedder
from trainer.build.quantize import quantize_embedder


def test_int8_embedder_is_built_reproducibly_and_embeds_like_fp32(trainer_faces, tmp_path):
    faces, _ = trainer_faces
    crops = faces.crops[:12]  # calibration: a few aligned faces-sample crops (LFW is never used)
    first, second = tmp_path / "a" / "int8.onnx", tmp_path / "b" / "int8.onnx"
    quantize_embedder(model_path("mobilefacenet.onnx"), first, crops)
    quantize_embedder(model_path("mobilefacenet.onnx"), second, crops)
    assert file_sha256(first) == file_sha256(second)
    assert first.stat().st_size < model_path("mobilefacenet.onnx").stat().st_size / 2.5
    probes = faces.crops[12:20]
    int8, fp32 = Embedder(first).embed(probes), Embedder(model_path("mobilefacenet.onnx")).embed(probes)
    assert int8.shape == fp32.shape == (len(probes), 192)
    assert np.sum(int8 * fp32, axis=1).min() > 0.9  # the same face, to within quantisation


def test_eval_lfw_refuses_a_missing_embedder_file(cli, capsys, tmp_path):
    with pytest.raises(SystemExit):
        cli("eval", "lfw", tmp_path, "--embedder", tmp_path / "missing.onnx")
    assert "no such file" in capsys.readouterr().err
