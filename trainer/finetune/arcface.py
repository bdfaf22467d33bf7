"""ArcFace additive angular margin head (Deng et al., 2019) for fine-tuning the embedder.

logit_j = s * cos(theta_j) for the other classes and s * cos(theta_y + m) for the true class, on
L2-normalised embeddings and class weights. Near theta = 0 and theta = pi the naive formula breaks:
sqrt(1 - cos^2) has an infinite gradient at |cos| = 1, and cos(theta + m) stops decreasing once
theta + m > pi (the margin would then *raise* the target logit). Both are handled below.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# Keeps sqrt(1 - cos^2) away from 0, where its gradient is infinite.
_EPS = 1e-6


class ArcFaceHead(nn.Module):
    def __init__(self, embedding_dim: int, num_classes: int, s: float = 32.0, m: float = 0.5, easy_margin: bool = False):
        super().__init__()
        if not 0.0 <= m < math.pi / 2:
            raise ValueError(f"margin m must be in [0, pi/2), got {m}")
        self.s, self.m, self.easy_margin = float(s), float(m), easy_margin
        self.weight = nn.Parameter(torch.empty(num_classes, embedding_dim))
        nn.init.xavier_uniform_(self.weight)
        self._cos_m, self._sin_m = math.cos(m), math.sin(m)
        # Past theta = pi - m, cos(theta + m) would rise again; below this cosine the margin is replaced
        # by the linear penalty cos(theta) - m*sin(m) (InsightFace's "th/mm" fallback), which stays
        # monotonic and continuous at the switch.
        self._th = math.cos(math.pi - m)
        self._mm = math.sin(math.pi - m) * m

    @torch.no_grad()
    def init_from_centroids(self, centroids: torch.Tensor) -> None:
        """Start each class weight at the class's mean base embedding (weight imprinting)."""
        self.weight.copy_(F.normalize(centroids.to(self.weight), dim=1))

    def cosine(self, embeddings: torch.Tensor) -> torch.Tensor:
        cos = F.linear(F.normalize(embeddings, dim=1), F.normalize(self.weight, dim=1))
        return cos.clamp(-1.0 + _EPS, 1.0 - _EPS)

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Scaled logits; with labels the true class gets the angular margin (training)."""
        cos = self.cosine(embeddings)
        if labels is None:
            return cos * self.s
        sin = torch.sqrt((1.0 - cos * cos).clamp_min(_EPS))
        phi = cos * self._cos_m - sin * self._sin_m  # cos(theta + m)
        if self.easy_margin:
            phi = torch.where(cos > 0, phi, cos)
        else:
            phi = torch.where(cos > self._th, phi, cos - self._mm)
        target = F.one_hot(labels, cos.shape[1]).to(cos.dtype)
        return (target * phi + (1.0 - target) * cos) * self.s


def arcface_loss(logits: torch.Tensor, labels: torch.Tensor, label_smoothing: float = 0.0,
                 focal_gamma: float = 0.0) -> torch.Tensor:
    """Cross-entropy over the margin logits; with focal_gamma > 0 the Focal Loss (Lin et al., 2017):
    each photo's term scaled by (1 - p_true)^gamma, so the photos the head already gets right weigh
    less and a person with few, hard photos is not drowned by the easy ones."""
    if focal_gamma == 0:
        return F.cross_entropy(logits, labels, label_smoothing=label_smoothing)
    ce = F.cross_entropy(logits, labels, label_smoothing=label_smoothing, reduction="none")
    p_true = F.softmax(logits, dim=1).gather(1, labels[:, None]).squeeze(1)
    return ((1.0 - p_true).clamp_min(0.0).pow(focal_gamma) * ce).mean()
