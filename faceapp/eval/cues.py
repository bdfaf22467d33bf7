"""The measurements behind the face-presence gate and the track-cut cues (faceapp.config:
DetectorConfig.presence_*, TrackerConfig.jump_iou / look_change / identity_reject).

    python -m faceapp.eval.cues ../shared/data

Presence: for each MTCNN detection (no gate) on the masked-real close-ups, the unmasked photos'
main faces and the clips' frames, the BlazeFace support (best score of a box covering it) and the
face mesh's presence logit; how many a gate at the shipped values would drop.
Track cues: on one-person clips, the largest face of the first 150 frames with one (and of every
3rd frame, as a slow camera sees it; and under one synthetic mask): the thumbnail correlation and embedding cosine of
consecutive frames; and the same between the two clips' people.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from faceapp.config import DETECTOR, TRACKER
from faceapp.live.tracker import thumbnail
from faceapp.vision.finder import FaceFinder, covers


def presence_cues(finder: FaceFinder, image: np.ndarray) -> list[tuple[float, float, float]]:
    """(detector score, BlazeFace support, mesh logit) of every MTCNN detection, largest first."""
    support = finder.blazeface.detect(image, 0.05, mirrored=DETECTOR.blazeface_mirrored)
    return [(d.score, max((b.score for b in support if covers(b.box, d.box)), default=0.0),
             finder.mesh.presence(image, d)) for d in finder.mtcnn.detect(image)]


def _gated(cues) -> int:
    return sum(s < DETECTOR.presence_support and p < DETECTOR.presence_logit for _, s, p in cues)


def _frames(video: Path, every: int = 1):
    cap = cv2.VideoCapture(str(video))
    index = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if index % every == 0:
            yield index, frame
        index += 1
    cap.release()


def main(data: Path) -> None:
    from faceapp.eval.detection import load_masked_photos
    from faceapp.eval.verification import main_face, sample_photos
    from faceapp.vision import masks
    from faceapp.vision.engine import Engine
    from faceapp.vision.imageio import load_image

    finder = FaceFinder(replace(DETECTOR, presence_check=True))
    close = [p for p in load_masked_photos(data / "masked-real") if p.close_up]
    main_cues = []
    for p in close:
        image = load_image(p.path)
        main_cues += [c for c, d in zip(presence_cues(finder, image), finder.mtcnn.detect(image))
                      if covers(d.box, p.face)]
    print(f"masked-real close-ups found by MTCNN: {len(main_cues)}, dropped by the gate: {_gated(main_cues)}, "
          f"logit < 0: {sum(c[2] < 0 for c in main_cues)}")
    photos = sample_photos(data / "faces-sample") + sample_photos(data / "lfw" / "images", 300)
    mains, extras = [], []
    for path in photos:
        image = load_image(path)
        dets = finder.mtcnn.detect(image)
        main = main_face(dets, image.shape)
        for c, d in zip(presence_cues(finder, image), dets):
            (mains if d is main else extras).append(c)
    print(f"unmasked photos: main faces {len(mains)} (dropped {_gated(mains)}), extras {len(extras)} "
          f"(dropped {_gated(extras)})")
    for clip in ("videos/fi_protagonist.mp4", "videos/multispeaker_short.mp4"):
        sure, doubtful = [], []
        for _, frame in _frames(data / clip, 3):
            for c in presence_cues(finder, frame):
                (sure if c[0] >= 0.99 else doubtful).append(c)
        logits = [c[2] for c in sure]
        print(f"{clip}: detections scoring >= 0.99: {len(sure)} (dropped {_gated(sure)}, lowest logit "
              f"{min(logits, default=0):.1f}); below 0.99: {len(doubtful)} (dropped {_gated(doubtful)}, "
              f"logits {np.percentile([c[2] for c in doubtful], [50, 100]).round(1) if doubtful else '-'})")

    engine = Engine()
    style = masks.random_style(2)

    def track(clip: str, every: int, masked: bool = False, faces: int = 150):
        out = []
        for index, frame in _frames(data / clip, every):
            if len(out) == faces:
                break
            dets = [d for d in engine.detect(frame) if d.score > 0.99]
            if not dets:
                continue
            d = max(dets, key=lambda d: d.size)
            if masked:
                frame = masks.draw_mask(frame, d.landmarks, style, 0)
                d = max(engine.detect(frame) or [d], key=lambda d: d.size)
            face = engine.analyze(frame, [d], eyes=False)[0]
            out.append((index, d.box, thumbnail(face.aligned), face.embedding))
        return out

    from faceapp.vision.boxes import iou

    runs = {}
    for clip, every, masked in (("videos/fi_protagonist.mp4", 1, False), ("videos/fi_protagonist.mp4", 3, False),
                                ("videos/fi_protagonist.mp4", 1, True), ("blink/blink.mp4", 1, False)):
        run = track(clip, every, masked)
        runs[(clip, every, masked)] = run
        pairs = [(a, b) for a, b in zip(run, run[1:]) if b[0] - a[0] == every]
        look = np.array([a[2] @ b[2] for a, b in pairs])
        cos = np.array([a[3] @ b[3] for a, b in pairs])
        box = np.array([iou(a[1], b[1]) for a, b in pairs])
        print(f"{clip} every {every}{' masked' if masked else ''}: {len(pairs)} consecutive pairs; thumbnail "
              f"correlation min {look.min():.2f} (< {TRACKER.look_change}: {(look < TRACKER.look_change).sum()}), "
              f"embedding cosine min {cos.min():.2f} (< {TRACKER.identity_reject}: "
              f"{(cos < TRACKER.identity_reject).sum()}), box IoU min {box.min():.2f} (< {TRACKER.jump_iou}: "
              f"{(box < TRACKER.jump_iou).sum()})")
    a, b = runs[("videos/fi_protagonist.mp4", 1, False)], runs[("blink/blink.mp4", 1, False)]
    look = np.array([x[2] @ y[2] for x in a[::5] for y in b[::5]])
    cos = np.array([x[3] @ y[3] for x in a[::5] for y in b[::5]])
    print(f"fi_protagonist vs blink.mp4 people: thumbnail correlation max {look.max():.2f}, "
          f"embedding cosine max {cos.max():.2f}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"))
