"""The HR tables: schedules and who works them, holidays, when people were switched on and off,
corrections of attendance and the audit log they are written to (schema: faceapp.storage.hr_schema)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from faceapp.hr.schedule import Holiday, Schedule, mask_weekdays, parse_clock, parse_day, weekday_mask
from faceapp.reasons import ReasonError
from faceapp.storage.database import Database
from faceapp.storage.records import now, stamp

CORRECTION_KINDS = ("record", "leave")


@dataclass(frozen=True, slots=True)
class Assignment:
    schedule: str
    person_id: int | None  # both None: the default schedule
    department: str | None


@dataclass(frozen=True, slots=True)
class Correction:
    id: int
    person_id: int
    day: date
    kind: str  # "record": a record added by hand, "leave": the day is leave
    time: datetime | None  # of the added record
    reason: str
    attendance_id: int | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    time: datetime
    action: str
    person_id: int | None
    day: str | None
    reason: str
    details: dict[str, Any]


def _schedule(row: dict[str, Any]) -> Schedule:
    return Schedule(row["name"], parse_clock(row["start_time"]), parse_clock(row["end_time"]), row["grace_min"],
                    mask_weekdays(row["weekdays"]), row["break_start"] and parse_clock(row["break_start"]),
                    row["break_end"] and parse_clock(row["break_end"]), row["id"])


class Schedules(Database):
    """Gallery's queries on the HR tables."""

    # --- audit -------------------------------------------------------------------------------------
    def audit(self, action: str, *, person_id: int | None = None, day: date | str | None = None, reason: str = "",
              **details: Any) -> int:
        with self.transaction():
            return self.insert("audit_log", {
                "time": now().isoformat(timespec="seconds"), "action": action, "person_id": person_id,
                "day": None if day is None else str(day), "reason": reason,
                "details": json.dumps(details, ensure_ascii=False, default=str),
            })

    def audit_log(self, limit: int = 100) -> list[AuditEntry]:
        rows = self.query("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,))
        return [AuditEntry(r["id"], datetime.fromisoformat(r["time"]), r["action"], r["person_id"], r["day"], r["reason"],
                           json.loads(r["details"])) for r in rows]

    # --- schedules ---------------------------------------------------------------------------------
    def add_schedule(self, schedule: Schedule, *, replace: bool = False) -> Schedule:
        """Store a schedule (Schedule.make checked it); replace=True changes the one of that name."""
        row = {"name": schedule.name, "start_time": f"{schedule.start:%H:%M}", "end_time": f"{schedule.end:%H:%M}",
               "grace_min": schedule.grace_min, "weekdays": weekday_mask(schedule.weekdays),
               "break_start": schedule.break_start and f"{schedule.break_start:%H:%M}",
               "break_end": schedule.break_end and f"{schedule.break_end:%H:%M}"}
        with self.transaction():
            old = self.find_schedule(schedule.name)
            if old is not None and not replace:
                raise ReasonError("schedule_exists", name=schedule.name)
            if old is not None:
                self.update("schedules", old.id, row)
            else:
                self.insert("schedules", row)
            self.audit("schedule_saved", name=schedule.name, schedule=schedule.describe())
            return self.get_schedule(schedule.name)

    def find_schedule(self, name: str) -> Schedule | None:
        rows = self.query("SELECT * FROM schedules WHERE name = ?", (" ".join(name.split()),))
        return _schedule(rows[0]) if rows else None

    def get_schedule(self, name: str) -> Schedule:
        found = self.find_schedule(name)
        if found is None:
            raise ReasonError("schedule_unknown", name=name)
        return found

    def list_schedules(self) -> list[Schedule]:
        return [_schedule(r) for r in self.query("SELECT * FROM schedules ORDER BY name")]

    def remove_schedule(self, name: str) -> None:
        """Delete a schedule and its assignments (people fall back to their department's or the default)."""
        with self.transaction():
            schedule = self.get_schedule(name)
            self.execute("DELETE FROM schedules WHERE id = ?", (schedule.id,))
            self.audit("schedule_removed", name=schedule.name)

    def assign_schedule(self, name: str | None, *, person_id: int | None = None, department: str | None = None) -> None:
        """Give a person, a department or (neither) everyone by default a schedule; name=None takes
        the assignment away."""
        if person_id is not None and department is not None:
            raise ValueError("assign a schedule to a person or a department, not both")
        department = None if department is None else department.strip()
        with self.transaction():
            if person_id is not None:
                self.get_person(person_id)
            self.execute(
                "DELETE FROM schedule_assignments WHERE (person_id = ? OR (? IS NULL AND person_id IS NULL)) "
                "AND (department = ? OR (? IS NULL AND department IS NULL))",
                (person_id, person_id, department, department))
            if name is not None:
                schedule = self.get_schedule(name)
                self.insert("schedule_assignments", 
                    {"schedule_id": schedule.id, "person_id": person_id, "department": department})
            self.audit("schedule_assigned", person_id=person_id, schedule=name, department=department)

    def assignments(self) -> list[Assignment]:
        rows = self.query("""SELECT s.name, a.person_id, a.department FROM schedule_assignments a
                             JOIN schedules s ON s.id = a.schedule_id ORDER BY a.department, a.person_id""")
        return [Assignment(r["name"], r["person_id"], r["department"]) for r in rows]

    # --- holidays ----------------------------------------------------------------------------------
    def add_holiday(self, day: date | str, name: str) -> Holiday:
        day, name = parse_day(day), " ".join(name.split())
        with self.transaction():
            self.execute("DELETE FROM holidays WHERE day = ?", (day.isoformat(),))
            self.execute("INSERT INTO holidays (day, name) VALUES (?, ?)", (day.isoformat(), name))
            self.audit("holiday_added", day=day, name=name)
        return Holiday(day, name)

    def remove_holiday(self, day: date | str) -> bool:
        day = parse_day(day)
        with self.transaction():
            gone = self.execute("DELETE FROM holidays WHERE day = ?", (day.isoformat(),)).rowcount > 0
            if gone:
                self.audit("holiday_removed", day=day)
        return gone

    def holidays(self, day_from: date | str | None = None, day_to: date | str | None = None) -> list[Holiday]:
        rows = self.query("SELECT day, name FROM holidays WHERE day >= ? AND day <= ? ORDER BY day",
                          (str(day_from or "0000-01-01"), str(day_to or "9999-12-31")))
        return [Holiday(date.fromisoformat(r["day"]), r["name"]) for r in rows]

    # --- who was active when ------------------------------------------------------------------------
    def note_activity(self, person_id: int, active: bool, day: date | None = None) -> None:
        """Record that a person is switched on or off from `day` (today) on."""
        with self.transaction():
            self.insert("person_activity", 
                {"person_id": person_id, "day": (day or now().date()).isoformat(), "active": int(active)})

    def activity(self) -> dict[int, list[tuple[date, bool]]]:
        """Each person's switches on and off, oldest first."""
        found: dict[int, list[tuple[date, bool]]] = {}
        for r in self.query("SELECT person_id, day, active FROM person_activity ORDER BY person_id, day, id"):
            found.setdefault(r["person_id"], []).append((date.fromisoformat(r["day"]), bool(r["active"])))
        return found

    def attendance_times(self, ts_from: float, ts_to: float) -> list[tuple[int, float, bool]]:
        """(person id, unix time, added by a correction) of every record of an enrolled person in
        [ts_from, ts_to), by person and time: what the HR status is computed from, in one query."""
        rows = self.query(
            """SELECT a.person_id, a.ts, c.id IS NOT NULL AS corrected FROM attendance a
               LEFT JOIN attendance_corrections c ON c.attendance_id = a.id
               WHERE a.ts >= ? AND a.ts < ? AND a.person_id IS NOT NULL ORDER BY a.person_id, a.ts""",
            (ts_from, ts_to))
        return [(r["person_id"], r["ts"], bool(r["corrected"])) for r in rows]

    # --- corrections --------------------------------------------------------------------------------
    def add_correction(self, person_id: int, kind: str, reason: str, *, day: date | str | None = None,
                       when: datetime | None = None) -> Correction:
        """An admin's correction: kind "record" adds an attendance record at `when` (no cooldown: it
        is deliberate), kind "leave" marks `day` as leave. Both go to the audit log with the reason."""
        if kind not in CORRECTION_KINDS:
            raise ValueError(f"unknown correction kind {kind!r}")
        reason = " ".join((reason or "").split())
        if not reason:
            raise ReasonError("no_reason")
        with self.transaction():
            person = self.get_person(person_id)
            attendance_id = None
            if kind == "record":
                if when is None:
                    raise ValueError("a record correction needs its time")
                ts, iso, record_day = stamp(when)
                day = record_day
                attendance_id = self.insert("attendance", {
                    "person_id": person_id, "person_name": person.name, "employee_no": person.employee_no,
                    "department": person.department, "ts": ts, "time": iso, "day": record_day,
                })
            day = parse_day(day if day is not None else now().date())
            audit_id = self.audit(f"correction_{kind}", person_id=person_id, day=day, reason=reason,
                                  time=when.isoformat(timespec="seconds") if when else None)
            correction_id = self.insert("attendance_corrections", {
                "person_id": person_id, "day": day.isoformat(), "kind": kind, "attendance_id": attendance_id,
                "reason": reason, "audit_id": audit_id})
        return Correction(correction_id, person_id, day, kind, when, reason, attendance_id)

    def corrections(self, day_from: date | str | None = None, day_to: date | str | None = None) -> list[Correction]:
        rows = self.query("""SELECT c.*, a.time FROM attendance_corrections c LEFT JOIN attendance a ON a.id = c.attendance_id
                             WHERE c.day >= ? AND c.day <= ? ORDER BY c.day, c.id""",
                          (str(day_from or "0000-01-01"), str(day_to or "9999-12-31")))
        return [Correction(r["id"], r["person_id"], date.fromisoformat(r["day"]), r["kind"],
                           r["time"] and datetime.fromisoformat(r["time"]), r["reason"], r["attendance_id"]) for r in rows]
