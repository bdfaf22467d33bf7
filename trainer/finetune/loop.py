"""Fine-tune the MobileFaceNet embedder on the enrolled people with an ArcFace head and masked augmentation.

    finetune(gallery_or_faces, TrainingSettings(...).config(), job) -> TrainResult

(faceapp.training holds the settings, the configuration and the errors, without torch; faceapp.jobs
the progress and cancel protocol.)

The loss is ArcFace over the enrolled people plus a distillation term, the cosine distance of each
embedding to the frozen base model's embedding of the clean photo: without it a few local people
pull the embedding space onto themselves and recognition of everyone else degrades; with clean
targets it also teaches the masked photo to land where the unmasked one did. The result is checked
before and after on held-out photos (unmasked and synthetic-masked) and on people it never saw (as
pairs, and as strangers at the door), and `TrainResult.recommended` is False unless the masked figures
improve without the others dropping and the door names no more strangers than before.

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
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from faceapp.config import THRESHOLDS, TRAINER
from faceapp.jobs import Job
from faceapp.reasons import Reason
from faceapp.training import (
    LAYERS,
    FinetuneConfig,
    Layers,
    TrainingError,
    TrainingSettings,
    TrainProgress,
    check_trainable,
)
from trainer.finetune.arcface import ArcFaceHead, arcface_loss
from trainer.finetune.data import (
    AugmentedFaces,
    Augmenter,
    FaceSet,
    faceset_from_gallery,
    masked_copies,
    split_per_person,
    to_input,
)
from trainer.finetune.eval_sets import PairSet
from trainer.finetune.metrics import (
    DoorCheck,
    Scores,
    class_templates,
    door_check,
    l2_normalize,
    pair_scores,
    probe_vs_templates,
)
from trainer.finetune.mix import mix_batch


@dataclass(slots=True)
class Evaluation:
    held_out: Scores  # held-out photos against the train photos' templates
    held_out_masked: Scores  # the same probes with a synthetic mask
    unseen: Scores | None = None  # pairs of people the model never saw
    unseen_masked: Scores | None = None  # the same with the second photo of each pair masked
    # The unseen people's photos as strangers at the door, with the held-out probes (metrics.door_check)
    door: DoorCheck | None = None
    door_masked: DoorCheck | None = None  # the same, probes and strangers masked

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
                 ("unseen", self.unseen), ("unseen_masked", self.unseen_masked),
                 ("door", self.door), ("door_masked", self.door_masked))}


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
    reason: str  # in English, for logs and the CLI
    why: Reason | None = None  # the recommendation's reason code, for the GUI to word
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
        d["why"] = self.why.to_json() if self.why else None
        d["seconds_per_epoch"] = self.seconds_per_epoch
        return d


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

    def forward(self, x: torch.Tensor, labels: torch.Tensor, other: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """(embeddings, margin logits for `labels`, for `other` (a mixed batch's second person) or
        None, margin-free cosines)."""
        emb = self.backbone(x)
        # The head in float32 even under autocast: cos(theta + m) near |cos| = 1 needs the precision.
        with torch.autocast(emb.device.type, enabled=False):
            emb32 = emb.float()
            logits = self.head(emb32, labels)
            logits_other = self.head(emb32, other) if other is not None else None
            with torch.no_grad():
                plain = self.head.cosine(emb32)  # margin-free, for the accuracy readout
        return emb32, logits, logits_other, plain


def autocast_for(device: torch.device):
    """Mixed precision (float16 autocast) on a GPU; on the CPU nothing changes (no autocast: bfloat16
    on a CPU is slower on most and would move the figures the docs give)."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.float16)
    return contextlib.nullcontext()


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
            out.append(model.tail(model.blocks[self.k :](f)).float().cpu().numpy())
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
    """Held-out photos against templates of the train photos; pairs of unseen people (if any) and their
    photos as strangers at the door."""
    templates = class_templates(embed_fn(data.train.crops), data.train.labels, data.train.num_classes)
    labels = data.held_out.labels
    held, held_masked = embed_fn(data.held_out.crops), embed_fn(data.held_out_masked)
    result = Evaluation(
        held_out=probe_vs_templates(held, labels, templates),
        held_out_masked=probe_vs_templates(held_masked, labels, templates),
    )
    if with_unseen and data.unseen is not None and len(data.unseen.crops):
        emb, emb_masked = embed_fn(data.unseen.crops), embed_fn(data.unseen_masked_second)
        if len(data.unseen.pairs):
            result.unseen = _pairs(emb, emb, data.unseen)
            result.unseen_masked = _pairs(emb, emb_masked, data.unseen)
        # At the shipped door thresholds: the site's own may differ, the comparison before/after holds.
        result.door = door_check(held, labels, emb, templates, THRESHOLDS.door_unmasked)
        result.door_masked = door_check(held_masked, labels, emb_masked, templates, THRESHOLDS.door_masked)
    return result


def recommend(before: Evaluation, after: Evaluation, max_drop: float = TRAINER.max_auc_drop) -> tuple[bool, Reason]:
    """Offer the model only if masked held-out verification improves, nothing else drops, and the door
    names no more strangers than before (which needs photos of people not enrolled)."""
    checks = [("ft_held_out_dropped", before.held_out.auc, after.held_out.auc)]
    if before.unseen is not None and after.unseen is not None:
        checks.append(("ft_unseen_dropped", before.unseen.auc, after.unseen.auc))
    for code, b, a in checks:
        if a < b - max_drop:
            return False, Reason(code, {"before": b, "after": a, "limit": max_drop})
    # After a fine-tune on 20 people at lr 3e-4, a 1,000-person gallery had to miss 36% of its people (13% before)
    # to name no more than 1 stranger in 1,000, while every 1:1 figure stayed level (docs/finetune.md):
    # the door check is what sees it, so it is required.
    if before.door is None or after.door is None:
        return False, Reason("ft_no_strangers")
    for code, b, a in (("ft_strangers_named", before.door, after.door),
                       ("ft_masked_strangers_named", before.door_masked, after.door_masked)):
        if a.strangers_named > b.strangers_named:
            return False, Reason(code, {"after": a.strangers_named, "total": a.strangers, "threshold": a.threshold,
                                        "before": b.strangers_named})
    bm, am = before.held_out_masked, after.held_out_masked
    figures = {"tar_before": bm.tar_at_far1, "tar_after": am.tar_at_far1, "auc_before": bm.auc, "auc_after": am.auc,
               "margin_before": bm.margin, "margin_after": am.margin}
    # Masked TAR first; AUC and then the margin decide between equal TARs (both saturate on easy data).
    better = (am.tar_at_far1, am.auc, am.margin) > (bm.tar_at_far1, bm.auc, bm.margin)
    return better, Reason("ft_better" if better else "ft_not_better", figures)


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
    job: Job | None = None,
    *,
    unseen: PairSet | None = None,
    base_model: nn.Module | None = None,
    export_dir: str | os.PathLike | None = None,
) -> TrainResult:
    """Fine-tune on `source` (a gallery, or a FaceSet) and, if it is a gallery, register the new model.

    Progress goes to `job` with a TrainProgress as each step's detail; a cancelled job stops at the
    next micro-step and exports nothing. The ONNX file goes to `export_dir`, by default the gallery's
    models folder; with a FaceSet and no export_dir nothing is exported. Raises TrainingError when
    the data cannot support training. Under torchrun every rank calls this; only rank 0 reports and
    gets the full result.
    """
    cfg = config or FinetuneConfig()
    d = _init_distributed()
    run = _Run(cfg, d, job or Job(), time.perf_counter())
    try:
        return _finetune(run, source, unseen, base_model, export_dir)
    finally:
        if d.active:
            dist.destroy_process_group()


