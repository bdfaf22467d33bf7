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
    # Stage thresholds P/R/O: MTCNN's published 0.6/0.7/0.7. Lower ones do not rescue masked faces
    # (`faceapp eval detection`: of 154 masked close-ups 0.6/0.7/0.7 finds 132, 0.6/0.7/0.5 136,
    # 0.3/0.4/0.4 140) but add detections on unmasked photos (35 extras on 1,064 photos -> 41 at
    # 0.6/0.7/0.5, 102 at 0.3/0.4/0.4); the second detector below finds the masked faces instead.
    thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7)
    # NMS IoU limits per stage (MTCNN's published values).
    nms_pnet_scale: float = 0.5
    nms_pnet_all: float = 0.7
    nms_rnet: float = 0.7
    nms_onet: float = 0.7
    # Larger images are shrunk to this long side before detection (coordinates are mapped back):
    # bounds time and memory, and keeps the int32 integral image exact (h * w * 255 < 2**31).
    max_image_side: int = 1920
    # Second detector (BlazeFace short-range, faceapp.vision.finder) for the faces MTCNN misses, masked ones
    # above all: "always", "if_none" (only when MTCNN found nothing) or "never". With "always" 152
    # of 154 masked close-ups are found (98.7%; MTCNN alone 132) and 1,064 unmasked photos get 2
    # more extras, both real faces in the background; "if_none" finds 151 and no extra, but misses a
    # masked person whenever MTCNN finds someone else in the frame (a queue at the door). The cost
    # is ~1/10 of MTCNN's on a 640x480 frame, and the live loop runs whole-frame detection 5x/s.
    second_pass: str = "always"
    # BlazeFace score for a face: MediaPipe's own default. 0.4 finds no more close-ups (the two
    # misses are faces under a cap or big sunglasses) and adds 8 extras (a hand, dark corners,
    # background faces); 0.6 loses 3 close-ups.
    blazeface_threshold: float = 0.5
    # Run BlazeFace on the mirror image too (same batch, as long again as one view) and pool both
    # views: masked faces often pass 0.5 in one view only (plain view alone: 150 of 154 close-ups).
    blazeface_mirrored: bool = True
    # A face too close fills the frame and runs past its edges, where MTCNN's pyramid cannot hold it
    # and ONet puts landmarks on the cheeks (LFW close-ups: same-person pairs scored below 0). Such a
    # face (a box crossing the edge by more than closeup_overhang of its side, and at least
    # closeup_min_fraction of the frame's short side, so faces entering from the side of a wide
    # shot do not trigger it) is searched for again with closeup_margin of the long side of black
    # border around the frame.
    closeup_overhang: float = 0.05
    closeup_min_fraction: float = 0.5
    closeup_margin: float = 0.25
    # Face-presence gate (faceapp.vision.finder.FaceFinder.present): MTCNN also fires on face-like
    # things (a jack-o'-lantern in fi_protagonist.mp4 scores 0.70-0.97, dark blurred corners). An
    # MTCNN box stays if BlazeFace (both views) puts a box with at least presence_support on it, else
    # if the face mesh's face-presence logit reaches presence_logit. `python -m faceapp.eval.cues`:
    # no masked-real close-up, unmasked main face or clip face scoring >= 0.99 is dropped (those
    # clip faces read a logit of 18+), 100 of fi_protagonist's 104 doubtful detections are, and 10 of
    # 20 unmasked extras; masked faces cannot rest on the logit alone (8 of 132 close-ups read < 0).
    # `faceapp eval detection` with and without --no-presence: extras on 1,064 unmasked photos 37 ->
    # 25, close-ups 152/154 kept, 4 masked faces of 20-34 px lost (docs/benchmarks.md).
    presence_check: bool = True
    presence_support: float = 0.3
    presence_logit: float = 2.0


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Match thresholds of the shipped embedder (SFace), set by FPIR on `faceapp eval openset`: a
    stranger named among N = 1,000 enrolled LFW people, one enrollment photo each (docs/benchmarks.md,
    open-set section). Cosine similarity; masked probes are scored through the mask adapter
    (faceapp.vision.mask_adapter) against plain and masked templates."""

    # Attendance: a misattributed record costs little, a missed one annoys: FPIR 1% at N = 1,000
    # (the thresholds found there, 0.473/0.520, rounded up; FNIR ~4% unmasked, 23% with the app's
    # masks, 39% with other masks).
    match_unmasked: float = 0.48
    match_masked: float = 0.52
    # Door access: a stranger let in costs a lot: FPIR 0.1% at N = 1,000 (0.513/0.543 rounded up;
    # FNIR ~7% unmasked). Masked faces are asked to lower the mask (access.lower_mask): no masked
    # threshold keeps FPIR at 1% with FNIR under 20% (23% with the app's own masks, 39% with
    # others); with that policy off, this masked threshold holds masked FPIR at 0.1% (FNIR ~29%).
    door_unmasked: float = 0.52
    door_masked: float = 0.55
    # The same FPIR needs a higher threshold in a larger gallery: +0.06 per tenfold N (FPIR 1%: 0.414
    # at N = 100, 0.473 at N = 1,000, unmasked and masked alike). The thresholds above hold for
    # N <= 1,000 (a smaller site is stricter than it needs to be); above, they rise by per_decade.
    per_decade: float = 0.06
    calibrated_people: int = 1000
    # The winner must beat the runner-up (another person) by this much, else the match is ambiguous.
    match_margin: float = 0.05
    # Mask classifier output above this means "masked".
    mask_probability: float = 0.5


DETECTOR = DetectorConfig()
THRESHOLDS = Thresholds()


@dataclass(frozen=True, slots=True)
class MaskAdapterConfig:
    # Ridge toward the identity map (faceapp.vision.mask_adapter). LFW 10-fold, second image masked, masked
    # templates on both sides: ridge 3 and 30 within 0.1 point of each other (95.5-95.8%); 30 keeps
    # the map closer to the identity where few photos constrain it.
    ridge: float = 30.0


MASK_ADAPTER = MaskAdapterConfig()


@dataclass(frozen=True, slots=True)
class AntiSpoofConfig:
    """Passive anti-spoofing (faceapp.vision.antispoof, MiniFASNet V2 + V1SE)."""

    # Our face box is scaled by this about its centre before the models' 2.7x / 4.0x context crops.
    # The models were trained on another detector's boxes; ours (MTCNN, and BlazeFace's refined by
    # ONet) are taller (height/width 1.27 on NUAA) at 2.15 eye distances wide. Measured over
    # 0.8-1.3 (`faceapp eval spoof DIR --boxes`, docs/benchmarks.md): NUAA gives AUC 1.000 and no
    # error at any scale on either path; on the simulated replays (tests/spoof_sim.py) 0.8 lets
    # more prints through (APCER 8.3% vs 2.8%) and 1.2 refuses a live face (lowest live score 0.49
    # vs 0.68). No scale is better on both sides, so our boxes are used as they are.
    box_scale: float = 1.0
    # Mean class-1 ("real") probability at or above this counts as a live face: the models' own
    # decision point. With our boxes NUAA's attacks score at most 0.11 and its live faces at least
    # 0.60; live faces of the shared clips at least 0.68. The door can raise it in Settings where
    # replays matter more than the odd second look (BPCER 1% on NUAA falls at 0.77).
    threshold: float = 0.5
    # A track is scored on this many frames at least interval_s apart, then its score (their mean)
    # is settled: a few looks smooth out one bad frame (motion blur, a half-turned head), and
    # spacing them lets the face move; ~0.5 s in all, well within the wait for a blink.
    frames: int = 3
    interval_s: float = 0.2


ANTISPOOF = AntiSpoofConfig()

# Threads per onnxruntime session. The small MTCNN convolutions lose to threading overhead (PNet:
# 15 ms on 1 thread vs 22-25 ms on 2, ../shared/MODELS.md), so detection runs single-threaded.
# The mask classifier is ~2.4M multiply-adds per face: 0.13 ms on 1 thread, no faster on 2.
# The two anti-spoofing models on an 80x80 crop: median 19 ms for both on 1 thread vs 75 ms on 2,
# measured side by side on the loaded 2-core machine (their layers are as small as PNet's).
ORT_THREADS = {
    "pnet": 1, "rnet": 1, "onet": 1, "mobilefacenet": 2, "face_mesh": 1, "iris": 1, "blazeface": 1,
    "mask_classifier": 1, "antispoof": 1,
}


@dataclass(frozen=True, slots=True)
class TrackerConfig:
    # A detection continues a track when its box overlaps the track's last box by this IoU. At 30 FPS a
    # walking face moves a few % of its size per frame (IoU > 0.7); 0.3 still holds at 10 FPS.
    iou_match: float = 0.3
    # With embeddings on both sides, a pair this dissimilar is never joined (another person stepped
    # into the same spot): same-person cosine is >= 0.52 unmasked, ~0.25 masked (../shared/MODELS.md).
    embed_reject: float = 0.15
    # A track's face is embedded again at once, outside its reembed_s rhythm, when its box jumps (IoU
    # with the last frame's box below jump_iou: at 25-30 FPS a face moves a few % of its size per
    # frame, IoU > 0.7) or its aligned crop stops looking like the last frame's (correlation of 16x16
    # gray thumbnails below look_change: same-face consecutive frames read >= 0.84 on fi_protagonist,
    # >= 0.97 on blink.mp4; every 3rd frame, or under a synthetic mask, 1-2 of ~150 pairs fall below
    # 0.75; the protagonist against blink.mp4's person <= 0.64; `python -m faceapp.eval.cues`,
    # docs/benchmarks.md). Either is a cut or someone stepping into the box; a false alarm costs one
    # embedding (3-6 ms).
    jump_iou: float = 0.5
    look_change: float = 0.75
    # A track whose new embedding has a cosine below identity_reject with its last one is someone
    # else: it starts over (new id, no votes, no blink). Consecutive embeddings of one face read
    # >= 0.80 (fi_protagonist every frame or every 3rd, under one synthetic mask 0.82, blink.mp4
    # 0.97), the protagonist against blink.mp4's person <= 0.07 (`python -m faceapp.eval.cues`);
    # LFW's different-person pairs reach 0.58 only rarely (../shared/MODELS.md).
    identity_reject: float = 0.4
    # Without overlap, a track can still be picked up again by its face when the cosine is this high
    # (fast motion, a dropped frame): above the different-person maximum of 0.58.
    embed_rejoin: float = 0.6
    # A track unseen for this long is dropped: a blink or a frame the detector misses must not end it,
    # but a person who walked off must not lend their identity to the next one.
    lost_after_s: float = 1.0
    # Identity votes kept per track (the last this many seconds): old evidence ages out.
    vote_window_s: float = 3.0
    # A committed identity needs this many votes: one lucky frame must not open the door.
    min_votes: int = 3
    # "Unknown" needs more: the first frames of someone turning towards the camera often match
    # nobody, and an early "unknown" would be logged before the person is recognised.
    min_votes_unknown: int = 8
    # ...and the winner's share of the weighted votes must be at least this: about two frames in
    # three, so a face that flips between two people (3 of 5 votes) commits neither.
    vote_share: float = 0.65
    # Face size (px) that earns a full-weight vote; smaller faces count less (their embedding is noisier).
    full_weight_size: float = 112.0
    # Mask state of a track: the mean of its last few mask scores, so one odd frame does not flip it.
    mask_history: int = 5


@dataclass(frozen=True, slots=True)
class BlinkConfig:
    # Open-eye baseline per eye: this percentile of openness over the last baseline_window_s. A high
    # percentile ignores the blinks themselves (a blink is ~5% of a few seconds) yet follows the
    # person's own eye shape (open eyes read 0.22-0.35 with the iris model, ../shared/MODELS.md).
    baseline_percentile: float = 80.0
    baseline_window_s: float = 3.0
    # Samples needed (and seconds spanned) before a baseline counts: no blink from a cold start.
    baseline_min_samples: int = 5
    baseline_min_span_s: float = 0.15
    # A baseline below this is not an open eye (a photo with shut eyes, a squint): never armed.
    min_open_baseline: float = 0.15
    # An eye is closed below closed_ratio x baseline AND below closed_ceiling. Blink bottoms read
    # 0.045-0.098 against >= 0.22 open: half the baseline separates them with room for noise, and the
    # ceiling stops a wide-eyed person's ordinary narrowing (0.4 -> 0.19) from counting.
    closed_ratio: float = 0.5
    closed_ceiling: float = 0.15
    # A blink needs one eye closed and, at the same moment, BOTH eyes below both_ratio x baseline. The
    # eyes of a blink are not shut equally: on blink.mp4 the less-closed eye bottomed at 0.26-0.47 of
    # its baseline, while the open eye of the wink never went below 0.76 of its own.
    both_ratio: float = 0.6
    # ...and open again above this share of the baseline (hysteresis: noise around one threshold
    # must not make a dip and a recovery).
    reopen_ratio: float = 0.75
    # A human blink keeps the lids down 60-500 ms (estimated between the sample midpoints around the
    # closure; 120-200 ms on blink.mp4); a shorter dip is a one-frame glitch (at >= 20 FPS), a longer
    # one a deliberate closure, not a blink.
    min_duration_s: float = 0.05
    max_duration_s: float = 0.5
    # Eye samples further apart than this cannot time a closure (5 FPS): a closure in progress is
    # dropped and the detector re-arms only when both eyes are seen open again.
    max_gap_s: float = 0.2
    # Blinks needed for a track to count as live.
    blinks_required: int = 1


TRACKER = TrackerConfig()
BLINK = BlinkConfig()


@dataclass(frozen=True, slots=True)
class SourceConfig:
    # A camera unplugged or a stream that drops is retried for this long before the source fails:
    # long enough for a USB re-enumeration or a network blip, short enough to tell the user.
    reconnect_s: float = 30.0
    # Seconds between reopen attempts (opening a missing V4L2 device costs ~10-100 ms), and the
    # longest sleep inside one read() while waiting, so a stop request is seen promptly.
    reconnect_interval_s: float = 1.0
    reconnect_poll_s: float = 0.1
    # Requested camera size: 640x480 is what the 30 FPS budget is measured on and what every webcam offers.
    camera_size: tuple[int, int] = (640, 480)
    # Frame rate assumed for a file whose container states none.
    assumed_fps: float = 25.0
    # Camera indices tried by probe_cameras (/dev/video0..7; many webcams expose two nodes each).
    probe_max_index: int = 8
    # Highest camera index accepted: Linux numbers video devices 0-255, and a larger number (one too
    # big for a C int) would make OpenCV fail with a traceback instead of "no such camera".
    max_camera_index: int = 255


SOURCES = SourceConfig()


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """The live session's loop (faceapp/live/session.py), shared by `faceapp run` and the GUI."""

    # Seconds between attempts to reopen a camera or stream that failed (with retry on): quick at
    # first (a loose cable, a stream hiccup), then every 5 s so a missing camera costs almost nothing.
    retry_delays_s: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0)
    # A paced video file that falls further behind its own clock than this (slow processing) is not
    # played faster to catch up: it continues at its normal speed from where it is.
    catch_up_s: float = 0.25
    # Smoothing of the FPS readout (weight of the newest frame): steady to read, follows a change in ~1 s.
    fps_alpha: float = 0.1
    # Sleep while no source is open: a new source request cuts it short, so it only bounds idle polling.
    idle_poll_s: float = 0.5
    # When a session ends, queued door actions get this long to finish: one action's timeout
    # (ACCESS.action_timeout_s, 5 s) and a little, so the door still opens for a grant just before
    # the end, while a backlog behind a dead webhook does not hold up the exit (or closing the app).
    action_drain_s: float = 6.0


