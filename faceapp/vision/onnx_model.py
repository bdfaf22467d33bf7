"""One base for every ONNX model: a single onnxruntime session with its thread count set once, on
the execution provider chosen in Settings (`inference.provider`).

"automatic" takes the first accelerator the installed onnxruntime offers (CUDA, OpenVINO, DirectML,
CoreML, in that order) and the CPU otherwise. A provider that is not offered, or that fails to start
(a CUDA build without the CUDA libraries, an OpenVINO without a device), falls back to the CPU with a
message: logged, and kept in `notices()` for the GUI to show once. The app never stops over it.
"""

from __future__ import annotations

import logging
import os
import threading

# Must be set before onnxruntime spins up its thread pools: busy-waiting threads of one session
# steal the two cores from the next (face mesh + iris halved with PASSIVE, ../shared/MODELS.md).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

from faceapp.config import ORT_THREADS  # noqa: E402
from faceapp.reasons import Reason  # noqa: E402
from faceapp.resources import model_path  # noqa: E402
from faceapp.vision.providers import CPU, PROVIDER_CHOICES, PROVIDER_NAMES, PROVIDERS  # noqa: E402

log = logging.getLogger(__name__)

_NAME_OF = {provider: PROVIDER_NAMES[key] for key, provider in PROVIDERS.items()}

_lock = threading.Lock()
_choice = "automatic"
_active: dict[str, str] = {}  # model file name -> provider its session runs on
_notices: list[Reason] = []  # fallback messages the GUI has not shown yet
_shown: list[Reason] = []  # and those it has: a message is shown once per run
_failed: set[str] = set()  # providers that failed to start: the next models go straight to the CPU


def use_provider(choice: str) -> None:
    """Open the sessions created from now on with this setting value (PROVIDER_CHOICES)."""
    global _choice
    if choice not in PROVIDER_CHOICES:
        raise ValueError(f"unknown execution provider {choice!r}; choose one of {', '.join(PROVIDER_CHOICES)}")
    _choice = choice


def provider_name(provider: str) -> str:
    """'CUDAExecutionProvider' -> 'CUDA' (an unknown one keeps its onnxruntime name)."""
    return _NAME_OF.get(provider, provider)


def plan(choice: str, available: list[str] | None = None) -> tuple[str, Reason | None]:
    """(the provider to open sessions on, why it is not the one asked for, or None)."""
    available = ort.get_available_providers() if available is None else available
    if choice == "automatic":
        return next((p for p in PROVIDERS.values() if p in available), CPU), None
    wanted = PROVIDERS[choice]
    if wanted not in available:
        return CPU, Reason("provider_not_offered", {"provider": PROVIDER_NAMES[choice]})
    return wanted, None


def _notice(reason: Reason) -> None:
    """Log and keep `reason` unless one with the same code and provider was already given (each
    model's failure carries its own detail; the user needs to hear it once)."""
    key = (reason.code, reason.params.get("provider"))
    with _lock:
        if all((r.code, r.params.get("provider")) != key for r in _notices + _shown):
            log.warning("%s", reason.text())
            _notices.append(reason)


def notices() -> list[Reason]:
    """Fallback messages not yet shown, each returned once (the GUI shows them once)."""
    with _lock:
        out = list(_notices)
        _shown.extend(out)
        _notices.clear()
    return out


def active_providers() -> list[str]:
    """The short names of the providers the sessions opened so far run on (the planned one if none is open)."""
    with _lock:
        used = sorted(set(_active.values()), key=lambda p: p == CPU)  # an accelerator first
    return [provider_name(p) for p in used] or [provider_name(plan(_choice)[0])]


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
        self.session = self._open(opts)
        self.provider = self.session.get_providers()[0]
        with _lock:
            _active[os.path.basename(self.path)] = self.provider
        self.input_name = self.session.get_inputs()[0].name
        self.output_names = [o.name for o in self.session.get_outputs()]

    def _open(self, opts: ort.SessionOptions) -> ort.InferenceSession:
        provider, why = plan(_choice)
        if why:
            _notice(why)
        if provider == CPU or provider in _failed:
            return ort.InferenceSession(self.path, opts, providers=[CPU])
        try:
            session = ort.InferenceSession(self.path, opts, providers=[provider, CPU])
        except Exception as exc:  # a provider's start-up failure must not stop the app
            why = Reason("provider_failed", {"provider": provider_name(provider), "detail": f"{type(exc).__name__}: {exc}"})
        else:
            if session.get_providers()[0] == provider:
                return session
            why = Reason("provider_failed", {"provider": provider_name(provider), "detail": "onnxruntime chose the CPU"})
        _failed.add(provider)
        _notice(why)
        return ort.InferenceSession(self.path, opts, providers=[CPU])

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        return self.session.run(self.output_names, {self.input_name: np.ascontiguousarray(x, dtype=np.float32)})
