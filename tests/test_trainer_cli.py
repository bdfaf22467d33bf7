"""`faceapp train`: install hint without torch, refusal, a run on a gallery that registers and
activates the model, and rollback."""

import argparse
import json
import sys

import numpy as np
import pytest

from faceapp.storage.gallery import Gallery, Sample
from trainer.finetune.cli import add_arguments, cmd_train


def _args(*argv):
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir")
    add_arguments(p)
    return p.parse_args(list(argv))


def test_without_torch_it_says_how_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    assert cmd_train(_args("--data-dir", str(tmp_path))) == 2
    assert "pip install 'faceapp[trainer]'" in capsys.readouterr().err


def test_refuses_a_gallery_with_one_person(tmp_path, capsys):
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    with Gallery(tmp_path / "faceapp.db") as g:
        g.add_person("Solo", samples=[Sample(rng.integers(0, 256, (112, 112, 3), dtype=np.uint8)) for _ in range(4)])
    assert cmd_train(_args("--data-dir", str(tmp_path), "--epochs", "1")) == 2
    assert "at least 2 enrolled people" in capsys.readouterr().err


def test_refuses_a_setting_out_of_range_at_once(tmp_path, capsys):
    pytest.importorskip("torch")
    assert cmd_train(_args("--data-dir", str(tmp_path), "--mask-share", "1.5")) == 2
    assert "masked share must be between 0 and 1" in capsys.readouterr().err


def test_train_registers_activates_and_rolls_back(tmp_path, trainer_faces, strangers_dir, capsys):
    faces, _ = trainer_faces
    with Gallery(tmp_path / "faceapp.db") as g:
        for k, name in enumerate(faces.names):
            g.add_person(name, samples=[Sample(c) for c in faces.crops[faces.labels == k]])
    assert cmd_train(_args("--data-dir", str(tmp_path), "--epochs", "1", "--batch-size", "8", "--activate", "--json")) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)  # the progress bar went to stderr
    assert "fine-tuning" in captured.err and "2/2" in captured.err
    assert out["num_people"] == 4 and out["version_id"] is not None
    assert out["onnx_path"].startswith(str(tmp_path / "models"))
    with Gallery(tmp_path / "faceapp.db") as g:
        mv = g.model_version(out["version_id"])
        assert mv.metrics["recommended"] == out["recommended"]
        assert out["activated"] == out["recommended"] == (g.active_model() is not None and g.active_model().id == mv.id)

    # without strangers to check against there is no recommendation; with them the door check is printed
    assert not out["recommended"] and out["reason"].startswith("not checked against strangers")
    assert cmd_train(_args("--data-dir", str(tmp_path), "--epochs", "1", "--batch-size", "8",
                           "--unseen-dir", str(strangers_dir))) == 0
    text = capsys.readouterr().out
    assert "  strangers        named at the door (0.52): " in text and " of 6   enrolled missed " in text
    assert "  masked           named at the door (0.55): " in text
    assert "\nrecommended: " in text or "\nnot recommended: " in text

    assert cmd_train(_args("--data-dir", str(tmp_path), "--rollback", "--json")) == 0
    active = json.loads(capsys.readouterr().out)["active"]
    with Gallery(tmp_path / "faceapp.db") as g:
        assert g.active_model().id == active and g.active_model().file == "sface.onnx"  # the shipped base
        assert len(g.embedding_matrix(active)[0]) == 20
