"""The live pipeline end to end on real footage: enroll from one part of a clip, recognise in another."""

import numpy as np

from faceapp.recognition.enroll import Enroller
from faceapp.storage.gallery import Gallery
from faceapp.live.pipeline import LivePipeline
from faceapp.live.sources import open_source

ENROLL_AT = (4.0, 4.4, 4.8, 5.2, 5.6)  # seconds into fi_protagonist.mp4, after the part the test runs on
RUN_UNTIL = 3.5


def frames_at(path, times):
    """Frames at these media times, in one sequential pass (seeking an mp4 decodes from a keyframe
    each time)."""
    out = []
    with open_source(path) as src:
        for frame in src.frames():
            if any(abs(frame.timestamp - t) < 0.02 for t in times):
                out.append((f"frame@{frame.timestamp:.2f}", frame.image))
            if frame.timestamp >= max(times):
                return out
    return out


def test_recognised_once_with_one_attendance_record(engine, shared, tmp_path):
    video = shared / "videos" / "fi_protagonist.mp4"
    with Gallery(tmp_path / "g.db") as gallery:
        report = Enroller(engine, gallery).enroll("Protagonist", frames_at(video, ENROLL_AT), allow_largest=True)
        assert report.saved and len(report.accepted) >= 3, report.to_json()
        pipe = LivePipeline(engine, gallery)
        results = []
        with open_source(video) as src:
            for frame in src.frames(stop=lambda: bool(results) and results[-1].timestamp >= RUN_UNTIL):
                results.append(pipe.process(frame.image, frame.timestamp))
        events = [e for r in results for e in r.events]
        recognised = [e for e in events if e["kind"] == "recognised"]
        assert len(recognised) == 1, events
        assert recognised[0]["person_name"] == "Protagonist" and recognised[0]["attendance"]
        assert recognised[0]["timestamp"] < 3.0  # her first blink is at ~1.4 s
        assert [e["kind"] for e in events] == ["recognised"]  # the pumpkin on the shelf stays quiet
        assert len(pipe.attendance.records()) == 1
        assert [e.kind for e in gallery.events()] == ["recognised"]
        main = [t for t in results[-1].tracks if t.match is not None and t.match.known]
        assert len(main) == 1 and main[0].live and main[0].decision.granted
        # the main face kept one track id through the run (blinks, talking, gestures)
        ids = {t.track_id for r in results for t in r.tracks if t.match is not None and t.match.known}
        assert len(ids) == 1
        frame_ms = np.median([r.timings_ms["total"] for r in results[30:]])
        print(f"median pipeline time {frame_ms:.1f} ms per 1280x720 frame")
