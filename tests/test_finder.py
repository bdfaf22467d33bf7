"""BlazeFace as the second detector: hard masked close-ups found, ONet landmarks on its boxes, the
detection evaluation's bookkeeping."""

from __future__ import annotations

import csv

import cv2
import numpy as np
import pytest

from faceapp.vision.blazeface import BlazeFace
from faceapp.config import DETECTOR, DetectorConfig
from faceapp.vision.mtcnn import Detector
from faceapp.eval.detection import (
    FACES_CSV,
    MaskedPhoto,
    eval_false_detections,
    eval_masked_detection,
    load_masked_photos,
    new_extras,
)
from faceapp.vision.finder import FaceFinder, covers, overlaps
from faceapp.vision.imageio import load_image
from faceapp.types import Detection

# Close-ups of real masked faces that MTCNN at its defaults does not find at all and BlazeFace does
# (score 0.74-0.88): dark and light masks, a tilted head, hair over the eyes.
HARD = ["0001/0021.jpg", "0001/0114.jpg", "0001/0126.jpg", "0001/0219.jpg", "0009/0006.jpg"]


@pytest.fixture(scope="module")
def finder() -> FaceFinder:
    return FaceFinder()


@pytest.fixture(scope="module")
def hard(shared):
    faces = {row["path"]: row for row in csv.DictReader(open(FACES_CSV))}
    out = []
    for name in HARD:
        row = faces[f"rwmfd_part1_subset/{name}"]
        box = np.array([float(row[k]) for k in ("x1", "y1", "x2", "y2")], np.float32)
        out.append((name, load_image(shared / "masked-real" / "rwmfd_part1_subset" / name), box))
    return out


def test_hard_masked_close_ups_found_by_the_second_detector(hard, finder):
    mtcnn = Detector(DetectorConfig(thresholds=(0.6, 0.7, 0.7)))
    for name, image, face in hard:
        assert not any(covers(d.box, face) for d in mtcnn.detect(image)), name
        found = [d for d in finder.detect(image) if covers(d.box, face)]
        assert len(found) == 1 and found[0].source == "blazeface", name
        (x1, y1, x2, y2), marks = found[0].box, found[0].landmarks
        assert found[0].size >= 0.3 * min(image.shape[:2]), name  # a close-up
        assert np.all((marks >= [x1, y1]) & (marks <= [x2, y2])), name
        assert marks[:2, 1].max() < marks[3:, 1].min(), name  # eyes above the mouth corners
        assert marks[0, 0] < marks[1, 0], name  # left eye (image left) first


def test_second_pass_modes(shared, hard, finder):
    name, image, face = hard[0]
    assert finder.detect(image, second_pass="never") == []
    assert len(finder.detect(image, second_pass="if_none")) == 1
    # beside an unmasked face, "if_none" (the live loop's choice around tracked faces) skips BlazeFace
    portrait = load_image(shared / "faces-peer" / "obama-240p.jpg")
    portrait = cv2.resize(portrait, (round(portrait.shape[1] * image.shape[0] / portrait.shape[0]), image.shape[0]))
    both = np.hstack([image, portrait])
    assert [d.source for d in finder.detect(both, second_pass="if_none")] == ["mtcnn"]
    assert sorted(d.source for d in finder.detect(both)) == ["blazeface", "mtcnn"]


def test_found_again_in_the_live_loops_window(hard, finder):
    """Between whole-frame detections the live loop searches a window around each tracked face
    (LiveConfig.roi_scale) with "if_none": a masked face MTCNN cannot see stays found there."""
    from faceapp.config import LIVE

    for name, image, face in hard:
        (tracked,) = [d for d in finder.detect(image) if covers(d.box, face)]
        centre, half = (tracked.box[:2] + tracked.box[2:]) / 2, LIVE.roi_scale * tracked.size / 2
        x0, y0 = np.maximum(centre - half, 0).astype(int)
        x1, y1 = np.minimum(centre + half + 1, image.shape[1::-1]).astype(int)
        again = finder.detect(image[y0:y1, x0:x1], min_face_size=LIVE.roi_min_face * tracked.size,
                              second_pass="if_none")
        assert len(again) == 1 and covers(again[0].box + [x0, y0, x0, y0], tracked.box), name


