"""`faceapp bench --database postgresql://...`: the figures of several doors on one server.

Every measurement runs in a scratch database created on that server for the run and dropped after
(so the role needs CREATEDB: the admin role of docs, never a door's):
- gallery(n): 1:N over n synthetic identities, the server's HNSW index against the in-memory search
  on the same vectors: recall@1 and per-query time;
- propagation(): an enrolment at door A until door B's in-memory search finds it;
- doors_events(): events per second one server takes from 10 doors logging at once;
- resync(): a door back after 10 minutes offline with 1,000 events queued (the clock simulated: the
  events carry times spread over those 10 minutes), until its queue is sent and its copy refreshed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import psycopg

from faceapp.storage import Event, EventKind, Gallery, Sample, now
from faceapp.storage.vectors import vector_literal

CROP = np.zeros((112, 112, 3), np.uint8)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@contextlib.contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """The URL of a new, empty database on the server of `url`; dropped afterwards."""
    name = f"faceapp_bench_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield _with_database(url, name)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _ms(values: list[float]) -> dict[str, float]:
    a = np.array(values) * 1e3
    # min: the speed of a machine not busy with anything else (this one is shared)
    return {"min_ms": round(float(a.min()), 3), "p50_ms": round(float(np.percentile(a, 50)), 3), "p95_ms": round(float(np.percentile(a, 95)), 3),
            "mean_ms": round(float(a.mean()), 3)}


def gallery(url: str, n: int, dim: int = 192, queries: int = 200, seed: int = 0,
            ef_search: tuple[int, ...] = (40, 100, 200, 400)) -> dict:
    """1:N over n identities (one sample each): HNSW on the server (at several search breadths) vs
    the in-memory matrix. Random vectors are HNSW's hardest case (no clusters to follow)."""
    from faceapp.recognition.search import EmbeddingIndex, _normalised

    rng = np.random.default_rng(seed)
    vectors = _normalised(rng.standard_normal((n, dim), dtype=np.float32))
    truth = rng.integers(0, n, queries)
    probes = _normalised(vectors[truth] + 0.07 * rng.standard_normal((queries, dim), dtype=np.float32))
    with scratch_database(url) as db, Gallery(db) as g:
        mv = g.register_model("bench", "bench.onnx", f"{n:064x}", dim)
        started = time.perf_counter()
        raw = g.conn.raw()
        created = now().isoformat(timespec="seconds")
        with raw.transaction():
            with raw.cursor().copy("COPY people (id, name, created) FROM STDIN") as copy:
                for i in range(n):
                    copy.write_row((i + 1, f"bench-{i}", created))
            with raw.cursor().copy("COPY samples (id, person_id, crop, created) FROM STDIN") as copy:
                for i in range(n):
                    copy.write_row((i + 1, i + 1, b"", created))
            with raw.cursor().copy("COPY embeddings (sample_id, model_version_id, vector, vec) FROM STDIN") as copy:
                for i in range(n):
                    copy.write_row((i + 1, mv.id, vectors[i].tobytes(), vector_literal(vectors[i])))
        load_s = time.perf_counter() - started
        g.execute("SET maintenance_work_mem = '1GB'")
        started = time.perf_counter()
        g.activate_model(mv)  # builds the HNSW index over every row
        index_s = time.perf_counter() - started
        memory = EmbeddingIndex(*g.embedding_matrix(mv))
        memory_t, exact_ids = [], []
        for probe in probes:
            t = time.perf_counter()
            exact_ids.append(memory.search(probe, k=2).best.person_id)
            memory_t.append(time.perf_counter() - t)
        hnsw = {}
        for ef in ef_search:  # pgvector's search breadth: recall against time
            g.execute(f"SET hnsw.ef_search = {int(ef)}")
            for probe in probes[:5]:  # warm-up: the index pages into the server's cache
                g.nearest(mv, probe, k=2)
            server_t, hits, agree = [], 0, 0
            for probe, want, exact in zip(probes, truth, exact_ids):
                t = time.perf_counter()
                found = g.nearest(mv, probe, k=2)
                server_t.append(time.perf_counter() - t)
                hits += bool(found) and found[0][0] == want + 1
                agree += bool(found) and found[0][0] == exact
            hnsw[f"ef_search_{ef}"] = {"recall_at_1": round(hits / queries, 4),
                                       "agrees_with_exact": round(agree / queries, 4), **_ms(server_t)}
    return {
        "identities": n, "dim": dim, "queries": queries,
        "load_s": round(load_s, 1), "hnsw_build_s": round(index_s, 1), "hnsw": hnsw,
        "memory": {"recall_at_1": round(sum(e == w + 1 for e, w in zip(exact_ids, truth)) / queries, 4),
                   **_ms(memory_t)},
    }