def finetune_with(source, settings: TrainingSettings, job: Job | None = None, *,
                  export_dir: str | os.PathLike | None = None, **expert) -> TrainResult:
    """finetune() with the user's settings: the configuration from the shared builder and the
    people-not-enrolled check set from settings.unseen_dir (read on rank 0 only; eval_sets.unseen_set)."""
    cfg = settings.config(**expert)
    unseen = None
    if settings.unseen_dir and int(os.environ.get("RANK", "0")) == 0:
        from trainer.finetune.eval_sets import unseen_set

        (job or Job()).report(0, 0, "Finding the faces of the people not enrolled…")
        unseen = unseen_set(Path(settings.unseen_dir))
    return finetune(source, cfg, job, unseen=unseen, export_dir=export_dir)


@dataclass(slots=True)
class _Run:
    """What the steps of one run share."""

    cfg: FinetuneConfig
    d: _Dist
    job: Job
    t_start: float

    def report(self, phase: str, epoch: int = 0, step: int = 0, total: int = 0, message: str = "", **figures) -> None:
        if not self.d.main:  # the other ranks train silently
            return
        p = TrainProgress(phase, epoch, self.cfg.epochs, step, total, message=message, **figures)
        text = message or (f"epoch {epoch}/{p.epochs} loss {p.loss:.3f} acc {p.accuracy:.3f}" if phase == "train" else phase)
        self.job.report(step, total, text, p)

    @property
    def cancelled(self) -> bool:
        return _any_rank(self.d, self.job.cancelled)


