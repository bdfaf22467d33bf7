"""Verification and identification metrics shared by the evaluations and the trainer."""

from __future__ import annotations

import numpy as np


def roc_auc(scores: np.ndarray, same: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U, ties counted half)."""
    scores = np.asarray(scores, np.float64)
    same = np.asarray(same, bool)
    pos, neg = scores[same], scores[~same]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1
    ranks[order] = np.repeat(avg, counts)
    u = ranks[same].sum() - len(pos) * (len(pos) + 1) / 2.0
    return float(u / (len(pos) * len(neg)))


def tar_at_far(scores: np.ndarray, same: np.ndarray, far: float) -> tuple[float, float]:
    """(true accept rate, threshold) at the smallest threshold whose false accept rate is <= far."""
    scores = np.asarray(scores, np.float64)
    same = np.asarray(same, bool)
    neg = np.sort(scores[~same])[::-1]
    allowed = int(np.floor(far * len(neg)))
    # threshold just above the (allowed+1)-th highest impostor score
    threshold = np.nextafter(neg[allowed], np.inf) if allowed < len(neg) else -np.inf
    return float((scores[same] >= threshold).mean()), float(threshold)


def best_threshold(scores: np.ndarray, same: np.ndarray) -> tuple[float, float]:
    """(threshold, accuracy) maximising accuracy of `score >= threshold` on these pairs."""
    scores = np.asarray(scores, np.float64)
    same = np.asarray(same, bool)
    order = np.argsort(scores)
    s, y = scores[order], same[order]
    # accuracy when everything from index i upward is called "same"
    pos_above = np.concatenate([np.cumsum(y[::-1])[::-1], [0]])
    neg_below = np.concatenate([[0], np.cumsum(~y)])
    acc = (pos_above + neg_below) / len(s)
    i = int(np.argmax(acc))
    threshold = s[i] if i < len(s) else s[-1] + 1e-6
    if 0 < i < len(s):
        threshold = (s[i - 1] + s[i]) / 2.0
    return float(threshold), float(acc[i])


def kfold_accuracy(scores: np.ndarray, same: np.ndarray, folds: np.ndarray) -> tuple[float, float, list[float]]:
    """LFW protocol: threshold chosen on the other folds, accuracy on the held-out fold; (mean, std, per fold)."""
    scores, same, folds = np.asarray(scores), np.asarray(same, bool), np.asarray(folds)
    accs = []
    for k in np.unique(folds):
        train, test = folds != k, folds == k
        threshold, _ = best_threshold(scores[train], same[train])
        accs.append(float(((scores[test] >= threshold) == same[test]).mean()))
    return float(np.mean(accs)), float(np.std(accs)), accs


def kfold_tar_at_far(scores: np.ndarray, same: np.ndarray, folds: np.ndarray, far: float) -> tuple[float, float, list[float]]:
    """TAR at a FAR, fold by fold as the accuracy: the threshold where the other folds reach `far`,
    the TAR on the held-out fold; (mean, std, per fold). One fold alone has too few impostor pairs
    for FAR 0.1% (LFW: 300), so the spread of this is what a pooled TAR's last decimal is worth."""
    scores, same, folds = np.asarray(scores), np.asarray(same, bool), np.asarray(folds)
    tars = []
    for k in np.unique(folds):
        train, test = folds != k, folds == k
        _, threshold = tar_at_far(scores[train], same[train], far)
        tars.append(float((scores[test & same] >= threshold).mean()))
    return float(np.mean(tars)), float(np.std(tars)), tars


def rates_at(scores: np.ndarray, same: np.ndarray, threshold: float) -> tuple[float, float]:
    """(false accept rate, true accept rate) of `score >= threshold`."""
    scores, same = np.asarray(scores, np.float64), np.asarray(same, bool)
    accepted = scores >= threshold
    return float(accepted[~same].mean()), float(accepted[same].mean())


def rank1(probe: np.ndarray, probe_labels, gallery: np.ndarray, gallery_labels) -> float:
    """Fraction of probes whose most similar gallery embedding has the same label."""
    sims = np.asarray(probe) @ np.asarray(gallery).T
    best = np.asarray(gallery_labels)[np.argmax(sims, axis=1)]
    return float((best == np.asarray(probe_labels)).mean())


def verification_report(scores: np.ndarray, same: np.ndarray, far_at: tuple[float, ...] = ()) -> dict:
    """The figures every evaluation prints: AUC, TAR at FAR 1% and 0.1%, best accuracy; and FAR and
    TAR at each threshold of `far_at`."""
    tar1, thr1 = tar_at_far(scores, same, 0.01)
    tar01, thr01 = tar_at_far(scores, same, 0.001)
    threshold, acc = best_threshold(scores, same)
    at_threshold = []
    for t in far_at:
        far_t, tar_t = rates_at(scores, same, t)
        at_threshold.append({"threshold": t, "far": round(far_t, 4), "tar": round(tar_t, 4)})
    return {
        "pairs": int(len(scores)),
        "auc": round(roc_auc(scores, same), 5),
        "tar_at_far_1%": round(tar1, 4),
        "threshold_far_1%": round(thr1, 4),
        "tar_at_far_0.1%": round(tar01, 4),
        "best_accuracy": round(acc, 4),
        "best_threshold": round(threshold, 4),
        "at_threshold": at_threshold,
    }
