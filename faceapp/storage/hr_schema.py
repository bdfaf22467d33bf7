"""The HR tables (migration 7): work schedules and who works them, holidays, the days people were
switched on and off, attendance corrections and the audit log they are written to.

Plain portable SQL (no SQLite-only syntax), so another database backend can run the same text."""

from __future__ import annotations

HR_SCHEMA = """
-- times are local wall-clock HH:MM, and an end at or before the start ends on the next day
CREATE TABLE schedules (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(trim(name)) > 0),
    start_time TEXT NOT NULL,
    end_time TEXT NOT NULL,
    grace_min INTEGER NOT NULL DEFAULT 0 CHECK (grace_min >= 0),
    weekdays INTEGER NOT NULL DEFAULT 31 CHECK (weekdays > 0 AND weekdays < 128),
    break_start TEXT,
    break_end TEXT
);
-- a person's own schedule beats their department's, which beats the default (both NULL)
CREATE TABLE schedule_assignments (
    id INTEGER PRIMARY KEY,
    schedule_id INTEGER NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
    person_id INTEGER UNIQUE REFERENCES people(id) ON DELETE CASCADE,
    department TEXT UNIQUE,
    CHECK (person_id IS NULL OR department IS NULL)
);
CREATE TABLE holidays (
    day TEXT PRIMARY KEY,
    name TEXT NOT NULL
);
-- the first local day a person counts as switched on or off (People.set_active writes it), so a
-- month report leaves out the days after someone left
CREATE TABLE person_activity (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    active INTEGER NOT NULL CHECK (active IN (0, 1))
);
CREATE INDEX person_activity_person ON person_activity(person_id, day);
-- who changed what and why, for the management actions HR answers for
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    action TEXT NOT NULL,
    person_id INTEGER REFERENCES people(id) ON DELETE SET NULL,
    day TEXT,
    reason TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT '{}'
);
-- an admin's correction of a day: a record added by hand (attendance_id: the row it added) or
-- the day marked as leave
CREATE TABLE attendance_corrections (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('record', 'leave')),
    attendance_id INTEGER REFERENCES attendance(id) ON DELETE CASCADE,
    reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    audit_id INTEGER REFERENCES audit_log(id) ON DELETE SET NULL
);
CREATE INDEX attendance_corrections_day ON attendance_corrections(day, person_id);
CREATE INDEX attendance_ts ON attendance(ts);
"""

