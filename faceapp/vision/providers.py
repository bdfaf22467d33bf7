"""The execution providers a user may choose (`inference.provider`), without importing onnxruntime:
the settings validator and the Settings page need the names, not the runtime."""

from __future__ import annotations

CPU = "CPUExecutionProvider"
# Setting value -> onnxruntime provider; "automatic" tries the accelerators in this order.
PROVIDERS = {
    "cuda": "CUDAExecutionProvider",
    "openvino": "OpenVINOExecutionProvider",
    "directml": "DmlExecutionProvider",
    "coreml": "CoreMLExecutionProvider",
    "cpu": CPU,
}
PROVIDER_CHOICES = ("automatic", *PROVIDERS)
# What the status bar, the Settings page and the self-test call each (brand names, not translated).
PROVIDER_NAMES = {"cuda": "CUDA", "openvino": "OpenVINO", "directml": "DirectML", "coreml": "CoreML", "cpu": "CPU"}
