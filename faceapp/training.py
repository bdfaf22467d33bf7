"""Fine-tuning as the app sees it, without torch: what the user may choose, the one builder of the
training configuration, the trainability check and its errors, and the progress a run reports.

trainer.finetune (torch) trains with these; the Trainer tab, `faceapp train` and the tests build
their configuration here, and the GUI can say "enroll more people" without importing torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from importlib.util import find_spec
from typing import Literal, get_args

from faceapp.config import FINETUNE, TRAINER

Layers = Literal["head", "last_blocks", "all"]
LAYERS: tuple[str, ...] = get_args(Layers)


def trainer_available() -> bool:
    """Whether torch and the trainer package are installed (the trainer extra)."""
    return find_spec("torch") is not None and find_spec("trainer") is not None


# --- errors and the trainability check ------------------------------------------------------------


class TrainingError(Exception):
    """The data cannot support a fine-tune (too few people or photos); the message says what to do."""


class TooFewPeople(TrainingError):
    """Fewer people with enough photos than ArcFace needs; the GUI words it from the numbers."""

    def __init__(self, have: int, need: int, min_samples: int):
        self.have, self.need, self.min_samples = have, need, min_samples
        super().__init__(
            f"fine-tuning needs at least {need} enrolled people with {min_samples}+ photos each; "
            f"the gallery has {have}. Enroll more people first."
        )


class TooFewPhotos(TrainingError):
    """Some people have too few photos: `short` lists (name, photos) of each."""

    def __init__(self, short: list[tuple[str, int]], need: int):
        self.short, self.need = short, need
        super().__init__(
            f"every person needs at least {need} photos for fine-tuning (some are held out to check "
            f"the result); too few for: {', '.join(f'{name} ({n})' for name, n in short)}. "
            "Add photos or remove these people."
        )


def check_trainable(photos: dict[str, int], min_people: int = TRAINER.min_people,
                    min_samples: int = TRAINER.min_samples_per_person) -> None:
    """Raise TrainingError unless at least `min_people` people have `min_samples` photos each;
    `photos` is {person name: real photos}."""
    if len(photos) < min_people:
        raise TooFewPeople(len(photos), min_people, min_samples)
    short = [(name, int(n)) for name, n in photos.items() if n < min_samples]
    if short:
        raise TooFewPhotos(short, min_samples)


def gallery_photos(gallery) -> dict[str, int]:
    """{name: real photos} of the active people with any: what fine-tuning trains on (the synthetic
    masked variants are left out; trainer.finetune.data draws masks afresh)."""
    rows = gallery.query(
        "SELECT p.name AS name, COUNT(*) AS n FROM people p JOIN samples s ON s.person_id = p.id "
        "WHERE p.active AND s.mask_kind NOT LIKE 'synthetic-%' GROUP BY p.id ORDER BY p.id")
    return {r["name"]: int(r["n"]) for r in rows}


# --- configuration -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AugmentConfig:
    flip_p: float = 0.5
    brightness: float = 0.2  # gain in 1 +- this
    contrast: float = 0.2  # contrast about the mean in 1 +- this
    rotation_deg: float = 15.0  # in-plane roll left by alignment errors and head tilt
    scale: tuple[float, float] = (0.9, 1.1)  # face size jitter of the detector's box/landmarks
    shift_px: float = 4.0  # landmark jitter (masked faces move MTCNN's landmarks, ../shared/MODELS.md)
    mask_p: float = FINETUNE.mask_share  # synthetic mask, the case fine-tuning is mostly for
    occlusion_p: float = 0.2  # a random rectangle (hand, scarf, glare)
    occlusion_area: tuple[float, float] = (0.05, 0.30)  # fraction of the face covered


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
    # The options of the occluded-face recipe, each off until measured (docs/finetune.md, "Options"):
    focal_gamma: float = 0.0  # Focal Loss on the ArcFace logits: (1 - p_true)^gamma down-weights easy photos; 0 = cross-entropy
    cutmix: float = 0.0  # share of batches where a box of another photo is pasted in, labels mixed by area
    mixup: float = 0.0  # share of batches blended with a shuffled copy, labels mixed by the blend weight
    mix_alpha: float = 1.0  # Beta(alpha, alpha) of the CutMix area / MixUp weight
    attention: bool = False  # channel attention over the last feature map (trains, and the ONNX keeps it)
    patience: int = 4  # epochs without a better held-out score before stopping
    seed: int = 0
    held_out_fraction: float = TRAINER.held_out_fraction
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    threads: int | None = None  # torch threads per process; None: torch's default
    eval_seed: int = 1234  # masks of the held-out masked probes, fixed so before and after compare


@dataclass(slots=True)
class TrainingSettings:
    """What a user chooses (the Trainer tab's fields, `faceapp train`'s options); the rest of
    FinetuneConfig keeps its defaults unless a caller who knows better passes it to config()."""

    epochs: int = FINETUNE.epochs
    layers: str = FINETUNE.layers
    lr: float = FINETUNE.lr
    batch_size: int = FINETUNE.batch_size
    mask_share: float = FINETUNE.mask_share
    distill_weight: float = FINETUNE.distill_weight
    focal_gamma: float = 0.0  # expert options (FinetuneConfig says what each does); all off by default
    cutmix: float = 0.0
    mixup: float = 0.0
    attention: bool = False
    unseen_dir: str = ""  # photos of people not enrolled (pair lists optional); "" for none, no recommendation
    threads: int | None = None  # torch threads; None: torch's default (the GUI passes FINETUNE.gui_threads)

    def validate(self) -> None:
        """Raise ValueError naming the first value out of range."""
        if self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, not {self.epochs}")
        if self.layers not in LAYERS:
            raise ValueError(f"layers must be one of {', '.join(LAYERS)}, not {self.layers!r}")
        if not self.lr > 0:
            raise ValueError(f"the learning rate must be above 0, not {self.lr}")
        if self.batch_size < 1:
            raise ValueError(f"the batch size must be at least 1, not {self.batch_size}")
        if not 0 <= self.mask_share <= 1:
            raise ValueError(f"the masked share must be between 0 and 1, not {self.mask_share}")
        if self.distill_weight < 0:
            raise ValueError(f"the distillation weight must be 0 or more, not {self.distill_weight}")
        if not 0 <= self.focal_gamma <= 5:
            raise ValueError(f"the focal loss gamma must be between 0 and 5, not {self.focal_gamma}")
        for name, share in (("CutMix", self.cutmix), ("MixUp", self.mixup)):
            if not 0 <= share <= 1:
                raise ValueError(f"the {name} share must be between 0 and 1, not {share}")
        if self.cutmix + self.mixup > 1:
            raise ValueError(f"CutMix and MixUp shares add up to more than 1 ({self.cutmix} + {self.mixup})")

    def config(self, **expert) -> FinetuneConfig:
        """The one builder of FinetuneConfig, after validate(). `expert` sets other FinetuneConfig
        fields (seed, patience, ArcFace margins...)."""
        self.validate()
        augment = replace(expert.pop("augment", AugmentConfig()), mask_p=self.mask_share)
        return FinetuneConfig(epochs=self.epochs, layers=self.layers, lr=self.lr, batch_size=self.batch_size,  # type: ignore[arg-type]
                              distill_weight=self.distill_weight, focal_gamma=self.focal_gamma, cutmix=self.cutmix,
                              mixup=self.mixup, attention=self.attention, threads=self.threads, augment=augment,
                              **expert)


# --- progress ------------------------------------------------------------------------------------


@dataclass(slots=True)
class TrainProgress:
    """A training run's own figures, sent as faceapp.jobs.Step.detail."""

    phase: str  # "prepare" | "train" | "evaluate" | "export" | "done"
    epoch: int = 0  # 1-based during training
    epochs: int = 0
    step: int = 0  # micro-steps done, over the whole run
    total_steps: int = 0
    eta_s: float = 0.0
    loss: float = float("nan")  # running mean over the epoch
    accuracy: float = float("nan")  # running train accuracy (argmax of the margin-free logits)
    message: str = ""
