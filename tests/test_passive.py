"""Liveness modes: the blink and the passive anti-spoofing score combined per track."""

import pytest

from faceapp.config import ANTISPOOF
from faceapp.live.passive import LivenessMode, PassiveCheck, verdict


def settled(*scores: float) -> PassiveCheck:
    check = PassiveCheck()
    for i, s in enumerate(scores):
        check.add(i * ANTISPOOF.interval_s, s)
    return check


def test_a_few_spaced_samples_then_settled():
    check = PassiveCheck()
    assert check.wants(0.0) and check.score is None
    check.add(0.0, 0.9)
    assert not check.wants(ANTISPOOF.interval_s / 2) and check.wants(ANTISPOOF.interval_s)
    for k in range(1, ANTISPOOF.frames):
        check.add(k * ANTISPOOF.interval_s, 0.6)
    assert check.settled and not check.wants(100.0)
    assert check.score == pytest.approx((0.9 + 0.6 * (ANTISPOOF.frames - 1)) / ANTISPOOF.frames)


@pytest.mark.parametrize("mode,blinked,scores,live,spoof,waiting", [
    ("none", False, (), True, False, None),
    ("blink", False, (0.1, 0.1, 0.1), False, False, "blink"),  # blink mode ignores the score
    ("blink", True, (), True, False, None),
    ("passive", False, (), False, False, "passive"),
    ("passive", False, (0.9, 0.9, 0.9), True, False, None),
    ("passive", False, (0.1, 0.2, 0.3), False, True, None),
    ("both", False, (), False, False, "blink"),
    ("both", True, (0.9,), False, False, "passive"),
    ("both", False, (0.9, 0.9, 0.9), False, False, "blink"),
    ("both", True, (0.9, 0.8, 0.7), True, False, None),
    ("both", True, (0.1, 0.1, 0.1), False, True, None),  # a replayed video blinks: still refused
])
def test_verdict_per_mode(mode, blinked, scores, live, spoof, waiting):
    v = verdict(LivenessMode(mode), blinked, settled(*scores), ANTISPOOF.threshold)
    assert (v.live, v.spoof_suspected, v.waiting_for) == (live, spoof, waiting)
