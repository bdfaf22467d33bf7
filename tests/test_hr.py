"""HR attendance on constructed days and months: schedules, statuses, the report and its files."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from faceapp.attendance import Attendance
from faceapp.cli.main import main
from faceapp.hr.export import DAYS_HEADER, SUMMARY_HEADER, write_csv, write_xlsx
from faceapp.hr.report import month_report, parse_month
from faceapp.hr.schedule import Schedule, format_weekdays, parse_weekdays
from faceapp.hr.status import DayKind, board, current, person_days
from faceapp.reasons import ReasonError
from faceapp.storage.gallery import Gallery

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")
LATER = datetime(2027, 1, 1, tzinfo=BERLIN)  # "now" after every constructed day: all shifts are over


def t(day, hh, mm=0, tz=BERLIN):
    y, m, d = (int(x) for x in day.split("-"))
    return datetime(y, m, d, hh, mm, tzinfo=tz)


@pytest.fixture
def gallery(tmp_path):
    with Gallery(tmp_path / "g.db") as g:
        yield g


def person(g, name, department="", created="2026-01-01"):
    p = g.add_person(name, department=department)
    g.db.execute("UPDATE people SET created = ? WHERE id = ?", (created + "T00:00:00+01:00", p.id))
    return p


def days_of(g, first, last, tz=BERLIN, now=LATER, **kw):
    return {(pd.person.name, s.day.isoformat()): s
            for pd in person_days(g, date.fromisoformat(first), date.fromisoformat(last), tz=tz, now=now, **kw)
            for s in pd.days}


def test_schedule_input_is_checked():
    assert parse_weekdays("mon-fri") == frozenset(range(5))
    assert parse_weekdays("sat-mon") == frozenset({5, 6, 0})
    assert format_weekdays(parse_weekdays("mon,tue,wed,fri,sun")) == "mon-wed,fri,sun"
    for bad, code in ((dict(start="9"), "bad_time"), (dict(weekdays="mon-xyz"), "schedule_weekday"),
                      (dict(weekdays=""), "schedule_no_weekdays"), (dict(grace_min=999), "schedule_grace"),
                      (dict(break_start="19:00", break_end="20:00"), "schedule_break"), (dict(name=" "), "schedule_name")):
        args = dict(name="Office", start="09:00", end="18:00") | bad
        with pytest.raises(ReasonError) as err:
            Schedule.make(**args)
        assert err.value.reason.code == code
    night = Schedule.make("Night", "22:00", "06:00", break_start="02:00", break_end="02:30")
    assert night.overnight
    start, end = night.shift(date(2026, 3, 2), BERLIN)
    assert (start, end) == (t("2026-03-02", 22), t("2026-03-03", 6))
    assert night.break_span(date(2026, 3, 2), BERLIN)[0] == t("2026-03-03", 2)
    with pytest.raises(ReasonError):
        parse_month("2026-13")


def test_schedules_assignments_and_holidays_are_stored(gallery):
    g = gallery
    office = g.add_schedule(Schedule.make("Office", "09:00", "18:00", grace_min=5))
    with pytest.raises(ReasonError):
        g.add_schedule(Schedule.make("Office", "08:00", "17:00"))
    g.add_schedule(Schedule.make("Office", "08:00", "17:00"), replace=True)
    assert g.get_schedule("Office").start.hour == 8 and g.get_schedule("Office").id == office.id
    g.add_schedule(Schedule.make("Shop", "10:00", "19:00", weekdays="tue-sat"))
    ann = person(g, "Ann", "Sales")
    g.assign_schedule("Office")
    g.assign_schedule("Shop", department="Sales")
    g.assign_schedule("Office", person_id=ann.id)
    g.assign_schedule("Shop", department="Sales")  # again: replaces, no duplicate
    assert len(g.assignments()) == 3
    g.assign_schedule(None, person_id=ann.id)
    assert [(a.schedule, a.department) for a in g.assignments()] == [("Office", None), ("Shop", "Sales")]
    g.add_holiday("2026-10-01", "国庆节")
    assert [(h.day, h.name) for h in g.holidays("2026-10-01", "2026-10-31")] == [(date(2026, 10, 1), "国庆节")]
    assert g.remove_holiday("2026-10-01") and not g.remove_holiday("2026-10-01")
    g.remove_schedule("Shop")
    assert [a.schedule for a in g.assignments()] == ["Office"]
    actions = [e.action for e in g.audit_log()]
    assert "schedule_saved" in actions and "holiday_removed" in actions and "schedule_removed" in actions


def test_a_week_of_office_days(gallery):
    g, book = gallery, Attendance(gallery)
    g.add_schedule(Schedule.make("Office", "09:00", "18:00", grace_min=5, break_start="12:00", break_end="13:00"))
    g.assign_schedule("Office", department="R&D")
    ann = person(g, "Ann", "R&D")
    g.add_holiday("2026-03-06", "Founders' day")  # a Friday
    for stamp in (t("2026-03-02", 8, 55), t("2026-03-02", 18, 5),   # Mon on time
                  t("2026-03-03", 9, 4), t("2026-03-03", 17, 30),   # Tue within grace, left 30 min early
                  t("2026-03-04", 9, 20), t("2026-03-04", 12, 0), t("2026-03-04", 18, 0),  # Wed 20 min late
                  t("2026-03-05", 9, 0),                            # Thu one record only
                  t("2026-03-07", 10, 0), t("2026-03-07", 12, 0)):  # Sat, not a working day
        book.record(ann.id, stamp)
    d = days_of(g, "2026-03-02", "2026-03-09")
    mon, tue, wed, thu, fri, sat, sun, mon2 = (d[("Ann", f"2026-03-0{i}")] for i in range(2, 10))
    assert (mon.kind, mon.late_min, mon.early_min, mon.worked_s) == (DayKind.PRESENT, 0, 0, (9 * 60 + 10 - 60) * 60)
    assert (tue.kind, tue.late, tue.early_min) == (DayKind.PRESENT, False, 30)
    assert (wed.late_min, wed.records, wed.worked_s) == (20, 3, (8 * 60 + 40 - 60) * 60)
    assert (thu.kind, thu.last_out, thu.worked_s) == (DayKind.INCOMPLETE, None, 0)
    assert (fri.kind, fri.note) == (DayKind.HOLIDAY, "Founders' day")
    assert (sat.kind, sat.worked_s, sat.shift) == (DayKind.PRESENT, 2 * 3600, None)  # extra day, no lateness
    assert sun.kind == DayKind.OFF and mon2.kind == DayKind.ABSENT


def test_today_not_yet_due_then_absent_and_the_current_day(gallery):
    g, book = gallery, Attendance(gallery)
    g.add_schedule(Schedule.make("Office", "09:00", "18:00", grace_min=10))
    g.add_schedule(Schedule.make("Night", "22:00", "06:00"))
    g.assign_schedule("Office")
    ann, _bob, cat = person(g, "Ann"), person(g, "Bob"), person(g, "Cat")
    g.assign_schedule("Night", person_id=cat.id)
    book.record(ann.id, t("2026-03-02", 8, 50))
    book.record(cat.id, t("2026-03-02", 21, 58))
    early = days_of(g, "2026-03-02", "2026-03-02", now=t("2026-03-02", 9, 5))
    assert early[("Bob", "2026-03-02")].kind == DayKind.NOT_YET_DUE
    assert early[("Ann", "2026-03-02")].kind == DayKind.PRESENT  # still at work: not incomplete
    assert days_of(g, "2026-03-02", "2026-03-02", now=t("2026-03-02", 9, 11))[("Bob", "2026-03-02")].kind == DayKind.ABSENT
    # at 03:00 on Tuesday the night worker is still on Monday's shift
    night = t("2026-03-03", 3)
    pds = person_days(g, date(2026, 3, 2), date(2026, 3, 3), tz=BERLIN, now=night)
    now_days = {pd.person.name: s for pd, s in current(pds, night)}
    assert now_days["Cat"].day == date(2026, 3, 2) and now_days["Cat"].kind == DayKind.PRESENT
    assert now_days["Ann"].day == date(2026, 3, 3) and now_days["Ann"].kind == DayKind.NOT_YET_DUE


def test_night_shift_across_midnight(gallery):
    g, book = gallery, Attendance(gallery)
    g.add_schedule(Schedule.make("Night", "22:00", "06:00", grace_min=0, weekdays="mon-fri",
                                 break_start="02:00", break_end="02:30"))
    g.assign_schedule("Night")
    cat = person(g, "Cat")
    for stamp in (t("2026-03-02", 21, 55), t("2026-03-03", 6, 5),     # Mon night: full
                  t("2026-03-03", 22, 15), t("2026-03-04", 5, 0),     # Tue night: 15 late, 60 early
                  t("2026-03-06", 23, 0)):                           # Fri night: came, no out
        book.record(cat.id, stamp)
    d = days_of(g, "2026-03-02", "2026-03-06")
    mon, tue, wed, fri = (d[("Cat", f"2026-03-0{i}")] for i in (2, 3, 4, 6))
    assert (mon.kind, mon.records, mon.worked_s) == (DayKind.PRESENT, 2, (8 * 60 + 10 - 30) * 60)
    assert mon.last_out == t("2026-03-03", 6, 5)  # the morning record belongs to the evening before
    assert (tue.late_min, tue.early_min) == (15, 60)
    assert wed.kind == DayKind.ABSENT
    assert fri.kind == DayKind.INCOMPLETE


def test_daylight_saving_changes(gallery):
    """Europe/Berlin: clocks go forward on 2026-03-29 and back on 2026-10-25 (both Sundays)."""
    g, book = gallery, Attendance(gallery)
    g.add_schedule(Schedule.make("Night", "22:00", "06:00", weekdays="mon-sun"))
    g.add_schedule(Schedule.make("Office", "09:00", "17:00", weekdays="mon-sun"))
    g.assign_schedule("Night", department="Night")
    g.assign_schedule("Office")
    night, day = person(g, "Nina", "Night"), person(g, "Dave")
    for stamp in (t("2026-03-28", 22), t("2026-03-29", 6), t("2026-10-24", 22), t("2026-10-25", 6),
                  t("2026-03-29", 9), t("2026-03-29", 17), t("2026-10-25", 9), t("2026-10-25", 17)):
        book.record(night.id if stamp.hour in (22, 6) else day.id, stamp)
    d = days_of(g, "2026-03-28", "2026-03-29") | days_of(g, "2026-10-24", "2026-10-25")
    assert d[("Nina", "2026-03-28")].worked_s == 7 * 3600  # an hour lost at 02:00
    assert d[("Nina", "2026-10-24")].worked_s == 9 * 3600  # an hour gained at 03:00
    for day_ in ("2026-03-29", "2026-10-25"):
        dave = d[("Dave", day_)]  # 09:00 wall clock is on time in either offset
        assert (dave.kind, dave.late_min, dave.early_min, dave.worked_s) == (DayKind.PRESENT, 0, 0, 8 * 3600)
    for day_ in ("2026-03-28", "2026-10-24"):
        assert (d[("Nina", day_)].late_min, d[("Nina", day_)].early_min) == (0, 0)


def test_person_deactivated_mid_month_and_enrolled_mid_month(gallery):
    g, book = gallery, Attendance(gallery)
    g.add_schedule(Schedule.make("Office", "09:00", "18:00"))
    g.assign_schedule("Office")
    ann, _bob = person(g, "Ann"), person(g, "Bob", created="2026-11-16")
    g.set_active(ann.id, False)
    g.db.execute("UPDATE person_activity SET day = '2026-11-14'")  # she left on Saturday the 14th
    book.record(ann.id, t("2026-11-13", 9))
    book.record(ann.id, t("2026-11-13", 18))
    report = month_report(g, "2026-11", tz=BERLIN, now=LATER)
    s = {x.name: x for x in report.summaries}
    # November 2026: 10 weekdays from the 2nd to the 13th, 11 from the 16th to the 30th
    assert (s["Ann"].working_days, s["Ann"].present, s["Ann"].absent) == (10, 1, 9)
    assert (s["Bob"].working_days, s["Bob"].absent) == (11, 11)
    grid = dict((x.name, cells) for x, cells in report.grid())
    assert grid["Ann"][12] == "09:00-18:00" and grid["Ann"][16] == ""  # 13th, then 17th: gone
    g.set_active(ann.id, True)  # back from the 6th of December on, say
    g.db.execute("UPDATE person_activity SET day = '2026-12-07' WHERE active = 1")
    assert month_report(g, "2026-12", tz=BERLIN, now=LATER).summaries[0].working_days == 19  # 7th..31st


def _month(g):
    """November 2026 in Shanghai: two people, one holiday, a late day, an early leave, an absence,
    a leave day and a record added by an admin."""
    book = Attendance(g)
    g.add_schedule(Schedule.make("Office", "09:00", "18:00", grace_min=5, break_start="12:00", break_end="13:00"))
    g.assign_schedule("Office")
    li, wang = person(g, "李小龙", "研发"), person(g, "=Wang", "Sales")
    g.add_holiday("2026-11-11", "双十一")
    for day in range(2, 31):
        d = date(2026, 11, day)
        if d.weekday() >= 5 or day == 11:
            continue
        iso = d.isoformat()
        if day != 4:  # Li is absent on the 4th
            book.record(li.id, t(iso, 9, 30, tz=SHANGHAI) if day == 3 else t(iso, 8, 55, tz=SHANGHAI))
            book.record(li.id, t(iso, 17 if day == 5 else 18, tz=SHANGHAI))
        if day not in (9, 10):
            book.record(wang.id, t(iso, 9, tz=SHANGHAI))
            if day != 12:
                book.record(wang.id, t(iso, 18, tz=SHANGHAI))
    g.add_correction(wang.id, "leave", "sick", day="2026-11-09")
    g.add_correction(wang.id, "record", "forgot to look at the camera", when=t("2026-11-12", 18, tz=SHANGHAI))
    return li, wang


def test_month_report(gallery):
    _month(gallery)
    report = month_report(gallery, "2026-11", tz=SHANGHAI, now=LATER)
    s = {x.name: x for x in report.summaries}
    li, wang = s["李小龙"], s["=Wang"]
    assert li.working_days == 20  # 21 weekdays less the holiday
    assert (li.present, li.late, li.late_min, li.early, li.early_min, li.absent) == (19, 1, 30, 1, 60, 1)
    assert li.worked_h == pytest.approx(17 * (9 + 5 / 60) + 8.5 + (8 + 5 / 60) - 19, abs=0.01)  # breaks taken off
    assert li.average_h == pytest.approx(li.worked_h / 19)
    assert (wang.present, wang.absent, wang.leave, wang.corrections, wang.incomplete) == (18, 1, 1, 2, 0)
    assert wang.working_days == 19  # the leave day is not a working day
    grid = dict((x.name, cells) for x, cells in report.grid())
    assert grid["=Wang"][8] == "L*" and grid["=Wang"][11] == "09:00-18:00*" and grid["=Wang"][9] == "A"
    assert grid["李小龙"][2] == "09:30-18:00 +30" and grid["李小龙"][10] == "H" and grid["李小龙"][0] == ""
    assert [e.action for e in gallery.audit_log()][:2] == ["correction_record", "correction_leave"]
    assert gallery.audit_log()[0].reason == "forgot to look at the camera"
    with pytest.raises(ReasonError):
        gallery.add_correction(wang.person_id, "leave", "  ", day="2026-11-20")


def test_xlsx_and_csv_round_trip(gallery, tmp_path):
    _month(gallery)
    report = month_report(gallery, "2026-11", tz=SHANGHAI, now=LATER)
    out = tmp_path / "nov.xlsx"
    assert write_xlsx(report, out) == 2
    wb = load_workbook(out)
    assert wb.sheetnames == ["Summary", "Timesheet"]
    summary, sheet = wb["Summary"], wb["Timesheet"]
    assert [c.value for c in summary[1]] == list(SUMMARY_HEADER)
    assert summary.freeze_panes == "B2" and sheet.freeze_panes == "D2"
    assert summary.column_dimensions["A"].width == 22
    rows = {r[0]: r for r in summary.iter_rows(min_row=2, values_only=True)}
    assert rows["李小龙"][2] == "研发" and rows["李小龙"][5] == 19 and rows["李小龙"][7] == 30
    assert rows["=Wang"][16] == 2
    assert next(c for c in summary["A"] if c.value == "=Wang").data_type == "s"  # a name, not a formula
    assert sheet.cell(1, 4).value == "11-01 Sun" and sheet.cell(2, 1).value in ("李小龙", "=Wang")
    li_row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "李小龙")
    assert li_row[3 + 2] == "09:30-18:00 +30"
    csv_out = tmp_path / "nov.csv"
    n = write_csv(report, csv_out)
    lines = csv_out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == ",".join(DAYS_HEADER) and len(lines) == n + 1
    assert any(line.startswith("2026-11-12,'=Wang,") and line.endswith(",1,") for line in lines)
    assert not list(tmp_path.glob("*.tmp"))


def test_cli_schedule_report_and_correct(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FACEAPP_DATA_DIR", str(tmp_path))
    assert main(["schedule", "add", "Office", "09:00", "18:00", "--grace", "5", "--break", "12:00", "--break-end", "13:00"]) == 0
    assert main(["schedule", "add", "Office", "25:00", "18:00"]) == 2
    assert "not a time of day" in capsys.readouterr().err
    assert main(["schedule", "assign", "Office", "--default"]) == 0
    assert main(["schedule", "holiday", "2026-11-11", "双十一"]) == 0
    with Gallery(tmp_path / "faceapp.db") as g:
        person(g, "李小龙")
    assert main(["correct", "record", "李小龙", "2026-11-02T09:00+08:00", "--reason", "camera down"]) == 0
    assert main(["correct", "leave", "李小龙", "2026-11-03", "--reason", ""]) == 2
    capsys.readouterr()
    assert main(["schedule", "list", "--json"]) == 0
    assert '"name": "双十一"' in capsys.readouterr().out
    assert main(["report", "2026-11", "--xlsx", str(tmp_path / "r.xlsx"), "--csv", str(tmp_path / "r.csv")]) == 0
    assert load_workbook(tmp_path / "r.xlsx")["Summary"]["A2"].value == "李小龙"
    assert main(["report", "2026-11"]) == 0
    assert "李小龙" in capsys.readouterr().out
    assert main(["report", "2026-11", "--xlsx", str(tmp_path / "no" / "such" / "r.xlsx")]) == 2
    assert "error:" in capsys.readouterr().err
    assert main(["report", "2026-11", "--xlsx", str(tmp_path / "r.xlsx")]) == 2  # exists
    assert "--force" in capsys.readouterr().err
    assert main(["report", "2026-11", "--csv", str(tmp_path / "faceapp.db"), "--force"]) == 2
    assert "database" in capsys.readouterr().err
    assert main(["report", "2026-11", "--xlsx", str(tmp_path / "r.xlsx"), "--force"]) == 0
    assert main(["audit"]) == 0
    assert "correction_record  李小龙" in capsys.readouterr().out


def test_board_groups(gallery):
    g, book = gallery, Attendance(gallery)
    g.add_schedule(Schedule.make("Office", "09:00", "18:00", grace_min=5))
    g.add_schedule(Schedule.make("Late", "13:00", "21:00"))
    g.assign_schedule("Office")
    ann, bob, cat, dan, eve = (person(g, n) for n in ("Ann", "Bob", "Cat", "Dan", "Eve"))
    g.assign_schedule("Late", person_id=dan.id)
    book.record(ann.id, t("2026-03-02", 8, 50))
    book.record(bob.id, t("2026-03-02", 9, 30))
    g.add_correction(eve.id, "leave", "holiday abroad", day="2026-03-02")
    groups = board(g, now=t("2026-03-02", 10), tz=BERLIN)
    assert {k: [p.name for p, _ in v] for k, v in groups.items()} == {
        "in": ["Ann"], "late": ["Bob"], "absent": ["Cat"], "not_yet_due": ["Dan"], "off": ["Eve"]}
    assert groups["late"][0][1].late_min == 30


def test_chart_data(gallery):
    from faceapp.hr.report import arrival_minutes, daily_counts

    _month(gallery)
    report = month_report(gallery, "2026-11", tz=SHANGHAI, now=LATER)
    counts = {c.day.day: c for c in daily_counts(report.people, report.first, report.last)}
    assert (counts[3].on_time, counts[3].late, counts[3].absent) == (1, 1, 0)
    assert (counts[4].on_time, counts[4].absent) == (1, 1) and (counts[10].on_time, counts[10].absent) == (1, 1)
    assert counts[1].on_time + counts[1].late + counts[1].absent == 0  # a Sunday
    minutes = arrival_minutes(report.people)
    assert len(minutes) == 19 + 18 and min(minutes) == 8 * 60 + 55 and max(minutes) == 9 * 60 + 30


def test_leave_over_a_day_with_records(gallery):
    li, _ = _month(gallery)
    gallery.add_correction(li.id, "leave", "went home ill after the first hour", day="2026-11-30")
    s = next(x for x in month_report(gallery, "2026-11", tz=SHANGHAI, now=LATER).summaries if x.name == "李小龙")
    assert (s.working_days, s.present, s.leave, s.absent, s.corrections) == (19, 18, 1, 1, 1)
