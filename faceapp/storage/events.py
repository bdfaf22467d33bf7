"""The events table: every decision about a face at the camera, as logged. (The attendance records
kept beside it are written by faceapp.attendance.)"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from faceapp.storage.database import Database
from faceapp.storage.records import Event, EventKind, from_row, stamp


class Events(Database):
    """Gallery's queries on events (log_event names the person through People.get_person)."""

    def log_event(self, event: Event) -> int:
        """Store an event (filling in the person's name) and set its id; an event stored before (the
        same uid) keeps its row and id."""
        self.log_event_once(event)
        return event.id

    def log_event_once(self, event: Event) -> int | None:
        """Store an event and set its id; None when its uid was stored before (sent twice)."""
        ts, iso, day = stamp(event.time)
        with self.transaction():
            if event.person_id is not None and event.person_name is None:
                event.person_name = self.get_person(event.person_id).name
            if event.door is None:
                event.door = self.door
            row = {
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
                "door": event.door,
                "uid": event.uid,
            }
            new = self.insert("events", row, unique="uid")
            if new is None:
                event.id = self.execute("SELECT id FROM events WHERE uid = ?", (event.uid,)).fetchone()[0]
                return None
            event.id = new
        return event.id

    def events(
        self, day_from: str | None = None, day_to: str | None = None, limit: int | None = None, door: str | None = None
    ) -> list[Event]:
        """Logged events between two local dates (YYYY-MM-DD, inclusive), at one door or all, newest first."""
        sql = "SELECT * FROM events WHERE day >= ? AND day <= ?"
        params: list[Any] = [day_from or "0000-00-00", day_to or "9999-99-99"]
        if door is not None:
            sql += " AND door = ?"
            params.append(door)
        sql += " ORDER BY ts DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        rows = self.query(sql, params)
        return [
            from_row(
                Event,
                row,
                kind=EventKind(row["kind"]),
                time=datetime.fromisoformat(row["time"]),
                masked=None if row["masked"] is None else bool(row["masked"]),
                live=None if row["live"] is None else bool(row["live"]),
                details=json.loads(row["details"]),
            )
            for row in rows
        ]
