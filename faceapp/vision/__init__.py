"""Vision: the ONNX models and everything that turns an image into aligned, embedded faces (detection, alignment, eyes, masks, quality, the engine)."""
