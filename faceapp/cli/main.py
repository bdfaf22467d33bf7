"""The `faceapp` command: no arguments starts the GUI; subcommands drive the Qt-free core."""

from __future__ import annotations

import argparse
import os
import sys

from faceapp import __version__, paths
from faceapp.files import PathError, PathProblem, printable
from faceapp.storage.gallery import GalleryError
from faceapp.vision.imageio import ImageError


class CommandParser(argparse.ArgumentParser):
    """A subcommand's parser that takes options anywhere among its positionals
    (`enroll NAME --employee-no X a.jpg b.jpg`), which plain argparse refuses after a name."""

    _intermixed = False

    def parse_known_args(self, args=None, namespace=None):
        # parse_known_intermixed_args calls back in here (plain parsing then), and cannot handle a
        # command with its own subcommands (`eval lfw`)
        if self._intermixed or any(isinstance(a, argparse._SubParsersAction) for a in self._actions):
            return super().parse_known_args(args, namespace)
        self._intermixed = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixed = False


def build_parser() -> argparse.ArgumentParser:
    from faceapp.cli import bench, door, evals, export, hr, live, people, recognize, settings
    from trainer.finetune import (
        cli as train_cli,  # imports no torch: `train` explains how to get it
    )

    parser = argparse.ArgumentParser(prog="faceapp", description="Face recognition for attendance and door access.")
    parser.add_argument("--data-dir", help="folder for the database and logs (default: the user data folder; env FACEAPP_DATA_DIR)")
    parser.add_argument(
        "--database",
        help="gallery database: sqlite:///path or postgresql://user@host/db?sslmode=verify-full for several doors "
        "sharing one server (default: the data folder's faceapp.db, or the server set in it; env FACEAPP_DATABASE)",
    )
    parser.add_argument("--door", help="this installation's door name, carried by its events and attendance "
                        "(default: the one set with `faceapp door`; env FACEAPP_DOOR)")
    parser.add_argument("--self-test", action="store_true", help="load every model, run the pipeline and check the database, then exit")
    parser.add_argument("--version", action="version", version=f"faceapp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)
    gui = sub.add_parser("gui", help="start the desktop app (the default)")
    gui.add_argument("--source", help="camera index, video file or stream URL for the live view (default: the one in Settings)")
    gui.add_argument("--fullscreen", action="store_true", help="start in full-screen kiosk mode")
    for group in (people, recognize, live, export, hr, bench, settings, door):
        group.add_commands(sub)
    p = sub.add_parser("train", help=train_cli.HELP)
    train_cli.add_arguments(p)
    p.set_defaults(func=train_cli.cmd_train)
    evals.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.data_dir is not None:
            # checked (and created) here: a file, a device or an unwritable place is one clear line
            args.data_dir = str(paths.data_dir(args.data_dir)) if args.data_dir else ""
            if not args.data_dir:
                raise PathError(PathProblem.EMPTY_NAME, "", "--data-dir is empty")
            os.environ["FACEAPP_DATA_DIR"] = args.data_dir
        if args.database:
            os.environ["FACEAPP_DATABASE"] = args.database
        if args.door:
            os.environ["FACEAPP_DOOR"] = args.door
        if args.self_test:
            from faceapp.eval.selftest import run_self_test

            return run_self_test(args.data_dir)
        if args.command in (None, "gui"):
            from faceapp.ui.app import run_gui

            return run_gui(args)
        return args.func(args)
    except (ImageError, GalleryError, ValueError, OSError) as exc:
        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
