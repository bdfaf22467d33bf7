"""Attendance: one record per person per cooldown, a daily first-in / last-out summary, and a CSV
export that Excel opens correctly (UTF-8 with BOM, so Chinese names survive)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, datetime

from faceapp import settings
from faceapp.files import sqlite_companions, write_atomic
from faceapp.jobs import Job
from faceapp.storage.database import person_lock
from faceapp.storage.gallery import Event, EventKind, Gallery, GalleryError, stamp


@dataclass(frozen=True, slots=True)
class AttendanceRecord:
    id: int
    person_id: int | None  # None once the person was removed
    person_name: str
    employee_no: str | None
    department: str
    time: datetime
    score: float | None
    masked: bool | None
    door: str = ""  # where the person was seen
    direction: str = "both"  # of the camera that saw the person: "in", "out" or "both"


@dataclass(frozen=True, slots=True)
class DaySummary:
    day: str  # YYYY-MM-DD, local
    person_id: int | None
    person_name: str
    employee_no: str | None
    department: str
    first_in: datetime | None  # None when only Out cameras saw the person that day
    last_out: datetime | None  # None when seen only once that day, or only by In cameras
    records: int


CSV_HEADER = ("Date", "Name", "Employee number", "Department", "First in", "Last out", "Records")


def _day(value: date | str | None, default: str) -> str:
    if value is None:
        return default
    return value.isoformat() if isinstance(value, date) else date.fromisoformat(value).isoformat()


# Characters that make Excel read a cell as a formula, and the separators some reader may split a
# cell at: Excel in a locale whose list separator is ";" splits "Ann;=cmd()" in two whatever the
# quoting (a quote is only special at the start of a field), so the part after it is guarded too.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_AFTER_SEPARATOR = re.compile(r"([,;\t\r\n][ ]*)([=+\-@])")
# Cells holding any of these are quoted, so a comma-splitting reader keeps them whole.
_QUOTE_IF = (",", ";", "\t", "\r", "\n", '"')


def _cell(text: str | None) -> str:
    """A text cell Excel shows as typed, in every locale: a formula character at its start, or
    right after a separator inside it, gets an apostrophe in front."""
    text = _FORMULA_AFTER_SEPARATOR.sub(r"\1'\2", text or "")
    return "'" + text if text[:1] in _FORMULA_START else text


def csv_line(cells) -> str:
    """One CSV row (comma-separated, CRLF) with every risky cell quoted, whatever the reader's locale."""
    out = []
    for cell in cells:
        text = "" if cell is None else str(cell)
        out.append('"' + text.replace('"', '""') + '"' if any(c in text for c in _QUOTE_IF) else text)
    return ",".join(out) + "\r\n"


