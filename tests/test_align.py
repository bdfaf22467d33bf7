import numpy as np

from faceapp.vision.align import ARCFACE_TEMPLATE, align_face, similarity_transform


def test_similarity_recovers_known_transform():
    angle, scale, shift = np.deg2rad(17), 2.3, np.array([40.0, -12.0])
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    src = ARCFACE_TEMPLATE.astype(np.float64)
    dst = src @ rot.T + shift
    m = similarity_transform(src, dst)
    np.testing.assert_allclose(m[:, :2], rot, atol=1e-4)
    np.testing.assert_allclose(m[:, 2], shift, atol=1e-3)


def test_align_puts_landmarks_on_template():
    img = np.zeros((400, 400, 3), np.uint8)
    lm = ARCFACE_TEMPLATE * 2.5 + 60
    import cv2

    for x, y in lm:
        cv2.circle(img, (int(round(x)), int(round(y))), 3, (255, 255, 255), -1)
    out = align_face(img, lm)
    assert out.shape == (112, 112, 3)
    ys, xs = np.nonzero(out[..., 0] > 128)
    assert len(xs) > 0
    # every bright pixel lies near one of the template points
    pts = np.stack([xs, ys], 1)
    d = np.linalg.norm(pts[:, None, :] - ARCFACE_TEMPLATE[None], axis=2).min(1)
    assert d.max() < 2.0
