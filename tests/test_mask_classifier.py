from pathlib import Path

import cv2
import numpy as np
import pytest

from faceapp.vision.align import align_face
from faceapp.config import THRESHOLDS
from faceapp.vision.mask_classifier import MaskClassifier
from faceapp.vision.masks import draw_mask

# LFW's deep-funnelled 160x160 crops put every face in about the same place: these median MTCNN
# landmarks align them within a few pixels, no detector needed.
LFW_LANDMARKS = np.array([[59.8, 68.5], [102.1, 67.5], [81.2, 92.7], [63.5, 114.1], [100.4, 113.3]], np.float32)
# Identities outside the classifier's training split (trainer/train_mask_classifier.lfw_split).
LFW_HELD_OUT = ["Silvio_Berlusconi", "Hans_Blix", "Jiang_Zemin", "Tiger_Woods", "Jennifer_Garner", "Serena_Williams"]
# Close-ups with one masked face each, in several mask kinds and colours.
MASKED_REAL = ["0001/0069.jpg", "0001/0130.jpg", "0001/0264.jpg", "0007/0022.jpg"]  # close-ups with one main face


@pytest.fixture(scope="module")
def classifier() -> MaskClassifier:
    return MaskClassifier()


def _lfw_crops(shared: Path) -> list[np.ndarray]:
    images = []
    for name in LFW_HELD_OUT:
        for path in sorted((shared / "lfw" / "images" / name).glob("*.jpg"))[:3]:
            images.append(cv2.imread(str(path)))
    return images


def test_bare_faces_are_not_masked_and_synthetic_masks_are(shared, classifier):
    images = _lfw_crops(shared)
    bare = np.stack([align_face(im, LFW_LANDMARKS) for im in images])
    masked = np.stack([align_face(draw_mask(im, LFW_LANDMARKS, None, i), LFW_LANDMARKS) for i, im in enumerate(images)])
    p_bare, p_masked = classifier.predict(bare), classifier.predict(masked)
    assert p_bare.shape == (len(images),) and p_bare.dtype == np.float32
    assert (p_bare < THRESHOLDS.mask_probability).mean() >= 0.9, p_bare
    assert (p_masked >= THRESHOLDS.mask_probability).mean() >= 0.9, p_masked
    np.testing.assert_allclose(classifier.predict(bare[0]), p_bare[:1], atol=1e-6)  # a single crop works too


def test_rejects_wrong_shape(classifier):
    with pytest.raises(ValueError):
        classifier.predict(np.zeros((2, 96, 96, 3), np.uint8))
    assert classifier.predict(np.zeros((0, 112, 112, 3), np.uint8)).shape == (0,)


@pytest.fixture(scope="module")
def detector():
    from faceapp.vision.finder import FaceFinder  # as the app finds faces

    return FaceFinder()


def _aligned(detector, path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    found = detector.detect(image)
    assert found, f"no face found in {path}"
    face = max(found, key=lambda d: d.size)
    return align_face(image, face.landmarks)


def test_real_masked_photos_are_masked(shared, classifier, detector):
    crops = np.stack([_aligned(detector, shared / "masked-real" / "rwmfd_part1_subset" / f) for f in MASKED_REAL])
    p = classifier.predict(crops)
    assert (p >= THRESHOLDS.mask_probability).all(), dict(zip(MASKED_REAL, p.round(3)))


def test_faces_sample_photos_are_not_masked(shared, classifier, detector):
    files = sorted((shared / "faces-sample").glob("img[0-9]*.jpg"))[::4]
    crops = np.stack([_aligned(detector, f) for f in files])
    p = classifier.predict(crops)
    assert (p < THRESHOLDS.mask_probability).all(), dict(zip([f.name for f in files], p.round(3)))
