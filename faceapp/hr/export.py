"""The monthly report as files: an Excel workbook (a summary sheet and a timesheet sheet, frozen
header, set column widths, names as text) and a CSV of every person-day for other tools.

Both write through `write_atomically`, so a file appears complete or not at all and a cancelled job
leaves nothing behind; the export hardening routes this one function."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

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


def _text(value: str | None) -> str:
    """A text cell shown as typed: a leading = + - @ would otherwise run as a formula."""
    value = value or ""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def write_atomically(path: str | os.PathLike, write: Callable[[Path], None]) -> None:
    """Call write(tmp) for a temporary file beside `path`, then rename it over `path`."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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


def write_csv(report: MonthReport, path: str | os.PathLike, job: Job | None = None) -> int:
    """Every person-day as a CSV row (UTF-8 with BOM for Excel, ISO 8601 times). Returns the rows."""
    job = job or Job()
    rows = day_rows(report)

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as f:
            out = csv.writer(f)
            out.writerow(DAYS_HEADER)
            for row in job.each(rows, "writing"):
                out.writerow([_text(v) if isinstance(v, str) else v for v in row])

    write_atomically(path, write)
    return len(rows)


def write_xlsx(report: MonthReport, path: str | os.PathLike, job: Job | None = None) -> int:
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
        summary.append(row)
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
        sheet.append([s.name, s.employee_no or "", s.department] + cells)
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
    write_atomically(path, lambda tmp: wb.save(tmp))
    return len(grid)
