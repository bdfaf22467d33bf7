import numpy as np

from faceapp.live.liveness import BlinkDetector, blink_times

FPS = 30.0


def series(seconds=4.0, open_level=(0.30, 0.28), fps=FPS, noise=0.0, seed=0):
    n = int(seconds * fps)
    t = np.arange(n) / fps
    rng = np.random.default_rng(seed)
    lr = np.tile(np.array(open_level), (n, 1)) + rng.normal(0, noise, (n, 2))
    return t, lr


def dip(t, lr, at, duration, eyes=(0, 1), bottom=0.07):
    """A blink-shaped dip: down and back up over `duration` seconds, lowest at `at`."""
    for e in eyes:
        x = np.clip(1 - np.abs(t - at) / (duration / 2), 0, 1)  # triangle 0..1..0
        lr[:, e] = lr[:, e] * (1 - x) + bottom * x
    return lr


def test_blink_found_at_its_time():
    t, lr = series()
    lr = dip(t, lr, 2.0, 0.25)
    found = blink_times(lr, t)
    assert len(found) == 1 and abs(found[0] - 2.0) < 0.05


def test_two_blinks_at_other_frame_rates():
    for fps in (12.0, 25.0, 60.0):
        t, lr = series(fps=fps)
        lr = dip(t, lr, 1.5, 0.3)
        lr = dip(t, lr, 3.0, 0.3)
        assert len(blink_times(lr, t)) == 2, fps


def test_wink_is_not_a_blink():
    t, lr = series()
    for e in (0, 1):
        assert blink_times(dip(t, lr.copy(), 2.0, 0.25, eyes=(e,)), t) == []


def test_slow_closure_is_not_a_blink():
    t, lr = series()
    # eyes held shut for a second
    lr[(t > 1.5) & (t < 2.5)] = 0.06
    assert blink_times(lr, t) == []


def test_noise_and_glitches_are_not_blinks():
    t, lr = series(seconds=20, noise=0.03, seed=3)
    assert blink_times(lr, t) == []
    # a single-frame glitch of both eyes (landmark failure) is too short for a blink
    lr2 = lr.copy()
    lr2[90] = 0.05
    assert blink_times(lr2, t) == []


def test_shallow_dip_is_not_a_blink():
    t, lr = series(open_level=(0.42, 0.40))
    # wide eyes narrowing to 0.19: half the baseline, but above the absolute closed ceiling
    assert blink_times(dip(t, lr, 2.0, 0.25, bottom=0.19), t) == []


def test_closed_eyes_from_the_start_never_blink():
    t, lr = series(open_level=(0.06, 0.06))
    lr = dip(t, lr, 2.0, 0.3, bottom=0.01)
    assert blink_times(lr, t) == []


def test_no_blink_before_baseline_and_across_gaps():
    t, lr = series()
    lr = dip(t, lr, 0.05, 0.1)  # in the first frames: no baseline yet
    assert blink_times(lr, t) == []
    # samples missing around a dip (face lost): the closure's length is unknown -> ignored
    t, lr = series()
    lr = dip(t, lr, 2.0, 0.25)
    eyes = [None if 1.7 < ti < 2.3 and abs(ti - 2.0) > 0.02 else tuple(v) for ti, v in zip(t, lr)]
    assert blink_times(eyes, t) == []


def test_detector_live_flag():
    d = BlinkDetector()
    t, lr = series()
    lr = dip(t, lr, 2.0, 0.2)
    lives = [d.live for ti, v in zip(t, lr) if d.update(ti, v) or True]
    assert not lives[0] and lives[-1] and d.blinks[0].duration < 0.3


def test_unequal_lids_still_a_blink_but_not_a_squinting_wink():
    t, lr = series()
    lr = dip(t, lr, 1.5, 0.25, eyes=(0,))
    lr = dip(t, lr, 1.5, 0.25, eyes=(1,), bottom=0.13)  # the other lid only half-way down (0.46 of open)
    # a wink whose open eye narrows a little (to 0.8 of open) in sympathy
    lr = dip(t, lr, 3.0, 0.25, eyes=(0,))
    lr = dip(t, lr, 3.0, 0.25, eyes=(1,), bottom=0.22)
    found = blink_times(lr, t)
    assert len(found) == 1 and abs(found[0] - 1.5) < 0.05