@dataclass(slots=True)
class _Models:
    base: nn.Module  # frozen: distillation targets and the "before" figures
    student: nn.Module
    head: ArcFaceHead
    model: nn.Module  # student + head, DDP-wrapped when distributed
    trainable: list[nn.Parameter]
    trunk: FrozenTrunk
    base_train: torch.Tensor  # the base model's embeddings of the clean train photos


@dataclass(slots=True)
class _Training:
    history: list[EpochStats] = field(default_factory=list)
    best_key: tuple[float, float] = (-math.inf, -math.inf)
    best_epoch: int = 0
    best_state: dict | None = None
    since_best: int = 0
    done_steps: int = 0
    cancelled: bool = False


def _finetune(run: _Run, source, unseen, base_model, export_dir) -> TrainResult:
    cfg, d = run.cfg, run.d
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    faces, train_set, held_set = _load_data(run, source)
    models = _build_models(cfg, d, base_model, train_set)
    eval_data, before = _evaluate_base(run, models, train_set, held_set, unseen)
    training = _train(run, models, train_set, eval_data)

    result = TrainResult(before, None, False, "", history=training.history, best_epoch=training.best_epoch,
                         cancelled=training.cancelled, num_people=faces.num_classes, num_train=len(train_set),
                         num_held_out=len(held_set), world_size=d.world_size)
    if not d.main:
        result.reason = f"rank {d.rank}: results are on rank 0"
        return result
    if training.cancelled or training.best_state is None:
        result.reason = "cancelled" if training.cancelled else "no epoch finished"
    else:
        _evaluate_and_export(run, models, training.best_state, eval_data, result,
                             None if isinstance(source, FaceSet) else source, export_dir)
    result.seconds = time.perf_counter() - run.t_start
    run.report("done", message=result.reason)
    return result


def _load_data(run: _Run, source) -> tuple[FaceSet, FaceSet, FaceSet]:
    """The photos, checked to support training, split per person into train and held-out."""
    run.report("prepare", message="loading photos")
    faces = _source_faces(source)
    check_trainable(faces.photos())
    return (faces, *split_per_person(faces, run.cfg.held_out_fraction, run.cfg.seed))


def _build_models(cfg: FinetuneConfig, d: _Dist, base_model: nn.Module | None, train_set: FaceSet) -> _Models:
    """The frozen base, the student with its chosen layers unfrozen, and the ArcFace head started
    from the base model's class means of the clean train photos."""
    base = use_native_prelu(copy.deepcopy(base_model) if base_model is not None else load_base_model())
    base = base.to(d.device).eval()
    for p in base.parameters():
        p.requires_grad_(False)
    student = copy.deepcopy(base).train()
    if cfg.attention:
        from trainer.mobilefacenet import ChannelAttention

        student.attention = ChannelAttention(student.conv_last.conv.out_channels).to(d.device)
    trainable = select_trainable(student, cfg.layers, cfg.last_blocks)
    trunk = FrozenTrunk(base, first_trainable_block(student, cfg.layers, cfg.last_blocks))

    base_train = torch.from_numpy(trunk.embed(base, train_set.crops)).to(d.device)
    head = ArcFaceHead(base_train.shape[1], train_set.num_classes, cfg.s, cfg.m, cfg.easy_margin).to(d.device)
    centroids = torch.zeros(train_set.num_classes, base_train.shape[1], device=d.device)
    centroids.index_add_(0, torch.from_numpy(train_set.labels).to(d.device), F.normalize(base_train, dim=1))
    head.init_from_centroids(centroids)
    trainee = _Trainee(student, head)
    model = nn.parallel.DistributedDataParallel(trainee) if d.active else trainee
    return _Models(base, student, head, model, trainable, trunk, base_train)


def _evaluate_base(run: _Run, models: _Models, train_set: FaceSet, held_set: FaceSet,
                   unseen: PairSet | None) -> tuple[_EvalData | None, Evaluation | None]:
    """The fixed evaluation data and the base model's figures on it (rank 0 only)."""
    if not run.d.main:
        return None, None
    run.report("evaluate", message="evaluating the base model")
    seed = run.cfg.eval_seed
    eval_data = _EvalData(train_set, held_set, masked_copies(held_set.crops, seed), unseen,
                          masked_copies(unseen.crops, seed) if unseen is not None else None)
    return eval_data, evaluate(functools.partial(models.trunk.embed, models.base), eval_data)


