"""The gallery: people, their face samples and embeddings, model versions, events, attendance and
settings, all in one SQLite file (WAL, foreign keys on, one transaction per multi-row change).

Every failure of the database itself (busy, read-only, disk full, damaged file) surfaces as a
GalleryError whose message a user can act on, and the change that hit it is rolled back whole.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import sqlite_utils

from faceapp import config, paths
from faceapp.vision.align import ALIGNED_SIZE


class GalleryError(RuntimeError):
    """A gallery operation that failed as a whole, with a message for the user."""


@dataclass(slots=True)
class Person:
    id: int
    name: str
    employee_no: str | None
    department: str
    active: bool
    created: str
    sample_count: int = 0


@dataclass(slots=True)
class Sample:
    """One aligned face crop of a person. A new sample has no id; `parent` is the sample a synthetic
    variant was made from: a stored sample's id, or an earlier Sample of the same add_samples batch."""

    crop: np.ndarray  # (112, 112, 3) uint8 BGR, ArcFace template
    mask_kind: str = "none"  # "none", "real" or "synthetic-<style>"
    source: str = ""  # where the crop came from: "camera", a file name, ...
    quality: dict[str, Any] = field(default_factory=dict)
    parent: int | Sample | None = None
    id: int | None = None
    person_id: int | None = None
    created: str | None = None

    @property
    def masked(self) -> bool:
        return self.mask_kind != "none"


@dataclass(frozen=True, slots=True)
class ModelVersion:
    id: int
    name: str
    file: str
    sha256: str
    dim: int
    created: str
    active: bool
    metrics: dict[str, Any]


class EventKind(StrEnum):
    RECOGNISED = "recognised"
    UNKNOWN = "unknown"
    NOT_LIVE = "not_live"
    DENIED = "denied"


def now() -> datetime:
    """The current local time, timezone-aware: every stored time carries its UTC offset."""
    return datetime.now().astimezone()


@dataclass(slots=True)
class Event:
    """One decision about a face at the camera, as logged."""

    kind: EventKind
    time: datetime = field(default_factory=now)
    person_id: int | None = None
    person_name: str | None = None  # filled from the gallery when only person_id is given
    score: float | None = None  # best cosine similarity
    margin: float | None = None  # best minus runner-up person
    masked: bool | None = None
    live: bool | None = None
    reason: str | None = None  # why denied / not live, in words
    details: dict[str, Any] = field(default_factory=dict)
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The event as JSON-ready values, as handed to output actions."""
        return {
            "id": self.id,
            "kind": str(self.kind),
            "time": self.time.isoformat(timespec="seconds"),
            "person_id": self.person_id,
            "person_name": self.person_name,
            "score": self.score,
            "margin": self.margin,
            "masked": self.masked,
            "live": self.live,
            "reason": self.reason,
            "details": self.details,
        }


def stamp(when: datetime | None) -> tuple[float, str, str]:
    """(unix seconds, ISO 8601 with offset, local date) of a time; naive times count as local."""
    if when is None:
        when = now()
    elif when.tzinfo is None:
        when = when.astimezone()
    return when.timestamp(), when.isoformat(timespec="seconds"), when.date().isoformat()


def encode_png(crop: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", crop)
    if not ok:
        raise ValueError("could not encode the face crop as PNG")
    return buf.tobytes()


def decode_png(data: bytes) -> np.ndarray:
    crop = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if crop is None:
        raise GalleryError("a stored face crop is damaged and cannot be decoded")
    return crop


def _check_crop(crop: np.ndarray) -> None:
    if not (isinstance(crop, np.ndarray) and crop.dtype == np.uint8 and crop.shape == (ALIGNED_SIZE, ALIGNED_SIZE, 3)):
        shape = getattr(crop, "shape", None)
        raise ValueError(f"a face crop must be a {ALIGNED_SIZE}x{ALIGNED_SIZE}x3 uint8 image, got {shape}")


def _check_mask_kind(kind: str) -> None:
    if kind not in ("none", "real") and not (kind.startswith("synthetic-") and len(kind) > len("synthetic-")):
        raise ValueError(f"mask kind must be 'none', 'real' or 'synthetic-<style>', got {kind!r}")


# --- schema -------------------------------------------------------------------------------------

_SCHEMA_V1 = """
CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL COLLATE NOCASE UNIQUE CHECK (length(trim(name)) > 0),
    employee_no TEXT UNIQUE,
    department TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created TEXT NOT NULL
);
CREATE TABLE samples (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    crop BLOB NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    quality TEXT NOT NULL DEFAULT '{}',
    mask_kind TEXT NOT NULL DEFAULT 'none'
        CHECK (mask_kind IN ('none', 'real') OR (mask_kind LIKE 'synthetic-_%')),
    parent_id INTEGER REFERENCES samples(id) ON DELETE CASCADE,
    created TEXT NOT NULL
);
CREATE INDEX samples_person ON samples(person_id);
CREATE INDEX samples_parent ON samples(parent_id);
CREATE TABLE model_versions (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    dim INTEGER NOT NULL CHECK (dim > 0),
    created TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
    metrics TEXT NOT NULL DEFAULT '{}'
);
-- at most one active model version
CREATE UNIQUE INDEX model_versions_active ON model_versions(active) WHERE active = 1;
CREATE TABLE embeddings (
    sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    model_version_id INTEGER NOT NULL REFERENCES model_versions(id) ON DELETE CASCADE,
    vector BLOB NOT NULL,
    PRIMARY KEY (sample_id, model_version_id)
);
CREATE INDEX embeddings_model ON embeddings(model_version_id);
-- person_id is cleared when a person is removed; the name snapshot keeps the log readable
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    time TEXT NOT NULL,
    day TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('recognised', 'unknown', 'not_live', 'denied')),
    person_id INTEGER REFERENCES people(id) ON DELETE SET NULL,
    person_name TEXT,
    score REAL,
    margin REAL,
    masked INTEGER,
    live INTEGER,
    reason TEXT,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_ts ON events(ts);
