"""`faceapp bench`: speed figures."""

from __future__ import annotations

import json
import os

from faceapp.cli import output
from faceapp import paths
from faceapp.cli.output import json_command, show
from faceapp.storage.database import is_server_url


def cmd_bench(args) -> int:
    from faceapp.eval import bench
    result: dict = {}
    server = args.bench_database or os.environ.get(paths.ENV_DATABASE)
    if server and not is_server_url(server):
        raise ValueError("bench --database takes a postgresql:// URL (a scratch database is made there and dropped)")
    if args.gallery and server:
        from faceapp.eval import server_bench

        result["gallery_server"] = server_bench.gallery(server, args.gallery, dim=args.dim)
    elif args.gallery:
        from faceapp.recognition.search import bench_gallery

        result["gallery"] = bench_gallery(args.gallery, dim=args.dim)
    if args.doors:
        from faceapp.eval import server_bench

        if not server:
            raise ValueError("bench --doors needs --database postgresql://...")
        result["doors"] = {"propagation": server_bench.propagation(server),
                           "events_10_doors": server_bench.doors_events(server),
                           "resync_after_10_min_offline": server_bench.resync(server)}
    if args.startup:
        from faceapp.ui.startup_bench import bench_startup

        result["startup"] = bench_startup()
    if args.report:
        from faceapp.hr.bench import bench_report

        result["report"] = bench_report(args.report)
    if args.cameras:
        result["cameras"] = bench.bench_cameras(output.engine(), args.cameras, args.seconds, not args.interleave,
                                                not args.every_frame)
    if not (args.gallery or args.startup or args.doors or args.report or args.cameras) or args.source:
        source = args.source or bench.DEFAULT_VIDEO
        frames = bench.read_frames(source, args.frames)
        engine = output.engine()
        result["pipeline"] = bench.bench_pipeline(engine, frames)
        result["pipeline"]["source"] = str(source)
        result["live"] = bench.bench_live(engine, source, liveness=args.liveness)
        if not args.no_reference:
            result["reference_mtcnn_torch"] = bench.bench_reference_mtcnn(frames)

    def table(r):
        lv = r.get("live")
        if lv:
            print(f"live pipeline on the whole of {lv['source']} ({lv['frames']} frames {lv['size']}, read and "
                  f"decoded from the file; tracking, ROI detection, embedding until settled; liveness "
                  f"{lv['liveness']}):")
            print(f"  {lv['throughput_fps']} FPS throughput (frames / wall seconds), "
                  f"{lv['median_ms']} ms median, {lv['p90_ms']} ms p90 per frame, {lv['cpu_ms_per_frame']} ms CPU per frame")
            print("  frames each stage ran in: " + ", ".join(f"{k} {v}" for k, v in lv["stage_frames"].items()))
        p = r.get("pipeline")
        if p:
            print(f"every stage on every frame, {p['source']} ({p['frames']} frames {p['size']}, "
                  f"{p['faces_per_frame']} face/frame, JPEG-decoded as from an MJPEG camera)")
            for stage, ms in p["stage_median_ms"].items():
                print(f"  {stage:8s} {ms:7.2f} ms median")
            print(f"  {'frame':8s} {p['median_ms']:7.2f} ms median, {p['p90_ms']} ms p90 -> "
                  f"{p['throughput_fps']} FPS throughput")
        ref = r.get("reference_mtcnn_torch")
        if ref:
            print(f"facenet-pytorch MTCNN (torch): {ref}")
        cams = r.get("cameras")
        if cams:
            print(f"{len(cams['cameras'])} cameras at once ({cams['mode']}), {cams['seconds_per_camera']:g} s each, "
                  f"clips standing in for live 640x480 cameras, every check on:")
            for i, c in enumerate(cams["cameras"]):
                print(f"  camera {i}: {c['throughput_fps']} FPS (frames / wall s) of {c['fps_offered']} offered, "
                      f"{c['frames']} handled, {c['dropped']} of {c['frames_due']} dropped, "
                      f"{c['median_ms']} ms median, {c['p90_ms']} ms p90 per frame  ({c['source']})")
            print(f"  CPU: {cams['cpu_ms_per_frame']} ms per frame, {cams['cpu_cores_used']} cores used; "
                  f"load average {cams['load_average']}")
        for key in ("gallery", "gallery_server", "doors", "startup", "report"):
            if key in r:
                print(f"{key}: {json.dumps(r[key])}")

    show(result, args.json, table)
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("bench", help="measure pipeline speed (and gallery search / start-up)")
    p.add_argument("--source", help="video file standing in for the camera (default: the shared talking clip)")
    p.add_argument("--frames", type=int, default=100,
                   help="frames for the every-stage table (the live figure runs over the whole clip)")
    p.add_argument("--gallery", type=int, metavar="N", help="time 1:N search over N synthetic identities")
    p.add_argument("--dim", type=int, default=128,
                   help="with --gallery: vector size (default 128, the shipped embedder SFace's)")
    p.add_argument("--startup", action="store_true", help="time until the main window shows")
    p.add_argument("--database", dest="bench_database", metavar="URL",
                   help="with --gallery: the server's HNSW 1:N against the in-memory search on the same data; "
                   "needs a role that may CREATE DATABASE (a scratch one, dropped after)")
    p.add_argument("--doors", action="store_true", help="with --database: propagation to another door, events/s "
                   "from 10 doors, resync after 10 minutes offline with 1,000 queued events")
    p.add_argument("--report", type=int, nargs="?", const=1000, metavar="N",
                   help="time a monthly attendance report for N people (default 1000), 4 records a day")
    p.add_argument("--no-reference", action="store_true", help="skip timing facenet-pytorch's torch MTCNN")
    p.add_argument("--liveness", choices=["both", "blink", "passive", "none"],
                   help="liveness mode of the live figure (default: the settings' default, both)")
    p.add_argument("--cameras", nargs="+", metavar="CLIP",
                   help="run several cameras at once, one clip standing in for each live camera: per-camera "
                   "throughput and dropped frames")
    p.add_argument("--seconds", type=float, default=15.0, help="how long each --cameras clip plays (it loops)")
    p.add_argument("--interleave", action="store_true",
                   help="--cameras in one thread, frame by frame, instead of a thread per camera (for comparison)")
    p.add_argument("--every-frame", action="store_true",
                   help="--cameras without the camera clock: every frame as fast as it goes, none dropped (capacity)")
    json_command(p, cmd_bench)
