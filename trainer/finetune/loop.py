"""Fine-tune the MobileFaceNet embedder on the enrolled people with an ArcFace head and masked augmentation.

    finetune(gallery_or_faces, FinetuneConfig(...), progress_cb, cancel_flag) -> TrainResult

The loss is ArcFace over the enrolled people plus a distillation term, the cosine distance of each
embedding to the frozen base model's embedding of the clean photo: without it a few local people
pull the embedding space onto themselves and recognition of everyone else degrades; with clean
targets it also teaches the masked photo to land where the unmasked one did. The result is checked
before and after on held-out photos (unmasked and synthetic-masked) and on people it never saw, and
`TrainResult.recommended` is False unless the masked figures improve without the others dropping.

The same entry point runs distributed: `torchrun --nproc_per_node=N -m trainer.finetune.loop ...` (DDP,
gloo on CPU, nccl on GPUs). Rank 0 evaluates, exports and registers; the others only train.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import functools
import json
import math
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from faceapp.config import FINETUNE, TRAINER
from trainer.finetune.arcface import ArcFaceHead, arcface_loss
from trainer.finetune.data import (
    AugmentConfig,
    AugmentedFaces,
    Augmenter,
    FaceSet,
    TrainingError,
    check_trainable,
    faceset_from_gallery,
    masked_copies,
    split_per_person,
    to_input,
)
from trainer.finetune.eval_sets import PairSet
from trainer.finetune.metrics import Scores, class_templates, l2_normalize, pair_scores, probe_vs_templates

Layers = Literal["head", "last_blocks", "all"]


@dataclass(slots=True)
class FinetuneConfig:
    epochs: int = FINETUNE.epochs
    batch_size: int = FINETUNE.batch_size  # global batch (split over DDP processes), per optimizer micro-step
    lr: float = FINETUNE.lr  # backbone; AdamW
    head_lr_mult: float = 10.0  # the ArcFace head starts from class means and may move faster
    weight_decay: float = 1e-2  # AdamW, not applied to biases and PReLU slopes
    warmup_epochs: float = 1.0  # linear warm-up, then cosine decay to min_lr_ratio * lr
    min_lr_ratio: float = 0.05
    grad_accum: int = 1  # micro-batches per optimizer step
    layers: Layers = FINETUNE.layers
    last_blocks: int = 3  # bottlenecks that train with layers="last_blocks"
    distill_weight: float = FINETUNE.distill_weight  # weight of (1 - cos(student, base)) against the ArcFace loss
    s: float = 32.0  # ArcFace scale
    m: float = 0.4  # ArcFace angular margin (radians)
    easy_margin: bool = False
    label_smoothing: float = 0.0
    patience: int = 4  # epochs without a better held-out score before stopping
    seed: int = 0
    held_out_fraction: float = TRAINER.held_out_fraction
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    threads: int | None = None  # torch threads per process; None: torch's default
    eval_seed: int = 1234  # masks of the held-out masked probes, fixed so before and after compare


@dataclass(slots=True)
class Progress:
    phase: str  # "prepare" | "train" | "evaluate" | "export" | "done"
    epoch: int = 0  # 1-based during training
    epochs: int = 0
    step: int = 0  # micro-steps done, over the whole run
    total_steps: int = 0
    eta_s: float = 0.0
    loss: float = float("nan")  # running mean over the epoch
    accuracy: float = float("nan")  # running train accuracy (argmax of the margin-free logits)
    message: str = ""


@dataclass(slots=True)
class Evaluation:
    held_out: Scores  # held-out photos against the train photos' templates
    held_out_masked: Scores  # the same probes with a synthetic mask
    unseen: Scores | None = None  # pairs of people the model never saw
    unseen_masked: Scores | None = None  # the same with the second photo of each pair masked

    @property
    def selection_key(self) -> tuple[float, float]:
        """What early stopping maximises: held-out AUC, unmasked and masked alike, to 0.1 points (finer
        steps are single probe/impostor swaps on a few dozen held-out photos); then, since AUC
        saturates at 1 there, the masked probes' margin over the nearest other person."""
        auc = 0.5 * (self.held_out.auc + self.held_out_masked.auc)
        return round(auc, 3), self.held_out_masked.margin

    def as_dict(self) -> dict:
        return {k: (v.as_dict() if v is not None else None) for k, v in
                (("held_out", self.held_out), ("held_out_masked", self.held_out_masked),
                 ("unseen", self.unseen), ("unseen_masked", self.unseen_masked))}


