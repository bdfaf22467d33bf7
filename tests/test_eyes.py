"""Eye openness from the iris model on the blink stills, and the eye-crop geometry."""

import cv2
import numpy as np
import pytest

from faceapp.vision.eyes import CROP_SIZE, EyeModel, eye_crop_transforms, eye_crops
from faceapp.types import Detection

# MTCNN (trainer.build.reference_mtcnn) five landmarks of each still at full resolution.
STILLS = {
    "both_blink.jpg": [284.1, 180.1, 419.2, 182.7, 349.1, 267.9, 289.7, 309.9, 405.2, 314.2],
    "granger.jpg": [736.4, 846.9, 1088.1, 815.8, 1010.7, 1094.6, 782.4, 1221.7, 1053.0, 1196.3],
    "left_blink2.jpg": [195.3, 124.9, 303.0, 122.6, 256.8, 180.8, 207.9, 237.7, 301.7, 224.0],  # subject's left = image-right shut
    "right_blink.jpg": [416.1, 226.4, 504.5, 221.3, 463.5, 286.2, 422.3, 313.9, 494.3, 316.9],  # image-left shut
}


def _detection(marks) -> Detection:
    lm = np.array(marks, np.float32).reshape(5, 2)
    return Detection(np.r_[lm.min(0) - 40, lm.max(0) + 40].astype(np.float32), 1.0, lm)


@pytest.fixture(scope="module")
def states(shared):
    model = EyeModel()
    return {name: model.openness(cv2.imread(str(shared / "blink" / name)), _detection(m)) for name, m in STILLS.items()}


def test_closed_still_lower_than_open_still(states):
    shut, open_ = states["both_blink.jpg"], states["granger.jpg"]
    assert max(shut.left, shut.right) < 0.2 < 0.3 < min(open_.left, open_.right)  # measured .15/.13 vs .34/.41


def test_one_eye_shut_stills(states):
    wink = states["left_blink2.jpg"]  # measured left .29, right .07
    assert wink.right < 0.12 and wink.left > 0.22
    wink = states["right_blink.jpg"]  # measured left .01, right .29
    assert wink.left < 0.12 and wink.right > 0.22


def test_crop_geometry():
    marks = np.array([[100, 100], [160, 110], [130, 140], [110, 170], [150, 175]], np.float32)
    left, right = eye_crop_transforms(marks)
    # each eye point lands near the crop centre (shifted slightly upward: corners sit below it)
    mid = (CROP_SIZE - 1) / 2
    for m, eye in ((left, marks[0]), (right, marks[1])):
        x, y = m[:, :2] @ eye + m[:, 2]
        assert abs(x - mid) < 0.5 and mid - 4 < y < mid
    # the eye line becomes horizontal; the second crop is mirrored
    d = left[:, :2] @ (marks[1] - marks[0])
    assert abs(d[1]) < 1e-6 and d[0] > 0
    assert (right[:, :2] @ (marks[1] - marks[0]))[0] < 0


def test_batched_matches_single(shared):
    model = EyeModel()
    image = cv2.imread(str(shared / "blink" / "left_blink2.jpg"))
    det = _detection(STILLS["left_blink2.jpg"])
    shifted = Detection(det.box, 1.0, det.landmarks + 2.0)
    both = model.openness_all(image, [det, shifted])
    one = model.openness(image, shifted)
    assert both[1].left == pytest.approx(one.left, abs=1e-5) and both[1].right == pytest.approx(one.right, abs=1e-5)
    assert model.openness_all(image, []) == []
    assert eye_crops(image, [det]).shape == (2, CROP_SIZE, CROP_SIZE, 3)
