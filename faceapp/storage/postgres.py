"""The PostgreSQL connection behind Database: one server shared by several doors (psycopg 3).

Transactions are explicit (autocommit otherwise, so an idle door never holds a transaction open),
a connection lost between transactions is reopened on the next call, and no message, log line or
event ever carries the URL's password (redact).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row

from faceapp import config
from faceapp.storage.database import GalleryError, redact, secrets_of

def _translate(sql: str) -> str:
    """`?` placeholders as psycopg's %s (and a literal % doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


class ChangeListener:
    """A door's ear on the server: a second connection that LISTENs for gallery changes (NOTIFY from
    the revision triggers), so a search learns the revision without asking the server per frame.
    When the connection drops it keeps retrying; on each (re)connect it reads the revision afresh,
    so whatever changed while it was away shows as a new revision and the search reloads in full."""

    CHANNEL = "faceapp_gallery"

    def __init__(self, url: str):
        self.url = url
        self.revision: int | None = None  # None while not listening: ask the server instead
        self.listening = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="faceapp-listen", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=_connect_timeout(),
                                     application_name="faceapp-listen") as conn:
                    conn.execute(f"LISTEN {self.CHANNEL}")  # before the read: nothing falls in between
                    self.revision = conn.execute("SELECT revision FROM gallery_state").fetchone()[0]
                    self.listening.set()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=config.STORAGE.listen_poll_s):
                            self.revision = max(self.revision or 0, int(note.payload))
            except (psycopg.Error, OSError, ValueError):
                pass  # the server went away (or a foreign NOTIFY): retry below
            self.revision = None
            self.listening.clear()
            self._stop.wait(config.STORAGE.reconnect_s)

    def seen(self, revision: int) -> None:
        """A revision this door read itself (its own writes): never go back behind it."""
        if self.revision is not None:
            self.revision = max(self.revision, revision)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2 * config.STORAGE.listen_poll_s + 1)


def _connect_timeout() -> int:
    return max(1, round(config.STORAGE.connect_timeout_s))


class PostgresConnection:
    dialect = "postgresql"
    errors = (psycopg.Error,)

    def __init__(self, url: str, *, read_only: bool, busy_timeout_s: float, connect: bool = True):
        self.url = url
        self.where = redact(url)
        self.read_only = read_only
        self.busy_timeout_s = busy_timeout_s
        self._secrets = secrets_of(url)
        self._conn: psycopg.Connection | None = None
        self._listener: ChangeListener | None = None
        if connect:
            try:
                self.connect()
            except psycopg.Error as err:
                raise GalleryError(self.message(err)) from err

    def connect(self) -> psycopg.Connection:
        """A new connection to the server (the old one, if any, closed)."""
        if self._conn is not None and not self._conn.closed:
            self._conn.close()
        # TLS and everything else in the URL (sslmode, sslrootcert, ...) pass through to libpq.
        conn = psycopg.connect(self.url, autocommit=True, connect_timeout=_connect_timeout())
        # A lock another door holds is waited for as long as a SQLite file's busy timeout.
        conn.execute(f"SET lock_timeout = '{int(self.busy_timeout_s * 1000)}ms'")
        # HNSW candidates per scan (pgvector's default 40): a higher recall@1 for ~2x the time
        conn.execute(f"SET hnsw.ef_search = {int(config.STORAGE.hnsw_ef_search)}")
        if self.read_only:
            conn.execute("SET default_transaction_read_only = on")
        self._conn = conn
        return conn

    def _live(self) -> psycopg.Connection:
        """The connection, reopened if the server dropped it between transactions."""
        conn = self._conn
        if conn is None or conn.closed or conn.broken:
            if conn is not None and not conn.closed:
                conn.close()
            conn = self.connect()
        return conn

    def raw(self) -> psycopg.Connection:
        """The psycopg connection itself (bulk loads with COPY: faceapp.eval.server_bench)."""
        return self._live()

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def message(self, err: BaseException) -> str:
        where = self.where
        detail = self.scrub(str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__)
        if isinstance(err, (pg_errors.LockNotAvailable, pg_errors.DeadlockDetected, pg_errors.SerializationFailure)):
            return (
                f"The face database {where} is busy: another door or program is changing the same records. "
                "Nothing was saved; try again in a moment."
            )
        if isinstance(err, pg_errors.ReadOnlySqlTransaction):
            return f"The face database {where} is open read-only here, so nothing can be saved."
        if isinstance(err, pg_errors.InsufficientPrivilege):
            return (
                f"This door's database role may not make that change in {where} (read-only for it); "
                f"nothing was saved. Ask an administrator, or use the admin role. ({detail})"
            )
        if isinstance(err, pg_errors.DiskFull):
            return f"The disk of the database server {where} is full. Nothing was saved; free some space and try again."
        if isinstance(err, psycopg.OperationalError) and (err.sqlstate is None or err.sqlstate.startswith(("08", "57P"))):
            return f"The face database server {where} cannot be reached; nothing was saved ({detail})."
        return f"The face database {where} reported an error; nothing was saved ({detail})."

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor:
        return self._live().execute(_translate(sql), params or None)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self._live().cursor(row_factory=dict_row) as cur:
            return cur.execute(_translate(sql), params or None).fetchall()

    def executemany(self, sql: str, rows: Any) -> int:
        with self._live().cursor() as cur:
            cur.executemany(_translate(sql), list(rows))
            return cur.rowcount

    def executescript(self, sql: str) -> None:
        self._live().execute(sql)  # no parameters: several statements in one call

    @property
    def in_transaction(self) -> bool:
        conn = self._conn
        return conn is not None and not conn.broken and conn.info.transaction_status in (
            TransactionStatus.INTRANS, TransactionStatus.INERROR, TransactionStatus.ACTIVE)

    def begin(self) -> None:
        self._live().execute("BEGIN")

    def lock_key(self, key: int) -> None:
        self._live().execute("SELECT pg_advisory_xact_lock(%s)", (key,))

    def user_version(self) -> int:
        conn = self._live()
        if conn.execute("SELECT to_regclass('faceapp_schema')").fetchone()[0] is None:
            return 0  # a new, empty database
        return int(conn.execute("SELECT max(version) FROM faceapp_schema").fetchone()[0] or 0)

    def set_user_version(self, version: int) -> None:
        self._live().execute("CREATE TABLE IF NOT EXISTS faceapp_schema (version INTEGER NOT NULL)")
        self._live().execute("DELETE FROM faceapp_schema")
        self._live().execute("INSERT INTO faceapp_schema (version) VALUES (%s)", (int(version),))

    def integrity_errors(self) -> list[str]:
        # The server checks every constraint at commit and recovers from crashes from its WAL, so
        # there is no damaged-file state to find here; what can be checked is that it answers.
        self._live().execute("SELECT 1")
        return []

    def changes(self) -> ChangeListener:
        """The listener for other doors' changes, started on first use."""
        if self._listener is None:
            self._listener = ChangeListener(self.url)
        return self._listener

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
        if self._conn is not None:
            self._conn.close()

