"""Build resources/models/minifasnet_{v2,v1se}.onnx from Silent-Face's MiniFASNet state_dicts.

    python -m trainer.build.minifasnet [--source ../shared/models/silent-face] [--out resources/models]

The weights (Apache-2.0, minivision-ai/Silent-Face-Anti-Spoofing at b6d5f04) are in no registry;
the project's copy is ../shared/models/silent-face, checked here against the sha256s of its
PROVENANCE. The network definition is not shipped with them, so it is written below from the
state_dicts' tensor names and shapes: a MobileFaceNet-style stem, bottleneck stages (1x1 expand,
3x3 depthwise, 1x1 linear projection; residual inside a stage), a 5x5 depthwise "global" conv,
a 128-D embedding and 3 logits. V1SE adds a squeeze-excitation block to the last bottleneck of each
stage. Both are channel-pruned differently, so every width is read from the state_dict; loading is
strict, so a missing, extra or mis-shaped tensor fails the build. The Fourier-spectrum head used in
training is not in the files (no "FTGenerator" tensors), and inference does not need it.

Each export is checked against torch on real-looking inputs (80x80 BGR 0..255, no scaling: the
models' own convention) and on the softmax the app uses. As with the other conversions, PReLU is
written as relu(x) + a * min(x, 0): onnxruntime's PRelu kernel is slow (../shared/MODELS.md).
"""

from __future__ import annotations

import argparse
import re
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from faceapp.recognition.model_versions import file_sha256 as sha256

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIR = ROOT.parent / "shared" / "models" / "silent-face"
UPSTREAM = "github.com/minivision-ai/Silent-Face-Anti-Spoofing@b6d5f04ad78778917853b25c778acef6d5626d15"
OPSET = 17
# |onnx - torch| allowed on the logits (which reach ~10) and on the class probabilities.
MAX_LOGIT_ERROR = 1e-3
MAX_PROB_ERROR = 1e-4

# output file -> (weights file, its sha256 from PROVENANCE.txt, squeeze-excitation blocks, crop scale)
MODELS: dict[str, tuple[str, str, bool, float]] = {
    "minifasnet_v2.onnx": (
        "2.7_80x80_MiniFASNetV2.pth", "a5eb02e1843f19b5386b953cc4c9f011c3f985d0ee2bb9819eea9a142099bec0", False, 2.7),
    "minifasnet_v1se.onnx": (
        "4_0_0_80x80_MiniFASNetV1SE.pth", "84ee1d37d96894d5e82de5a57df044ef80a58be2b218b5ed7cdfd875ec2f5990", True, 4.0),
}


