"""CutMix (Yun et al., 2019) and MixUp (Zhang et al., 2018) for the ArcFace head, label-mixed.

A mixed batch is trained against both people it holds: loss = lam * L(y) + (1 - lam) * L(y[perm]),
each term with the ArcFace margin on its own person (faceapp.training.FinetuneConfig: cutmix, mixup,
mix_alpha). CutMix pastes a box of another photo (a face partly covered by someone else's, much as a
hand or a scarf covers it); MixUp blends whole photos. Draws come from one numpy Generator seeded by
the run's seed, so a run repeats exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(slots=True)
class Mixed:
    x: torch.Tensor  # the (possibly) mixed batch
    perm: torch.Tensor | None  # the other photo of each row; None when the batch is left as it is
    lam: float  # weight of the row's own photo (1.0 unmixed)


def mix_batch(x: torch.Tensor, rng: np.random.Generator, cutmix: float, mixup: float, alpha: float = 1.0) -> Mixed:
    """With probability `cutmix` a CutMix batch, with `mixup` a MixUp batch, else the batch unchanged."""
    u = rng.random()
    if len(x) < 2 or u >= cutmix + mixup:
        return Mixed(x, None, 1.0)
    lam = float(rng.beta(alpha, alpha))
    perm = torch.from_numpy(rng.permutation(len(x))).to(x.device)
    if u < cutmix:
        h, w = x.shape[2:]
        cut = np.sqrt(1.0 - lam)  # a box of area (1 - lam)
        bh, bw = int(round(h * cut)), int(round(w * cut))
        top, left = int(rng.integers(0, h - bh + 1)), int(rng.integers(0, w - bw + 1))
        x = x.clone()
        x[:, :, top:top + bh, left:left + bw] = x[perm, :, top:top + bh, left:left + bw]
        lam = 1.0 - bh * bw / (h * w)  # the area actually pasted, after rounding
    else:
        x = lam * x + (1.0 - lam) * x[perm]
    return Mixed(x, perm, lam)
