"""Passive anti-spoofing: the MiniFASNet conversion, the crop, and `faceapp eval spoof` on real stills."""

import json

import numpy as np
import pytest

from faceapp.config import ANTISPOOF
from faceapp.eval.spoof import pad_metrics, read_labels
from faceapp.vision.imageio import load_image
from faceapp.vision.antispoof import AntiSpoof, context_box


@pytest.fixture(scope="module")
def antispoof():
    return AntiSpoof()


def test_onnx_matches_torch_built_from_the_state_dicts(shared):
    """The committed ONNX files against the torch network the build writes (strict load) on real crops."""
    torch = pytest.importorskip("torch")
    from trainer.build.minifasnet import MODELS, SOURCE_DIR, load_model

    if not SOURCE_DIR.is_dir():
        pytest.skip("../shared/models/silent-face is not present")
    image = load_image(shared / "spoof" / "image_T1.jpg")
    scorer = AntiSpoof()
    for model, (weights, digest, _, scale) in zip(scorer.models, MODELS.values()):
        assert model.crop_scale == scale
        net = load_model(SOURCE_DIR / weights, digest)
        crops = np.stack([model.crop(image, np.array(b, np.float32)) for b in ([116, 112, 290, 358], [0, 0, 60, 80])])
        x = crops.transpose(0, 3, 1, 2).astype(np.float32)
        with torch.no_grad():
            want = net(torch.from_numpy(x)).numpy()
        got = model.run(x)[0]
        assert np.max(np.abs(got - want)) < 1e-3


def test_state_dict_loads_strictly_and_a_wrong_file_is_refused(tmp_path):
    pytest.importorskip("torch")
    from trainer.build.minifasnet import MODELS, SOURCE_DIR, load_model

    if not SOURCE_DIR.is_dir():
        pytest.skip("../shared/models/silent-face is not present")
    weights, digest, se, _ = MODELS["minifasnet_v1se.onnx"]
    net = load_model(SOURCE_DIR / weights, digest)
    assert sum(p.numel() for p in net.parameters()) > 400_000 and (net.conv_5.model[-1].se_module is not None) == se
    wrong = tmp_path / weights
    wrong.write_bytes(b"not the weights")
    with pytest.raises(RuntimeError, match="sha256"):
        load_model(wrong, digest)


def test_context_box_stays_inside_and_keeps_its_size():
    shape = (480, 640, 3)
    # In the middle: centred, 2.7x the side.
    assert context_box(shape, np.array([300, 200, 340, 240]), 2.7) == (266, 166, 375, 275)
    # At the edge: shifted inside, same size.
    x1, y1, x2, y2 = context_box(shape, np.array([0, 0, 100, 100]), 2.7)
    assert (x1, y1) == (0, 0) and x2 - x1 == y2 - y1 == 271
    x1, y1, x2, y2 = context_box(shape, np.array([560, 400, 640, 480]), 4.0)
    assert x2 <= 640 and y2 <= 480 and x2 - x1 == 321 and y2 - y1 == 321
    # Too big for the frame: the scale shrinks to what fits.
    x1, y1, x2, y2 = context_box(shape, np.array([200, 100, 400, 400]), 4.0)
    assert y1 == 0 and y2 <= 480 and x2 <= 640
    with pytest.raises(ValueError):
        context_box(shape, np.array([10, 10, 10, 50]), 2.7)


def test_stills_print_and_replay_refused_live_accepted(shared, engine, antispoof):
    scores = {}
    for sample in read_labels(shared / "spoof"):
        image = load_image(sample.path)
        (face,) = engine.detect(image)[:1]
        scores[sample.path.name] = float(antispoof.score(image, face.box[None])[0])
    assert scores["image_F1.jpg"] < ANTISPOOF.threshold and scores["image_F2.jpg"] < ANTISPOOF.threshold, scores
    assert scores["image_T1.jpg"] >= 0.99, scores
    assert antispoof.score(image, np.zeros((0, 4))).shape == (0,)


def test_pad_metrics():
    scores = np.array([0.9, 0.8, 0.4, 0.95, 0.1, 0.6, 0.2])
    live = np.array([1, 1, 1, 1, 0, 0, 0], bool)
    m = pad_metrics(scores, live, 0.5)
    assert m["apcer"] == pytest.approx(1 / 3, abs=1e-4) and m["bpcer"] == 0.25
    assert m["acer"] == pytest.approx((1 / 3 + 0.25) / 2, abs=1e-4)
    assert m["auc"] == pytest.approx(11 / 12, abs=1e-4)
    assert m["threshold_at_bpcer_1%"] == 0.4 and m["apcer_at_bpcer_1%"] == pytest.approx(1 / 3, abs=1e-4)


def test_labels_errors(tmp_path):
    with pytest.raises(ValueError, match="no labels.csv"):
        read_labels(tmp_path)
    (tmp_path / "labels.csv").write_text("file,label\na.jpg,fake\n")
    with pytest.raises(ValueError, match="neither live nor spoof"):
        read_labels(tmp_path)
    (tmp_path / "labels.csv").write_text("file,label\na.jpg,live\n")
    with pytest.raises(ValueError, match="does not exist"):
        read_labels(tmp_path)


def test_eval_spoof_command(shared, tmp_path, capsys):
    from faceapp.cli.main import main

    sheet = tmp_path / "errors.png"
    assert main(["eval", "spoof", str(shared / "spoof"), "--json", "--sheet", str(sheet)]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["attacks"] == 2 and r["live"] == 2 and r["apcer"] == 0.0 and sheet.is_file()
    assert r["threshold"] == ANTISPOOF.threshold
    assert main(["eval", "spoof", str(tmp_path)]) == 2
    assert "no labels.csv" in capsys.readouterr().err
