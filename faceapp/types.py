"""Typed records that flow through the pipeline: frame -> faces -> matches -> decisions."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np


@dataclass(slots=True)
class Detection:
    """One face found by the detector, in the coordinates of the image it was found in."""

    box: np.ndarray  # (4,) float32: x1, y1, x2, y2
    score: float
    landmarks: np.ndarray  # (5, 2) float32: left eye, right eye, nose, left mouth, right mouth
    source: str = "mtcnn"  # which detector found it: "mtcnn", or "blazeface" (landmarks still from MTCNN's ONet)

    @property
    def width(self) -> float:
        return float(self.box[2] - self.box[0])

    @property
    def height(self) -> float:
        return float(self.box[3] - self.box[1])

    @property
    def size(self) -> float:
        """Side of the face box (geometric mean), the figure the quality gates use."""
        return float(np.sqrt(max(self.width, 0.0) * max(self.height, 0.0)))

    def moved(self, scale: float = 1.0, dx: float = 0.0, dy: float = 0.0) -> Detection:
        """This face in another image's coordinates: found in a copy resized by 1/scale whose origin
        lies at (dx, dy) there (a crop, a window, a bordered frame)."""
        shift = np.array([dx, dy], np.float32)
        return replace(self, box=(self.box * scale + np.tile(shift, 2)).astype(np.float32),
                       landmarks=(self.landmarks * scale + shift).astype(np.float32))


@dataclass(slots=True)
class EyeState:
    """Eyelid opening per eye (upper-to-lower lid distance over eye width); ~0.3 open, <0.15 shut.

    left/right follow Detection.landmarks: left is the eye on the image's left (the subject's right)."""

    left: float
    right: float


@dataclass(slots=True)
class Face:
    """A detection carried through alignment, liveness cues and embedding."""

    detection: Detection
    aligned: np.ndarray | None = None  # (112, 112, 3) uint8 BGR, ArcFace template
    embedding: np.ndarray | None = None  # (D,) float32, L2-normalised
    eyes: EyeState | None = None
    mask_score: float | None = None  # probability that the face wears a mask
    extras: dict = field(default_factory=dict)

    @property
    def box(self) -> np.ndarray:
        return self.detection.box

    @property
    def masked(self) -> bool | None:
        from faceapp.config import THRESHOLDS

        if self.mask_score is None:
            return None
        return self.mask_score >= THRESHOLDS.mask_probability


@dataclass(slots=True)
class Match:
    """Result of a 1:N search for one face."""

    person_id: int | None  # None: unknown
    name: str | None
    score: float  # cosine similarity of the best person
    margin: float  # best score minus the runner-up person's score
    threshold: float  # the threshold that applied (masked or unmasked)
    masked: bool

    @property
    def known(self) -> bool:
        return self.person_id is not None


@dataclass(slots=True)
class Decision:
    """Door decision for one track: granted or denied, and why."""

    granted: bool
    reason: str  # machine key, e.g. "granted", "unknown", "not_live", "spoof_suspected", "inactive", "schedule", "mask_required"
    message: str  # human text
    passive_score: float | None = None  # the photo/screen check's score, where it ran


@dataclass(slots=True)
class TrackView:
    """What the live view shows for one tracked face in one frame."""

    track_id: int
    box: np.ndarray
    landmarks: np.ndarray
    match: Match | None
    live: bool  # passed the liveness mode's checks (blink, passive photo/screen check, both)
    liveness_pending: bool  # still waiting for a blink ("please blink")
    masked: bool | None
    eyes: EyeState | None
    decision: Decision | None = None
    spoof_suspected: bool = False  # the passive check settled on "photo or screen"
    passive_score: float | None = None  # its mean score so far (probability of a real face)


@dataclass(slots=True)
class FrameResult:
    """Everything the pipeline worked out for one camera frame."""

    index: int
    timestamp: float  # seconds (monotonic for cameras, media time for files)
    tracks: list[TrackView]
    events: list[dict]  # events emitted on this frame (recognised, unknown, not_live, denied, granted)
    timings_ms: dict[str, float] = field(default_factory=dict)
