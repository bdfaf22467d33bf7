"""Work schedules: a named shift (start, end, grace minutes, working weekdays, optional break) in
local wall-clock time, and where it falls on a given day in a time zone (daylight saving included)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from faceapp import config
from faceapp.reasons import ReasonError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MON_FRI = frozenset(range(5))


def parse_clock(text: str | time) -> time:
    if isinstance(text, time):
        return text
    try:
        hh, mm = str(text).strip().split(":")
        return time(int(hh), int(mm))
    except ValueError:
        raise ReasonError("bad_time", time=text) from None


def parse_day(text: str | date) -> date:
    if isinstance(text, date):
        return text
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise ReasonError("bad_day", day=text) from None


def parse_weekdays(text: str) -> frozenset[int]:
    """'mon-fri', 'mon,wed,fri', 'sat-sun' (Monday is 0, as date.weekday())."""
    days: set[int] = set()
    for part in filter(None, (p.strip().lower() for p in text.split(","))):
        ends = [e.strip()[:3] for e in part.split("-")]
        for end in ends:
            if end not in WEEKDAYS or len(ends) > 2:
                raise ReasonError("schedule_weekday", day=part)
        first, last = WEEKDAYS.index(ends[0]), WEEKDAYS.index(ends[-1])
        days.update((first + i) % 7 for i in range((last - first) % 7 + 1))
    if not days:
        raise ReasonError("schedule_no_weekdays")
    return frozenset(days)


def format_weekdays(days: frozenset[int]) -> str:
    """The shortest 'mon-fri,sun' form of a set of weekdays."""
    runs: list[list[int]] = []
    for d in sorted(days):
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return ",".join(WEEKDAYS[r[0]] if len(r) == 1 else f"{WEEKDAYS[r[0]]}-{WEEKDAYS[r[-1]]}" for r in runs)


def weekday_mask(days: frozenset[int]) -> int:
    return sum(1 << d for d in days)


def mask_weekdays(mask: int) -> frozenset[int]:
    return frozenset(d for d in range(7) if mask >> d & 1)


def local_zone(name: str = "") -> tzinfo:
    """An IANA zone by name, else the system's (TZ, /etc/localtime); a zone with daylight-saving
    rules, not today's fixed offset, so a schedule's 09:00 is 09:00 on both sides of a change."""
    name = name or os.environ.get("TZ", "").lstrip(":")
    if not name:
        link = Path("/etc/localtime")
        if link.is_symlink() and "zoneinfo/" in str(link.resolve()):
            name = str(link.resolve()).split("zoneinfo/", 1)[1]
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ReasonError("timezone", zone=name) from None
    return datetime.now().astimezone().tzinfo  # Windows without tzdata: today's offset


def at(day: date, clock: time, tz: tzinfo) -> datetime:
    """A local wall-clock time on a day. In a gap (spring forward) it means the time an hour later
    by the clock; in a fold (fall back) the first of the two, which is how a person reads it."""
    moment = datetime.combine(day, clock, tzinfo=tz)
    return datetime.fromtimestamp(moment.timestamp(), tz)


@dataclass(frozen=True, slots=True)
class Schedule:
    name: str
    start: time
    end: time  # at or before start: the shift ends on the next day
    grace_min: int = 0
    weekdays: frozenset[int] = field(default=MON_FRI)
    break_start: time | None = None
    break_end: time | None = None
    id: int | None = None

    @classmethod
    def make(cls, name: str, start: str | time, end: str | time, *, grace_min: int = 0, weekdays: str | frozenset[int] = MON_FRI,
             break_start: str | time | None = None, break_end: str | time | None = None, id: int | None = None) -> Schedule:
        """A checked schedule from what a user typed; a ReasonError says what is wrong."""
        name = " ".join(str(name).split())
        if not name:
            raise ReasonError("schedule_name")
        try:
            grace = int(grace_min)
        except (TypeError, ValueError):
            raise ReasonError("schedule_grace", high=config.ATTENDANCE.max_grace_min) from None
        if not 0 <= grace <= config.ATTENDANCE.max_grace_min:
            raise ReasonError("schedule_grace", high=config.ATTENDANCE.max_grace_min)
        days = parse_weekdays(weekdays) if isinstance(weekdays, str) else frozenset(weekdays)
        if not days:
            raise ReasonError("schedule_no_weekdays")
        schedule = cls(name, parse_clock(start), parse_clock(end), grace, days,
                       None if break_start in (None, "") else parse_clock(break_start),
                       None if break_end in (None, "") else parse_clock(break_end), id)
        if (schedule.break_start is None) != (schedule.break_end is None):
            raise ReasonError("schedule_break")
        if schedule.break_start is not None:
            day = date(2000, 1, 3)  # any day without a clock change
            start, end = schedule.shift(day, ZoneInfo("UTC"))
            b0, b1 = schedule.break_span(day, ZoneInfo("UTC"))
            if not start <= b0 < b1 <= end:
                raise ReasonError("schedule_break")
        return schedule

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    def works_on(self, day: date) -> bool:
        return day.weekday() in self.weekdays

    def _after_start(self, day: date, clock: time, tz: tzinfo) -> datetime:
        """A wall-clock time of the shift that starts on `day`: on the next day if before the start."""
        return at(day + timedelta(days=1) if clock < self.start else day, clock, tz)

    def shift(self, day: date, tz: tzinfo) -> tuple[datetime, datetime]:
        """Start and end of the shift that starts on `day`."""
        start = at(day, self.start, tz)
        end = at(day + timedelta(days=1) if self.overnight else day, self.end, tz)
        return start, end

    def break_span(self, day: date, tz: tzinfo) -> tuple[datetime, datetime] | None:
        if self.break_start is None or self.break_end is None:
            return None
        b0 = self._after_start(day, self.break_start, tz)
        b1 = self._after_start(day, self.break_end, tz)
        return b0, b1

    def describe(self) -> str:
        text = f"{self.start:%H:%M}-{self.end:%H:%M} {format_weekdays(self.weekdays)}"
        if self.grace_min:
            text += f" +{self.grace_min}min"
        if self.break_start is not None:
            text += f" break {self.break_start:%H:%M}-{self.break_end:%H:%M}"
        return text


@dataclass(frozen=True, slots=True)
class Holiday:
    day: date
    name: str
