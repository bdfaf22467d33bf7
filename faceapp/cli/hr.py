"""`faceapp schedule …` (work schedules, who works them, holidays), `faceapp report YYYY-MM` (the
monthly report: a table, --xlsx, --csv), `faceapp correct …` (an admin's corrections) and
`faceapp audit` (the log they are written to)."""

from __future__ import annotations

from datetime import datetime

from faceapp.cli.output import find_person, json_command, show
from faceapp.cli.progress import progress_bar
from faceapp.files import check_target, shown, sqlite_companions
from faceapp.storage.gallery import Gallery


def cmd_schedule(args) -> int:
    from faceapp.hr.schedule import Schedule, format_weekdays

    with Gallery.open() as g:
        if args.action == "add":
            s = g.add_schedule(Schedule.make(args.name, args.start, args.end, grace_min=args.grace, weekdays=args.days,
                                             break_start=args.break_start, break_end=args.break_end), replace=args.replace)
            print(f"saved schedule {s.name}: {s.describe()}")
        elif args.action == "remove":
            g.remove_schedule(args.name)
            print(f"removed schedule {args.name}")
        elif args.action == "assign":
            if not args.name and not args.clear:
                raise ValueError("name the schedule to assign, or --clear to take the assignment away")
            person_id = find_person(g, args.person).id if args.person else None
            g.assign_schedule(None if args.clear else args.name, person_id=person_id,
                              department=None if args.person or args.default else args.department)
            print("assignment saved")
        elif args.action == "holiday":
            if args.remove:
                print("removed" if g.remove_holiday(args.day) else f"no holiday on {args.day}")
            else:
                h = g.add_holiday(args.day, args.name or "")
                print(f"holiday {h.day}: {h.name}")
        else:  # list
            people = {p.id: p.name for p in g.list_people()}
            found = {
                "schedules": [{"name": s.name, "start": f"{s.start:%H:%M}", "end": f"{s.end:%H:%M}", "grace_min": s.grace_min,
                               "days": format_weekdays(s.weekdays),
                               "break": f"{s.break_start:%H:%M}-{s.break_end:%H:%M}" if s.break_start else None}
                              for s in g.list_schedules()],
                "assignments": [{"schedule": a.schedule,
                                 "to": people.get(a.person_id, "") if a.person_id is not None
                                 else (f"department {a.department!r}" if a.department is not None else "everyone (default)")}
                                for a in g.assignments()],
                "holidays": [{"day": h.day.isoformat(), "name": h.name} for h in g.holidays()],
            }

            def table(r):
                print("schedules:")
                for s in r["schedules"]:
                    brk = f"  break {s['break']}" if s["break"] else ""
                    print(f"  {s['name']:20s} {s['start']}-{s['end']}  {s['days']:12s} grace {s['grace_min']} min{brk}")
                print("assignments:")
                for a in r["assignments"]:
                    print(f"  {a['to']:30s} -> {a['schedule']}")
                print("holidays:")
                for h in r["holidays"]:
                    print(f"  {h['day']}  {h['name']}")

            show(found, args.json, table)
    return 0


def cmd_report(args) -> int:
    from faceapp.hr.export import SUMMARY_HEADER, summary_rows, write_csv, write_xlsx
    from faceapp.hr.report import month_report

    with Gallery.open() as g:
        protected = sqlite_companions(g.path)
        outputs = [(path, write) for path, write in ((args.xlsx, write_xlsx), (args.csv, write_csv)) if path]
        for path, _ in outputs:  # before any work: a wrong name is said at once
            check_target(path, force=args.force, protected=protected)
        with progress_bar("report", "row") as job:
            report = month_report(g, args.month, department=args.department, job=job)
            for path, write in outputs:
                try:
                    write(report, path, job, force=args.force, protected=protected)
                except OSError as exc:  # a full disk, say: nothing was written
                    raise ValueError(f"cannot write {shown(path)}: {exc.strerror or exc}") from None
    for path, _ in outputs:
        print(f"wrote {shown(path)}")
    if not (args.xlsx or args.csv) or args.json:
        rows = [dict(zip(SUMMARY_HEADER, row)) for row in summary_rows(report)]

        def table(rows):
            print(f"{'Name':20s} {'present':>7s} {'late':>5s} {'min':>5s} {'early':>5s} {'absent':>6s} {'leave':>5s} "
                  f"{'hours':>7s} {'avg':>5s}")
            for r in rows:
                print(f"{r['Name'][:20]:20s} {r['Days present']:7d} {r['Late']:5d} {r['Late minutes']:5d} {r['Left early']:5d} "
                      f"{r['Absent']:6d} {r['Leave']:5d} {r['Total hours']:7.1f} {r['Average hours']:5.1f}")

        show(rows, args.json, table)
    return 0


