"""Embeddings of both shipped networks (SFace, the default, and MobileFaceNet, the fine-tuning base):
format, colour order, and identity separation on faces-sample."""

import csv
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from faceapp.vision.align import align_face
from faceapp.vision.embedder import Embedder
from faceapp.vision.imageio import load_image

# MTCNN landmarks of the largest face per photo (trainer.build.reference_mtcnn.reference_detect), in the
# frame load_image returns; keeps the test free of a detector.
LANDMARKS = Path(__file__).parent / "fixtures" / "faces_sample_landmarks.json"


@pytest.fixture(scope="module", params=["sface.onnx", "mobilefacenet.onnx"])
def embedder(request):
    from faceapp.resources import model_path

    return Embedder(model_path(request.param))


def test_the_default_is_sface():
    assert Path(Embedder().path).name == "sface.onnx" and Embedder().dim == 128


def identities(folder: Path) -> list[list[str]]:
    """Photos joined by "Yes" pairs of deepface's two label files; groups of 3+ (10 people)."""
    parent = {}

    def root(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            x = parent[x]
        return x

    for name, decision in (("face-recognition-pivot.csv", "decision"), ("master.csv", "Decision")):
        with open(folder / name, newline="") as f:
            for row in csv.DictReader(f):
                if row[decision] == "Yes":
                    parent[root(Path(row["file_x"]).name)] = root(Path(row["file_y"]).name)
    groups = defaultdict(list)
    for x in list(parent):
        groups[root(x)].append(x)
    return [sorted(g) for g in groups.values() if len(g) >= 3]


def test_shape_norm_and_batching(embedder):
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 256, (3, 112, 112, 3), dtype=np.uint8)
    e = embedder.embed(crops)
    assert e.shape == (3, embedder.dim) and e.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(embedder.embed(crops[1]), e[1:2], atol=1e-5)
    assert embedder.embed(np.zeros((0, 112, 112, 3), np.uint8)).shape == (0, embedder.dim)


def test_feeds_rgb(embedder):
    """embed() takes BGR and swaps to RGB: the raw network output on the RGB crop, normalised."""
    crop = np.random.default_rng(1).integers(0, 256, (112, 112, 3), dtype=np.uint8)
    p = embedder.preprocessing
    raw = embedder.run(((crop[None, :, :, ::-1].astype(np.float32) - p.offset) / p.scale).transpose(0, 3, 1, 2))[0]
    np.testing.assert_allclose(embedder.embed(crop), raw / np.linalg.norm(raw), atol=1e-5)


def test_flip_averages_mirror(embedder):
    crop = np.random.default_rng(2).integers(0, 256, (112, 112, 3), dtype=np.uint8)
    np.testing.assert_allclose(embedder.embed(crop, flip=True), embedder.embed(crop[:, ::-1], flip=True), atol=1e-5)


def test_same_person_far_more_similar(shared, embedder):
    folder = shared / "faces-sample"
    marks = json.loads(LANDMARKS.read_text())
    groups = identities(folder)
    files = [f for g in groups for f in g]
    labels = np.array([i for i, g in enumerate(groups) for _ in g])
    crops = np.stack([align_face(load_image(folder / f), np.array(marks[f]["landmarks"], np.float32)) for f in files])
    e = embedder.embed(crops)
    sim = e @ e.T
    same = labels[:, None] == labels[None]
    upper = np.triu(np.ones_like(same), 1)
    same_mean, diff_mean = sim[same & upper].mean(), sim[~same & upper].mean()
    assert len(groups) == 10 and len(files) == 55
    assert same_mean > 0.7 and diff_mean < 0.15, (same_mean, diff_mean)  # measured 0.79 / 0.03
    from faceapp.eval.metrics import roc_auc

    assert roc_auc(sim[upper.astype(bool)], same[upper.astype(bool)]) >= 0.999  # measured 0.9999
    np.fill_diagonal(sim, -1)
    assert (labels[sim.argmax(1)] == labels).mean() == 1.0
