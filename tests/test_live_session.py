"""The Qt-free LiveSession on a real clip with a stand-in pipeline: pacing, settings posts, the frame
tap, the frame budget and a source that cannot be opened."""

import pytest

from faceapp.live.session import LiveSession, Processed, State, StateChanged, Tapped
from faceapp.types import FrameResult


class CountingPipeline:
    def __init__(self):
        self.frames, self.reloads = 0, 0

    def process(self, frame, timestamp):
        self.frames += 1
        return FrameResult(index=self.frames, timestamp=timestamp, tracks=[], events=[])

    def reload_settings(self):
        self.reloads += 1


def test_a_paced_clip_plays_at_its_frame_rate(shared):
    pipeline = CountingPipeline()
    session = LiveSession(lambda actions: pipeline, source=shared / "videos" / "multispeaker_short.mp4",
                          realtime=True, door=False)
    states = [u.state for u in session.run() if isinstance(u, StateChanged)]
    session.close()
    assert states == [State.OPENING, State.RUNNING, State.ENDED] and pipeline.frames == 30
    summary = session.speed.summary()
    assert summary["frames"] == 30 and summary["seconds"] >= 0.9  # 30 frames at 29.97 FPS, not faster
    assert summary["throughput_fps"] <= 33


def test_posts_taps_and_frame_budget(shared):
    pipeline = CountingPipeline()
    session = LiveSession(lambda actions: pipeline, source=shared / "videos" / "multispeaker_short.mp4", door=False)
    taps = []
    updates = []
    for update in session.run(max_frames=10):
        updates.append(update)
        if isinstance(update, Processed) and update.frame.index == 2:
            session.post(type(pipeline).reload_settings)  # applied once, before the next frame
            session.set_tap(lambda image, t: taps.append(t) or "seen")
        if isinstance(update, Processed) and update.frame.index == 5:
            session.set_tap(None)
    session.close()
    assert pipeline.reloads == 1 and len(taps) == 3 and pipeline.frames == 7
    assert [u.value for u in updates if isinstance(u, Tapped)] == ["seen"] * 3
    assert session.state == State.STOPPED and session.speed.summary()["frames"] == 10


def test_a_missing_file_fails_and_ends_the_run(tmp_path):
    session = LiveSession(lambda actions: CountingPipeline(), source=tmp_path / "missing.mp4", retry=True)
    states = [(u.state, u.detail) for u in session.run() if isinstance(u, StateChanged)]
    session.close()
    assert states[-1][0] == State.FAILED and "no such file" in states[-1][1]  # a file is never retried


def test_speed_keeps_fixed_memory_and_reads_percentiles_within_half_a_percent():
    """A door runs for months: the frame times live in a fixed histogram, not a growing list (the
    100,000-frame soak saw RSS grow by 32 bytes a frame before)."""
    import numpy as np

    from faceapp.live.session import Speed

    rng = np.random.default_rng(0)
    times = rng.lognormal(np.log(12.0), 0.4, 20_000)
    speed = Speed()
    size = speed.counts.nbytes
    for ms in times:
        speed.add(0.0, float(ms))
    assert speed.counts.nbytes == size and speed.frames == 20_000
    summary = speed.summary()
    assert summary["median_ms"] == pytest.approx(np.median(times), rel=0.006)
    assert summary["p90_ms"] == pytest.approx(np.percentile(times, 90), rel=0.006)
    assert Speed().summary()["median_ms"] is None