class Attendance:
    def __init__(self, gallery: Gallery):
        self.gallery = gallery

    @property
    def cooldown_s(self) -> float:
        return settings.value(self.gallery, "attendance.cooldown_s")

    def record(
        self,
        person_id: int,
        when: datetime | None = None,
        *,
        score: float | None = None,
        masked: bool | None = None,
        event_id: int | None = None,
        door: str | None = None,
        direction: str = "both",
    ) -> AttendanceRecord | None:
        """Record that a person was seen at a door (default: the gallery's) by a camera facing
        `direction`, unless they already have a record within the cooldown (either side of `when`,
        so out-of-order times count too) that counts the same way: leaving through the Out camera a
        minute after the In camera is a record, the In camera seeing them again is not. Returns the
        new record or None."""
        ts, iso, day = stamp(when)
        cooldown = self.cooldown_s
        g = self.gallery
        with g.transaction():
            # Doors sharing a server check and insert under one lock per person, so two doors seeing
            # the same person at once still write one record (SQLite: the file's write lock does it).
            g.lock(person_lock(person_id))
            recent = g.execute(
                "SELECT 1 FROM attendance WHERE person_id = ? AND ts > ? AND ts < ?"
                " AND (direction = ? OR direction = 'both' OR ? = 'both') LIMIT 1",
                (person_id, ts - cooldown, ts + cooldown, direction, direction),
            ).fetchone()
            if recent:
                return None
            person = g.get_person(person_id)
            row = {
                "person_id": person_id,
                "person_name": person.name,
                "employee_no": person.employee_no,
                "department": person.department,
                "ts": ts,
                "time": iso,
                "day": day,
                "score": score,
                "masked": None if masked is None else int(masked),
                "event_id": event_id,
                "door": g.door if door is None else door,
                "direction": direction,
            }
            row_id = g.insert("attendance", row)
        return self._record({**row, "id": row_id})

    def log(self, event: Event) -> AttendanceRecord | None:
        """Store an event; a recognised person also gets an attendance record (cooldown
        permitting) in the direction of the camera that saw them (the event's details say it, so it
        travels with the event, an offline queue included). Both in one transaction; an event
        stored before (the same uid: sent again by a door's offline queue) changes nothing. A door
        that cannot reach its server keeps the event for later (faceapp.storage.door) and returns
        None."""
        g = self.gallery
        if g.keep_for_later(event):
            return None
        try:
            return self._log(event)
        except GalleryError as err:
            if g.keep_for_later(event, err):
                return None
            raise

    def _log(self, event: Event) -> AttendanceRecord | None:
        with self.gallery.transaction():
            event_id = self.gallery.log_event_once(event)
            if event_id is None or event.kind != EventKind.RECOGNISED or event.person_id is None:
                return None
            return self.record(event.person_id, event.time, score=event.score, masked=event.masked, event_id=event_id,
                               door=event.door, direction=event.details.get("direction", "both"))

    @staticmethod
    def _record(row: dict) -> AttendanceRecord:
        return AttendanceRecord(
            id=row["id"],
            person_id=row["person_id"],
            person_name=row["person_name"],
            employee_no=row["employee_no"],
            department=row["department"],
            time=datetime.fromisoformat(row["time"]),
            score=row["score"],
            masked=None if row["masked"] is None else bool(row["masked"]),
            door=row["door"],
            direction=row["direction"],
        )

    def records(
        self, date_from: date | str | None = None, date_to: date | str | None = None, person_id: int | None = None,
        door: str | None = None,
    ) -> list[AttendanceRecord]:
        """Records between two local dates (inclusive), of one person or everyone, at one door or
        all, oldest first; current names for people still enrolled, the recorded name for removed ones."""
        # filters added only when given: PostgreSQL cannot type a bare "? IS NULL"
        where, params = "a.day >= ? AND a.day <= ?", [_day(date_from, "0000-01-01"), _day(date_to, "9999-12-31")]
        if person_id is not None:
            where, params = where + " AND a.person_id = ?", [*params, person_id]
        if door is not None:
            where, params = where + " AND a.door = ?", [*params, door]
        rows = self.gallery.query(
            f"""SELECT a.id, a.person_id, a.time, a.score, a.masked, a.door, a.direction,
                      coalesce(p.name, a.person_name) AS person_name,
                      CASE WHEN p.id IS NULL THEN a.employee_no ELSE p.employee_no END AS employee_no,
                      coalesce(p.department, a.department) AS department
               FROM attendance a LEFT JOIN people p ON p.id = a.person_id
               WHERE {where} ORDER BY a.ts, a.id""",
            params,
        )
        return [self._record(row) for row in rows]

    def doors(self) -> list[str]:
        """The doors that have attendance records, by name."""
        return [row["door"] for row in self.gallery.query("SELECT DISTINCT door FROM attendance ORDER BY door")]

    def summary(
        self, date_from: date | str | None = None, date_to: date | str | None = None, person_id: int | None = None,
        door: str | None = None,
    ) -> list[DaySummary]:
        """Per day and person (or of one person), over every door (or one): first in (the earliest
        record of an In or both-ways camera), last out (the latest of an Out or both-ways camera,
        unless that is the first-in record itself) and number of records; by day, then name."""
        groups: dict[tuple[str, object], list[AttendanceRecord]] = {}
        for rec in self.records(date_from, date_to, person_id, door):
            # a removed person has no id any more: their recorded name keeps their days apart
            who = rec.person_id if rec.person_id is not None else ("removed", rec.person_name)
            groups.setdefault((rec.time.date().isoformat(), who), []).append(rec)
        days = []
        for (day, _), recs in groups.items():
            ins = [r for r in recs if r.direction != "out"]
            outs = [r for r in recs if r.direction != "in" and (not ins or r is not ins[0])]
            days.append(DaySummary(
                day=day,
                person_id=recs[0].person_id,
                person_name=recs[-1].person_name,
                employee_no=recs[-1].employee_no,
                department=recs[-1].department,
                first_in=ins[0].time if ins else None,
                last_out=outs[-1].time if outs else None,
                records=len(recs),
            ))
        return sorted(days, key=lambda d: (d.day, d.person_name.casefold()))

    def export_csv(self, path: str | os.PathLike, date_from: date | str | None = None, date_to: date | str | None = None,
                   job: Job | None = None, *, force: bool = False, door: str | None = None) -> int:
        """Write the daily summary as CSV (UTF-8 with BOM, ISO 8601 times, a header row); the file
        appears complete or not at all (files.write_atomic; a cancelled `job` raises
        faceapp.jobs.Cancelled and leaves none). Never over the database or a special file, and over
        an existing file only with `force`. Returns the number of data rows."""
        job = job or Job()
        days = self.summary(date_from, date_to, door=door)

        def write(f) -> None:
            f.write(csv_line(CSV_HEADER))
            for i, d in enumerate(days):
                job.check()
                job.report(i, len(days), "writing")
                f.write(csv_line((
                    d.day,
                    _cell(d.person_name),
                    _cell(d.employee_no),
                    _cell(d.department),
                    d.first_in.isoformat(timespec="seconds") if d.first_in else "",
                    d.last_out.isoformat(timespec="seconds") if d.last_out else "",
                    d.records,
                )))

        write_atomic(path, write, force=force, protected=sqlite_companions(self.gallery.path),
                     encoding="utf-8-sig", newline="")
        job.report(len(days), len(days), "written")
        return len(days)
