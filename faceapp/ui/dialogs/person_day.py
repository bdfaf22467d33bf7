"""One person's day as the HR status sees it: the shift, first in and last out, late and early
minutes, time worked, and every record that counted for the day (added ones marked)."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QListWidget, QVBoxLayout

from faceapp.hr.status import DayStatus
from faceapp.ui.i18n import tr
from faceapp.ui.widgets.today_board import DAY_KINDS


def hours(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


class PersonDayDialog(QDialog):
    def __init__(self, context, person_id: int, status: DayStatus, parent=None):
        super().__init__(parent)
        self.setObjectName("personDayDialog")
        person = context.gallery.get_person(person_id)
        self.setWindowTitle(tr("{name} on {day}").format(name=person.name, day=status.day.isoformat()))
        heading = QLabel(self.windowTitle())
        heading.setStyleSheet("font-weight: bold; font-size: 15px;")
        form = QFormLayout()
        kind = tr(DAY_KINDS[status.kind]) + (f" ({status.note})" if status.note else "")
        if status.corrected:
            kind += "  " + tr("(corrected by an admin)")
        rows = [(tr("Status:"), kind)]
        if status.shift:
            rows.append((tr("Shift:"), f"{status.shift[0]:%H:%M} – {status.shift[1]:%H:%M}"))
        rows += [(tr("First in:"), f"{status.first_in:%H:%M:%S}" if status.first_in else "–"),
                 (tr("Last out:"), f"{status.last_out:%H:%M:%S}" if status.last_out else "–"),
                 (tr("Late:"), tr("{n} min").format(n=status.late_min)),
                 (tr("Left early:"), tr("{n} min").format(n=status.early_min)),
                 (tr("Worked:"), hours(status.worked_s))]
        for label, value in rows:
            shown = QLabel(value)
            form.addRow(label, shown)
        self.status_label = form.itemAt(0, QFormLayout.ItemRole.FieldRole).widget()
        lo, hi = status.window
        day = status.day
        records = [r for r in context.attendance.records(day - timedelta(days=1), day + timedelta(days=1), person_id)
                   if lo <= r.time.timestamp() < hi]
        added = {c.attendance_id for c in context.gallery.corrections(day - timedelta(days=1), day + timedelta(days=1))}
        self.records = QListWidget()
        self.records.setObjectName("dayRecords")
        for r in records:
            self.records.addItem(f"{r.time:%Y-%m-%d %H:%M:%S}" + ("  " + tr("added by an admin") if r.id in added else ""))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.correct_button = buttons.addButton(tr("Correct this day…"), QDialogButtonBox.ButtonRole.ActionRole)
        self.correct_button.setObjectName("correctDay")
        self.correct_button.clicked.connect(lambda: self.correct(context, person_id, status.day))
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(QLabel(tr("Records of the day:")))
        layout.addWidget(self.records, 1)
        layout.addWidget(buttons)
        self.resize(380, 420)

    def correct(self, context, person_id: int, day) -> None:
        """The correction dialog for this person and day (admin PIN first); this one closes."""
        from faceapp.ui.dialogs.hr_edit import CorrectionDialog
        from faceapp.ui.dialogs.lock import require_unlock

        if require_unlock(context, self):
            CorrectionDialog(context, self.parentWidget(), person_id, QDate(day.year, day.month, day.day)).open()
            self.accept()
