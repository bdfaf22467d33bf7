"""The `faceapp` subcommands: enroll, people, identify, run, detect, compare, export, bench, eval.

Each takes the parsed argparse namespace and returns an exit code; --json gives machine output
(`run` always writes one JSON object per line). The gallery lives in the data folder (--data-dir).
"""

from __future__ import annotations

import json
import signal
import sys
import time
from contextlib import contextmanager

from faceapp.storage.gallery import Gallery, GalleryError
from faceapp.vision.imageio import ImageError, load_image


def _engine():
    from faceapp.vision.engine import Engine

    return Engine()


def _emit(obj: dict) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def _show(obj, as_json: bool, table) -> None:
    if as_json:
        print(json.dumps(obj, ensure_ascii=False, indent=2))
    else:
        table(obj)


def _find(gallery: Gallery, who: str):
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


# --- enroll ---------------------------------------------------------------------------------------


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

    with Gallery.open() as gallery:
        person_id = _find(gallery, args.name).id if args.add else None
        enroller = Enroller(_engine(), gallery)
        images: list = list(args.images)
        if args.source is not None:
            images += _source_frames(args.source, args.frames, args.every, args.start)

        def progress(done, total, what):
            if not args.json:
                print(f"[{done}/{total}] {what}", file=sys.stderr)

        report = enroller.enroll(
            None if args.add else args.name, images, person_id=person_id, employee_no=args.employee_no,
            department=args.department or "", allow_largest=args.source is not None or args.largest,
            masked_variants=not args.no_masked_variants, progress=progress,
        )

    def table(r):
        for a in r["accepted"]:
            print(f"accepted  {a['source']}  (+{a['variants']} masked variants)")
        for x in r["rejected"]:
            print(f"rejected  {x['source']}: {x['reason']}")
        for d in r["duplicates"]:
            print(f"warning   {d['source']} already matches {d['name']} (id {d['person_id']}, similarity {d['score']:.2f})")
        if r["saved"]:
            print(f"enrolled {r['person']['name']} (id {r['person']['id']}) with {len(r['accepted'])} photo(s)")
        else:
            print(f"nothing saved: {r['error'] or 'cancelled'}")

    _show(report.to_json(), args.json, table)
    return 0 if report.saved else 1


# --- people ---------------------------------------------------------------------------------------


def cmd_people(args) -> int:
    with Gallery.open() as gallery:
        if args.remove:
            person = _find(gallery, args.remove)
            gallery.remove_person(person.id)
            print(f"removed {person.name} (id {person.id})", file=sys.stderr)
        if args.activate or args.deactivate:
            person = _find(gallery, args.activate or args.deactivate)
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
            print(f"{r['id']:>5}  {r['name']:<24} {r['employee_no'] or '':<10} {r['department']:<14} "
                  f"{r['samples']:>3} samples{flag}")

    _show(rows, args.json, table)
    return 0


# --- identify -------------------------------------------------------------------------------------


def cmd_identify(args) -> int:
    from faceapp.recognition.recognizer import Recognizer, embedder_version

    engine = _engine()
    results, failed = [], 0
    with Gallery.open() as gallery:
        recognizer = Recognizer(gallery, embedder_version(gallery, engine.embedder))
        for path in args.images:
            try:
                faces = engine.analyze(load_image(path), eyes=False)
            except ImageError as exc:
                results.append({"image": path, "error": str(exc)})
                failed += 1
                continue
            found = []
            for face, match in zip(faces, recognizer.identify_many(faces) if faces else []):
                found.append({
                    "box": [round(float(v), 1) for v in face.box],
                    "person_id": match.person_id, "name": match.name, "score": round(match.score, 4),
                    "margin": round(match.margin, 4), "threshold": match.threshold, "masked": match.masked,
                })
            results.append({"image": path, "faces": found})

    def table(rows):
        for r in rows:
            if "error" in r:
                print(f"{r['image']}: error: {r['error']}")
                continue
            if not r["faces"]:
                print(f"{r['image']}: no face")
            for f in r["faces"]:
                who = f["name"] or "unknown"
                print(f"{r['image']}: {who}  score {f['score']:.3f} (threshold {f['threshold']:.2f}"
                      f"{', masked' if f['masked'] else ''}, margin {f['margin']:.3f})  box {f['box']}")

    _show(results, args.json, table)
    return 1 if failed else 0