def _loader(run: _Run, train_set: FaceSet):
    """(dataset, DDP sampler or None, loader) of the augmented train photos."""
    cfg, d = run.cfg, run.d
    dataset = AugmentedFaces(train_set, Augmenter(cfg.augment), cfg.seed, d.rank)
    sampler = (torch.utils.data.DistributedSampler(dataset, d.world_size, d.rank, shuffle=True, seed=cfg.seed)
               if d.active else None)
    per_rank_batch = max(1, math.ceil(cfg.batch_size / d.world_size))
    generator = torch.Generator().manual_seed(cfg.seed)
    loader = torch.utils.data.DataLoader(dataset, batch_size=per_rank_batch, shuffle=sampler is None,
                                         sampler=sampler, generator=generator, num_workers=0, drop_last=False)
    return dataset, sampler, loader


def _optimizer(cfg: FinetuneConfig, models: _Models, steps_per_epoch: int):
    """AdamW with a linear warm-up and cosine decay, per optimizer step."""
    opt_steps_per_epoch = math.ceil(steps_per_epoch / cfg.grad_accum)
    total_opt = opt_steps_per_epoch * cfg.epochs
    warmup = max(1, round(cfg.warmup_epochs * opt_steps_per_epoch))
    optimizer = torch.optim.AdamW(_param_groups(models.trainable, models.head, cfg))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: _lr_factor(s, warmup, total_opt, cfg.min_lr_ratio))
    return optimizer, scheduler


def _train(run: _Run, models: _Models, train_set: FaceSet, eval_data: _EvalData | None) -> _Training:
    """Epochs until the last, a cancel, or `patience` epochs without a better held-out check."""
    cfg, d = run.cfg, run.d
    dataset, sampler, loader = _loader(run, train_set)
    optimizer, scheduler = _optimizer(cfg, models, len(loader))
    # Loss scaling for float16 on a GPU; disabled (a pass-through) on the CPU.
    scaler = torch.amp.GradScaler("cuda", enabled=d.device.type == "cuda")
    state = _Training()
    t_train = time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        t_epoch = time.perf_counter()
        dataset.set_epoch(epoch)
        if sampler is not None:
            sampler.set_epoch(epoch)
        loss, accuracy = _train_epoch(run, models, loader, optimizer, scheduler, scaler, epoch, state, t_train)
        if state.cancelled:
            break
        stop = d.main and _check_epoch(run, models, eval_data, epoch, state,
                                       EpochStats(epoch, loss, accuracy, time.perf_counter() - t_epoch, 0.0, 0.0))
        (stop,) = _broadcast_flags(d, stop)
        if stop:
            break
    return state


def _train_epoch(run: _Run, models: _Models, loader, optimizer, scheduler, scaler, epoch: int, state: _Training,
                 t_train: float) -> tuple[float, float]:
    """One pass over the train photos; (mean loss, train accuracy). Sets state.cancelled on a cancel."""
    cfg, d, model = run.cfg, run.d, models.model
    steps_per_epoch, total_steps = len(loader), len(loader) * cfg.epochs
    model.train()
    loss_sum, correct, seen = 0.0, 0, 0
    optimizer.zero_grad(set_to_none=True)
    rng = np.random.default_rng([cfg.seed, d.rank, epoch])  # the CutMix/MixUp draws
    for i, (x, y, idx) in enumerate(loader):
        if run.cancelled:
            state.cancelled = True
            break
        x, y, idx = x.to(d.device), y.to(d.device), idx.to(d.device)
        last_micro = (i + 1) % cfg.grad_accum == 0 or i + 1 == steps_per_epoch
        sync = model.no_sync() if (d.active and not last_micro) else contextlib.nullcontext()
        mixed = mix_batch(x, rng, cfg.cutmix, cfg.mixup, cfg.mix_alpha)
        other = None if mixed.perm is None else y[mixed.perm]
        with sync:
            with autocast_for(d.device):
                emb, logits, logits_other, plain = model(mixed.x, y, other)
            target = models.base_train[idx]
            loss = arcface_loss(logits, y, cfg.label_smoothing, cfg.focal_gamma)
            if logits_other is not None:  # label-mixed: each person by their share of the photo
                target = mixed.lam * target + (1.0 - mixed.lam) * target[mixed.perm]
                loss = mixed.lam * loss + (1.0 - mixed.lam) * arcface_loss(
                    logits_other, other, cfg.label_smoothing, cfg.focal_gamma)
            distill = (1.0 - F.cosine_similarity(emb, target, dim=1)).mean()
            loss = loss + cfg.distill_weight * distill
            scaler.scale(loss / cfg.grad_accum).backward()
        if last_micro:
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
            scheduler.step()
        loss_sum += loss.item() * len(y)
        correct += int((plain.argmax(1) == y).sum())
        seen += len(y)
        state.done_steps += 1
        eta = (time.perf_counter() - t_train) / state.done_steps * (total_steps - state.done_steps)
        run.report("train", epoch, state.done_steps, total_steps, eta_s=eta, loss=loss_sum / seen,
                   accuracy=correct / seen)
    return loss_sum / max(seen, 1), correct / max(seen, 1)


