"""Guided capture sequencing with a stand-in enroller (the real gates are tested with enroll.py)."""

from types import SimpleNamespace

import numpy as np

from faceapp.config import CaptureConfig
from faceapp.reasons import Reason
from faceapp.recognition.enroll import Rejected
from faceapp.live.guided_capture import NOT_IN_OVAL, NOT_STRAIGHT, NOT_TURNED, SAME_SIDE, GuidedCapture
from faceapp.types import Match

FRAME = np.zeros((480, 640, 3), np.uint8)
CENTRE = np.array([270, 190, 370, 290], np.float32)
CORNER = np.array([0, 0, 100, 100], np.float32)


class FakeEnroller:
    """check() answers from a script of (yaw, box) or a rejection reason; recognizer names nobody."""

    def __init__(self, script):
        self.script = iter(script)
        self.recognizer = SimpleNamespace(identify_embedding=self.identify)
        self.match = Match(None, None, 0.1, 0.1, 0.45, False)

    def identify(self, embedding, masked):
        return self.match

    def duplicate_of(self, embedding, person_id):
        return self.match if self.match.known and self.match.person_id != person_id else None

    def check(self, image, source, allow_largest=False):
        item = next(self.script)
        if isinstance(item, Reason):
            return Rejected(source, [item])
        yaw, box = item
        face = SimpleNamespace(detection=SimpleNamespace(box=box), aligned=np.zeros((112, 112, 3), np.uint8),
                               embedding=np.ones(192, np.float32))
        return SimpleNamespace(face=face, quality=SimpleNamespace(yaw=yaw))


def problem(feedback):
    """The first reason a frame was not taken (None when it was taken or only waited)."""
    return feedback.problems[0] if feedback.problems else None

def run(capture, n, dt=1.0):
    return [capture.offer(FRAME, i * dt) for i in range(n)]


def test_steps_ask_for_straight_then_both_sides():
    script = [(2, CENTRE), (-3, CENTRE), (4, CENTRE), (15, CENTRE), (12, CENTRE), (-14, CENTRE), (20, CENTRE), (1, CENTRE)]
    capture = GuidedCapture(FakeEnroller(script))
    out = run(capture, len(script))
    assert [f.prompt for f in out] == ["straight", "turn", "turn", "turn_other", "turn_other", "straight", "straight", "done"]
    assert [problem(f) for f in out] == [None, None, NOT_TURNED, None, SAME_SIDE, None, NOT_STRAIGHT, None]
    assert [s.yaw for s in capture.shots] == [2, -3, 15, -14, 1]
    assert capture.done and capture.offer(FRAME, 99.0) is None


def test_rejections_oval_and_rate_limit():
    script = [Reason("too_small", {"size": 50, "need": 80}), (0, CORNER), (0, CENTRE)]
    capture = GuidedCapture(FakeEnroller(script))
    first = capture.offer(FRAME, 0.0)
    assert problem(first).code == "too_small" and first.taken is None
    assert capture.offer(FRAME, 0.1) is None  # checked at most every check_every_s
    assert problem(capture.offer(FRAME, 0.5)) == NOT_IN_OVAL
    third = capture.offer(FRAME, 1.0)
    assert third.taken is not None and third.step == 1 and third.box is not None


def test_pose_and_oval_are_waived_after_the_step_timeout():
    config = CaptureConfig(steps=("turn", "straight"), step_timeout_s=3.0, check_every_s=0.0, min_gap_s=0.0)
    capture = GuidedCapture(FakeEnroller([(0, CENTRE)] * 4 + [(0, CORNER)] * 3), config=config)
    out = run(capture, 7)
    assert [problem(f) for f in out[:3]] == [NOT_TURNED] * 3  # t = 0, 1, 2
    assert out[3].taken is not None  # t = 3: the step waited 3 s
    assert [problem(f) for f in out[4:6]] == [NOT_IN_OVAL] * 2  # the next step started at t = 3
    assert out[6].taken is not None and capture.done


def test_duplicate_of_someone_else_is_flagged_but_not_of_the_same_person():
    enroller = FakeEnroller([(0, CENTRE)] * 2)
    enroller.match = Match(7, "Alice", 0.8, 0.3, 0.45, False)
    other = GuidedCapture(enroller).offer(FRAME, 0.0)
    assert other.taken.duplicate.name == "Alice"
    same = GuidedCapture(enroller, person_id=7).offer(FRAME, 0.0)
    assert same.taken.duplicate is None


def test_restart_runs_the_steps_again_and_keeps_the_shots():
    config = CaptureConfig(steps=("straight",), min_gap_s=0.0, check_every_s=0.0)
    capture = GuidedCapture(FakeEnroller([(0, CENTRE)] * 3), config=config)
    run(capture, 2)
    assert capture.done and len(capture.shots) == 1
    capture.restart()
    assert capture.prompt() == "straight"
    capture.offer(FRAME, 5.0)
    assert capture.done and len(capture.shots) == 2
