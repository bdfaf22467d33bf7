"""The gallery's SQLite schema and its migrations, keyed by PRAGMA user_version."""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from faceapp.storage.hr_schema import migrate_hr

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
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_migrate_v1, migrate_hr]
SCHEMA_VERSION = len(MIGRATIONS)

