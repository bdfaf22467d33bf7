"""Trainer data: refusal with a clear message, per-person split, augmentation shapes and ranges."""

import cv2
import numpy as np
import pytest

pytest.importorskip("torch")

from faceapp.storage.gallery import Gallery, Sample  # noqa: E402
from faceapp.training import AugmentConfig, TrainingError, check_trainable, gallery_photos  # noqa: E402
from trainer.finetune import data  # noqa: E402


def _faces(counts, seed=0):
    rng = np.random.default_rng(seed)
    return data.FaceSet.from_groups({f"p{k}": list(rng.integers(0, 256, (n, 112, 112, 3), dtype=np.uint8))
                                     for k, n in enumerate(counts)})


def test_refuses_too_few_people():
    with pytest.raises(TrainingError, match="at least 2 enrolled people"):
        check_trainable(_faces([10]).photos())
    with pytest.raises(TrainingError):
        check_trainable(_faces([]).photos())


def test_refuses_too_few_photos_and_names_the_people():
    with pytest.raises(TrainingError, match=r"p1 \(2\)"):
        check_trainable(_faces([5, 2, 4]).photos())
    check_trainable(_faces([3, 3]).photos())


def test_split_holds_out_per_person_and_keeps_two_to_train():
    faces = _faces([3, 5, 10])
    train, held = data.split_per_person(faces, 0.2, seed=0)
    assert list(held.counts()) == [1, 1, 2]
    assert list(train.counts()) == [2, 4, 8]
    # no crop in both
    t = {c.tobytes() for c in train.crops}
    assert not any(c.tobytes() in t for c in held.crops)
    again = data.split_per_person(faces, 0.2, seed=0)[1]
    assert np.array_equal(again.crops, held.crops)


def test_augmentation_shapes_ranges_and_variety():
    crop = np.full((112, 112, 3), 128, np.uint8)
    crop[30:60, 30:80] = 220
    aug = data.Augmenter()
    rng = np.random.default_rng(0)
    outs = [aug(crop, rng) for _ in range(20)]
    for out in outs:
        assert out.shape == (112, 112, 3) and out.dtype == np.uint8
    assert len({o.tobytes() for o in outs}) == 20
    # each transform alone stays within its range
    only = dict(flip_p=0.0, brightness=0.0, contrast=0.0, rotation_deg=0.0, scale=(1.0, 1.0), shift_px=0.0,
                mask_p=0.0, occlusion_p=0.0)
    plain = data.Augmenter(AugmentConfig(**only))
    assert np.array_equal(plain(crop, rng), crop)
    bright = data.Augmenter(AugmentConfig(**(only | {"brightness": 0.2})))
    ratio = [bright(crop, rng).astype(float).mean() / crop.mean() for _ in range(30)]
    assert 0.79 <= min(ratio) and max(ratio) <= 1.21
    occl = data.Augmenter(AugmentConfig(**(only | {"occlusion_p": 1.0})))
    for _ in range(200):
        changed = (occl(crop, rng) != crop).any(axis=2).mean()
        assert 0.045 <= changed <= 0.30
    flipped = data.Augmenter(AugmentConfig(**(only | {"flip_p": 1.0})))(crop, rng)
    assert np.array_equal(flipped, crop[:, ::-1])


def test_masks_cover_the_lower_face():
    crop = np.full((2, 112, 112, 3), 128, np.uint8)
    masked = data.masked_copies(crop, seed=3)
    diff = (masked != crop).any(axis=3)
    assert diff[:, 80:100, 40:72].mean() > 0.8  # mouth region
    assert diff[:, :50].mean() < 0.1  # the upper face stays visible (a strap may cross it)
    assert np.array_equal(masked, data.masked_copies(crop, seed=3))


def test_dataset_items_and_input_format():
    faces = _faces([3, 3])
    ds = data.AugmentedFaces(faces, data.Augmenter(), seed=0)
    x, y, i = ds[4]
    assert tuple(x.shape) == (3, 112, 112) and y == 1 and i == 4
    assert -1.0 <= float(x.min()) and float(x.max()) < 1.0
    # RGB order, (x - 127.5) / 128
    crop = np.zeros((1, 112, 112, 3), np.uint8)
    crop[..., 2] = 255  # red in BGR
    t = data.to_input(crop)
    assert t[0, 0].max() == pytest.approx(127.5 / 128) and t[0, 2].max() == pytest.approx(-127.5 / 128)


def test_gallery_faces_leave_out_synthetic_variants_and_inactive_people(tmp_path):
    rng = np.random.default_rng(0)
    with Gallery(tmp_path / "g.db") as g:
        a = g.add_person("Ann").id
        b = g.add_person("Bob").id
        c = g.add_person("Cid").id
        real = [Sample(rng.integers(0, 256, (112, 112, 3), dtype=np.uint8)) for _ in range(3)]
        g.add_samples(a, real + [Sample(real[0].crop, mask_kind="synthetic-surgical", parent=real[0])])
        g.add_samples(b, [Sample(rng.integers(0, 256, (112, 112, 3), dtype=np.uint8), mask_kind=k)
                          for k in ("none", "real", "none")])
        g.add_samples(c, [Sample(rng.integers(0, 256, (112, 112, 3), dtype=np.uint8)) for _ in range(3)])
        g.set_active(c, False)
        faces = data.faceset_from_gallery(g)
        counted = gallery_photos(g)  # the torch-free count the GUI checks before a run
    assert counted == faces.photos() == {"Ann": 3, "Bob": 3}
    assert faces.names == ["Ann", "Bob"] and faces.person_ids == [a, b]
    assert list(faces.counts()) == [3, 3]
    assert np.array_equal(faces.crops[0], real[0].crop)


def test_people_not_enrolled_from_a_plain_folder_of_photos(shared, tmp_path):
    """No pair lists needed for the door check: every photo's largest face is a stranger; a file
    without a face is left out."""
    from trainer.finetune.eval_sets import unseen_set

    for name in ("img1.jpg", "img2.jpg", "img3.jpg"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        (tmp_path / "sub" / name).symlink_to(shared / "faces-sample" / name)
    (tmp_path / "notes.txt").write_text("not a photo")
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((200, 200, 3), 128, np.uint8))
    strangers = unseen_set(tmp_path)
    assert strangers.crops.shape == (3, 112, 112, 3) and strangers.pairs.shape == (0, 2) and not len(strangers.same)
