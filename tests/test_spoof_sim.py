"""Simulated replays and prints of the shared clips (tests/spoof_sim.py) through the anti-spoofing check."""

import numpy as np
import pytest

from faceapp.config import ANTISPOOF
from spoof_sim import ATTACKS, CLIPS, SHARED, clip_frames, pipeline_on_clip, presentations, report


def test_simulations_keep_the_frame_shape_and_differ_from_it(shared):
    (_, frame), = clip_frames(SHARED / "blink" / "blink.mp4", 1)
    rng = np.random.default_rng(0)
    for kind, (make, _, share) in ATTACKS.items():
        out = make(frame, frame, rng, share[0])
        assert out.shape == frame.shape and out.dtype == np.uint8, kind
        assert np.abs(out.astype(int) - frame).mean() > 5, kind


@pytest.mark.slow
def test_replay_and_print_apcer_and_no_live_face_refused(shared):
    """The figures of docs/benchmarks.md (`python tests/spoof_sim.py`: APCER phone 0.111, tablet
    0.726, print 0.028; no live face refused) with a tolerance: no live face refused, phone replays
    and prints mostly refused; replays that fill the view are the known weakness, held where they are."""
    r = report(presentations(per_clip=12), ANTISPOOF.threshold)
    print({k: (r[k]["apcer"], r[k]["auc"]) for k in ATTACKS})
    assert r["live_faces"] >= 60 and r["print"]["bpcer"] == 0.0
    assert r["phone"]["apcer"] <= 0.15 and r["print"]["apcer"] <= 0.06 and r["tablet"]["apcer"] <= 0.85


@pytest.mark.slow
@pytest.mark.parametrize("clip", CLIPS)
def test_live_pipeline_refuses_no_live_person_as_a_spoof(engine, shared, clip):
    r = pipeline_on_clip(SHARED / clip, engine)
    assert r["person_tracks"] >= 1 and r["refused_as_spoof"] == 0, r