def _wait(condition, limit_s: float = 10.0) -> float:
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > limit_s:
            raise TimeoutError("the other door did not see the change")
        time.sleep(0.002)
    return time.perf_counter() - started


def propagation(url: str, trials: int = 20, dim: int = 192) -> dict:
    """Enrolment committed at door A until door B's search (polled as a live view would) finds it."""
    from faceapp.recognition.search import GallerySearch

    rng = np.random.default_rng(1)
    with scratch_database(url) as db, Gallery(db, door="A") as a, Gallery(db, door="B") as b:
        mv = a.register_model("bench", "bench.onnx", "c" * 64, dim)
        a.activate_model(mv)
        search = GallerySearch(b)
        search.refresh()
        b.conn.changes().listening.wait(10)
        times = []
        for i in range(trials):
            vec = rng.standard_normal((1, dim)).astype(np.float32)
            person = a.add_person(f"P{i}", samples=[Sample(CROP)], embeddings=vec, model_version=mv)
            started = time.perf_counter()
            _wait(lambda: (r := search.search(vec[0]).best) is not None and r.person_id == person.id)
            times.append(time.perf_counter() - started)
    return {"trials": trials, **_ms(times), "max_ms": round(max(times) * 1e3, 3)}


def doors_events(url: str, doors: int = 10, seconds: float = 10.0, people: int = 100) -> dict:
    """Events per second the server stores from `doors` doors logging at once (each its own
    connection and thread; every event a recognition with its attendance check under the per-person lock)."""
    from faceapp.attendance import Attendance

    with scratch_database(url) as db:
        with Gallery(db) as admin:
            ids = [admin.add_person(f"P{i}").id for i in range(people)]
        counts = [0] * doors
        stop = threading.Event()

        def door(k: int) -> None:
            rng = np.random.default_rng(k)
            with Gallery(db, door=f"D{k}") as g:
                book = Attendance(g)
                while not stop.is_set():
                    book.log(Event(EventKind.RECOGNISED, person_id=int(rng.choice(ids)), score=0.8))
                    counts[k] += 1

        threads = [threading.Thread(target=door, args=(k,)) for k in range(doors)]
        for t in threads:
            t.start()
        time.sleep(seconds)
        stop.set()
        for t in threads:
            t.join()
        with Gallery(db) as g:
            stored = g.execute("SELECT count(*) FROM events").fetchone()[0]
    return {"doors": doors, "seconds": seconds, "events": stored, "events_per_s": round(stored / seconds, 1),
            "logged_by_doors": sum(counts)}


def resync(url: str, queued: int = 1000, offline_min: float = 10.0, people: int = 100) -> dict:
    """A door back after `offline_min` minutes with `queued` events waiting: time until its queue is
    on the server and its copy refreshed."""
    from faceapp.storage.door import DoorGallery

    with scratch_database(url) as db, tempfile.TemporaryDirectory() as tmp:
        door = DoorGallery(db, Path(tmp) / "door-cache.db", door="Front")
        try:
            mv = door.register_model("bench", "bench.onnx", "d" * 64, 192)
            door.activate_model(mv)
            rng = np.random.default_rng(2)
            ids = [door.add_person(f"P{i}", samples=[Sample(CROP)], embeddings=rng.standard_normal((1, 192)),
                                   model_version=mv).id for i in range(people)]
            door.revision()  # the door's copy as it was when the server went away
            went = now() - timedelta(minutes=offline_min)
            for i in range(queued):  # what the door kept on disk while it could not reach the server
                when = went + timedelta(minutes=offline_min * i / queued)
                door.cache.log_event(Event(EventKind.RECOGNISED, when, person_id=int(rng.choice(ids)), score=0.8))
            door.offline_since = went
            started = time.perf_counter()
            door.resume()
            took = time.perf_counter() - started
            stored = door.execute("SELECT count(*) FROM events").fetchone()[0]
        finally:
            door.close()
    return {"queued": queued, "offline_min": offline_min, "people": people, "resync_s": round(took, 2),
            "events_on_server": stored}