# --- run ------------------------------------------------------------------------------------------


@contextmanager
def _stop_on_signals(stop: list[bool]):
    """Ctrl+C / SIGTERM end the run after the current frame, so the summary is still written."""
    def handler(signum, frame):
        stop[0] = True

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def cmd_run(args) -> int:
    from faceapp.live.pipeline import LivePipeline
    from faceapp.live.sources import SourceStatus, open_source

    engine = _engine()
    stop = [False]
    frames = 0
    events = 0
    with Gallery.open() as gallery, open_source(args.source) as source, _stop_on_signals(stop):
        pipeline = LivePipeline(engine, gallery, require_liveness=not args.no_liveness, log_events=not args.dry_run)
        status = source.status
        started = time.perf_counter()
        busy = 0.0
        while not stop[0] and (args.max_frames is None or frames < args.max_frames):
            frame = source.read()
            if source.status != status:
                status = source.status
                _emit({"type": "status", "status": status.value, "message": source.message})
                if status == SourceStatus.OK:
                    pipeline.reset()  # a reconnected camera: old tracks are stale
            if frame is None:
                if status in (SourceStatus.ENDED, SourceStatus.FAILED, SourceStatus.CLOSED):
                    break
                continue
            result = pipeline.process(frame.image, frame.timestamp)
            busy += result.timings_ms.get("total", 0.0)
            frames += 1
            for event in result.events:
                _emit({"type": "event", "frame": result.index, **event})
                events += 1
        elapsed = time.perf_counter() - started
        _emit({
            "type": "summary", "source": source.description, "status": source.status.value,
            "message": source.message, "frames": frames, "events": events,
            "seconds": round(elapsed, 2),
            "pipeline_fps": round(1000.0 * frames / busy, 1) if busy else None,
        })
        failed = source.status == SourceStatus.FAILED
    return 1 if failed else 0


# --- eval-blink -----------------------------------------------------------------------------------


def cmd_eval_blink(args) -> int:
    from faceapp.eval.blink import analyze_blinks, still_photo_clip, video_frames

    engine = _engine()
    frames = still_photo_clip(load_image(args.video), frames=args.still_frames) if args.still else video_frames(args.video)
    report = analyze_blinks(frames, engine)
    out = {
        "video": args.video,
        "still_photo_clip": bool(args.still),
        "frames": report.frames,
        "frames_with_face": report.frames_with_face,
        "blinks": len(report.blinks),
        "blink_times_s": [round(t, 3) for t in report.times],
        "blink_frames": [report.frame_of(t) for t in report.times],
        "durations_ms": [round(1000 * b.duration) for b in report.blinks],
    }

    def table(r):
        print(f"{r['video']}: {r['blinks']} blink(s) in {r['frames']} frames ({r['frames_with_face']} with a face)")
        for t, f, d in zip(r["blink_times_s"], r["blink_frames"], r["durations_ms"]):
            print(f"  blink at {t:7.3f} s  (frame {f}, {d} ms)")

    _show(out, args.json, table)
    return 0


def cmd_detect(args) -> int:
    engine = _engine()
    results, failed = [], 0
    for path in args.images:
        try:
            image = load_image(path)
        except ImageError as exc:
            results.append({"image": path, "error": str(exc)})
            failed += 1
            continue
        faces = [
            {"box": [round(float(v), 1) for v in d.box], "score": round(d.score, 4), "detector": d.source,
             "landmarks": [[round(float(x), 1), round(float(y), 1)] for x, y in d.landmarks]}
            for d in engine.detect(image)
        ]
        results.append({"image": path, "width": image.shape[1], "height": image.shape[0], "faces": faces})

    def table(rows):
        for r in rows:
            if "error" in r:
                print(f"{r['image']}: error: {r['error']}")
                continue
            print(f"{r['image']}: {len(r['faces'])} face(s)")
            for i, f in enumerate(r["faces"]):
                print(f"  #{i}  box={f['box']}  score={f['score']:.3f}  ({f['detector']})")

    _show(results, args.json, table)
    return 1 if failed else 0