def cmd_correct(args) -> int:
    with Gallery.open() as g:
        person = find_person(g, args.person)
        if args.kind == "record":
            when = datetime.fromisoformat(args.when)
            c = g.add_correction(person.id, "record", args.reason, when=when)
            print(f"added a record for {person.name} at {when.isoformat(timespec='minutes')}")
        else:
            c = g.add_correction(person.id, "leave", args.reason, day=args.when)
            print(f"marked {c.day} as leave for {person.name}")
    return 0


def cmd_audit(args) -> int:
    with Gallery.open() as g:
        people = {p.id: p.name for p in g.list_people()}
        entries = [{"time": e.time.isoformat(timespec="seconds"), "action": e.action,
                    "person": people.get(e.person_id, "") if e.person_id is not None else "", "day": e.day or "",
                    "reason": e.reason, "details": e.details} for e in g.audit_log(args.limit)]

    def table(rows):
        for r in rows:
            extra = ", ".join(f"{k}={v}" for k, v in r["details"].items() if v is not None)
            print(f"{r['time']}  {r['action']:18s} {r['person']:16s} {r['day']:10s} {r['reason']}  {extra}".rstrip())

    show(entries, args.json, table)
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("schedule", help="work schedules, who works them, and holidays")
    acts = p.add_subparsers(dest="action", metavar="ACTION")
    a = acts.add_parser("add", help="add (or with --replace change) a schedule")
    a.add_argument("name")
    a.add_argument("start", metavar="HH:MM")
    a.add_argument("end", metavar="HH:MM", help="at or before the start: the shift ends the next day")
    a.add_argument("--grace", type=int, default=0, metavar="MIN", help="minutes after the start that are not yet late")
    a.add_argument("--days", default="mon-fri", help="working weekdays, e.g. mon-fri or mon,wed,fri (default mon-fri)")
    a.add_argument("--break", dest="break_start", metavar="HH:MM", help="break start (not counted as worked)")
    a.add_argument("--break-end", metavar="HH:MM")
    a.add_argument("--replace", action="store_true", help="change the schedule of this name")
    r = acts.add_parser("remove", help="delete a schedule and its assignments")
    r.add_argument("name")
    s = acts.add_parser("assign", help="give a department, a person or everyone (--default) a schedule")
    s.add_argument("name", nargs="?")
    who = s.add_mutually_exclusive_group(required=True)
    who.add_argument("--department", metavar="DEPT")
    who.add_argument("--person", metavar="NAME|ID")
    who.add_argument("--default", action="store_true", help="everyone without their own or a department schedule")
    s.add_argument("--clear", action="store_true", help="take the assignment away")
    h = acts.add_parser("holiday", help="add or remove a holiday")
    h.add_argument("day", metavar="YYYY-MM-DD")
    h.add_argument("name", nargs="?")
    h.add_argument("--remove", action="store_true")
    ls = acts.add_parser("list", help="schedules, assignments and holidays")
    ls.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_schedule, action="list", json=False)

    p = sub.add_parser("report", help="monthly attendance report: present, late, early, absent, hours")
    p.add_argument("month", metavar="YYYY-MM")
    p.add_argument("--xlsx", metavar="OUT.xlsx", help="write an Excel workbook (summary and timesheet)")
    p.add_argument("--csv", metavar="OUT.csv", help="write every person-day as CSV")
    p.add_argument("--department", metavar="DEPT")
    p.add_argument("--force", action="store_true", help="replace the files if they exist (never the database)")
    json_command(p, cmd_report)

    p = sub.add_parser("correct", help="an admin's attendance correction (kept in the audit log)")
    p.add_argument("kind", choices=("record", "leave"), help="add a missing record, or mark a day as leave")
    p.add_argument("person", metavar="NAME|ID")
    p.add_argument("when", metavar="TIME|DAY", help="record: YYYY-MM-DDTHH:MM; leave: YYYY-MM-DD")
    p.add_argument("--reason", required=True)
    p.set_defaults(func=cmd_correct)

    p = sub.add_parser("audit", help="the audit log: corrections, schedule and holiday changes, newest first")
    p.add_argument("--limit", type=int, default=50)
    json_command(p, cmd_audit)
