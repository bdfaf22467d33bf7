"""`faceapp export`: attendance records as CSV."""

from __future__ import annotations

from faceapp.cli.progress import progress_bar
from faceapp.files import check_target, shown, sqlite_companions
from faceapp.storage.gallery import Gallery


def cmd_export(args) -> int:
    from faceapp.attendance import Attendance

    with Gallery.open() as gallery:
        check_target(args.out, force=args.force, protected=sqlite_companions(gallery.path))  # before the bar starts
        with progress_bar("exporting", "row") as job:
            rows = Attendance(gallery).export_csv(args.out, args.date_from, args.date_to, job, force=args.force,
                                                  door=args.at_door)
    print(f"wrote {rows} attendance record(s) to {shown(args.out)}")
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("export", help="write attendance records as CSV (opens in Excel, UTF-8 with BOM)")
    p.add_argument("out", metavar="OUT.csv")
    p.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
    p.add_argument("--force", action="store_true", help="replace OUT.csv if it exists (never the database)")
    p.add_argument("--at-door", metavar="DOOR", help="only the records of this door (default: every door)")
    p.set_defaults(func=cmd_export)
