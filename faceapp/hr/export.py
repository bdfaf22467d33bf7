"""The monthly report as files: an Excel workbook (a summary sheet and a timesheet sheet, frozen
header, set column widths, names as text) and a CSV of every person-day for other tools.

Both write through faceapp.files.write_atomic, as the attendance CSV does: a file appears complete
or not at all, a cancelled job leaves nothing behind, never over the app's database (`protected`)
and over an existing file only when forced; text cells are guarded as faceapp.attendance guards them."""

from __future__ import annotations

import os
from collections.abc import Iterable

from faceapp.attendance import _cell, csv_line
from faceapp.files import write_atomic
from faceapp.hr.report import CORRECTED_MARK, LEGEND_CODES, MonthReport
from faceapp.hr.schedule import WEEKDAYS
from faceapp.jobs import Job

SUMMARY_HEADER = ("Name", "Employee number", "Department", "Schedule", "Working days", "Days present", "Late",
                  "Late minutes", "Left early", "Early minutes", "Absent", "Leave", "Holidays", "Incomplete",
                  "Total hours", "Average hours", "Corrections")
DAYS_HEADER = ("Date", "Name", "Employee number", "Department", "Status", "First in", "Last out", "Late minutes",
               "Early minutes", "Worked hours", "Corrected", "Note")
LEGEND = (f"HH:MM-HH:MM first in - last out; +N minutes late; -N minutes early; A absent; H holiday; L leave; "
          f"? one record only; {CORRECTED_MARK} corrected by an admin")


def _append(sheet, values: list) -> None:
    """A row whose text stays text: openpyxl would store a name starting with "=" as a formula."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"


def summary_rows(report: MonthReport) -> list[list]:
    return [[s.name, s.employee_no or "", s.department, s.schedule, s.working_days, s.present, s.late, s.late_min,
             s.early, s.early_min, s.absent, s.leave, s.holidays, s.incomplete, s.worked_h, s.average_h, s.corrections]
            for s in report.summaries]


def day_rows(report: MonthReport) -> list[list]:
    rows = []
    for pd in report.people:
        p = pd.person
        for s in pd.days:
            rows.append([s.day.isoformat(), p.name, p.employee_no or "", p.department, str(s.kind),
                         s.first_in.isoformat(timespec="seconds") if s.first_in else "",
                         s.last_out.isoformat(timespec="seconds") if s.last_out else "",
                         s.late_min, s.early_min, round(s.worked_s / 3600, 2), int(s.corrected), s.note])
    return rows


def write_csv(report: MonthReport, path: str | os.PathLike, job: Job | None = None, *, force: bool = False,
              protected: Iterable[str | os.PathLike] = ()) -> int:
    """Every person-day as a CSV row (UTF-8 with BOM for Excel, ISO 8601 times). Returns the rows."""
    job = job or Job()
    rows = day_rows(report)

    def write(f) -> None:
        f.write(csv_line(DAYS_HEADER))
        for row in job.each(rows, "writing"):
            f.write(csv_line([_cell(v) if isinstance(v, str) else v for v in row]))

    write_atomic(path, write, force=force, protected=protected, encoding="utf-8-sig", newline="")
    return len(rows)


def write_xlsx(report: MonthReport, path: str | os.PathLike, job: Job | None = None, *, force: bool = False,
               protected: Iterable[str | os.PathLike] = ()) -> int:
    """The summary and the timesheet as an Excel workbook. Returns the number of people."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    job = job or Job()
    bold = Font(bold=True)
    late_fill = PatternFill("solid", fgColor="FFF2CC")
    absent_fill = PatternFill("solid", fgColor="F8CBAD")

    wb = Workbook()
    summary = wb.active
    summary.title = "Summary"
    summary.append(list(SUMMARY_HEADER))
    for row in summary_rows(report):
        _append(summary, row)
    summary.freeze_panes = "B2"
    for i, header in enumerate(SUMMARY_HEADER, 1):
        summary.column_dimensions[get_column_letter(i)].width = 22 if i <= 4 else max(9, len(header) + 2)
    job.check()

    sheet = wb.create_sheet("Timesheet")
    days = report.days
    # weekday names from our own table: %a follows the C locale, which a Qt app sets from the user's
    sheet.append(["Name", "Employee number", "Department"] + [f"{d:%m-%d} {WEEKDAYS[d.weekday()].capitalize()}" for d in days])
    grid = report.grid()
    for i, (s, cells) in enumerate(job.each(grid, "writing")):
        _append(sheet, [s.name, s.employee_no or "", s.department] + cells)
        for col, text in enumerate(cells, 4):
            if text.startswith(LEGEND_CODES["absent"]):
                sheet.cell(i + 2, col).fill = absent_fill
            elif "+" in text:
                sheet.cell(i + 2, col).fill = late_fill
    sheet.append([])
    sheet.append([LEGEND])
    sheet.freeze_panes = "D2"
    for col, width in ((1, 22), (2, 14), (3, 16)):
        sheet.column_dimensions[get_column_letter(col)].width = width
    for col in range(4, 4 + len(days)):
        sheet.column_dimensions[get_column_letter(col)].width = 16
    for ws in (summary, sheet):
        for c in ws[1]:
            c.font = bold
            c.alignment = Alignment(horizontal="center", wrap_text=True)
    write_atomic(path, wb.save, force=force, protected=protected, mode="wb")
    return len(grid)
