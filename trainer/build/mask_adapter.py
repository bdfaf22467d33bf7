"""Fit the mask adapter (faceapp.vision.mask_adapter) for a shipped embedder on LFW.

Every LFW photo goes through the app's own pipeline: enrolled with the three enrollment mask styles
drawn on and the face re-detected, and shown to the camera with a random mask. Each masked
embedding is paired with its photo's plain embedding and one ridge regression maps the first onto
the second. No torch needed: numpy solves it in a second.

    python -m trainer.build.mask_adapter [--embedder sface.onnx] [--lfw ../shared/data/lfw]

MobileFaceNet's (mask_adapter.npz) was fitted on the 7,701 images of LFW's 6,000 pairs (`faceapp eval
lfw`'s embedding pass, ~10 min on 2 cores). The others (mask_adapter_<stem>.npz) come from the photos
`faceapp eval openset` has through the pipeline already (its crop cache; run it first): the same kind
of pairs, with the open-set protocol's seeds. Either way the shipped file has seen LFW's people, so
LFW cannot measure it: `faceapp eval lfw` and `faceapp eval openset` fit their own on people they
do not test.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedder", default="mobilefacenet.onnx", help="a shipped embedder file in resources/models")
    parser.add_argument("--lfw", type=Path, default=ROOT.parent / "shared" / "data" / "lfw")
    parser.add_argument("--cache", type=Path, help="faceapp eval openset's cache (default: the user cache folder)")
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "models")
    args = parser.parse_args(argv)

    from faceapp.recognition.model_versions import file_sha256
    from faceapp.resources import model_path
    from faceapp.vision.embedder import Embedder
    from faceapp.vision.mask_adapter import MaskAdapter, shipped_file
    from trainer.build.models import write_manifest

    embedder = Embedder(model_path(args.embedder))
    if args.embedder == "mobilefacenet.onnx":
        from faceapp.eval.verification import adapter_pairs, embed_lfw, lfw_report
        from faceapp.vision.engine import Engine

        lfw = embed_lfw(Engine(embedder_file=embedder.path), args.lfw,
                        progress=lambda done, total: done % 500 == 0 and print(f"{done}/{total}", flush=True))
        masked, plain = adapter_pairs(list(lfw.photos.values()))
        data = f"the {len(lfw.photos)} LFW images in the 6,000 pairs"
    else:
        from faceapp.eval import openset

        crops = openset.cached_crops(args.cache or openset.default_cache_dir())
        masked, plain = openset.adapter_pairs(crops, openset.embed_crops(crops, embedder, args.cache or openset.default_cache_dir()))
        data = f"the {len(crops['enroll']) + len(crops['probe'])} LFW photo runs in faceapp eval openset's cache"
    adapter = MaskAdapter.fit(masked, plain, file_sha256(embedder.path), pairs_from=data)
    path = args.out / shipped_file(args.embedder)
    adapter.save(path)
    entry = {
        "file": path.name,
        "source": "fitted by trainer/build/mask_adapter.py",
        "data": f"{len(masked)} masked/plain embedding pairs of {data} (synthetic masks from faceapp/vision/masks.py), "
                f"embedded by {args.embedder}",
        "licence": "MIT",
        "for": args.embedder,
        "embedder_sha256": adapter.embedder_sha256,
        "bytes": path.stat().st_size,
        "ridge": adapter.info["ridge"],
    }
    write_manifest([entry], args.out)
    print(json.dumps(entry, indent=1))
    if args.embedder == "mobilefacenet.onnx":  # the photos are embedded already: eval lfw's figures at no cost
        print(json.dumps(lfw_report(lfw), indent=1))


if __name__ == "__main__":
    main()
