"""The samples and embeddings tables: aligned face crops (PNG) and their vectors per model version."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from faceapp.storage.database import Database
from faceapp.storage.model_versions import model_id
from faceapp.storage.png import decode_png, encode_png
from faceapp.storage.records import ModelVersion, Sample, from_row, now
from faceapp.vision.align import ALIGNED_SIZE


def check_crop(crop: np.ndarray) -> None:
    if not (isinstance(crop, np.ndarray) and crop.dtype == np.uint8 and crop.shape == (ALIGNED_SIZE, ALIGNED_SIZE, 3)):
        shape = getattr(crop, "shape", None)
        raise ValueError(f"a face crop must be a {ALIGNED_SIZE}x{ALIGNED_SIZE}x3 uint8 image, got {shape}")


def check_mask_kind(kind: str) -> None:
    if kind not in ("none", "real") and not (kind.startswith("synthetic-") and len(kind) > len("synthetic-")):
        raise ValueError(f"mask kind must be 'none', 'real' or 'synthetic-<style>', got {kind!r}")


class Samples(Database):
    """Gallery's queries on samples and embeddings (the person and model version they belong to are
    checked through People.get_person and ModelVersions.model_version)."""

    def _vectors(self, embeddings: np.ndarray, count: int, model_version: int | ModelVersion | None) -> tuple[int, np.ndarray]:
        if model_version is None:
            raise ValueError("embeddings need the model version that computed them")
        mv = self.model_version(model_id(model_version))
        vectors = np.ascontiguousarray(embeddings, dtype=np.float32)
        if vectors.shape != (count, mv.dim):
            raise ValueError(f"expected {count} embeddings of {mv.dim} values for {mv.name}, got shape {vectors.shape}")
        if not np.isfinite(vectors).all():
            raise ValueError("embeddings contain NaN or infinity")
        return mv.id, vectors

    def add_samples(
        self,
        person_id: int,
        samples: Sequence[Sample],
        embeddings: np.ndarray | None = None,
        model_version: int | ModelVersion | None = None,
    ) -> list[int]:
        """Store samples (and their embeddings, one row per sample) in one transaction; sets and
        returns the new sample ids."""
        for sample in samples:
            check_crop(sample.crop)
            check_mask_kind(sample.mask_kind)
        with self.transaction():
            self.get_person(person_id)
            if embeddings is not None:
                mv_id, vectors = self._vectors(embeddings, len(samples), model_version)
            created = now().isoformat(timespec="seconds")
            new_ids: dict[int, int] = {}  # id(Sample) -> row id, to resolve parents within the batch
            ids = []
            for sample in samples:
                parent = sample.parent
                if isinstance(parent, Sample):
                    if id(parent) not in new_ids:
                        raise ValueError("a synthetic variant's parent must come before it in the same batch")
                    parent = new_ids[id(parent)]
                row_id = self.insert(
                    "samples",
                    {
                        "person_id": person_id,
                        "crop": encode_png(sample.crop),
                        "source": sample.source,
                        "quality": json.dumps(sample.quality),
                        "mask_kind": sample.mask_kind,
                        "parent_id": parent,
                        "created": created,
                    },
                )
                new_ids[id(sample)] = row_id
                ids.append(row_id)
            if embeddings is not None:
                self.add_embeddings(mv_id, ids, vectors)
        for sample, row_id in zip(samples, ids):
            sample.id, sample.person_id, sample.created = row_id, person_id, created
        return ids

    def samples_for(self, person_id: int) -> list[Sample]:
        rows = self.query("SELECT * FROM samples WHERE person_id = ? ORDER BY id", (person_id,))
        return [
            from_row(Sample, row, crop=decode_png(row["crop"]), quality=json.loads(row["quality"]), parent=row["parent_id"])
            for row in rows
        ]

    def iter_crops(self, missing_for: int | ModelVersion | None = None, page: int = 256) -> Iterator[tuple[int, np.ndarray]]:
        """(sample id, crop) of every sample, or of those without an embedding for `missing_for`;
        read in pages, so writes may go on between pages."""
        where = ""
        params: list[Any] = []
        if missing_for is not None:
            where = "AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.sample_id = s.id AND e.model_version_id = ?)"
            params.append(model_id(missing_for))
        last = 0
        while True:
            with self._guard():
                rows = self.conn.execute(
                    f"SELECT s.id, s.crop FROM samples s WHERE s.id > ? {where} ORDER BY s.id LIMIT ?",
                    [last, *params, page],
                ).fetchall()
            if not rows:
                return
            for sample_id, data in rows:
                yield sample_id, decode_png(data)
            last = rows[-1][0]

    def add_embeddings(self, model_version: int | ModelVersion, sample_ids: Sequence[int], vectors: np.ndarray) -> int:
        """Store (or overwrite) the embeddings of these samples for a model version, in one
        transaction; samples removed meanwhile are skipped. Returns how many were stored."""
        with self.transaction():
            mv_id, vectors = self._vectors(vectors, len(sample_ids), model_version)
            # A sample removed while its crop was being re-embedded is skipped, not an error.
            stored = self.conn.executemany(
                "INSERT INTO embeddings (sample_id, model_version_id, vector) "
                "SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM samples WHERE id = ?) "
                "ON CONFLICT (sample_id, model_version_id) DO UPDATE SET vector = excluded.vector",
                ((int(sid), mv_id, vec.tobytes(), int(sid)) for sid, vec in zip(sample_ids, vectors)),
            )
            if self.has_vector_index:  # the same values as a pgvector, for the server's 1:N (faceapp.storage.vectors)
                self._vec_rows(mv_id, zip(sample_ids, vectors))
            return stored

    def replace_embeddings(self, model_version: int | ModelVersion, sample_ids: Sequence[int], vectors: np.ndarray) -> int:
        """Replace all embeddings of a model version at once (after re-embedding every crop)."""
        with self.transaction():
            self.execute("DELETE FROM embeddings WHERE model_version_id = ?", (model_id(model_version),))
            return self.add_embeddings(model_version, sample_ids, vectors)

    def embedding_count(self, model_version: int | ModelVersion) -> int:
        """How many embeddings a model version has (to tell whether its matrix is worth loading)."""
        rows = self.query("SELECT COUNT(*) AS n FROM embeddings WHERE model_version_id = ?", (model_id(model_version),))
        return int(rows[0]["n"])

    def embedded_people(self, model_version: int | ModelVersion) -> int:
        """How many people have embeddings of a model version (the 1:N gallery size N)."""
        rows = self.query("""SELECT COUNT(DISTINCT s.person_id) AS n FROM embeddings e JOIN samples s ON s.id = e.sample_id
                             WHERE e.model_version_id = ?""", (model_id(model_version),))
        return int(rows[0]["n"])

    def embedding_matrix(self, model_version: int | ModelVersion) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(vectors (N, D) float32, person ids, sample ids, masked flags) of a model version,
        ordered by person."""
        mv = self.model_version(model_id(model_version))
        with self._guard():
            rows = self.conn.execute(
                """SELECT s.person_id, s.id, s.mask_kind != 'none', e.vector
                   FROM embeddings e JOIN samples s ON s.id = e.sample_id
                   WHERE e.model_version_id = ? ORDER BY s.person_id, s.id""",
                (mv.id,),
            ).fetchall()
        vectors = np.frombuffer(b"".join(row[3] for row in rows), np.float32).reshape(len(rows), mv.dim)
        person_ids = np.fromiter((row[0] for row in rows), np.int64, len(rows))
        sample_ids = np.fromiter((row[1] for row in rows), np.int64, len(rows))
        masked = np.fromiter((row[2] for row in rows), bool, len(rows))
        return vectors, person_ids, sample_ids, masked