-- attendance is an HR record: it outlives the person's face data, hence the snapshot columns
CREATE TABLE attendance (
    id INTEGER PRIMARY KEY,
    person_id INTEGER REFERENCES people(id) ON DELETE SET NULL,
    person_name TEXT NOT NULL,
    employee_no TEXT,
    department TEXT NOT NULL DEFAULT '',
    ts REAL NOT NULL,
    time TEXT NOT NULL,
    day TEXT NOT NULL,
    score REAL,
    masked INTEGER,
    event_id INTEGER REFERENCES events(id) ON DELETE SET NULL
);
CREATE INDEX attendance_day ON attendance(day);
CREATE INDEX attendance_person ON attendance(person_id, ts);
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- bumped by triggers on every change the search matrix depends on, so a search index (in this
-- process or another) can tell cheaply that it must reload
CREATE TABLE gallery_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL
);
INSERT INTO gallery_state (id, revision) VALUES (1, 0);
CREATE TRIGGER embeddings_ins AFTER INSERT ON embeddings
    BEGIN UPDATE gallery_state SET revision = revision + 1; END;
CREATE TRIGGER embeddings_del AFTER DELETE ON embeddings
    BEGIN UPDATE gallery_state SET revision = revision + 1; END;
CREATE TRIGGER embeddings_upd AFTER UPDATE ON embeddings
    BEGIN UPDATE gallery_state SET revision = revision + 1; END;
CREATE TRIGGER samples_upd AFTER UPDATE OF person_id, mask_kind ON samples
    BEGIN UPDATE gallery_state SET revision = revision + 1; END;
CREATE TRIGGER model_versions_upd AFTER UPDATE OF active ON model_versions
    BEGIN UPDATE gallery_state SET revision = revision + 1; END;
