"""The live pipeline's logic on a scripted engine (no models): votes, blink wait, events, attendance."""

from types import SimpleNamespace

import numpy as np
import pytest

from faceapp.config import ANTISPOOF, LiveConfig
from faceapp.storage.gallery import Gallery, Sample
from faceapp.live.pipeline import LivePipeline
from faceapp.types import Detection, EyeState, Face

DIM = 8
EVERY_FRAME = LiveConfig(full_detect_s=0.0)  # the script answers whole frames only
FPS = 25.0


def unit(k):
    return np.eye(DIM, dtype=np.float32)[k]


class ScriptedEngine:
    """Faces per frame come from `script(frame_no) -> [(box, embedding, (left, right) openness)]`;
    the passive photo/screen check scores every face `real` (a live face by default)."""

    def __init__(self, tmp_path):
        model = tmp_path / "mobilefacenet.onnx"
        model.write_bytes(b"fake weights")
        self.embedder = SimpleNamespace(path=model, embed=lambda x: np.zeros((len(x), DIM), np.float32))
        self.script = lambda n: []
        self.frame = 0
        self.calls = {"eyes": 0, "embed": 0, "antispoof": 0}
        self.real = 0.95
        self.antispoof = SimpleNamespace(score=self._passive)

    def _passive(self, image, boxes):
        self.calls["antispoof"] += len(boxes)
        return np.full(len(boxes), self.real, np.float32)

    def detect(self, image):
        self.current = self.script(int(image[0, 0, 0]) + 256 * int(image[0, 0, 1]))
        return [Detection(box=np.array(b, np.float32), score=0.99, landmarks=np.zeros((5, 2), np.float32))
                for b, _, _ in self.current]

    def analyze(self, image, detections, *, eyes=True, mask=True, embed=True, timer=None, embedder=None):
        out = []
        for det in detections:
            _, emb, openness = next(c for c in self.current if np.allclose(c[0], det.box))
            face = Face(detection=det, aligned=np.zeros((112, 112, 3), np.uint8))
            if eyes:
                face.eyes = EyeState(*openness)
                self.calls["eyes"] += 1
            if mask:
                face.mask_score = 0.0
            if embed:
                face.embedding = emb
                self.calls["embed"] += 1
            out.append(face)
        return out


def frame(n):
    img = np.zeros((480, 640, 3), np.uint8)
    img[0, 0, 0], img[0, 0, 1] = n % 256, n // 256
    return img


def blinking(t, at=(1.2,)):
    return (0.07, 0.07) if any(abs(t - a) < 0.05 for a in at) else (0.3, 0.3)


@pytest.fixture
def world(tmp_path):
    engine = ScriptedEngine(tmp_path)
    gallery = Gallery(tmp_path / "g.db")
    pipe = LivePipeline(engine, gallery, config=EVERY_FRAME)
    ann = gallery.add_person("Ann", samples=[Sample(crop=np.zeros((112, 112, 3), np.uint8))],
                             embeddings=unit(0)[None], model_version=pipe.model_version)
    yield engine, gallery, pipe, ann
    gallery.close()


def run(pipe, engine, script, seconds, start=0):
    engine.script = script
    results = []
    for n in range(start, start + int(seconds * FPS)):
        results.append(pipe.process(frame(n), n / FPS))
    return results


def events(results):
    return [e for r in results for e in r.events]


def test_known_person_blinks_then_recognised_once(world):
    engine, gallery, pipe, ann = world
    box = (200, 100, 340, 260)
    results = run(pipe, engine, lambda n: [(box, unit(0), blinking(n / FPS))], 4)
    got = events(results)
    assert [e["kind"] for e in got] == ["recognised"] and got[0]["person_name"] == "Ann" and got[0]["attendance"]
    assert got[0]["timestamp"] >= 1.2  # not before the blink
    before = results[int(1.0 * FPS)].tracks[0]
    assert before.liveness_pending and not before.live and before.match.name == "Ann" and before.decision is None
    after = results[-1].tracks[0]
    assert after.live and not after.liveness_pending and after.decision.granted
    # eyes stop once live; the embedding runs about once a second once the identity settled
    assert engine.calls["eyes"] < 1.3 * FPS + 2 and engine.calls["embed"] < 12
    # the person leaves and comes back: a new track and a new event, but no second attendance record
    run(pipe, engine, lambda n: [], 2, start=100)
    again = events(run(pipe, engine, lambda n: [(box, unit(0), blinking(n / FPS, (6.6,)))], 2, start=150))
    assert [e["kind"] for e in again] == ["recognised"] and not again[0]["attendance"]
    assert len(pipe.attendance.records()) == 1


