"""Face finding: MTCNN, and BlazeFace for the faces MTCNN misses.

MTCNN misses real masked faces even at close range (132 of 154 close-ups of
../shared/data/masked-real found, `faceapp eval detection`): its cascade was trained on uncovered
faces, and lower stage thresholds add false detections faster than masked faces. BlazeFace
short-range finds nearly all of them (152 of 154 together with MTCNN). Its boxes
that no MTCNN face covers are handed to MTCNN's ONet (faceapp.vision.mtcnn.Detector.landmarks_in) for
the five landmarks alignment needs, so every face leaves here in one format.

Faces too close to the camera, cut by the frame's edges, are searched for again in the frame with
a border around it (DetectorConfig.closeup_*).

The second detector (a 128x128 network on the image and its mirror, then two ONet runs per face it
adds) costs about a tenth of MTCNN's time on a 640x480 frame (4 vs 49 ms on a busy 2-core machine).
"""

from __future__ import annotations

import cv2
import numpy as np

from faceapp.config import DETECTOR, DetectorConfig
from faceapp.vision.boxes import centre, contains, iou, over_smaller
from faceapp.vision.mtcnn import Detector
from faceapp.vision.imageio import to_bgr8
from faceapp.types import Detection


def covers(a: np.ndarray, b: np.ndarray) -> bool:
    """Two boxes on the same face: IoU above 0.3, or each one's centre inside the other (a masked
    face's MTCNN box and BlazeFace box can differ a lot in height)."""
    return iou(a, b) > 0.3 or (contains(a, centre(b)) and contains(b, centre(a)))


def overlaps(a: np.ndarray, b: np.ndarray) -> bool:
    """Boxes on the same face (covers), or one mostly inside the other: BlazeFace sometimes puts a
    second, smaller box on part of a face MTCNN already found (an eye and a lens of the glasses)."""
    return covers(a, b) or over_smaller(a, b) > 0.5


class FaceFinder:
    """`detect` as Detector's, with BlazeFace as a second pass (DetectorConfig.second_pass)."""

    def __init__(self, config: DetectorConfig = DETECTOR):
        self.config = config
        self.mtcnn = Detector(config)
        self.blazeface = None
        self.mesh = None
        if config.second_pass != "never" or config.presence_check:
            from faceapp.vision.blazeface import BlazeFace

            self.blazeface = BlazeFace()
        if config.presence_check:
            from faceapp.vision.face_mesh import FaceMesh

            self.mesh = FaceMesh()

    def detect(
        self, image_bgr: np.ndarray, *, min_face_size: float | None = None, second_pass: str | None = None,
        presence_check: bool | None = None,
    ) -> list[Detection]:
        """Faces in a BGR image, largest first. second_pass ("always", "if_none", "never") and
        presence_check override the config's for this call: the live loop looks around faces it
        already tracks with "if_none" and no presence check."""
        found = self.mtcnn.detect(image_bgr, min_face_size=min_face_size)
        if any(self.cut_close_up(d, image_bgr.shape) for d in found):
            found = self.detect_with_border(image_bgr, min_face_size) or found
        mode = second_pass or self.config.second_pass
        check = self.config.presence_check if presence_check is None else presence_check
        second = self.blazeface is not None and mode != "never" and not (mode == "if_none" and found)
        if not (second or (check and found)) or image_bgr.size == 0:
            return found
        if image_bgr.dtype != np.uint8 or image_bgr.ndim != 3 or image_bgr.shape[2] != 3:
            image_bgr = to_bgr8(image_bgr)
        cfg = self.config
        # one BlazeFace run serves both: its faces for the second pass, its weaker boxes as support
        faces, support = self.blazeface.detect_at(image_bgr, (cfg.blazeface_threshold, cfg.presence_support),
                                                  mirrored=cfg.blazeface_mirrored)
        if check:
            found = [d for d in found if self.present(image_bgr, d, support)]
        extra = self.missed_by_mtcnn(image_bgr, found, faces, min_face_size) if second else []
        if not extra:
            return found
        return sorted(found + extra, key=lambda d: -d.size)

    def present(self, image_bgr: np.ndarray, face: Detection, support: list) -> bool:
        """Is this MTCNN box a face? BlazeFace agrees, or the face mesh sees one
        (DetectorConfig.presence_*); the mesh (~2.5 ms) runs only for boxes BlazeFace does not back."""
        if any(covers(b.box, face.box) for b in support):
            return True
        return self.mesh.presence(image_bgr, face) >= self.config.presence_logit

    def cut_close_up(self, face: Detection, shape: tuple[int, ...]) -> bool:
        """A big face running past the frame's edges (DetectorConfig.closeup_*)."""
        cfg, (h, w) = self.config, shape[:2]
        overhang = max(-face.box[0], -face.box[1], face.box[2] - w, face.box[3] - h)
        return face.size >= cfg.closeup_min_fraction * min(h, w) and overhang > cfg.closeup_overhang * face.size

    def detect_with_border(self, image_bgr: np.ndarray, min_face_size: float | None = None) -> list[Detection]:
        """MTCNN on the frame inside a black border, so a face bigger than the frame fits the
        pyramid; coordinates mapped back to the frame."""
        m = int(round(self.config.closeup_margin * max(image_bgr.shape[:2])))
        framed = cv2.copyMakeBorder(image_bgr, m, m, m, m, cv2.BORDER_CONSTANT, value=0)
        return [d.moved(1.0, -m, -m) for d in self.mtcnn.detect(framed, min_face_size=min_face_size)]

    def missed_by_mtcnn(
        self, image_bgr: np.ndarray, found: list[Detection], faces: list, min_face_size: float | None = None
    ) -> list[Detection]:
        """BlazeFace `faces` that none of `found` (MTCNN's faces) overlaps, with ONet's box and landmarks."""
        min_face_size = min_face_size or self.config.min_face_size
        new = [b for b in faces
               if min(b.box[2] - b.box[0], b.box[3] - b.box[1]) >= min_face_size
               and not any(overlaps(b.box, d.box) for d in found)]
        if not new:
            return []
        refined = self.mtcnn.landmarks_in(image_bgr, np.stack([b.box for b in new]))
        # ONet moves the box to where MTCNN would put it; one that lands on a found face is a duplicate.
        return [
            Detection(box=r.box, score=b.score, landmarks=r.landmarks, source="blazeface")
            for b, r in zip(new, refined)
            if r is not None and not any(overlaps(r.box, d.box) for d in found)
        ]