def test_mtcnn_only_config_loads_no_second_model():
    assert FaceFinder(DetectorConfig(second_pass="never", presence_check=False)).blazeface is None


def test_blazeface_keypoints_and_mirrored_view(shared):
    image = load_image(shared / "faces-peer" / "obama.jpg")
    mtcnn = Detector().detect(image)[0]
    blaze = BlazeFace()
    for mirrored in (False, True):
        (face,) = blaze.detect(image, 0.5, mirrored=mirrored)
        assert covers(face.box, mtcnn.box) and face.score > 0.8
        eye_distance = np.linalg.norm(mtcnn.landmarks[1] - mtcnn.landmarks[0])
        # keypoints 0, 1: the subject's right eye (image left), then the left eye
        assert np.abs(face.keypoints[:2] - mtcnn.landmarks[:2]).max() < 0.25 * eye_distance
    assert blaze.detect(np.zeros((0, 0, 3), np.uint8), 0.5) == []
    assert blaze.detect(np.zeros((200, 300, 3), np.uint8), 0.5) == []


def test_onet_landmarks_on_another_detectors_box(shared):
    detector = Detector()
    image = load_image(shared / "faces-peer" / "obama.jpg")
    mtcnn = detector.detect(image)[0]
    # a looser, shifted box of the same face: two ONet passes bring it back to MTCNN's answer
    side = mtcnn.size
    loose = mtcnn.box + np.array([-0.15, 0.1, 0.1, 0.2], np.float32) * side
    outside = np.array([-500, -500, -400, -400], np.float32)
    refined, gone = detector.landmarks_in(image, np.stack([loose, outside]))
    assert gone is None
    eye_distance = np.linalg.norm(mtcnn.landmarks[1] - mtcnn.landmarks[0])
    assert np.abs(refined.landmarks - mtcnn.landmarks).max() < 0.1 * eye_distance
    assert refined.score > 0.9 and covers(refined.box, mtcnn.box)


def test_overlap_rules():
    face = np.array([0, 0, 100, 120], np.float32)
    assert covers(face, face + 10) and overlaps(face, face + 10)
    eye = np.array([10, 20, 40, 50], np.float32)  # a box on one eye of the face
    assert not covers(face, eye) and overlaps(face, eye)
    assert not overlaps(face, face + 200)


class _Fake:
    """A detector that answers from a table."""

    def __init__(self, answers):
        self.answers = answers

    def detect(self, image):
        return self.answers.get(image.shape, [])


def _det(box, source="mtcnn"):
    return Detection(box=np.array(box, np.float32), score=0.9, landmarks=np.zeros((5, 2), np.float32), source=source)


def test_masked_detection_bookkeeping(shared):
    photos = load_masked_photos(shared / "masked-real")
    assert len(photos) == 300 and sum(p.close_up for p in photos) >= 150
    assert sum(p.face is None for p in photos) == 5  # crowds of few-pixel faces
    # a small face and a close-up, in photos of different sizes (the fake detector answers by size)
    small = next(p for p in photos if p.face is not None and not p.close_up)
    close = next(p for p in photos if p.close_up and load_image(p.path).shape != load_image(small.path).shape)
    shape = {p.name: load_image(p.path).shape for p in (small, close)}
    answers = {shape[small.name]: [_det(small.face)], shape[close.name]: [_det([0, 0, 5, 5])]}
    result = eval_masked_detection(_Fake(answers), [small, close])
    assert result["close_up"] == {"photos": 1, "found": 0, "rate": 0.0, "missed": [close.name]}
    assert result["all"]["main_face_found"] == 1 and result["all"]["with_detection"] == 2
    answers[shape[close.name]] = [_det(close.face + 3, source="blazeface")]
    result = eval_masked_detection(_Fake(answers), [small, close])
    assert result["close_up"]["found"] == 1 and result["found_only_by_second_detector"] == 1


