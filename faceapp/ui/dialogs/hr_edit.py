"""The HR office's dialogs behind the admin PIN: attendance corrections (a missing record, a day of
leave, with a reason that goes to the audit log) and work schedules, their assignment and holidays."""

from __future__ import annotations

from PySide6.QtCore import QDate, QDateTime, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
)

from faceapp import config
from faceapp.hr.schedule import Schedule
from faceapp.reasons import ReasonError
from faceapp.storage.gallery import GalleryError
from faceapp.ui.dialogs.form import ok_cancel_layout
from faceapp.ui.dialogs.report import WEEKDAY_SHORT, departments
from faceapp.ui.errors import show_error
from faceapp.ui.i18n import tr


def _refused(parent, exc: Exception) -> None:
    text = exc.reason.text(tr) if isinstance(exc, ReasonError) else str(exc)
    show_error(parent, text)


class CorrectionDialog(QDialog):
    """Add a record a camera missed, or mark a day as leave."""

    def __init__(self, context, parent=None, person_id: int | None = None, day: QDate | None = None):
        super().__init__(parent)
        self.setObjectName("correctionDialog")
        self.context = context
        self.setWindowTitle(tr("Correct attendance"))
        self.person = QComboBox()
        self.person.setObjectName("correctionPerson")
        for p in context.gallery.list_people():
            self.person.addItem(p.name, p.id)
        if person_id is not None:
            self.person.setCurrentIndex(max(self.person.findData(person_id), 0))
        self.add_record = QRadioButton(tr("Add a missing record"))
        self.add_record.setObjectName("kindRecord")
        self.leave = QRadioButton(tr("Mark the day as leave"))
        self.leave.setObjectName("kindLeave")
        self.add_record.setChecked(True)
        day = day or QDate.currentDate()
        self.when = QDateTimeEdit(QDateTime(day, QTime(9, 0)))
        self.when.setObjectName("correctionTime")
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.when.setCalendarPopup(True)
        self.reason = QLineEdit()
        self.reason.setObjectName("correctionReason")
        self.reason.setPlaceholderText(tr("Why (kept in the audit log)"))
        self.leave.toggled.connect(lambda on: self.when.setDisplayFormat("yyyy-MM-dd" if on else "yyyy-MM-dd HH:mm"))
        form = QFormLayout()
        form.addRow(tr("Person:"), self.person)
        kinds = QHBoxLayout()
        kinds.addWidget(self.add_record)
        kinds.addWidget(self.leave)
        form.addRow(tr("Correction:"), kinds)
        form.addRow(tr("When:"), self.when)
        form.addRow(tr("Reason:"), self.reason)
        ok_cancel_layout(self, self.save, form)

    def save(self) -> None:
        person_id = self.person.currentData()
        if person_id is None:
            return
        try:
            if self.leave.isChecked():
                self.context.gallery.add_correction(person_id, "leave", self.reason.text(),
                                                    day=self.when.date().toString("yyyy-MM-dd"))
            else:
                when = self.when.dateTime().toPython().astimezone()
                self.context.gallery.add_correction(person_id, "record", self.reason.text(), when=when)
        except (ReasonError, GalleryError) as exc:
            _refused(self, exc)
            return
        self.accept()


