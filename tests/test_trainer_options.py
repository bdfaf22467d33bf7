"""The fine-tuning options of issue #17: Focal Loss, CutMix/MixUp, the channel-attention block, and
mixed precision only on a GPU. Each option off by default; each runs end to end in a tiny fine-tune."""

import contextlib
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
import torch.nn.functional as F

from faceapp.jobs import Job
from faceapp.training import FinetuneConfig, TrainingSettings
from trainer.finetune.arcface import ArcFaceHead, arcface_loss
from trainer.finetune.data import to_input
from trainer.finetune.loop import _Trainee, autocast_for, finetune, load_base_model
from trainer.finetune.mix import mix_batch
from trainer.mobilefacenet import ChannelAttention, MobileFaceNet, export_mobilefacenet

def test_every_option_is_off_by_default():
    cfg = TrainingSettings().config()
    assert (cfg.focal_gamma, cfg.cutmix, cfg.mixup, cfg.attention) == (0.0, 0.0, 0.0, False)
    assert FinetuneConfig().focal_gamma == 0.0
    chosen = TrainingSettings(focal_gamma=2, cutmix=0.3, mixup=0.2, attention=True).config()
    assert (chosen.focal_gamma, chosen.cutmix, chosen.mixup, chosen.attention) == (2, 0.3, 0.2, True)
    for bad in ({"focal_gamma": -1}, {"cutmix": 1.5}, {"cutmix": 0.6, "mixup": 0.6}):
        with pytest.raises(ValueError):
            TrainingSettings(**bad).validate()


def test_focal_loss_is_cross_entropy_at_gamma_0_and_weighs_easy_photos_less():
    logits = torch.tensor([[8.0, 0.0, 0.0], [0.5, 0.4, 0.0]])
    labels = torch.tensor([0, 0])
    assert torch.allclose(arcface_loss(logits, labels, focal_gamma=0.0), F.cross_entropy(logits, labels))
    ce = F.cross_entropy(logits, labels, reduction="none")
    focal = arcface_loss(logits, labels, focal_gamma=2.0)
    assert focal < ce.mean()
    p = F.softmax(logits, 1)[:, 0]
    assert torch.allclose(focal, ((1 - p) ** 2 * ce).mean())


def test_cutmix_and_mixup_mix_photos_and_say_by_how_much():
    x = torch.stack([torch.full((3, 112, 112), float(i)) for i in range(4)])
    plain = mix_batch(x, np.random.default_rng(0), cutmix=0.0, mixup=0.0)
    assert plain.perm is None and plain.lam == 1.0 and plain.x is x
    cut = mix_batch(x, np.random.default_rng(0), cutmix=1.0, mixup=0.0)
    own = (cut.x == x).float().mean(dim=(1, 2, 3))  # share of each photo left as it was
    moved = cut.perm != torch.arange(4)
    assert torch.allclose(own[moved], torch.full_like(own[moved], cut.lam), atol=1e-6)
    mix = mix_batch(x, np.random.default_rng(1), cutmix=0.0, mixup=1.0)
    assert torch.allclose(mix.x[:, 0, 0, 0], mix.lam * x[:, 0, 0, 0] + (1 - mix.lam) * x[mix.perm, 0, 0, 0])
    again = mix_batch(x, np.random.default_rng(1), cutmix=0.0, mixup=1.0)
    assert again.lam == mix.lam and torch.equal(again.x, mix.x)  # the run's seed repeats it


def test_attention_starts_as_the_identity_and_keeps_shapes():
    block = ChannelAttention(512)
    x = torch.randn(2, 512, 7, 7)
    assert torch.equal(block(x), x)
    base = load_base_model()
    with_attention = MobileFaceNet(attention=True)
    with_attention.load_state_dict(base.state_dict(), strict=False)
    crops = torch.randn(3, 3, 112, 112)
    with torch.no_grad():
        assert with_attention(crops).shape == (3, 192)
        torch.testing.assert_close(with_attention(crops), base(crops))


def test_exported_onnx_keeps_the_attention_block(tmp_path):
    model = MobileFaceNet(attention=True)
    model.load_state_dict(load_base_model().state_dict(), strict=False)
    torch.manual_seed(0)
    torch.nn.init.normal_(model.attention.excite.weight, std=0.05)  # not the identity any more
    path = tmp_path / "attention.onnx"
    export_mobilefacenet(model.state_dict(), path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert any(n.op_type == "Sigmoid" for n in onnx.load(str(path)).graph.node)
    x = np.random.default_rng(0).standard_normal((2, 3, 112, 112)).astype(np.float32)
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    with torch.no_grad():
        want = model.eval()(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, want, atol=1e-4)
    plain = MobileFaceNet()
    plain.load_state_dict(load_base_model().state_dict())
    with torch.no_grad():
        assert not np.allclose(plain(torch.from_numpy(x)).numpy(), want, atol=1e-3)


def test_cpu_training_does_not_autocast():
    context = autocast_for(torch.device("cpu"))
    assert isinstance(context, contextlib.nullcontext)
    trainee = _Trainee(MobileFaceNet(), ArcFaceHead(192, 4))
    with context:
        assert not torch.is_autocast_enabled("cpu")
        emb, logits, other, plain = trainee(torch.randn(2, 3, 112, 112), torch.tensor([0, 1]), torch.tensor([1, 0]))
    assert emb.dtype == logits.dtype == other.dtype == plain.dtype == torch.float32
    with warnings.catch_warnings():  # torch warns that this machine has no CUDA to autocast on
        warnings.simplefilter("ignore")
        assert isinstance(autocast_for(torch.device("cuda")), torch.autocast)


@pytest.mark.parametrize("option", [{"focal_gamma": 2.0}, {"cutmix": 1.0}, {"mixup": 1.0}, {"attention": True}])
def test_tiny_finetune_with_each_option_trains_and_exports(trainer_faces, tmp_path, option):
    faces, _ = trainer_faces
    settings = TrainingSettings(epochs=1, batch_size=8, threads=2, **option)
    result = finetune(faces, settings.config(seed=0), Job(), export_dir=tmp_path)
    assert result.history and np.isfinite(result.history[0].loss)
    assert result.onnx_max_diff is not None and result.onnx_max_diff < 1e-4  # ONNX matches torch
    session = ort.InferenceSession(str(result.onnx_path), providers=["CPUExecutionProvider"])
    emb = session.run(None, {"input": to_input(faces.crops[:2])})[0]
    assert emb.shape == (2, 192)
    assert any(k.startswith("attention.") for k in result.state_dict) == bool(option.get("attention"))