SESSION = SessionConfig()


@dataclass(frozen=True, slots=True)
class QualityConfig:
    """Enrollment gates: a gallery template is used for every later match, so it must be good."""

    # Face box side in px: below ~80 the 112x112 crop is up-sampled and its embedding gets noisy.
    min_face_size: float = 80.0
    # Detector confidence: real frontal faces score > 0.99; a doubtful one is not worth a template.
    min_score: float = 0.95
    # Variance of the Laplacian of the aligned crop's gray: sharp photos read 385-4900 (faces-sample,
    # faces-peer), webcam-like video frames 190-600 and a motion-blurred one 94; a gaussian blur of
    # sigma 6 px on those photos reads 3-50. 80 keeps every sharp photo and frame, drops heavy blur.
    min_sharpness: float = 80.0
    # Frontal enough: beyond ~25 deg yaw the far eye and cheek fold away and same-person similarity drops.
    max_yaw_deg: float = 25.0
    # Alignment removes roll, but a strong tilt often comes with a bad landmark fit.
    max_roll_deg: float = 25.0
    # Nose tip between eye line (0) and mouth line (1). MTCNN's landmarks put it at 0.28-0.76 on
    # frontal faces (faces-sample, fi_protagonist), so only a strongly raised or lowered head fails.
    pitch_range: tuple[float, float] = (0.15, 0.9)
    # Mean gray of the inner face: outside this the embedding sees mostly noise or glare.
    brightness_range: tuple[float, float] = (40.0, 220.0)
    # Share of inner-face pixels at 0-5 or 250-255 (blown highlights, crushed shadows).
    max_clipped: float = 0.15
    # A photo with several faces is used when its largest face's side is at least this many times
    # the next one's (1.7x the area): that face is who the photo is of. People posing side by side
    # differ by 1.07-1.10 (faces-peer two_people.jpg, faces-sample couple.jpg and
    # selfie-many-people.jpg) and stay refused; a blurred person behind the subject (faces-sample
    # img40.jpg) reads 1.39, and frames of fi_protagonist.mp4 with a second detection 1.43-7.4.
    dominant_face_ratio: float = 1.3