def cmd_compare(args) -> int:
    from faceapp.config import THRESHOLDS
    from faceapp.vision.mask_adapter import for_weights

    engine = _engine()
    faces = []
    for path in (args.image_a, args.image_b):
        try:
            found = engine.analyze(load_image(path), eyes=False)
        except ImageError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if not found:
            print(f"error: {path}: no face found", file=sys.stderr)
            return 2
        faces.append(max(found, key=lambda f: f.detection.size))  # the main subject
    a, b = faces
    # A masked face is compared through the mask adapter, as the gallery search compares it.
    adapter = for_weights(engine.embedder.path)

    def vector(face):
        return adapter.apply(face.embedding) if adapter is not None and face.masked else face.embedding

    similarity = float(vector(a) @ vector(b))
    masked = bool(a.masked or b.masked)
    threshold = THRESHOLDS.match_masked if masked else THRESHOLDS.match_unmasked
    result = {"image_a": args.image_a, "image_b": args.image_b, "similarity": round(similarity, 4),
              "threshold": threshold, "masked": masked, "same_person": similarity >= threshold}
    _show(result, args.json, lambda r: print(
        f"similarity {r['similarity']:.3f} (threshold {r['threshold']:.2f}{', masked' if masked else ''}): "
        f"{'same person' if r['same_person'] else 'different people'}"))
    return 0


def cmd_bench(args) -> int:
    from faceapp.eval import bench
    result: dict = {}
    if args.gallery:
        from faceapp.recognition.search import bench_gallery

        result["gallery"] = bench_gallery(args.gallery)
    if args.startup:
        from faceapp.ui.startup_bench import bench_startup

        result["startup"] = bench_startup()
    if not (args.gallery or args.startup) or args.source:
        source = args.source or bench.DEFAULT_VIDEO
        frames = bench.read_frames(source, args.frames)
        engine = _engine()
        result["pipeline"] = bench.bench_pipeline(engine, frames)
        result["pipeline"]["source"] = str(source)
        result["live"] = bench.bench_live(engine, frames)
        if not args.no_reference:
            result["reference_mtcnn_torch"] = bench.bench_reference_mtcnn(frames)

    def table(r):
        p = r.get("pipeline")
        if p:
            print(f"pipeline on {p['source']} ({p['frames']} frames {p['size']}, {p['faces_per_frame']} face/frame)")
            for stage, ms in p["median_ms"].items():
                print(f"  {stage:8s} {ms:7.2f} ms")
            print(f"  {'total':8s} {p['median_total_ms']:7.2f} ms   -> {p['fps']} FPS, every stage on every frame")
        lv = r.get("live")
        if lv:
            print(f"live pipeline (tracking, ROI detection, embed until settled): {lv['median_ms']} ms median, "
                  f"{lv['p90_ms']} ms p90 -> {lv['fps']} FPS end to end")
        ref = r.get("reference_mtcnn_torch")
        if ref:
            print(f"facenet-pytorch MTCNN (torch): {ref}")
        for key in ("gallery", "startup"):
            if key in r:
                print(f"{key}: {json.dumps(r[key])}")

    _show(result, args.json, table)
    return 0


# --- export and evaluations -----------------------------------------------------------------------


def cmd_export(args) -> int:
    from faceapp.attendance import Attendance

    with Gallery.open() as gallery:
        rows = Attendance(gallery).export_csv(args.out, args.date_from, args.date_to)
    print(f"wrote {rows} attendance record(s) to {args.out}")
    return 0