@dataclass(slots=True)
class EpochStats:
    epoch: int
    loss: float
    accuracy: float
    seconds: float
    held_out_auc: float  # mean of unmasked and masked held-out AUC
    masked_margin: float  # see Evaluation.selection_key


@dataclass(slots=True)
class TrainResult:
    before: Evaluation | None
    after: Evaluation | None
    recommended: bool
    reason: str
    history: list[EpochStats] = field(default_factory=list)
    best_epoch: int = 0
    cancelled: bool = False
    seconds: float = 0.0
    onnx_path: Path | None = None
    onnx_max_diff: float | None = None  # onnxruntime vs torch, L2-normalised embeddings
    version_id: int | None = None  # the gallery's model version, when registered
    num_people: int = 0
    num_train: int = 0
    num_held_out: int = 0
    world_size: int = 1
    state_dict: dict | None = field(default=None, repr=False)  # the chosen epoch's MobileFaceNet weights

    @property
    def seconds_per_epoch(self) -> float:
        return float(np.mean([h.seconds for h in self.history])) if self.history else float("nan")

    def as_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "state_dict"}
        d["history"] = [asdict(h) for h in self.history]
        d["before"] = self.before.as_dict() if self.before else None
        d["after"] = self.after.as_dict() if self.after else None
        d["onnx_path"] = str(self.onnx_path) if self.onnx_path else None
        d["seconds_per_epoch"] = self.seconds_per_epoch
        return d


ProgressCb = Callable[[Progress], None]
CancelFlag = threading.Event | Callable[[], bool] | None


def _cancelled(flag: CancelFlag) -> bool:
    if flag is None:
        return False
    return flag.is_set() if isinstance(flag, threading.Event) else bool(flag())


# ---------------------------------------------------------------------------------------------------
# Model


def load_base_model() -> nn.Module:
    """The pretrained MobileFaceNet the app ships (resources/models/mobilefacenet.pt)."""
    from faceapp.resources import model_path
    from trainer.mobilefacenet import MobileFaceNet

    model = MobileFaceNet()
    model.load_state_dict(torch.load(model_path("mobilefacenet.pt"), map_location="cpu", weights_only=True))
    return model.eval()


def export_onnx(model: nn.Module, path: Path) -> None:
    from trainer.mobilefacenet import export_mobilefacenet

    export_mobilefacenet({k: v.detach().cpu() for k, v in model.state_dict().items()}, path)


def use_native_prelu(model: nn.Module) -> nn.Module:
    """Swap MobileFaceNet's export-friendly PReLU (relu(x) + a*min(x, 0): three elementwise passes) for
    torch's fused nn.PReLU while training, sharing the same slope parameter: the state dict is
    unchanged and a forward pass is ~35% faster on CPU. Export rebuilds the export-friendly module."""
    from trainer.mobilefacenet import PReLU

    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, PReLU):
                native = nn.PReLU(child.weight.numel())
                native.weight = child.weight
                setattr(module, name, native)
    return model


def first_trainable_block(model: nn.Module, layers: Layers, last_blocks: int = 3) -> int | None:
    """Index of the first bottleneck that trains; None when everything trains, the stem included.

    "head": only the embedding layers after the last bottleneck (conv_last, the global depthwise conv
    and the two linear 1x1 convs); "last_blocks": also the last `last_blocks` bottlenecks (3 = the
    stage at 7x7, so backpropagation stays cheap); "all": the whole network.
    """
    if layers not in ("head", "last_blocks", "all"):
        raise ValueError(f"layers must be head, last_blocks or all, not {layers!r}")
    n = len(model.blocks)
    return {"head": n, "last_blocks": max(n - last_blocks, 0), "all": None}[layers]


