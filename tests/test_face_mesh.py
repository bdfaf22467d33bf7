"""Face-mesh alignment points for masked faces: where MTCNN would put its five points on a whole
face, and the masked branch of Engine.analyze."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceapp.vision.align import align_face
from faceapp.vision.face_mesh import FaceMesh
from faceapp.vision.imageio import load_image
from faceapp.vision.masks import ENROLLMENT_STYLES, draw_mask


@pytest.fixture(scope="module")
def photo(shared):
    return load_image(shared / "faces-sample" / "img1.jpg")


def _main(engine, image):
    return max(engine.detect(image), key=lambda d: d.size)


# Mesh points against MTCNN's on bare faces, in eye distances: eyes agree within a few percent,
# the nose tip within ~0.15, mouth corners less (a wide smile: the two models mark the corners of
# the lips differently, up to ~0.2).
BOUNDS = np.array([0.1, 0.1, 0.2, 0.3, 0.3])


def _error(engine, image):
    face = _main(engine, image)
    eye = float(np.linalg.norm(face.landmarks[1] - face.landmarks[0]))
    return np.linalg.norm(engine.mesh.five(image, face.landmarks) - face.landmarks, axis=1) / eye


def test_mesh_points_land_where_mtcnn_puts_them_on_a_bare_face(engine, photo):
    error = _error(engine, photo)
    assert (error < BOUNDS).all(), error


def test_mesh_follows_a_rolled_face(engine, photo):
    h, w = photo.shape[:2]
    rolled = cv2.warpAffine(photo, cv2.getRotationMatrix2D((w / 2, h / 2), 25, 1.0), (w, h))
    error = _error(engine, rolled)
    assert (error < BOUNDS).all(), error


def test_masked_faces_are_aligned_from_the_mesh_and_bare_ones_from_mtcnn(engine, photo):
    face = _main(engine, photo)
    bare = engine.analyze(photo, [face], eyes=False)[0]
    assert not bare.masked
    assert np.array_equal(bare.aligned, align_face(photo, face.landmarks))

    covered = draw_mask(photo, face.landmarks, ENROLLMENT_STYLES["surgical"], 0)
    again = engine.redetect(covered, face)
    masked = engine.analyze(covered, [again], eyes=False)[0]
    assert masked.masked
    assert np.array_equal(masked.aligned, align_face(covered, engine.mesh.five(covered, again.landmarks)))
    assert abs(float(np.linalg.norm(masked.embedding)) - 1.0) < 1e-4


def test_degenerate_landmarks_are_refused():
    with pytest.raises(ValueError):
        FaceMesh().points(np.zeros((100, 100, 3), np.uint8), np.full((5, 2), 50.0, np.float32))