def cmd_eval_lfw(args) -> int:
    from faceapp.eval.verification import eval_lfw

    def progress(done, total):
        if not args.json and (done % 500 == 0 or done == total):
            print(f"  {done}/{total} images", file=sys.stderr, flush=True)

    result = eval_lfw(_engine(), args.folder, masked=not args.no_masked, limit=args.limit, progress=progress)

    def table(r):
        print(f"LFW {r['pairs']} pairs, {r['images']} images ({r['no_face']} without a face), {r['seconds']} s")
        for key in ("unmasked", "masked_plain", "masked_with_templates", "masked_with_adapter"):
            if key in r:
                m = r[key]
                print(f"  {key:22s} accuracy {m['accuracy_mean']:.2f}% ± {m['accuracy_std']:.2f}  AUC {m['auc']:.4f}  "
                      f"TAR@FAR1% {m['tar_at_far_1%']:.4f}  TAR@FAR0.1% {m['tar_at_far_0.1%']:.4f}")

    _show(result, args.json, table)
    return 0


def cmd_eval_verify(args) -> int:
    from faceapp.eval.verification import eval_verify

    result = eval_verify(_engine(), args.folder)

    def table(r):
        print(f"{r['photos']} photos of {r['people']} people (leave one out; no face: {r['no_face'] or 'none'}; "
              f"mask adapter {'on' if r['mask_adapter'] else 'off'})")
        for key in ("unmasked", "masked"):
            m = r[key]
            print(f"  {key:9s} probes {m['probes']}  AUC {m['auc']:.4f}  TAR@FAR1% {m['tar_at_far_1%']:.4f}  rank-1 {m['rank1']:.4f}")

    _show(result, args.json, table)
    return 0


def cmd_eval_masks(args) -> int:
    from faceapp.eval.verification import eval_mask_detection

    result = eval_mask_detection(_engine(), args.masked, args.unmasked, limit=args.limit)
    _show(result, args.json, lambda r: print(json.dumps(r, indent=2)))
    return 0


def cmd_eval_detection(args) -> int:
    from faceapp.eval.detection import CLOSE_UP_SHARE, eval_detection

    result = eval_detection(args.masked, args.unmasked, limit=args.limit, faces_csv=args.faces, sheet=args.sheet)

    def table(r):
        t = r["settings"]
        app = (f"app: {'/'.join(f'{v:g}' for v in t['thresholds'])}, second pass {t['second_pass']} "
               f"(BlazeFace >= {t['blazeface_threshold']:g})")
        rows = (("baseline: MTCNN 0.6/0.7/0.7", r["baseline"]), (app, r["app"]))
        print(f"Masked photos: main face found (close-up: face side >= {CLOSE_UP_SHARE:.0%} of the photo's short side)")
        for name, m in ((n, x["masked"]) for n, x in rows):
            c, a = m["close_up"], m["all"]
            print(f"  {name:58s} close-ups {c['found']}/{c['photos']} ({c['rate']:.1%})  all {a['main_face_found']}/"
                  f"{a['annotated']} ({a['rate']:.1%})  photos with a detection {a['with_detection']}/{a['photos']}"
                  f"  {m['ms_per_photo']} ms/photo")
        print(f"  close-ups missed by the app: {', '.join(r['app']['masked']['close_up']['missed']) or 'none'}")
        print("Unmasked photos: detections other than the main face")
        for name, u in ((n, x["unmasked"]) for n, x in rows):
            print(f"  {name:58s} {u['extra_detections']} extra on {u['photos_with_extra']} of {u['photos']} photos, "
                  f"{u['no_face']} without a face  {u['ms_per_photo']} ms/photo")
        added = r["app"]["unmasked"]["extra_not_in_baseline"]
        print(f"  extras the baseline does not have ({len(added)}; judge by eye, background faces are real):")
        for e in added:
            print(f"    {e['photo']}  box {e['box']}  score {e['score']}  {e['source']}")
        if "sheet" in r:
            print(f"  contact sheet: {r['sheet']}")

    _show(result, args.json, table)
    return 0


# --- argparse wiring --------------------------------------------------------------------------------


