"""Fit the mask adapter (faceapp.vision.mask_adapter) for the shipped MobileFaceNet on LFW.

Every LFW image of the 6,000 pairs goes through the app's own pipeline: the first image of each pair
with the three enrollment mask styles drawn on and the face re-detected, the second with a random
mask. Each masked embedding is paired with its photo's plain embedding and one ridge regression maps
the first onto the second. No torch needed: numpy solves it in a second; embedding the photos takes
about 10 minutes on 2 cores.

    python -m trainer.build.mask_adapter [--lfw ../shared/data/lfw]

`faceapp eval lfw` measures the same fit without the tested fold's people (and this script prints its
figures too, from the same embeddings); the shipped file uses all of LFW, so LFW cannot measure it
itself (faces-sample, `faceapp eval verify`, can).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", type=Path, default=ROOT.parent / "shared" / "data" / "lfw")
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "models")
    args = parser.parse_args(argv)

    from faceapp.vision.engine import Engine
    from faceapp.eval.verification import adapter_pairs, embed_lfw, lfw_report
    from faceapp.vision.mask_adapter import SHIPPED_FILE, MaskAdapter
    from faceapp.recognition.model_versions import file_sha256
    from trainer.build.models import write_manifest

    from faceapp.cli.progress import progress_bar

    engine = Engine()
    with progress_bar("LFW", "image") as job:
        lfw = embed_lfw(engine, args.lfw, job=job)
    masked, plain = adapter_pairs(list(lfw.photos.values()))
    adapter = MaskAdapter.fit(masked, plain, file_sha256(engine.embedder.path), photos=len(lfw.photos))
    path = args.out / SHIPPED_FILE
    adapter.save(path)
    entry = {
        "file": SHIPPED_FILE,
        "source": "fitted by trainer/build/mask_adapter.py",
        "data": (f"{len(masked)} masked/plain embedding pairs of the {len(lfw.photos)} LFW images in the 6,000 "
                 "pairs (synthetic masks from faceapp/vision/masks.py), embedded by mobilefacenet.onnx"),
        "licence": "MIT",
        "for": "mobilefacenet.onnx",
        "embedder_sha256": adapter.embedder_sha256,
        "bytes": path.stat().st_size,
        "ridge": adapter.info["ridge"],
    }
    write_manifest([entry], args.out)
    print(json.dumps(entry, indent=1))
    # The photos are embedded already: `faceapp eval lfw`'s figures (adapter fitted per fold) at no cost.
    print(json.dumps(lfw_report(lfw), indent=1))


if __name__ == "__main__":
    main()
