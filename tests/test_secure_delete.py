"""Removing a person erases their face crops from the database file, not just from its index."""

import numpy as np

from faceapp.cli.main import main
from faceapp.storage.gallery import Gallery, Sample
from faceapp.storage.png import encode_png


def _enroll_noise_person(data_dir, name="Ann"):
    """A person with one distinctive crop (noise: its PNG bytes occur nowhere else); returns a
    stretch of those bytes to look for."""
    crop = np.random.default_rng(5).integers(0, 255, (112, 112, 3), np.uint8)
    with Gallery.open(data_dir) as g:
        mv = g.register_model("m", "m.onnx", "0" * 64, 4)
        g.add_person(name, samples=[Sample(crop=crop)], embeddings=np.ones((1, 4), np.float32) / 2, model_version=mv)
    png = encode_png(crop)
    return png[len(png) // 2: len(png) // 2 + 64]


def _leftovers(data_dir, needle):
    return [p.name for p in data_dir.iterdir() if p.name.startswith("faceapp.db") and needle in p.read_bytes()]


def test_people_remove_leaves_no_crop_bytes(tmp_path, capsys):
    data = tmp_path / "data"
    needle = _enroll_noise_person(data)
    assert _leftovers(data, needle)  # the probe finds the crop while it is stored
    assert main(["--data-dir", str(data), "people", "--remove", "Ann"]) == 0
    assert "removed Ann" in capsys.readouterr().err
    assert _leftovers(data, needle) == []


def test_the_probe_would_see_leftovers(tmp_path):
    """Control: with secure_delete forced off, the same removal leaves the crop in the file, so the
    test above really looks where the bytes would be."""
    data = tmp_path / "data"
    needle = _enroll_noise_person(data)
    with Gallery.open(data) as g:
        g.db.execute("PRAGMA secure_delete = OFF")
        g.remove_person(g.find_person("Ann").id)
    assert _leftovers(data, needle)


def test_removal_with_a_reader_open_still_erases_once_it_closes(tmp_path):
    data = tmp_path / "data"
    needle = _enroll_noise_person(data)
    with Gallery.open(data) as reader, Gallery.open(data) as writer:
        assert reader.find_person("Ann") is not None
        writer.remove_person(writer.find_person("Ann").id)
    assert _leftovers(data, needle) == []
