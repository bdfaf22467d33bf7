"""The HR views under pytest-qt: the Today board (live), a person's day, the monthly report dialog
with its Excel export, the charts, corrections and the schedules dialog."""

from datetime import datetime, timedelta

from openpyxl import load_workbook
from PySide6.QtCore import QDate

from faceapp.hr.schedule import Schedule
from faceapp.ui.dialogs.hr_edit import CorrectionDialog, SchedulesDialog
from faceapp.ui.dialogs.person_day import PersonDayDialog
from faceapp.ui.dialogs.report import ReportDialog
from faceapp.ui.main_window import ATTENDANCE


def _today(hh, mm=0):
    return datetime.now().astimezone().replace(hour=hh, minute=mm, second=0, microsecond=0)


def _staff(context):
    g = context.gallery
    g.add_schedule(Schedule.make("Office", "09:00", "18:00", grace_min=5, weekdays="mon-sun"))
    g.add_schedule(Schedule.make("Afternoon", "13:00", "21:00", weekdays="mon-sun"))
    g.assign_schedule("Office")
    people = [g.add_person(n, department=d) for n, d in (("Ann", "R&D"), ("Bob 李", "R&D"), ("Cat", "Sales"), ("Dan", "Sales"))]
    g.assign_schedule("Afternoon", person_id=people[3].id)
    context.people_changed.emit()
    return people


def test_today_board_counts_lists_and_a_persons_day(window, context, qtbot):
    ann, bob, cat, dan = _staff(context)
    context.attendance.record(ann.id, _today(8, 50))
    context.attendance.record(bob.id, _today(9, 30))
    page = window.attendance
    window.tabs.setCurrentIndex(ATTENDANCE)
    assert page.views.currentWidget() is page.board  # the first view
    board = page.board
    board.refresh(now=_today(10))
    assert {k: board.counts[k].text() for k in board.counts} == {"in": "1", "late": "1", "absent": "1", "not_yet_due": "1"}
    assert board.lists["late"].item(0).text() == "Bob 李   09:30, 30 min late"
    assert board.lists["not_yet_due"].item(0).text() == "Dan   due 13:00"
    item = board.lists["late"].item(0)
    board.lists["late"].itemClicked.emit(item)
    dialog = page.findChild(PersonDayDialog)
    assert dialog is not None and dialog.records.count() == 1 and "Bob 李" in dialog.windowTitle()
    dialog.correct_button.click()  # no PIN set: straight to the correction dialog, for Bob and today
    correction = page.findChild(CorrectionDialog)
    assert correction.person.currentData() == bob.id and correction.when.date() == QDate.currentDate()
    correction.close()
    page.department.setCurrentIndex(page.department.findData("Sales"))
    board.refresh(now=_today(10))
    assert (board.counts["absent"].text(), board.counts["in"].text()) == ("1", "0")
    context.set_language("zh_CN")
    assert board.titles["late"].text() == "迟到" and page.views.tabText(0) == "今日"
    board.refresh(now=_today(10))  # the switch refreshed it at the real time
    assert board.lists["absent"].item(0).text() == "Cat" and board.counts["not_yet_due"].text() == "1"
    assert board.lists["not_yet_due"].item(0).text() == "Dan   13:00 上班"


def test_board_follows_recognitions_live(window, context, qtbot):
    g = context.gallery
    g.add_schedule(Schedule.make("All day", "00:00", "23:59", weekdays="mon-sun"))
    g.assign_schedule("All day")
    eve = g.add_person("Eve")
    window.tabs.setCurrentIndex(ATTENDANCE)
    board = window.attendance.board
    assert board.counts["in"].text() == "0" and board.counts["late"].text() == "0"
    context.attendance.record(eve.id)
    context.events_added.emit([{"kind": "recognised", "person_id": eve.id}])
    qtbot.waitUntil(lambda: board.lists["late"].count() + board.lists["in"].count() == 1, timeout=10_000)


def _november(context):
    g = context.gallery
    g.add_schedule(Schedule.make("Office", "09:00", "18:00", grace_min=5))
    g.assign_schedule("Office")
    li = g.add_person("李小龙", department="研发")
    g.db.execute("UPDATE people SET created = '2026-10-01T00:00:00+08:00'")
    for day in range(2, 7):
        start = datetime(2026, 11, day, 9, 20 if day == 3 else 0).astimezone()
        context.attendance.record(li.id, start)
        context.attendance.record(li.id, start + timedelta(hours=9))
    context.people_changed.emit()
    g.add_correction(li.id, "leave", "doctor", day="2026-11-09")
    return li