"""


def _migrate_v1(db: sqlite_utils.Database) -> None:
    db.executescript(_SCHEMA_V1)


# Migration i takes the schema from version i to i + 1 (PRAGMA user_version). Append, never edit.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_migrate_v1]
SCHEMA_VERSION = len(MIGRATIONS)


def _user_message(err: sqlite3.Error, path: Path) -> str:
    code = getattr(err, "sqlite_errorcode", None)
    primary = code & 0xFF if code is not None else None
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return (
            f"The face database {path} is busy: another faceapp window or program is changing it. "
            "Nothing was saved; try again in a moment."
        )
    if primary == sqlite3.SQLITE_READONLY:
        return (
            f"The face database {path} is read-only, so nothing can be saved. Check the file's "
            "permissions, or choose a writable data folder with --data-dir."
        )
    if primary == sqlite3.SQLITE_FULL:
        return f"The disk holding the face database {path} is full. Nothing was saved; free some space and try again."
    if primary == sqlite3.SQLITE_CANTOPEN:
        return f"Cannot open the face database {path}: check that its folder exists and is writable."
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return f"{path} is not a faceapp database, or it is damaged. Restore it from a backup or move it away."
    if primary == sqlite3.SQLITE_IOERR:
        return f"The disk reported an error while using the face database {path}; nothing was saved ({err})."
    return f"The face database {path} reported an error; nothing was saved ({err})."


def _model_id(model_version: int | ModelVersion) -> int:
    return model_version.id if isinstance(model_version, ModelVersion) else int(model_version)


_UNSET: Any = object()


class Gallery:
    """One open gallery database. Thread-safe: calls are serialised on one connection."""

    def __init__(self, path: str | os.PathLike, *, read_only: bool = False, busy_timeout_s: float | None = None):
        self.path = Path(path)
        # A file without write permission opens for viewing; writes then fail with a clear error.
        self.read_only = read_only or (self.path.exists() and not os.access(self.path, os.W_OK))
        self._lock = threading.RLock()
        timeout = config.STORAGE.busy_timeout_s if busy_timeout_s is None else busy_timeout_s
        try:
            if self.read_only:
                conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout, check_same_thread=False)
            else:
                conn = sqlite3.connect(self.path, timeout=timeout, check_same_thread=False)
        except sqlite3.Error as err:
            raise GalleryError(_user_message(err, self.path)) from err
        self.db = sqlite_utils.Database(conn, execute_plugins=False)
        try:
            with self._guard():
                conn.execute("PRAGMA foreign_keys = ON")
                if not self.read_only:
                    self.db.enable_wal()
                self._migrate()
        except BaseException:
            conn.close()
            raise

    @classmethod
    def open(cls, data_dir: str | os.PathLike | None = None, **kwargs: Any) -> Gallery:
        """The gallery in the data folder (--data-dir, $FACEAPP_DATA_DIR or the user data folder)."""
        return cls(paths.database_path(data_dir), **kwargs)

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def __enter__(self) -> Gallery:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transactions ---------------------------------------------------------------------------

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Serialise access to the connection and turn database failures into GalleryError."""
        with self._lock:
            try:
                yield
            except sqlite3.Error as err:
                raise GalleryError(_user_message(err, self.path)) from err

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all; nested blocks become savepoints."""
        with self._guard():
            conn = self.db.conn
            if conn.in_transaction:
                with self.db.atomic():
                    yield
                return
            # IMMEDIATE takes the write lock up front (waiting up to the busy timeout), so a
            # transaction never fails half-way because another connection wrote in between.
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # a failed COMMIT (disk full) leaves it open
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass  # the original error says more; SQLite rolls back on close anyway
                raise

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise GalleryError(
                f"The face database {self.path} was written by a newer faceapp (schema {version}, "
                f"this one knows {SCHEMA_VERSION}); update faceapp to open it."
            )
        if version < SCHEMA_VERSION and self.read_only:
            raise GalleryError(f"The face database {self.path} needs an upgrade but is read-only.")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                MIGRATIONS[target - 1](self.db)
                self.db.execute(f"PRAGMA user_version = {target}")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows of a read-only query, as dicts (for reports the API does not cover)."""
        with self._guard():
            return list(self.db.query(sql, params))

    def schema_version(self) -> int:
        with self._guard():
            return self.db.execute("PRAGMA user_version").fetchone()[0]

    def revision(self) -> int:
        """A number that changes whenever the embeddings a search uses change (any connection)."""
        with self._guard():
            return self.db.execute("SELECT revision FROM gallery_state").fetchone()[0]

    def integrity_errors(self) -> list[str]:
        """Problems found by SQLite's integrity and foreign-key checks; empty when all is well."""
        with self._guard():
            found = [row[0] for row in self.db.execute("PRAGMA integrity_check").fetchall() if row[0] != "ok"]
            found += [f"dangling reference in {row[0]} row {row[1]}" for row in self.db.execute("PRAGMA foreign_key_check")]
            return found

    # --- people ---------------------------------------------------------------------------------

    def _check_unique(self, name: str, employee_no: str | None, exclude: int | None = None) -> None:
        clash = self.db.execute(
            "SELECT name FROM people WHERE name = ? COLLATE NOCASE AND id IS NOT ?", (name, exclude)
        ).fetchone()
        if clash:
            raise GalleryError(f"A person named {clash[0]!r} is already enrolled; names must be unique.")
        if employee_no is not None:
            clash = self.db.execute(
                "SELECT name FROM people WHERE employee_no = ? AND id IS NOT ?", (employee_no, exclude)
            ).fetchone()
            if clash:
                raise GalleryError(f"Employee number {employee_no!r} already belongs to {clash[0]}.")

    @staticmethod
    def _clean(name: str, employee_no: str | None) -> tuple[str, str | None]:
        name = " ".join(name.split())
        if not name:
            raise GalleryError("A person needs a name.")
        return name, (employee_no.strip() or None) if employee_no else None

    def add_person(
        self,
        name: str,
        *,
        employee_no: str | None = None,
        department: str = "",
        active: bool = True,
        samples: Sequence[Sample] = (),
        embeddings: np.ndarray | None = None,
        model_version: int | ModelVersion | None = None,
    ) -> Person:
        """Enrol a person, with their samples and embeddings if given, in one transaction."""
        name, employee_no = self._clean(name, employee_no)
        with self.transaction():
            self._check_unique(name, employee_no)
            person_id = self.db["people"].insert(
                {
                    "name": name,
                    "employee_no": employee_no,
                    "department": department.strip(),
                    "active": int(active),
                    "created": now().isoformat(timespec="seconds"),
                }
            ).last_pk
            if samples:
                self.add_samples(person_id, samples, embeddings, model_version)
            return self.get_person(person_id)

    def update_person(
        self, person_id: int, *, name: str | None = None, employee_no: str | None = _UNSET, department: str | None = None
    ) -> Person:
        """Change the given fields; employee_no=None clears the number."""
        with self.transaction():
            person = self.get_person(person_id)
            new_name, new_no = self._clean(
                person.name if name is None else name, person.employee_no if employee_no is _UNSET else employee_no
            )
            self._check_unique(new_name, new_no, exclude=person_id)
            changes = {"name": new_name, "employee_no": new_no}
            if department is not None:
                changes["department"] = department.strip()
            self.db["people"].update(person_id, changes)
            return self.get_person(person_id)

    def set_active(self, person_id: int, active: bool) -> None:
        with self.transaction():
            self.get_person(person_id)
            self.db["people"].update(person_id, {"active": int(active)})

    def remove_person(self, person_id: int) -> None:
        """Erase a person with every crop and embedding (cascade); their attendance records and
        events stay, under the name they had last."""
        with self.transaction():
            person = self.get_person(person_id)
            self.db.execute(
                "UPDATE attendance SET person_name = ?, employee_no = ?, department = ? WHERE person_id = ?",
                (person.name, person.employee_no, person.department, person_id),
            )
            self.db.execute("UPDATE events SET person_name = ? WHERE person_id = ?", (person.name, person_id))
            self.db["people"].delete(person_id)

    _PERSON_SQL = """
        SELECT p.*, (SELECT count(*) FROM samples s WHERE s.person_id = p.id) AS sample_count
        FROM people p
    """

    @staticmethod
    def _person(row: dict[str, Any]) -> Person:
        return Person(
            id=row["id"],
            name=row["name"],
            employee_no=row["employee_no"],
            department=row["department"],
            active=bool(row["active"]),
            created=row["created"],
            sample_count=row["sample_count"],
        )

    def get_person(self, person_id: int) -> Person:
        rows = self.query(self._PERSON_SQL + " WHERE p.id = ?", (person_id,))
        if not rows:
            raise GalleryError(f"No person with id {person_id} is enrolled (removed meanwhile?).")
        return self._person(rows[0])

    def find_person(self, name: str) -> Person | None:
        """The person with this name (case and extra spaces ignored), or None."""
        rows = self.query(self._PERSON_SQL + " WHERE p.name = ? COLLATE NOCASE", (" ".join(name.split()),))
        return self._person(rows[0]) if rows else None

    def list_people(self, *, active_only: bool = False) -> list[Person]:
        where = " WHERE p.active = 1" if active_only else ""
        return [self._person(row) for row in self.query(self._PERSON_SQL + where + " ORDER BY p.name")]

    # --- samples and embeddings -----------------------------------------------------------------

    def _vectors(self, embeddings: np.ndarray, count: int, model_version: int | ModelVersion | None) -> tuple[int, np.ndarray]:
        if model_version is None:
            raise ValueError("embeddings need the model version that computed them")
        mv = self.model_version(_model_id(model_version))
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
            _check_crop(sample.crop)
            _check_mask_kind(sample.mask_kind)
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
                row_id = self.db["samples"].insert(
                    {
                        "person_id": person_id,
                        "crop": encode_png(sample.crop),
                        "source": sample.source,
                        "quality": json.dumps(sample.quality),
                        "mask_kind": sample.mask_kind,
                        "parent_id": parent,
                        "created": created,
                    }
                ).last_pk
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
            Sample(
                crop=decode_png(row["crop"]),
                mask_kind=row["mask_kind"],
                source=row["source"],
                quality=json.loads(row["quality"]),
                parent=row["parent_id"],
                id=row["id"],
                person_id=row["person_id"],
                created=row["created"],
            )
            for row in rows
        ]

    def iter_crops(self, missing_for: int | ModelVersion | None = None, page: int = 256) -> Iterator[tuple[int, np.ndarray]]:
        """(sample id, crop) of every sample, or of those without an embedding for `missing_for`;
        read in pages, so writes may go on between pages."""
        where = ""
        params: list[Any] = []
        if missing_for is not None:
            where = "AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.sample_id = s.id AND e.model_version_id = ?)"
            params.append(_model_id(missing_for))
        last = 0
        while True:
            with self._guard():
                rows = self.db.execute(
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
            cursor = self.db.conn.executemany(
                "INSERT OR REPLACE INTO embeddings (sample_id, model_version_id, vector) "
                "SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM samples WHERE id = ?1)",
                ((int(sid), mv_id, vec.tobytes()) for sid, vec in zip(sample_ids, vectors)),
            )
            return cursor.rowcount

    def replace_embeddings(self, model_version: int | ModelVersion, sample_ids: Sequence[int], vectors: np.ndarray) -> int:
        """Replace all embeddings of a model version at once (after re-embedding every crop)."""
        with self.transaction():
            self.db.execute("DELETE FROM embeddings WHERE model_version_id = ?", (_model_id(model_version),))
            return self.add_embeddings(model_version, sample_ids, vectors)

    def embedding_matrix(self, model_version: int | ModelVersion) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(vectors (N, D) float32, person ids, sample ids, masked flags) of a model version,
        ordered by person."""
        mv = self.model_version(_model_id(model_version))
        with self._guard():
            rows = self.db.execute(
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

    # --- model versions -------------------------------------------------------------------------

    @staticmethod
    def _model(row: dict[str, Any]) -> ModelVersion:
        return ModelVersion(
            id=row["id"],
            name=row["name"],
            file=row["file"],
            sha256=row["sha256"],
            dim=row["dim"],
            created=row["created"],
            active=bool(row["active"]),
            metrics=json.loads(row["metrics"]),
        )

    def register_model(self, name: str, file: str, sha256: str, dim: int, metrics: dict[str, Any] | None = None) -> ModelVersion:
        """The model version with this sha256, created if new (inactive); metrics, if given, are
        stored on it."""
        with self.transaction():
            row = self.db.execute("SELECT id FROM model_versions WHERE sha256 = ?", (sha256,)).fetchone()
            if row:
                mv_id = row[0]
                if metrics is not None:
                    self.db["model_versions"].update(mv_id, {"metrics": json.dumps(metrics)})
            else:
                mv_id = self.db["model_versions"].insert(
                    {
                        "name": name,
                        "file": file,
                        "sha256": sha256,
                        "dim": int(dim),
                        "created": now().isoformat(timespec="seconds"),
                        "active": 0,
                        "metrics": json.dumps(metrics or {}),
                    }
                ).last_pk
            return self.model_version(mv_id)

    def model_version(self, model_version_id: int) -> ModelVersion:
        rows = self.query("SELECT * FROM model_versions WHERE id = ?", (model_version_id,))
        if not rows:
            raise GalleryError(f"Model version {model_version_id} is not registered in the gallery.")
        return self._model(rows[0])

    def model_versions(self) -> list[ModelVersion]:
        return [self._model(row) for row in self.query("SELECT * FROM model_versions ORDER BY id")]

    def activate_model(self, model_version: int | ModelVersion) -> None:
        with self.transaction():
            mv_id = self.model_version(_model_id(model_version)).id
            self.db.execute("UPDATE model_versions SET active = 0 WHERE active = 1 AND id != ?", (mv_id,))
            self.db.execute("UPDATE model_versions SET active = 1 WHERE id = ? AND active = 0", (mv_id,))

    def active_model(self) -> ModelVersion | None:
        rows = self.query("SELECT * FROM model_versions WHERE active = 1")
        return self._model(rows[0]) if rows else None

    # --- settings -------------------------------------------------------------------------------

    def setting(self, key: str, default: Any = _UNSET) -> Any:
        """A stored setting, else `default`, else its default from config.SETTING_DEFAULTS."""
        with self._guard():
            row = self.db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        if row is not None:
            return json.loads(row[0])
        if default is not _UNSET:
            return default
        if key in config.SETTING_DEFAULTS:
            return config.SETTING_DEFAULTS[key]
        raise KeyError(f"unknown setting {key!r}")

    def set_setting(self, key: str, value: Any) -> None:
        text = json.dumps(value, ensure_ascii=False)
        with self.transaction():
            self.db["settings"].insert({"key": key, "value": text}, replace=True)

    # --- events ---------------------------------------------------------------------------------

    def log_event(self, event: Event) -> int:
        """Store an event (filling in the person's name) and set its id."""
        ts, iso, day = stamp(event.time)
        with self.transaction():
            if event.person_id is not None and event.person_name is None:
                event.person_name = self.get_person(event.person_id).name
            event.id = self.db["events"].insert(
                {
                    "ts": ts,
                    "time": iso,
                    "day": day,
                    "kind": str(EventKind(event.kind)),
                    "person_id": event.person_id,
                    "person_name": event.person_name,
                    "score": event.score,
                    "margin": event.margin,
                    "masked": None if event.masked is None else int(event.masked),
                    "live": None if event.live is None else int(event.live),
                    "reason": event.reason,
                    "details": json.dumps(event.details, ensure_ascii=False),
                }
            ).last_pk
        return event.id

    def events(self, day_from: str | None = None, day_to: str | None = None, limit: int | None = None) -> list[Event]:
        """Logged events between two local dates (YYYY-MM-DD, inclusive), newest first."""
        sql = "SELECT * FROM events WHERE day >= ? AND day <= ? ORDER BY ts DESC, id DESC"
        params: list[Any] = [day_from or "0000-00-00", day_to or "9999-99-99"]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        rows = self.query(sql, params)
        return [
            Event(
                kind=EventKind(row["kind"]),
                time=datetime.fromisoformat(row["time"]),
                person_id=row["person_id"],
                person_name=row["person_name"],
                score=row["score"],
                margin=row["margin"],
                masked=None if row["masked"] is None else bool(row["masked"]),
                live=None if row["live"] is None else bool(row["live"]),
                reason=row["reason"],
                details=json.loads(row["details"]),
                id=row["id"],
            )
            for row in rows
        ]

