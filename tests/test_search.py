import numpy as np
import pytest

from faceapp.storage.gallery import Gallery, Sample
from faceapp.recognition.search import NO_SCORE, EmbeddingIndex, GallerySearch, SearchResult, Templates, bench_gallery

DIM = 32


def unit(rng, n, dim=DIM):
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def brute_force(vectors, person_ids, masked, query, templates):
    """Per-person best cosine the slow, obvious way."""
    q = query / np.linalg.norm(query)
    keep = {"all": np.ones(len(masked), bool), "masked": masked, "unmasked": ~masked}[templates]
    scores = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)) @ q
    best = {}
    for s, p in zip(scores[keep], person_ids[keep]):
        best[p] = max(best.get(p, -2.0), s)
    return sorted(best.items(), key=lambda kv: -kv[1])


@pytest.mark.parametrize("templates", list(Templates))
def test_matches_brute_force(templates):
    rng = np.random.default_rng(1)
    counts = rng.integers(1, 5, 300)  # 1 to 4 samples per person
    person_ids = np.repeat(rng.permutation(10_000)[:300], counts)
    shuffle = rng.permutation(len(person_ids))  # rows arrive in any order
    person_ids = person_ids[shuffle]
    masked = rng.random(len(person_ids)) < 0.4
    vectors = unit(rng, len(person_ids)) * rng.uniform(0.5, 3, (len(person_ids), 1)).astype(np.float32)  # not normalised
    sample_ids = np.arange(len(person_ids)) + 1000
    index = EmbeddingIndex(vectors, person_ids, sample_ids, masked)
    queries = vectors[:6] + 0.3 * unit(rng, 6)
    batch = index.search_batch(queries, k=7, templates=templates)
    for query, from_batch in zip(queries, batch):
        expected = brute_force(vectors, person_ids, masked, query, templates)
        result = index.search(query, k=7, templates=templates)
        assert [c.person_id for c in result.candidates] == [p for p, _ in expected[:7]]
        np.testing.assert_allclose([c.score for c in result.candidates], [s for _, s in expected[:7]], atol=1e-5)
        assert result.runner_up == pytest.approx(expected[1][1], abs=1e-5)
        assert result.margin == pytest.approx(expected[0][1] - expected[1][1], abs=1e-5)
        assert [c.person_id for c in from_batch.candidates] == [c.person_id for c in result.candidates]
        for c in result.candidates:  # the reported sample is that person's best allowed one
            row = int(np.flatnonzero(sample_ids == c.sample_id)[0])
            assert person_ids[row] == c.person_id
            assert templates == Templates.ALL or masked[row] == (templates == Templates.MASKED)
            assert float(vectors[row] @ query / np.linalg.norm(vectors[row]) / np.linalg.norm(query)) == pytest.approx(c.score, abs=1e-5)


def test_masked_probe_against_masked_templates():
    rng = np.random.default_rng(2)
    ann_plain, ann_masked, bob_plain = unit(rng, 3)
    probe = ann_masked + 0.05 * unit(rng, 1)[0]  # a masked face: close to Ann's masked template only
    index = EmbeddingIndex(np.stack([ann_plain, ann_masked, bob_plain]), [1, 1, 2], [10, 11, 20], [False, True, False])
    masked = index.search(probe, templates=Templates.MASKED)
    assert [(c.person_id, c.sample_id) for c in masked.candidates] == [(1, 11)]
    assert masked.runner_up == NO_SCORE  # nobody else has a masked template
    everyone = index.search(probe)
    assert everyone.best.sample_id == 11 and [c.person_id for c in everyone.candidates] == [1, 2]
    unmasked = index.search(probe, k=1, templates=Templates.UNMASKED)
    assert len(unmasked.candidates) == 1 and unmasked.best.sample_id in (10, 20)


def test_person_with_many_samples_does_not_hide_the_runner_up():
    rng = np.random.default_rng(5)
    query = unit(rng, 1)[0]
    many = query + 0.1 * unit(rng, 50)  # 50 samples of person 1, all closer than anyone else
    other = query + 0.8 * unit(rng, 1)
    rest = unit(rng, 200)
    index = EmbeddingIndex(np.vstack([rest, many, other]), [*range(100, 300), *[1] * 50, 2], np.arange(251), np.zeros(251, bool))
    result = index.search(query, k=1)
    assert [c.person_id for c in result.candidates] == [1]
    assert result.runner_up == pytest.approx(float(other[0] @ query / np.linalg.norm(other)), abs=1e-5)
    assert [c.person_id for c in index.search(query, k=3).candidates][:2] == [1, 2]
    assert len(index.search(query, k=1000).candidates) == 202  # k beyond the gallery: everyone, once


def test_empty_and_bad_queries():
    index = EmbeddingIndex.empty(DIM)
    result = index.search(np.ones(DIM))
    assert result == SearchResult(()) and result.best is None and result.score == NO_SCORE
    index = EmbeddingIndex(unit(np.random.default_rng(3), 2), [1, 2], [1, 2], [False, False])
    assert index.search(np.ones(DIM), templates=Templates.MASKED).best is None
    with pytest.raises(ValueError, match="32 values"):
        index.search(np.ones(DIM + 1))
    with pytest.raises(ValueError, match="zero"):
        index.search(np.zeros(DIM))
    with pytest.raises(ValueError, match="zero, NaN"):
        index.search(np.full(DIM, np.nan))


def test_gallery_search_follows_changes(tmp_path):
    rng = np.random.default_rng(4)
    path = tmp_path / "g.db"
    g = Gallery(path)
    search = GallerySearch(g)
    assert search.search(np.ones(DIM)).best is None  # no model version yet
    mv = g.register_model("m", "m.onnx", "a" * 64, DIM)
    g.activate_model(mv)
    crop = np.zeros((112, 112, 3), np.uint8)
    ann_vec, bob_vec, new_vec = unit(rng, 3)
    ann = g.add_person("Ann", samples=[Sample(crop)], embeddings=ann_vec[None], model_version=mv)
    assert search.search(ann_vec).best.person_id == ann.id
    index = search.refresh()
    assert search.refresh() is index  # unchanged gallery: no reload
    # a second connection (another window, the CLI) enrols Bob: the index notices
    with Gallery(path) as other:
        bob = other.add_person("Bob", samples=[Sample(crop)], embeddings=bob_vec[None], model_version=mv)
    result = search.search(bob_vec)
    assert result.best.person_id == bob.id and result.margin == pytest.approx(1 - float(ann_vec @ bob_vec), abs=1e-5)
    g.remove_person(bob.id)
    assert search.search(bob_vec).best.person_id == ann.id
    # switching the active model switches the matrix
    ft = g.register_model("m-ft", "ft.onnx", "b" * 64, DIM)
    g.replace_embeddings(ft, [s.id for s in g.samples_for(ann.id)], new_vec[None])
    assert search.search(new_vec).score < 0.99
    g.activate_model(ft)
    assert search.search(new_vec).score == pytest.approx(1.0, abs=1e-5)
    pinned = GallerySearch(g, model_version=mv)
    assert pinned.search(ann_vec).score == pytest.approx(1.0, abs=1e-5)
    assert [r.best.person_id for r in search.search_batch(np.stack([new_vec, ann_vec]))] == [ann.id, ann.id]
    g.close()


def test_bench_gallery_runs():
    figures = bench_gallery(2000, dim=64, queries=20, samples_per_identity=3)
    assert figures["rows"] == 6000 and figures["top1_correct"] == 1.0
    assert figures["p50_ms"] > 0 and figures["batch8_ms_per_query"] > 0
