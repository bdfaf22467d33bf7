"""A new face in an old track, on real footage: a clip cut from the enrolled protagonist of
fi_protagonist.mp4 to the stranger of blink.mp4, both scaled and shifted so that their faces land
on the same spot of the frame, written as a real video file and run through the live pipeline."""

import cv2
import numpy as np
import pytest

from faceapp.live.pipeline import LivePipeline
from faceapp.live.sources import open_source
from faceapp.recognition.enroll import Enroller
from faceapp.storage.gallery import Gallery
from test_live_video import ENROLL_AT, frames_at

SIZE = (640, 480)
FPS = 25.0
FACE_AT, FACE_SIDE = (320.0, 220.0), 200.0  # where both people's faces are put, and how big
CUT_AT = 2.4  # seconds: the protagonist blinks at ~1.4 s and is let in before it
STRANGER_FROM = 60  # blink.mp4 frame the stranger's part starts at (blinks near frames 75 and 120)
STRANGER_S = 2.4


def _placed(path, start: int, count: int, engine) -> list[np.ndarray]:
    """`count` frames of a clip from `start`, scaled and shifted (one transform for the whole part)
    so the face of its first frame lands at FACE_AT with side FACE_SIDE."""
    cap = cv2.VideoCapture(str(path))
    cap.set(cv2.CAP_PROP_POS_FRAMES, start)
    frames = []
    while len(frames) < count:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    face = max(engine.detect(frames[0]), key=lambda d: d.size)
    s = FACE_SIDE / face.size
    cx, cy = (face.box[:2] + face.box[2:]) / 2
    m = np.float32([[s, 0, FACE_AT[0] - s * cx], [0, s, FACE_AT[1] - s * cy]])
    return [cv2.warpAffine(f, m, SIZE, borderMode=cv2.BORDER_REPLICATE) for f in frames]


@pytest.fixture(scope="module")
def cut_clip(engine, shared, tmp_path_factory):
    path = tmp_path_factory.mktemp("cut") / "cut.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, SIZE)
    assert writer.isOpened()
    for frame in (_placed(shared / "videos" / "fi_protagonist.mp4", 0, round(CUT_AT * FPS), engine)
                  + _placed(shared / "blink" / "blink.mp4", STRANGER_FROM, round(STRANGER_S * FPS), engine)):
        writer.write(frame)
    writer.release()
    return path


def test_the_stranger_after_the_cut_is_never_named_or_let_in(engine, shared, cut_clip, tmp_path):
    with Gallery(tmp_path / "g.db") as gallery:
        video = shared / "videos" / "fi_protagonist.mp4"
        report = Enroller(engine, gallery).enroll("Protagonist", frames_at(video, ENROLL_AT), allow_largest=True)
        assert report.saved, report.to_json()
        protagonist = report.person.id
        pipe = LivePipeline(engine, gallery)
        with open_source(cut_clip) as src:
            results = [pipe.process(frame.image, frame.timestamp) for frame in src.frames()]
    before = [r for r in results if r.timestamp < CUT_AT - 1e-3]
    after = [r for r in results if r.timestamp >= CUT_AT - 1e-3]
    assert len(after) >= STRANGER_S * FPS - 2
    # the protagonist is recognised and let in before the cut, on one track
    granted = [e for r in before for e in r.events if e["kind"] == "recognised"]
    assert len(granted) == 1 and granted[0]["person_id"] == protagonist
    her_track = granted[0]["track_id"]
    # from the first frame after the cut the stranger's face is not hers: never named, never let in
    for r in after:
        for t in r.tracks:
            assert t.track_id != her_track, r.timestamp
            assert t.match is None or t.match.person_id != protagonist, r.timestamp
            assert t.decision is None or not t.decision.granted, r.timestamp
    assert not any(e["kind"] == "recognised" for r in after for e in r.events)
    # the stranger is seen (and, after blinking, decided as unknown) on a track of their own
    last = [t for t in after[-1].tracks if t.match is not None]
    assert last and not last[0].match.known
