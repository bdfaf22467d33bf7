"""Blink liveness end to end on real footage: detector + iris model + BlinkDetector."""

import pytest

from faceapp.eval.blink import analyze_blinks, eval_blink, still_photo_clip
from faceapp.vision.imageio import load_image


def test_blink_clip_four_blinks_no_wink(engine, shared):
    times = eval_blink(shared / "blink" / "blink.mp4", engine)
    frames = [round(t * 25) for t in times]  # the clip is 25 FPS
    assert len(frames) == 4, frames
    for got, expected in zip(frames, (75, 120, 180, 205)):
        assert abs(got - expected) <= 6, frames
    assert not any(38 <= f <= 68 for f in frames)  # the wink


@pytest.mark.parametrize("photo,seed", [("blink/granger.jpg", 0), ("faces-sample/img5.jpg", 1)])
def test_still_photo_clip_never_blinks(engine, shared, photo, seed):
    report = analyze_blinks(still_photo_clip(load_image(shared / photo), frames=64, seed=seed), engine)
    assert report.frames_with_face >= 60
    assert report.times == []
