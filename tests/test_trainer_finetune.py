"""A tiny fine-tune end to end: trains, keeps train accuracy, exports an ONNX equal to torch."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from faceapp.jobs import Job  # noqa: E402
from faceapp.training import TrainingSettings  # noqa: E402
from faceapp.vision.embedder import Embedder  # noqa: E402
from trainer.finetune.data import to_input  # noqa: E402
from trainer.finetune.loop import FrozenTrunk, embed, finetune, first_trainable_block, load_base_model  # noqa: E402
from trainer.finetune.metrics import class_templates, probe_vs_templates  # noqa: E402
from trainer.mobilefacenet import MobileFaceNet  # noqa: E402

# Built as every front end builds it: the user's settings through the one builder, plus a seed.
TINY = TrainingSettings(epochs=1, batch_size=8, threads=2)


def _train_rank1(model, faces):
    """Rank-1 of the photos against their own people's templates: what training optimises."""
    emb = embed(model, faces.crops)
    return probe_vs_templates(emb, faces.labels, class_templates(emb, faces.labels, faces.num_classes)).rank1


def test_frozen_trunk_gives_the_models_own_embeddings(trainer_faces):
    faces, _ = trainer_faces
    model = load_base_model()
    want = embed(model, faces.crops[:6])
    for layers in ("head", "last_blocks", "all"):
        trunk = FrozenTrunk(model, first_trainable_block(model, layers))
        np.testing.assert_allclose(trunk.embed(model, faces.crops[:6]), want, atol=1e-4)


def test_tiny_finetune_trains_exports_and_reports(trainer_faces, tmp_path):
    faces, unseen = trainer_faces
    steps = []
    result = finetune(faces, TINY.config(seed=0), Job(steps.append), unseen=unseen, export_dir=tmp_path)
    progress = [s.detail for s in steps]

    assert not result.cancelled and result.num_people == 4 and result.num_held_out == 4
    assert len(result.history) == 1 and result.best_epoch == 1
    train_steps = [p for p in progress if p.phase == "train"]
    assert train_steps[-1].step == train_steps[-1].total_steps == 2  # 16 train photos, batch 8
    assert all(np.isfinite(p.loss) and 0 <= p.accuracy <= 1 and p.eta_s >= 0 for p in train_steps)
    assert progress[-1].phase == "done"
    assert all(s.done == p.step and s.total == p.total_steps for s, p in zip(steps, progress) if p.phase == "train")
    for ev in (result.before, result.after):
        assert 0.5 <= ev.held_out.auc <= 1 and 0.5 <= ev.held_out_masked.auc <= 1
        assert ev.unseen is not None and ev.unseen.n_genuine > 0 and ev.unseen.n_impostor > 0
        assert ev.door.strangers == ev.door_masked.strangers == len(unseen.crops) and 0 <= ev.door.fnir <= 1
    assert isinstance(result.recommended, bool) and result.reason == result.why.text()
    assert result.as_dict()["why"]["code"] in ("ft_better", "ft_not_better", "ft_strangers_named",
                                               "ft_masked_strangers_named", "ft_held_out_dropped", "ft_unseen_dropped")

    tuned = MobileFaceNet()
    tuned.load_state_dict(result.state_dict)
    tuned.eval()
    assert _train_rank1(tuned, faces) >= _train_rank1(load_base_model(), faces)

    # the app's own embedder runs the exported file and agrees with the torch weights
    assert result.onnx_path.parent == tmp_path and result.onnx_max_diff <= 1e-4
    with torch.no_grad():
        want = tuned(torch.from_numpy(to_input(unseen.crops[:8]))).numpy()
    want /= np.linalg.norm(want, axis=1, keepdims=True)
    np.testing.assert_allclose(Embedder(result.onnx_path).embed(unseen.crops[:8]), want, atol=1e-4)
    assert set(result.as_dict()) >= {"before", "after", "recommended", "history", "onnx_path"}


def test_cancel_stops_before_training_and_exports_nothing(trainer_faces, tmp_path):
    faces, _ = trainer_faces
    job = Job()
    job.cancel()
    result = finetune(faces, TINY.config(seed=0), job, export_dir=tmp_path)
    assert result.cancelled and not result.recommended and result.onnx_path is None
    assert not list(tmp_path.iterdir())


