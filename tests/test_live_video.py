"""The live pipeline end to end on real footage: enroll from one part of a clip, recognise in another."""

import json
import sys

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


def _enroll_with_door(engine, video, action):
    """The protagonist enrolled from the clip, and a door output in the settings (the CLI's data folder)."""
    with Gallery.open() as gallery:
        report = Enroller(engine, gallery).enroll("Protagonist", frames_at(video, ENROLL_AT), allow_largest=True)
        assert report.saved, report.to_json()
        gallery.set_setting("access.action", action)


def _run(cli, video, *extra):
    code, out = cli("run", "--source", video, "--max-frames", round(RUN_UNTIL * 25), *extra)
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and lines[-1]["type"] == "summary", lines[-3:]
    return lines


def test_run_opens_the_door_over_http(cli, engine, shared, http_server):
    """`faceapp run` drives the configured HTTP door output, once per visit, as the GUI does."""
    video = shared / "videos" / "fi_protagonist.mp4"
    _enroll_with_door(engine, video, {"kind": "http", "url": f"http://127.0.0.1:{http_server.server_port}/door"})
    lines = _run(cli, video)
    assert [(x["kind"], x["person_name"]) for x in lines if x["type"] == "event"] == [("recognised", "Protagonist")]
    assert [x for x in lines if x["type"] == "action"] == [{"type": "action", "person_name": "Protagonist", "ok": True}]
    assert lines[-1]["actions"] == {"done": 1, "failed": 0}
    ((content_type, body),) = http_server.received
    assert content_type.startswith("application/json") and body["person_name"] == "Protagonist"
    assert body["kind"] == "recognised" and body["details"]["access"] == "granted"


def test_run_opens_the_door_with_a_command(cli, engine, shared, tmp_path):
    video = shared / "videos" / "fi_protagonist.mp4"
    opened = tmp_path / "door.json"
    script = "import sys; open(sys.argv[1], 'a', encoding='utf-8').write(sys.stdin.read() + '\\n')"
    _enroll_with_door(engine, video, {"kind": "command", "argv": [sys.executable, "-c", script, str(opened)]})
    _run(cli, video, "--dry-run")
    assert not opened.exists()  # a dry run has no side effects: no log, no door
    lines = _run(cli, video)
    assert lines[-1]["actions"] == {"done": 1, "failed": 0}
    (body,) = [json.loads(line) for line in opened.read_text(encoding="utf-8").splitlines()]
    assert body["person_name"] == "Protagonist" and body["details"]["access"] == "granted"


def test_run_reports_a_failing_door(cli, engine, shared):
    video = shared / "videos" / "fi_protagonist.mp4"
    _enroll_with_door(engine, video, {"kind": "command", "argv": [sys.executable, "-c", "import sys; sys.exit(4)"]})
    lines = _run(cli, video)
    (action,) = [x for x in lines if x["type"] == "action"]
    assert action["ok"] is False and "exit code 4" in action["error"]
    assert lines[-1]["actions"] == {"done": 0, "failed": 1}
