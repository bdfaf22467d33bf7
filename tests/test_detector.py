"""MTCNN detector: faces found on the shared photos, agreement with facenet-pytorch, odd inputs."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceapp.config import DETECTOR
from faceapp.vision.boxes import iou, side
from faceapp.vision.mtcnn import Detector, _IntegralImage, nms
from faceapp.vision.imageio import load_image, to_bgr8

MULTI = {"couple.jpg": 2, "two_people.jpg": 2}
CROWD = "selfie-many-people.jpg"
# Photos compared with the torch reference (each costs it ~0.5 s): every multi-face photo, several
# resolutions, partial faces, RGBA, and a few portraits. All 75 photos agreed when this was written.
PARITY_SAMPLE = [
    "couple.jpg", "two_people.jpg", CROWD, "img26.jpg", "img31.jpg", "img38.jpg", "img54.jpg",
    "obama-240p.jpg", "obama-1080p.jpg", "obama_partial_face.jpg", "32bit.png",
    "img1.jpg", "img13.jpg", "img25.jpg", "img45.jpg",
]


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector()


def photo_paths(shared):
    peer = sorted(p for p in (shared / "faces-peer").iterdir() if p.suffix in (".jpg", ".png"))
    return peer + sorted((shared / "faces-sample").glob("*.jpg"))


@pytest.fixture(scope="module")
def detections(shared, detector):
    """Detections for every photo, computed once for the tests below."""
    images = {p.name: load_image(p) for p in photo_paths(shared)}
    return {name: (image, detector.detect(image)) for name, image in images.items()}


def test_every_labelled_face_found(detections):
    assert len(detections) >= 70
    for name, (image, found) in detections.items():
        if name == CROWD:
            assert len(found) >= 4, name  # four whole faces; the others are cut by the frame
            continue
        assert len(found) == MULTI.get(name, len(found)) and found, name
        top = found[0]
        # The portrait's face: confident, the largest, a sizeable part of the photo, landmarks inside.
        assert top.score > 0.97, name
        assert top.size == max(d.size for d in found), name
        assert top.size > 0.15 * min(image.shape[:2]), name
        (x1, y1, x2, y2), marks = top.box, top.landmarks
        assert np.all((marks >= [x1, y1]) & (marks <= [x2, y2])), name
        assert marks[:2, 1].max() < marks[3:, 1].min(), name  # eyes above the mouth corners


def test_second_detector_adds_no_face_on_these_photos(detections):
    """BlazeFace (faceapp.vision.finder) adds to MTCNN's faces on the 75 unmasked photos only one real face:
    a blurred person behind the subject of img40. Counts above stay what MTCNN found."""
    from faceapp.vision.finder import FaceFinder

    finder = FaceFinder()
    cfg = finder.config
    added = {name: finder.missed_by_mtcnn(image, found, finder.blazeface.detect(image, cfg.blazeface_threshold,
                                                                                mirrored=cfg.blazeface_mirrored))
             for name, (image, found) in detections.items()}
    added = {name: faces for name, faces in added.items() if faces}
    assert list(added) == ["img40.jpg"] and len(added["img40.jpg"]) == 1
    face = added["img40.jpg"][0]
    assert face.source == "blazeface" and 950 < face.box[0] < 1050 and 680 < face.box[1] < 780


def test_detection_records(detections):
    image, found = detections["couple.jpg"]
    for d in found:
        assert d.box.shape == (4,) and d.box.dtype == np.float32
        assert d.landmarks.shape == (5, 2) and d.landmarks.dtype == np.float32
        assert isinstance(d.score, float) and DETECTOR.thresholds[2] < d.score <= 1.0
        assert d.landmarks[0, 0] < d.landmarks[1, 0]  # left eye (image left) first


def test_matches_facenet_pytorch(shared, detections):
    """Same faces as facenet-pytorch's MTCNN: IoU >= 0.9, landmarks within 3% of the box size."""
    pytest.importorskip("torch")
    from trainer.build.reference_mtcnn import reference_detect

    worst_iou, worst_mark = 1.0, 0.0
    for name in PARITY_SAMPLE:
        image, found = detections[name]
        boxes, probs, marks = reference_detect(image)
        assert len(found) == len(boxes), name
        for box, prob, mark in zip(boxes, probs, marks):
            best = max(found, key=lambda d: iou(d.box, box))
            worst_iou = min(worst_iou, iou(best.box, box))
            worst_mark = max(worst_mark, float(np.abs(best.landmarks - mark).max() / side(box)))
            assert abs(best.score - prob) < 1e-3, name
    assert worst_iou >= 0.9 and worst_mark <= 0.03, (worst_iou, worst_mark)


def test_video_frame_matches_facenet_pytorch(shared, detector):
    pytest.importorskip("torch")
    from trainer.build.reference_mtcnn import reference_detect

    capture = cv2.VideoCapture(str(shared / "videos" / "fi_protagonist.mp4"))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 90)
    ok, frame = capture.read()
    assert ok
    frame = cv2.resize(frame, (640, 480), interpolation=cv2.INTER_AREA)
    found = detector.detect(frame)
    boxes, _, marks = reference_detect(frame)
    assert len(found) == len(boxes) >= 1
    assert iou(found[0].box, boxes[0]) > 0.9


