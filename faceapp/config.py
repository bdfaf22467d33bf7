"""Every tunable number of the pipeline, in one place, each with the reason for its value.

Runtime settings a user changes (thresholds shown in Settings, cooldown, policies) are stored in the
gallery's settings table; the values here are their defaults.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    # Faces smaller than this (px) are not searched for: 40 px keeps the pyramid at ~8 scales on a
    # 640x480 frame; a kiosk face is 100+ px, and smaller faces are too small to recognise anyway.
    min_face_size: float = 40.0
    # Scale step of the image pyramid, MTCNN's published value.
    scale_factor: float = 0.709
    # Stage thresholds P/R/O. MTCNN's defaults are 0.6/0.7/0.7, but those miss ~11% of close-up
    # masked faces (../shared/MODELS.md); 0.6/0.7/0.6 are tuned by the masked-recall evaluation.
    thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7)
    # NMS IoU limits per stage (MTCNN's published values).
    nms_pnet_scale: float = 0.5
    nms_pnet_all: float = 0.7
    nms_rnet: float = 0.7
    nms_onet: float = 0.7
    # Larger images are shrunk to this long side before detection (coordinates are mapped back):
    # bounds time and memory, and keeps the int32 integral image exact (h * w * 255 < 2**31).
    max_image_side: int = 1920


@dataclass(frozen=True, slots=True)
class Thresholds:
    # Cosine similarity for a match, unmasked probes. MobileFaceNet on faces-sample: same-person
    # 0.52-0.93, different-person up to 0.58, best threshold ~0.52 (../shared/MODELS.md).
    match_unmasked: float = 0.45
    # A mask hides half the face and drops same-person similarity by ~0.3: the best masked
    # threshold was ~0.28, so one threshold cannot serve both.
    match_masked: float = 0.30
    # The winner must beat the runner-up (another person) by this much, else the match is ambiguous.
    match_margin: float = 0.05
    # Mask classifier output above this means "masked".
    mask_probability: float = 0.5


DETECTOR = DetectorConfig()
THRESHOLDS = Thresholds()

# Threads per onnxruntime session. The small MTCNN convolutions lose to threading overhead (PNet:
# 15 ms on 1 thread vs 22-25 ms on 2, ../shared/MODELS.md), so detection runs single-threaded.
ORT_THREADS = {"pnet": 1, "rnet": 1, "onet": 1, "mobilefacenet": 2, "face_mesh": 1, "iris": 1}


# --- Gallery storage, attendance and access -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StorageConfig:
    # How long a write waits for another connection's lock before giving up with "busy". The GUI and
    # a CLI enrolment may share the file; their transactions last milliseconds, so 5 s only expires
    # when something is really stuck, and is still short enough for a user to get an answer.
    busy_timeout_s: float = 5.0


@dataclass(frozen=True, slots=True)
class AttendanceConfig:
    # A person standing at the camera is recognised every frame; one attendance record per 5 minutes
    # counts an arrival once yet still records someone who leaves and returns after a short errand.
    cooldown_s: float = 300.0


@dataclass(frozen=True, slots=True)
class AccessConfig:
    # An output action (door relay script, HTTP webhook) that takes longer than this is abandoned: a
    # door must open within a second or two of the decision, so a later success is worthless.
    action_timeout_s: float = 5.0
    # Pending actions beyond this are dropped (and logged) rather than queued: a dead webhook must
    # not build up a backlog that opens the door minutes later.
    action_queue: int = 16


STORAGE = StorageConfig()
ATTENDANCE = AttendanceConfig()
ACCESS = AccessConfig()

# Defaults of the user settings stored in the gallery (Gallery.setting(key)); the UI edits these.
SETTING_DEFAULTS: dict[str, object] = {
    "attendance.cooldown_s": ATTENDANCE.cooldown_s,
    "match.threshold_unmasked": THRESHOLDS.match_unmasked,
    "match.threshold_masked": THRESHOLDS.match_masked,
    "match.margin": THRESHOLDS.match_margin,
    # Door policy: off by default, since a mask rule only makes sense where one is in force.
    "access.mask_required": False,
    # Weekly schedule {"mon": [["08:00", "18:00"]], ...}; None means the door is open to known
    # people at any time.
    "access.schedule": None,
    # Output on grant: {"kind": "none"} | {"kind": "command", "argv": [...]} | {"kind": "http", "url": ...}
    "access.action": {"kind": "none"},
    "access.action_timeout_s": ACCESS.action_timeout_s,
}


@dataclass(frozen=True, slots=True)
class EyeCropConfig:
    # MediaPipe crops each eye as a square 2.3x the eye-corner distance, the framing its iris
    # model was trained on.
    crop_scale: float = 2.3
    # Eye-corner distance as a fraction of the distance between the detector's two eye points.
    # Face-mesh corners on the blink clip gave 0.43-0.47 (median per eye); 0.45 reads blinks as
    # well as cropping from the mesh corners does, without running the face mesh.
    corner_fraction: float = 0.45
    # The corner midpoint sits this far (x eye distance) below MTCNN's eye point, towards the
    # mouth: median 0.025 on the blink clip.
    centre_offset: float = 0.025


EYE_CROP = EyeCropConfig()


@dataclass(frozen=True, slots=True)
class CaptureConfig:
    """Guided camera enrollment in the GUI: a few good shots in slightly different poses."""

    # Look straight, straight, turn one way, turn the other way, straight: five templates cover the
    # poses met at the door without asking for more than a few seconds of the person's time.
    steps: tuple[str, ...] = ("straight", "straight", "turn", "turn_other", "straight")
    # A frame is checked (detect + embed, ~50 ms) at most this often, so the preview stays fluid.
    check_every_s: float = 0.25
    # Shots at least this far apart: consecutive frames are near copies and add nothing.
    min_gap_s: float = 0.6
    # "Straight" means |yaw| below this; "turn" means at least turn_min_yaw (the enrollment gate
    # still caps it at QualityConfig.max_yaw_deg): a slight turn, enough to vary the template.
    straight_max_yaw_deg: float = 10.0
    turn_min_yaw_deg: float = 8.0
    # Someone who cannot follow the oval or a pose prompt is not stuck: after this long on one step
    # any shot that passes the enrollment gates counts.
    step_timeout_s: float = 5.0
    # The face's centre must lie inside the on-screen oval, drawn over the middle of the picture
    # (its width and height as shares of the picture's height).
    oval_height: float = 0.7
    oval_width: float = 0.525


CAPTURE = CaptureConfig()