class SchedulesDialog(QDialog):
    """Schedules (add, change, remove), who works which (department, person, default), holidays."""

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.setObjectName("schedulesDialog")
        self.context = context
        self.setWindowTitle(tr("Work schedules and holidays"))
        # --- a schedule
        self.schedules = QListWidget()
        self.schedules.setObjectName("scheduleList")
        self.schedules.currentTextChanged.connect(self._pick)
        self.name = QLineEdit()
        self.name.setObjectName("scheduleName")
        self.start, self.end = QTimeEdit(QTime(9, 0)), QTimeEdit(QTime(18, 0))
        self.break_start, self.break_end = QTimeEdit(QTime(12, 0)), QTimeEdit(QTime(13, 0))
        for edit in (self.start, self.end, self.break_start, self.break_end):
            edit.setDisplayFormat("HH:mm")
        self.has_break = QCheckBox()
        self.has_break.setObjectName("hasBreak")
        self.grace = QSpinBox()
        self.grace.setRange(0, config.ATTENDANCE.max_grace_min)
        self.grace.setSuffix(" " + tr("min"))
        self.days = [QCheckBox(tr(d)) for d in WEEKDAY_SHORT]
        days_row = QHBoxLayout()
        for i, box in enumerate(self.days):
            box.setChecked(i < 5)
            days_row.addWidget(box)
        save, remove = QPushButton(tr("Save schedule")), QPushButton(tr("Remove schedule"))
        save.setObjectName("saveSchedule")
        remove.setObjectName("removeSchedule")
        save.clicked.connect(self.save_schedule)
        remove.clicked.connect(self.remove_schedule)
        form = QFormLayout()
        form.addRow(tr("Name:"), self.name)
        hours = QHBoxLayout()
        hours.addWidget(self.start)
        hours.addWidget(QLabel("–"))
        hours.addWidget(self.end)
        form.addRow(tr("Hours:"), hours)
        form.addRow(tr("Grace:"), self.grace)
        brk = QHBoxLayout()
        brk.addWidget(self.has_break)
        brk.addWidget(self.break_start)
        brk.addWidget(QLabel("–"))
        brk.addWidget(self.break_end)
        form.addRow(tr("Break:"), brk)
        form.addRow(tr("Working days:"), days_row)
        buttons_row = QHBoxLayout()
        buttons_row.addWidget(save)
        buttons_row.addWidget(remove)
        form.addRow(buttons_row)
        schedule_box = QGroupBox(tr("Schedules"))
        box_layout = QHBoxLayout(schedule_box)
        box_layout.addWidget(self.schedules, 1)
        box_layout.addLayout(form, 2)
        # --- who works it
        self.target = QComboBox()
        self.target.setObjectName("assignTarget")
        self.assign_to = QComboBox()
        self.assign_to.setObjectName("assignSchedule")
        assign = QPushButton(tr("Assign"))
        assign.setObjectName("assignButton")
        assign.clicked.connect(self.assign)
        self.assignments = QListWidget()
        self.assignments.setObjectName("assignmentList")
        assign_box = QGroupBox(tr("Who works which schedule"))
        a = QVBoxLayout(assign_box)
        row = QHBoxLayout()
        row.addWidget(self.target, 2)
        row.addWidget(QLabel("→"))
        row.addWidget(self.assign_to, 1)
        row.addWidget(assign)
        a.addLayout(row)
        a.addWidget(self.assignments)
        # --- holidays
        self.holiday_day = QDateEdit(QDate.currentDate())
        self.holiday_day.setDisplayFormat("yyyy-MM-dd")
        self.holiday_day.setCalendarPopup(True)
        self.holiday_name = QLineEdit()
        self.holiday_name.setObjectName("holidayName")
        self.holiday_name.setPlaceholderText(tr("Holiday name"))
        add_holiday, remove_holiday = QPushButton(tr("Add holiday")), QPushButton(tr("Remove holiday"))
        add_holiday.setObjectName("addHoliday")
        add_holiday.clicked.connect(self.add_holiday)
        remove_holiday.clicked.connect(self.remove_holiday)
        self.holidays = QListWidget()
        self.holidays.setObjectName("holidayList")
        holiday_box = QGroupBox(tr("Holidays"))
        h = QVBoxLayout(holiday_box)
        row = QHBoxLayout()
        for w in (self.holiday_day, self.holiday_name, add_holiday, remove_holiday):
            row.addWidget(w)
        h.addLayout(row)
        h.addWidget(self.holidays)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(schedule_box)
        bottom = QHBoxLayout()
        bottom.addWidget(assign_box)
        bottom.addWidget(holiday_box)
        layout.addLayout(bottom)
        layout.addWidget(close)
        self.resize(900, 620)
        self.reload()

    def reload(self) -> None:
        g = self.context.gallery
        names = [s.name for s in g.list_schedules()]
        self.schedules.clear()
        for s in g.list_schedules():
            self.schedules.addItem(s.name)
        self.assign_to.clear()
        self.assign_to.addItem(tr("(none)"), None)
        for n in names:
            self.assign_to.addItem(n, n)
        self.target.clear()
        # item data "default", "department:NAME" or "person:ID" (Qt keeps strings as they are)
        self.target.addItem(tr("Everyone (default)"), "default")
        for d in departments(g):
            self.target.addItem(tr("Department: {name}").format(name=d), f"department:{d}")
        people = {p.id: p.name for p in g.list_people()}
        for pid, name in people.items():
            self.target.addItem(tr("Person: {name}").format(name=name), f"person:{pid}")
        self.assignments.clear()
        for a in g.assignments():
            who = (tr("Person: {name}").format(name=people.get(a.person_id, "?")) if a.person_id is not None
                   else tr("Department: {name}").format(name=a.department) if a.department is not None
                   else tr("Everyone (default)"))
            self.assignments.addItem(f"{who}  →  {a.schedule}")
        self.holidays.clear()
        for hol in g.holidays():
            self.holidays.addItem(f"{hol.day.isoformat()}  {hol.name}")

    def _pick(self, name: str) -> None:
        s = self.context.gallery.find_schedule(name) if name else None
        if s is None:
            return
        self.name.setText(s.name)
        self.start.setTime(QTime(s.start.hour, s.start.minute))
        self.end.setTime(QTime(s.end.hour, s.end.minute))
        self.grace.setValue(s.grace_min)
        self.has_break.setChecked(s.break_start is not None)
        if s.break_start is not None:
            self.break_start.setTime(QTime(s.break_start.hour, s.break_start.minute))
            self.break_end.setTime(QTime(s.break_end.hour, s.break_end.minute))
        for i, box in enumerate(self.days):
            box.setChecked(i in s.weekdays)

    def schedule(self) -> Schedule:
        brk = self.has_break.isChecked()
        return Schedule.make(self.name.text(), self.start.time().toPython(), self.end.time().toPython(),
                             grace_min=self.grace.value(),
                             weekdays=frozenset(i for i, box in enumerate(self.days) if box.isChecked()),
                             break_start=self.break_start.time().toPython() if brk else None,
                             break_end=self.break_end.time().toPython() if brk else None)

    def _do(self, action) -> bool:
        try:
            action()
        except (ReasonError, GalleryError, ValueError) as exc:
            _refused(self, exc)
            return False
        self.reload()
        return True

    def save_schedule(self) -> None:
        self._do(lambda: self.context.gallery.add_schedule(self.schedule(), replace=True))

    def remove_schedule(self) -> None:
        item = self.schedules.currentItem()
        if item is not None:
            self._do(lambda: self.context.gallery.remove_schedule(item.text()))

    def assign(self) -> None:
        kind, _, value = self.target.currentData().partition(":")
        self._do(lambda: self.context.gallery.assign_schedule(
            self.assign_to.currentData(), person_id=int(value) if kind == "person" else None,
            department=value if kind == "department" else None))

    def add_holiday(self) -> None:
        name = self.holiday_name.text().strip() or tr("Holiday")
        self._do(lambda: self.context.gallery.add_holiday(self.holiday_day.date().toString("yyyy-MM-dd"), name))

    def remove_holiday(self) -> None:
        item = self.holidays.currentItem()
        if item is not None:
            self._do(lambda: self.context.gallery.remove_holiday(item.text().split()[0]))
