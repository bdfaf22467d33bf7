"""The gallery's SQLite connection: opening (WAL, foreign keys, migrations), transactions, and the
wording of database failures.

Every failure of the database itself (busy, read-only, disk full, damaged file) surfaces as a
GalleryError whose message a user can act on, and the change that hit it is rolled back whole.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import sqlite_utils

from faceapp import config, paths
from faceapp.storage.schema import MIGRATIONS, SCHEMA_VERSION


class GalleryError(RuntimeError):
    """A gallery operation that failed as a whole, with a message for the user."""


# A keyword argument's "not given", where None is a meaningful value.
UNSET: Any = object()


def user_message(err: sqlite3.Error, path: Path) -> str:
    """What a user can do about a database failure, in words."""
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


class Database:
    """One open gallery file. Thread-safe: calls are serialised on one connection. The table groups
    (people, samples, ...) add their queries to this in faceapp.storage.gallery.Gallery."""

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
            raise GalleryError(user_message(err, self.path)) from err
        self.db = sqlite_utils.Database(conn, execute_plugins=False)
        try:
            with self._guard():
                conn.execute("PRAGMA foreign_keys = ON")
                # Erasure must erase: deleted rows (face crops above all) are overwritten with zeros
                # instead of lingering in free pages, whatever the platform's SQLite build defaults to.
                conn.execute("PRAGMA secure_delete = ON")
                if not self.read_only:
                    self.db.enable_wal()
                self._migrate()
        except BaseException:
            conn.close()
            raise

    @classmethod
    def open(cls, data_dir: str | os.PathLike | None = None, **kwargs: Any) -> Self:
        """The gallery in the data folder (--data-dir, $FACEAPP_DATA_DIR or the user data folder)."""
        return cls(paths.database_path(data_dir), **kwargs)

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Serialise access to the connection and turn database failures into GalleryError."""
        with self._lock:
            try:
                yield
            except sqlite3.Error as err:
                raise GalleryError(user_message(err, self.path)) from err

    def purge_journal(self) -> None:
        """Checkpoint the write-ahead log into the file and truncate it, so copies of pages that
        held deleted data do not outlive the deletion there (best effort: a reader still using
        old pages keeps them until it finishes; the next checkpoint then drops them)."""
        if self.read_only:
            return
        with self._lock:
            try:
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass  # busy: the deletion itself is committed, and a later checkpoint finishes this

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
        """Bring the file up to SCHEMA_VERSION, one transaction per step."""
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