def test_the_builder_maps_the_users_choices_and_refuses_bad_ones():
    cfg = TrainingSettings(epochs=3, layers="head", mask_share=0.25).config(seed=7, patience=2)
    assert (cfg.epochs, cfg.layers, cfg.augment.mask_p, cfg.seed, cfg.patience) == (3, "head", 0.25, 7, 2)
    for bad, match in ((dict(epochs=0), "epochs"), (dict(layers="some"), "layers"), (dict(mask_share=1.5), "masked share"),
                       (dict(lr=0.0), "learning rate"), (dict(batch_size=0), "batch size")):
        with pytest.raises(ValueError, match=match):
            TrainingSettings(**bad).config()


def _ev(auc=0.99, tar_m=0.9, auc_m=0.98, margin_m=0.2, unseen_auc=0.995, named=0, named_m=1, door=True):
    from trainer.finetune.loop import Evaluation
    from trainer.finetune.metrics import DoorCheck, Scores

    return Evaluation(Scores(auc, 0.95, 1.0, margin=0.4), Scores(auc_m, tar_m, 0.95, margin=margin_m),
                      Scores(unseen_auc, 0.9), door=DoorCheck(0.52, named, 60, 0.05) if door else None,
                      door_masked=DoorCheck(0.55, named_m, 60, 0.3) if door else None)


def test_recommend_only_a_better_model_that_keeps_general_recognition():
    from trainer.finetune.loop import recommend

    before = _ev()
    assert recommend(before, _ev(tar_m=0.95))[0]
    assert recommend(before, _ev(auc_m=0.99))[0]  # same TAR, better AUC
    assert recommend(before, _ev(margin_m=0.25))[0]  # both saturated: the margin decides
    assert not recommend(before, _ev())[0]  # no change
    assert not recommend(before, _ev(tar_m=0.85, auc_m=0.999))[0]
    ok, why = recommend(before, _ev(tar_m=0.99, auc=0.984))  # unmasked AUC -0.6 points
    assert not ok and why.text() == "held-out unmasked AUC dropped from 0.9900 to 0.9840 (more than 0.0050)"
    ok, why = recommend(before, _ev(tar_m=0.99, unseen_auc=0.989))
    assert not ok and why.code == "ft_unseen_dropped"
    assert recommend(before, _ev(tar_m=0.99, auc=0.986, unseen_auc=0.991))[0]  # within 0.5 points


def test_recommend_needs_the_door_to_name_no_more_strangers():
    from trainer.finetune.loop import recommend

    before, better = _ev(), dict(tar_m=0.99)
    assert recommend(before, _ev(**better, named_m=0))[0]  # fewer masked strangers named is fine
    ok, why = recommend(before, _ev(**better, named=1))
    assert not ok and why.text() == "the door would name 1 of 60 strangers at its threshold 0.52 (before: 0)"
    ok, why = recommend(before, _ev(**better, named_m=2))
    assert not ok and why.code == "ft_masked_strangers_named" and why.params["after"] == 2
    ok, why = recommend(_ev(door=False), _ev(**better, door=False))  # no photos of people not enrolled
    assert not ok and why.code == "ft_no_strangers"


def test_door_check_decides_as_the_door_does():
    from trainer.finetune.metrics import door_check

    templates = np.eye(3, 4, dtype=np.float32)  # three enrolled people on three axes
    probes = np.array([[1, 0, 0, 0], [0, 0.9, 0.1, 0], [0.5, 0, 0, 0.9], [0, 1, 0, 0]], np.float32)
    labels = np.array([0, 1, 0, 2])  # the third is below the threshold, the fourth is misnamed
    strangers = np.array([[0, 0, 0, 1], [0, 0, 1, 0.3], [0.6, 0.6, 0, 0]], np.float32)
    check = door_check(probes, labels, strangers, templates, threshold=0.7)
    assert (check.strangers_named, check.strangers, check.fnir) == (2, 3, 0.5)
    assert check.fpir == pytest.approx(2 / 3) and check.as_dict()["threshold"] == 0.7
