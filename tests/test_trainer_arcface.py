"""ArcFace head: margin where it belongs, and finite, monotonic numerics at theta ~ 0 and ~ pi."""

import math

import pytest

torch = pytest.importorskip("torch")

from trainer.finetune.arcface import ArcFaceHead, arcface_loss  # noqa: E402


def _head(m=0.5, easy=False, s=16.0):
    head = ArcFaceHead(2, 2, s=s, m=m, easy_margin=easy)
    with torch.no_grad():
        head.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    return head


def _at(theta):
    """Embeddings at angle theta from class 0's weight (requires grad)."""
    t = torch.as_tensor(theta, dtype=torch.float64).reshape(-1)
    return torch.stack([torch.cos(t), torch.sin(t)], 1).float().requires_grad_(True)


def test_margin_only_on_the_true_class():
    head = _head(m=0.3)
    e = _at(1.0)
    plain = head(e)
    with_margin = head(e, torch.tensor([0]))
    assert torch.allclose(plain[0, 1], with_margin[0, 1])
    assert with_margin[0, 0].item() == pytest.approx(16.0 * math.cos(1.0 + 0.3), abs=1e-4)


@pytest.mark.parametrize("easy", [False, True])
@pytest.mark.parametrize("theta", [0.0, 1e-7, 1e-4, math.pi - 1e-4, math.pi - 1e-7, math.pi])
def test_finite_loss_and_gradients_at_the_ends(theta, easy):
    head = _head(easy=easy)
    e = _at(theta)
    loss = arcface_loss(head(e, torch.tensor([0])), torch.tensor([0]), label_smoothing=0.1)
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(e.grad).all() and torch.isfinite(head.weight.grad).all()


def test_target_logit_never_rises_with_the_angle():
    """Past theta = pi - m, cos(theta + m) would rise again; the fallback keeps the target logit
    falling (strictly below the margin-free logit) all the way to pi."""
    head = _head(m=0.5)
    thetas = torch.linspace(0, math.pi, 2001)
    logits = head(_at(thetas).detach(), torch.zeros(len(thetas), dtype=torch.long))[:, 0]
    assert (logits[1:] <= logits[:-1] + 1e-4).all()
    plain = head(_at(thetas).detach())[:, 0]
    assert (logits < plain).all()


def test_easy_margin_leaves_obtuse_angles_alone():
    head = _head(m=0.5, easy=True)
    e = _at(2.0).detach()
    assert torch.allclose(head(e, torch.tensor([0]))[0, 0], head(e)[0, 0])


def test_centroid_init_normalises():
    head = ArcFaceHead(3, 2)
    head.init_from_centroids(torch.tensor([[3.0, 0, 0], [0, 0, 0.5]]))
    assert torch.allclose(head.weight, torch.tensor([[1.0, 0, 0], [0, 0, 1.0]]))


def test_margin_out_of_range_refused():
    with pytest.raises(ValueError):
        ArcFaceHead(2, 2, m=2.0)