def test_photo_never_blinks_is_not_live(world):
    engine, gallery, pipe, ann = world
    results = run(pipe, engine, lambda n: [((200, 100, 340, 260), unit(0), (0.3, 0.29))], 7)
    got = events(results)
    assert [e["kind"] for e in got] == ["not_live"] and got[0]["person_id"] is None
    assert results[-1].tracks[0].decision.reason == "not_live"
    assert pipe.attendance.records() == []


def test_stranger_and_two_faces(world):
    engine, gallery, pipe, ann = world
    script = lambda n: [((50, 100, 170, 220), unit(0), blinking(n / FPS)),
                        ((400, 100, 520, 220), unit(3), blinking(n / FPS, (2.0,)))]
    results = run(pipe, engine, script, 3)
    got = events(results)
    assert sorted(e["kind"] for e in got) == ["recognised", "unknown"]
    assert len({e["track_id"] for e in got}) == 2
    assert {t.track_id for t in results[-1].tracks} == {e["track_id"] for e in got}


def test_someone_else_steps_into_the_box(world):
    engine, gallery, pipe, ann = world
    box = (200, 100, 340, 260)
    first = run(pipe, engine, lambda n: [(box, unit(0), blinking(n / FPS))], 2)
    # a different face in the same spot; its embedding is checked within reembed_s
    second = run(pipe, engine, lambda n: [(box, unit(5), blinking(n / FPS, (3.5,)))], 2.5, start=50)
    ids = {r.tracks[0].track_id for r in first} | {r.tracks[0].track_id for r in second[-5:]}
    assert len(ids) == 2
    assert second[-1].tracks[0].match is not None and not second[-1].tracks[0].match.known


def test_a_grant_rests_on_the_face_there_now(world):
    """Ann is recognised but has not blinked; a stranger takes her place in the same box (nothing
    else tells the cut) and blinks: the decision embeds the stranger's face first, which starts a new
    track, and nobody is let in as Ann."""
    engine, gallery, pipe, ann = world
    box = (200, 100, 340, 260)
    first = run(pipe, engine, lambda n: [(box, unit(0), (0.3, 0.3))], 0.6)
    assert first[-1].tracks[0].match.name == "Ann" and not first[-1].tracks[0].live
    # the blink comes before the settled track's next routine embedding (reembed_s after it settled)
    second = run(pipe, engine, lambda n: [(box, unit(5), blinking(n / FPS, (0.8,)))], 2, start=15)
    assert not any(e["kind"] == "recognised" for e in events(second))
    assert not any(t.decision is not None and t.decision.granted for r in second for t in r.tracks)
    assert second[-1].tracks[0].match is not None and not second[-1].tracks[0].match.known
    assert second[-1].tracks[0].track_id != first[-1].tracks[0].track_id


def test_dry_run_logs_nothing(tmp_path):
    engine = ScriptedEngine(tmp_path)
    with Gallery(tmp_path / "g.db") as gallery:
        pipe = LivePipeline(engine, gallery, config=EVERY_FRAME, log_events=False)
        got = events(run(pipe, engine, lambda n: [((200, 100, 340, 260), unit(1), blinking(n / FPS))], 2))
        assert [e["kind"] for e in got] == ["unknown"] and not got[0]["logged"]
        assert gallery.events() == []


def test_unknown_thing_that_never_blinks_is_quiet_and_cheap(world):
    engine, gallery, pipe, ann = world
    # a face-like false detection (a pumpkin): unknown, never blinks
    results = run(pipe, engine, lambda n: [((400, 100, 470, 180), unit(6), (0.3, 0.3))], 10)
    assert events(results) == [] and gallery.events() == []
    assert results[-1].tracks[0].liveness_pending and results[-1].tracks[0].decision is None
    eyes_before = engine.calls["eyes"]
    run(pipe, engine, lambda n: [((400, 100, 470, 180), unit(6), (0.3, 0.3))], 1, start=250)
    assert engine.calls["eyes"] == eyes_before  # no eye reads after the wait


