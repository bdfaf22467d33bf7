import numpy as np

from faceapp.eval.metrics import (
    best_threshold, kfold_accuracy, kfold_tar_at_far, rank1, rates_at, roc_auc, tar_at_far, verification_report,
)


def test_auc_perfect_random_and_ties():
    same = np.array([1, 1, 0, 0], bool)
    assert roc_auc(np.array([0.9, 0.8, 0.1, 0.2]), same) == 1.0
    assert roc_auc(np.array([0.1, 0.2, 0.9, 0.8]), same) == 0.0
    assert roc_auc(np.array([0.5, 0.5, 0.5, 0.5]), same) == 0.5
    rng = np.random.default_rng(0)
    s, y = rng.random(4000), rng.random(4000) > 0.5
    assert abs(roc_auc(s, y) - 0.5) < 0.03


def test_tar_at_far():
    neg = np.linspace(0, 1, 1000)
    pos = np.array([0.995, 0.5, 0.999])
    scores = np.concatenate([pos, neg])
    same = np.concatenate([np.ones(3, bool), np.zeros(1000, bool)])
    tar, thr = tar_at_far(scores, same, 0.01)
    assert ((neg >= thr).mean()) <= 0.01
    assert tar == 2 / 3


def test_threshold_and_kfold():
    scores = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9] * 10)
    same = np.array([0, 0, 0, 1, 1, 1] * 10, bool)
    thr, acc = best_threshold(scores, same)
    assert acc == 1.0 and 0.3 < thr < 0.7
    mean, std, per = kfold_accuracy(scores, same, np.repeat(np.arange(10), 6))
    assert mean == 1.0 and std == 0.0 and len(per) == 10


def test_rank1():
    g = np.eye(3)
    assert rank1(np.eye(3), [0, 1, 2], g, [0, 1, 2]) == 1.0
    assert rank1(np.eye(3)[[1]], [0], g, [0, 1, 2]) == 0.0


def test_rates_at_threshold_and_in_the_report():
    scores = np.array([0.9, 0.5, 0.35, 0.2, 0.4, 0.1])
    same = np.array([1, 1, 1, 0, 0, 0], bool)
    assert rates_at(scores, same, 0.3) == (1 / 3, 1.0)
    assert rates_at(scores, same, 0.42) == (0.0, 2 / 3)
    rep = verification_report(scores, same, (0.3, 0.42))
    assert rep["at_threshold"] == [{"threshold": 0.3, "far": 0.3333, "tar": 1.0},
                                   {"threshold": 0.42, "far": 0.0, "tar": 0.6667}]
    assert verification_report(scores, same)["at_threshold"] == []


def test_kfold_tar_at_far_takes_the_threshold_from_the_other_folds():
    folds = np.repeat(np.arange(10), 20)
    same = np.tile(np.repeat([True, False], 10), 10)
    scores = np.where(same, 0.8, 0.2)
    scores[(folds == 3) & same] = 0.1  # below the impostors: the other folds' threshold rejects them all
    mean, std, per = kfold_tar_at_far(scores, same, folds, 0.001)
    assert per[3] == 0.0 and all(t == 1.0 for k, t in enumerate(per) if k != 3)
    assert mean == 0.9 and std == np.std(per)