def test_report_dialog_and_excel_export(context, qtbot, tmp_path, monkeypatch):
    from faceapp.ui.dialogs import save_as

    _november(context)
    dialog = ReportDialog(context, month=QDate(2026, 11, 1))
    qtbot.addWidget(dialog)
    assert dialog.summary.rowCount() == 1 and dialog.summary.item(0, 0).text() == "李小龙"
    headers = [dialog.summary.horizontalHeaderItem(c).text() for c in range(dialog.summary.columnCount())]
    row = dict(zip(headers, (dialog.summary.item(0, c).text() for c in range(dialog.summary.columnCount()))))
    assert (row["Days present"], row["Late"], row["Late minutes"], row["Leave"]) == ("5", "1", "20", "1")
    assert dialog.timesheet.item(0, 3).text() == "09:20-18:20 +20"  # the 3rd of November
    assert dialog.timesheet.item(0, 9).text() == "L*"
    target = tmp_path / "november"
    monkeypatch.setattr(save_as.QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    dialog.export("xlsx")
    wb = load_workbook(tmp_path / "november.xlsx")
    assert wb["Summary"]["A2"].value == "李小龙" and wb["Timesheet"]["F2"].value == "09:20-18:20 +20"
    assert "november.xlsx" in dialog.status.text()
    dialog.department.setCurrentIndex(dialog.department.findData("研发"))
    assert dialog.summary.rowCount() == 1


def test_charts_follow_period_and_department(window, context, qtbot):
    _november(context)
    page = window.attendance
    window.tabs.setCurrentIndex(ATTENDANCE)
    page.date_from.setDate(QDate(2026, 11, 1))
    page.date_to.setDate(QDate(2026, 11, 10))
    page.views.setCurrentWidget(page.charts)
    counts = page.charts.counts
    assert len(counts) == 10 and sum(c.on_time for c in counts) == 4 and sum(c.late for c in counts) == 1
    assert len(page.charts.minutes) == 5
    assert len(page.charts.per_day.getPlotItem().items) == 3  # on time, late, absent
    page.department.setCurrentIndex(page.department.findData("研发"))
    assert len(page.charts.minutes) == 5
    context.gallery.add_person("Other", department="Sales")
    context.people_changed.emit()
    page.department.setCurrentIndex(page.department.findData("Sales"))
    assert page.charts.minutes == [] and sum(c.on_time for c in page.charts.counts) == 0


def test_correction_dialog_needs_a_reason(context, qtbot):
    li = _november(context)
    dialog = CorrectionDialog(context, person_id=li.id, day=QDate(2026, 11, 10))
    qtbot.addWidget(dialog)
    dialog.save()  # no reason yet: refused, nothing stored
    assert not dialog.result() and len(context.gallery.corrections("2026-11-10", "2026-11-10")) == 0
    dialog.reason.setText("camera was off")
    dialog.save()
    [c] = context.gallery.corrections("2026-11-10", "2026-11-10")
    assert (c.kind, c.reason, c.time.hour) == ("record", "camera was off", 9)
    assert context.gallery.audit_log()[0].action == "correction_record"


def test_schedules_dialog(context, qtbot):
    context.gallery.add_person("Ann", department="R&D")
    dialog = SchedulesDialog(context)
    qtbot.addWidget(dialog)
    dialog.name.setText("Early")
    dialog.grace.setValue(10)
    dialog.has_break.setChecked(True)
    dialog.days[5].setChecked(True)
    dialog.save_schedule()
    s = context.gallery.get_schedule("Early")
    assert (s.grace_min, s.weekdays, f"{s.break_start:%H:%M}") == (10, frozenset(range(6)), "12:00")
    dialog.target.setCurrentIndex(dialog.target.findData("department:R&D"))
    dialog.assign_to.setCurrentIndex(dialog.assign_to.findData("Early"))
    dialog.assign()
    assert [(a.schedule, a.department) for a in context.gallery.assignments()] == [("Early", "R&D")]
    dialog.holiday_day.setDate(QDate(2026, 10, 1))
    dialog.holiday_name.setText("国庆节")
    dialog.add_holiday()
    assert dialog.holidays.item(0).text() == "2026-10-01  国庆节"
    dialog.schedules.setCurrentRow(0)
    dialog.remove_schedule()
    assert context.gallery.list_schedules() == [] and dialog.assignments.count() == 0


def test_corrections_and_schedules_need_the_pin(window, context, monkeypatch):
    from PySide6.QtWidgets import QDialog

    from faceapp.ui.dialogs import lock

    context.set_pin("246810")
    context.lock()
    asked = []
    monkeypatch.setattr(lock.PinDialog, "exec", lambda self: asked.append(True) or QDialog.DialogCode.Rejected)
    page = window.attendance
    page.open_correction()
    page.open_schedules()
    assert len(asked) == 2
    assert page.findChild(CorrectionDialog) is None and page.findChild(SchedulesDialog) is None
    context.unlock("246810")
    page.open_schedules()
    assert page.findChild(SchedulesDialog) is not None
