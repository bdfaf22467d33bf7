"""The mask adapter: fitting, saving, the shipped file, and masked search through it."""

import numpy as np
import pytest

from faceapp.vision import mask_adapter
from faceapp.eval.verification import Embedded, adapter_pairs, pair_score
from faceapp.vision.mask_adapter import MaskAdapter
from faceapp.recognition.model_versions import file_sha256
from faceapp.resources import model_path
from faceapp.recognition.search import EmbeddingIndex, Templates


def unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def drifted(rng, n, dim=16):
    """Plain embeddings and 'masked' ones: the same faces pushed along one shared direction."""
    plain = unit(rng.standard_normal((n, dim)))
    shift = np.zeros(dim)
    shift[0] = 2.0
    return unit(plain + shift + 0.05 * rng.standard_normal((n, dim))).astype(np.float32), plain.astype(np.float32)


def test_fit_undoes_a_shared_drift():
    rng = np.random.default_rng(0)
    masked, plain = drifted(rng, 400)
    adapter = MaskAdapter.fit(masked, plain, "abc", ridge=1.0)
    test_masked, test_plain = drifted(rng, 50)
    before = np.einsum("ij,ij->i", test_masked, test_plain).mean()
    adapted = adapter.apply(test_masked)
    after = np.einsum("ij,ij->i", adapted, test_plain).mean()
    assert np.allclose(np.linalg.norm(adapted, axis=1), 1, atol=1e-5)
    assert before < 0.6 and after > 0.9


def test_fit_rejects_mismatched_rows():
    with pytest.raises(ValueError):
        MaskAdapter.fit(np.zeros((3, 4)), np.zeros((2, 4)), "abc")


def test_save_and_load_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    adapter = MaskAdapter.fit(*drifted(rng, 50), "sha", photos=7)
    adapter.save(tmp_path / "a.npz")
    again = MaskAdapter.load(tmp_path / "a.npz")
    assert again.embedder_sha256 == "sha" and again.info["photos"] == 7 and again.info["ridge"] == adapter.info["ridge"]
    assert np.array_equal(again.matrix, adapter.matrix)


def test_shipped_adapter_belongs_to_the_shipped_embedder():
    adapter = mask_adapter.for_embedder(file_sha256(model_path("mobilefacenet.onnx")))
    assert adapter is not None and adapter.matrix.shape == (192, 192)
    assert mask_adapter.for_embedder("0" * 64) is None  # a fine-tuned model's embeddings: no adapter


def test_masked_search_adapts_probe_and_masked_rows_only():
    rng = np.random.default_rng(2)
    masked, plain = drifted(rng, 400)
    adapter = MaskAdapter.fit(masked, plain, "abc", ridge=1.0)
    ann, bob = drifted(rng, 2)[1]
    ann_masked = unit(ann + np.eye(16)[0] * 2.0)  # a masked template of Ann
    index = EmbeddingIndex(np.stack([ann, ann_masked, bob]), [1, 1, 2], [10, 11, 20], [False, True, False], adapter=adapter)
    # rows: unmasked first (Ann, Bob), then masked
    assert np.allclose(index.matrix[0], ann, atol=1e-6) and np.allclose(index.matrix[1], bob, atol=1e-6)
    assert np.allclose(index.matrix[2], adapter.apply(ann_masked), atol=1e-6)
    probe = unit(ann + np.eye(16)[0] * 2.0 + 0.05 * rng.standard_normal(16))  # Ann, masked, at the door
    plain_result = index.search(probe, templates=Templates.UNMASKED)
    adapted_result = index.search(probe, templates=Templates.UNMASKED, masked_probe=True)
    assert adapted_result.best.person_id == 1 and adapted_result.score > plain_result.score


def test_pair_score_mirrors_the_masked_search():
    """The evaluations score a masked probe as the search does: best of the plain template and the
    masked templates, both sides adapted."""
    rng = np.random.default_rng(4)
    masked, plain = drifted(rng, 400)
    adapter = MaskAdapter.fit(masked, plain, "abc", ridge=1.0)
    gallery = Embedded(plain[0], templates=[masked[1], masked[2]])
    probe = masked[3]
    index = EmbeddingIndex(np.stack([plain[0], masked[1], masked[2]]), [1, 1, 1], [1, 2, 3], [False, True, True], adapter=adapter)
    assert pair_score(gallery, probe, True, adapter) == pytest.approx(index.search(probe, masked_probe=True).score, abs=1e-5)
    assert pair_score(gallery, probe, False, adapter) == pytest.approx(float(plain[0] @ probe))
    x, y = adapter_pairs([gallery, Embedded(None), Embedded(plain[4], masked=masked[4])])
    assert len(x) == len(y) == 3 and np.array_equal(y[0], plain[0])
