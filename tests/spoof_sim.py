"""Simulated presentation attacks from live footage: a replay on a screen and a printed photo,
each re-captured by a camera. Test-only (never in the app, never used to train anything).

    .venv/bin/python tests/spoof_sim.py [--per-clip 12] [--json] [--sheet PNG]

prints, for the shared clips (../shared/data/videos and the blink clip), the anti-spoofing check's
BPCER on the live frames and its APCER on the same frames played through a simulated screen and a
simulated print, at the shipped threshold, with AUC and the scores' range. NUAA's figures come
from `faceapp eval spoof ../shared/data/spoof-nuaa`.

What each simulation does (all parameters drawn from a seeded generator, so a run is repeatable):
- screen, as a phone showing a crop around the face (bezel in view) and as a tablet showing the
  whole frame and filling the camera's view (bezel out of view): the picture at the screen's
  resolution (down- then up-scaled), a display tone curve (gamma, lifted blacks, capped whites, a
  blue cast), the pixel grid rendered at twice the camera's resolution and sampled down (moiré),
  a glare reflection, a dark bezel, the device tilted a few degrees in front of an out-of-focus room;
- print: the frame with ink colours (less saturation, warm paper white, lifted blacks), a CMY
  halftone dot screen at the classic angles, paper texture (fine grain and blotches), uneven
  lighting and a white margin, the sheet slightly skewed in front of the room;
- both: camera blur, sensor noise and JPEG compression.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
CLIPS = ("videos/fi_protagonist.mp4", "videos/multispeaker_short.mp4", "blink/blink.mp4")
# Detections smaller than this (px) or less sure than this are not scored: the clips' background
# holds false detections (a pumpkin in fi_protagonist scores 0.77-0.9; real faces > 0.99), and faces
# this small are too far away for a door decision anyway.
MIN_FACE = 60
MIN_SCORE = 0.95


def room(frame: np.ndarray) -> np.ndarray:
    """The room behind the attack instrument: the scene mirrored, far out of focus (no face in it
    may still look like one to the detector) and dimmer."""
    return (cv2.GaussianBlur(frame[:, ::-1], (0, 0), frame.shape[1] / 25) * 0.75).astype(np.uint8)


def place(background: np.ndarray, sheet: np.ndarray, mask: np.ndarray, rng: np.random.Generator,
          height_share: float, max_tilt_deg: float) -> np.ndarray:
    """`sheet` (with its 0..1 `mask`) scaled to height_share of the frame, tilted and skewed a little,
    and composited over `background` near the centre."""
    h, w = background.shape[:2]
    sh, sw = sheet.shape[:2]
    scale = height_share * h / sh
    cx = w / 2 + rng.uniform(-0.1, 0.1) * w
    cy = h / 2 + rng.uniform(-0.05, 0.05) * h
    src = np.float32([[0, 0], [sw, 0], [sw, sh], [0, sh]])
    corners = (src - [sw / 2, sh / 2]) * scale
    angle = np.deg2rad(rng.uniform(-max_tilt_deg, max_tilt_deg))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    jitter = rng.uniform(-0.03, 0.03, (4, 2)) * [sw * scale, sh * scale]  # perspective: not quite parallel
    dst = np.float32(corners @ rot.T + jitter + [cx, cy])
    m = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(sheet, m, (w, h), flags=cv2.INTER_LINEAR)
    alpha = cv2.warpPerspective(mask.astype(np.float32), m, (w, h), flags=cv2.INTER_LINEAR)[..., None]
    return (warped * alpha + background * (1 - alpha)).astype(np.uint8)


def capture(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The camera's own look: a little defocus, sensor noise, JPEG."""
    out = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.5, 1.1)).astype(np.float32)
    out += rng.normal(0, rng.uniform(1.5, 4.0), out.shape)
    ok, data = cv2.imencode(".jpg", np.clip(out, 0, 255).astype(np.uint8),
                            [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(70, 92))])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def at_camera_size(frame: np.ndarray, scene: np.ndarray, height_share: float) -> np.ndarray:
    """`frame` resized to the pixels it covers in the camera image when it fills height_share of it:
    screen pitch and halftone period below are in camera pixels, where moiré arises."""
    h = int(height_share * scene.shape[0])
    return cv2.resize(frame, (max(1, round(frame.shape[1] * h / frame.shape[0])), h), interpolation=cv2.INTER_AREA)


