"""Guided camera enrollment, Qt-free: frames in, shots out, with the prompt and the reason a frame
was not taken.

The person is asked to look straight, then to turn slightly one way and the other, so the templates
cover the poses met at the door. Every shot passes the enrollment quality gates (Enroller.check)
and has the face inside the on-screen oval; a shot that already matches another enrolled person is
flagged as a possible duplicate. Someone who cannot follow the oval or a pose prompt is not stuck:
after CaptureConfig.step_timeout_s any shot that passes the gates counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from faceapp.config import CAPTURE, CaptureConfig
from faceapp.reasons import Reason
from faceapp.recognition.enroll import Enroller, Rejected
from faceapp.types import Match

# What each step asks, as reason codes (faceapp.reasons words them).
PROMPTS = {
    "straight": Reason("look_straight"),
    "turn": Reason("turn_one_side"),
    "turn_other": Reason("turn_other_side"),
    "done": Reason("all_taken"),
}
NOT_IN_OVAL = Reason("not_in_oval")
NOT_STRAIGHT = Reason("not_straight")
NOT_TURNED = Reason("not_turned")
SAME_SIDE = Reason("same_side")


@dataclass(slots=True)
class Shot:
    source: str
    image: np.ndarray  # the whole frame, handed to Enroller.enroll at save time
    crop: np.ndarray  # the aligned 112x112 face, for the preview
    yaw: float
    duplicate: Match | None = None  # an already enrolled other person this face matches


@dataclass(slots=True)
class CaptureFeedback:
    step: int  # the step asked for now, within the round (len(steps) when done)
    prompt: str  # key of PROMPTS
    taken: Shot | None = None  # the shot this frame gave
    problems: list[Reason] = field(default_factory=list)  # why this frame was not taken (none when taken or waiting)
    box: np.ndarray | None = None  # the face found, in frame coordinates


@dataclass
class GuidedCapture:
    enroller: Enroller
    person_id: int | None = None  # adding photos to this person: matching them is no duplicate
    config: CaptureConfig = CAPTURE
    shots: list[Shot] = field(default_factory=list)
    _round_start: int = 0  # shots taken before the current round of steps
    _last_check: float = -np.inf
    _step_started: float | None = None
    _turn_sign: float = 0.0

    @property
    def step(self) -> int:
        return len(self.shots) - self._round_start

    @property
    def done(self) -> bool:
        return self.step >= len(self.config.steps)

    def prompt(self) -> str:
        return "done" if self.done else self.config.steps[self.step]

    def restart(self) -> None:
        """Go through the steps once more (the shots taken are kept)."""
        self._round_start = len(self.shots)
        self._step_started = None

    def in_oval(self, box: np.ndarray, frame_shape: tuple[int, ...]) -> bool:
        h, w = frame_shape[:2]
        cx, cy = (box[0] + box[2]) / 2 - w / 2, (box[1] + box[3]) / 2 - h / 2
        rx, ry = self.config.oval_width * h / 2, self.config.oval_height * h / 2
        return (cx / rx) ** 2 + (cy / ry) ** 2 <= 1.0

    def offer(self, frame: np.ndarray, t: float) -> CaptureFeedback | None:
        """Look at one frame (timestamp t, seconds); None when it was skipped to save time."""
        if self.done or t - self._last_check < self.config.check_every_s:
            return None
        self._last_check = t
        if self._step_started is None:
            self._step_started = t
        source = f"camera shot {len(self.shots) + 1}"
        feedback = CaptureFeedback(step=self.step, prompt=self.prompt())
        # the largest face is the one in the oval; a face further back is not the one enrolling
        got = self.enroller.check(frame, source, allow_largest=True)
        if isinstance(got, Rejected):  # the quality gates say why
            feedback.problems = got.reasons
            return feedback
        box = got.face.detection.box
        feedback.box = box
        problem = None
        if t - self._step_started < self.config.step_timeout_s:  # after it, any good shot counts
            problem = NOT_IN_OVAL if not self.in_oval(box, frame.shape) else self._pose_problem(feedback.prompt, got.quality.yaw)
        if problem is not None:
            feedback.problems = [problem]
            return feedback
        if self.shots and t - self._step_started < self.config.min_gap_s:
            return feedback  # too soon after the last shot: wait, nothing wrong
        shot = Shot(source=source, image=frame.copy(), crop=got.face.aligned, yaw=got.quality.yaw)
        shot.duplicate = self.enroller.duplicate_of(got.face.embedding, self.person_id)
        if feedback.prompt == "turn":
            self._turn_sign = float(np.sign(shot.yaw))
        self.shots.append(shot)
        self._step_started = t
        feedback.taken = shot
        feedback.step = self.step
        feedback.prompt = self.prompt()
        return feedback

    def _pose_problem(self, prompt: str, yaw: float) -> Reason | None:
        c = self.config
        if prompt == "straight":
            return None if abs(yaw) <= c.straight_max_yaw_deg else NOT_STRAIGHT
        if abs(yaw) < c.turn_min_yaw_deg:
            return NOT_TURNED
        if prompt == "turn_other" and np.sign(yaw) == self._turn_sign:
            return SAME_SIDE
        return None