QUALITY = QualityConfig()



@dataclass(frozen=True, slots=True)
class LiveConfig:
    # Frames with a longer side are shrunk for detection only (crops still come from the full frame):
    # MTCNN's cost grows with pixels, and at 640 px a face at door distance is still 100+ px.
    detect_long_side: int = 640
    # Between full-frame detections, tracked faces are looked for only in a window around their last
    # box (roi_scale x its side, smallest face roi_min_face x its side): 2-3 tiny pyramid levels
    # instead of the whole frame's 8, and fewer candidates for ONet (~0.6 ms CPU per candidate). On
    # blink.mp4 at 640x480: 7.5 ms CPU vs 22-24 ms for the whole frame (2.0 / 0.5 gave 12.5 ms).
    # A face may move 0.3 of its size or shrink by 30% between two frames and still be found; a new
    # face appears at the latest after full_detect_s.
    full_detect_s: float = 0.2
    roi_scale: float = 1.6
    roi_min_face: float = 0.7
    # A track whose identity is settled is re-embedded this often (not every frame): enough to notice
    # a swap within a second, and the embedder's 3-4 ms per face goes to other work meanwhile.
    reembed_s: float = 1.0
    # A known face that shows no blink for this long gets a "not live" decision (a photo at the door);
    # a person blinks every 2-10 s at rest, and "please blink" prompts one within a second or two.
    # An unknown face that never blinks is not logged and its eyes are no longer read after this: it
    # would be denied either way, and detector false positives (a pumpkin on a shelf in
    # fi_protagonist.mp4, score 0.77-0.9) must not fill the log or eat the frame budget.
    liveness_timeout_s: float = 6.0
    # The same person (or unknown face) and outcome is not logged again within this many seconds when
    # a track breaks and restarts (turning away, a missed frame): one visit, one log line.
    event_repeat_s: float = 10.0


