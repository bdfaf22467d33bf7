"""The live worker with a stand-in pipeline: frames, states, lost-camera reconnect (no models needed)."""

from dataclasses import replace

import numpy as np

from faceapp.live import session as live_session
from faceapp.live import sources
from faceapp.types import Decision, FrameResult, Match, TrackView
from faceapp.ui.workers import live as lw


class FakePipeline:
    """Names every frame's one face 'Alice' and grants her."""

    def __init__(self):
        self.frames = 0

    def process(self, frame, timestamp):
        self.frames += 1
        h, w = frame.shape[:2]
        track = TrackView(track_id=1, box=np.array([w * 0.3, h * 0.2, w * 0.6, h * 0.7], np.float32),
                          landmarks=np.zeros((5, 2), np.float32),
                          match=Match(person_id=1, name="Alice", score=0.81, margin=0.3, threshold=0.45, masked=False),
                          live=True, liveness_pending=False, masked=False, eyes=None,
                          decision=Decision(True, "granted", "Welcome, Alice."))
        events = [{"kind": "recognised", "person_name": "Alice"}] if self.frames == 3 else []
        return FrameResult(index=self.frames, timestamp=timestamp, tracks=[track], events=events)


class FlakySource:
    """A camera that delivers two frames, drops out, and is back when reopened."""

    live = True
    description = "camera 7"

    def __init__(self, opened):
        self.left, self.status, self.message = 2, sources.SourceStatus.OK, ""
        opened.append(self)

    def read(self):
        if self.left == 0:
            self.status = sources.SourceStatus.FAILED
            self.message = "camera 7 lost"
            return None
        self.left -= 1
        return sources.Frame(image=np.full((48, 64, 3), 128, np.uint8), timestamp=0.0, index=0)

    def close(self):
        pass


def _worker(qtbot, open_source, pipeline):
    worker = lw.LiveWorker(open_source, lambda actions: pipeline)
    worker.session.realtime = False
    states, frames, events = [], [], []
    worker.state_changed.connect(lambda s, d: states.append(s))
    worker.frame_ready.connect(lambda image, result: (frames.append((image, result)), worker.frame_shown()))
    worker.events_ready.connect(events.extend)
    worker.start()
    return worker, states, frames, events


def test_video_file_plays_to_the_end_with_results(qtbot, shared):
    pipeline = FakePipeline()
    worker, states, frames, events = _worker(qtbot, sources.open_source, pipeline)
    try:
        worker.set_source(str(shared / "videos" / "multispeaker_short.mp4"))
        qtbot.waitUntil(lambda: lw.ENDED in states, timeout=30000)
    finally:
        worker.stop()
    assert states[0] == lw.OPENING and lw.RUNNING in states
    results = [r for _, r in frames if r is not None]
    assert results and results[-1].tracks[0].match.name == "Alice"
    image = frames[-1][0]
    assert (image.width(), image.height()) == (1280, 720)
    assert events == [{"kind": "recognised", "person_name": "Alice"}]


def test_lost_camera_reports_and_reconnects(qtbot, monkeypatch):
    monkeypatch.setattr(live_session, "SESSION", replace(live_session.SESSION, retry_delays_s=(0.05,)))
    opened = []
    worker, states, frames, _ = _worker(qtbot, lambda spec: FlakySource(opened), FakePipeline())
    try:
        worker.set_source(7)

        def running_again():  # running, lost, running (the models may load after the first loss)
            running = [i for i, state in enumerate(states) if state == lw.RUNNING]
            return bool(running) and lw.LOST in states[running[0]:] and running[-1] > states.index(lw.LOST, running[0])

        qtbot.waitUntil(running_again, timeout=20000)
    finally:
        worker.stop()
    assert len(opened) >= 2
    assert frames  # (frames the GUI has not painted yet are replaced, so not every one arrives)


def test_missing_models_fail_with_a_message_but_keep_the_picture(qtbot, shared):
    def broken(actions):
        raise FileNotFoundError("model file pnet.onnx is missing")

    worker = lw.LiveWorker(sources.open_source, broken)
    worker.session.realtime = False
    states, frames = [], []
    worker.state_changed.connect(lambda s, d: states.append((s, d)))
    worker.frame_ready.connect(lambda image, result: (frames.append(result), worker.frame_shown()))
    worker.start()
    try:
        worker.set_source(str(shared / "videos" / "multispeaker_short.mp4"))
        qtbot.waitUntil(lambda: bool(frames) and any(s == lw.NO_MODELS for s, _ in states), timeout=30000)
    finally:
        worker.stop()
    assert any("pnet.onnx" in d for s, d in states if s == lw.NO_MODELS)
    assert frames and all(r is None for r in frames)


def test_camera_picker_lists_probed_cameras(window, context, qtbot, monkeypatch):
    from types import SimpleNamespace

    live = window.live
    opened = []
    monkeypatch.setattr(live.worker.session, "_open_source", lambda spec: opened.append(spec) or FlakySource([]))
    live.start("/videos/door.mp4")
    monkeypatch.setattr("faceapp.live.sources.probe_cameras", lambda: [SimpleNamespace(index=0, width=640, height=480),
                                                                       SimpleNamespace(index=2, width=1280, height=720)])
    live.probe_button.click()
    assert not live.probe_button.isEnabled()  # until the answer comes
    qtbot.waitUntil(lambda: live.source_box.count() == 3, timeout=10_000)
    assert live.probe_button.isEnabled()
    assert [live.source_box.itemText(i) for i in range(3)] == ["Camera 0  (640×480)", "Camera 2  (1280×720)", "door.mp4"]
    assert live.source_box.currentText() == "door.mp4"  # the source showing stays chosen
    live.source_box.activated.emit(1)
    assert live.current_spec == 2
    qtbot.waitUntil(lambda: 2 in opened, timeout=10_000)
