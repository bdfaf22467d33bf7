"""Regenerate the HR screenshots in docs/screenshots: the Today board, a person's day, the monthly
report and the charts, in English and Chinese, on a demo month of made-up staff (no face data).

    xvfb-run -a -s "-screen 0 1280x800x24" python packaging/screenshots_hr.py [--out docs/screenshots]

Needs a CJK font for the Chinese ones (Debian fonts-noto-cjk). The board is shown as it was at
09:58 on Friday 2026-12-04, the report and the charts for November 2026."""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "packaging"))

from screenshots import save, settle, shown_window  # noqa: E402 (the same window, grab and size limit as the app's)

STAFF = [("Lina Vogt", "R&D"), ("Chen Wei 陈伟", "R&D"), ("王芳", "R&D"), ("Marco Rossi", "Sales"), ("李娜", "Sales"),
         ("Sara Lind", "Finance"), ("张伟", "Finance"), ("Tom Berg", "R&D"), ("刘洋", "Sales"), ("Anna Berger", "Finance"),
         ("赵敏", "R&D"), ("Omar Haddad", "Sales")]
BOARD_NOW = datetime(2026, 12, 4, 9, 58)
ABSENT_ON_BOARD = ("Tom Berg", "赵敏")  # off sick that morning
FIRST_DAY = date(2026, 11, 2)


def seed(context) -> None:
    """Schedules, a holiday, and attendance from 2 November to the board's morning."""
    from faceapp.hr.schedule import Schedule

    g, rng = context.gallery, random.Random(7)
    g.add_schedule(Schedule.make("Office", "09:00", "18:00", grace_min=5, break_start="12:00", break_end="13:00"))
    g.add_schedule(Schedule.make("Shop", "10:00", "19:00", grace_min=10, weekdays="tue-sat"))
    g.assign_schedule("Office")
    g.assign_schedule("Shop", department="Sales")
    g.add_holiday("2026-11-20", "Company day 公司日")
    people = [g.add_person(name, employee_no=f"E{1001 + i}", department=dept) for i, (name, dept) in enumerate(STAFF)]
    g.db.execute("UPDATE people SET created = '2026-10-01T00:00:00+01:00'")
    now = BOARD_NOW.astimezone()
    for p in people:
        schedule = g.get_schedule("Shop" if p.department == "Sales" else "Office")
        start_h = schedule.start.hour
        days = (now.date() - FIRST_DAY).days + 1
        for d in (FIRST_DAY + timedelta(days=i) for i in range(days)):
            if not schedule.works_on(d) or d == date(2026, 11, 20) or (p.name == "Sara Lind" and d == date(2026, 11, 12)):
                continue
            if rng.random() < 0.03 or (d == now.date() and p.name in ABSENT_ON_BOARD):
                continue  # absent
            arrive = datetime(d.year, d.month, d.day, start_h).astimezone() + timedelta(minutes=rng.gauss(-5, 10))
            leave = arrive.replace(hour=start_h + 9, minute=0) + timedelta(minutes=rng.gauss(8, 12))
            for when in (arrive, leave):
                if when < now:
                    context.attendance.record(p.id, when, score=0.8, masked=False)
    g.add_correction(people[5].id, "leave", "doctor's appointment", day="2026-11-12")  # Sara Lind
    g.add_correction(people[2].id, "record", "camera was off", when=datetime(2026, 11, 9, 8, 58).astimezone())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtCore import QDate

    from faceapp.ui.app import application
    from faceapp.ui.context import AppContext
    from faceapp.ui.dialogs.person_day import PersonDayDialog
    from faceapp.ui.dialogs.report import ReportDialog
    from faceapp.ui.main_window import ATTENDANCE

    app = application()
    context = AppContext(Path(tempfile.mkdtemp(prefix="faceapp-hr-shots-")))
    seed(context)
    window = shown_window(context)
    page = window.attendance
    shots = []
    for lang, suffix in (("en", ""), ("zh_CN", "_zh")):
        context.set_language(lang)
        window.tabs.setCurrentIndex(ATTENDANCE)
        page.views.setCurrentWidget(page.board)
        page.date_to.setDate(QDate(2026, 12, 4))
        settle(app)
        page.board.refresh(now=BOARD_NOW.astimezone())
        settle(app)
        shots.append(save(window, args.out, f"hr_board{suffix}"))
        person, status = page.board.groups["late"][0]
        day = PersonDayDialog(context, person.id, status, window)
        day.show()
        settle(app)
        shots.append(save(day, args.out, f"hr_day{suffix}"))
        day.close()

        page.date_from.setDate(QDate(2026, 11, 1))
        page.date_to.setDate(QDate(2026, 11, 30))
        page.views.setCurrentWidget(page.charts)
        settle(app, 0.5)
        shots.append(save(window, args.out, f"hr_charts{suffix}"))

        report = ReportDialog(context, window, QDate(2026, 11, 1))
        report.resize(1200, 560)
        report.show()
        settle(app)
        shots.append(save(report, args.out, f"hr_report{suffix}"))
        report.views.setCurrentIndex(1)
        settle(app)
        shots.append(save(report, args.out, f"hr_timesheet{suffix}"))
        report.close()
    window.close()
    context.close()
    for path in shots:
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {path.stat().st_size // 1000} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
