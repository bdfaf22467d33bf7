"""Before/after figures of a fine-tune: held-out photos against per-person templates, labelled pairs, and
strangers at the door (people never enrolled, against the enrolled people's templates)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from faceapp.eval.metrics import roc_auc, tar_at_far


@dataclass(frozen=True, slots=True)
class Scores:
    auc: float  # ROC area of genuine vs impostor similarities
    tar_at_far1: float  # genuine accept rate at the threshold that lets in 1% of impostors
    rank1: float | None = None  # 1:N identification accuracy (None for a pair list)
    n_genuine: int = 0
    n_impostor: int = 0
    # 1:N only: mean of (own template's similarity - best other person's), which keeps measuring
    # separation after AUC and rank-1 reach 1 on a small held-out set.
    margin: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def l2_normalize(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def pair_scores(genuine: np.ndarray, impostor: np.ndarray, rank1: float | None = None,
                margin: float | None = None) -> Scores:
    if not len(genuine) or not len(impostor):
        return Scores(float("nan"), float("nan"), rank1, len(genuine), len(impostor), margin)
    scores = np.concatenate([genuine, impostor])
    same = np.arange(len(scores)) < len(genuine)
    return Scores(roc_auc(scores, same), tar_at_far(scores, same, 0.01)[0], rank1, len(genuine), len(impostor), margin)


def class_templates(embeddings: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """One L2-normalised mean embedding per class, as the gallery matches a person."""
    emb = l2_normalize(embeddings)
    templates = np.zeros((num_classes, emb.shape[1]), np.float32)
    np.add.at(templates, labels, emb)
    return l2_normalize(templates)


def probe_vs_templates(probes: np.ndarray, probe_labels: np.ndarray, templates: np.ndarray) -> Scores:
    """1:N figures: each probe against every person's template (own = genuine, others = impostor)."""
    sims = l2_normalize(probes) @ templates.T
    own = np.zeros_like(sims, dtype=bool)
    own[np.arange(len(probe_labels)), probe_labels] = True
    if not len(probes):
        return pair_scores(sims[own], sims[~own], float("nan"), float("nan"))
    rank1 = float(np.mean(sims.argmax(axis=1) == probe_labels))
    margin = float(np.mean(sims[own] - np.where(own, -np.inf, sims).max(axis=1)))
    return pair_scores(sims[own], sims[~own], rank1, margin)


@dataclass(frozen=True, slots=True)
class DoorCheck:
    """The door's open-set decision at one threshold (FRVT's terms): strangers named, people missed."""

    threshold: float
    strangers_named: int  # stranger photos whose best score over the enrolled people reaches it
    strangers: int
    fnir: float  # share of held-out probes of enrolled people not named as themselves
    best_mean: float = float("nan")  # the strangers' best scores: how close they come, below the threshold too
    best_max: float = float("nan")

    @property
    def fpir(self) -> float:
        return self.strangers_named / self.strangers if self.strangers else float("nan")

    def as_dict(self) -> dict:
        return asdict(self)


def door_lines(before, after) -> list[str]:
    """The door checks of two Evaluations, before -> after, one line each (CLI and benchmark)."""
    lines = []
    for label, key in (("strangers", "door"), ("masked", "door_masked")):
        b, a = getattr(before, key, None), getattr(after, key, None)
        if b is not None and a is not None:
            lines.append(f"{label:<16} named at the door ({a.threshold:.2f}): {b.strangers_named} -> "
                         f"{a.strangers_named} of {a.strangers}   enrolled missed {b.fnir:.1%} -> {a.fnir:.1%}   strangers' best "
                         f"score mean {b.best_mean:.2f} -> {a.best_mean:.2f}, max {b.best_max:.2f} -> {a.best_max:.2f}")
    return lines


def door_check(probes: np.ndarray, probe_labels: np.ndarray, strangers: np.ndarray, templates: np.ndarray,
               threshold: float) -> DoorCheck:
    """Probes and strangers against the enrolled people's templates, decided as the door decides: the
    best-scoring person is named if the score reaches the threshold. A fine-tune on a few people pulls
    everyone else's faces towards them, which pairs of strangers among themselves cannot show."""
    sims = l2_normalize(probes) @ templates.T
    named_right = (sims.argmax(axis=1) == probe_labels) & (sims.max(axis=1) >= threshold)
    best_stranger = (l2_normalize(strangers) @ templates.T).max(axis=1)
    return DoorCheck(float(threshold), int(np.sum(best_stranger >= threshold)), len(strangers),
                     float(1.0 - named_right.mean()) if len(probes) else float("nan"),
                     float(best_stranger.mean()), float(best_stranger.max()))
