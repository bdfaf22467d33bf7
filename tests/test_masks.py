import numpy as np
import pytest

from faceapp.vision.align import ARCFACE_TEMPLATE
from faceapp.vision.masks import MaskStyle, draw_mask, draw_mask_aligned, mask_outline, random_style

SIZE = 400


def _face(scale: float = 3.0, roll_deg: float = 0.0, centre=(200.0, 190.0)) -> np.ndarray:
    """Template landmarks scaled, rolled and placed on a SIZE x SIZE canvas."""
    a = np.deg2rad(roll_deg)
    rot = scale * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return ((ARCFACE_TEMPLATE - ARCFACE_TEMPLATE.mean(0)) @ rot.T + centre).astype(np.float32)


def _noise_image(seed: int = 0) -> np.ndarray:
    # Random texture: any pixel the mask covers changes, whatever its colour.
    return np.random.default_rng(seed).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)


def _changed(before: np.ndarray, after: np.ndarray, point: np.ndarray, radius: float) -> tuple[float, int]:
    """(mean abs change, max abs change) in a disc around a point."""
    ys, xs = np.mgrid[0:SIZE, 0:SIZE]
    disc = np.hypot(xs - point[0], ys - point[1]) <= radius
    diff = np.abs(after.astype(int) - before.astype(int))[disc]
    return float(diff.mean()), int(diff.max())


def _check_covers_lower_face(lm: np.ndarray, seed: int) -> None:
    image = _noise_image(seed)
    out = draw_mask(image, lm, None, seed)
    iod = float(np.linalg.norm(lm[1] - lm[0]))
    eyes_mid, mouth = lm[:2].mean(0), lm[3:].mean(0)
    down = mouth - eyes_mid  # the face's own "down", rolled with it
    chin = mouth + 0.5 * down
    for point in (lm[3], lm[4], mouth, chin):
        assert _changed(image, out, point, 0.08 * iod)[0] > 20, f"seed {seed}: {point} not covered"
    for eye in lm[:2]:
        assert _changed(image, out, eye, 0.2 * iod)[1] == 0, f"seed {seed}: eye covered"


def test_same_seed_same_mask_other_seed_other_mask():
    image, lm = _noise_image(), _face()
    a = draw_mask(image, lm, None, 5)
    b = draw_mask(image, lm, None, np.random.default_rng(5))
    c = draw_mask(image, lm, None, 6)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert random_style(11) == random_style(11)
    assert not np.array_equal(image, a)  # the input is not drawn on
    assert np.array_equal(image, _noise_image())


@pytest.mark.parametrize("seed", range(12))
def test_covers_mouth_and_chin_not_eyes(seed):
    _check_covers_lower_face(_face(), seed)


@pytest.mark.parametrize("roll", [-35, -15, 20, 40])
def test_follows_roll(roll):
    for seed in range(3):
        _check_covers_lower_face(_face(roll_deg=roll), seed)
    # The outline turns with the face.
    style = MaskStyle()
    centre = np.array([200.0, 190.0])
    upright, rolled = mask_outline(_face(), style), mask_outline(_face(roll_deg=roll), style)
    a = np.deg2rad(roll)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    np.testing.assert_allclose((upright - centre) @ rot.T + centre, rolled, atol=0.05)


def test_scales_with_face_size():
    style = MaskStyle(kind="cloth")
    small, big = mask_outline(_face(1.0), style), mask_outline(_face(4.0), style)
    centre = np.array([200.0, 190.0])
    np.testing.assert_allclose((small - centre) * 4 + centre, big, atol=0.05)
    for scale in (0.6, 1.0, 5.0):
        _check_covers_lower_face(_face(scale), 1)


def test_every_kind_reaches_past_the_chin_and_tops_out_below_the_eyes():
    lm = ARCFACE_TEMPLATE
    eye_y, mouth_y = lm[:2, 1].mean(), lm[3:, 1].mean()
    for kind in ("surgical", "cloth", "n95"):
        for covered in (True, False):
            for top in (0.0, 1.0):
                outline = mask_outline(lm, MaskStyle(kind=kind, nose_covered=covered, top=top, chin=0.0))
                assert outline[:, 1].max() > mouth_y + 0.6 * (mouth_y - eye_y)
                assert outline[:, 1].min() > eye_y + 0.1 * (mouth_y - eye_y)
                above_nose = outline[:, 1].min() < lm[2, 1]
                assert above_nose == covered


def test_aligned_crop_entry_point():
    crop = np.random.default_rng(3).integers(0, 256, (112, 112, 3), dtype=np.uint8)
    out = draw_mask_aligned(crop, MaskStyle(kind="n95", valve=True), 3)
    assert out.shape == crop.shape and out.dtype == np.uint8
    changed = np.abs(out.astype(int) - crop.astype(int)).sum(2) > 0
    assert changed[95:, 30:82].mean() > 0.95  # mouth and chin
    assert not changed[:56, 20:92].any()  # eyes and forehead (the ear loops run outside)
