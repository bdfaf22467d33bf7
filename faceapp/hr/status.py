"""Each person's day: present, late (minutes), left early (minutes), absent, on holiday, on leave,
incomplete (one record), off (not a working day) or not yet due, with the time worked.

The records come from SQL, one query for the whole period, sorted by person and time; each record
belongs to the shift whose window holds it. A shift's window reaches half-way into the free time
on either side (a 09:00-18:00 shift owns 01:30 to 01:30 the next day, a 22:00-06:00 one 14:00 to
14:00), so a night worker's morning records count for the evening they started. All durations
are taken between absolute times, so a shift across a daylight-saving change is an hour shorter or
longer, as it was.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from faceapp.hr.schedule import Schedule, at, local_zone
from faceapp.storage.records import Person, now as local_now

DAY_S = 86400.0


class DayKind(StrEnum):
    PRESENT = "present"  # came in (and, once the shift is over, left): see late_min / early_min
    INCOMPLETE = "incomplete"  # one record only, and the shift is over
    ABSENT = "absent"  # a working day without a record, the grace period past
    NOT_YET_DUE = "not_yet_due"  # no record yet, the grace period not yet past (or a future day)
    HOLIDAY = "holiday"
    LEAVE = "leave"  # marked as leave by an admin
    OFF = "off"  # not a working day of their schedule, or no schedule at all


@dataclass(frozen=True, slots=True)
class DayStatus:
    person_id: int
    day: date
    kind: DayKind
    first_in: datetime | None = None
    last_out: datetime | None = None  # None with fewer than two records
    records: int = 0
    late_min: int = 0
    early_min: int = 0
    worked_s: float = 0.0  # first in to last out, less the break
    shift: tuple[datetime, datetime] | None = None  # the scheduled start and end, if a working day
    window: tuple[float, float] = (0.0, 0.0)  # unix seconds: the records of this day lie in it
    corrected: bool = False  # a record added or the day marked by an admin
    note: str = ""  # the holiday's name or the leave's reason

    @property
    def late(self) -> bool:
        return self.late_min > 0

    @property
    def left_early(self) -> bool:
        return self.early_min > 0

    @property
    def attended(self) -> bool:
        return self.records > 0


@dataclass(slots=True)
class PersonDays:
    person: Person
    schedule: Schedule | None
    days: list[DayStatus]


def _minutes(seconds: float) -> int:
    return int(seconds // 60)


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


class _Shifts:
    """Where each schedule's shift and record window fall on each day (cached: a thousand people
    share a handful of schedules)."""

    def __init__(self, tz: tzinfo):
        self.tz = tz
        self._cache: dict[tuple[int | None, date], tuple] = {}

    def get(self, schedule: Schedule | None, day: date) -> tuple:
        """(window start, (shift start, end) as datetimes and as unix seconds, break in unix seconds)"""
        key = (id(schedule) if schedule else None, day)
        found = self._cache.get(key)
        if found is None:
            if schedule is None:
                found = (at(day, time(0), self.tz).timestamp(), None, None, None)
            else:
                start, end = schedule.shift(day, self.tz)
                start_ts, end_ts = start.timestamp(), end.timestamp()
                half_gap = max(0.0, DAY_S - (end_ts - start_ts)) / 2
                span = schedule.break_span(day, self.tz)
                found = (start_ts - half_gap, (start, end), (start_ts, end_ts),
                         None if span is None else (span[0].timestamp(), span[1].timestamp()))
            self._cache[key] = found
        return found


def _active_days(person: Person, changes: list[tuple[date, bool]]):
    """A test: was the person switched on on a given day (their enrolment day onwards)?"""
    created = date.fromisoformat(person.created[:10]) if person.created else date.min
    days = [d for d, _ in changes]

    def active(day: date) -> bool:
        if day < created:
            return False
        i = bisect.bisect_right(days, day)
        if i:
            return changes[i - 1][1]
        return (not changes[0][1]) if changes else person.active

    return active


def person_days(gallery, day_from: date, day_to: date, *, tz: tzinfo | None = None, now: datetime | None = None,
                department: str | None = None, person_id: int | None = None) -> list[PersonDays]:
    """Every person's status on every day from day_from to day_to (inclusive); a person counts
    from their enrolment day while switched on, and on any day they have records. By name."""
    tz = tz or local_zone()
    now_ts = (now or local_now()).timestamp()
    people = [p for p in gallery.list_people()
              if (department is None or p.department == department) and (person_id is None or p.id == person_id)]
    schedules = {s.name: s for s in gallery.list_schedules()}
    by_person: dict[int, Schedule] = {}
    by_department: dict[str, Schedule] = {}
    default = None
    for a in gallery.assignments():
        if a.person_id is not None:
            by_person[a.person_id] = schedules[a.schedule]
        elif a.department is not None:
            by_department[a.department] = schedules[a.schedule]
        else:
            default = schedules[a.schedule]
    holidays = {h.day: h.name for h in gallery.holidays(day_from - timedelta(days=1), day_to + timedelta(days=1))}
    leave = {(c.person_id, c.day): c.reason for c in gallery.corrections(day_from, day_to) if c.kind == "leave"}
    activity = gallery.activity()
    shifts = _Shifts(tz)
    days = [day_from + timedelta(days=i) for i in range((day_to - day_from).days + 1)]

    # one query for the period's records (a day either side holds the edges of night shifts)
    lo = at(day_from - timedelta(days=1), time(0), tz).timestamp()
    hi = at(day_to + timedelta(days=2), time(0), tz).timestamp()
    times: dict[int, list[float]] = {}
    corrected_ts: dict[int, set[float]] = {}
    for pid, ts, corrected in gallery.attendance_times(lo, hi):
        times.setdefault(pid, []).append(ts)
        if corrected:
            corrected_ts.setdefault(pid, set()).add(ts)

    plans: dict[int | None, list[tuple]] = {}

    def plan(schedule: Schedule | None) -> list[tuple]:
        """(day, window start, window end, shift, shift in unix seconds, break) for every day."""
        key = id(schedule) if schedule else None
        if key not in plans:
            entries = [shifts.get(schedule, d) for d in days + [day_to + timedelta(days=1)]]
            plans[key] = [(d, e[0], entries[i + 1][0], e[1], e[2], e[3]) for i, (d, e) in enumerate(zip(days, entries))]
        return plans[key]

    result = []
    for person in people:
        schedule = by_person.get(person.id) or by_department.get(person.department) or default
        active = _active_days(person, activity.get(person.id, []))
        stamps = times.get(person.id, [])
        fixed = corrected_ts.get(person.id)
        statuses = []
        lo_index = 0
        for day, w0, w1, shift, shift_ts, brk in plan(schedule):
            i = bisect.bisect_left(stamps, w0, lo_index)
            j = bisect.bisect_left(stamps, w1, i)
            lo_index = j
            mine = stamps[i:j]
            if not mine and not active(day):
                continue
            statuses.append(_status(person.id, day, schedule, mine, (w0, w1), shift, shift_ts, brk, now_ts, tz,
                                    holidays.get(day), leave.get((person.id, day)),
                                    bool(fixed) and any(t in fixed for t in mine)))
        result.append(PersonDays(person, schedule, statuses))
    return result


def _status(person_id: int, day: date, schedule: Schedule | None, stamps: list[float], window: tuple[float, float],
            shift: tuple[datetime, datetime] | None, shift_ts: tuple[float, float] | None,
            brk: tuple[float, float] | None, now_ts: float, tz: tzinfo,
            holiday: str | None, leave: str | None, corrected: bool) -> DayStatus:
    n = len(stamps)
    first = datetime.fromtimestamp(stamps[0], tz) if n else None
    last = datetime.fromtimestamp(stamps[-1], tz) if n > 1 else None
    worked = 0.0
    if n > 1:
        worked = stamps[-1] - stamps[0] - (_overlap(stamps[0], stamps[-1], *brk) if brk else 0.0)
    base = dict(person_id=person_id, day=day, first_in=first, last_out=last, records=n, worked_s=worked,
                window=window, corrected=corrected)
    if holiday is not None:
        return DayStatus(kind=DayKind.HOLIDAY, note=holiday, **base)
    if leave is not None:
        return DayStatus(kind=DayKind.LEAVE, note=leave, corrected=True, **{k: v for k, v in base.items() if k != "corrected"})
    if schedule is None or not schedule.works_on(day):
        return DayStatus(kind=DayKind.PRESENT if n else DayKind.OFF, **base)
    start, end = shift_ts
    due = start + schedule.grace_min * 60
    if n == 0:
        return DayStatus(kind=DayKind.NOT_YET_DUE if now_ts < due else DayKind.ABSENT, shift=shift, **base)
    late = _minutes(stamps[0] - start) if stamps[0] > due else 0
    over = now_ts >= end
    early = _minutes(end - stamps[-1]) if n > 1 and over and stamps[-1] < end else 0
    kind = DayKind.INCOMPLETE if n == 1 and over else DayKind.PRESENT
    return DayStatus(kind=kind, late_min=late, early_min=early, shift=shift, **base)


def current(statuses: Iterable[PersonDays], now: datetime | None = None) -> list[tuple[PersonDays, DayStatus]]:
    """Each person's day that holds `now` (for a night worker after midnight: yesterday's shift)."""
    ts = (now or local_now()).timestamp()
    found = []
    for pd in statuses:
        for status in pd.days:
            if status.window[0] <= ts < status.window[1]:
                found.append((pd, status))
                break
    return found


BOARD_GROUPS = ("in", "late", "absent", "not_yet_due", "off")


def board(gallery, *, now: datetime | None = None, tz: tzinfo | None = None,
          department: str | None = None) -> dict[str, list[tuple[Person, DayStatus]]]:
    """Who is in (on time), late, absent, not yet due, or off (holiday, leave, day off) right now;
    each group by arrival, then name."""
    now = now or local_now()
    today = now.astimezone(tz).date() if tz else now.date()
    people = person_days(gallery, today - timedelta(days=1), today, tz=tz, now=now, department=department)
    groups: dict[str, list[tuple[Person, DayStatus]]] = {g: [] for g in BOARD_GROUPS}
    for pd, status in current(people, now):
        if status.attended and status.kind not in (DayKind.HOLIDAY, DayKind.LEAVE):
            group = "late" if status.late else "in"
        elif status.kind == DayKind.ABSENT:
            group = "absent"
        elif status.kind == DayKind.NOT_YET_DUE:
            group = "not_yet_due"
        else:
            group = "off"
        groups[group].append((pd.person, status))
    for members in groups.values():
        members.sort(key=lambda m: (m[1].first_in is None, m[1].first_in or now, m[0].name.casefold()))
    return groups
