"""The monthly report: per person the days present, late count and minutes, early leaves, absences,
leave, holidays, total and average hours; and per day a timesheet cell."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from faceapp.hr.status import DayKind, DayStatus, PersonDays, person_days
from faceapp.jobs import Job
from faceapp.reasons import ReasonError

# One letter per day in the timesheet grid for what is not a time span (the legend says which).
CELL_CODES = {DayKind.ABSENT: "A", DayKind.HOLIDAY: "H", DayKind.LEAVE: "L", DayKind.OFF: "", DayKind.NOT_YET_DUE: "",
              DayKind.INCOMPLETE: "?"}
LEGEND_CODES = {str(kind): code for kind, code in CELL_CODES.items()}
CORRECTED_MARK = "*"


def parse_month(text: str) -> tuple[date, date]:
    """The first and last day of a YYYY-MM month."""
    try:
        year, month = (int(p) for p in str(text).strip().split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise ReasonError("bad_month", month=text) from None
    return first, date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True, slots=True)
class PersonSummary:
    person_id: int
    name: str
    employee_no: str | None
    department: str
    schedule: str
    working_days: int  # scheduled days in the period (holidays and leave not counted)
    present: int  # days with a record
    late: int
    late_min: int
    early: int
    early_min: int
    absent: int
    leave: int
    holidays: int
    incomplete: int
    worked_h: float
    corrections: int
    full_days: int  # days with a first in and a last out: the ones hours are averaged over

    @property
    def average_h(self) -> float:
        return round(self.worked_h / self.full_days, 2) if self.full_days else 0.0


def cell(status: DayStatus) -> str:
    """A timesheet cell: 'HH:MM-HH:MM' (with '+late' / '-early' minutes), a code letter, and '*'
    when an admin corrected the day."""
    if status.kind in (DayKind.PRESENT, DayKind.INCOMPLETE) and status.first_in is not None:
        text = f"{status.first_in:%H:%M}-{status.last_out:%H:%M}" if status.last_out else f"{status.first_in:%H:%M}-?"
        if status.late_min:
            text += f" +{status.late_min}"
        if status.early_min:
            text += f" -{status.early_min}"
    else:
        text = CELL_CODES.get(status.kind, "")
    return text + (CORRECTED_MARK if status.corrected else "")


@dataclass(slots=True)
class MonthReport:
    first: date
    last: date
    people: list[PersonDays]
    summaries: list[PersonSummary]

    @property
    def days(self) -> list[date]:
        return [date.fromordinal(o) for o in range(self.first.toordinal(), self.last.toordinal() + 1)]

    def grid(self) -> list[tuple[PersonSummary, list[str]]]:
        """Per person one cell per day of the period (blank where they were not counted)."""
        rows = []
        for pd, summary in zip(self.people, self.summaries):
            cells = {s.day: cell(s) for s in pd.days}
            rows.append((summary, [cells.get(d, "") for d in self.days]))
        return rows


def summarise(pd: PersonDays) -> PersonSummary:
    # one pass: a month of a thousand people is 30,000 days
    n = dict(working=0, present=0, late=0, late_min=0, early=0, early_min=0, absent=0, leave=0, holidays=0,
             incomplete=0, worked_s=0.0, corrections=0, full=0)
    for s in pd.days:
        n["working"] += s.shift is not None
        n["present"] += s.records > 0 and s.kind != DayKind.LEAVE  # an admin said they were away
        n["late"] += s.late_min > 0
        n["late_min"] += s.late_min
        n["early"] += s.early_min > 0
        n["early_min"] += s.early_min
        n["absent"] += s.kind == DayKind.ABSENT
        n["leave"] += s.kind == DayKind.LEAVE
        n["holidays"] += s.kind == DayKind.HOLIDAY
        n["incomplete"] += s.kind == DayKind.INCOMPLETE
        n["worked_s"] += s.worked_s
        n["corrections"] += s.corrected
        n["full"] += s.last_out is not None
    return PersonSummary(
        person_id=pd.person.id, name=pd.person.name, employee_no=pd.person.employee_no, department=pd.person.department,
        schedule=pd.schedule.name if pd.schedule else "", working_days=n["working"], present=n["present"],
        late=n["late"], late_min=n["late_min"], early=n["early"], early_min=n["early_min"], absent=n["absent"],
        leave=n["leave"], holidays=n["holidays"], incomplete=n["incomplete"], worked_h=round(n["worked_s"] / 3600, 2),
        corrections=n["corrections"], full_days=n["full"],
    )


def month_report(gallery, month: str | None = None, *, first: date | None = None, last: date | None = None,
                 tz: tzinfo | None = None, now: datetime | None = None, department: str | None = None,
                 job: Job | None = None) -> MonthReport:
    """The report of a month (YYYY-MM) or of the days first..last."""
    if month is not None:
        first, last = parse_month(month)
    job = job or Job()
    job.report(0, 0, "computing")
    people = person_days(gallery, first, last, tz=tz, now=now, department=department)
    job.check()
    return MonthReport(first, last, people, [summarise(pd) for pd in people])


@dataclass(frozen=True, slots=True)
class DayCounts:
    day: date
    on_time: int
    late: int
    absent: int


def daily_counts(people: list[PersonDays], first: date, last: date) -> list[DayCounts]:
    """Per day of the period: people who came on time, came late, and were absent (the chart of
    arrivals per day)."""
    counts = {date.fromordinal(o): [0, 0, 0] for o in range(first.toordinal(), last.toordinal() + 1)}
    for pd in people:
        for s in pd.days:
            slot = counts.get(s.day)
            if slot is None:
                continue
            if s.kind == DayKind.ABSENT:
                slot[2] += 1
            elif s.attended and s.shift is not None:
                slot[1 if s.late else 0] += 1
    return [DayCounts(d, *c) for d, c in counts.items()]


def arrival_minutes(people: list[PersonDays]) -> list[float]:
    """Arrival times on working days, in minutes after local midnight (the distribution chart)."""
    return [s.first_in.hour * 60 + s.first_in.minute + s.first_in.second / 60
            for pd in people for s in pd.days if s.first_in is not None and s.shift is not None]