def periodic(shape: tuple[int, int], period: float, angle_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Phase maps (2 pi x / period along and across angle_deg) at twice `shape`'s resolution."""
    h, w = shape
    t = np.deg2rad(angle_deg)
    yy, xx = np.mgrid[0:2 * h, 0:2 * w].astype(np.float32) / 2
    u, v = xx * np.cos(t) + yy * np.sin(t), -xx * np.sin(t) + yy * np.cos(t)
    return 2 * np.pi * u / period, 2 * np.pi * v / period


def screen_replay(frame: np.ndarray, scene: np.ndarray, rng: np.random.Generator, share: float) -> np.ndarray:
    """`frame` played on a screen held up to the camera, filling `share` of its height (above 1 the
    bezel is out of view), in front of (a blurred) `scene`."""
    x = at_camera_size(frame, scene, share)
    h, w = x.shape[:2]
    # The screen's resolution: fewer pixels than the camera sees, then its own upscaling.
    res = rng.uniform(0.35, 0.7)
    x = cv2.resize(cv2.resize(x, (int(w * res), int(h * res)), interpolation=cv2.INTER_AREA), (w, h),
                   interpolation=cv2.INTER_LINEAR).astype(np.float32)
    # Display tone: gamma, lifted blacks, capped whites, a cold cast.
    black, white = rng.uniform(10, 35), rng.uniform(215, 250)
    x = black + (white - black) * (x / 255) ** rng.uniform(0.8, 1.25)
    x *= np.array([rng.uniform(1.03, 1.12), 1.0, rng.uniform(0.88, 0.97)], np.float32)  # BGR: bluer
    # Pixel grid (dark gaps between pixels) near the camera's own pitch, rendered at twice the
    # resolution and sampled down: the beat between the two grids is the moiré.
    u, v = periodic((h, w), rng.uniform(1.1, 2.5), rng.uniform(-6, 6))
    grid = (0.5 + 0.5 * np.cos(u)) * (0.5 + 0.5 * np.cos(v))
    grid = cv2.resize((1 - rng.uniform(0.15, 0.35) * (1 - grid)).astype(np.float32), (w, h), interpolation=cv2.INTER_AREA)
    x *= grid[..., None]
    # Glare: a soft bright reflection somewhere on the glass.
    gx, gy, r = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h, rng.uniform(0.15, 0.35) * w
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    x += rng.uniform(20, 60) * np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * r * r))[..., None]
    # Bezel: a dark frame round the glass, the device's corners rounded by a soft mask.
    b = int(rng.uniform(0.04, 0.08) * h)
    device = cv2.copyMakeBorder(np.clip(x, 0, 255).astype(np.uint8), b, b, b, b, cv2.BORDER_CONSTANT,
                                value=[int(rng.integers(10, 40))] * 3)
    mask = np.zeros(device.shape[:2], np.float32)
    cv2.rectangle(mask, (b // 2, b // 2), (device.shape[1] - b // 2, device.shape[0] - b // 2), 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), b / 3)
    mask[b:-b, b:-b] = 1.0
    return capture(place(room(scene), device, mask, rng, share * device.shape[0] / h, 6), rng)


def print_attack(frame: np.ndarray, scene: np.ndarray, rng: np.random.Generator, share: float) -> np.ndarray:
    """`frame` printed on paper and held up to the camera, filling `share` of its height, in front
    of (a blurred) `scene`."""
    x = at_camera_size(frame, scene, share).astype(np.float32) / 255
    h, w = x.shape[:2]
    # Ink: less saturated, lifted blacks, warm paper white.
    gray = x.mean(axis=2, keepdims=True)
    x = gray + rng.uniform(0.65, 0.9) * (x - gray)
    black = rng.uniform(0.06, 0.14)
    x = black + (1 - black) * x
    x *= np.array([rng.uniform(0.84, 0.93), rng.uniform(0.95, 0.99), 1.0], np.float32)  # BGR: yellower
    # CMY halftone: each ink a dot screen at its classic angle (coarse office-print periods, in
    # camera pixels), rendered at twice the resolution and sampled down.
    period, big = rng.uniform(1.5, 4.0), cv2.resize(x, (2 * w, 2 * h))
    halftone = np.empty_like(big)
    for c, angle in zip(range(3), (0, 75, 15)):  # B <- yellow, G <- magenta, R <- cyan
        u, v = periodic((h, w), period, angle)
        dots = 0.5 + 0.25 * (np.cos(u) + np.cos(v))
        halftone[..., c] = np.where(1 - big[..., c] > dots, black, 1.0)
    halftone = cv2.resize(cv2.GaussianBlur(halftone, (0, 0), 0.8), (w, h), interpolation=cv2.INTER_AREA)
    mix = rng.uniform(0.5, 0.9)
    x = mix * halftone + (1 - mix) * x
    # Paper: fine grain and low-frequency blotches, then uneven lighting across the sheet.
    grain = rng.normal(0, rng.uniform(0.01, 0.03), (h, w, 1)).astype(np.float32)
    blotch = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 25)[..., None]
    x = x * (1 + grain + blotch / (np.abs(blotch).max() + 1e-6) * rng.uniform(0.02, 0.05))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    x *= (1 + rng.uniform(-0.15, 0.15) * (xx / w - 0.5) + rng.uniform(-0.15, 0.15) * (yy / h - 0.5))[..., None]
    m = int(rng.uniform(0.03, 0.07) * h)
    sheet = cv2.copyMakeBorder(np.clip(x * 255, 0, 255).astype(np.uint8), m, m, m, m, cv2.BORDER_CONSTANT,
                               value=(205, 228, 235))  # the paper's white margin
    return capture(place(room(scene), sheet, np.ones(sheet.shape[:2], np.float32), rng,
                         share * sheet.shape[0] / h, 8), rng)


# kind -> (simulation, whether the attacker shows a portrait crop around one face or the whole
# frame, range of the instrument's share of the camera image's height)
ATTACKS = {
    "phone": (screen_replay, True, (0.8, 1.05)),  # the face's video on a phone, bezel in view
    "tablet": (screen_replay, False, (1.15, 1.35)),  # the whole frame on a tablet that fills the view
    "print": (print_attack, True, (0.8, 1.05)),  # a photo print with its white margin
}


@dataclass(slots=True)
class Presentation:
    clip: str
    frame: int
    kind: str  # "live" or one of ATTACKS
    image: np.ndarray
    box: np.ndarray | None  # the scored face, None when no face was found
    score: float | None


def clip_frames(path: Path, count: int) -> list[tuple[int, np.ndarray]]:
    """`count` frames spread evenly over the clip."""
    cap = cv2.VideoCapture(str(path))
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    wanted = set(np.linspace(0, total - 1, min(count, total)).astype(int).tolist())
    out, i = [], 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i in wanted:
            out.append((i, frame))
        i += 1
    cap.release()
    return out


def faces_in(finder, image: np.ndarray) -> list:
    """The faces worth scoring: at least MIN_FACE px and detector score MIN_SCORE."""
    return [d for d in finder.detect(image) if d.size >= MIN_FACE and d.score >= MIN_SCORE]


def attacker_view(frame: np.ndarray, box: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What an attacker puts on the screen or paper: the frame cropped around one face, portrait,
    so that held close to the camera the face is about as large as a live face at the door."""
    h, w = frame.shape[:2]
    side = box[3] - box[1]
    ch = min(h, side / rng.uniform(0.3, 0.45))
    cw = min(w, ch * 0.75)
    cx = (box[0] + box[2]) / 2 + rng.uniform(-0.1, 0.1) * cw
    cy = (box[1] + box[3]) / 2 + rng.uniform(0.0, 0.1) * ch
    x1 = int(np.clip(cx - cw / 2, 0, w - cw))
    y1 = int(np.clip(cy - ch / 2, 0, h - ch))
    return frame[y1:y1 + int(ch), x1:x1 + int(cw)]


def presentations(per_clip: int = 12, seed: int = 0, clips=CLIPS, box_scale: float | None = None) -> list[Presentation]:
    """Each sampled frame live, and as each attack made from it (one face, in turn, per frame);
    box_scale overrides AntiSpoofConfig.box_scale (to compare crop conventions)."""
    from dataclasses import replace

    from faceapp.config import ANTISPOOF
    from faceapp.vision.antispoof import AntiSpoof
    from faceapp.vision.finder import FaceFinder

    finder = FaceFinder()
    antispoof = AntiSpoof(ANTISPOOF if box_scale is None else replace(ANTISPOOF, box_scale=box_scale))
    rng = np.random.default_rng(seed)
    out = []
    for clip in clips:
        for n, (index, frame) in enumerate(clip_frames(SHARED / clip, per_clip)):
            live = faces_in(finder, frame)
            views = {"live": frame}
            if live:
                crop = attacker_view(frame, live[n % len(live)].box, rng)
                views.update({kind: make(crop if cropped else frame, frame, rng, rng.uniform(*share))
                              for kind, (make, cropped, share) in ATTACKS.items()})
            for kind, image in views.items():
                faces = live if kind == "live" else faces_in(finder, image)
                if not faces:
                    out.append(Presentation(clip, index, kind, image, None, None))
                    continue
                scores = antispoof.score(image, np.stack([d.box for d in faces]))
                out.extend(Presentation(clip, index, kind, image, d.box, float(s)) for d, s in zip(faces, scores))
    return out


def pipeline_on_clip(path: Path, engine) -> dict:
    """The live pipeline (liveness mode "both", nobody enrolled) over a whole clip: every track's
    settled passive score, and the tracks it would refuse as a photo or screen. Only tracks of real
    faces count (detector score and size as above; the pumpkin in fi_protagonist is no person)."""
    import tempfile

    from faceapp.live.pipeline import LivePipeline
    from faceapp.live.sources import open_source
    from faceapp.storage.gallery import Gallery

    settled: dict[int, tuple[float, bool]] = {}  # track id -> (score, a real face)
    with tempfile.TemporaryDirectory() as tmp, Gallery(f"{tmp}/g.db") as gallery:
        pipe = LivePipeline(engine, gallery, liveness="both", log_events=False)
        with open_source(path) as src:
            for frame in src.frames():
                pipe.process(frame.image, frame.timestamp)
                for tr in pipe.tracker.tracks:
                    if tr.passive.settled and tr.id not in settled:
                        face = max(s.score for s in tr.history) >= MIN_SCORE and tr.detection.size >= MIN_FACE
                        settled[tr.id] = (tr.passive.score, face)
        threshold = pipe.policy.spoof_threshold
    people = [score for score, face in settled.values() if face]
    return {"clip": path.name, "person_tracks": len(people), "refused_as_spoof": sum(s < threshold for s in people),
            "lowest_score": round(min(people), 4) if people else None,
            "other_tracks": len(settled) - len(people)}


def report(found: list[Presentation], threshold: float) -> dict:
    from faceapp.eval.spoof import pad_metrics

    live = [p.score for p in found if p.kind == "live" and p.score is not None]
    out = {"threshold": threshold, "clips": sorted({p.clip for p in found})}
    for kind in ATTACKS:
        attacks = [p.score for p in found if p.kind == kind and p.score is not None]
        m = pad_metrics(np.array(live + attacks), np.array([True] * len(live) + [False] * len(attacks)), threshold)
        m["no_face"] = sum(p.kind == kind and p.score is None for p in found)
        m["attack_score_median"] = round(float(np.median(attacks)), 4) if attacks else None
        m["attack_score_max"] = round(max(attacks), 4) if attacks else None
        out[kind] = m
    out["live_faces"] = len(live)
    out["live_no_face"] = sum(p.kind == "live" and p.score is None for p in found)
    out["live_score_min"] = round(min(live), 4) if live else None
    return out


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    from faceapp.config import ANTISPOOF
    from faceapp.eval.sheet import contact_sheet

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-clip", type=int, default=12, help="frames sampled per clip")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threshold", type=float, default=ANTISPOOF.threshold)
    parser.add_argument("--box-scale", type=float, help=f"face box scale before the crops (default {ANTISPOOF.box_scale})")
    parser.add_argument("--pipeline", action="store_true",
                        help="instead: the live pipeline over every whole clip, live faces refused as a spoof")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--sheet", metavar="PNG", help="contact sheet of the errors (and one example of each kind)")
    args = parser.parse_args(argv)
    if args.pipeline:
        from faceapp.vision.engine import Engine

        engine = Engine()
        rows = [pipeline_on_clip(SHARED / clip, engine) for clip in CLIPS]
        if args.json:
            print(json.dumps(rows, indent=2))
        for r in [] if args.json else rows:
            print(f"{r['clip']}: {r['person_tracks']} tracks of people, {r['refused_as_spoof']} refused as a photo "
                  f"or screen, lowest settled score {r['lowest_score']} ({r['other_tracks']} other tracks)")
        return 0
    found = presentations(args.per_clip, args.seed, box_scale=args.box_scale)
    r = report(found, args.threshold)
    if args.sheet:
        wrong = [p for p in found if p.score is not None and (p.score >= args.threshold) != (p.kind == "live")]
        examples = [next(p for p in found if p.kind == k and p.box is not None) for k in ("live", *ATTACKS)]
        r["sheet"] = str(contact_sheet([(p.image, p.box, f"{p.kind} {p.score:.2f} {Path(p.clip).stem[:10]}#{p.frame}")
                                        for p in examples + wrong], Path(args.sheet), tile=240, columns=4))
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    print(f"clips {', '.join(r['clips'])}; threshold {r['threshold']:g}")
    print(f"  live:   {r['live_faces']} faces, lowest score {r['live_score_min']}, BPCER {r['print']['bpcer']:.4f} "
          f"(frames without a face: {r['live_no_face']})")
    for kind in ATTACKS:
        m = r[kind]
        print(f"  {kind:6s}: {m['attacks']} faces, APCER {m['apcer']:.4f}, AUC {m['auc']:.4f}, attack scores median "
              f"{m['attack_score_median']} max {m['attack_score_max']} (frames without a face: {m['no_face']})")
    if "sheet" in r:
        print(f"  contact sheet: {r['sheet']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
