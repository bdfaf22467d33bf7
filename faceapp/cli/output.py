"""What every command shares: the engine, JSON or table output, finding a person by name or id."""

from __future__ import annotations

import json

from faceapp.storage.gallery import Gallery, GalleryError


def engine():
    from faceapp.vision.engine import Engine

    return Engine()


def emit(obj: dict) -> None:
    """One JSON object per line (the `run` stream)."""
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def show(obj, as_json: bool, table) -> None:
    if as_json:
        print(json.dumps(obj, ensure_ascii=False, indent=2))
    else:
        table(obj)


def json_command(parser, func) -> None:
    """End a command whose result goes through `show`: its --json switch (the last option, so that
    --help lists it last) and the function that runs it."""
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=func)


def find_person(gallery: Gallery, who: str):
    """A person by id or name."""
    person = gallery.find_person(who)
    if person is None and who.isdigit():
        try:
            person = gallery.get_person(int(who))
        except GalleryError:
            person = None
    if person is None:
        raise ValueError(f"nobody named {who!r} is enrolled")
    return person

