"""Model rollout: register a fine-tuned file, activate it (re-embedding the gallery), roll back."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from faceapp.jobs import Job  # noqa: E402
from faceapp.recognition import model_versions  # noqa: E402
from faceapp.vision.embedder import Embedder  # noqa: E402
from faceapp.storage.gallery import Gallery, GalleryError, Sample  # noqa: E402
from faceapp.recognition.model_versions import (  # noqa: E402
    activate_version,
    active_model_file,
    base_version,
    finetuned_dir,
    register_finetuned,
    rollback_to_base,
)
from trainer.finetune.loop import load_base_model  # noqa: E402
from trainer.mobilefacenet import export_mobilefacenet  # noqa: E402


def _perturbed_model(path, seed=0):
    """A stand-in for a fine-tuned model: the base with its last layer nudged."""
    state = load_base_model().state_dict()
    g = torch.Generator().manual_seed(seed)
    state["embedding.conv.weight"] = state["embedding.conv.weight"] * (1 + 0.3 * torch.randn(state["embedding.conv.weight"].shape, generator=g))
    path.parent.mkdir(parents=True, exist_ok=True)
    export_mobilefacenet(state, path)
    return path


@pytest.fixture
def gallery(tmp_path, trainer_faces):
    faces, _ = trainer_faces
    g = Gallery(tmp_path / "faceapp.db")
    base = base_version(g)
    emb = Embedder()
    for k in range(2):
        crops = faces.crops[faces.labels == k][:3]
        samples = [Sample(c) for c in crops] + [Sample(crops[0], mask_kind="synthetic-surgical")]
        samples[-1].parent = samples[0]
        g.add_person(f"p{k}", samples=samples, embeddings=emb.embed(np.stack([s.crop for s in samples])),
                     model_version=base)
    g.activate_model(base)
    yield g
    g.close()


def test_activate_reembeds_and_rollback_restores(gallery):
    base = gallery.active_model()
    path = _perturbed_model(finetuned_dir(gallery) / "ft.onnx")
    ft = register_finetuned(gallery, path, {"recommended": True, "reason": "test"})
    assert ft.file == "models/ft.onnx" and not ft.active and ft.dim == 192

    seen = []
    assert activate_version(gallery, ft, Job(lambda step: seen.append((step.done, step.total)))).active
    assert gallery.active_model().id == ft.id and active_model_file(gallery) == path.resolve()
    assert seen[-1] == (8, 8)
    vec_ft, persons, sample_ids, masked = gallery.embedding_matrix(ft)
    vec_base = gallery.embedding_matrix(base)[0]
    assert len(vec_ft) == 8 and masked.sum() == 2
    crops = dict(gallery.iter_crops())
    np.testing.assert_allclose(vec_ft, Embedder(path).embed(np.stack([crops[i] for i in sample_ids])), atol=1e-5)
    assert vec_base.shape[1] == 128  # the base is SFace; the fine-tuned model differs from the MobileFaceNet it started from
    from faceapp.resources import model_path
    start = Embedder(model_path("mobilefacenet.onnx")).embed(np.stack([crops[i] for i in sample_ids]))
    assert not np.allclose(vec_ft, start, atol=1e-3)

    # enrolled under the fine-tuned model, then rolled back: the base embeds the newcomer too
    new = gallery.add_person("p2", samples=[Sample(crops[sample_ids[0]])],
                             embeddings=Embedder(path).embed(crops[sample_ids[0]]), model_version=ft)
    assert rollback_to_base(gallery).id == base.id
    assert gallery.active_model().id == base.id
    assert len(gallery.embedding_matrix(base)[0]) == 9
    assert new.id in gallery.embedding_matrix(base)[1]


def test_not_recommended_needs_force_and_cancel_changes_nothing(gallery):
    base = gallery.active_model()
    path = _perturbed_model(finetuned_dir(gallery) / "worse.onnx", seed=1)
    worse = register_finetuned(gallery, path, {"recommended": False, "reason": "masked TAR fell"})
    with pytest.raises(GalleryError, match="masked TAR fell"):
        activate_version(gallery, worse)
    job = Job()
    job.cancel()
    assert activate_version(gallery, worse, job, force=True) is None
    assert gallery.active_model().id == base.id and len(gallery.embedding_matrix(worse)[0]) == 0
    assert activate_version(gallery, worse, force=True).id == worse.id


def test_cancel_in_the_middle_of_re_embedding_keeps_no_embedding(gallery, monkeypatch):
    base = gallery.active_model()
    ft = register_finetuned(gallery, _perturbed_model(finetuned_dir(gallery) / "ft.onnx"), {"recommended": True})
    monkeypatch.setattr(model_versions, "EMBED_BATCH", 3)  # 8 crops: three batches
    seen = []

    def on_progress(step):
        seen.append(step.done)
        job.cancel()  # after the first batch, as a user's Cancel would

    job = Job(on_progress)
    assert activate_version(gallery, ft, job) is None
    assert seen == [3]
    assert gallery.active_model().id == base.id and len(gallery.embedding_matrix(ft)[0]) == 0


def test_model_files_must_live_in_the_data_folder(gallery, tmp_path_factory):
    outside = _perturbed_model(tmp_path_factory.mktemp("elsewhere") / "ft.onnx")
    with pytest.raises(ValueError, match="data folder"):
        register_finetuned(gallery, outside, {})


def test_a_gallery_on_the_earlier_shipped_base_moves_to_sface(tmp_path, trainer_faces):
    """Galleries enrolled with the MobileFaceNet that shipped before SFace: their crops are embedded
    again by SFace, once, when the app or a command first meets them."""
    from faceapp.recognition.recognizer import embedder_version
    from faceapp.resources import model_path

    faces, _ = trainer_faces
    g = Gallery(tmp_path / "faceapp.db")
    old = Embedder(model_path("mobilefacenet.onnx"))
    mv = embedder_version(g, old)  # the first version of a new gallery is made active
    crops = faces.crops[:4]
    g.add_person("p", samples=[Sample(c) for c in crops], embeddings=old.embed(crops), model_version=mv)
    assert g.active_model().file == "mobilefacenet.onnx"
    new = embedder_version(g, Embedder())  # the shipped embedder now: SFace
    assert new.file == "sface.onnx" and new.dim == 128 and g.active_model().id == new.id
    assert len(g.embedding_matrix(new)[0]) == 4
    assert model_versions.upgrade_base(g) is None  # once
    g.close()
