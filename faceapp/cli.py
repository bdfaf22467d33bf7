"""The `faceapp` command: no arguments starts the GUI; subcommands drive the Qt-free core."""

from __future__ import annotations

import argparse
import json
import os
import sys

from faceapp import __version__
from faceapp.imageio import ImageError


def _print(obj, as_json: bool, table) -> None:
    """One place for `--json` vs human output: JSON is one document, the table is for people."""
    if as_json:
        print(json.dumps(obj, ensure_ascii=False, indent=2))
    else:
        table(obj)


def _engine(args, **kw):
    from faceapp.engine import Engine

    return Engine(**kw)


def cmd_detect(args) -> int:
    from faceapp.imageio import load_image

    engine = _engine(args, with_mask=False)
    results, failed = [], 0
    for path in args.images:
        try:
            image = load_image(path)
        except ImageError as exc:
            results.append({"image": path, "error": str(exc)})
            failed += 1
            continue
        faces = [
            {"box": [round(float(v), 1) for v in d.box], "score": round(d.score, 4),
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
                print(f"  #{i}  box={f['box']}  score={f['score']:.3f}")

    _print(results, args.json, table)
    return 1 if failed else 0


def cmd_compare(args) -> int:
    from faceapp.config import THRESHOLDS
    from faceapp.imageio import load_image

    engine = _engine(args)
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
    similarity = float(a.embedding @ b.embedding)
    masked = bool(a.masked or b.masked)
    threshold = THRESHOLDS.match_masked if masked else THRESHOLDS.match_unmasked
    result = {"image_a": args.image_a, "image_b": args.image_b, "similarity": round(similarity, 4),
              "threshold": threshold, "masked": masked, "same_person": similarity >= threshold}
    _print(result, args.json, lambda r: print(
        f"similarity {r['similarity']:.3f} (threshold {r['threshold']:.2f}{', masked' if masked else ''}): "
        f"{'same person' if r['same_person'] else 'different people'}"))
    return 0


def cmd_bench(args) -> int:
    from faceapp import bench

    result: dict = {}
    if args.gallery:
        from faceapp.search import bench_gallery

        result["gallery"] = bench_gallery(args.gallery)
    if args.startup:
        from faceapp.ui.startup_bench import bench_startup

        result["startup"] = bench_startup()
    if not (args.gallery or args.startup) or args.source:
        source = args.source or bench.DEFAULT_VIDEO
        frames = bench.read_frames(source, args.frames)
        result["pipeline"] = bench.bench_pipeline(_engine(args), frames)
        result["pipeline"]["source"] = str(source)
        if not args.no_reference:
            result["reference_mtcnn_torch"] = bench.bench_reference_mtcnn(frames)

    def table(r):
        p = r.get("pipeline")
        if p:
            print(f"pipeline on {p['source']} ({p['frames']} frames {p['size']}, {p['faces_per_frame']} face/frame)")
            for stage, ms in p["median_ms"].items():
                print(f"  {stage:8s} {ms:7.2f} ms")
            print(f"  {'total':8s} {p['median_total_ms']:7.2f} ms   -> {p['fps']} FPS end to end")
        ref = r.get("reference_mtcnn_torch")
        if ref:
            print(f"facenet-pytorch MTCNN (torch): {ref}")
        for key in ("gallery", "startup"):
            if key in r:
                print(f"{key}: {json.dumps(r[key])}")

    _print(result, args.json, table)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="faceapp", description="Face recognition for attendance and door access.")
    parser.add_argument("--data-dir", help="folder for the database and logs (default: the user data folder; env FACEAPP_DATA_DIR)")
    parser.add_argument("--self-test", action="store_true", help="load every model, run the pipeline and check the database, then exit")
    parser.add_argument("--version", action="version", version=f"faceapp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("gui", help="start the desktop app (the default)")

    p = sub.add_parser("detect", help="find faces in images")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_detect)

    p = sub.add_parser("compare", help="are two photos the same person?")
    p.add_argument("image_a", metavar="IMAGE_A")
    p.add_argument("image_b", metavar="IMAGE_B")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("bench", help="measure pipeline speed (and gallery search / start-up)")
    p.add_argument("--source", help="video file standing in for the camera (default: the shared talking clip)")
    p.add_argument("--frames", type=int, default=100)
    p.add_argument("--gallery", type=int, metavar="N", help="time 1:N search over N synthetic identities")
    p.add_argument("--startup", action="store_true", help="time until the main window shows")
    p.add_argument("--no-reference", action="store_true", help="skip timing facenet-pytorch's torch MTCNN")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.data_dir:
        os.environ["FACEAPP_DATA_DIR"] = args.data_dir
    if args.self_test:
        from faceapp.selftest import run_self_test

        return run_self_test(args.data_dir)
    if args.command in (None, "gui"):
        from faceapp.ui.app import run_gui

        return run_gui(args)
    try:
        return args.func(args)
    except (ImageError, ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
