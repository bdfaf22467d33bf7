"""The model_versions table: the embedding models a gallery has vectors for, one of them active."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from faceapp.storage.database import Database, GalleryError
from faceapp.storage.records import ModelVersion, from_row, now


def model_id(model_version: int | ModelVersion) -> int:
    return model_version.id if isinstance(model_version, ModelVersion) else int(model_version)


def _model(row: dict[str, Any]) -> ModelVersion:
    return from_row(ModelVersion, row, active=bool(row["active"]), metrics=json.loads(row["metrics"]))


class ModelVersions(Database):
    """Gallery's queries on model versions."""

    def register_model(self, name: str, file: str, sha256: str, dim: int, metrics: dict[str, Any] | None = None) -> ModelVersion:
        """The model version with this sha256, created if new (inactive); metrics, if given, are
        stored on it."""
        if metrics is None:  # the common case, every start-up: a read, so readers never need the write lock
            known = self.query("SELECT * FROM model_versions WHERE sha256 = ?", (sha256,))
            if known:
                return _model(known[0])
        with self.transaction():
            row = self.execute("SELECT id FROM model_versions WHERE sha256 = ?", (sha256,)).fetchone()
            if row:
                mv_id = row[0]
                if metrics is not None:
                    self.update("model_versions", mv_id, {"metrics": json.dumps(metrics)})
            else:
                mv_id = self.insert(
                    "model_versions",
                    {
                        "name": name,
                        "file": file,
                        "sha256": sha256,
                        "dim": int(dim),
                        "created": now().isoformat(timespec="seconds"),
                        "active": 0,
                        "metrics": json.dumps(metrics or {}),
                    },
                )
            return self.model_version(mv_id)

    def model_version(self, model_version_id: int) -> ModelVersion:
        rows = self.query("SELECT * FROM model_versions WHERE id = ?", (model_version_id,))
        if not rows:
            raise GalleryError(f"Model version {model_version_id} is not registered in the gallery.")
        return _model(rows[0])

    def model_versions(self) -> list[ModelVersion]:
        return [_model(row) for row in self.query("SELECT * FROM model_versions ORDER BY id")]

    def activate_model(self, model_version: int | ModelVersion) -> None:
        with self.transaction():
            mv_id = self.model_version(model_id(model_version)).id
            self.execute("UPDATE model_versions SET active = 0 WHERE active = 1 AND id != ?", (mv_id,))
            self.execute("UPDATE model_versions SET active = 1 WHERE id = ? AND active = 0", (mv_id,))
        self.ensure_vector_index(mv_id)  # on a server: its HNSW index (faceapp.storage.vectors)

    def store_model_file(self, model_version: int | ModelVersion, data: bytes) -> None:
        """Keep a model version's ONNX bytes in the gallery (for the other doors of a shared server);
        they must be the file the version was registered with."""
        mv = self.model_version(model_id(model_version))
        if hashlib.sha256(data).hexdigest() != mv.sha256:
            raise GalleryError(f"These bytes are not model version {mv.id} ({mv.name}): their sha256 differs.")
        with self.transaction():
            self.execute(
                "INSERT INTO model_files (model_version_id, data) VALUES (?, ?) "
                "ON CONFLICT (model_version_id) DO UPDATE SET data = excluded.data",
                (mv.id, data),
            )

    def model_file_bytes(self, model_version: int | ModelVersion) -> bytes | None:
        """A model version's ONNX bytes as stored with store_model_file, checked; None if not stored."""
        mv = self.model_version(model_id(model_version))
        row = self.execute("SELECT data FROM model_files WHERE model_version_id = ?", (mv.id,)).fetchone()
        if row is None:
            return None
        data = bytes(row[0])
        if hashlib.sha256(data).hexdigest() != mv.sha256:
            raise GalleryError(f"The stored file of model version {mv.id} ({mv.name}) is damaged (sha256 differs).")
        return data

    def active_model(self) -> ModelVersion | None:
        rows = self.query("SELECT * FROM model_versions WHERE active = 1")
        return _model(rows[0]) if rows else None
