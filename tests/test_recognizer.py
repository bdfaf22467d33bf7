from types import SimpleNamespace

import numpy as np
import pytest

from faceapp.storage.gallery import Gallery, Sample
from faceapp.access.policy import AccessPolicy
from faceapp.recognition.recognizer import Recognizer, embedder_version
from faceapp.types import Detection, Face

DIM = 16
CROP = np.zeros((112, 112, 3), np.uint8)


def unit(v):
    return (v / np.linalg.norm(v)).astype(np.float32)


@pytest.fixture
def setup(tmp_path):
    rng = np.random.default_rng(0)
    g = Gallery(tmp_path / "g.db")
    mv = g.register_model("test", "test.onnx", "abc", DIM)
    g.activate_model(mv)
    base = {name: unit(rng.standard_normal(DIM)) for name in ("ann", "bob", "cat")}
    masked = {name: unit(v + 0.8 * unit(rng.standard_normal(DIM))) for name, v in base.items()}
    people = {}
    for name in base:
        plain = Sample(crop=CROP)
        variant = Sample(crop=CROP, mask_kind="synthetic-surgical", parent=plain)
        people[name] = g.add_person(name, samples=[plain, variant],
                                    embeddings=np.stack([base[name], masked[name]]), model_version=mv).id
    yield g, mv, base, masked, people, rng
    g.close()


def face(embedding, mask_score=None):
    det = Detection(box=np.array([0, 0, 100, 100], np.float32), score=0.99, landmarks=np.zeros((5, 2), np.float32))
    return Face(detection=det, embedding=embedding, mask_score=mask_score)


def test_known_unknown_and_threshold_by_mask(setup):
    g, mv, base, masked, people, rng = setup
    rec = Recognizer(g, mv)
    m = rec.identify(face(unit(base["ann"] + 0.3 * unit(rng.standard_normal(DIM))), mask_score=0.1))
    assert m.known and m.name == "ann" and m.threshold == rec.policy.threshold_unmasked and not m.masked
    stranger = rec.identify(face(unit(rng.standard_normal(DIM)), mask_score=0.0))
    assert not stranger.known and stranger.person_id is None
    # a masked probe close to Ann's masked template: found through the masked templates, masked threshold
    mm = rec.identify(face(unit(masked["ann"] + 0.2 * unit(rng.standard_normal(DIM))), mask_score=0.9))
    assert mm.known and mm.name == "ann" and mm.masked and mm.threshold == rec.policy.threshold_masked


def test_unmasked_probe_ignores_masked_templates(setup):
    g, mv, base, masked, people, rng = setup
    rec = Recognizer(g, mv, AccessPolicy(threshold_unmasked=0.9))
    # identical to Bob's masked template, but an unmasked probe only meets plain templates
    m = rec.identify(face(masked["bob"], mask_score=0.0))
    assert not m.known and m.score < 0.9
    assert rec.identify(face(masked["bob"], mask_score=1.0)).name == "bob"


def test_ambiguous_margin_is_unknown(setup):
    g, mv, base, masked, people, rng = setup
    between = unit(base["ann"] + base["bob"])
    m = Recognizer(g, mv, AccessPolicy(threshold_unmasked=0.3, min_margin=0.05)).identify(face(between))
    assert not m.known and m.margin < 0.05 and m.score > 0.3


def test_batch_and_gallery_changes(setup):
    g, mv, base, masked, people, rng = setup
    rec = Recognizer(g, mv)
    ms = rec.identify_many([face(base["cat"]), face(masked["bob"], mask_score=0.9), face(base["ann"])])
    assert [m.name for m in ms] == ["cat", "bob", "ann"]
    g.update_person(people["cat"], name="cathy")
    g.remove_person(people["ann"])
    assert rec.identify(face(base["cat"])).name == "cathy"
    assert not rec.identify(face(base["ann"])).known


def test_embedder_version_registers_and_activates(tmp_path):
    model = tmp_path / "mobilefacenet.onnx"
    model.write_bytes(b"weights")
    with Gallery(tmp_path / "g.db") as g:
        mv = embedder_version(g, SimpleNamespace(path=model, embed=lambda x: np.zeros((len(x), 192), np.float32)))
        assert mv.active and mv.dim == 192 and mv.name == "mobilefacenet"
        assert embedder_version(g, SimpleNamespace(path=model, embed=lambda x: np.zeros((len(x), 192), np.float32))).id == mv.id
