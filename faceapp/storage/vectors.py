"""1:N on the server: embeddings in a pgvector column with one HNSW index per model version, for
what must not wait for a door's in-memory copy (enrollment's duplicate check against every door's
latest enrolments) and for galleries larger than a door's memory. PostgreSQL only: on a SQLite
gallery `nearest` answers None and the caller searches in memory (faceapp.recognition.search).

The float32 bytes in `embeddings.vector` stay the record; `vec` holds the same values as a pgvector
(written with them, or filled in by ensure_vector_index for rows stored before it existed).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from faceapp import config
from faceapp.storage.database import Database
from faceapp.storage.model_versions import model_id
from faceapp.storage.records import ModelVersion


def vector_literal(vector: np.ndarray) -> str:
    """pgvector's text form; repr of each float32 (as a double) reads back to the same float32."""
    return "[" + ",".join(map(repr, np.asarray(vector, np.float32).astype(np.float64).tolist())) + "]"


class Vectors(Database):
    """Gallery's pgvector queries (a no-op on SQLite)."""

    @property
    def has_vector_index(self) -> bool:
        return self.dialect == "postgresql"

    def _vec_rows(self, mv_id: int, pairs: Iterable[tuple[int, np.ndarray]]) -> None:
        self.conn.executemany(
            "UPDATE embeddings SET vec = ?::vector WHERE sample_id = ? AND model_version_id = ?",
            ((vector_literal(vec), int(sid), mv_id) for sid, vec in pairs),
        )

    def ensure_vector_index(self, model_version: int | ModelVersion, page: int = 2000) -> None:
        """Fill in missing pgvector values of a model version and build its HNSW index (cosine),
        if not there yet. Needs the table owner's role (an admin, not a door)."""
        if not self.has_vector_index:
            return
        mv = self.model_version(model_id(model_version))
        while True:
            with self.transaction():
                rows = self.execute(
                    "SELECT sample_id, vector FROM embeddings WHERE model_version_id = ? AND vec IS NULL LIMIT ?",
                    (mv.id, page),
                ).fetchall()
                self._vec_rows(mv.id, ((sid, np.frombuffer(blob, np.float32)) for sid, blob in rows))
            if len(rows) < page:
                break
        with self._guard():  # ids and dims are integers from the database: safe to write into the DDL
            self.conn.execute(
                f"CREATE INDEX IF NOT EXISTS embeddings_hnsw_{mv.id} ON embeddings USING hnsw "
                f"((vec::vector({mv.dim})) vector_cosine_ops) WHERE model_version_id = {mv.id}"
            )

    def nearest(self, model_version: int | ModelVersion, vector: np.ndarray, k: int = 5,
                unmasked_only: bool = False) -> list[tuple[int, int, float]] | None:
        """(person id, sample id, cosine similarity) of the k nearest samples on the server, best
        first, through the HNSW index (approximate); None on SQLite (search in memory instead)."""
        if not self.has_vector_index:
            return None
        mv = self.model_version(model_id(model_version))
        # The index's expression and predicate, literally, so the planner uses it; the join to
        # samples comes after the index scan, over a few more rows than asked for.
        scan = config.STORAGE.hnsw_candidates
        rows = self.query(
            f"""SELECT s.person_id, n.sample_id, 1 - n.distance AS score FROM (
                    SELECT sample_id, vec::vector({mv.dim}) <=> ?::vector({mv.dim}) AS distance
                    FROM embeddings WHERE model_version_id = {mv.id}
                    ORDER BY vec::vector({mv.dim}) <=> ?::vector({mv.dim}) LIMIT ?
                ) n JOIN samples s ON s.id = n.sample_id
                {"WHERE s.mask_kind = 'none'" if unmasked_only else ""}
                ORDER BY n.distance LIMIT ?""",
            (vector_literal(vector), vector_literal(vector), max(k, scan), k),
        )
        return [(row["person_id"], row["sample_id"], float(row["score"])) for row in rows]
