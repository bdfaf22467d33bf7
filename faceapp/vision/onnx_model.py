"""One base for every ONNX model: a single onnxruntime session with its thread count set once."""

from __future__ import annotations

import os

# Must be set before onnxruntime spins up its thread pools: busy-waiting threads of one session
# steal the two cores from the next (face mesh + iris halved with PASSIVE, ../shared/MODELS.md).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

from faceapp.config import ORT_THREADS  # noqa: E402
from faceapp.resources import model_path  # noqa: E402


class OnnxModel:
    """Wraps one .onnx file from resources/models; subclasses add pre- and post-processing."""

    file: str = ""  # e.g. "pnet.onnx"
    key: str = ""  # entry in ORT_THREADS

    def __init__(self, path: str | os.PathLike | None = None, threads: int | None = None):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or ORT_THREADS.get(self.key, 1)
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        self.path = str(path or model_path(self.file))
        self.session = ort.InferenceSession(self.path, opts, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.output_names = [o.name for o in self.session.get_outputs()]

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        return self.session.run(self.output_names, {self.input_name: np.ascontiguousarray(x, dtype=np.float32)})