def select_trainable(model: nn.Module, layers: Layers, last_blocks: int = 3) -> list[nn.Parameter]:
    """Unfreeze the chosen part of MobileFaceNet (see first_trainable_block); the parameters that train."""
    first = first_trainable_block(model, layers, last_blocks)

    def trains(name: str) -> bool:
        if first is None:
            return True
        if name.startswith("stem"):
            return False
        if name.startswith("blocks."):
            return int(name.split(".")[1]) >= first
        return True

    chosen = []
    for name, p in model.named_parameters():
        p.requires_grad_(trains(name))
        if p.requires_grad:
            chosen.append(p)
    return chosen


class _Trainee(nn.Module):
    """Backbone + ArcFace head as one module, so DDP syncs both."""

    def __init__(self, backbone: nn.Module, head: ArcFaceHead):
        super().__init__()
        self.backbone, self.head = backbone, head

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        emb = self.backbone(x)
        logits = self.head(emb, labels)
        with torch.no_grad():
            plain = self.head.cosine(emb)  # margin-free, for the accuracy readout
        return emb, logits, plain


def _batches(crops: np.ndarray, device: torch.device, batch: int = 64):
    for i in range(0, len(crops), batch):
        yield torch.from_numpy(to_input(crops[i : i + batch])).to(device)


