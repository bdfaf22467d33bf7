"""Box maths: IoU, intersection over the smaller box, pixel-counted areas, centres."""

import numpy as np

from faceapp.vision.boxes import centre, contains, iou, over_smaller, overlap_matrix, side

A = np.array([0, 0, 10, 10.0])


def test_iou():
    assert iou(A, A) == 1.0
    assert iou(A, np.array([20, 20, 30, 30.0])) == 0.0
    assert abs(iou(A, np.array([5, 0, 15, 10.0])) - 1 / 3) < 1e-6
    assert iou(A, np.array([5, 5, 5, 5.0])) == 0.0  # a box without area overlaps nothing
    assert iou(np.zeros(4), np.zeros(4)) == 0.0


def test_over_smaller():
    inner = np.array([2, 2, 4, 4.0])
    assert over_smaller(A, inner) == 1.0 and abs(iou(A, inner) - 0.04) < 1e-9
    assert over_smaller(A, np.array([5, 0, 15, 10.0])) == 0.5


def test_overlap_matrix_is_pairwise_and_counts_pixels_with_offset():
    a = np.array([[0, 0, 10, 10], [5, 0, 15, 10]], np.float32)
    b = np.array([[0, 0, 10, 10], [20, 20, 30, 30], [5, 0, 15, 10]], np.float32)
    m = overlap_matrix(a, b)
    assert m.shape == (2, 3) and m.dtype == np.float32
    np.testing.assert_allclose(m, [[1, 0, 1 / 3], [1 / 3, 0, 1]], atol=1e-6)
    # whole pixels: 11 x 11 boxes sharing 6 x 11
    assert abs(overlap_matrix(a[:1], a[1:], offset=1.0)[0, 0] - 66 / (121 + 121 - 66)) < 1e-6
    # extra columns (scores) after the four coordinates are ignored
    scored = np.hstack([a, np.ones((2, 1), np.float32)])
    np.testing.assert_array_equal(overlap_matrix(scored, scored), overlap_matrix(a, a))


def test_side_is_the_geometric_mean():
    assert side(np.array([0, 0, 4, 9.0])) == 6.0
    assert side(np.array([5, 5, 3, 9.0])) == 0.0  # a flipped box has no size


def test_centre_and_contains():
    assert centre(np.array([0, 0, 10, 20.0])) == (5.0, 10.0)
    assert contains(A, (10.0, 0.0)) and not contains(A, (10.5, 5.0))
