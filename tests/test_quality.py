import math

import cv2
import numpy as np

from faceapp.vision.align import ARCFACE_TEMPLATE
from faceapp.vision.quality import exposure, pose, sharpness


def test_pose_frontal_rolled_and_turned():
    yaw, roll, pitch = pose(ARCFACE_TEMPLATE * 3 + 40)
    assert abs(yaw) < 1 and abs(roll) < 1 and 0.45 < pitch < 0.55
    a = math.radians(20)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    yaw, roll, _ = pose(ARCFACE_TEMPLATE @ rot.T)
    assert abs(roll - 20) < 0.5 and abs(yaw) < 1
    turned = ARCFACE_TEMPLATE.copy()
    turned[2, 0] += 15  # nose tip well off the midline: a face turned ~40 deg
    assert pose(turned)[0] > 30


def test_sharpness_and_exposure():
    rng = np.random.default_rng(0)
    crop = rng.integers(0, 255, (112, 112, 3), dtype=np.uint8)
    crop = cv2.resize(cv2.resize(crop, (28, 28)), (112, 112), interpolation=cv2.INTER_CUBIC)
    blurred = cv2.GaussianBlur(crop, (0, 0), 3)
    assert sharpness(crop) > 3 * sharpness(blurred)
    assert exposure(np.full((112, 112, 3), 255, np.uint8)) == (255.0, 1.0)
    mean, clipped = exposure(np.full((112, 112, 3), 120, np.uint8))
    assert mean == 120 and clipped == 0
