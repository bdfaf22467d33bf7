"""Measure faceapp.vision.face_mesh.MESH_OFFSET: where the face mesh's five points sit relative to MTCNN's.

On unmasked LFW photos (the first image of every 20th pair, so no mask disturbs either detector)
both sets of points are mapped into the ArcFace template frame by MTCNN's alignment; the mean
difference is the offset that turns mesh points into MTCNN-style alignment points.

    python -m trainer.build.face_mesh_offset [--lfw ../shared/data/lfw]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", type=Path, default=ROOT.parent / "shared" / "data" / "lfw")
    parser.add_argument("--every", type=int, default=20)
    args = parser.parse_args(argv)

    from faceapp.vision.align import ARCFACE_TEMPLATE, similarity_transform, transform_points
    from faceapp.vision.engine import Engine
    from faceapp.eval.verification import main_face
    from faceapp.vision.face_mesh import FaceMesh
    from faceapp.vision.imageio import load_image

    engine, mesh = Engine(with_mask=False), FaceMesh()
    rows = list(csv.DictReader(open(args.lfw / "pairs_resolved.csv")))
    offsets = []
    for rel in sorted({r["img1"] for r in rows})[:: args.every]:
        image = load_image(args.lfw / rel)
        face = main_face(engine.detect(image), image.shape)
        if face is None:
            continue
        to_template = similarity_transform(face.landmarks, ARCFACE_TEMPLATE)
        raw = mesh.raw_five(image, face.landmarks)
        offsets.append(transform_points(raw, to_template) - ARCFACE_TEMPLATE)
    offsets = np.array(offsets)
    print(f"{len(offsets)} photos; MESH_OFFSET (template px, mean):")
    print(np.round(offsets.mean(0).astype(float), 2).tolist())
    print("std:", np.round(offsets.std(0).astype(float), 2).tolist())


if __name__ == "__main__":
    main()