@torch.no_grad()
def embed(model: nn.Module, crops: np.ndarray) -> np.ndarray:
    """Raw embeddings of aligned BGR crops."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out = [model(x).float().cpu().numpy() for x in _batches(crops, device)]
    model.train(was_training)
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


class FrozenTrunk:
    """MobileFaceNet up to its first trainable bottleneck, identical in the base model and the student.

    Its output for the fixed evaluation crops is computed once, so the before, per-epoch and after
    checks run only the layers that train (the last 3 bottlenecks and the head are a small fraction
    of the network's cost). With layers="all" nothing is frozen and every check runs the whole model.
    """

    def __init__(self, base: nn.Module, first_trainable_block: int | None):
        self.base, self.k = base, first_trainable_block
        self._features: dict[int, tuple[np.ndarray, list[torch.Tensor]]] = {}

    @torch.no_grad()
    def _trunk(self, crops: np.ndarray) -> list[torch.Tensor]:
        key = id(crops)
        if key not in self._features:  # the crops are kept alongside, so the id stays theirs
            m = self.base
            device = next(m.parameters()).device
            feats = [m.blocks[: self.k](m.stem_pointwise(m.stem_depthwise(m.stem(x)))) for x in _batches(crops, device)]
            self._features[key] = (crops, feats)
        return self._features[key][1]

    @torch.no_grad()
    def embed(self, model: nn.Module, crops: np.ndarray) -> np.ndarray:
        """Embeddings by `model` (the base or the student), from the cached trunk output."""
        if self.k is None:
            return embed(model, crops)
        was_training = model.training
        model.eval()
        out = []
        for f in self._trunk(crops):
            x = model.conv_last(model.blocks[self.k :](f))
            out.append(model.embedding(model.linear(model.gdc(x))).flatten(1).float().cpu().numpy())
        model.train(was_training)
        return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


# ---------------------------------------------------------------------------------------------------
# Evaluation


@dataclass(slots=True)
class _EvalData:
    train: FaceSet
    held_out: FaceSet
    held_out_masked: np.ndarray
    unseen: PairSet | None
    unseen_masked_second: np.ndarray | None  # crops of the unseen set with a mask, for masked pairs


def _pairs(emb: np.ndarray, emb_b: np.ndarray, pairs: PairSet) -> Scores:
    a, b = l2_normalize(emb[pairs.pairs[:, 0]]), l2_normalize(emb_b[pairs.pairs[:, 1]])
    sims = np.sum(a * b, axis=1)
    return pair_scores(sims[pairs.same], sims[~pairs.same])


def evaluate(embed_fn: Callable[[np.ndarray], np.ndarray], data: _EvalData, with_unseen: bool = True) -> Evaluation:
    """Held-out photos against templates of the train photos; pairs of unseen people (if any)."""
    templates = class_templates(embed_fn(data.train.crops), data.train.labels, data.train.num_classes)
    result = Evaluation(
        held_out=probe_vs_templates(embed_fn(data.held_out.crops), data.held_out.labels, templates),
        held_out_masked=probe_vs_templates(embed_fn(data.held_out_masked), data.held_out.labels, templates),
    )
    if with_unseen and data.unseen is not None and len(data.unseen.pairs):
        emb = embed_fn(data.unseen.crops)
        result.unseen = _pairs(emb, emb, data.unseen)
        result.unseen_masked = _pairs(emb, embed_fn(data.unseen_masked_second), data.unseen)
    return result


def recommend(before: Evaluation, after: Evaluation, max_drop: float = TRAINER.max_auc_drop) -> tuple[bool, str]:
    """Offer the model only if masked held-out verification improves and nothing else drops."""
    checks = [("held-out unmasked AUC", before.held_out.auc, after.held_out.auc)]
    if before.unseen is not None and after.unseen is not None:
        checks.append(("unseen-people AUC", before.unseen.auc, after.unseen.auc))
    for name, b, a in checks:
        if a < b - max_drop:
            return False, f"{name} dropped from {b:.4f} to {a:.4f} (more than {max_drop:.4f})"
    bm, am = before.held_out_masked, after.held_out_masked
    # Masked TAR first; AUC and then the margin decide between equal TARs (both saturate on easy data).
    if (am.tar_at_far1, am.auc, am.margin) > (bm.tar_at_far1, bm.auc, bm.margin):
        return True, (f"masked TAR@FAR1% {bm.tar_at_far1:.3f} -> {am.tar_at_far1:.3f}, masked AUC {bm.auc:.4f} -> "
                      f"{am.auc:.4f}, masked margin {bm.margin:.3f} -> {am.margin:.3f}")
    return False, (f"not better on masked held-out photos (TAR@FAR1% {bm.tar_at_far1:.3f} -> {am.tar_at_far1:.3f}, "
                   f"AUC {bm.auc:.4f} -> {am.auc:.4f}, margin {bm.margin:.3f} -> {am.margin:.3f})")


# ---------------------------------------------------------------------------------------------------
# Training


def _lr_factor(step: int, warmup: int, total: int, min_ratio: float) -> float:
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(total - warmup, 1)
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


def _param_groups(backbone_params: list[nn.Parameter], head: nn.Module, cfg: FinetuneConfig) -> list[dict]:
    decay = [p for p in backbone_params if p.dim() >= 2]
    no_decay = [p for p in backbone_params if p.dim() < 2]  # biases, PReLU slopes
    groups = [
        {"params": decay, "lr": cfg.lr, "weight_decay": cfg.weight_decay},
        {"params": no_decay, "lr": cfg.lr, "weight_decay": 0.0},
        {"params": list(head.parameters()), "lr": cfg.lr * cfg.head_lr_mult, "weight_decay": 0.0},
    ]
    return [g for g in groups if g["params"]]


@dataclass(slots=True)
class _Dist:
    world_size: int = 1
    rank: int = 0
    local_rank: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world_size > 1


def _init_distributed() -> _Dist:
    """Join the process group when launched by torchrun (WORLD_SIZE > 1), else run alone (on the GPU
    if there is one)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return _Dist(device=torch.device("cuda" if torch.cuda.is_available() else "cpu"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        torch.cuda.set_device(local)
        dist.init_process_group("nccl")
        device = torch.device("cuda", local)
    else:
        dist.init_process_group("gloo")
        device = torch.device("cpu")
    return _Dist(world, dist.get_rank(), local, device)


def _broadcast_flags(d: _Dist, *flags: bool) -> list[bool]:
    """Rank 0's flags, on every rank."""
    if not d.active:
        return list(flags)
    t = torch.tensor([int(f) for f in flags], dtype=torch.int64, device=d.device)
    dist.broadcast(t, 0)
    return [bool(v) for v in t.tolist()]


def _any_rank(d: _Dist, flag: bool) -> bool:
    if not d.active:
        return flag
    t = torch.tensor([int(flag)], dtype=torch.int64, device=d.device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def _source_faces(source) -> FaceSet:
    return source if isinstance(source, FaceSet) else faceset_from_gallery(source)


def finetune(
    source,
    config: FinetuneConfig | None = None,
    progress_cb: ProgressCb | None = None,
    cancel_flag: CancelFlag = None,
    *,
    unseen: PairSet | None = None,
    base_model: nn.Module | None = None,
    export_dir: str | os.PathLike | None = None,
) -> TrainResult:
    """Fine-tune on `source` (a gallery, or a FaceSet) and, if it is a gallery, register the new model.

    The ONNX file goes to `export_dir`, by default the gallery's models folder; with a FaceSet and no
    export_dir nothing is exported. Raises TrainingError when the data cannot support training.
    Under torchrun every rank calls this; only rank 0 gets the full result.
    """
    cfg = config or FinetuneConfig()
    d = _init_distributed()
    try:
        return _finetune(source, cfg, progress_cb if d.main else None, cancel_flag, unseen, base_model,
                         export_dir, d)
    finally:
        if d.active:
            dist.destroy_process_group()


def _finetune(source, cfg: FinetuneConfig, progress_cb, cancel_flag, unseen, base_model, export_dir, d: _Dist):
    t_start = time.perf_counter()
    report = progress_cb or (lambda p: None)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    gallery = None if isinstance(source, FaceSet) else source

    report(Progress("prepare", epochs=cfg.epochs, message="loading photos"))
    faces = _source_faces(source)
    check_trainable(faces)
    train_set, held_set = split_per_person(faces, cfg.held_out_fraction, cfg.seed)

    base = use_native_prelu(copy.deepcopy(base_model) if base_model is not None else load_base_model())
    base = base.to(d.device).eval()
    for p in base.parameters():
        p.requires_grad_(False)
    student = copy.deepcopy(base).train()
    trainable = select_trainable(student, cfg.layers, cfg.last_blocks)
    trunk = FrozenTrunk(base, first_trainable_block(student, cfg.layers, cfg.last_blocks))

    # Distillation targets and head initialisation from the base model on clean train photos.
    base_train = torch.from_numpy(trunk.embed(base, train_set.crops)).to(d.device)
    head = ArcFaceHead(base_train.shape[1], train_set.num_classes, cfg.s, cfg.m, cfg.easy_margin).to(d.device)
    centroids = torch.zeros(train_set.num_classes, base_train.shape[1], device=d.device)
    centroids.index_add_(0, torch.from_numpy(train_set.labels).to(d.device), F.normalize(base_train, dim=1))
    head.init_from_centroids(centroids)
    trainee = _Trainee(student, head)
    model = nn.parallel.DistributedDataParallel(trainee) if d.active else trainee

    eval_data = None
    before = None
    if d.main:
        report(Progress("evaluate", epochs=cfg.epochs, message="evaluating the base model"))
        eval_data = _EvalData(
            train_set, held_set, masked_copies(held_set.crops, cfg.eval_seed), unseen,
            masked_copies(unseen.crops, cfg.eval_seed) if unseen is not None else None,
        )
        before = evaluate(functools.partial(trunk.embed, base), eval_data)

    dataset = AugmentedFaces(train_set, Augmenter(cfg.augment), cfg.seed, d.rank)
    sampler = (torch.utils.data.DistributedSampler(dataset, d.world_size, d.rank, shuffle=True, seed=cfg.seed)
               if d.active else None)
    per_rank_batch = max(1, math.ceil(cfg.batch_size / d.world_size))
    generator = torch.Generator().manual_seed(cfg.seed)
    loader = torch.utils.data.DataLoader(dataset, batch_size=per_rank_batch, shuffle=sampler is None,
                                         sampler=sampler, generator=generator, num_workers=0, drop_last=False)
    steps_per_epoch = len(loader)
    opt_steps_per_epoch = math.ceil(steps_per_epoch / cfg.grad_accum)
    total_opt = opt_steps_per_epoch * cfg.epochs
    warmup = max(1, round(cfg.warmup_epochs * opt_steps_per_epoch))
    optimizer = torch.optim.AdamW(_param_groups(trainable, head, cfg))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: _lr_factor(s, warmup, total_opt, cfg.min_lr_ratio))

    history: list[EpochStats] = []
    best_key, best_epoch, best_state, since_best = (-math.inf, -math.inf), 0, None, 0
    total_steps = steps_per_epoch * cfg.epochs
    done_steps, cancelled = 0, False
    t_train = time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        t_epoch = time.perf_counter()
        dataset.set_epoch(epoch)
        if sampler is not None:
            sampler.set_epoch(epoch)
        model.train()
        loss_sum, correct, seen = 0.0, 0, 0
        optimizer.zero_grad(set_to_none=True)
        for i, (x, y, idx) in enumerate(loader):
            if _any_rank(d, _cancelled(cancel_flag)):
                cancelled = True
                break
            x, y, idx = x.to(d.device), y.to(d.device), idx.to(d.device)
            last_micro = (i + 1) % cfg.grad_accum == 0 or i + 1 == steps_per_epoch
            sync = model.no_sync() if (d.active and not last_micro) else contextlib.nullcontext()
            with sync:
                emb, logits, plain = model(x, y)
                distill = (1.0 - F.cosine_similarity(emb, base_train[idx], dim=1)).mean()
                loss = arcface_loss(logits, y, cfg.label_smoothing) + cfg.distill_weight * distill
                (loss / cfg.grad_accum).backward()
            if last_micro:
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                scheduler.step()
            loss_sum += loss.item() * len(y)
            correct += int((plain.argmax(1) == y).sum())
            seen += len(y)
            done_steps += 1
            elapsed = time.perf_counter() - t_train
            report(Progress("train", epoch, cfg.epochs, done_steps, total_steps,
                            elapsed / done_steps * (total_steps - done_steps), loss_sum / seen, correct / seen))
        if cancelled:
            break
        stop = False
        if d.main:
            report(Progress("evaluate", epoch, cfg.epochs, done_steps, total_steps, message="held-out check"))
            key = evaluate(functools.partial(trunk.embed, student), eval_data, with_unseen=False).selection_key
            if key > best_key:
                best_key, best_epoch, since_best = key, epoch, 0
                best_state = copy.deepcopy(student.state_dict())
            else:
                since_best += 1
            stop = since_best >= cfg.patience
            history.append(EpochStats(epoch, loss_sum / max(seen, 1), correct / max(seen, 1),
                                      time.perf_counter() - t_epoch, *key))
        (stop,) = _broadcast_flags(d, stop)
        if stop:
            break

    result = TrainResult(before, None, False, "", history, best_epoch, cancelled,
                         num_people=faces.num_classes, num_train=len(train_set), num_held_out=len(held_set),
                         world_size=d.world_size)
    if not d.main:
        result.reason = f"rank {d.rank}: results are on rank 0"
        return result
    if cancelled or best_state is None:
        result.reason = "cancelled" if cancelled else "no epoch finished"
        result.seconds = time.perf_counter() - t_start
        report(Progress("done", message=result.reason))
        return result

    student.load_state_dict(best_state)
    student.eval()
    result.state_dict = best_state
    report(Progress("evaluate", epochs=cfg.epochs, message="evaluating the fine-tuned model"))
    result.after = evaluate(functools.partial(trunk.embed, student), eval_data)
    result.recommended, result.reason = recommend(before, result.after)

    if export_dir:
        out_dir = Path(export_dir)
    elif gallery is not None:
        from faceapp.recognition.model_versions import finetuned_dir

        out_dir = finetuned_dir(gallery)
    else:
        out_dir = None
    if out_dir is not None:
        report(Progress("export", epochs=cfg.epochs, message="exporting ONNX"))
        result.onnx_path, result.onnx_max_diff = export_checked(student.cpu(), out_dir, held_set.crops)
        if gallery is not None:
            result.version_id = register_version(gallery, result)
    result.seconds = time.perf_counter() - t_start
    report(Progress("done", epochs=cfg.epochs, message=result.reason))
    return result


# ---------------------------------------------------------------------------------------------------
# Export and registration

# onnxruntime must reproduce the torch module; L2-normalised embeddings (what matching uses) agree to
# ~1e-6 on a faithful export, so 1e-4 catches a broken graph, not float noise.
ONNX_TOLERANCE = 1e-4


def export_checked(model: nn.Module, out_dir: Path, check_crops: np.ndarray) -> tuple[Path, float]:
    """Export to out_dir/mobilefacenet-ft-<time>.onnx and verify onnxruntime against torch."""
    import onnxruntime as ort

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"mobilefacenet-ft-{time.strftime('%Y%m%d-%H%M%S')}.onnx"
    model = model.eval()
    export_onnx(model, path)
    x = to_input(check_crops[:16])
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    diff = float(np.abs(l2_normalize(got) - l2_normalize(want)).max())
    if diff > ONNX_TOLERANCE:
        path.unlink(missing_ok=True)
        raise TrainingError(f"the exported ONNX model differs from torch by {diff:.2e} (> {ONNX_TOLERANCE})")
    return path, diff


def register_version(gallery, result: TrainResult) -> int:
    """Record the exported model as a new, inactive model version with its before/after figures."""
    from faceapp.recognition.model_versions import register_finetuned

    metrics = {"before": result.before.as_dict(), "after": result.after.as_dict(),
               "recommended": result.recommended, "reason": result.reason}
    return register_finetuned(gallery, result.onnx_path, metrics).id


# ---------------------------------------------------------------------------------------------------
# Command line (also the torchrun entry point)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m trainer.finetune.loop", description=__doc__.split("\n\n")[0])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data-dir", help="faceapp data folder: train on its gallery and register the model there")
    src.add_argument("--faces", help="a .npz of aligned crops (FaceSet.save), for tests and benchmarks")
    p.add_argument("--out", help="folder for the exported ONNX (default: the data folder's models/)")
    p.add_argument("--unseen-dir", help="folder with deepface-style pair CSVs of people never trained on")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    defaults = FinetuneConfig()
    for name in ("epochs", "batch_size", "grad_accum", "patience", "seed", "threads"):
        p.add_argument("--" + name.replace("_", "-"), type=int, default=getattr(defaults, name))
    for name in ("lr", "weight_decay", "warmup_epochs", "distill_weight", "s", "m", "label_smoothing"):
        p.add_argument("--" + name.replace("_", "-"), type=float, default=getattr(defaults, name))
    p.add_argument("--layers", choices=["head", "last_blocks", "all"], default=defaults.layers)
    return p


def config_from_args(args: argparse.Namespace) -> FinetuneConfig:
    names = ("epochs", "batch_size", "grad_accum", "patience", "seed", "threads", "lr", "weight_decay",
             "warmup_epochs", "distill_weight", "s", "m", "label_smoothing", "layers")
    return FinetuneConfig(**{n: getattr(args, n) for n in names if hasattr(args, n)})


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    cfg = config_from_args(args)
    unseen = None
    if args.unseen_dir and int(os.environ.get("RANK", "0")) == 0:
        from trainer.finetune.eval_sets import pair_set_from_csv

        unseen = pair_set_from_csv(Path(args.unseen_dir))
    if args.faces:
        source = FaceSet.load(args.faces)
    else:
        from faceapp.storage.gallery import Gallery

        source = Gallery.open(args.data_dir)

    def show(p: Progress) -> None:
        if p.phase == "train" and not args.json:
            print(f"epoch {p.epoch}/{p.epochs} step {p.step}/{p.total_steps} loss {p.loss:.3f} "
                  f"acc {p.accuracy:.3f} eta {p.eta_s:.0f}s", file=sys.stderr)

    try:
        result = finetune(source, cfg, show, unseen=unseen, export_dir=args.out)
    except TrainingError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if int(os.environ.get("RANK", "0")) == 0:
        print(json.dumps(result.as_dict(), indent=2) if args.json else result.reason)
    return 0


if __name__ == "__main__":
    sys.exit(main())
