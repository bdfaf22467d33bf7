"""1:N search: the gallery's embeddings as one in-memory float32 matrix, queried by cosine similarity,
ranked per person (a person has several samples, masked variants included: their best one counts).

One query is one matrix-vector product (memory-bound: N x D x 4 bytes read), then a partial sort
(argpartition) of just enough of the best rows to hold the k best persons, deduplicated per person.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from faceapp import config
from faceapp.storage.gallery import Gallery, GalleryError, ModelVersion, Person
from faceapp.vision.mask_adapter import MaskAdapter, for_embedder


class Templates(StrEnum):
    """Which samples a probe is compared with: a masked probe matches masked templates best."""

    ALL = "all"
    UNMASKED = "unmasked"
    MASKED = "masked"  # real masks and synthetic variants


@dataclass(frozen=True, slots=True)
class Candidate:
    person_id: int
    score: float  # cosine similarity of the person's best-matching sample
    sample_id: int  # that sample


# The lowest cosine similarity: the score of "nobody", which every threshold rejects.
NO_SCORE = -1.0


@dataclass(frozen=True, slots=True)
class SearchResult:
    candidates: tuple[Candidate, ...]  # best first, one per person, at most k
    runner_up: float = NO_SCORE  # score of the second-best person, whatever k was

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def score(self) -> float:
        return self.candidates[0].score if self.candidates else NO_SCORE

    @property
    def margin(self) -> float:
        """Best minus runner-up person: how clearly the winner beats everyone else."""
        return self.score - self.runner_up


@dataclass(frozen=True, slots=True)
class _Rows:
    """The matrix rows one template filter searches."""

    rows: slice
    most_per_person: int  # the most rows any one person has among them


def _normalised(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length in place (einsum: no N x D temporary); zero rows stay zero."""
    norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors))
    norms[norms == 0] = 1.0
    vectors /= norms[:, None]
    return vectors


class EmbeddingIndex:
    """An immutable snapshot of the embeddings of one model version.

    With a mask adapter the masked rows are stored adapted, and masked probes (search with
    masked_probe=True) are adapted before they meet them: both sides of a masked comparison in the
    same space (faceapp.vision.mask_adapter)."""

    def __init__(self, vectors: np.ndarray, person_ids: np.ndarray, sample_ids: np.ndarray, masked: np.ndarray,
                 adapter: MaskAdapter | None = None):
        vectors = np.asarray(vectors)
        if vectors.ndim != 2:
            raise ValueError(f"embeddings must be an (N, D) array, got shape {vectors.shape}")
        person_ids = np.asarray(person_ids, np.int64)
        masked = np.asarray(masked, bool)
        # Unmasked rows first, then masked, each grouped by person: a template filter is a slice.
        order = np.lexsort((person_ids, masked))
        if np.array_equal(order, np.arange(len(order))):
            matrix = np.array(vectors, np.float32, order="C", copy=True)  # our own copy, normalised in place
        else:
            matrix = np.ascontiguousarray(vectors[order], np.float32)
        self.matrix = _normalised(matrix)
        self.dim = matrix.shape[1]
        self.person_ids = person_ids[order]  # per row
        self.sample_ids = np.asarray(sample_ids, np.int64)[order]
        split = int(np.searchsorted(masked[order], True))  # sorted: False rows, then True rows
        self.adapter = adapter
        self.people = len(np.unique(person_ids))  # enrolled people: the thresholds depend on it
        if adapter is not None and split < len(order):
            self.matrix[split:] = adapter.apply(self.matrix[split:])
        self._rows = {
            Templates.ALL: self._part(0, len(order)),
            Templates.UNMASKED: self._part(0, split),
            Templates.MASKED: self._part(split, len(order)),
        }

    def _part(self, begin: int, end: int) -> _Rows | None:
        if begin == end:
            return None
        _, counts = np.unique(self.person_ids[begin:end], return_counts=True)
        return _Rows(slice(begin, end), int(counts.max()))

    @classmethod
    def empty(cls, dim: int) -> EmbeddingIndex:
        return cls(np.zeros((0, dim), np.float32), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool))

    def __len__(self) -> int:
        return len(self.matrix)

    def _query_matrix(self, queries: np.ndarray, masked_probe: bool) -> np.ndarray:
        q = np.array(queries, np.float32, ndmin=2, copy=True)
        if q.ndim != 2 or q.shape[1] != self.dim:
            raise ValueError(f"a query must have {self.dim} values, got shape {np.shape(queries)}")
        if not np.isfinite(q).all() or not np.einsum("ij,ij->i", q, q).all():
            raise ValueError("a query embedding is zero, NaN or infinite")
        if masked_probe and self.adapter is not None:
            return self.adapter.apply(q)
        return _normalised(q)

    def search(self, query: np.ndarray, k: int = 5, templates: Templates = Templates.ALL,
               masked_probe: bool = False) -> SearchResult:
        """The k best persons for one embedding; masked_probe: the face wears a mask."""
        q = self._query_matrix(query, masked_probe)[0]
        return self._rank(self.matrix @ q, k, templates)

    def search_batch(self, queries: np.ndarray, k: int = 5, templates: Templates = Templates.ALL,
                     masked_probe: bool = False) -> list[SearchResult]:
        """Several faces of one frame with one matrix product (cheaper per face than one by one)."""
        q = self._query_matrix(queries, masked_probe)
        scores = q @ self.matrix.T
        return [self._rank(row, k, templates) for row in scores]

    def _rank(self, scores: np.ndarray, k: int, templates: Templates) -> SearchResult:
        part = self._rows[Templates(templates)]
        if part is None or k < 1:
            return SearchResult(())
        scores = scores[part.rows]
        want = max(k, 2)  # persons: k, and at least two for the runner-up
        # Rows better than the want-th best person's best row belong to the want - 1 better persons,
        # so that row ranks at most (want - 1) * most_per_person + 1: the top `many` rows hold every
        # person we report, and only they need sorting (argpartition is O(N)).
        many = want * part.most_per_person
        top = np.argpartition(scores, len(scores) - many)[-many:] if many < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        rows = top + part.rows.start
        _, first = np.unique(self.person_ids[rows], return_index=True)  # each person's best row
        best = np.sort(first)[:want]
        candidates = tuple(
            Candidate(int(self.person_ids[rows[i]]), float(scores[top[i]]), int(self.sample_ids[rows[i]])) for i in best[:k]
        )
        runner_up = float(scores[top[best[1]]]) if len(best) > 1 else NO_SCORE
        return SearchResult(candidates, runner_up)