LIVE = LiveConfig()

# --- Gallery storage, attendance and access -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StorageConfig:
    # How long a write waits for another connection's lock before giving up with "busy". The GUI and
    # a CLI enrolment may share the file; their transactions last milliseconds, so 5 s only expires
    # when something is really stuck, and is still short enough for a user to get an answer.
    busy_timeout_s: float = 5.0
    # How long a door waits for the PostgreSQL server to answer a new connection before it counts
    # as offline: a LAN answers in milliseconds, so 3 s means "down", and a door must not freeze long.
    connect_timeout_s: float = 3.0
    # A door's change listener wakes this often to notice it should stop; notifications themselves
    # arrive at once, so this is not the propagation time.
    listen_poll_s: float = 0.5
    # After the server is lost, a door tries again this often: a restarted server is noticed within
    # a second, and a dead one costs one connection attempt per second.
    reconnect_s: float = 1.0
    # Nearest samples the server's HNSW scan returns before they are joined to their people and
    # filtered (unmasked only): enough that a person's 3-8 variants cannot crowd out the runner-up.
    hnsw_candidates: int = 40
    # pgvector's search breadth (its default: 40). On random 128-d vectors (HNSW's hardest case)
    # recall@1 was 0.82 / 0.98 / 1.00 / 1.00 at 40 / 100 / 200 / 400 with 100k rows, but 0.32 / 0.49
    # / 0.62 / 0.83 with 1M (docs/benchmarks.md): 200 keeps a duplicate check among 100k enrolments
    # exact for about 1.6x the time of 40; a site near 1M rows should raise it (or m and
    # ef_construction at index build) and measure with `faceapp bench --gallery N --database URL`.
    hnsw_ef_search: int = 200
    # Above this many embeddings of the searched version a door's 1:N search asks the server's HNSW
    # index instead of holding them in memory. The in-memory matrix is N x 128 x 4 bytes, re-read
    # from the server after every enrolment at any door, and each query reads all of it: at 1M, 488
    # MB and 42 ms (min; 64 ms median at load 8), exact. HNSW at 1M answers in 19-27 ms but finds the
    # right row only 62% of the time (ef_search 200, random vectors), so up to 1M the door keeps the
    # exact search; the price above: every identification is a round trip to the server (while it is
    # down a door loads its offline copy into memory after all) and an approximate answer.
    server_search_above: int = 1_000_000
    # Queued events a door sends per server transaction when it is back: one round trip of
    # commit per 200 instead of per event (1,000 events: ~10 s one by one on a LAN-less test box).
    send_batch: int = 200