def test_false_detection_bookkeeping(shared):
    paths = [shared / "faces-peer" / "obama.jpg", shared / "faces-peer" / "two_people.jpg"]
    shapes = [load_image(p).shape for p in paths]
    h, w = shapes[0][:2]
    main = _det([w / 2 - 50, h / 2 - 50, w / 2 + 50, h / 2 + 50])
    stray = _det([0, 0, 30, 30], source="blazeface")
    summary, extras = eval_false_detections(_Fake({shapes[0]: [main, stray]}), paths)
    assert summary["photos"] == 2 and summary["no_face"] == 1 and summary["extra_detections"] == 1
    assert extras[0].detection is stray
    assert new_extras(extras, extras) == [] and new_extras(extras, []) == extras


def test_masked_photo_close_up_rule():
    face = np.array([0, 0, 60, 60], np.float32)
    assert MaskedPhoto(None, "a", face, 200).close_up
    assert not MaskedPhoto(None, "a", face, 201).close_up
    assert not MaskedPhoto(None, "a", None, 200).close_up


def test_face_bigger_than_the_frame_is_found_again_inside_a_border(shared, finder):
    # LFW close-up: the face runs past every edge of the 160x160 photo. Without the border MTCNN's
    # box spans x -62..164 and ONet's landmarks land on the cheeks (eyes ~120 px apart).
    image = load_image(shared / "lfw/images/Lisa_Raymond/Lisa_Raymond_0002.jpg")
    plain = Detector(DetectorConfig()).detect(image)[0]
    assert finder.cut_close_up(plain, image.shape)
    face = finder.detect(image)[0]
    (lx, ly), (rx, ry) = face.landmarks[:2]
    assert 60 <= rx - lx <= 90 and abs(ly - ry) < 10  # eyes where they are in the photo
    assert 30 <= lx and rx <= 130 and 40 <= ly <= 80


def test_an_ordinary_face_needs_no_border(shared, finder):
    image = load_image(shared / "lfw/images/Debra_Messing/Debra_Messing_0002.jpg")
    face = finder.detect(image)[0]
    assert not finder.cut_close_up(face, image.shape)
    # a big face cut by the edge of a wide frame counts; a small one entering from the side does not
    big = Detection(np.array([-40, 0, 200, 240], np.float32), 0.99, face.landmarks)
    small = Detection(np.array([-20, 0, 60, 80], np.float32), 0.99, face.landmarks)
    assert finder.cut_close_up(big, (480, 640, 3)) and not finder.cut_close_up(small, (480, 640, 3))


def _video_frame(path, index):
    cap = cv2.VideoCapture(str(path))
    for _ in range(index + 1):
        ok, frame = cap.read()
        assert ok
    cap.release()
    return frame


def test_presence_check_drops_the_jack_o_lantern(shared):
    """fi_protagonist.mp4, frame 0: MTCNN also scores the jack-o'-lantern on the shelf (0.91) and a
    patch below the protagonist's face (0.85); neither BlazeFace nor the face mesh calls them faces."""
    frame = _video_frame(shared / "videos" / "fi_protagonist.mp4", 0)
    finder = FaceFinder()
    unchecked = finder.detect(frame, presence_check=False)
    (face,) = finder.detect(frame)
    assert len(unchecked) == 3 and face.size > 250 and face.score > 0.99
    pumpkin = next(d for d in unchecked if 380 < d.box[0] < 440 and 350 < d.box[1] < 400)
    assert 0.8 < pumpkin.score < 0.97
    for false in (d for d in unchecked if d.score < 0.99):
        assert finder.mesh.presence(frame, false) < DETECTOR.presence_logit < finder.mesh.presence(frame, face)