class GallerySearch:
    """Search over a gallery's embeddings for one model version (default: whichever is active), with
    the people they belong to, reloaded when the gallery's revision changes, whoever changed it (on
    a shared server: any door, told by its change notifications; faceapp.storage.postgres)."""

    def __init__(self, gallery: Gallery, model_version: int | ModelVersion | None = None):
        self.gallery = gallery
        self.model_version = model_version
        self._lock = threading.Lock()
        self._revision: int | None = None
        self._index: EmbeddingIndex | None = None
        self._people: dict[int, Person] = {}
        # The model version searched on the server instead of in memory (above
        # STORAGE.server_search_above embeddings); None while the index is in memory.
        self.on_server: ModelVersion | None = None
        self._people_count = 0  # people the searched embeddings belong to, in memory or on the server

    def refresh(self, force: bool = False, in_memory: bool = False) -> EmbeddingIndex | None:
        """The current index, reloaded first if the gallery changed (or `force`); None without a model
        version. in_memory: load the matrix even above STORAGE.server_search_above."""
        with self._lock:
            revision = self.gallery.revision()  # read before loading: a change in between reloads again
            if force or revision != self._revision:
                mv = self.model_version if self.model_version is not None else self.gallery.active_model()
                self.on_server = None
                if mv is None:
                    self._index, self._people_count = None, 0
                else:
                    if not isinstance(mv, ModelVersion):
                        mv = self.gallery.model_version(mv)
                    if not in_memory and self.gallery.has_vector_index and \
                            self.gallery.embedding_count(mv) > config.STORAGE.server_search_above:
                        self.on_server = mv  # too large to hold: search() asks the server's HNSW index
                        self._index = EmbeddingIndex.empty(mv.dim)
                        self._people_count = self.gallery.embedded_people(mv)
                    else:
                        self._index = EmbeddingIndex(*self.gallery.embedding_matrix(mv), adapter=for_embedder(mv.sha256))
                        self._people_count = self._index.people
                self._people = {p.id: p for p in self.gallery.list_people()}
                self._revision = revision
            return self._index

    def person(self, person_id: int) -> Person | None:
        """An enrolled person as of the current revision (a rename, deactivation or removal at any
        door shows at once), from memory; None if removed."""
        self.refresh()
        return self._people.get(person_id)

    def people(self) -> int:
        """How many people the searched embeddings belong to (the thresholds rise with it), also when
        they are searched on the server and none is held in memory."""
        self.refresh()
        return self._people_count

    def search(self, embedding: np.ndarray, k: int = 5, templates: Templates = Templates.ALL,
               masked_probe: bool = False) -> SearchResult:
        index = self.refresh()
        if self.on_server is not None:
            try:
                found = self._nearest(self.on_server, embedding, k, templates is Templates.UNMASKED)
            except GalleryError:  # the server is gone: a door's offline copy, in memory, until it is back
                index = self.refresh(force=True, in_memory=True)
            else:
                if found is not None:
                    return found
        return index.search(embedding, k, templates, masked_probe) if index is not None else SearchResult(())

    def search_latest(self, embedding: np.ndarray, k: int = 5, unmasked_only: bool = False) -> SearchResult:
        """Like search, but against the server's embeddings as they are this moment (every door's
        latest enrolment, through its HNSW index) where the gallery has one; in memory otherwise.
        For checks that must not miss an enrolment made a moment ago elsewhere (duplicates)."""
        mv = self.model_version if self.model_version is not None else self.gallery.active_model()
        found = self._nearest(mv, embedding, k, unmasked_only) if mv is not None else None
        if found is None:
            return self.search(embedding, k, Templates.UNMASKED if unmasked_only else Templates.ALL)
        return found

    def _nearest(self, mv: int | ModelVersion, embedding: np.ndarray, k: int, unmasked_only: bool) -> SearchResult | None:
        """The k best persons by the server's HNSW index (raw embeddings: no mask adapter); None
        without a server."""
        found = self.gallery.nearest(mv, embedding, k=max(k, 2) * 4, unmasked_only=unmasked_only)
        if found is None:
            return None
        best: dict[int, Candidate] = {}
        for person_id, sample_id, score in found:  # best first: a person's first row is their best
            best.setdefault(person_id, Candidate(person_id, score, sample_id))
        ranked = list(best.values())
        return SearchResult(tuple(ranked[:k]), ranked[1].score if len(ranked) > 1 else NO_SCORE)

    def search_batch(self, embeddings: np.ndarray, k: int = 5, templates: Templates = Templates.ALL,
                     masked_probe: bool = False) -> list[SearchResult]:
        index = self.refresh()
        if index is None:
            return [SearchResult(()) for _ in range(len(embeddings))]
        if self.on_server is not None:  # one query per face: pgvector has no batch search
            return [self.search(e, k, templates, masked_probe) for e in embeddings]
        return index.search_batch(embeddings, k, templates, masked_probe)


