"""`faceapp identify`, `detect` and `compare`: one-off questions about photos."""

from __future__ import annotations

import sys

from faceapp.cli import output
from faceapp.cli.output import json_command, show
from faceapp.storage.gallery import Gallery
from faceapp.files import shown
from faceapp.vision.imageio import ImageError, load_image


def cmd_identify(args) -> int:
    from faceapp.recognition.recognizer import Recognizer, embedder_version

    engine = output.engine()
    results, failed = [], 0
    with Gallery.open() as gallery:
        recognizer = Recognizer(gallery, embedder_version(gallery, engine.embedder))
        for path in args.images:
            try:
                faces = engine.analyze(load_image(path), eyes=False)
            except ImageError as exc:
                results.append({"image": shown(path), "error": str(exc)})
                failed += 1
                continue
            found = []
            for face, match in zip(faces, recognizer.identify_many(faces) if faces else []):
                found.append({
                    "box": [round(float(v), 1) for v in face.box],
                    "person_id": match.person_id, "name": match.name, "score": round(match.score, 4),
                    "margin": round(match.margin, 4), "threshold": match.threshold, "masked": match.masked,
                })
            results.append({"image": shown(path), "faces": found})

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

    show(results, args.json, table)
    return 1 if failed else 0


def cmd_detect(args) -> int:
    engine = output.engine()
    results, failed = [], 0
    for path in args.images:
        try:
            image = load_image(path)
        except ImageError as exc:
            results.append({"image": shown(path), "error": str(exc)})
            failed += 1
            continue
        faces = [
            {"box": [round(float(v), 1) for v in d.box], "score": round(d.score, 4), "detector": d.source,
             "landmarks": [[round(float(x), 1), round(float(y), 1)] for x, y in d.landmarks]}
            for d in engine.detect(image)
        ]
        results.append({"image": shown(path), "width": image.shape[1], "height": image.shape[0], "faces": faces})

    def table(rows):
        for r in rows:
            if "error" in r:
                print(f"{r['image']}: error: {r['error']}")
                continue
            print(f"{r['image']}: {len(r['faces'])} face(s)")
            for i, f in enumerate(r["faces"]):
                print(f"  #{i}  box={f['box']}  score={f['score']:.3f}  ({f['detector']})")

    show(results, args.json, table)
    return 1 if failed else 0


def cmd_compare(args) -> int:
    from faceapp.config import THRESHOLDS
    from faceapp.vision.mask_adapter import for_weights

    engine = output.engine()
    faces = []
    for path in (args.image_a, args.image_b):
        try:
            found = engine.analyze(load_image(path), eyes=False)
        except ImageError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if not found:
            print(f"error: {shown(path)}: no face found", file=sys.stderr)
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
    result = {"image_a": shown(args.image_a), "image_b": shown(args.image_b), "similarity": round(similarity, 4),
              "threshold": threshold, "masked": masked, "same_person": similarity >= threshold}
    show(result, args.json, lambda r: print(
        f"similarity {r['similarity']:.3f} (threshold {r['threshold']:.2f}{', masked' if masked else ''}): "
        f"{'same person' if r['same_person'] else 'different people'}"))
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("identify", help="name the faces in photos (no liveness check)")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    json_command(p, cmd_identify)

    p = sub.add_parser("detect", help="find faces in images")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    json_command(p, cmd_detect)

    p = sub.add_parser("compare", help="are two photos the same person?")
    p.add_argument("image_a", metavar="IMAGE_A")
    p.add_argument("image_b", metavar="IMAGE_B")
    json_command(p, cmd_compare)
