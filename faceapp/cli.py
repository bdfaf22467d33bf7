"""The `faceapp` command: no arguments starts the GUI; subcommands drive the Qt-free core."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="faceapp", description="Face recognition for attendance and door access.")
    parser.add_argument("--data-dir", help="folder for the database and logs (default: the user data folder; env FACEAPP_DATA_DIR)")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("gui", help="start the desktop app (the default)")
    bench = sub.add_parser("bench", help="measure speed")
    bench.add_argument("--gallery", type=int, metavar="N", help="1:N search time over N random identities")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in (None, "gui"):
        from faceapp.ui.app import run_gui

        return run_gui(args)
    if args.command == "bench" and args.gallery:
        import json

        from faceapp.search import bench_gallery

        print(json.dumps(bench_gallery(args.gallery), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