def test_database_error_does_not_stop_the_pipeline(world, monkeypatch):
    from faceapp.storage.gallery import GalleryError

    engine, gallery, pipe, ann = world

    def broken(event):
        raise GalleryError("The disk holding the face database is full.")

    monkeypatch.setattr(pipe.attendance, "log", broken)
    got = events(run(pipe, engine, lambda n: [((200, 100, 340, 260), unit(0), blinking(n / FPS))], 2))
    assert [e["kind"] for e in got] == ["recognised"] and not got[0]["logged"] and "full" in got[0]["log_error"]


def test_a_model_switched_in_the_engine_is_followed_from_the_next_frame(world, tmp_path):
    engine, gallery, pipe, ann = world
    box = (200, 100, 340, 260)
    base = pipe.model_version
    before = run(pipe, engine, lambda n: [(box, unit(0), (0.3, 0.3))], 0.4)
    finetuned = tmp_path / "mobilefacenet-ft.onnx"
    finetuned.write_bytes(b"fine-tuned weights")
    engine.embedder = SimpleNamespace(path=finetuned, embed=engine.embedder.embed)  # the Trainer tab activated it

    # Ann has no embedding of the new version yet: to it she is a stranger, from the next frame on
    after = run(pipe, engine, lambda n: [(box, unit(0), blinking(n / FPS, (1.2,)))], 1.6, start=10)
    assert pipe.model_version.id != base.id and pipe.model_version.file == "mobilefacenet-ft.onnx"
    assert before[-1].tracks[0].match.name == "Ann" and after[0].tracks[0].match is None  # nothing to match yet
    assert [e["kind"] for e in events(after)] == ["unknown"]

    sample = gallery.samples_for(ann.id)[0]
    gallery.add_embeddings(pipe.model_version, [sample.id], unit(0)[None])
    run(pipe, engine, lambda n: [], 2, start=50)
    back = run(pipe, engine, lambda n: [(box, unit(0), blinking(n / FPS, (4.4,)))], 1.6, start=100)
    assert [e["kind"] for e in events(back)] == ["recognised"] and events(back)[0]["person_name"] == "Ann"


def test_replay_that_blinks_is_refused_as_a_spoof_and_blink_mode_lets_it_through(world, tmp_path):
    from faceapp import settings

    engine, gallery, pipe, ann = world
    engine.real = 0.1  # a phone replaying Ann's video: it blinks, but looks like a screen
    box = (200, 100, 340, 260)
    results = run(pipe, engine, lambda n: [(box, unit(0), blinking(n / FPS))], 3)
    got = events(results)
    assert [e["kind"] for e in got] == ["not_live"] and got[0]["person_id"] is None
    assert got[0]["details"] == {"access": "spoof_suspected", "passive_score": 0.1}
    assert got[0]["timestamp"] < 1.2  # refused at once, without waiting for the blink
    view = results[-1].tracks[0]
    assert view.spoof_suspected and not view.live and not view.liveness_pending
    assert view.decision.reason == "spoof_suspected" and view.decision.passive_score == pytest.approx(0.1)
    # a few looks per track, not every frame; no eye reads once the verdict is in
    assert engine.calls["antispoof"] == ANTISPOOF.frames
    assert engine.calls["eyes"] <= (ANTISPOOF.frames - 1) * ANTISPOOF.interval_s * FPS + 2
    assert pipe.attendance.records() == []

    settings.save(gallery, {"liveness.mode": "blink"})  # an attendance-only install
    pipe.reload_settings()
    pipe.reset()
    again = events(run(pipe, engine, lambda n: [(box, unit(0), blinking(n / FPS, (6.4,)))], 2, start=125))
    assert [e["kind"] for e in again] == ["recognised"]


def test_passive_mode_needs_no_blink(world):
    from faceapp import settings

    engine, gallery, pipe, ann = world
    settings.save(gallery, {"liveness.mode": "passive"})
    pipe.reload_settings()
    got = events(run(pipe, engine, lambda n: [((200, 100, 340, 260), unit(0), (0.3, 0.3))], 2))
    assert [e["kind"] for e in got] == ["recognised"] and got[0]["details"]["passive_score"] == pytest.approx(0.95)
    assert engine.calls["eyes"] == 0
