"""`faceapp eval ...`: the accuracy evaluations (docs/benchmarks.md says which figure each gives)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from faceapp.cli import output
from faceapp.cli.output import json_command, show
from faceapp.cli.progress import progress_bar
from faceapp.vision.imageio import load_image


def cmd_eval_blink(args) -> int:
    from faceapp.config import ANTISPOOF
    from faceapp.eval.blink import analyze_blinks, still_photo_clip, video_frames

    engine = output.engine()
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
        "passive_settled": None if report.passive_settled is None else round(report.passive_settled, 4),
        "passive_min": round(min(report.passive), 4) if report.passive else None,
        "passive_below_threshold": sum(s < ANTISPOOF.threshold for s in report.passive),
        "passive_checks": len(report.passive),
    }

    def table(r):
        print(f"{r['video']}: {r['blinks']} blink(s) in {r['frames']} frames ({r['frames_with_face']} with a face)")
        if r["passive_checks"]:
            print(f"  anti-spoofing: settled score {r['passive_settled']} (threshold {ANTISPOOF.threshold:g}); "
                  f"{r['passive_below_threshold']} of {r['passive_checks']} checks through the clip below it, "
                  f"lowest {r['passive_min']}")
        for t, f, d in zip(r["blink_times_s"], r["blink_frames"], r["durations_ms"]):
            print(f"  blink at {t:7.3f} s  (frame {f}, {d} ms)")

    show(out, args.json, table)
    return 0


def lfw_engine(args):
    """The app's engine, or with the ablations' detector switches: no BlazeFace second pass, no
    close-up pass (docs/benchmarks.md, the LFW table's rows)."""
    from dataclasses import replace

    from faceapp.config import DETECTOR
    from faceapp.vision.engine import Engine

    if not (args.no_blazeface or args.no_closeup or args.embedder):
        return output.engine()
    config = DETECTOR
    if args.no_blazeface:
        config = replace(config, second_pass="never", presence_check=False)  # MTCNN alone
    if args.no_closeup:
        config = replace(config, closeup_min_fraction=float("inf"))  # no face is big enough for it
    return Engine(config, embedder_file=args.embedder)


def embedder_file(p) -> None:
    p.add_argument("--embedder", metavar="ONNX", type=existing_file,
                   help="embed with these weights instead of the shipped ones (e.g. build/int8/mobilefacenet.int8.onnx "
                        "from `python -m trainer.build.quantize`)")


def existing_file(text: str) -> str:
    if not Path(text).is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return text


def print_at_thresholds(m: dict) -> None:
    for a in m["at_threshold"]:
        print(f"  {'':22s}   at threshold {a['threshold']:.3f}: FAR {a['far']:.4f}  TAR {a['tar']:.4f}")


def cmd_eval_lfw(args) -> int:
    from faceapp.eval.verification import eval_lfw

    with progress_bar("LFW", "image") as job:
        result = eval_lfw(lfw_engine(args), args.folder, masked=not args.no_masked, limit=args.limit, flip=args.flip,
                          far_at=tuple(args.far_at), job=job)

    def table(r):
        print(f"LFW {r['pairs']} pairs, {r['images']} images ({r['no_face']} without a face), {r['seconds']} s")
        if "masked_no_face" in r:
            print(f"  masked probes that lost their face: {r['masked_no_face']}")
        for prefix in ("unmasked", "masked", "masked_mtcnn"):
            for key in (prefix,) if prefix == "unmasked" else (f"{prefix}_plain", f"{prefix}_with_templates", f"{prefix}_with_adapter"):
                if key not in r:
                    continue
                m = r[key]
                print(f"  {key:28s} accuracy {m['accuracy_mean']:.2f}% ± {m['accuracy_std']:.2f}  AUC {m['auc']:.5f}  "
                      f"TAR@FAR1% {m['tar_at_far_1%']:.4f}  TAR@FAR0.1% {m['tar_at_far_0.1%_folds_mean']:.3f} "
                      f"± {m['tar_at_far_0.1%_folds_std']:.3f} (folds; pooled {m['tar_at_far_0.1%']:.4f})  "
                      f"best threshold {m['best_threshold']:.3f}, FAR 1% at {m['threshold_far_1%']:.3f}")
                print_at_thresholds(m)

    show(result, args.json, table)
    return 0


def cmd_eval_verify(args) -> int:
    from faceapp.eval.verification import eval_verify

    with progress_bar("verification", "photo") as job:
        result = eval_verify(output.engine(), args.folder, far_at=tuple(args.far_at), job=job)

    def table(r):
        print(f"{r['photos']} photos of {r['people']} people (leave one out; no face: {r['no_face'] or 'none'}; "
              f"mask adapter {'on' if r['mask_adapter'] else 'off'})")
        for key in ("unmasked", "masked", "masked_mtcnn", "masked_mtcnn_with_adapter"):
            m = r[key]
            print(f"  {key:25s} probes {m['probes']}  AUC {m['auc']:.4f}  TAR@FAR1% {m['tar_at_far_1%']:.4f}  rank-1 {m['rank1']:.4f}")
            print_at_thresholds(m)
        d = r["landmark_drift"]
        print(f"  landmark drift under a mask, {d['faces']} faces, in eye distances (median / 90th percentile):")
        for name in ("onet", "mesh"):
            parts = (f"{part.replace('_', ' and ')} {d[f'{name}_{part}']['median']:.3f} / {d[f'{name}_{part}']['p90']:.3f}"
                     for part in ("eyes", "nose_mouth") if d[f"{name}_{part}"])
            print(f"    {'ONet' if name == 'onet' else 'face mesh'}: {', '.join(parts)}")

    show(result, args.json, table)
    return 0


def cmd_eval_masks(args) -> int:
    from faceapp.eval.verification import eval_mask_detection

    with progress_bar("mask detection", "photo") as job:
        result = eval_mask_detection(output.engine(), args.masked, args.unmasked, limit=args.limit, job=job)
    show(result, args.json, lambda r: print(json.dumps(r, indent=2)))
    return 0


def detection_config(args):
    """The app's detector settings with the switches of `eval detection` applied (the rows of
    docs/benchmarks.md's detection table)."""
    from dataclasses import replace

    from faceapp.config import DETECTOR

    changes = {"thresholds": tuple(args.thresholds) if args.thresholds else None, "min_face_size": args.min_face_size,
               "second_pass": args.second_pass, "blazeface_threshold": args.blazeface_threshold,
               "blazeface_mirrored": False if args.no_mirror else None,
               "presence_check": False if args.no_presence else None}
    return replace(DETECTOR, **{k: v for k, v in changes.items() if v is not None})


def cmd_eval_detection(args) -> int:
    from faceapp.eval.detection import CLOSE_UP_SHARE, eval_detection

    with progress_bar("detection", "photo") as job:
        result = eval_detection(args.masked, args.unmasked, config=detection_config(args), limit=args.limit,
                                faces_csv=args.faces, sheet=args.sheet, clips=args.clip, clip_every=args.clip_every,
                                job=job)

    def table(r):
        t = r["settings"]
        app = (f"app: {'/'.join(f'{v:g}' for v in t['thresholds'])}, second pass {t['second_pass']} "
               f"(BlazeFace >= {t['blazeface_threshold']:g}){', presence check' if t['presence_check'] else ''}")
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
        if r["app"]["clips"]:
            print("Clips: frames by number of detections")
        for name, x in rows:
            for c in x["clips"]:
                counts = "  ".join(f"{n}: {k}" for n, k in c["frames_by_detections"].items())
                print(f"  {name:58s} {Path(c['clip']).name}: {c['detections']} detections on {c['frames']} frames"
                      f"  ({counts})")

    show(result, args.json, table)
    return 0


def far_at(parser) -> None:
    parser.add_argument("--far-at", type=float, action="append", default=[], metavar="THRESHOLD",
                        help="also report FAR and TAR at this similarity threshold (repeatable)")


def cmd_eval_spoof(args) -> int:
    from faceapp.eval.spoof import TARGET_BPCER, eval_box_convention, eval_spoof

    if args.boxes:
        result = eval_box_convention(args.folder, threshold=args.threshold, limit=args.limit)

        def table(r):
            print(f"{r['folder']}: crop convention, our boxes rescaled about their centre (threshold {r['threshold']:g})")
            for name, p in r["paths"].items():
                g = p["geometry"]
                print(f"  {name}: {g.get('faces', 0)} faces, box height/width {g.get('height_over_width')}, "
                      f"width/eye distance {g.get('width_over_eye_distance')}")
                for scale, m in p["by_scale"].items():
                    print(f"    x{scale:4s} APCER {m['apcer']:.4f}  BPCER {m['bpcer']:.4f}  AUC {m['auc']:.4f}  "
                          f"lowest live score {m['live_score_min']}  highest attack score {m['spoof_score_max']}")

        show(result, args.json, table)
        return 0
    result = eval_spoof(args.folder, threshold=args.threshold, limit=args.limit, sheet=args.sheet)

    def table(r):
        nf = r["no_face"]
        print(f"{r['folder']}: {r['live']} live, {r['attacks']} attack images scored "
              f"(no face: {nf['live']} live, {nf['spoof']} attack); {r['ms_per_face']} ms per face "
              f"({r['cpu_ms_per_face']} ms CPU)")
        print(f"  at threshold {r['threshold']:g}: APCER {r['apcer']:.4f}  BPCER {r['bpcer']:.4f}  ACER {r['acer']:.4f}")
        print(f"  AUC {r['auc']:.4f}; threshold for BPCER {TARGET_BPCER:.0%}: {r.get('threshold_at_bpcer_1%')} "
              f"(APCER there {r.get('apcer_at_bpcer_1%')})")
        print(f"  lowest live score {r['live_score_min']}, highest attack score {r['spoof_score_max']}")
        if len(r["scores"]) <= 20:  # a handful of stills: every score is worth seeing
            for name, score in r["scores"].items():
                print(f"  {name}: {score if score is not None else 'no face'}")
        for e in r["errors"]:
            print(f"  error: {e['file']} ({e['label']}) scored {e['score']}")
        if "sheet" in r:
            print(f"  contact sheet of the errors: {r['sheet']}")

    show(result, args.json, table)
    return 0


def cmd_eval_openset(args) -> int:
    from faceapp.eval import openset

    def ints(text):
        return tuple(int(x) for x in text.split(",") if x)

    with progress_bar("open set", "image") as job:  # the one progress protocol: a bar on stderr
        result = openset.eval_openset(output.engine, Path(args.folder), args.masked_real and Path(args.masked_real),
                                      Path(args.cache) if args.cache else openset.default_cache_dir(),
                                      embedders=tuple(args.embedders.split(",")), sizes=ints(args.sizes),
                                      three_photo_sizes=ints(args.three_photo), strangers=args.strangers,
                                      progress=lambda what, done, total: job.report(done, total, what))
    if args.det:
        result["det_plots"] = openset.det_plots(result, Path(args.det))
    show(result, args.json, openset.print_report)
    return 0


def add_commands(sub) -> None:
    ev = sub.add_parser("eval", help="accuracy evaluations").add_subparsers(dest="evaluation", metavar="EVALUATION", required=True)
    p = ev.add_parser("blink", help="blink times of the main face in a video")
    p.add_argument("video", metavar="VIDEO")
    p.add_argument("--still", action="store_true", help="VIDEO is a photo: make a shaky, noisy clip of it (must find 0)")
    p.add_argument("--still-frames", type=int, default=75)
    json_command(p, cmd_eval_blink)

    p = ev.add_parser("lfw", help="LFW 10-fold verification, unmasked and with the second image masked")
    p.add_argument("folder", metavar="LFW_DIR", help="folder with pairs_resolved.csv and images/")
    p.add_argument("--no-masked", action="store_true", help="unmasked pairs only (a fifth of the time)")
    p.add_argument("--limit", type=int, help="use about this many pairs (a quick look; not the protocol)")
    p.add_argument("--no-closeup", action="store_true", help="ablation: without the close-up pass of the detector")
    p.add_argument("--no-blazeface", action="store_true", help="ablation: MTCNN alone, no BlazeFace second pass")
    p.add_argument("--flip", action="store_true", help="ablation: flip-averaged embeddings (crop + mirror image)")
    embedder_file(p)
    far_at(p)
    json_command(p, cmd_eval_lfw)

    p = ev.add_parser("openset", help="open-set 1:N identification: FPIR (strangers named) and FNIR at gallery sizes N")
    p.add_argument("folder", metavar="LFW_DIR", help="folder with images/<Name>/ (../shared/data/lfw)")
    p.add_argument("--masked-real", metavar="DIR", help="real masked strangers (../shared/data/masked-real)")
    p.add_argument("--embedders", default="sface", help="comma-separated: sface (shipped), mobilefacenet, fusion (the mean of both cosines), "
                   "or an .onnx file (an INT8 copy sface.int8.onnx is judged at sface's thresholds)")
    p.add_argument("--sizes", default="100,1000", help="gallery sizes N, one photo each")
    p.add_argument("--three-photo", default="100", help="gallery sizes N with three photos each")
    p.add_argument("--strangers", type=int, default=1100, help="stranger count (one photo each)")
    p.add_argument("--cache", metavar="DIR", help="crop and embedding cache (default: the user cache folder)")
    p.add_argument("--det", metavar="PNG", help="write DET plots (FNIR vs FPIR, log axes) here, one per embedder")
    json_command(p, cmd_eval_openset)

    p = ev.add_parser("verify", help="leave-one-out verification on a labelled folder (faces-sample)")
    p.add_argument("folder", metavar="DIR")
    far_at(p)
    json_command(p, cmd_eval_verify)

    p = ev.add_parser("masks", help="mask detection: share called masked on masked and on unmasked photos")
    p.add_argument("masked", metavar="MASKED_DIR", help="folder of photos of masked people (e.g. masked-real)")
    p.add_argument("unmasked", metavar="UNMASKED_DIR", help="folder of photos without masks (e.g. lfw/images)")
    p.add_argument("--limit", type=int, default=1000, help="at most this many unmasked photos")
    json_command(p, cmd_eval_masks)

    p = ev.add_parser("detection", help="masked-face recall and false detections, app settings vs plain MTCNN")
    p.add_argument("masked", metavar="MASKED_DIR", help="../shared/data/masked-real")
    p.add_argument("unmasked", nargs="*", metavar="UNMASKED_DIR",
                   help="folders of unmasked photos (faces-sample, lfw/images)")
    p.add_argument("--limit", type=int, default=1000,
                   help="at most this many photos per unmasked folder, evenly spread")
    p.add_argument("--faces", help="annotated main faces of MASKED_DIR (default: tests/fixtures/masked_real_faces.csv)")
    p.add_argument("--sheet", metavar="PNG", help="draw the extras the baseline does not have on a contact sheet")
    p.add_argument("--thresholds", type=float, nargs=3, metavar=("PNET", "RNET", "ONET"),
                   help="MTCNN thresholds instead of the app's")
    p.add_argument("--min-face-size", type=float, help="smallest face side in pixels instead of the app's")
    p.add_argument("--second-pass", choices=("always", "if_none", "never"), help="when BlazeFace runs (app: always)")
    p.add_argument("--blazeface-threshold", type=float, help="BlazeFace score for a face instead of the app's")
    p.add_argument("--no-mirror", action="store_true", help="BlazeFace on the plain view only")
    p.add_argument("--no-presence", action="store_true", help="ablation: without the face-presence check")
    p.add_argument("--clip", type=Path, action="append", default=[], metavar="VIDEO",
                   help="also count detections on this clip's frames (repeatable)")
    p.add_argument("--clip-every", type=int, default=5, metavar="N", help="every N-th frame of the clips")
    json_command(p, cmd_eval_detection)

    p = ev.add_parser("spoof", help="presentation attacks: APCER, BPCER, ACER, AUC of the passive anti-spoofing check")
    p.add_argument("folder", metavar="DIR", help="images and a labels.csv (file,label with label live or spoof)")
    p.add_argument("--threshold", type=float, help="score for 'live' (default: the shipped one)")
    p.add_argument("--limit", type=int, help="at most this many images, evenly spread (a quick look)")
    p.add_argument("--sheet", metavar="PNG", help="draw the errors (accepted attacks, refused live faces) on a contact sheet")
    p.add_argument("--boxes", action="store_true",
                   help="measure the crop convention: our detectors' boxes (MTCNN, BlazeFace+ONet) at several scales")
    json_command(p, cmd_eval_spoof)
