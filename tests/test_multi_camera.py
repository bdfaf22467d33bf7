"""Several cameras on one PC: two LiveSessions over two real clips at once, sharing one Engine and
one search index, with a real gallery; an In camera's recognitions count for first-in, an Out
camera's for last-out."""

import json
from datetime import datetime, timedelta

import pytest

from faceapp.attendance import Attendance
from faceapp.live.multi import MultiSession
from faceapp.live.pipeline import LivePipeline
from faceapp.live.session import Processed, State, StateChanged
from faceapp.live.sources import open_source
from faceapp.recognition.recognizer import embedder_version
from faceapp.settings import Camera
from faceapp.storage.gallery import Gallery, Sample


def enroll_first_faces(engine, gallery, clip, prefix):
    """Everyone in the clip's first frame, enrolled from it."""
    with open_source(clip) as src:
        first = next(src.frames())
    version = embedder_version(gallery, engine.embedder)
    faces = engine.analyze(first.image, eyes=False, mask=False)
    return [gallery.add_person(f"{prefix} {k}", samples=[Sample(crop=f.aligned)], embeddings=f.embedding[None],
                               model_version=version) for k, f in enumerate(faces)]


@pytest.mark.parametrize("threaded", [True, False])
def test_two_cameras_at_once_log_their_door_and_direction(engine, shared, tmp_path, threaded):
    talking, seated = shared / "videos" / "fi_protagonist.mp4", shared / "videos" / "multispeaker_short.mp4"
    with Gallery(tmp_path / "g.db") as gallery:
        enroll_first_faces(engine, gallery, talking, "Talking")
        enroll_first_faces(engine, gallery, seated, "Seated")
        searches: dict = {}
        pipelines = []

        def make_pipeline(camera, actions):
            pipelines.append(LivePipeline(engine, gallery, liveness="none", camera=camera, searches=searches))
            return pipelines[-1]

        cameras = [Camera(str(talking), "Front", "in"), Camera(str(seated), "Back", "out")]
        multi = MultiSession(cameras, make_pipeline, door=False)
        states, events = {0: [], 1: []}, {0: [], 1: []}
        for item in multi.run(max_frames=30):
            if isinstance(item.update, StateChanged):
                states[item.camera].append(item.update.state)
            elif isinstance(item.update, Processed) and item.update.result is not None:
                events[item.camera] += item.update.result.events
        multi.close()

        assert states[0][-1] == states[1][-1] == State.STOPPED and all(s.speed.summary()["frames"] == 30
                                                                       for s in multi.sessions)
        # the heavy parts are shared: one engine, one search index for both cameras
        assert len(searches) == 1 and pipelines[0].recognizer.search is pipelines[1].recognizer.search
        assert {e["person_name"].split()[0] for e in events[0] if e["kind"] == "recognised"} == {"Talking"}
        assert {e["person_name"].split()[0] for e in events[1] if e["kind"] == "recognised"} == {"Seated"}
        assert all(e["details"]["direction"] == "in" and e["door"] == "Front" for e in events[0])
        assert all(e["details"]["direction"] == "out" and e["door"] == "Back" for e in events[1])
        logged = gallery.events()
        assert {(e.door, e.details.get("direction")) for e in logged} == {("Front", "in"), ("Back", "out")}

        assert {r.door for r in Attendance(gallery).records()} == {"Front", "Back"}
        summary = {d.person_name: d for d in Attendance(gallery).summary()}
        talking_day = summary["Talking 0"]
        assert talking_day.first_in is not None and talking_day.last_out is None  # only the In camera saw them
        seated_days = [d for name, d in summary.items() if name.startswith("Seated")]
        assert len(seated_days) >= 2 and all(d.first_in is None and d.last_out is not None for d in seated_days)


def test_first_in_from_in_cameras_last_out_from_out_cameras(database):
    """On both backends (the direction column is a migration on each)."""
    with Gallery(database) as gallery:
        ann = gallery.add_person("Ann")
        att = Attendance(gallery)
        morning = datetime(2026, 12, 7, 8, 0).astimezone()
        seen = [("out", -30), ("in", 0), ("in", 2), ("out", 3), ("both", 240), ("out", 600), ("in", 610)]
        made = [att.record(ann.id, morning + timedelta(minutes=m), direction=d) for d, m in seen]
        # the cooldown (5 min) holds within a direction: the In camera seeing Ann again at 08:02 is no
        # record, the Out camera a minute later is; a both-ways camera counts against either
        assert [r is not None for r in made] == [True, True, False, True, True, True, True]
        day = att.summary()[0]
        assert day.first_in == morning  # the earlier Out record at 07:30 is no arrival
        assert day.last_out == morning + timedelta(minutes=600)  # the later In record is no departure
        assert day.records == 6
        assert [r.direction for r in att.records()] == ["out", "in", "out", "both", "out", "in"]


def test_run_with_two_cameras_tags_every_line(cli, shared):
    talking, seated = shared / "videos" / "fi_protagonist.mp4", shared / "videos" / "multispeaker_short.mp4"
    code, out = cli("run", "--camera", f"{talking}:Front:in", "--camera", f"{seated}:Back:out", "--max-frames", "5",
                    "--dry-run", "--no-liveness")
    lines = [json.loads(line) for line in out.splitlines()]
    summaries = [x for x in lines if x["type"] == "summary"]
    assert code == 0 and [(s["camera"], s["door"], s["direction"], s["frames"]) for s in summaries] == [
        (0, "Front", "in", 5), (1, "Back", "out", 5)]
    states = [(x["camera"], x["state"]) for x in lines if x["type"] == "state"]
    assert sorted(states) == sorted([(c, s) for c in (0, 1) for s in ("opening", "running", "stopped")])


def test_bench_cameras_reports_each_camera(cli, shared):
    clip = shared / "videos" / "multispeaker_short.mp4"
    code, out = cli("bench", "--cameras", clip, clip, "--seconds", "0.5", "--json")
    result = json.loads(out)["cameras"]
    assert code == 0 and result["mode"] == "threads" and len(result["cameras"]) == 2
    for camera in result["cameras"]:
        # every frame that came due was either handled or dropped
        assert camera["frames"] + camera["dropped"] == camera["frames_due"] == 15 and camera["frames"] >= 1
