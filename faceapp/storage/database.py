"""The gallery's connection: opening (a SQLite file, or a PostgreSQL server shared by several doors),
migrations, transactions, and the wording of database failures.

Every failure of the database itself (busy, read-only, disk full, damaged file, server gone)
surfaces as a GalleryError whose message a user can act on, and the change that hit it is rolled
back whole.

The table groups (faceapp.storage.people, ...) write their SQL once, with `?` placeholders, in the
subset both engines understand (upserts with ON CONFLICT, INSERT ... RETURNING, lower() for
case-insensitive names); what differs lives in the two connection classes: SqliteConnection below
and faceapp.storage.postgres.PostgresConnection.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, Self
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlite_utils

from faceapp import config, paths
from faceapp.storage.schema import MIGRATIONS, SCHEMA_VERSION


class GalleryError(RuntimeError):
    """A gallery operation that failed as a whole, with a message for the user."""


# A keyword argument's "not given", where None is a meaningful value.
UNSET: Any = object()

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
# In a door's data folder: its copy of the shared server's people and its queue of unsent events.
DOOR_CACHE_NAME = "door-cache.db"


def is_server_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


def sqlite_file(target: str | os.PathLike) -> Path:
    """The file of a `sqlite:///path` URL or a plain path."""
    text = os.fspath(target)
    return Path(text[len("sqlite:///"):] if text.startswith("sqlite:///") else text)


_SECRET_PARAMS = {"password", "sslpassword"}


def redact(url: str) -> str:
    """The URL with its password (in the user part or as ?password=) replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<database URL>"
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        if ":" in user and user.split(":", 1)[1]:
            user = user.split(":", 1)[0] + ":***"
        netloc = f"{user}@{host}"
    query = urlencode([(k, "***" if k in _SECRET_PARAMS else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)], safe="/*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def secrets_of(url: str) -> list[str]:
    """The password(s) a URL carries, to scrub from error texts."""
    parts = urlsplit(url)
    found = [parts.password] if parts.password else []
    found += [v for k, v in parse_qsl(parts.query) if k in _SECRET_PARAMS and v]
    return found


_URL_RE = re.compile(r"postgres(?:ql)?://\S+")


def redact_text(text: str) -> str:
    """Any PostgreSQL URL inside a text (a log line, an argument list) with its password removed."""
    return _URL_RE.sub(lambda m: redact(m.group(0)), text)


def local_setting(local: Path, key: str) -> Any:
    """A setting of a door's own SQLite file (its door name, its server), read without opening it as
    the gallery; None when unset or unreadable (opening it properly then gives the real error)."""
    if not local.exists():
        return None
    try:
        conn = sqlite3.connect(f"{local.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return json.loads(row[0]) if row else None


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


class Connection(Protocol):
    """What Database needs from an engine. SQL uses `?` placeholders."""

    dialect: str  # "sqlite" or "postgresql": the key of a Migration's script
    where: str  # the file or the server (password removed), for messages
    errors: tuple[type[BaseException], ...]  # the engine's own exceptions

    def message(self, err: BaseException) -> str: ...
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...  # a cursor with tuple rows
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]: ...
    def executemany(self, sql: str, rows: Any) -> int: ...
    def executescript(self, sql: str) -> None: ...
    @property
    def in_transaction(self) -> bool: ...
    def begin(self) -> None: ...
    def lock_key(self, key: int) -> None: ...  # until the end of the transaction
    def user_version(self) -> int: ...
    def set_user_version(self, version: int) -> None: ...
    def integrity_errors(self) -> list[str]: ...
    def close(self) -> None: ...


class SqliteConnection:
    """One SQLite file (WAL, foreign keys on). One writer at a time: BEGIN IMMEDIATE takes the file's
    write lock, so every transaction is already serialised against every other connection."""

    dialect = "sqlite"
    errors = (sqlite3.Error,)

    def __init__(self, path: Path, *, read_only: bool, busy_timeout_s: float):
        self.path = path
        self.where = str(path)
        self.read_only = read_only
        try:
            if read_only:
                conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=busy_timeout_s, check_same_thread=False)
            else:
                conn = sqlite3.connect(path, timeout=busy_timeout_s, check_same_thread=False)
        except sqlite3.Error as err:
            raise GalleryError(user_message(err, path)) from err
        # Autocommit outside transaction(): a lone statement is its own transaction, never an
        # implicit one left open (which would swallow the next transaction() as a savepoint).
        conn.isolation_level = None
        self.db = sqlite_utils.Database(conn, execute_plugins=False)
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            # Erasure must erase: deleted rows (face crops above all) are overwritten with zeros
            # instead of lingering in free pages, whatever the platform's SQLite build defaults to.
            conn.execute("PRAGMA secure_delete = ON")
            if not read_only:
                self.db.enable_wal()
        except sqlite3.Error as err:
            conn.close()
            raise GalleryError(user_message(err, path)) from err

    def message(self, err: BaseException) -> str:
        return user_message(err, self.path)  # type: ignore[arg-type]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.db.conn.execute(sql, params)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return list(self.db.query(sql, params))

    def executemany(self, sql: str, rows: Any) -> int:
        return self.db.conn.executemany(sql, rows).rowcount

    def executescript(self, sql: str) -> None:
        # Statement by statement: sqlite3's executescript would COMMIT the migration's transaction
        # first, and a step that fails half-way would stay half-applied.
        statement = ""
        for line in sql.splitlines(keepends=True):
            statement += line
            if sqlite3.complete_statement(statement):
                self.db.conn.execute(statement)
                statement = ""
        if statement.strip():
            self.db.conn.execute(statement)

    @property
    def in_transaction(self) -> bool:
        return self.db.conn.in_transaction

    def begin(self) -> None:
        # IMMEDIATE takes the write lock up front (waiting up to the busy timeout), so a
        # transaction never fails half-way because another connection wrote in between.
        self.db.conn.execute("BEGIN IMMEDIATE")

    def lock_key(self, key: int) -> None:
        pass  # BEGIN IMMEDIATE already excludes every other writer

    def user_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def set_user_version(self, version: int) -> None:
        self.db.execute(f"PRAGMA user_version = {int(version)}")

    def integrity_errors(self) -> list[str]:
        found = [row[0] for row in self.db.execute("PRAGMA integrity_check").fetchall() if row[0] != "ok"]
        found += [f"dangling reference in {row[0]} row {row[1]}" for row in self.db.execute("PRAGMA foreign_key_check")]
        return found

    def close(self) -> None:
        self.db.close()


