"""A door on a shared server, with store-and-forward: when the server cannot be reached the door
goes on recognising from its last synced copy (a local SQLite cache), keeps its events in that
file, and sends them when the server answers again: none lost (they wait on disk), none doubled
(each event's uid is unique on the server, so a resend after a lost acknowledgement is a no-op).

While offline, whatever changes the shared people list or settings is refused with a message that
says why; reads the live view needs (people, embeddings, model versions, settings) come from the
cache. The cache is refreshed in full whenever the server's revision moves on (its listener tells,
faceapp.storage.postgres.ChangeListener), so it is never more than one change behind while online.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from faceapp import config
from faceapp.reasons import Reason
from faceapp.storage.database import GalleryError
from faceapp.storage.gallery import Gallery
from faceapp.storage.records import Event, now

# The tables a door mirrors, parents first; samples without their crops (recognition needs only
# the embeddings, and crops are most of a gallery's size).
_MIRROR = {
    "people": "SELECT * FROM people",
    "model_versions": "SELECT * FROM model_versions",
    "samples": "SELECT id, person_id, ? AS crop, source, quality, mask_kind, parent_id, created FROM samples",
    "embeddings": "SELECT e.sample_id, e.model_version_id, e.vector FROM embeddings e JOIN model_versions m ON m.id = e.model_version_id WHERE m.active = 1",
    "settings": "SELECT * FROM settings",
}
# Gallery methods the live view and the pages read: from the cache while offline.
_READS = ("embedding_matrix", "embedding_count", "embedded_people", "list_people", "get_person", "find_person",
          "active_model", "model_version", "model_versions", "setting")
# Gallery methods that change what every door shares, or read what the copy lacks (crops, model
# files): refused while offline.
_SERVER_ONLY = ("add_person", "update_person", "set_active", "remove_person", "add_samples", "add_embeddings",
                "replace_embeddings", "set_setting", "register_model", "activate_model", "samples_for", "iter_crops",
                "store_model_file", "model_file_bytes")


@dataclass(frozen=True, slots=True)
class DoorStatus:
    online: bool
    offline_since: datetime | None
    waiting: int  # events kept on this door's disk until the server answers

    @property
    def reason(self) -> Reason:
        if self.online:
            return Reason("door_online", {"waiting": self.waiting})
        return Reason("door_offline", {"since": self.offline_since.strftime("%H:%M"), "waiting": self.waiting})


def unreachable(err: BaseException) -> bool:
    """Whether a failure means "the server is not there" (rather than a refused change)."""
    cause = err.__cause__ if isinstance(err, GalleryError) else err
    return isinstance(cause, psycopg.OperationalError) and (cause.sqlstate is None or cause.sqlstate.startswith(("08", "57P")))


class DoorGallery(Gallery):
    """A Gallery on a PostgreSQL server, with `cache` (a SQLite file of the door's own) standing in
    for it while the server is unreachable."""

    def __init__(self, url: str, cache: str | os.PathLike, *, door: str = "", **kwargs: Any):
        self.cache = Gallery(Path(cache), door=door)
        self.offline_since: datetime | None = None
        self._synced: int | None = None  # the server revision the cache holds
        try:
            super().__init__(url, door=door, **kwargs)
        except GalleryError as err:
            if not unreachable(err) or not self.cache.list_people() and self.cache.active_model() is None:
                self.cache.close()
                raise  # never synced: nothing to recognise from
            super().__init__(url, door=door, connect=False, **kwargs)
            self.offline_since = now()
        else:
            self.resume()

    # --- state -------------------------------------------------------------------------------

    @property
    def online(self) -> bool:
        """Whether the server answers; while offline, a server that answers again is taken back
        at once (its queue sent, the cache refreshed)."""
        if self.offline_since is None:
            return True
        if self.conn.changes().listening.is_set():
            try:
                with self._guard():
                    self.resume()
            except GalleryError as err:
                if not unreachable(err):
                    raise
                return False
        return self.offline_since is None

    def _lost(self, err: GalleryError) -> bool:
        if unreachable(err):
            if self.offline_since is None:
                self.offline_since = now()
            return True
        return False

    def resume(self) -> None:
        """Take the server back: send the queue, refresh the copy (raises while it is still away)."""
        self.conn.connect()  # a fresh connection: the old one may have died with the server
        self._migrate()
        self.offline_since = None
        self.send_waiting()
        self._sync(Gallery.revision(self))

    @property
    def local_folder(self) -> Path:
        return self.cache.path.resolve().parent  # the door's data folder

    def door_status(self) -> DoorStatus:
        online = self.online
        return DoorStatus(online, self.offline_since, self.cache.execute("SELECT count(*) FROM events").fetchone()[0])

    # --- reads and writes --------------------------------------------------------------------

    def revision(self) -> int:
        if self.online:
            try:
                revision = super().revision()
                if revision != self._synced:
                    self._sync(revision)
                return revision
            except GalleryError as err:
                if not self._lost(err):
                    raise
        return self.cache.revision()

    def _refuse(self) -> GalleryError:
        return GalleryError(Reason("door_offline_refused", {"since": self.offline_since.strftime("%H:%M")}).text())

    def keep_for_later(self, event: Event, failure: GalleryError | None = None) -> bool:
        if failure is not None and not self._lost(failure):
            return False
        if failure is None and self.online:
            return False
        self.cache.log_event(event)  # on this door's disk, with its uid, until send_waiting
        return True

    def send_waiting(self) -> int:
        """Send the events kept while offline, oldest first, each with its attendance record
        (the cooldown decided by the server, across doors); returns how many were sent."""
        from faceapp.attendance import Attendance

        book, waiting = Attendance(self), list(reversed(self.cache.events()))
        batch = config.STORAGE.send_batch
        for start in range(0, len(waiting), batch):
            events = waiting[start:start + batch]
            with self.transaction():
                for event in events:
                    event.id = None
                    if event.person_id is not None and not self.execute("SELECT 1 FROM people WHERE id = ?", (event.person_id,)).fetchone():
                        event.person_id = None  # removed meanwhile: the event keeps the name it was seen under
                    book._log(event)
            # only once the server has them: a crash in between sends them again, and the uid makes that a no-op
            self.cache.conn.executemany("DELETE FROM events WHERE uid = ?", [(e.uid,) for e in events])
        return len(waiting)

    def _sync(self, revision: int) -> None:
        """Replace the cache's copy of the shared tables with the server's (one transaction each
        side; queued events keep their person ids: foreign keys are off while the tables swap)."""
        rows = {table: self.query(sql, (b"",) if "?" in sql else ()) for table, sql in _MIRROR.items()}
        cache = self.cache
        cache.db.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            with cache.transaction():
                for table in reversed(_MIRROR):
                    cache.execute(f"DELETE FROM {table}")
                for table, found in rows.items():
                    if found:
                        columns = list(found[0])
                        cache.conn.executemany(
                            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                            [tuple(row[c] for c in columns) for row in found],
                        )
        finally:
            cache.db.conn.execute("PRAGMA foreign_keys = ON")
        self._synced = revision

    def close(self) -> None:
        super().close()
        self.cache.close()


def _read(name: str):
    def method(self: DoorGallery, *args: Any, **kwargs: Any) -> Any:
        if self.online:
            try:
                return getattr(Gallery, name)(self, *args, **kwargs)
            except GalleryError as err:
                if not self._lost(err):
                    raise
        return getattr(self.cache, name)(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = getattr(Gallery, name).__doc__
    return method


def _server_only(name: str):
    def method(self: DoorGallery, *args: Any, **kwargs: Any) -> Any:
        if not self.online:
            raise self._refuse()
        try:
            return getattr(Gallery, name)(self, *args, **kwargs)
        except GalleryError as err:
            if self._lost(err):
                raise self._refuse() from err
            raise

    method.__name__ = name
    method.__doc__ = getattr(Gallery, name).__doc__
    return method


for _name in _READS:
    setattr(DoorGallery, _name, _read(_name))
for _name in _SERVER_ONLY:
    setattr(DoorGallery, _name, _server_only(_name))
