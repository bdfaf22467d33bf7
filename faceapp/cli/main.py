"""The `faceapp` command: no arguments starts the GUI; subcommands drive the Qt-free core."""

from __future__ import annotations

import argparse
import os
import sys

from faceapp import __version__
from faceapp.storage.gallery import GalleryError
from faceapp.vision.imageio import ImageError


def build_parser() -> argparse.ArgumentParser:
    from faceapp.cli import bench, evals, export, live, people, recognize, settings
    from trainer.finetune import (
        cli as train_cli,  # imports no torch: `train` explains how to get it
    )

    parser = argparse.ArgumentParser(prog="faceapp", description="Face recognition for attendance and door access.")
    parser.add_argument("--data-dir", help="folder for the database and logs (default: the user data folder; env FACEAPP_DATA_DIR)")
    parser.add_argument("--self-test", action="store_true", help="load every model, run the pipeline and check the database, then exit")
    parser.add_argument("--version", action="version", version=f"faceapp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    gui = sub.add_parser("gui", help="start the desktop app (the default)")
    gui.add_argument("--source", help="camera index, video file or stream URL for the live view (default: the one in Settings)")
    gui.add_argument("--fullscreen", action="store_true", help="start in full-screen kiosk mode")
    for group in (people, recognize, live, export, bench, settings):
        group.add_commands(sub)
    p = sub.add_parser("train", help=train_cli.HELP)
    train_cli.add_arguments(p)
    p.set_defaults(func=train_cli.cmd_train)
    evals.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.data_dir:
        os.environ["FACEAPP_DATA_DIR"] = args.data_dir
    if args.self_test:
        from faceapp.eval.selftest import run_self_test

        return run_self_test(args.data_dir)
    if args.command in (None, "gui"):
        from faceapp.ui.app import run_gui

        return run_gui(args)
    try:
        return args.func(args)
    except (ImageError, GalleryError, ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
