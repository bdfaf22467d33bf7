"""`faceapp bench`: speed figures."""

from __future__ import annotations

import json

from faceapp.cli import output
from faceapp.cli.output import show


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
        engine = output.engine()
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

    show(result, args.json, table)
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("bench", help="measure pipeline speed (and gallery search / start-up)")
    p.add_argument("--source", help="video file standing in for the camera (default: the shared talking clip)")
    p.add_argument("--frames", type=int, default=100)
    p.add_argument("--gallery", type=int, metavar="N", help="time 1:N search over N synthetic identities")
    p.add_argument("--startup", action="store_true", help="time until the main window shows")
    p.add_argument("--no-reference", action="store_true", help="skip timing facenet-pytorch's torch MTCNN")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bench)
