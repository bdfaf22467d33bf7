"""`faceapp train`: fine-tune the embedder on the enrolled people from the command line.

Wired into the `faceapp` parser by faceapp.cli.main.build_parser.
This module imports no torch at load time, so `faceapp train` can explain how to get it.
"""

from __future__ import annotations

import argparse
import json
import sys

from faceapp.cli.progress import progress_bar
from faceapp.config import FINETUNE
from faceapp.training import LAYERS, TrainingError, TrainingSettings, check_trainable, gallery_photos

HELP = "fine-tune the face embedder on the enrolled people (needs the trainer extra: torch)"
INSTALL_HINT = (
    "faceapp train needs PyTorch, which the app itself does not install. Install the trainer extra:\n"
    "    pip install 'faceapp[trainer]'      (from a source checkout: pip install -e '.[trainer]', or ./dev.sh setup)"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--epochs", type=int, default=None,
                   help=f"training epochs (default {FINETUNE.epochs}; stops early when held-out photos stop improving)")
    p.add_argument("--layers", choices=LAYERS, default=None, help=f"which layers train (default {FINETUNE.layers})")
    p.add_argument("--lr", type=float, default=None, help=f"learning rate of the backbone (default {FINETUNE.lr:g})")
    p.add_argument("--batch-size", type=int, default=None, help=f"photos per step (default {FINETUNE.batch_size})")
    p.add_argument("--mask-share", type=float, default=None,
                   help=f"share of training photos given a synthetic mask, 0-1 (default {FINETUNE.mask_share:g})")
    p.add_argument("--distill-weight", type=float, default=None,
                   help=f"how strongly the model is held to its old answers (default {FINETUNE.distill_weight:g})")
    p.add_argument("--focal-gamma", type=float, default=None,
                   help="expert: Focal Loss on the ArcFace logits with this gamma, e.g. 2 (default 0: cross-entropy)")
    p.add_argument("--cutmix", type=float, default=None,
                   help="expert: share of batches with CutMix, labels mixed by area, 0-1 (default 0)")
    p.add_argument("--mixup", type=float, default=None,
                   help="expert: share of batches with MixUp, labels mixed by weight, 0-1 (default 0)")
    p.add_argument("--attention", action="store_true",
                   help="expert: add a channel-attention block over the last feature map (kept in the model)")
    p.add_argument("--unseen-dir", help="a folder of photos of people NOT enrolled: the door must not name more of "
                                        "them after training (needed for a recommendation); with deepface-style "
                                        "pair CSVs also checks that their verification does not drop")
    p.add_argument("--activate", action="store_true",
                   help="activate the new model when it is recommended (re-embeds the gallery)")
    p.add_argument("--rollback", action="store_true", help="do not train: make the shipped base model active again")
    p.add_argument("--json", action="store_true", help="print the result as one JSON document")


def cmd_train(args: argparse.Namespace) -> int:
    from faceapp.recognition.model_versions import activate_version, rollback_to_base
    from faceapp.storage.gallery import Gallery, GalleryError
    from trainer.finetune.metrics import door_lines

    as_json = getattr(args, "json", False)
    if getattr(args, "rollback", False):
        with Gallery.open(getattr(args, "data_dir", None)) as gallery, progress_bar("rolling back", "face") as job:
            mv = rollback_to_base(gallery, job)
        print(json.dumps({"active": mv.id, "name": mv.name}) if as_json else f"active model: {mv.name} (version {mv.id})")
        return 0
    try:
        import torch  # noqa: F401
    except ImportError:
        print(INSTALL_HINT, file=sys.stderr)
        return 2

    from trainer.finetune.loop import finetune_with

    chosen = {name: getattr(args, name) for name in ("epochs", "layers", "lr", "batch_size", "mask_share", "distill_weight",
                                                     "focal_gamma", "cutmix", "mixup")}
    chosen["attention"] = args.attention or None
    settings = TrainingSettings(unseen_dir=args.unseen_dir or "", **{k: v for k, v in chosen.items() if v is not None})
    with Gallery.open(getattr(args, "data_dir", None)) as gallery:
        try:
            settings.validate()  # before minutes of loading: say at once what is wrong or missing
            check_trainable(gallery_photos(gallery))
            with progress_bar("fine-tuning", "step") as job:
                result = finetune_with(gallery, settings, job)
        except (TrainingError, ValueError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        activated = False
        if args.activate and result.recommended and result.version_id is not None:
            try:
                with progress_bar("activating: embedding the enrolled faces", "face") as job:
                    activated = activate_version(gallery, result.version_id, job) is not None
            except GalleryError as e:
                print(f"error: {e}", file=sys.stderr)
                return 1
    out = result.as_dict() | {"activated": activated}
    if as_json:
        print(json.dumps(out, indent=2))
    else:
        print(f"{result.num_people} people, {result.num_train} train / {result.num_held_out} held-out photos, "
              f"{len(result.history)} epochs in {result.seconds:.0f} s")
        for key, label in (("held_out", "held-out"), ("held_out_masked", "held-out masked"), ("unseen", "unseen people")):
            b, a = out["before"][key] if out["before"] else None, out["after"][key] if out["after"] else None
            if b and a:
                print(f"  {label:<16} AUC {b['auc']:.4f} -> {a['auc']:.4f}   TAR@FAR1% {b['tar_at_far1']:.3f} -> {a['tar_at_far1']:.3f}")
        for line in door_lines(result.before, result.after):
            print("  " + line)
        print(("recommended: " if result.recommended else "not recommended: ") + result.reason)
        if result.version_id is not None:
            print(f"registered as model version {result.version_id}" + (" and activated" if activated else
                  "" if not result.recommended else " (activate it in the Trainer tab or with --activate)"))
            # what the 1:1 checks above cannot show (docs/finetune.md, open-set after fine-tuning)
            print("note: in our tests a fine-tuned model named more strangers in a large gallery than the "
                  "shipped model; for door access keep the shipped model")
    return 0
