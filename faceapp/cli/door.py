"""`faceapp door`: this installation's door name and the server it shares with other doors, kept in
the data folder's own SQLite file (not on the server: every door has its own)."""

from __future__ import annotations

from faceapp import paths
from faceapp.storage.database import is_server_url, redact
from faceapp.storage.gallery import Gallery, GalleryError


def cmd_door(args) -> int:
    local = paths.database_path()
    if args.server is not None and not is_server_url(args.server):
        raise GalleryError("--server takes a postgresql://user@host/database URL")
    if args.server is not None:
        with Gallery(args.server) as server:  # refuse a server that cannot be reached or migrated
            server.schema_version()
    with Gallery(local) as own:
        if args.name is not None:
            own.set_setting("door.name", " ".join(args.name.split()))
        if args.server is not None:
            own.set_setting("storage.database", args.server)
        if args.standalone:
            own.set_setting("storage.database", None)
        name = own.setting("door.name", default="")
        server = own.setting("storage.database", default=None)
    print(f"door: {name or '(unnamed)'}")
    print(f"database: {redact(server) if server else local}")
    if server:
        with Gallery.open() as gallery:  # a door on the server: its link, and what waits to be sent
            print(f"status: {gallery.door_status().reason.text()}")
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("door", help="show or set this installation's door name and shared server")
    p.add_argument("--name", help="the door's name, carried by its events and attendance records")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--server", metavar="URL", help="share people and attendance through this PostgreSQL server "
                       "(postgresql://user@host/db?sslmode=verify-full; the password is never printed)")
    group.add_argument("--standalone", action="store_true", help="use the data folder's own file again")
    p.set_defaults(func=cmd_door)
