"""The fine-tune entry point under torchrun: 2 CPU processes (gloo), DistributedSampler, rank 0 exports."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parent.parent


def test_two_process_ddp_smoke(trainer_faces, tmp_path):
    faces, _ = trainer_faces
    faces.save(tmp_path / "faces.npz")
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--standalone",
           "-m", "trainer.finetune.loop", "--faces", str(tmp_path / "faces.npz"), "--out", str(tmp_path / "out"),
           "--epochs", "1", "--batch-size", "8", "--threads", "1", "--json"]
    run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=500)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout[run.stdout.index("{"):])  # only rank 0 prints
    assert result["world_size"] == 2 and result["num_train"] == 16
    assert len(result["history"]) == 1 and result["after"] is not None
    assert Path(result["onnx_path"]).is_file() and result["onnx_max_diff"] <= 1e-4