def _check_epoch(run: _Run, models: _Models, eval_data: _EvalData, epoch: int, state: _Training,
                 stats: EpochStats) -> bool:
    """The held-out check after an epoch (rank 0): keep the best weights; whether to stop early."""
    run.report("evaluate", epoch, state.done_steps, message="held-out check")
    key = evaluate(functools.partial(models.trunk.embed, models.student), eval_data, with_unseen=False).selection_key
    if key > state.best_key:
        state.best_key, state.best_epoch, state.since_best = key, epoch, 0
        state.best_state = copy.deepcopy(models.student.state_dict())
    else:
        state.since_best += 1
    stats.held_out_auc, stats.masked_margin = key
    state.history.append(stats)
    return state.since_best >= run.cfg.patience


def _evaluate_and_export(run: _Run, models: _Models, best_state: dict, eval_data: _EvalData,
                         result: TrainResult, gallery, export_dir) -> None:
    """The chosen epoch's figures against the base model's; then export and register the model."""
    student = models.student
    student.load_state_dict(best_state)
    student.eval()
    result.state_dict = best_state
    run.report("evaluate", message="evaluating the fine-tuned model")
    result.after = evaluate(functools.partial(models.trunk.embed, student), eval_data)
    result.recommended, result.why = recommend(result.before, result.after)
    result.reason = result.why.text()

    if export_dir:
        out_dir = Path(export_dir)
    elif gallery is not None:
        from faceapp.recognition.model_versions import finetuned_dir

        out_dir = finetuned_dir(gallery)
    else:
        return
    run.report("export", message="exporting ONNX")
    result.onnx_path, result.onnx_max_diff = export_checked(student.cpu(), out_dir, eval_data.held_out.crops)
    if gallery is not None:
        result.version_id = register_version(gallery, result)


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
               "recommended": result.recommended, "reason": result.reason, "why": result.why.to_json()}
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
    for name in SETTINGS_INT + EXPERT_INT:
        p.add_argument("--" + name.replace("_", "-"), type=int, default=getattr(defaults, name))
    for name in SETTINGS_FLOAT + EXPERT_FLOAT:
        p.add_argument("--" + name.replace("_", "-"), type=float, default=getattr(defaults, name))
    p.add_argument("--layers", choices=LAYERS, default=defaults.layers)
    p.add_argument("--attention", action="store_true", help="add the channel-attention block (the ONNX keeps it)")
    return p


# The options that are TrainingSettings fields, and the expert ones passed on to its config().
SETTINGS_INT, SETTINGS_FLOAT = ("epochs", "batch_size", "threads"), ("lr", "distill_weight", "focal_gamma", "cutmix", "mixup")
EXPERT_INT, EXPERT_FLOAT = ("grad_accum", "patience", "seed"), ("weight_decay", "warmup_epochs", "s", "m", "label_smoothing")


def main(argv: list[str] | None = None) -> int:
    from faceapp.cli.progress import progress_bar

    args = build_parser().parse_args(argv)
    settings = TrainingSettings(layers=args.layers, unseen_dir=args.unseen_dir or "", attention=args.attention,
                                **{n: getattr(args, n) for n in SETTINGS_INT + SETTINGS_FLOAT})
    expert = {n: getattr(args, n) for n in EXPERT_INT + EXPERT_FLOAT}
    if args.faces:
        source = FaceSet.load(args.faces)
    else:
        from faceapp.storage.gallery import Gallery

        source = Gallery.open(args.data_dir)
    main_rank = int(os.environ.get("RANK", "0")) == 0  # one bar, not one per process
    try:
        with progress_bar("fine-tuning", "step") if main_rank else contextlib.nullcontext(Job()) as job:
            result = finetune_with(source, settings, job, export_dir=args.out, **expert)
    except (TrainingError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if main_rank:
        print(json.dumps(result.as_dict(), indent=2) if args.json else result.reason)
    return 0


if __name__ == "__main__":
    sys.exit(main())