class Database:
    """One open gallery: a SQLite file (a path or `sqlite:///path`) or a PostgreSQL server
    (`postgresql://user@host/db?sslmode=verify-full`, shared by several doors). Thread-safe: calls
    are serialised on one connection. The table groups (people, samples, ...) add their queries to
    this in faceapp.storage.gallery.Gallery."""

    def __init__(self, path: str | os.PathLike, *, read_only: bool = False, busy_timeout_s: float | None = None,
                 door: str = "", connect: bool = True):
        self._lock = threading.RLock()
        self._wrote = False
        # This installation's door: events and attendance records written here carry it.
        self.door = " ".join(door.split())
        timeout = config.STORAGE.busy_timeout_s if busy_timeout_s is None else busy_timeout_s
        self.conn: Connection
        if is_server_url(path):
            from faceapp.storage.postgres import PostgresConnection

            self.path = None
            self.read_only = read_only
            # connect=False: a door starting while its server is down (faceapp.storage.door)
            self.conn = PostgresConnection(str(path), read_only=read_only, busy_timeout_s=timeout, connect=connect)
            if not connect:
                return
        else:
            self.path = sqlite_file(path)
            # A file without write permission opens for viewing; writes then fail with a clear error.
            self.read_only = read_only or (self.path.exists() and not os.access(self.path, os.W_OK))
            self.conn = SqliteConnection(self.path, read_only=self.read_only, busy_timeout_s=timeout)
        try:
            self._migrate()
        except BaseException:
            self.conn.close()
            raise

    @classmethod
    def open(cls, data_dir: str | os.PathLike | None = None, *, database: str | None = None, door: str | None = None,
             **kwargs: Any) -> Self:
        """The gallery this installation uses: `database` (--database) if given, else
        $FACEAPP_DATABASE, else the server named in the data folder's own file (setting
        "storage.database"), else that file (--data-dir, $FACEAPP_DATA_DIR or the user data folder).
        The door name likewise: `door` (--door), $FACEAPP_DOOR, the file's "door.name", else ''."""
        local = paths.database_path(data_dir)
        target = database or os.environ.get(paths.ENV_DATABASE) or None
        if target is None:
            url = local_setting(local, "storage.database")
            target = url if is_server_url(url) else local
        door = door or os.environ.get(paths.ENV_DOOR) or local_setting(local, "door.name") or ""
        if is_server_url(target):
            from faceapp.storage.door import DoorGallery

            # a door on a shared server keeps its last synced copy and its offline queue here
            return DoorGallery(target, local.with_name(DOOR_CACHE_NAME), door=door, **kwargs)  # type: ignore[return-value]
        return cls(target, door=door, **kwargs)

    @property
    def local_folder(self) -> Path | None:
        """The folder of this installation's own files (fine-tuned models): a SQLite gallery's
        folder; none for a bare server connection (a door's DoorGallery has its data folder)."""
        return self.path.resolve().parent if self.path is not None else None

    @property
    def dialect(self) -> str:
        return self.conn.dialect

    @property
    def where(self) -> str:
        """The file or server this gallery lives in, without any password."""
        return self.conn.where

    @property
    def db(self) -> sqlite_utils.Database:
        """The SQLite file's handle (SQLite only: PRAGMAs in tests and maintenance)."""
        if not isinstance(self.conn, SqliteConnection):
            raise AttributeError("a PostgreSQL gallery has no SQLite handle")
        return self.conn.db

    def close(self) -> None:
        with self._lock:
            self.conn.close()

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
            except self.conn.errors as err:
                raise GalleryError(self.conn.message(err)) from err

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement (`?` placeholders); the cursor's rows are tuples."""
        with self._guard():
            return self.conn.execute(sql, params)

    def insert(self, table: str, row: Mapping[str, Any], *, unique: str | None = None) -> int | None:
        """Insert a row; its new id. With `unique` (a column with a unique index): None, and nothing
        written, when a row with that value exists."""
        columns = ", ".join(row)
        marks = ", ".join("?" * len(row))
        skip = f" ON CONFLICT ({unique}) DO NOTHING" if unique else ""
        new = self.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks}){skip} RETURNING id", list(row.values())).fetchone()
        return None if new is None else new[0]

    def update(self, table: str, row_id: int, changes: Mapping[str, Any]) -> None:
        assignments = ", ".join(f"{column} = ?" for column in changes)
        self.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", [*changes.values(), row_id])

    def purge_journal(self) -> None:
        """Checkpoint the write-ahead log into the file and truncate it, so copies of pages that
        held deleted data do not outlive the deletion there (best effort: a reader still using
        old pages keeps them until it finishes; the next checkpoint then drops them)."""
        if self.read_only or self.dialect != "sqlite":  # a server keeps its own log
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
            conn = self.conn
            if conn.in_transaction:
                name = f"nested_{id(object())}"
                conn.execute(f"SAVEPOINT {name}")
                try:
                    yield
                except BaseException:
                    conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    conn.execute(f"RELEASE SAVEPOINT {name}")
                    raise
                conn.execute(f"RELEASE SAVEPOINT {name}")
                return
            conn.begin()
            try:
                yield
                conn.execute("COMMIT")
                self._wrote = True  # our own change: the next revision() asks, not the listener
            except BaseException:
                if conn.in_transaction:  # a failed COMMIT (disk full) leaves it open
                    try:
                        conn.execute("ROLLBACK")
                    except conn.errors:
                        pass  # the original error says more; the engine rolls back on close anyway
                raise

    def keep_for_later(self, event: Any, failure: GalleryError | None = None) -> bool:
        """Whether the event was queued instead of stored (a door that cannot reach its server:
        faceapp.storage.door.DoorGallery); a gallery of its own never queues."""
        return False

    def door_status(self) -> Any:
        """A door's link to its server (faceapp.storage.door.DoorStatus); None for a gallery of its own."""
        return None

    def lock(self, key: int) -> None:
        """Inside a transaction: wait until no other connection (door) holds `key`, then hold it
        until this transaction ends. Serialises check-then-insert rules across doors."""
        with self._guard():
            self.conn.lock_key(key)

    def _migrate(self) -> None:
        """Bring the database up to SCHEMA_VERSION, one transaction per step."""
        with self._guard():
            version = self.conn.user_version()
        if version > SCHEMA_VERSION:
            raise GalleryError(
                f"The face database {self.where} was written by a newer faceapp (schema {version}, "
                f"this one knows {SCHEMA_VERSION}); update faceapp to open it."
            )
        if version < SCHEMA_VERSION and self.read_only:
            raise GalleryError(f"The face database {self.where} needs an upgrade but is read-only.")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                self.conn.lock_key(MIGRATION_LOCK)  # two doors starting at once: one migrates
                if self.conn.user_version() >= target:
                    continue  # the other door did this step meanwhile
                self.conn.executescript(getattr(MIGRATIONS[target - 1], self.conn.dialect))
                self.conn.set_user_version(target)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows of a read-only query, as dicts (for reports the API does not cover)."""
        with self._guard():
            return self.conn.query(sql, params)

    def schema_version(self) -> int:
        with self._guard():
            return self.conn.user_version()

    def revision(self) -> int:
        """A number that changes whenever the embeddings or people a search uses change (any
        connection, any door). On a server, read from the change listener (no network per frame)
        unless this connection changed something itself since it last asked."""
        changes = getattr(self.conn, "changes", None)
        listener = changes() if changes is not None else None
        if listener is not None and listener.revision is not None and not self._wrote:
            return listener.revision
        self._wrote = False
        revision = self.execute("SELECT revision FROM gallery_state").fetchone()[0]
        if listener is not None:
            listener.seen(revision)
        return revision

    def integrity_errors(self) -> list[str]:
        """Problems found by the engine's integrity and foreign-key checks; empty when all is well."""
        with self._guard():
            return self.conn.integrity_errors()


# Database.lock keys: one for migrations, and one per person for their attendance.
MIGRATION_LOCK = 1


def person_lock(person_id: int) -> int:
    return (1 << 32) + int(person_id)
