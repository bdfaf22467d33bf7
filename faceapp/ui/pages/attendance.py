"""Attendance tab: the Today board (in / late / absent / not yet due), the daily summary (first in,
last out), the records and the charts for a date range, department, person and door, updated live as
people are recognised; exported to CSV. The monthly report, corrections and work schedules open
from here as dialogs (the last two behind the admin PIN)."""

from __future__ import annotations


from PySide6.QtCore import QDate, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from faceapp.hr.report import arrival_minutes, daily_counts
from faceapp.hr.status import person_days
from faceapp.ui.context import AppContext
from faceapp.ui.dialogs.hr_edit import CorrectionDialog, SchedulesDialog
from faceapp.ui.dialogs.person_day import PersonDayDialog
from faceapp.ui.dialogs.report import ReportDialog, fill_departments
from faceapp.ui.dialogs.save_as import export_path
from faceapp.ui.widgets.builders import button, fill_table, record_table
from faceapp.ui.widgets.hr_charts import AttendanceCharts
from faceapp.ui.widgets.today_board import TodayBoard
from faceapp.ui.errors import show_error
from faceapp.ui.i18n import N_, tr
from faceapp.ui.dialogs.lock import require_unlock
from faceapp.ui.workers.tasks import run_with_progress
from faceapp.ui.pages.refresh import RefreshWhenShown

RECORD_COLUMNS = (N_("Time"), N_("Name"), N_("Employee number"), N_("Department"), N_("Score"), N_("Mask"))
SUMMARY_COLUMNS = (N_("Date"), N_("Name"), N_("Employee number"), N_("Department"), N_("First in"), N_("Last out"), N_("Records"))
# New events arrive in bursts (one per recognised face): refresh at most this often.
REFRESH_DELAY_MS = 400
# The board also changes with the clock alone (not yet due turns absent when the grace period ends).
BOARD_TICK_MS = 60_000


def _table(columns: int, name: str) -> QTableWidget:
    table = record_table(name, columns, stretch=1)  # the name
    table.setAlternatingRowColors(True)
    return table