@dataclass(frozen=True, slots=True)
class AttendanceConfig:
    # A person standing at the camera is recognised every frame; one attendance record per 5 minutes
    # counts an arrival once yet still records someone who leaves and returns after a short errand.
    cooldown_s: float = 300.0
    # A grace period longer than a morning is no longer "late arrival" but another shift: refuse it.
    max_grace_min: int = 240


@dataclass(frozen=True, slots=True)
class AccessConfig:
    # An output action (door relay script, HTTP webhook) that takes longer than this is abandoned: a
    # door must open within a second or two of the decision, so a later success is worthless.
    action_timeout_s: float = 5.0
    # Pending actions beyond this are dropped (and logged) rather than queued: a dead webhook must
    # not build up a backlog that opens the door minutes later.
    action_queue: int = 16


@dataclass(frozen=True, slots=True)
class CamerasConfig:
    """Several cameras on one PC (faceapp/live/multi.py)."""

    # Every camera beyond the first shares the same two cores (docs/benchmarks.md, "Several cameras"):
    # past four, each would get too few frames to see a blink (a blink lasts ~100-300 ms).
    max_cameras: int = 4
    # A door name is a label on screens, reports and exports, not a description.
    door_name_max: int = 64


STORAGE = StorageConfig()
CAMERAS = CamerasConfig()
ATTENDANCE = AttendanceConfig()
ACCESS = AccessConfig()

