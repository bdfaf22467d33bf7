"""Verification and identification figures from embeddings (numpy only, so the app can use them too)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Scores:
    auc: float  # ROC area of genuine vs impostor similarities
    tar_at_far1: float  # genuine accept rate at the threshold that lets in 1% of impostors
    rank1: float | None = None  # 1:N identification accuracy (None for a pair list)
    n_genuine: int = 0
    n_impostor: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def l2_normalize(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def roc_auc(genuine: np.ndarray, impostor: np.ndarray) -> float:
    """Probability that a genuine score beats an impostor score (ties count half): Mann-Whitney U."""
    genuine, impostor = np.asarray(genuine, np.float64), np.asarray(impostor, np.float64)
    if len(genuine) == 0 or len(impostor) == 0:
        return float("nan")
    scores = np.concatenate([genuine, impostor])
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), np.float64)
    ranks[order] = np.arange(1, len(scores) + 1)
    # Average ranks over ties.
    sorted_scores = scores[order]
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    for start, n in zip(first[counts > 1], counts[counts > 1]):
        ranks[order[start : start + n]] = ranks[order[start : start + n]].mean()
    u = ranks[: len(genuine)].sum() - len(genuine) * (len(genuine) + 1) / 2
    return float(u / (len(genuine) * len(impostor)))


def tar_at_far(genuine: np.ndarray, impostor: np.ndarray, far: float = 0.01) -> float:
    """Fraction of genuine scores above the strictest threshold that accepts at most `far` of impostors."""
    if len(genuine) == 0 or len(impostor) == 0:
        return float("nan")
    imp = np.sort(np.asarray(impostor, np.float64))[::-1]
    allowed = int(np.floor(far * len(imp)))  # impostors that may score above the threshold
    threshold = imp[allowed] if allowed < len(imp) else -np.inf
    return float(np.mean(np.asarray(genuine) > threshold))


def pair_scores(genuine: np.ndarray, impostor: np.ndarray, rank1: float | None = None) -> Scores:
    return Scores(roc_auc(genuine, impostor), tar_at_far(genuine, impostor), rank1, len(genuine), len(impostor))


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
    rank1 = float(np.mean(sims.argmax(axis=1) == probe_labels)) if len(probes) else float("nan")
    return pair_scores(sims[own], sims[~own], rank1)