def add_commands(sub) -> None:
    """Add these subcommands to the `faceapp` parser's subparsers (cli.build_parser)."""
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
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_enroll)

    p = sub.add_parser("people", help="list enrolled people (and remove or (de)activate one)")
    p.add_argument("--remove", metavar="NAME_OR_ID")
    p.add_argument("--activate", metavar="NAME_OR_ID")
    p.add_argument("--deactivate", metavar="NAME_OR_ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_people)

    p = sub.add_parser("identify", help="name the faces in photos (no liveness check)")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_identify)

    p = sub.add_parser("run", help="run the live pipeline without the GUI; one JSON object per line")
    p.add_argument("--source", required=True, help="camera index, video file or stream URL")
    p.add_argument("--max-frames", type=int)
    p.add_argument("--no-liveness", action="store_true", help="do not wait for a blink")
    p.add_argument("--dry-run", action="store_true", help="log no events and no attendance")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("detect", help="find faces in images")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_detect)

    p = sub.add_parser("compare", help="are two photos the same person?")
    p.add_argument("image_a", metavar="IMAGE_A")
    p.add_argument("image_b", metavar="IMAGE_B")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("export", help="write attendance records as CSV (opens in Excel, UTF-8 with BOM)")
    p.add_argument("out", metavar="OUT.csv")
    p.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("bench", help="measure pipeline speed (and gallery search / start-up)")
    p.add_argument("--source", help="video file standing in for the camera (default: the shared talking clip)")
    p.add_argument("--frames", type=int, default=100)
    p.add_argument("--gallery", type=int, metavar="N", help="time 1:N search over N synthetic identities")
    p.add_argument("--startup", action="store_true", help="time until the main window shows")
    p.add_argument("--no-reference", action="store_true", help="skip timing facenet-pytorch's torch MTCNN")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bench)

    from trainer.finetune import cli as train_cli  # imports no torch: `train` explains how to get it

    p = sub.add_parser("train", help=train_cli.HELP)
    train_cli.add_arguments(p)
    p.set_defaults(func=train_cli.cmd_train)

    ev = sub.add_parser("eval", help="accuracy evaluations").add_subparsers(dest="evaluation", metavar="EVALUATION", required=True)
    p = ev.add_parser("blink", help="blink times of the main face in a video")
    p.add_argument("video", metavar="VIDEO")
    p.add_argument("--still", action="store_true", help="VIDEO is a photo: make a shaky, noisy clip of it (must find 0)")
    p.add_argument("--still-frames", type=int, default=75)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval_blink)

    p = ev.add_parser("lfw", help="LFW 10-fold verification, unmasked and with the second image masked")
    p.add_argument("folder", metavar="LFW_DIR", help="folder with pairs_resolved.csv and images/")
    p.add_argument("--no-masked", action="store_true")
    p.add_argument("--limit", type=int, help="use about this many pairs (a quick look; not the protocol)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval_lfw)

    p = ev.add_parser("verify", help="leave-one-out verification on a labelled folder (faces-sample)")
    p.add_argument("folder", metavar="DIR")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval_verify)

    p = ev.add_parser("masks", help="mask detection: share called masked on masked and on unmasked photos")
    p.add_argument("masked", metavar="MASKED_DIR", help="folder of photos of masked people (e.g. masked-real)")
    p.add_argument("unmasked", metavar="UNMASKED_DIR", help="folder of photos without masks (e.g. lfw/images)")
    p.add_argument("--limit", type=int, default=1000, help="at most this many unmasked photos")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval_masks)

    p = ev.add_parser("detection", help="masked-face recall and false detections, app settings vs plain MTCNN")
    p.add_argument("masked", metavar="MASKED_DIR", help="../shared/data/masked-real")
    p.add_argument("unmasked", nargs="*", metavar="UNMASKED_DIR",
                   help="folders of unmasked photos (faces-sample, lfw/images)")
    p.add_argument("--limit", type=int, default=1000,
                   help="at most this many photos per unmasked folder, evenly spread")
    p.add_argument("--faces", help="annotated main faces of MASKED_DIR (default: tests/fixtures/masked_real_faces.csv)")
    p.add_argument("--sheet", metavar="PNG", help="draw the extras the baseline does not have on a contact sheet")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval_detection)
