"""`faceapp enroll` and `faceapp people`: adding people and managing the list."""

from __future__ import annotations

import sys

from faceapp.cli import output
from faceapp.cli.output import find_person, json_command, show
from faceapp.cli.progress import progress_bar
from faceapp.files import printable, shown
from faceapp.recognition.names import clean_name
from faceapp.storage.gallery import Gallery


def _source_frames(spec: str, count: int, every_s: float, start_s: float):
    """`count` frames from a camera or video, `every_s` apart (media time for files), from `start_s`."""
    from faceapp.live.sources import open_source

    taken, next_t, first = [], None, None
    with open_source(spec) as source:
        for frame in source.frames(stop=lambda: len(taken) >= count):
            first = frame.timestamp if first is None else first
            t = frame.timestamp - first if source.live else frame.timestamp
            if t < start_s or (next_t is not None and t < next_t):
                continue
            taken.append((f"{source.description}@{t:.2f}s", frame.image))
            next_t = t + every_s
        if not taken:
            raise ValueError(source.message or f"no frames from {spec}")
    return taken


def cmd_enroll(args) -> int:
    from faceapp.recognition.enroll import Enroller

    if not args.add:  # checked before the models load: a bad name is refused at once
        clean = clean_name(args.name)
        if clean.warnings:
            print(f"warning: {printable(clean.detail)}", file=sys.stderr)
        args.name = clean.value
    with Gallery.open() as gallery:
        person_id = find_person(gallery, args.name).id if args.add else None
        enroller = Enroller(output.engine(), gallery)
        images: list = list(args.images)
        if args.source is not None:
            images += _source_frames(args.source, args.frames, args.every, args.start)

        with progress_bar("enrolling", "photo") as job:
            report = enroller.enroll(
                None if args.add else args.name, images, person_id=person_id, employee_no=args.employee_no,
                department=args.department or "", allow_largest=args.source is not None or args.largest,
                masked_variants=not args.no_masked_variants, job=job,
            )

    def table(r):
        for a in r["accepted"]:
            notes = "".join(f"; {n['text']}" for n in a["notes"])
            print(f"accepted  {shown(a['source'])}  (+{a['variants']} masked variants{notes})")
        for x in r["rejected"]:
            print(f"rejected  {shown(x['source'])}: {x['reason']}")  # the English of x['reasons'] (code + params)
        for d in r["duplicates"]:
            print(f"warning   {shown(d['source'])} already matches {printable(d['name'])} (id {d['person_id']}, similarity {d['score']:.2f})")
        if r["saved"]:
            print(f"enrolled {printable(r['person']['name'])} (id {r['person']['id']}) with {len(r['accepted'])} photo(s)")
        else:
            print(f"nothing saved: {r['error']['text'] if r['error'] else 'cancelled'}")

    show(report.to_json(), args.json, table)
    return 0 if report.saved else 1


def cmd_people(args) -> int:
    with Gallery.open() as gallery:
        if args.remove:
            person = find_person(gallery, args.remove)
            gallery.remove_person(person.id)
            print(f"removed {printable(person.name)} (id {person.id})", file=sys.stderr)
        if args.activate or args.deactivate:
            person = find_person(gallery, args.activate or args.deactivate)
            gallery.set_active(person.id, bool(args.activate))
        rows = [
            {"id": p.id, "name": p.name, "employee_no": p.employee_no, "department": p.department,
             "active": p.active, "samples": p.sample_count, "created": p.created}
            for p in gallery.list_people()
        ]

    def table(rows):
        if not rows:
            print("nobody is enrolled")
        for r in rows:
            flag = "" if r["active"] else "  (inactive)"
            print(f"{r['id']:>5}  {printable(r['name']):<24} {printable(r['employee_no'] or ''):<10} {printable(r['department']):<14} "
                  f"{r['samples']:>3} samples{flag}")

    show(rows, args.json, table)
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("enroll", help="enroll a person from photos, folders or camera/video frames")
    p.add_argument("name", metavar="NAME", help="the new person's name (with --add: an enrolled name or id)")
    p.add_argument("images", nargs="*", metavar="IMAGE_OR_FOLDER")
    p.add_argument("--source", help="also take frames from a camera index, video file or stream URL")
    p.add_argument("--frames", type=int, default=5, help="frames to take from --source (default 5)")
    p.add_argument("--every", type=float, default=0.5, metavar="SECONDS", help="time between frames taken from --source")
    p.add_argument("--start", type=float, default=0.0, metavar="SECONDS", help="skip this much of --source first")
    p.add_argument("--add", action="store_true", help="add the photos to an enrolled person")
    p.add_argument("--employee-no")
    p.add_argument("--department")
    p.add_argument("--largest", action="store_true", help="use the largest face of photos with several faces")
    p.add_argument("--no-masked-variants", action="store_true", help="store no synthetic masked templates")
    json_command(p, cmd_enroll)

    p = sub.add_parser("people", help="list enrolled people (and remove or (de)activate one)")
    p.add_argument("--remove", metavar="NAME_OR_ID")
    p.add_argument("--activate", metavar="NAME_OR_ID")
    p.add_argument("--deactivate", metavar="NAME_OR_ID")
    json_command(p, cmd_people)
