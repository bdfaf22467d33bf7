"""Figures for the docs: a full fine-tune on 20 LFW people x 10 photos, timed, with before/after figures.

    python -m trainer.finetune.bench [--epochs 20] [--layers last_blocks] [--lr 3e-5] [--distill-weight 1]
                                     [--cache DIR] [--json]

The 20 people are the first 20 (by name) of ../shared/data/lfw with at least 10 photos; each photo
is aligned once with the app's detector (cached in --cache as .npz). Held out: 20% of every person's
photos, unmasked and with a synthetic mask. People never trained on: the labelled pairs of
../shared/data/faces-sample. Prints time per epoch, total time and the before/after table.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from trainer.finetune.data import FaceSet
from trainer.finetune.eval_sets import PairSet, align_files, pair_set_from_csv
from trainer.finetune.metrics import door_lines

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def lfw_people(lfw: Path, people: int, photos: int, detector=None) -> FaceSet:
    folders = sorted(d for d in (lfw / "images").iterdir() if d.is_dir() and len(list(d.glob("*.jpg"))) >= photos)
    if len(folders) < people:
        raise SystemExit(f"only {len(folders)} LFW people have {photos}+ photos")
    groups = {}
    for folder in folders[:people]:
        crops = align_files(sorted(folder.glob("*.jpg"))[:photos], detector)
        groups[folder.name] = list(crops.values())
    return FaceSet.from_groups(groups)


def cached_faces(cache: Path | None, people: int, photos: int) -> FaceSet:
    path = cache / f"lfw-{people}x{photos}.npz" if cache else None
    if path and path.is_file():
        return FaceSet.load(path)
    faces = lfw_people(SHARED / "lfw", people, photos)
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        faces.save(path)
    return faces


def cached_unseen(cache: Path | None) -> PairSet:
    path = cache / "faces-sample-pairs.npz" if cache else None
    if path and path.is_file():
        with np.load(path) as z:
            return PairSet(z["crops"], z["pairs"], z["same"])
    pairs = pair_set_from_csv(SHARED / "faces-sample")
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, crops=pairs.crops, pairs=pairs.pairs, same=pairs.same)
    return pairs


def table(result) -> str:
    rows = [("held-out unmasked", "held_out"), ("held-out masked", "held_out_masked"),
            ("unseen people", "unseen"), ("unseen, 2nd masked", "unseen_masked")]
    lines = [f"{'set':<20} {'AUC before':>10} {'after':>8} {'TAR@FAR1% before':>17} {'after':>7} {'rank-1 before':>14} {'after':>7}"]
    for label, key in rows:
        b, a = getattr(result.before, key), getattr(result.after, key)
        if b is None or a is None:
            continue
        r1 = f"{b.rank1:>14.3f} {a.rank1:>7.3f}" if b.rank1 is not None else f"{'-':>14} {'-':>7}"
        lines.append(f"{label:<20} {b.auc:>10.4f} {a.auc:>8.4f} {b.tar_at_far1:>17.3f} {a.tar_at_far1:>7.3f} {r1}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import torch

    from faceapp.cli.progress import progress_bar
    from faceapp.training import LAYERS, TrainingSettings
    from trainer.finetune.loop import finetune

    p = argparse.ArgumentParser(prog="python -m trainer.finetune.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--people", type=int, default=20)
    p.add_argument("--photos", type=int, default=10)
    p.add_argument("--epochs", type=int, default=TrainingSettings().epochs)
    p.add_argument("--layers", default=TrainingSettings().layers, choices=LAYERS)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=TrainingSettings().lr)
    p.add_argument("--distill-weight", type=float, default=TrainingSettings().distill_weight)
    p.add_argument("--focal-gamma", type=float, default=0.0, help="option rows of docs/finetune.md: Focal Loss gamma")
    p.add_argument("--cutmix", type=float, default=0.0, help="share of CutMix batches")
    p.add_argument("--mixup", type=float, default=0.0, help="share of MixUp batches")
    p.add_argument("--attention", action="store_true", help="with the channel-attention block")
    p.add_argument("--cache", type=Path, help="folder for the aligned crops (.npz), reused on the next run")
    p.add_argument("--out", type=Path, help="export the ONNX here (and time the export)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    faces = cached_faces(args.cache, args.people, args.photos)
    unseen = cached_unseen(args.cache)
    cfg = TrainingSettings(epochs=args.epochs, layers=args.layers, lr=args.lr, distill_weight=args.distill_weight,
                           focal_gamma=args.focal_gamma, cutmix=args.cutmix, mixup=args.mixup,
                           attention=args.attention).config(seed=args.seed)
    with progress_bar("fine-tuning", "step") as job:
        result = finetune(faces, cfg, job, unseen=unseen, export_dir=args.out)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
        return 0
    print(f"{result.num_people} people, {result.num_train} train / {result.num_held_out} held-out photos; "
          f"{len(unseen.crops)} unseen photos in {len(unseen.pairs)} pairs; torch threads {torch.get_num_threads()}")
    print(f"layers {cfg.layers}, epochs run {len(result.history)} (best {result.best_epoch}), "
          f"{result.seconds_per_epoch:.1f} s per epoch (train + held-out check), total {result.seconds:.1f} s")
    for h in result.history:
        print(f"  epoch {h.epoch:2d}: {h.seconds:5.1f} s  loss {h.loss:.3f}  train acc {h.accuracy:.3f}  "
              f"held-out AUC {h.held_out_auc:.4f}  masked margin {h.masked_margin:.3f}")
    print(table(result))
    print("\n".join(door_lines(result.before, result.after)))
    b, a = result.before.held_out_masked, result.after.held_out_masked
    print(f"held-out masked margin over the nearest other person: {b.margin:.3f} -> {a.margin:.3f}")
    print(("recommended: " if result.recommended else "not recommended: ") + result.reason)
    if result.onnx_path:
        print(f"ONNX {result.onnx_path}, max |ORT - torch| on normalised embeddings {result.onnx_max_diff:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