class AttendancePage(RefreshWhenShown, QWidget):
    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        today = QDate.currentDate()
        self.from_label, self.to_label, self.person_label, self.door_label = QLabel(), QLabel(), QLabel(), QLabel()
        self.date_from = QDateEdit(today.addDays(-6))
        self.date_from.setObjectName("dateFrom")
        self.date_to = QDateEdit(today)
        self.date_to.setObjectName("dateTo")
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.dateChanged.connect(self._changed)
        self.person = QComboBox()
        self.person.setObjectName("personFilter")
        self.person.setMinimumWidth(180)
        self.person.currentIndexChanged.connect(self._changed)
        # Doors sharing one server: the records of one of them, or of all (first in / last out span doors).
        self.door = QComboBox()
        self.door.setObjectName("doorFilter")
        self.door.setMinimumWidth(120)
        self.door.addItem("", None)
        self.door.currentIndexChanged.connect(self._changed)
        self.department_label = QLabel()
        self.department = QComboBox()
        self.department.setObjectName("departmentFilter")
        self.department.currentIndexChanged.connect(self._changed)
        self.report_button = button("reportButton", self.open_report)
        self.correct_button = button("correctButton", self.open_correction)
        self.schedules_button = button("schedulesButton", self.open_schedules)
        self.export_button = button("exportButton", self.export_csv)
        bar = QHBoxLayout()
        for w in (self.from_label, self.date_from, self.to_label, self.date_to, self.department_label, self.department,
                  self.person_label, self.person):
            bar.addWidget(w)
        bar.addStretch(1)
        actions = QHBoxLayout()  # a second row: the window must still fit an 800-pixel-wide screen
        actions.addWidget(self.door_label)
        actions.addWidget(self.door)
        actions.addStretch(1)
        for w in (self.report_button, self.correct_button, self.schedules_button, self.export_button):
            actions.addWidget(w)

        self.records = _table(len(RECORD_COLUMNS), "recordsTable")
        self.summary = _table(len(SUMMARY_COLUMNS), "summaryTable")
        self.board = TodayBoard(context)
        self.board.person_clicked.connect(self.show_day)
        self.charts = AttendanceCharts()
        self.views = QTabWidget()
        self.views.setObjectName("attendanceViews")
        for view in (self.board, self.summary, self.records, self.charts):
            self.views.addTab(view, "")
        self.views.currentChanged.connect(self._changed)
        self.count_label = QLabel()
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(actions)
        layout.addWidget(self.views, 1)
        layout.addWidget(self.count_label)

        self.refresh_timer = QTimer(self)
        self.refresh_timer.setSingleShot(True)
        self.refresh_timer.setInterval(REFRESH_DELAY_MS)
        self.refresh_timer.timeout.connect(self._changed)
        self.board_timer = QTimer(self)
        self.board_timer.setInterval(BOARD_TICK_MS)
        self.board_timer.timeout.connect(lambda: self.board.isVisible() and self.board.refresh())
        self.board_timer.start()
        context.events_added.connect(self._on_events)
        context.people_changed.connect(self._fill_people)
        self._fill_people()
        self.retranslate()

    def retranslate(self) -> None:
        self.from_label.setText(tr("From:"))
        self.to_label.setText(tr("To:"))
        self.person_label.setText(tr("Person:"))
        self.person.setItemText(0, tr("Everyone"))
        self.door_label.setText(tr("Door:"))
        self.door.setItemText(0, tr("All doors"))
        self.department_label.setText(tr("Department:"))
        self.department.setItemText(0, tr("All departments"))
        self.export_button.setText(tr("Export CSV…"))
        self.report_button.setText(tr("Monthly report…"))
        self.correct_button.setText(tr("Correct…"))
        self.schedules_button.setText(tr("Schedules…"))
        for i, title in enumerate((tr("Today"), tr("Daily summary"), tr("All records"), tr("Charts"))):
            self.views.setTabText(i, title)
        self.board.retranslate()
        self.charts.retranslate()
        self.records.setHorizontalHeaderLabels([tr(c) for c in RECORD_COLUMNS])
        self.summary.setHorizontalHeaderLabels([tr(c) for c in SUMMARY_COLUMNS])
        self._changed()

    def _fill_people(self) -> None:
        fill_departments(self.department, self.context.gallery)
        current = self.person.currentData()
        self.person.blockSignals(True)
        self.person.clear()
        self.person.addItem(tr("Everyone"), None)
        for p in self.context.gallery.list_people():
            self.person.addItem(p.name, p.id)
        self.person.setCurrentIndex(max(self.person.findData(current), 0))
        self.person.blockSignals(False)

    def _fill_doors(self) -> None:
        current = self.door.currentData()
        self.door.blockSignals(True)
        while self.door.count() > 1:
            self.door.removeItem(1)
        for name in self.context.attendance.doors():
            self.door.addItem(name or tr("(unnamed)"), name)
        self.door.setCurrentIndex(max(self.door.findData(current), 0))
        self.door.blockSignals(False)

    def _on_events(self, events: list) -> None:
        # an attendance record can only come from a recognition; today must be in the range shown
        # (the board always shows today)
        if self.date_to.date() >= QDate.currentDate() or self.views.currentWidget() is self.board:
            self.refresh_timer.start()

    def filters(self) -> dict:
        return {
            "day_from": self.date_from.date().toString("yyyy-MM-dd"),
            "day_to": self.date_to.date().toString("yyyy-MM-dd"),
            "person_id": self.person.currentData(),
            "door": self.door.currentData(),
            "department": self.department.currentData(),
        }

    def refresh(self) -> None:
        self._stale = False
        f = self.filters()
        # filtered in SQL (faceapp.attendance)
        self._fill_doors()
        department = f["department"]
        self.board.department = department
        if self.views.currentWidget() is self.board:
            self.board.refresh()
        elif self.views.currentWidget() is self.charts:
            first, last = self.date_from.date().toPython(), self.date_to.date().toPython()
            people = person_days(self.context.gallery, first, last, department=department, person_id=f["person_id"])
            self.charts.show_data(daily_counts(people, first, last), arrival_minutes(people))
        records = self.context.attendance.records(f["day_from"], f["day_to"], f["person_id"], f["door"])
        summary = self.context.attendance.summary(f["day_from"], f["day_to"], f["person_id"], f["door"])
        if department is not None:
            records = [r for r in records if r.department == department]
            summary = [d for d in summary if d.department == department]
        fill_table(self.records, [[r.time.strftime("%Y-%m-%d %H:%M:%S"), r.person_name, r.employee_no or "", r.department,
                                   "" if r.score is None else f"{r.score:.2f}",
                                   "" if r.masked is None else (tr("yes") if r.masked else tr("no"))]
                                  for r in reversed(records)])
        fill_table(self.summary, [[d.day, d.person_name, d.employee_no or "", d.department,
                                   d.first_in.strftime("%H:%M:%S") if d.first_in else "",
                                   d.last_out.strftime("%H:%M:%S") if d.last_out else "", str(d.records)] for d in summary])
        self.count_label.setText(tr("{n} records, {m} person-days").format(n=len(records), m=len(summary)))

    def show_day(self, person_id: int, status) -> None:
        PersonDayDialog(self.context, person_id, status, self).open()

    def open_report(self) -> None:
        ReportDialog(self.context, self, self.date_to.date()).open()

    def open_correction(self) -> None:
        if require_unlock(self.context, self):
            dialog = CorrectionDialog(self.context, self, self.person.currentData(), self.date_to.date())
            dialog.accepted.connect(self._changed)
            dialog.open()

    def open_schedules(self) -> None:
        if require_unlock(self.context, self):
            dialog = SchedulesDialog(self.context, self)
            dialog.finished.connect(self._changed)
            dialog.open()

    def export_csv(self) -> None:
        if not require_unlock(self.context, self):
            return
        f = self.filters()
        default = self.context.data_dir / f"attendance_{f['day_from']}_{f['day_to']}.csv"
        chosen = export_path(self, tr("Export attendance"), default, tr("CSV files") + " (*.csv)", ".csv")
        if chosen is None:
            return
        path, force = chosen

        outcome = run_with_progress(self, tr("Exporting attendance…"), lambda job: self.context.attendance.export_csv(
            path, f["day_from"], f["day_to"], job, force=force, door=f["door"]))
        if outcome.error is not None:
            show_error(self, tr("The attendance could not be exported.") + f"\n{outcome.error}", outcome.error)
        elif outcome.result is not None:  # None: cancelled, and no file was left
            self.count_label.setText(tr("Exported {n} rows to {path}").format(n=outcome.result, path=path))