class PReLU(nn.Module):
    """nn.PReLU's parameter layout (so the state_dict loads as is), exported as relu + a * min(x, 0)."""

    def __init__(self, channels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.weight.view(1, -1, 1, 1)
        return torch.relu(x) + a * torch.clamp(x, max=0.0)


class ConvBlock(nn.Module):
    """conv (no bias) + batch norm, then PReLU unless `linear`."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1, linear: bool = False):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2 if kernel == 3 else 0,
                              groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.prelu = None if linear else PReLU(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn(self.conv(x))
        return x if self.prelu is None else self.prelu(x)


class SqueezeExcite(nn.Module):
    """Channel gates from the global mean: 1x1 conv, BN, ReLU, 1x1 conv, BN, sigmoid."""

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, hidden, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(hidden)
        self.fc2 = nn.Conv2d(hidden, channels, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = torch.mean(x, dim=(2, 3), keepdim=True)
        g = self.bn2(self.fc2(torch.relu(self.bn1(self.fc1(g)))))
        return x * torch.sigmoid(g)


class Bottleneck(nn.Module):
    """1x1 expand (`conv`), 3x3 depthwise (`conv_dw`), 1x1 linear `project`; optional SE and residual."""

    def __init__(self, cin: int, mid: int, cout: int, stride: int, residual: bool, se_hidden: int = 0):
        super().__init__()
        self.conv = ConvBlock(cin, mid, 1)
        self.conv_dw = ConvBlock(mid, mid, 3, stride, groups=mid)
        self.project = ConvBlock(mid, cout, 1, linear=True)
        self.se_module = SqueezeExcite(cout, se_hidden) if se_hidden else None
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.conv_dw(self.conv(x)))
        if self.se_module is not None:
            y = self.se_module(y)
        return x + y if self.residual else y


class Stage(nn.Module):
    def __init__(self, blocks: list[Bottleneck]):
        super().__init__()
        self.model = nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class MiniFASNet(nn.Module):
    """80x80 -> 40 (conv1) -> 20 (conv_23) -> 10 (conv_34) -> 5 (conv_45) -> 1 (5x5 conv_6_dw) -> 3 logits."""

    DOWN = ("conv_23", "conv_34", "conv_45")  # stride-2 bottlenecks between the residual stages
    STAGES = ("conv_3", "conv_4", "conv_5")

    def __init__(self, state: dict[str, torch.Tensor]):
        super().__init__()

        def out(name: str) -> int:
            return state[f"{name}.weight"].shape[0]

        def bottleneck(prefix: str, stride: int, residual: bool) -> Bottleneck:
            w = state[f"{prefix}.conv.conv.weight"]
            se = f"{prefix}.se_module.fc1.weight"
            return Bottleneck(w.shape[1], w.shape[0], out(f"{prefix}.project.conv"), stride, residual,
                              state[se].shape[0] if se in state else 0)

        self.conv1 = ConvBlock(3, out("conv1.conv"), 3, stride=2)
        self.conv2_dw = ConvBlock(out("conv1.conv"), out("conv2_dw.conv"), 3, groups=out("conv2_dw.conv"))
        for down, stage in zip(self.DOWN, self.STAGES):
            setattr(self, down, bottleneck(down, 2, residual=False))
            count = 1 + max(int(m.group(1)) for k in state if (m := re.match(rf"{stage}\.model\.(\d+)\.", k)))
            setattr(self, stage, Stage([bottleneck(f"{stage}.model.{i}", 1, residual=True) for i in range(count)]))
        sep = state["conv_6_sep.conv.weight"]
        self.conv_6_sep = ConvBlock(sep.shape[1], sep.shape[0], 1)
        dw = state["conv_6_dw.conv.weight"]
        self.conv_6_dw = ConvBlock(dw.shape[0], dw.shape[0], dw.shape[-1], groups=dw.shape[0], linear=True)
        lin = state["linear.weight"]
        self.linear = nn.Linear(lin.shape[1], lin.shape[0], bias=False)
        self.bn = nn.BatchNorm1d(lin.shape[0])
        self.prob = nn.Linear(lin.shape[0], state["prob.weight"].shape[0], bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv2_dw(self.conv1(x))
        for down, stage in zip(self.DOWN, self.STAGES):
            x = getattr(self, stage)(getattr(self, down)(x))
        x = self.conv_6_dw(self.conv_6_sep(x))
        return self.prob(self.bn(self.linear(torch.flatten(x, 1))))


def load_state(path: Path, expected_sha256: str) -> dict[str, torch.Tensor]:
    """The state_dict without DataParallel's "module." prefix, after checking the file's sha256."""
    got = sha256(path)
    if got != expected_sha256:
        raise RuntimeError(f"{path}: sha256 {got} is not the one in PROVENANCE.txt ({expected_sha256})")
    state = torch.load(path, map_location="cpu", weights_only=True)
    return {k.removeprefix("module."): v for k, v in state.items()}


def load_model(path: Path, expected_sha256: str) -> MiniFASNet:
    state = load_state(path, expected_sha256)
    net = MiniFASNet(state)
    net.load_state_dict(state, strict=True)
    return net.eval()


def check_inputs(n: int, seed: int) -> np.ndarray:
    """Seeded NCHW float images in 0..255 (the models' input range): smooth shading plus noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:80, 0:80]
    base = 120 + 70 * np.sin(xx / 9.0 + rng.uniform(0, 3, (n, 3, 1, 1))) * np.cos(yy / 13.0)
    return np.clip(base + rng.normal(0, 15, (n, 3, 80, 80)), 0, 255).astype(np.float32)


def export(net: MiniFASNet, path: Path) -> None:
    dummy = torch.from_numpy(check_inputs(1, seed=0))
    with warnings.catch_warnings():
        # The TorchScript exporter (dynamo=False) is deprecated, but writes the plain opset-17 graph
        # the other conversions use; only its deprecation notice is silenced.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            net, (dummy,), str(path), input_names=["image"], output_names=["logits"],
            dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
            opset_version=OPSET, do_constant_folding=True, dynamo=False,
        )


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def verify(net: MiniFASNet, path: Path) -> tuple[float, float]:
    """(max |logit error|, max |probability error|) of the ONNX file vs torch; raises above the limits."""
    import onnx
    import onnxruntime as ort

    onnx.checker.check_model(str(path))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.concatenate([check_inputs(6, seed=1), np.zeros((1, 3, 80, 80), np.float32),
                        np.full((1, 3, 80, 80), 255, np.float32)])
    with torch.no_grad():
        want = net(torch.from_numpy(x)).numpy()
    got = session.run(None, {"image": x})[0]
    logit_err = float(np.max(np.abs(got - want)))
    prob_err = float(np.max(np.abs(softmax(got) - softmax(want))))
    if logit_err > MAX_LOGIT_ERROR or prob_err > MAX_PROB_ERROR:
        raise RuntimeError(f"{path.name}: ONNX differs from torch by {logit_err:.1e} (logits), {prob_err:.1e} (softmax)")
    return logit_err, prob_err


def build_minifasnet(source_dir: str | Path | None, out_dir: str | Path) -> list[dict]:
    """Export and verify both MiniFASNet ONNX files into out_dir; returns their MANIFEST entries."""
    source, out_dir = Path(source_dir or SOURCE_DIR), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    for name, (weights, digest, _, scale) in MODELS.items():
        net = load_model(source / weights, digest)
        path = out_dir / name
        export(net, path)
        logit_err, prob_err = verify(net, path)
        print(f"{name}: max |onnx - torch| {logit_err:.1e} on logits, {prob_err:.1e} on softmax")
        entries.append({
            "file": name,
            "source": UPSTREAM,
            "path_in_source": f"resources/anti_spoof_models/{weights}",
            "source_sha256": digest,
            "licence": "Apache-2.0",
            "input": f"80x80 BGR float 0..255 unscaled; face box x{scale} about its centre, kept inside the image",
            "output": "3 logits; softmax class 1 = real",
            "max_abs_error_vs_torch": {"logits": float(f"{logit_err:.1e}"), "softmax": float(f"{prob_err:.1e}")},
            "sha256": sha256(path),
        })
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE_DIR, help="folder with the two .pth files")
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "models")
    args = parser.parse_args(argv)
    for entry in build_minifasnet(args.source, args.out):
        print(entry["file"], entry["sha256"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