def bench_gallery(
    n_identities: int, dim: int = 192, queries: int = 200, samples_per_identity: int = 1, seed: int = 0
) -> dict[str, float | int]:
    """Time 1:N queries on random unit vectors; what `faceapp bench --gallery N` prints."""
    rng = np.random.default_rng(seed)
    rows = n_identities * samples_per_identity
    started = time.perf_counter()
    vectors = _normalised(rng.standard_normal((rows, dim), dtype=np.float32))
    person_ids = np.repeat(np.arange(n_identities), samples_per_identity)
    masked = np.tile(np.arange(samples_per_identity) > 0, n_identities)  # extra samples: masked variants
    index = EmbeddingIndex(vectors, person_ids, np.arange(rows), masked)
    build_s = time.perf_counter() - started
    del vectors  # the index holds its own copy
    # Probes: noisy copies of enrolled samples (cosine ~0.7 to the source), so each has a true match.
    truth = rng.integers(0, rows, queries)
    source = index.matrix[np.argsort(index.sample_ids)[truth]]
    probes = _normalised(source + 0.07 * rng.standard_normal((queries, dim), dtype=np.float32))
    for probe in probes[:5]:  # warm-up: page in the matrix, start BLAS threads
        index.search(probe)
    times, hits = [], 0
    cpu = time.process_time()
    for probe, row in zip(probes, truth):
        t = time.perf_counter()
        result = index.search(probe)
        times.append(time.perf_counter() - t)
        hits += result.best.person_id == person_ids[row]
    cpu_ms = (time.process_time() - cpu) / queries * 1e3
    batch = probes[: min(8, queries)]
    t = time.perf_counter()
    for _ in range(10):
        index.search_batch(batch)
    batch_ms = (time.perf_counter() - t) / (10 * len(batch)) * 1e3
    ms = np.array(times) * 1e3
    return {
        "identities": n_identities,
        "rows": rows,
        "dim": dim,
        "queries": queries,
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "matrix_mb": round(index.matrix.nbytes / 2**20, 1),
        "build_s": round(build_s, 3),
        "min_ms": round(float(ms.min()), 3),  # the speed of a machine not busy with anything else
        "mean_ms": round(float(ms.mean()), 3),
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p95_ms": round(float(np.percentile(ms, 95)), 3),
        "max_ms": round(float(ms.max()), 3),
        # CPU time of all threads per query: unlike wall time, not inflated by waiting for a busy CPU
        "cpu_ms": round(cpu_ms, 3),
        "batch8_ms_per_query": round(batch_ms, 3),
        "top1_correct": round(hits / queries, 4),
    }