# Defaults of the user settings stored in the gallery (Gallery.setting(key)); faceapp.settings types and
# checks them, the Settings page edits them.
SETTING_DEFAULTS: dict[str, object] = {
    "attendance.cooldown_s": ATTENDANCE.cooldown_s,
    "match.threshold_unmasked": THRESHOLDS.match_unmasked,
    "match.threshold_masked": THRESHOLDS.match_masked,
    "match.margin": THRESHOLDS.match_margin,
    # Door policy: off by default, since a mask rule only makes sense where one is in force.
    "access.mask_required": False,
    # The door's own, stricter thresholds (Thresholds.door_*).
    "access.threshold_unmasked": THRESHOLDS.door_unmasked,
    "access.threshold_masked": THRESHOLDS.door_masked,
    # A masked face at the door is asked to lower the mask instead of matched: masked FPIR cannot
    # reach the door's target at a usable FNIR (docs/benchmarks.md, open-set section). Ignored
    # where masks are required.
    "access.lower_mask": True,
    # Weekly schedule {"mon": [["08:00", "18:00"]], ...}; None means the door is open to known
    # people at any time.
    "access.schedule": None,
    # Output on grant: {"kind": "none"} | {"kind": "command", "argv": [...]} | {"kind": "http", "url": ...}
    "access.action": {"kind": "none"},
    "access.action_timeout_s": ACCESS.action_timeout_s,
    # Liveness: "both" (a blink and the passive photo/screen check; faceapp.live.passive): a blink
    # alone lets a phone replaying a video through, the passive check alone misses replays that
    # fill the view (docs/benchmarks.md). Attendance-only installs may keep "blink".
    "liveness.mode": "both",
    # Passive check threshold (AntiSpoofConfig.threshold says why 0.5).
    "liveness.spoof_threshold": ANTISPOOF.threshold,
    # Camera 0, the one a laptop or a kiosk has built in; an index or a video/stream address.
    "camera.source": 0,
    # Several cameras on one PC ([{"source", "door", "direction"}, ...]); empty: camera.source alone.
    "camera.list": [],
    # No admin PIN until one is set: a fresh install must be usable (hash of the PIN, faceapp.access.admin_pin).
    "admin.pin_hash": None,
    # The first accelerator onnxruntime offers, else the CPU (faceapp.vision.onnx_model): a user
    # only picks one to force the CPU or to rule out an accelerator that misbehaves.
    "inference.provider": "automatic",
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
class TrainerLimits:
    # Fewer than 2 people gives ArcFace nothing to separate.
    min_people: int = 2
    # 3 photos per person: at least 1 held out to check the result and 2 left to train on.
    min_samples_per_person: int = 3
    # Share of each person's photos held out for before/after figures and early stopping.
    held_out_fraction: float = 0.2
    # A fine-tuned model is offered only if it costs at most this much AUC (0.5 points) on unmasked
    # held-out photos and on people it never saw: it must not trade general recognition for masks.
    max_auc_drop: float = 0.005


TRAINER = TrainerLimits()


@dataclass(frozen=True, slots=True)
class FinetuneDefaults:
    """Defaults of trainer.finetune.loop.FinetuneConfig that the Trainer tab offers; here so the tab can
    show them without importing torch (docs/finetune.md has the measurements)."""

    # On 20 LFW people 20 epochs gave the same held-out figures as 10 but slightly worse masked
    # figures on people never trained on, in twice the time (docs/finetune.md).
    epochs: int = 10
    # The last 3 bottlenecks (the 7x7 stage) and the embedding head: enough to adapt to masks, and
    # backpropagation stays cheap on a CPU. "head" is faster, "all" rarely better on a few people.
    layers: str = "last_blocks"
    # AdamW for the backbone (the ArcFace head runs 10x): larger steps forget the pretrained space.
    # 3e-4 pulled strangers onto the 20 enrolled people of the bench (6-20 of 61 named at the door,
    # none before); 3e-5 named none over 3 seeds and kept masked gains (docs/finetune.md, door check).
    lr: float = 3e-5
    # Crops per optimizer step; a kiosk gallery of a few dozen people fills a handful of batches.
    batch_size: int = 32
    # Share of training crops given a synthetic mask: masks are what fine-tuning is mostly for,
    # and the other 60% keep unmasked recognition where it was.
    mask_share: float = 0.4
    # Weight of the distillation term (1 - cos to the base model's embedding of the clean photo)
    # against the ArcFace loss: it keeps a few local people from pulling the space onto themselves.
    distill_weight: float = 1.0
    # torch threads when training from the GUI: the live view and onnxruntime keep the other cores.
    gui_threads: int = 2


FINETUNE = FinetuneDefaults()


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


# --- Hostile input: files, names and the admin PIN (issue #12) -----------------------------------


@dataclass(frozen=True, slots=True)
class InputLimits:
    # Image files above this are refused before reading: a 50 MP phone JPEG is ~25 MB and a 16-bit
    # 24 MP PNG ~140 MB, while `truncate -s 3G big.jpg` would otherwise be read into memory whole.
    max_image_bytes: int = 192 * 2**20
    # Decoded pixels, checked in the file header before decoding and again after: 50 MP covers every
    # real camera photo (a 12000x9000 photo is 324 MB as BGR); a PNG whose header claims 60000x60000
    # would ask for 10 GB.
    max_image_pixels: int = 50_000_000
    # A face photo never needs more than this on its long side; larger ones are shrunk right after
    # decoding, so detection stays fast and memory bounded.
    work_long_side: int = 1920
    # Longest person name / department (characters, after NFC): the longest real full names are
    # well under 100, and a name must fit a table column, a CSV cell and an overlay label.
    max_name_chars: int = 100
    # Employee numbers are short codes; 64 leaves room for any HR system's format.
    max_employee_no_chars: int = 64


@dataclass(frozen=True, slots=True)
class AdminPinConfig:
    # A digits-only PIN must have at least 6 digits (10^6 guesses; with the delays below that is
    # years of guessing at the kiosk), anything else is a passphrase of at least 10 characters.
    min_digits: int = 6
    min_passphrase_chars: int = 10
    # Wrong PINs allowed without delay (typos happen), then each further one doubles the wait,
    # from delay_base_s up to delay_max_s; stored in the gallery so a restart does not reset it.
    free_attempts: int = 3
    delay_base_s: float = 2.0
    delay_max_s: float = 900.0
    # Failed attempts kept in the audit trail (the oldest are dropped beyond this).
    audit_keep: int = 500


INPUTS = InputLimits()
ADMIN_PIN = AdminPinConfig()
