"""`faceapp settings`: show the runtime settings, or change some, checked as the Settings page checks them."""

from __future__ import annotations

import json
import sys

from faceapp import settings
from faceapp.cli.output import json_command, show
from faceapp.config import SETTING_DEFAULTS
from faceapp.reasons import ReasonError
from faceapp.storage.gallery import Gallery


# The admin PIN is set in the app, which hashes it; a terminal would only show or take the hash.
PRIVATE = "admin.pin_hash"
KEYS = [key for key in settings.SPECS if key != PRIVATE]


def _assignment(text: str) -> tuple[str, object]:
    """KEY=VALUE; VALUE is read as JSON where it is JSON (0.5, true, null, {...}), else as text."""
    key, sep, value = text.partition("=")
    if not sep or key.strip() == PRIVATE:
        raise ValueError(f"{text!r}: write KEY=VALUE (keys: {', '.join(KEYS)})")
    try:
        return key.strip(), json.loads(value)
    except ValueError:
        return key.strip(), value


def cmd_settings(args) -> int:
    changes = dict(map(_assignment, args.assignments))
    with Gallery.open() as gallery:
        try:
            settings.save(gallery, changes)  # all or nothing
            current = settings.Settings.load(gallery).values()
        except ReasonError as exc:
            if args.json:
                print(json.dumps({"error": exc.reason.to_json()}, ensure_ascii=False, indent=2))
            else:
                print(f"error: {exc}", file=sys.stderr)
            return 2
    rows = [{"key": key, "value": current[key], "default": SETTING_DEFAULTS[key]} for key in KEYS]

    def table(rows):
        for r in rows:
            mark = "" if r["value"] == r["default"] else "   (default " + json.dumps(r["default"], ensure_ascii=False) + ")"
            print(f"{r['key']:<26} {json.dumps(r['value'], ensure_ascii=False)}{mark}")

    show(rows, args.json, table)
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("settings", help="show the runtime settings, or set some: faceapp settings KEY=VALUE ...")
    p.add_argument("assignments", nargs="*", metavar="KEY=VALUE",
                   help="values as JSON where they are JSON (0.5, true, null, {...}); saved together or not at all")
    json_command(p, cmd_settings)
