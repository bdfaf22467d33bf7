"""The monthly report: per person the summary (present, late, early, absent, leave, hours) and the
timesheet grid, for a month and a department; exported to Excel or CSV as `faceapp report` does."""

from __future__ import annotations

from PySide6.QtCore import QDate
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
)

from faceapp.files import sqlite_companions
from faceapp.hr.export import summary_rows, write_csv, write_xlsx
from faceapp.hr.report import LEGEND_CODES, MonthReport, month_report
from faceapp.ui.dialogs.lock import require_unlock
from faceapp.ui.dialogs.save_as import export_path
from faceapp.ui.errors import show_error
from faceapp.ui.i18n import N_, tr
from faceapp.ui.widgets.builders import button, fill_table
from faceapp.ui.workers.tasks import run_with_progress

# the columns of faceapp.hr.export.SUMMARY_HEADER, as the UI shows them
SUMMARY_COLUMNS = (N_("Name"), N_("Employee number"), N_("Department"), N_("Schedule"), N_("Working days"),
                   N_("Days present"), N_("Late"), N_("Late minutes"), N_("Left early"), N_("Early minutes"),
                   N_("Absent"), N_("Leave"), N_("Holidays"), N_("Incomplete"), N_("Total hours"),
                   N_("Average hours"), N_("Corrections"))
LEGEND = N_("Cells: first in – last out; +N minutes late; -N minutes early; A absent; H holiday; L leave; "
            "? one record only; * corrected by an admin")
LATE_BRUSH, ABSENT_BRUSH = QBrush(QColor("#fff2cc")), QBrush(QColor("#f8cbad"))


def departments(gallery) -> list[str]:
    return sorted({p.department for p in gallery.list_people() if p.department})


def fill_departments(combo: QComboBox, gallery) -> None:
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(tr("All departments"), None)
    for d in departments(gallery):
        combo.addItem(d, d)
    combo.setCurrentIndex(max(combo.findData(current), 0))
    combo.blockSignals(False)


def _table(name: str) -> QTableWidget:
    table = QTableWidget()
    table.setObjectName(name)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setVisible(False)
    return table


class ReportDialog(QDialog):
    def __init__(self, context, parent=None, month: QDate | None = None):
        super().__init__(parent)
        self.setObjectName("reportDialog")
        self.context = context
        self.report: MonthReport | None = None
        self.month = QDateEdit(month or QDate.currentDate())
        self.month.setObjectName("reportMonth")
        self.month.setDisplayFormat("yyyy-MM")
        self.month.setCalendarPopup(True)
        self.department = QComboBox()
        self.department.setObjectName("reportDepartment")
        fill_departments(self.department, context.gallery)
        self.month_label, self.department_label = QLabel(), QLabel()
        self.xlsx_button = button("exportXlsx", lambda: self.export("xlsx"))
        self.csv_button = button("exportCsv", lambda: self.export("csv"))
        bar = QHBoxLayout()
        for w in (self.month_label, self.month, self.department_label, self.department):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.xlsx_button)
        bar.addWidget(self.csv_button)
        self.summary, self.timesheet = _table("reportSummary"), _table("reportTimesheet")
        self.views = QTabWidget()
        self.views.addTab(self.summary, "")
        self.views.addTab(self.timesheet, "")
        self.legend, self.status = QLabel(), QLabel()
        self.legend.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.views, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.status)
        self.month.dateChanged.connect(self.refresh)
        self.department.currentIndexChanged.connect(self.refresh)
        self.resize(1100, 560)
        context.language_changed.connect(self.retranslate)
        self.retranslate()
        self.refresh()

    def retranslate(self) -> None:
        self.setWindowTitle(tr("Monthly attendance report"))
        self.month_label.setText(tr("Month:"))
        self.department_label.setText(tr("Department:"))
        self.department.setItemText(0, tr("All departments"))
        self.xlsx_button.setText(tr("Export Excel…"))
        self.csv_button.setText(tr("Export CSV…"))
        self.views.setTabText(0, tr("Summary"))
        self.views.setTabText(1, tr("Timesheet"))
        self.legend.setText(tr(LEGEND))
        if self.report is not None:
            self._show(self.report)

    def month_text(self) -> str:
        return self.month.date().toString("yyyy-MM")

    def refresh(self) -> None:
        month, department = self.month_text(), self.department.currentData()
        outcome = run_with_progress(self, tr("Computing the report…"),
                                    lambda job: month_report(self.context.gallery, month, department=department, job=job))
        if outcome.error is not None:
            show_error(self, tr("The report could not be computed.") + f"\n{outcome.error}", outcome.error)
            return
        if outcome.result is None:
            return
        self.report = outcome.result
        self._show(self.report)

    def _show(self, report: MonthReport) -> None:
        rows = summary_rows(report)
        self.summary.setColumnCount(len(SUMMARY_COLUMNS))
        self.summary.setHorizontalHeaderLabels([tr(c) for c in SUMMARY_COLUMNS])
        fill_table(self.summary, [[f"{v:.1f}" if isinstance(v, float) else str(v) for v in row] for row in rows])
        self.summary.resizeColumnsToContents()
        days, grid = report.days, report.grid()
        self.timesheet.setColumnCount(1 + len(days))
        self.timesheet.setHorizontalHeaderLabels([tr("Name")] + [f"{d:%d}\n{tr(WEEKDAY_SHORT[d.weekday()])}" for d in days])
        self.timesheet.setRowCount(len(grid))
        for r, (s, cells) in enumerate(grid):
            self.timesheet.setItem(r, 0, QTableWidgetItem(s.name))
            for c, text in enumerate(cells, 1):
                item = QTableWidgetItem(text)
                if text.startswith(LEGEND_CODES["absent"]):
                    item.setBackground(ABSENT_BRUSH)
                elif "+" in text:
                    item.setBackground(LATE_BRUSH)
                self.timesheet.setItem(r, c, item)
        self.timesheet.resizeColumnsToContents()
        self.status.setText(tr("{people} people, {month}").format(people=len(rows), month=f"{report.first:%Y-%m}"))

    def export(self, kind: str) -> None:
        if self.report is None or not require_unlock(self.context, self):
            return
        suffix = "." + kind
        default = self.context.data_dir / f"attendance_{self.month_text()}{suffix}"
        filters = tr("Excel workbooks") + " (*.xlsx)" if kind == "xlsx" else tr("CSV files") + " (*.csv)"
        chosen = export_path(self, tr("Export report"), default, filters, suffix)
        if chosen is None:
            return
        path, force = chosen
        writer = write_xlsx if kind == "xlsx" else write_csv
        report, protected = self.report, sqlite_companions(self.context.gallery.path)
        outcome = run_with_progress(self, tr("Exporting the report…"),
                                    lambda job: writer(report, path, job, force=force, protected=protected))
        if outcome.error is not None:
            show_error(self, tr("The report could not be exported.") + f"\n{outcome.error}", outcome.error)
        elif outcome.result is not None:
            self.status.setText(tr("Exported to {path}").format(path=path))


WEEKDAY_SHORT = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
