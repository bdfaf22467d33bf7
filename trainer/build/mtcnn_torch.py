"""Torch definitions of MTCNN's three nets, loadable from facenet-pytorch 2.6.0's state dicts.

The parameter names (conv1, prelu1, ..., dense6_3) are those of `facenet_pytorch/data/{p,r,o}net.pt`,
so `load_state_dict` takes those files as they are. The nets see images as facenet-pytorch feeds
them: NCHW, RGB, (x - 127.5) / 128, rows = image rows (no H/W transpose of the input). The weights
came from Caffe via TensorFlow, whose flatten order before the dense layers is (W, H, C); the
`permute(0, 3, 2, 1)` before flattening reproduces it and must stay in the exported graph.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import torch
from torch import nn


class PReLU(nn.Module):
    """Per-channel PReLU under nn.PReLU's parameter name, exported as Relu/Min/Mul/Add.

    onnxruntime's PRelu kernel is slow on these small maps (../shared/MODELS.md); the elementwise
    form is mathematically the same and fuses well.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels,), 0.25))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        slope = self.weight.view(1, -1, *([1] * (x.dim() - 2)))
        return torch.relu(x) + slope * torch.clamp(x, max=0.0)


def _flatten_whc(x: torch.Tensor) -> torch.Tensor:
    """Flatten NCHW in TensorFlow's transposed-image order (N, W, H, C), as the dense weights expect."""
    return x.permute(0, 3, 2, 1).flatten(1)


class _ConvNet(nn.Module):
    """Conv stages named conv{i}, prelu{i} and, where the net pools, pool{i} (facenet-pytorch's names)."""

    def __init__(self, stages: list[tuple[int, int, int, int | None]]):
        """stages: (in channels, out channels, kernel, max-pool kernel or None), in order."""
        super().__init__()
        self.stages = len(stages)
        for i, (cin, cout, kernel, pool) in enumerate(stages, 1):
            setattr(self, f"conv{i}", nn.Conv2d(cin, cout, kernel))
            setattr(self, f"prelu{i}", PReLU(cout))
            if pool is not None:
                setattr(self, f"pool{i}", nn.MaxPool2d(pool, 2, ceil_mode=True))

    def convolve(self, x: torch.Tensor) -> torch.Tensor:
        for i in range(1, self.stages + 1):
            x = getattr(self, f"prelu{i}")(getattr(self, f"conv{i}")(x))
            if hasattr(self, f"pool{i}"):
                x = getattr(self, f"pool{i}")(x)
        return x


class PNet(_ConvNet):
    """Proposal net: fully convolutional, 12x12 receptive field, stride 2. Returns (reg, prob)."""

    def __init__(self):
        super().__init__([(3, 10, 3, 2), (10, 16, 3, None), (16, 32, 3, None)])
        self.conv4_1 = nn.Conv2d(32, 2, 1)  # face / not-face logits
        self.conv4_2 = nn.Conv2d(32, 4, 1)  # box regression

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.convolve(x)
        return self.conv4_2(x), torch.softmax(self.conv4_1(x), dim=1)


class RNet(_ConvNet):
    """Refine net on 24x24 crops. Returns (reg (N, 4), prob (N, 2))."""

    def __init__(self):
        super().__init__([(3, 28, 3, 3), (28, 48, 3, 3), (48, 64, 2, None)])
        self.dense4 = nn.Linear(576, 128)
        self.prelu4 = PReLU(128)
        self.dense5_1 = nn.Linear(128, 2)
        self.dense5_2 = nn.Linear(128, 4)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.prelu4(self.dense4(_flatten_whc(self.convolve(x))))
        return self.dense5_2(x), torch.softmax(self.dense5_1(x), dim=1)


class ONet(_ConvNet):
    """Output net on 48x48 crops. Returns (reg (N, 4), landmarks (N, 10): 5 x then 5 y, prob (N, 2))."""

    def __init__(self):
        super().__init__([(3, 32, 3, 3), (32, 64, 3, 3), (64, 64, 3, 2), (64, 128, 2, None)])
        self.dense5 = nn.Linear(1152, 256)
        self.prelu5 = PReLU(256)
        self.dense6_1 = nn.Linear(256, 2)
        self.dense6_2 = nn.Linear(256, 4)
        self.dense6_3 = nn.Linear(256, 10)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.prelu5(self.dense5(_flatten_whc(self.convolve(x))))
        return self.dense6_2(x), self.dense6_3(x), torch.softmax(self.dense6_1(x), dim=1)


NETS: dict[str, type[nn.Module]] = {"pnet": PNet, "rnet": RNet, "onet": ONet}


def load_net(name: str, state_dict_path: str | Path | BinaryIO) -> nn.Module:
    """One of "pnet"/"rnet"/"onet" with facenet-pytorch's weights, in eval mode; strict key match."""
    net = NETS[name]()
    state = torch.load(state_dict_path, map_location="cpu", weights_only=True)
    net.load_state_dict(state, strict=True)
    return net.eval()
