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
# The mask classifier is ~9M multiply-adds per face: a second thread costs more than it saves.
ORT_THREADS = {
    "pnet": 1, "rnet": 1, "onet": 1, "mobilefacenet": 2, "face_mesh": 1, "iris": 1, "mask_classifier": 1,
}
