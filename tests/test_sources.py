import numpy as np

from faceapp.live.sources import SourceStatus, open_source, probe_cameras


class FakeCapture:
    """A camera that delivers `frames` frames per plug-in, then drops out; `plugged` says if it opens."""

    def __init__(self, world):
        self.world = world
        self.opened = world["plugged"]
        self.left = world["frames"]

    def isOpened(self):
        return self.opened

    def read(self):
        if self.left <= 0:
            return False, None
        self.left -= 1
        return True, np.zeros((48, 64, 3), np.uint8)

    def set(self, *a):
        return True

    def get(self, *a):
        return 0.0

    def getBackendName(self):
        return "FAKE"

    def release(self):
        self.opened = False


def test_video_file_timestamps_and_end(shared):
    src = open_source(shared / "blink" / "blink.mp4")
    frames = list(src.frames())
    assert len(frames) == 252 and src.status == SourceStatus.ENDED and "end of video" in src.message
    ts = [f.timestamp for f in frames]
    assert ts[0] == 0.0 and abs(ts[25] - 1.0) < 1e-6 and all(b > a for a, b in zip(ts, ts[1:]))


def test_missing_and_broken_files(tmp_path):
    src = open_source(tmp_path / "nope.mp4")
    assert list(src.frames()) == [] and src.status == SourceStatus.FAILED and "no such file" in src.message
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video" * 100)
    src = open_source(bad)
    assert list(src.frames()) == [] and src.status == SourceStatus.FAILED


def test_camera_drops_out_and_comes_back(monkeypatch):
    from faceapp.live import sources
    monkeypatch.setattr(sources, "SOURCES", sources.SOURCES.__class__(reconnect_interval_s=0.0, reconnect_poll_s=0.0))
    world = {"plugged": True, "frames": 3}
    cam = open_source(0, opener=lambda target: FakeCapture(world), reconnect_s=5)
    got = [cam.read() for _ in range(3)]
    assert all(f is not None for f in got) and [f.index for f in got] == [0, 1, 2]
    assert cam.read() is None and cam.status == SourceStatus.RECONNECTING
    world["plugged"] = False
    assert cam.read() is None and cam.status == SourceStatus.RECONNECTING
    world.update(plugged=True, frames=2)
    frame = cam.read()
    assert frame is not None and frame.index == 3 and cam.status == SourceStatus.OK
    cam.close()
    assert cam.read() is None and cam.status == SourceStatus.CLOSED


def test_camera_gives_up_and_stop_flag(monkeypatch):
    world = {"plugged": False, "frames": 0}
    cam = open_source("1", opener=lambda target: FakeCapture(world))
    assert list(cam.frames()) == [] and cam.status == SourceStatus.FAILED and "camera 1" in cam.message
    world = {"plugged": True, "frames": 1}
    cam = open_source(0, opener=lambda target: FakeCapture(world), reconnect_s=0.0)
    assert len(list(cam.frames())) == 1 and cam.status == SourceStatus.FAILED  # lost, reconnect time spent
    world = {"plugged": True, "frames": 100}
    cam = open_source(0, opener=lambda target: FakeCapture(world))
    n = 0
    for _ in cam.frames(stop=lambda: n >= 5):
        n += 1
    assert n == 5


def test_stream_url_and_probe():
    assert open_source("rtsp://192.0.2.1/live").description.startswith("stream")
    world = {"plugged": True, "frames": 1}
    cams = probe_cameras(3, opener=lambda i: FakeCapture(world) if i == 1 else FakeCapture({"plugged": False, "frames": 0}))
    assert [c.index for c in cams] == [1] and cams[0].width == 64