def test_black_tiny_empty_images(detector):
    assert detector.detect(np.zeros((480, 640, 3), np.uint8)) == []
    assert detector.detect(np.zeros((5, 5, 3), np.uint8)) == []
    assert detector.detect(np.full((11, 300, 3), 200, np.uint8)) == []
    assert detector.detect(np.zeros((0, 0, 3), np.uint8)) == []
    # Smallest pyramid there is, on noise, so that every stage runs on boxes poking out of the image.
    noise = np.random.default_rng(0).integers(0, 256, (40, 40, 3), dtype=np.uint8)
    for found in (detector.detect(noise, min_face_size=12), detector.detect(noise[:13, :13], min_face_size=12)):
        assert all(np.isfinite(d.box).all() for d in found)


def test_grayscale_and_unusual_arrays(shared, detector):
    image = load_image(shared / "faces-peer" / "obama.jpg")
    want = detector.detect(image)[0].box
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    for variant in (gray, to_bgr8(gray), gray.astype(np.float32) / 255.0):
        found = detector.detect(variant)
        assert found and iou(found[0].box, want) > 0.8


def test_huge_image_is_shrunk_and_mapped_back(shared, detector):
    image = load_image(shared / "faces-peer" / "obama.jpg")
    want = detector.detect(image)[0].box
    huge = cv2.resize(image, None, fx=3, fy=3, interpolation=cv2.INTER_LINEAR)
    assert max(huge.shape[:2]) > DETECTOR.max_image_side
    found = detector.detect(huge)  # min_face_size counts in the caller's pixels: smaller faces searched
    assert found and iou(found[0].box, want * 3) > 0.85
    assert np.all(np.abs(found[0].landmarks - detector.detect(image)[0].landmarks * 3) < 0.05 * found[0].size)


def test_min_face_size_override(shared, detector):
    image = load_image(shared / "faces-sample" / "img54.jpg")  # one large face, small ones behind
    everything = detector.detect(image, min_face_size=20)
    large_only = detector.detect(image, min_face_size=300)
    assert len(large_only) < len(everything)
    assert iou(large_only[0].box, everything[0].box) > 0.9


def _adaptive_pool(image: np.ndarray, oh: int, ow: int) -> np.ndarray:
    """torch's adaptive_avg_pool2d written out with loops, on an HWC float image."""
    h, w = image.shape[:2]
    out = np.zeros((oh, ow, image.shape[2]))
    for i in range(oh):
        for j in range(ow):
            rows = slice(i * h // oh, -(-(i + 1) * h // oh))
            cols = slice(j * w // ow, -(-(j + 1) * w // ow))
            out[i, j] = image[rows, cols].mean(axis=(0, 1))
    return out


def test_integral_pool_is_adaptive_average_pooling():
    image = np.random.default_rng(1).integers(0, 256, (37, 53, 3), dtype=np.uint8)
    y0, y1, x0, x1 = np.array([0, 3, 10]), np.array([37, 20, 13]), np.array([0, 7, 40]), np.array([53, 31, 52])
    got = _IntegralImage(image).pool(y0, y1, x0, x1, 9, 11)
    for k in range(3):
        rgb = image[y0[k] : y1[k], x0[k] : x1[k], ::-1].astype(np.float64)
        want = (_adaptive_pool(rgb, 9, 11) - 127.5) * 0.0078125
        np.testing.assert_allclose(got[k].transpose(1, 2, 0), want, atol=1e-5)


def _nms_one_by_one(boxes, scores, threshold, min_mode, offset):
    """Textbook greedy NMS: take the best, drop what overlaps it, repeat."""
    order = list(np.argsort(scores)[::-1] if min_mode else np.argsort(-scores, kind="stable"))
    keep = []
    while order:
        i = order.pop(0)
        keep.append(i)
        rest = []
        for j in order:
            iw = max(0.0, min(boxes[i, 2], boxes[j, 2]) - max(boxes[i, 0], boxes[j, 0]) + offset)
            ih = max(0.0, min(boxes[i, 3], boxes[j, 3]) - max(boxes[i, 1], boxes[j, 1]) + offset)
            area = [(b[2] - b[0] + offset) * (b[3] - b[1] + offset) for b in (boxes[i], boxes[j])]
            denom = min(area) if min_mode else sum(area) - iw * ih
            if not iw * ih / denom > threshold:
                rest.append(j)
        order = rest
    return keep


@pytest.mark.parametrize("n", [0, 1, 30, 600])
def test_nms_matches_greedy_definition(n):
    rng = np.random.default_rng(n)
    corner = rng.uniform(0, 300, (n, 2))
    boxes = np.hstack([corner, corner + rng.uniform(20, 60, (n, 1))]).astype(np.float32)
    scores = rng.uniform(0.6, 1.0, n).astype(np.float32)
    scores[: n // 3] = 1.0  # saturated probabilities tie
    for min_mode, offset in ((False, 0.0), (True, 1.0)):
        got = nms(boxes, scores, 0.5, min_mode=min_mode, offset=offset)
        assert got.tolist() == _nms_one_by_one(boxes, scores, 0.5, min_mode, offset)
